"""Finding faces and their five landmarks in a frame.

`YuNetDetector` runs the face_detector model (YuNet, from OpenCV Zoo, rebuilt and quantized by the
factory) at the precision the policy chose, and decodes its three outputs in numpy the way OpenCV's
FaceDetectorYN does: per anchor a score sqrt(cls * obj), a box and five landmarks relative to the anchor's
grid cell, then non-maximum suppression. Frames of any size are letterboxed into the model's fixed input.
`HaarDetector` is the no-model fallback (OpenCV's frontal-face cascade): boxes only, landmarks placed at
the positions the factory measured relative to the box.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.core.inference import registry

if TYPE_CHECKING:
    from assistant.core.inference.catalog import Catalog, ModelInfo

logger = logging.getLogger(__name__)

MODEL_NAME = registry.FACE_DETECTOR
HAAR = "haar"
# Landmarks relative to a Haar box (x, y as fractions of the box's width and height), used only when the
# manifest has no measured ones (the factory fits them on its evaluation photos).
HAAR_LANDMARKS_DEFAULT = ((0.31, 0.39), (0.69, 0.39), (0.50, 0.58), (0.35, 0.77), (0.65, 0.77))


class FaceModelError(RuntimeError):
    """The face models cannot be used; the message says why, in words."""


@dataclass(frozen=True)
class Face:
    """One face in frame pixels. Landmarks (5 x 2): right eye, left eye, nose tip, right and left mouth
    corner (the person's right, so the image's left)."""

    box: tuple[float, float, float, float]  # x, y, width, height
    landmarks: np.ndarray
    score: float

    @property
    def center(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2

    def as_dict(self) -> dict[str, object]:
        return {"box": [round(float(v), 1) for v in self.box], "score": round(float(self.score), 4),
                "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks]}


class FaceDetector(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def precision(self) -> str: ...

    def detect(self, frame_bgr: np.ndarray) -> list[Face]: ...


def letterbox(frame: np.ndarray, width: int, height: int) -> tuple[np.ndarray, float]:
    """`frame` scaled to fit width x height (aspect kept), padded right and bottom with black; the scale."""
    import cv2

    h, w = frame.shape[:2]
    scale = min(width / w, height / h)
    if abs(scale - 1.0) < 1e-9 and (w, h) == (width, height):
        return frame, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    out[: resized.shape[0], : resized.shape[1]] = resized
    return out, scale


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """3-channel uint8 BGR from grey or BGRA input (cameras and files deliver all three)."""
    import cv2

    frame = np.asarray(frame)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame if frame.dtype == np.uint8 else np.clip(frame, 0, 255).astype(np.uint8)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, top_k: int = 50) -> list[int]:
    """Indices kept by greedy non-maximum suppression (IoU above `threshold` suppresses), best first."""
    order = list(np.argsort(-scores))
    keep: list[int] = []
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    areas = np.maximum(0.0, boxes[:, 2]) * np.maximum(0.0, boxes[:, 3])
    while order and len(keep) < top_k:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.array(order)
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        iou = inter / np.maximum(1e-9, areas[i] + areas[rest] - inter)
        order = [int(j) for j, v in zip(rest, iou, strict=True) if v <= threshold]
    return keep


@dataclass(frozen=True)
class DetectorConfig:
    """The decoding facts of the detector model, from its manifest entry (written by the factory)."""

    width: int
    height: int
    strides: tuple[int, ...]
    score_threshold: float
    nms_threshold: float

    @classmethod
    def from_model(cls, info: ModelInfo) -> DetectorConfig:
        cfg = info.extra.get("detector") or {}
        try:
            width, height = (int(v) for v in cfg["input_size"])
            return cls(width, height, tuple(int(s) for s in cfg["strides"]), float(cfg["score_threshold"]),
                       float(cfg["nms_threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise FaceModelError(f"the face detector's manifest entry lacks its decoding facts ({exc})") from exc

    def anchors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per output row: grid column, grid row and stride (rows are stride by stride, row-major)."""
        cols, rows, strides = [], [], []
        for s in self.strides:
            gh, gw = self.height // s, self.width // s
            r, c = np.divmod(np.arange(gh * gw), gw)
            cols.append(c)
            rows.append(r)
            strides.append(np.full(gh * gw, s))
        return (np.concatenate(cols).astype(np.float32), np.concatenate(rows).astype(np.float32),
                np.concatenate(strides).astype(np.float32))


