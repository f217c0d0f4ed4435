"""The camera loop: frames read on one thread, processed on another, results handed to a callback.

DESIGN.md habit 4: each loop has its own thread and a stop event; frames pass through a small
`queue.Queue` where the newest frame wins (a slow model never makes the preview lag behind); `stop()`
sets the event, drains the queue and joins both threads. A source that cannot be opened, or that fails
mid-stream (camera unplugged, taken by another program), is reported once and opened again every
`retry_s` seconds, so plugging the camera back in works without a restart. Nothing here blocks the
caller: the UI starts and stops it from the GUI thread and gets events through its own adapter.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.core.face.frames import Frame, FrameSource, FrameSourceError

logger = logging.getLogger(__name__)


@dataclass
class StreamEvent:
    kind: str  # frame | error | recovered | ended
    frame: Frame | None = None
    result: Any = None
    message: str = ""


class FrameStream:
    """open_source() -> a FrameSource; process(frame) -> a result (on the processing thread); on_event(event)."""

    def __init__(self, open_source: Callable[[], FrameSource], process: Callable[[Frame], Any],
                 on_event: Callable[[StreamEvent], None], retry_s: float = 2.0, pace: bool = False):
        self._open = open_source
        self._process = process
        self._on_event = on_event
        self.retry_s = retry_s
        self.pace = pace  # file sources: deliver at their own frame rate, like a camera
        self._stop = threading.Event()
        self._queue: queue.Queue[Frame | None] = queue.Queue(maxsize=2)
        self._threads: list[threading.Thread] = []
        self._source: FrameSource | None = None
        self.frames_read = 0
        self.frames_processed = 0

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._threads = [threading.Thread(target=self._read_loop, name="assistant-camera", daemon=True),
                         threading.Thread(target=self._process_loop, name="assistant-face", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads and release the source; returns within `timeout` seconds."""
        self._stop.set()
        self._drain()
        self._put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s did not stop within %.1f s", thread.name, timeout)
        self._drain()
        self._close()

    # -- threads ---------------------------------------------------------------------------------------
    def _emit(self, event: StreamEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken receiver must not kill the camera loop
            logger.exception("stream event handler failed")

    def _close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception as exc:  # noqa: BLE001
                logger.debug("closing the source: %s", exc)

    def _put(self, frame: Frame | None) -> None:
        while True:
            try:
                self._queue.put_nowait(frame)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()  # drop the oldest: the newest frame wins
                except queue.Empty:
                    pass

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _read_loop(self) -> None:
        last_error = ""
        while not self._stop.is_set():
            if self._source is None:
                try:
                    self._source = self._open()
                except FrameSourceError as exc:
                    if str(exc) != last_error:
                        last_error = str(exc)
                        self._emit(StreamEvent("error", message=last_error))
                    self._stop.wait(self.retry_s)
                    continue
                except Exception as exc:  # noqa: BLE001 - any failure to open is reported the same way
                    logger.exception("opening the picture source failed")
                    self._emit(StreamEvent("error", message=f"the camera could not be opened ({exc})"))
                    self._stop.wait(self.retry_s)
                    continue
                if last_error:
                    last_error = ""
                    self._emit(StreamEvent("recovered", message=f"{self._source.describe()} is back"))
                started = time.monotonic()
            try:
                frame = self._source.read()
            except FrameSourceError as exc:
                self._close()
                last_error = str(exc)
                self._emit(StreamEvent("error", message=last_error))
                self._stop.wait(self.retry_s)
                continue
            except Exception as exc:  # noqa: BLE001
                logger.exception("reading a frame failed")
                self._close()
                last_error = f"the camera failed ({exc})"
                self._emit(StreamEvent("error", message=last_error))
                self._stop.wait(self.retry_s)
                continue
            if frame is None:  # the end of a file
                self._put(None)
                return
            self.frames_read += 1
            if self.pace:
                delay = frame.timestamp - (time.monotonic() - started)
                if delay > 0 and self._stop.wait(delay):
                    return
            self._put(frame)

    def _process_loop(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if frame is None:
                if not self._stop.is_set():
                    self._emit(StreamEvent("ended", message="the end of the video"))
                return
            if frame.image is None:
                continue
            try:
                result = self._process(frame)
            except Exception as exc:  # noqa: BLE001 - a model failing on one frame must not end the loop
                logger.exception("processing a frame failed")
                self._emit(StreamEvent("error", frame=frame, message=f"the face models failed on a picture ({exc})"))
                continue
            self.frames_processed += 1
            self._emit(StreamEvent("frame", frame, result))
