#!/usr/bin/env python3
"""How fast the window answers: key press -> suggestion chips shown, Enter -> reply shown.

    QT_QPA_PLATFORM=offscreen python scripts/ui_latency.py [--sentences N]

Drives the real MainWindow (offscreen, fresh ASSISTANT_HOME) with the installed models. Times are wall
clock on the GUI thread, so they include the suggestion debounce, the worker hand-off and painting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "what time is it", "set a timer for five minutes", "add milk to my shopping list", "tell me a joke",
    "how are you doing today", "what is the date", "can you help me with my homework", "what is two plus two",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=len(SENTENCES))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="assistant-latency-"))
    os.environ["ASSISTANT_HOME"] = str(home)
    try:
        return measure(SENTENCES[: args.sentences])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(sentences: list[str]) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from assistant.ui.app import create_app
    from assistant.ui.main_window import SUGGEST_DEBOUNCE_MS, MainWindow

    app = create_app(["assistant"])

    def wait_until(cond, timeout: float = 30.0) -> bool:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            app.processEvents()
            if cond():
                return True
            time.sleep(0.0005)
        return False

    start = time.perf_counter()
    window = MainWindow()
    window.show()
    wait_until(lambda: window.loaded, 120)
    print(f"window up and models loaded in {(time.perf_counter() - start) * 1000:.0f} ms; "
          f"{window.status_models.text()}")
    if window.state.problems:
        print("problems:", window.state.problems)
    inp = window.input
    chips, replies = [], []
    for sentence in sentences:
        for ch in sentence + " ":
            t0 = time.perf_counter()
            QTest.keyClicks(inp, ch)
            if wait_until(lambda: window.suggested_for == inp.text()[: inp.cursorPosition()], 10):
                chips.append((time.perf_counter() - t0) * 1000)
        got = []
        window.reply_shown.connect(got.append)
        t0 = time.perf_counter()
        QTest.keyClick(inp, Qt.Key.Key_Return)
        wait_until(lambda g=got: bool(g), 30)
        replies.append((time.perf_counter() - t0) * 1000)
        window.reply_shown.disconnect(got.append)

    def summary(values: list[float]) -> str:
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        return f"n={len(values)} p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms"

    print(f"key press -> chips shown (includes {SUGGEST_DEBOUNCE_MS} ms debounce): {summary(chips)}")
    print(f"Enter -> reply shown: {summary(replies)}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
