"""The one background-work helper of the UI (DESIGN.md habit 3, in the style of Anki's QueryOp).

`Worker.run(op, success=..., failure=...)`: `op(ctx)` runs on a worker thread and never touches widgets;
its result (or exception) comes back to `success` (or `failure`) on the GUI thread. Work is queued per
lane, one thread per lane: "models" (every chatbot/autocomplete call, serialised, so the models never
run on two threads at once), "bench" (benchmarks, which must not hold up suggestions) and "speech"
(opening and closing the microphone, loading the recognisers). A `key` keeps
only the newest request of its kind: older ones that have not started are skipped and results of older
ones are dropped (stale suggestions never overwrite fresh ones). `ctx.cancel` is a threading.Event the
op polls; `ctx.progress(done, total, label)` reaches `on_progress` on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from assistant.ui.signals import CoreEvents

logger = logging.getLogger(__name__)

LANES = ("models", "bench", "speech")


class Cancelled(Exception):
    """Raised by an op (or `ctx.check()`) when its cancel event is set."""


@dataclass
class OpContext:
    """What an op may use: the cancel event and a progress callable (safe from the worker thread)."""

    cancel: threading.Event
    progress: Callable[[int, int, str], None]
    started: float = field(default_factory=time.perf_counter)

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()


@dataclass
class Task:
    """Handle of one queued op: cancel it, or ask whether it finished."""

    name: str
    lane: str
    key: str | None
    generation: int
    cancel: threading.Event
    done: threading.Event = field(default_factory=threading.Event)

    def request_cancel(self) -> None:
        self.cancel.set()


class _GuiCall(QObject):
    """Lives on the GUI thread; a queued signal carries callables from worker threads to it."""

    call = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.call.connect(self._run)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a bug in a UI callback must not take the event loop down
            logger.exception("UI callback failed")


class Worker(QObject):
    """Runs ops off the GUI thread; see the module docstring. Create on the GUI thread."""

    busy_changed = Signal(bool)
    failed = Signal(str, str)  # task name, message: for failures nobody handled

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pools = {lane: ThreadPoolExecutor(1, thread_name_prefix=f"assistant-{lane}") for lane in LANES}
        self._gui = _GuiCall(self)
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        self._pending: set[int] = set()
        self._tasks: dict[int, Task] = {}
        self._closed = False

    # -- public -----------------------------------------------------------------------------------
    def run(
        self,
        op: Callable[[OpContext], Any],
        *,
        success: Callable[[Any], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        lane: str = "models",
        key: str | None = None,
        name: str = "",
        cancel: threading.Event | None = None,
    ) -> Task:
        if lane not in self._pools:
            raise ValueError(f"unknown lane {lane!r}; lanes are {LANES}")
        with self._lock:
            generation = self._generation.get(key, 0) + 1 if key else 0
            if key:
                self._generation[key] = generation
        task = Task(name or getattr(op, "__name__", "op"), lane, key, generation, cancel or threading.Event())
        events = None
        if on_progress is not None:
            events = CoreEvents(self)  # the habit-2 adapter: a worker-side callable -> a GUI-side signal
            events.progress.connect(on_progress)
        ctx = OpContext(task.cancel, events.progress_callback() if events else _no_progress)
        if self._closed:
            logger.debug("worker closed; %s not started", task.name)
            return task
        with self._lock:
            self._tasks[id(task)] = task
        self.busy_changed.emit(True)
        self._pools[lane].submit(self._execute, task, op, ctx, success, failure, events)
        return task

    def is_current(self, task: Task) -> bool:
        """False once a newer task with the same key was queued."""
        if not task.key:
            return True
        with self._lock:
            return self._generation.get(task.key) == task.generation

    def busy(self) -> bool:
        with self._lock:
            return bool(self._tasks)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel everything queued, ask running ops to stop, and join the threads."""
        self._closed = True
        with self._lock:
            tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel.set()
        deadline = time.monotonic() + timeout
        for task in tasks:
            task.done.wait(max(0.0, deadline - time.monotonic()))
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    # -- worker side ------------------------------------------------------------------------------
    def _execute(self, task, op, ctx, success, failure, events) -> None:
        try:
            if task.cancel.is_set() or not self.is_current(task):
                logger.debug("%s skipped (cancelled or superseded)", task.name)
                self._deliver(task, None, events)
                return
            try:
                result = op(ctx)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
                if not isinstance(exc, Cancelled):  # handled failures are the caller's to report
                    level = logging.DEBUG if failure is not None else logging.WARNING
                    logger.log(level, "%s failed: %s", task.name, exc, exc_info=not isinstance(exc, Exception))
                self._deliver(task, lambda err=exc: self._on_failure(task, err, failure), events)
                return
            self._deliver(task, (lambda: success(result)) if success else None, events)
        finally:
            task.done.set()

    def _deliver(self, task: Task, fn: Callable[[], None] | None, events) -> None:
        def on_gui() -> None:
            with self._lock:
                self._tasks.pop(id(task), None)
                idle = not self._tasks
            if events is not None:
                events.deleteLater()
            if fn is not None and self.is_current(task) and not self._closed:
                fn()
            if idle:
                self.busy_changed.emit(False)

        try:
            self._gui.call.emit(on_gui)
        except RuntimeError:  # the window and this worker are gone; nothing to tell
            logger.debug("%s finished after the UI closed", task.name)

    def _on_failure(self, task: Task, exc: BaseException, failure) -> None:
        if failure is not None:
            failure(exc)
        elif not isinstance(exc, Cancelled):
            self.failed.emit(task.name, str(exc) or type(exc).__name__)


def _no_progress(done: int, total: int, label: str = "") -> None:
    return None
