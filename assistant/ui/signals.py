"""The one adapter from core callbacks to Qt signals (DESIGN.md habit 2).

Core code reports progress and events through plain Python callables and knows nothing of Qt. The UI
hands core a callable from here; calling it (from any thread) emits a Qt signal, and Qt delivers it to
slots on the GUI thread through a queued connection. Widgets connect to signals, they never poll.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)


class _Probe(QObject):
    ping = Signal()


def _emit_steals_reference() -> bool:
    """PySide6 6.12.0: SignalInstance.emit() returns True without a new reference, so every emit from
    Python drops one reference to True and the interpreter aborts ("bool_dealloc") once it runs out.
    Detect it once, so `emit` compensates only where the bug is present."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    stolen = sys.getrefcount(True) < before - 2
    if stolen:
        for _ in range(4):  # give back what the probe took
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        logger.info("PySide6 signal emit drops a reference to its result; compensating")
    return stolen


_STEALS = _emit_steals_reference()


def emit(signal, *args: Any) -> None:
    """`signal.emit(*args)`, safe from the PySide6 6.12.0 reference bug. Use it for every emit in ui."""
    result = signal.emit(*args)
    if _STEALS and result is not None:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))


class CoreEvents(QObject):
    """Qt signals fed by core callbacks. Create it on the GUI thread; emit from anywhere."""

    progress = Signal(int, int, str)  # done, total, label (bench_all's progress callback)
    event = Signal(str, object)  # name, payload: any other core notification

    def progress_callback(self) -> Callable[[int, int, str], None]:
        """A plain callable with core's progress signature that re-emits as `progress`."""

        def callback(done: int, total: int, label: str = "") -> None:
            try:
                emit(self.progress, int(done), int(total), str(label))
            except RuntimeError:  # the receiver was deleted (window closed while work finished)
                logger.debug("progress dropped: receiver gone")

        return callback

    def event_callback(self, name: str) -> Callable[[Any], None]:
        """A plain callable that re-emits its one argument as `event(name, payload)`."""

        def callback(payload: Any = None) -> None:
            try:
                emit(self.event, name, payload)
            except RuntimeError:
                logger.debug("event %s dropped: receiver gone", name)

        return callback
