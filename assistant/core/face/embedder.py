"""Face embeddings: the face_embedder model (SFace, 128-d) on an aligned 112x112 crop.

The model takes RGB pixels 0-255 (it scales them itself, as the original ONNX does); the embedding is
L2-normalised here in numpy, outside the model, so a quantized variant can never flip or rescale it
unnoticed (DESIGN.md: an int16x8 fallback once negated every embedding).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.face.detector import FaceModelError
from assistant.core.inference import registry

if TYPE_CHECKING:
    from assistant.core.inference.catalog import Catalog

MODEL_NAME = registry.FACE_EMBEDDER


def l2_normalise(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(l2_normalise(a), l2_normalise(b)))


class FaceEmbedder:
    """The face_embedder model at one precision (None = the policy's choice). Thread-safe."""

    def __init__(self, precision: str | None = None, catalog: Catalog | None = None, num_threads: int = 1):
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.engine import Engine, EngineError

        self.catalog = catalog if catalog is not None else Catalog.load()
        try:
            self.engine = Engine(MODEL_NAME, precision=precision, catalog=self.catalog, num_threads=num_threads)
        except EngineError as exc:
            raise FaceModelError(str(exc)) from exc
        self._lock = threading.Lock()

    @property
    def precision(self) -> str:
        return self.engine.precision

    def set_precision(self, precision: str | None) -> str:
        return self.engine.set_precision(precision)

    def embed(self, crop_bgr: np.ndarray) -> np.ndarray:
        """The unit-length embedding of an aligned 112x112 BGR crop."""
        rgb = np.ascontiguousarray(crop_bgr[:, :, ::-1], dtype=np.float32)
        with self._lock:
            out = self.engine.run(rgb[None])[0]
        return l2_normalise(out)
