#!/usr/bin/env python3
"""Screenshots of voice chat in a real X window (Xvfb when there is no display): the chat while listening
(level meter, the partial text in the message line), the reply, and Settings -> Audio and Speech models,
in the light and the dark scheme.

    python scripts/screenshots_voice.py [--out screenshots/voice] [--scheme light|dark|both]

The microphone is replaced by espeak-ng saying "add milk to my shopping list", played in real time.
A fresh ASSISTANT_HOME is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.screenshots import Shooter, run_for_schemes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots" / "voice")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--size", default="1366x768")
    args = parser.parse_args()
    return run_for_schemes(args, shoot, "assistant-voice-shots-")


def shoot(out: Path, scheme: str) -> None:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from assistant.core.appdata.settings import Settings
    from assistant.core.speech.sources import ArraySource
    from assistant.factory import speech_data
    from assistant.ui import theme
    from assistant.ui.app import create_app
    from assistant.ui.main_window import MainWindow

    settings = Settings(theme=scheme)
    app = create_app(["assistant"], settings)
    theme.apply(app, scheme)
    speech = speech_data.espeak("add milk to my shopping list", "en-us", 130,
                                REPO / ".factory-work" / "speech-data" / "espeak").samples
    audio = np.concatenate([np.zeros(8000, np.float32), speech])

    shots = Shooter(app, out, scheme)
    pump, wait_until = shots.pump, shots.wait_until

    def save(name: str, widget) -> None:
        shots.save(name, widget, settle=0.0)

    window = MainWindow(settings=settings, calibrate_on_start=False,
                        audio_source=lambda: ArraySource(audio, realtime=True, tail_silence_s=20))
    window.show()
    wait_until(lambda: window.loaded and window.voice._engine is not None, 60)
    window.start_dictation("hold")
    wait_until(lambda: window.input.text() != "" and window.voice.state == "hearing", 20)
    pump(0.3)
    save("chat-listening", window)
    wait_until(lambda: window.voice._source_factory and window.voice.stream is not None and
               window.voice.stream.source._pos >= audio.size + 4000, 20)
    window.release_dictation()
    wait_until(lambda: any(b.line.role == "assistant" for b in window.transcript.bubbles), 30)
    pump(0.5)
    save("chat-reply", window)
    window.open_settings()
    dialog = window.settings_dialog
    dialog.show_page(4)
    pump(1.0)
    save("settings-audio", dialog)
    dialog.show_page(5)
    wait_until(lambda: dialog.speech_page.table.rowCount() > 0, 20)
    pump(0.5)
    save("settings-speech-models", dialog)
    dialog.close()
    window.close()
    QApplication.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())
