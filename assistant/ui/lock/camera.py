"""The camera in the window: core's FrameStream (its own threads) behind Qt signals, and the live preview.

`CameraFeed.start(process)` runs `process(frame)` on the stream's processing thread (never the GUI
thread) and delivers `(picture, result)` to the GUI thread through the UI's one adapter (CoreEvents).
`CameraPreview` draws the picture mirrored, as people expect to see themselves, with the face box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from assistant.core.face.frames import Frame, FrameSource, open_source
from assistant.core.face.stream import FrameStream, StreamEvent
from assistant.ui.signals import CoreEvents
from assistant.ui.theme import current_colors

logger = logging.getLogger(__name__)

SourceFactory = Callable[[], FrameSource]


def camera_factory(spec: str) -> SourceFactory:
    """The settings' camera: a number opens that camera; a video file or image folder stands in for one."""
    return lambda: open_source(spec, live=True)


class CameraFeed(QObject):
    """frame(np.ndarray BGR, result), problem(str), recovered(str), ended(). Create on the GUI thread."""

    frame = Signal(object, object)
    problem = Signal(str)
    recovered = Signal(str)
    ended = Signal()

    def __init__(self, source_factory: SourceFactory, parent: QObject | None = None, pace: bool = True):
        super().__init__(parent)
        self.source_factory = source_factory
        self.pace = pace
        self._events = CoreEvents(self)
        self._events.event.connect(self._dispatch)
        self._stream: FrameStream | None = None

    @property
    def running(self) -> bool:
        return self._stream is not None and self._stream.running

    def start(self, process: Callable[[Frame], Any]) -> None:
        self.stop()
        callback = self._events.event_callback("stream")
        self._stream = FrameStream(self.source_factory, process, callback, pace=self.pace)
        self._stream.start()

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()

    def _dispatch(self, name: str, event: StreamEvent) -> None:
        if self._stream is None:  # stopped: late events from the threads are dropped
            return
        if event.kind == "frame" and event.frame is not None:
            self.frame.emit(event.frame.image, event.result)
        elif event.kind == "error":
            self.problem.emit(event.message)
        elif event.kind == "recovered":
            self.recovered.emit(event.message)
        elif event.kind == "ended":
            self.ended.emit()


class CameraPreview(QLabel):
    """The picture, mirrored, scaled to fit, with the face box (green: good, amber: not yet, red: refused)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("CameraPreview")
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAccessibleName("Camera preview")
        self._image: QImage | None = None
        self._box: tuple[float, float, float, float] | None = None
        self._tone = "wait"
        self.show_message("Starting the camera\u2026")

    def show_message(self, text: str) -> None:
        self._image = None
        self.setPixmap(QPixmap())
        self.setText(text)
        self.setAccessibleDescription(text)

    def show_frame(self, bgr: np.ndarray, box: tuple[float, float, float, float] | None = None,
                   tone: str = "wait") -> None:
        rgb = np.ascontiguousarray(bgr[:, ::-1, ::-1])  # mirrored, BGR -> RGB
        h, w = rgb.shape[:2]
        self._image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._box = (w - box[0] - box[2], box[1], box[2], box[3]) if box is not None else None
        self._tone = tone
        self._redraw()

    def set_tone(self, tone: str) -> None:
        """Recolour the face box of the last picture (ok, wait, bad)."""
        self._tone = tone
        self._redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._redraw()

    def _redraw(self) -> None:
        if self._image is None:
            return
        size = self.size()
        pixmap = QPixmap.fromImage(self._image).scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                       Qt.TransformationMode.SmoothTransformation)
        if self._box is not None:
            scale = pixmap.width() / self._image.width()
            colors = current_colors()
            color = {"ok": colors["ok"], "bad": colors["danger"]}.get(self._tone, "#f0b429")
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(color), 3))
            x, y, w, h = (v * scale for v in self._box)
            painter.drawRoundedRect(QRectF(x, y, w, h), 8, 8)
            painter.end()
        self.setText("")
        self.setPixmap(pixmap)
