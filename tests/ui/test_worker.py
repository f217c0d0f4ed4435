"""The background-work helper: ops off the GUI thread, results on it, stale results dropped, cancel."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.ui.worker import Cancelled, Worker


@pytest.fixture
def worker(qapp):
    w = Worker()
    yield w
    w.shutdown()


def test_op_runs_off_gui_thread_and_result_comes_back_on_it(qtbot, worker):
    seen = {}

    def op(ctx):
        seen["op_thread"] = threading.current_thread()
        return 41 + 1

    def success(value):
        seen["value"] = value
        seen["success_thread"] = threading.current_thread()

    worker.run(op, success=success)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 42
    assert seen["op_thread"] is not threading.main_thread()
    assert seen["success_thread"] is threading.main_thread()


def test_failure_reaches_the_failure_callback_on_gui_thread(qtbot, worker):
    seen = {}

    def op(ctx):
        raise ValueError("broken model")

    worker.run(op, failure=lambda exc: seen.update(exc=exc, thread=threading.current_thread()))
    qtbot.waitUntil(lambda: "exc" in seen, timeout=5000)
    assert isinstance(seen["exc"], ValueError) and "broken model" in str(seen["exc"])
    assert seen["thread"] is threading.main_thread()


def test_unhandled_failure_is_reported_by_signal(qtbot, worker):
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.run(lambda ctx: 1 / 0, name="divide")
    assert blocker.args[0] == "divide"


def test_newer_keyed_request_drops_older_results(qtbot, worker):
    gate = threading.Event()
    results = []

    def slow(ctx):
        gate.wait(5)
        return "old"

    worker.run(slow, success=results.append, key="suggest")
    worker.run(lambda ctx: "skipped", success=results.append, key="suggest")  # superseded before it starts
    worker.run(lambda ctx: "new", success=results.append, key="suggest")
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert results == ["new"]


def test_cancel_and_progress(qtbot, worker):
    progress = []
    outcome = {}
    started = threading.Event()

    def op(ctx):
        for i in range(1000):
            ctx.progress(i, 1000, f"step {i}")
            started.set()
            ctx.check()
            time.sleep(0.005)
        return "finished"

    task = worker.run(op, success=lambda v: outcome.update(v=v), failure=lambda e: outcome.update(e=e),
                      on_progress=lambda d, t, label: progress.append((d, t, label, threading.current_thread())),
                      lane="bench")
    assert started.wait(5)
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=5000)
    task.request_cancel()
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert isinstance(outcome.get("e"), Cancelled)
    assert all(p[3] is threading.main_thread() for p in progress)
    assert progress[0][:3] == (0, 1000, "step 0")


def test_lanes_run_in_parallel(qtbot, worker):
    """A long benchmark must not hold up the models lane (suggestions keep coming)."""
    gate = threading.Event()
    done = []
    worker.run(lambda ctx: gate.wait(10), lane="bench", success=lambda v: done.append("bench"))
    worker.run(lambda ctx: "quick", success=done.append)
    qtbot.waitUntil(lambda: "quick" in done, timeout=5000)
    assert "bench" not in done
    gate.set()
    qtbot.waitUntil(lambda: "bench" in done, timeout=5000)


def test_shutdown_suppresses_late_callbacks(qtbot, qapp):
    worker = Worker()
    calls = []
    worker.run(lambda ctx: time.sleep(0.2) or "late", success=calls.append)
    worker.shutdown()
    qtbot.wait(400)
    assert calls == []


def test_qt_binding_keeps_reference_counts(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call and to True on every
    emit(); the app (and this suite) then aborts with "bool_dealloc"/"none_dealloc" after a few thousand
    calls. pyproject.toml caps PySide6 below 6.12 on Python < 3.12; this test catches a broken binding."""
    import sys

    import PySide6
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Source(QObject):
        ping = Signal(int)

    source, label = Source(), QLabel()
    seen = []
    source.ping.connect(seen.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(2000):
        source.ping.emit(i)
        label.setText(str(i))
    assert len(seen) == 2000
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    assert lost_none < 100 and lost_true < 100, (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses references "
        f"(None: {lost_none}, True: {lost_true} per 2000 calls): install PySide6<6.12 on this Python"
    )
