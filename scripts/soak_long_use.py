#!/usr/bin/env python3
"""Steady under long use: drive the real app offscreen through many hours' worth of use and compare the
first tenth with the last.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/soak_long_use.py [--scale 1.0] [--json out.json]

In ten rounds (scale 1.0: the issue's totals): 10,000 keystrokes with suggestion chips, 1,000 messages,
200 precision switches (chatbot and autocomplete, through the settings path), 100 lock/unlock cycles
(the face lock unlocking from a folder of camera frames made from a public-domain portrait; the head-move
challenge off, it measures the user, not the app) and 100 transcriptions (the bundled WAV through the
push-to-talk path). Each unlock builds a new chat window, as in real use. After the first and the last
round: RSS, open file descriptors, threads; per round: p95 of key -> chips, Enter -> reply, unlock ->
chat shown and release -> dictated text. Goals (issue 17): RSS growth under 20 MB, no growth in
descriptors or threads, p95 at the end within 1.5x of the start.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ROUNDS = 10
TOTALS = {"keystrokes": 10_000, "messages": 1_000, "precision_switches": 200, "lock_cycles": 100, "transcriptions": 100}
SENTENCES = ["what time is it", "set a timer for five minutes", "add milk to my shopping list", "tell me a joke",
             "how are you doing today", "what is the date", "remind me to call mom at six", "what is two plus two",
             "take a note buy stamps", "show my shopping list", "cancel the timer", "thank you very much"]


def resources(trim: bool = False) -> dict[str, float]:
    """RSS, descriptors and threads now; `trim` first hands glibc's free heap pages back to the system
    (malloc_trim), which tells memory still in use from memory the allocator only keeps cached."""
    if trim:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    from assistant.core.inference.hardware import resident_mb

    return {"rss_mb": resident_mb(), "fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count(),
            "os_threads": len(os.listdir("/proc/self/task"))}


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's totals (0.05 for a quick look)")
    parser.add_argument("--trim", action="store_true", help="malloc_trim before each RSS reading")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ASSISTANT_NO_KEYRING"] = "1"
    home = Path(tempfile.mkdtemp(prefix="assistant-soak-"))
    os.environ["ASSISTANT_HOME"] = str(home)
    per_round = {k: max(1, round(v * args.scale / ROUNDS)) for k, v in TOTALS.items()}

    import cv2
    from PySide6.QtCore import QCoreApplication, QEvent, Qt
    from PySide6.QtTest import QTest

    from assistant.commands.output import print_table
    from assistant.core.appdata import paths
    from assistant.core.appdata.fileio import atomic_write
    from assistant.core.appdata.settings import Settings, save_settings
    from assistant.core.face.frames import ImageFolderSource, read_image
    from assistant.core.face.lock import AppLock
    from assistant.core.face.template import TemplateStore
    from assistant.core.face.verifier import FaceVerifier
    from assistant.core.speech.audio import load_file
    from assistant.core.speech.sources import ArraySource
    from assistant.ui.app import create_app
    from assistant.ui.shell import AppShell
    from tests.face import attacks

    settings = Settings(liveness=False, lock_after_minutes=0)
    save_settings(settings)
    app = create_app(["assistant"], settings)

    def wait_until(cond, timeout: float = 60.0) -> bool:
        """Run the event loop until cond(). processEvents() leaves deleteLater() to the main loop, which this
        script replaces, so deferred deletes are delivered here as app.exec() would."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            if cond():
                return True
            time.sleep(0.0005)
        return bool(cond())

    face = REPO / "build" / "selftest" / "face.png"
    if not face.is_file():
        face = next((REPO / ".factory-work" / "face-data" / "photos").glob("collins_1.*"))
    frames = home / "camera"
    frames.mkdir()
    for frame in attacks.still(read_image(face), frames=30):
        cv2.imwrite(str(frames / f"{frame.index:03d}.png"), frame.image)
    verifier = FaceVerifier()
    enrolled = verifier.enrol(ImageFolderSource(frames, live=True), wanted=5, live=True)
    TemplateStore().save(enrolled.template)
    lock = AppLock()
    lock.set_password("correct horse battery")
    lock.set_mode("face")
    speech = load_file(REPO / "resources" / "selftest" / "what-time-is-it.wav").samples
    clip = np.concatenate([np.zeros(4000, np.float32), speech])
    current: dict = {}

    def audio_source():
        current["source"] = ArraySource(clip, realtime=True, tail_silence_s=30)
        return current["source"]

    shell = AppShell(settings, source_factory=lambda: ImageFolderSource(frames, live=True, fps=15.0), lock=AppLock(),
                     calibrate_on_start=False)
    unlocked: dict[str, float] = {}
    shell.unlocked_at.connect(lambda t: unlocked.__setitem__("at", t))

    def unlock(first: bool = False) -> float:
        """Lock (or start) and wait for the face to open the chat again; ms from the lock to the chat shown."""
        unlocked.clear()
        started = time.perf_counter()
        shell.start() if first else shell.lock_now()
        if not wait_until(lambda: "at" in unlocked and shell.window is not None, 60):
            raise RuntimeError("the face lock did not open")
        window = shell.window
        window.voice._source_factory = audio_source
        wait_until(lambda: window.loaded, 120)
        return (unlocked["at"] - started) * 1000

    precisions: dict[str, list[str]] = {}
    rows, snapshots = [], {}
    counter = {"sentence": 0}
    debug_types: dict[str, int] = {}

    def one_round(rnd: int) -> dict[str, list[float]]:
        """One tenth of the work on the chat window the face opened; the latencies of each kind."""
        lat = {"chips": [], "reply": [], "unlock": [], "dictate": [], "switch": []}
        if rnd == 0:
            unlock(first=True)
        window = shell.window
        if not precisions:
            catalog = window.session.catalog
            precisions.update({m: [p for p, v in catalog.models[m].variants.items() if v.shipped]
                          for m in ("chatbot", "autocomplete")})
        keys = messages = 0
        replies: list = []
        window.reply_shown.connect(replies.append)
        while keys < per_round["keystrokes"] or messages < per_round["messages"]:
            sentence = SENTENCES[counter["sentence"] % len(SENTENCES)]
            counter["sentence"] += 1
            if keys < per_round["keystrokes"]:
                for ch in sentence:
                    t0 = time.perf_counter()
                    QTest.keyClicks(window.input, ch)
                    inp = window.input
                    if wait_until(lambda i=inp: window.suggested_for == i.text()[: i.cursorPosition()], 10):
                        lat["chips"].append((time.perf_counter() - t0) * 1000)
                    keys += 1
            else:
                window.input.setText(sentence)
            if messages < per_round["messages"]:
                replies.clear()
                t0 = time.perf_counter()
                QTest.keyClick(window.input, Qt.Key.Key_Return)
                wait_until(lambda: bool(replies), 30)
                lat["reply"].append((time.perf_counter() - t0) * 1000)
                messages += 1
            else:
                window.input.clear()
        for k in range(per_round["precision_switches"]):
            model = ("chatbot", "autocomplete")[k % 2]
            choice = precisions[model][(k // 2) % len(precisions[model])]
            t0 = time.perf_counter()
            window.set_model_precision(model, choice)
            wait_until(lambda m=model, c=choice: window.state.active.get(m) == c and not window.worker.busy(), 30)
            lat["switch"].append((time.perf_counter() - t0) * 1000)
        window.set_model_precision("chatbot", None)
        window.set_model_precision("autocomplete", None)
        for _ in range(per_round["transcriptions"]):
            marks: dict = {}
            window.dictated.connect(lambda text, ms, m=marks: m.setdefault("text", (time.perf_counter(), text)))
            window.start_dictation("hold")
            wait_until(lambda: window.voice.stream is not None and "source" in current, 30)
            wait_until(lambda: current["source"]._pos >= clip.size + 3200, 30)
            released = time.perf_counter()
            window.release_dictation()
            wait_until(lambda m=marks: "text" in m, 60)
            wait_until(lambda: window.voice.state == "idle" and not replies[-1:] == [], 30)
            if "text" in marks:
                lat["dictate"].append((marks["text"][0] - released) * 1000)
            window.dictated.disconnect()
            current.pop("source", None)
        window.reply_shown.disconnect(replies.append)
        for _ in range(per_round["lock_cycles"]):
            lat["unlock"].append(unlock())
        return lat

    for rnd in range(ROUNDS):
        lat = one_round(rnd)
        gc.collect()
        wait_until(lambda: False, 2.0)  # the closed windows' deleteLater and the app's heap trim after a lock
        row = {"round": rnd + 1, **{f"p95_{k}_ms": p95(v) for k, v in lat.items()}, **resources(args.trim),
               "n": {k: len(v) for k, v in lat.items()}}
        rows.append(row)
        if os.environ.get("SOAK_DEBUG"):
            from collections import Counter

            from assistant.ui.main_window import MainWindow
            print("  threads:", dict(Counter(t.name.rstrip("0123456789") for t in threading.enumerate())),
                  "windows alive:", sum(isinstance(o, MainWindow) for o in gc.get_objects()))
            types = Counter(type(o).__name__ for o in gc.get_objects())
            grown = {k: v - debug_types.get(k, 0) for k, v in types.items() if v - debug_types.get(k, 0) > 50}
            print("  object types grown since the last round:", dict(sorted(grown.items(), key=lambda kv: -kv[1])[:12]))
            debug_types.clear()
            debug_types.update(types)
        print(f"round {rnd + 1}: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in row.items() if k != "n"), flush=True)
        if rnd == 0:
            snapshots["start"] = row
    snapshots["end"] = rows[-1]
    if shell.window is not None:
        shell.window.close()
    start, end = snapshots["start"], snapshots["end"]
    keys = ["rss_mb", "fds", "threads", "os_threads", "p95_chips_ms", "p95_reply_ms", "p95_unlock_ms",
            "p95_dictate_ms", "p95_switch_ms"]
    print()
    print_table(["", "after round 1", f"after round {ROUNDS}", "end / start"],
                [[k, f"{start[k]:.1f}", f"{end[k]:.1f}", f"{end[k] / start[k]:.2f}" if start[k] else "-"] for k in keys])
    verdict = {"rss_growth_mb": end["rss_mb"] - start["rss_mb"], "fd_growth": end["fds"] - start["fds"],
               "thread_growth": end["os_threads"] - start["os_threads"],
               "p95_ratio_max": max(end[k] / start[k] for k in keys[4:] if start[k] and start[k] == start[k])}
    print("\n" + ", ".join(f"{k} {v:.2f}" for k, v in verdict.items())
          + "  (goals: RSS growth < 20 MB, no fd or thread growth, p95 ratio <= 1.5)")
    out = args.json or paths.cache_dir() / "soak_long_use.json"
    totals = {k: v * ROUNDS for k, v in per_round.items()}
    atomic_write(out, json.dumps({"rows": rows, "verdict": verdict, "totals": totals,
                                  "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=1))
    print(f"totals: {totals}; written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
