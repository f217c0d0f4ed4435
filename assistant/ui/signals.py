"""The one adapter from core callbacks to Qt signals (DESIGN.md habit 2).

Core code reports progress and events through plain Python callables and knows nothing of Qt. The UI
hands core a callable from here; calling it (from any thread) emits a Qt signal, and Qt delivers it to
slots on the GUI thread through a queued connection. Widgets connect to signals, they never poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)


class CoreEvents(QObject):
    """Qt signals fed by core callbacks. Create it on the GUI thread; emit from anywhere."""

    progress = Signal(int, int, str)  # done, total, label (bench_all's progress callback)
    event = Signal(str, object)  # name, payload: any other core notification

    def progress_callback(self) -> Callable[[int, int, str], None]:
        """A plain callable with core's progress signature that re-emits as `progress`."""

        def callback(done: int, total: int, label: str = "") -> None:
            try:
                self.progress.emit(int(done), int(total), str(label))
            except RuntimeError:  # the receiver was deleted (window closed while work finished)
                logger.debug("progress dropped: receiver gone")

        return callback

    def event_callback(self, name: str) -> Callable[[Any], None]:
        """A plain callable that re-emits its one argument as `event(name, payload)`."""

        def callback(payload: Any = None) -> None:
            try:
                self.event.emit(name, payload)
            except RuntimeError:
                logger.debug("event %s dropped: receiver gone", name)

        return callback
