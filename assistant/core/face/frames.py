"""Where face pictures come from: a camera (OpenCV, by index), a video file, an image file or a folder of
images. Tests and demos use the files; the app uses the camera. Every failure is a `FrameSourceError`
whose message is meant for the user: no camera, camera busy, camera unplugged, an unreadable file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpeg", ".mjpg", ".ogv")
MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000
CAMERA_READ_FAILURES = 5  # consecutive failed reads before the camera counts as gone


class FrameSourceError(RuntimeError):
    """A picture source cannot be opened or stopped working; the message says why, in words."""


@dataclass
class Frame:
    """One picture (BGR, uint8) or, for a damaged file in a folder, the reason it could not be read."""

    image: np.ndarray | None
    index: int
    timestamp: float  # seconds since the source opened (video: the frame's time in the clip)
    name: str = ""  # the file, for image files and folders
    error: str = ""


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """BGR uint8 pixels of an encoded image; FrameSourceError when it is not one (or is absurdly large)."""
    import cv2

    if not data:
        raise FrameSourceError(f"{name} is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise FrameSourceError(f"{name} is too large ({len(data) / 1e6:.0f} MB; the limit is "
                               f"{MAX_IMAGE_BYTES / 1e6:.0f} MB)")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FrameSourceError(f"{name} is not an image this app can read (damaged or another format)")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise FrameSourceError(f"{name} is too large ({image.shape[1]}x{image.shape[0]} pixels)")
    return image


def read_image(path: str | Path) -> np.ndarray:
    """The picture in `path` (any path: read as bytes, so names with odd characters work everywhere)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise FrameSourceError(f"{path} is a folder, not an image")
        data = path.read_bytes()
    except FileNotFoundError:
        raise FrameSourceError(f"{path} does not exist") from None
    except PermissionError:
        raise FrameSourceError(f"{path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise FrameSourceError(f"{path} cannot be read ({exc.strerror or exc})") from None
    return decode_image(data, path.name)


class FrameSource:
    """Base of the sources: `read()` gives the next Frame, or None at the end. Use as a context manager."""

    kind = "source"
    live = False  # a camera: frames keep coming, and the face should be centred and steady

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._index = 0

    def read(self) -> Frame | None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.kind

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def _frame(self, image: np.ndarray | None, timestamp: float | None = None, name: str = "", error: str = "") -> Frame:
        frame = Frame(image, self._index, time.monotonic() - self._started if timestamp is None else timestamp,
                      name, error)
        self._index += 1
        return frame


class CameraSource(FrameSource):
    """A camera by OpenCV index. Opening a missing or busy camera, or losing it mid-stream, raises."""

    kind = "camera"
    live = True

    def __init__(self, index: int = 0, width: int = 640, height: int = 480):
        super().__init__()
        import cv2

        self.index = int(index)
        self._cap = cv2.VideoCapture(self.index)
        if not self._cap.isOpened():
            self._cap.release()
            raise FrameSourceError(f"no camera found at index {self.index} (none connected, or another "
                                   "program is using it)")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._failures = 0

    def read(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            self._failures += 1
            if self._failures >= CAMERA_READ_FAILURES:
                raise FrameSourceError(f"camera {self.index} stopped sending pictures (unplugged, or taken by "
                                       "another program)")
            return self._frame(None, error="the camera sent no picture")
        self._failures = 0
        return self._frame(image)

    def close(self) -> None:
        self._cap.release()

    def describe(self) -> str:
        return f"camera {self.index}"


class VideoFileSource(FrameSource):
    """A video file, frame by frame (a stand-in for a camera in tests: `live=True` treats it as one)."""

    kind = "video"

    def __init__(self, path: str | Path, live: bool = False):
        super().__init__()
        import cv2

        self.path = Path(path)
        if not self.path.is_file():
            raise FrameSourceError(f"{self.path} does not exist" if not self.path.exists()
                                   else f"{self.path} is not a file")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            self._cap.release()
            raise FrameSourceError(f"{self.path.name} is not a video this app can read")
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
        self.live = live

    def read(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        return self._frame(image, timestamp=self._index / self.fps)

    def close(self) -> None:
        self._cap.release()

    def describe(self) -> str:
        return f"video {self.path.name}"


class ImageFileSource(FrameSource):
    """One image file: a single frame."""

    kind = "image"

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self._image = read_image(self.path)  # raises with the reason
        self._done = False

    def read(self) -> Frame | None:
        if self._done:
            return None
        self._done = True
        return self._frame(self._image, timestamp=0.0, name=self.path.name)

    def describe(self) -> str:
        return f"image {self.path.name}"


class ImageFolderSource(FrameSource):
    """The images of a folder in name order; a damaged one becomes a Frame with its error, not a crash."""

    kind = "folder"

    def __init__(self, path: str | Path, live: bool = False, fps: float = 10.0):
        super().__init__()
        self.path = Path(path)
        if not self.path.is_dir():
            raise FrameSourceError(f"{self.path} is not a folder")
        try:
            self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as exc:
            raise FrameSourceError(f"{self.path} cannot be listed ({exc.strerror or exc})") from None
        if not self.files:
            raise FrameSourceError(f"{self.path} holds no images ({', '.join(IMAGE_SUFFIXES[:3])}, ...)")
        self.live = live
        self.fps = fps

    def read(self) -> Frame | None:
        if self._index >= len(self.files):
            return None
        path = self.files[self._index]
        stamp = self._index / self.fps
        try:
            return self._frame(read_image(path), timestamp=stamp, name=path.name)
        except FrameSourceError as exc:
            return self._frame(None, timestamp=stamp, name=path.name, error=str(exc))

    def describe(self) -> str:
        return f"folder {self.path.name} ({len(self.files)} images)"


def open_source(spec: str | int | Path, live: bool = False) -> FrameSource:
    """A camera index ("0"), a folder of images, an image file or a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CameraSource(int(spec))
    path = Path(spec).expanduser()
    if path.is_dir():
        return ImageFolderSource(path, live=live)
    if not path.exists():
        raise FrameSourceError(f"{path} does not exist (give a camera number, an image, a video or a folder)")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return VideoFileSource(path, live=live)
    if suffix in IMAGE_SUFFIXES:
        return ImageFileSource(path)
    try:  # no telling suffix: an image if it decodes, else a video if OpenCV opens it
        return ImageFileSource(path)
    except FrameSourceError:
        return VideoFileSource(path, live=live)
