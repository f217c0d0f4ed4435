"""Voice input in the window: core's streaming Transcriber behind Qt signals.

`VoiceInput.start(mode)` opens the microphone (or the test source) and the recogniser on the worker's
"speech" lane, never on the GUI thread; the Transcriber's own thread does the listening and decoding and
its events reach the GUI thread through the UI's one adapter (CoreEvents). Modes:
- "hold": push-to-talk (key or button held); speech must start, only the release ends it;
- "toggle": the same, started by a click and ended by the next click;
- "handsfree": always listening; the VAD opens and closes every utterance.
States (for the mic button, the status line and screen readers): unavailable, idle, loading, listening,
hearing, transcribing, error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from assistant.ui.signals import CoreEvents

logger = logging.getLogger(__name__)

STATE_WORDS = {
    "unavailable": "Voice input unavailable",
    "idle": "Voice input ready",
    "loading": "Starting the microphone\u2026",
    "listening": "Listening\u2026 speak now",
    "hearing": "Hearing you\u2026",
    "transcribing": "Writing down what you said\u2026",
    "error": "Voice input stopped",
}


def default_source_factory(device: str) -> Callable[[], Any]:
    """The microphone chosen in the settings ("" = the system default)."""
    from assistant.core.speech.sources import MicrophoneSource

    return lambda: MicrophoneSource(device or None)


class VoiceInput(QObject):
    """The window's microphone. Create on the GUI thread with the window's Worker."""

    state_changed = Signal(str, str)  # state, words for the user
    level = Signal(float)  # dBFS of the latest block
    partial = Signal(str)
    heard = Signal(str, float)  # final text, ms from the VAD's end of speech (or the release) to the text
    session_ended = Signal(str)  # "finished" | "stopped" | "error"

    def __init__(self, worker, settings: Callable[[], Any], source_factory: Callable[[], Any] | None = None,
                 catalog: Callable[[], Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._settings = settings
        self._source_factory = source_factory
        self._catalog = catalog or (lambda: None)
        self._events = CoreEvents(self)
        self._events.event.connect(self._dispatch)
        self._lock = threading.Lock()
        self._engine: Any = None
        self._engine_key: tuple[str, str] | None = None
        self._vad: Any = None
        self.stream: Any = None
        self.mode: str | None = None
        self.state = "idle"
        self.detail = STATE_WORDS["idle"]
        self.unavailable_reason = ""
        self._release_pending = False
        self.released_at: float | None = None
        self._heard_any = False

    # -- availability and loading ------------------------------------------------------------------
    def check_available(self) -> None:
        """Is there a microphone? (on the speech lane; a test source is always available)."""
        if self._source_factory is not None:
            return

        def op(ctx):
            from assistant.core.speech.sources import input_devices

            return input_devices()

        def done(devices) -> None:
            if not devices:
                self._set_unavailable("no microphone found: this computer has no audio input device")

        self.worker.run(op, success=done, failure=lambda exc: self._set_unavailable(str(exc)), lane="speech",
                        name="looking for a microphone")

    def _set_unavailable(self, reason: str) -> None:
        self.unavailable_reason = reason
        self._set_state("unavailable", reason[:1].upper() + reason[1:])

    def _parts(self) -> tuple[Any, Any]:
        """The recogniser and the VAD for the current settings (loaded once, on the speech lane)."""
        from assistant.core.speech import models
        from assistant.core.speech.engines import EngineOptions, make_engine
        from assistant.core.speech.vad import VoiceActivity

        settings = self._settings()
        key = (settings.speech_engine, settings.vosk_model if settings.speech_engine == "vosk" else "")
        with self._lock:
            if self._engine is None or self._engine_key != key:
                options = EngineOptions()
                if key[0] == "vosk":
                    if not key[1]:
                        raise models.ModelError("no Vosk model is chosen: pick one in Settings \u2192 Speech models")
                    options.model_path = models.find(key[1]).path
                self._engine, self._engine_key = make_engine(key[0], options), key
            if self._vad is None:
                self._vad = VoiceActivity(catalog=self._catalog())
            return self._engine, self._vad

    def preload(self) -> None:
        """Load the recogniser and the VAD now (after the window's models), so the first press is quick."""
        if self.state == "unavailable":
            return
        self.worker.run(lambda ctx: self._parts(), failure=lambda exc: logger.info("speech preload: %s", exc),
                        lane="speech", name="loading speech models")

    # -- sessions ------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state in ("loading", "listening", "hearing", "transcribing")

    def start(self, mode: str) -> bool:
        """Start listening in `mode`; False when unavailable or already busy."""
        if self.state == "unavailable" or self.active:
            return False
        self.mode = mode
        self._release_pending = False
        self.released_at = None
        self._heard_any = False
        self._set_state("loading", STATE_WORDS["loading"])
        factory = self._source_factory or default_source_factory(self._settings().audio_device)
        callback = self._events.event_callback("speech")

        def op(ctx):
            from assistant.core.speech.stream import Transcriber, hold_to_talk

            engine, vad = self._parts()
            config = None if mode == "handsfree" else hold_to_talk(vad.config)
            stream = Transcriber(factory(), engine, vad, on_event=callback, config=config)
            stream.start()  # opens the microphone: MicrophoneError here
            return stream

        self.worker.run(op, success=self._started, failure=self._start_failed, lane="speech", name="starting to listen")
        return True

    def _started(self, stream) -> None:
        self.stream = stream
        if self._release_pending:
            self.release()
        else:
            self._set_state("listening", self._listening_words())

    def _listening_words(self) -> str:
        if self.mode == "handsfree":
            return "Hands-free: listening (click the mic to stop)"
        if self.mode == "toggle":
            return "Listening\u2026 click the mic again when you are done"
        return STATE_WORDS["listening"]

    def _start_failed(self, exc: BaseException) -> None:
        from assistant.core.speech.sources import MicrophoneError

        self.mode = None
        if isinstance(exc, MicrophoneError) and "no microphone" in str(exc):
            self._set_unavailable(str(exc))
        else:
            self._set_state("error", f"Voice input failed: {exc}")
        self.session_ended.emit("error")

    def release(self) -> None:
        """Push-to-talk released (or the toggle clicked again): decode what was said, then stop."""
        if self.state == "loading":
            self._release_pending = True
            return
        if self.stream is None or self.mode == "handsfree":
            return
        self.released_at = time.perf_counter()
        self.stream.finish()
        self._set_state("transcribing", STATE_WORDS["transcribing"])

    def stop(self) -> None:
        """Stop listening at once (hands-free off, the window closing); the join runs off the GUI thread."""
        stream, self.stream = self.stream, None
        self.mode = None
        if stream is not None:
            self.worker.run(lambda ctx: stream.stop(), lane="speech", name="stopping the microphone")
        if self.state != "unavailable":
            self._set_state("idle", STATE_WORDS["idle"])

    def shutdown(self) -> None:
        """The window closes: stop the stream without waiting long (the thread is told to end)."""
        stream, self.stream = self.stream, None
        self.mode = None
        if stream is not None:
            stream.stop(timeout=1.0)

    def forget_engine(self) -> None:
        """The speech settings changed: load the recogniser anew on the next start."""
        with self._lock:
            self._engine = None
            self._engine_key = None

    # -- events from the stream thread ----------------------------------------------------------------
    def _dispatch(self, name: str, event: Any) -> None:
        from assistant.core.speech.engines import Partial
        from assistant.core.speech.stream import (
            Heard,
            Level,
            SpeechEnded,
            SpeechStarted,
            StreamError,
            StreamStopped,
        )

        if isinstance(event, Level):
            self.level.emit(event.dbfs)
        elif isinstance(event, SpeechStarted):
            self._set_state("hearing", STATE_WORDS["hearing"])
        elif isinstance(event, Partial):
            self.partial.emit(event.text)
        elif isinstance(event, SpeechEnded):
            self._set_state("transcribing", STATE_WORDS["transcribing"])
        elif isinstance(event, Heard):
            latency = event.latency_ms
            if self.released_at is not None:  # push-to-talk: from the release, as the user feels it
                latency = (time.perf_counter() - self.released_at) * 1000.0
            self._heard_any = True
            self.heard.emit(event.final.text, latency)
            if self.mode == "handsfree":
                self._set_state("listening", self._listening_words())
        elif isinstance(event, StreamError):
            self._set_state("error", f"Voice input stopped: {event.message}")
        elif isinstance(event, StreamStopped):
            stream, self.stream = self.stream, None
            if stream is not None:
                self.worker.run(lambda ctx: stream.stop(), lane="speech", name="closing the microphone")
            mode, self.mode = self.mode, None
            if event.reason != "error" and self.state != "unavailable":
                quiet = event.reason == "finished" and mode in ("hold", "toggle") and not self._heard_any
                self._set_state("idle", "I did not hear anything: hold the key (or the mic) while you speak"
                                if quiet else STATE_WORDS["idle"])
            self.session_ended.emit(event.reason)

    def _set_state(self, state: str, words: str) -> None:
        self.state, self.detail = state, words
        self.state_changed.emit(state, words)
