"""Voice chat latency: from releasing push-to-talk to the reply in the transcript, in the real window.

    .venv/bin/python scripts/bench_voice.py [--json out.json] [--commands 12]

The window runs offscreen with the shipped models; the microphone is replaced by espeak-ng speaking
commands of tests/speech/commands.tsv (en-us, 150 words per minute) in real time. For each command: the
key is held from the start, released 0.2 s after the speech ends (as a person lets go), and the time to
the reply bubble is measured, split into release -> dictated text (Whisper's final decode) and dictated
text -> reply (the chatbot). One process, one run: compare as ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="where to write the results (default: the user cache folder)")
    parser.add_argument("--commands", type=int, default=12)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("ASSISTANT_HOME", tempfile.mkdtemp(prefix="assistant-bench-voice-"))

    from assistant.commands.output import print_table
    from assistant.core.appdata import paths
    from assistant.core.appdata.fileio import atomic_write
    from assistant.core.appdata.settings import Settings
    from assistant.core.speech.sources import ArraySource
    from assistant.factory import speech_data
    from assistant.ui.app import create_app
    from assistant.ui.main_window import MainWindow
    from tests.speech.conftest import read_commands

    app = create_app(["assistant"], Settings())
    cache = REPO / ".factory-work" / "speech-data" / "espeak"
    commands = [c for c in read_commands() if c[0] not in ("out_of_scope",)][: args.commands]
    current: dict = {}

    def source():
        current["source"] = ArraySource(current["audio"], realtime=True, tail_silence_s=30)
        return current["source"]

    def wait_until(cond, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cond():
            app.processEvents()
            time.sleep(0.002)
        return bool(cond())

    window = MainWindow(settings=Settings(), calibrate_on_start=False, audio_source=source)
    window.show()
    wait_until(lambda: window.loaded and window.voice._engine is not None)
    marks: dict = {}
    window.dictated.connect(lambda text, ms: marks.setdefault("dictated", (time.perf_counter(), text)))
    window.reply_shown.connect(lambda line: marks.setdefault("reply", (time.perf_counter(), line)))
    rows = []
    for _intent, text in commands:
        speech = speech_data.espeak(text, "en-us", 150, cache).samples
        current["audio"] = np.concatenate([np.zeros(4000, np.float32), speech])
        marks.clear()
        window.start_dictation("hold")
        wait_until(lambda: window.voice.stream is not None)
        wait_until(lambda: current["source"]._pos >= current["audio"].size + 3200)  # 0.2 s after the speech
        released = time.perf_counter()
        window.release_dictation()
        if not wait_until(lambda: "reply" in marks or ("dictated" not in marks and window.voice.state == "idle"), 60):
            rows.append({"command": text, "error": "no reply within 60 s"})
            continue
        wait_until(lambda: window.voice.state == "idle", 10)
        if "reply" not in marks:
            rows.append({"command": text, "error": "nothing was heard"})
            continue
        dictated_at, heard = marks["dictated"]
        reply_at, line = marks["reply"]
        rows.append({"command": text, "heard": heard, "intent": getattr(line, "intent", None),
                     "release_to_text_ms": (dictated_at - released) * 1000, "text_to_reply_ms": (reply_at - dictated_at) * 1000,
                     "release_to_reply_ms": (reply_at - released) * 1000})
    window.close()
    ok = [r for r in rows if "release_to_reply_ms" in r]
    print_table(["command", "heard", "release->text ms", "text->reply ms", "release->reply ms"],
                [[r["command"], r.get("heard", r.get("error")), r.get("release_to_text_ms"), r.get("text_to_reply_ms"),
                  r.get("release_to_reply_ms")] for r in rows])
    summary = {k: float(np.median([r[k] for r in ok])) for k in ("release_to_text_ms", "text_to_reply_ms",
                                                                 "release_to_reply_ms")} if ok else {}
    if ok:
        summary["release_to_reply_ms_max"] = float(max(r["release_to_reply_ms"] for r in ok))
    print(f"\nmedian over {len(ok)} commands: " + ", ".join(f"{k} {v:.0f}" for k, v in summary.items()))
    out = args.json or paths.cache_dir() / "bench_voice.json"
    atomic_write(out, json.dumps({"rows": rows, "summary": summary, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                 indent=2))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