def decode(scores: np.ndarray, boxes: np.ndarray, kps: np.ndarray, config: DetectorConfig,
           anchors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> list[Face]:
    """Faces from the raw outputs ([N,2] cls/obj, [N,4] box, [N,10] landmarks) in model-input pixels."""
    col, row, stride = anchors if anchors is not None else config.anchors()
    score = np.sqrt(np.clip(scores[:, 0], 0, 1) * np.clip(scores[:, 1], 0, 1))
    hit = np.nonzero(score >= config.score_threshold)[0]
    if hit.size == 0:
        return []
    c, r, s = col[hit], row[hit], stride[hit]
    b = boxes[hit]
    cx, cy = (c + b[:, 0]) * s, (r + b[:, 1]) * s
    w, h = np.exp(b[:, 2]) * s, np.exp(b[:, 3]) * s
    xywh = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    k = kps[hit].reshape(-1, 5, 2)
    points = np.stack([(k[:, :, 0] + c[:, None]) * s[:, None], (k[:, :, 1] + r[:, None]) * s[:, None]], axis=2)
    keep = nms(xywh, score[hit], config.nms_threshold)
    return [Face(_box(xywh[i]), points[i].astype(np.float64), float(score[hit][i])) for i in keep]


def _box(values) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in values)
    return x, y, w, h


class YuNetDetector:
    """The face_detector model at one precision (None = the policy's choice). Thread-safe."""

    name = "yunet"

    def __init__(self, precision: str | None = None, catalog: Catalog | None = None, num_threads: int = 1):
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.engine import Engine, EngineError

        self.catalog = catalog if catalog is not None else Catalog.load()
        try:
            self.engine = Engine(MODEL_NAME, precision=precision, catalog=self.catalog, num_threads=num_threads)
        except EngineError as exc:
            raise FaceModelError(str(exc)) from exc
        self.config = DetectorConfig.from_model(self.catalog.model(MODEL_NAME))
        self._anchors = self.config.anchors()
        self._lock = threading.Lock()

    @property
    def precision(self) -> str:
        return self.engine.precision

    def set_precision(self, precision: str | None) -> str:
        return self.engine.set_precision(precision)

    def detect(self, frame_bgr: np.ndarray) -> list[Face]:
        frame = as_bgr(frame_bgr)
        boxed, scale = letterbox(frame, self.config.width, self.config.height)
        with self._lock:
            outputs = self.engine.run(boxed[None].astype(np.float32))
        by_width = {o.shape[-1]: o[0] for o in outputs}
        try:
            scores, boxes, kps = by_width[2], by_width[4], by_width[10]
        except KeyError as exc:
            raise FaceModelError(f"the face detector's outputs are not the expected ones ({exc})") from exc
        faces = decode(scores, boxes, kps, self.config, self._anchors)
        if scale != 1.0:
            faces = [Face(_box(np.asarray(f.box) / scale), f.landmarks / scale, f.score) for f in faces]
        return faces


class HaarDetector:
    """OpenCV's Haar cascade: the classic baseline, used when the detector model cannot load."""

    name = HAAR
    precision = HAAR

    def __init__(self, landmarks: tuple[tuple[float, float], ...] | None = None, min_size: int = 40):
        import cv2

        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise FaceModelError(f"OpenCV's face cascade is missing ({path})")
        self.relative = np.asarray(landmarks or HAAR_LANDMARKS_DEFAULT, dtype=np.float64)
        self.min_size = min_size
        self._lock = threading.Lock()

    @classmethod
    def from_catalog(cls, catalog: Catalog | None) -> HaarDetector:
        measured = None
        if catalog is not None and MODEL_NAME in catalog.models:
            measured = (catalog.model(MODEL_NAME).extra.get("haar") or {}).get("landmarks")
        try:
            return cls(tuple((float(x), float(y)) for x, y in measured) if measured else None)
        except (TypeError, ValueError):
            return cls()

    def detect(self, frame_bgr: np.ndarray) -> list[Face]:
        import cv2

        grey = cv2.cvtColor(as_bgr(frame_bgr), cv2.COLOR_BGR2GRAY)
        with self._lock:
            found = self._cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5,
                                                   minSize=(self.min_size, self.min_size))
        faces = []
        for x, y, w, h in (found if len(found) else []):
            points = np.column_stack([x + self.relative[:, 0] * w, y + self.relative[:, 1] * h])
            faces.append(Face((float(x), float(y), float(w), float(h)), points, 1.0))
        return sorted(faces, key=lambda f: -f.box[2] * f.box[3])


def load_detector(precision: str | None = None, catalog: Catalog | None = None, num_threads: int = 1,
                  allow_fallback: bool = True) -> FaceDetector:
    """The YuNet detector, or (when it cannot load and `allow_fallback`) the Haar cascade, logged."""
    if precision == HAAR:
        return HaarDetector.from_catalog(catalog)
    try:
        return YuNetDetector(precision, catalog, num_threads)
    except FaceModelError as exc:
        if not allow_fallback:
            raise
        logger.warning("face detector model unavailable (%s); using the Haar cascade", exc)
        return HaarDetector.from_catalog(catalog)
