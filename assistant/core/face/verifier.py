"""The whole face pipeline: frame -> faces -> quality verdict -> aligned crop -> embedding -> score.

`FaceVerifier.enrol(frames)` judges every frame (with the reason for each one it refuses) and averages
the good ones into a template; `verify(frames)` scores frames against the template and matches when a
score reaches the threshold the factory measured for this detector+embedder precision pair (the
manifest's `pairs` of the face_embedder model). There is no built-in threshold: without a measured one
verification refuses to run, with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.face.align import align
from assistant.core.face.detector import Face, FaceDetector, FaceModelError, as_bgr, load_detector
from assistant.core.face.embedder import MODEL_NAME as EMBEDDER
from assistant.core.face.embedder import FaceEmbedder, l2_normalise
from assistant.core.face.frames import Frame
from assistant.core.face.quality import FrameVerdict, QualityLimits, judge
from assistant.core.face.template import FaceTemplate

if TYPE_CHECKING:
    from assistant.core.inference.catalog import Catalog

logger = logging.getLogger(__name__)

BLACK_LEVEL = 12.0  # mean grey level below which a frame counts as black (covered camera)


@dataclass
class FrameResult:
    """One frame through the pipeline. `score` is set when the frame was compared with a template."""

    index: int
    name: str = ""
    faces: int = 0
    face: Face | None = None
    verdict: FrameVerdict | None = None
    embedding: np.ndarray | None = None
    score: float | None = None
    ms: dict[str, float] = field(default_factory=dict)  # detect, align_embed, total
    reason: str = ""

    @property
    def usable(self) -> bool:
        return self.embedding is not None

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "name": self.name, "faces": self.faces, "score": self.score,
                "reason": self.reason, "face": self.face.as_dict() if self.face else None,
                "ms": {k: round(v, 2) for k, v in self.ms.items()}}


@dataclass
class EnrolResult:
    ok: bool
    reason: str
    template: FaceTemplate | None = None
    used: int = 0
    frames: list[FrameResult] = field(default_factory=list)


@dataclass
class VerifyResult:
    match: bool
    score: float | None
    threshold: float | None
    precision: str  # "detector+embedder", e.g. "fp32+dynamic"
    ms_per_frame: float
    frames: int
    reason: str
    details: list[FrameResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"match": self.match, "score": None if self.score is None else round(self.score, 4),
                "threshold": self.threshold, "precision": self.precision,
                "ms_per_frame": round(self.ms_per_frame, 2), "frames": self.frames, "reason": self.reason}


def measured_threshold(catalog: Catalog, pair: str) -> dict[str, float]:
    """The factory's evaluation of one precision pair ({"threshold": ..., ...}); FaceModelError if none."""
    info = catalog.models.get(EMBEDDER)
    pairs = (info.extra.get("pairs") or {}) if info is not None else {}
    entry = pairs.get(pair) if isinstance(pairs, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("threshold"), int | float):
        known = ", ".join(sorted(pairs)) if isinstance(pairs, dict) and pairs else "none"
        raise FaceModelError(f"the factory measured no match threshold for the {pair} precision pair "
                             f"(measured: {known}); rebuild the face models")
    return entry


class FaceVerifier:
    """Detector + embedder at the policy's (or given) precisions, with the measured threshold of the pair."""

    def __init__(self, detector_precision: str | None = None, embedder_precision: str | None = None,
                 catalog: Catalog | None = None, limits: QualityLimits | None = None, num_threads: int = 1,
                 detector: FaceDetector | None = None, embedder: FaceEmbedder | None = None):
        from assistant.core.inference.catalog import Catalog

        self.catalog = catalog if catalog is not None else Catalog.load()
        self.detector = detector or load_detector(detector_precision, self.catalog, num_threads)
        self.embedder = embedder or FaceEmbedder(embedder_precision, self.catalog, num_threads)
        self.limits = limits or QualityLimits()

    @property
    def pair(self) -> str:
        return f"{self.detector.precision}+{self.embedder.precision}"

    def threshold(self) -> float:
        return float(measured_threshold(self.catalog, self.pair)["threshold"])

    def analyse(self, image: np.ndarray, index: int = 0, name: str = "", live: bool = False,
                enrolling: bool = False) -> FrameResult:
        """Detect, judge and (when usable) embed one frame."""
        result = FrameResult(index, name)
        start = time.perf_counter()
        frame = as_bgr(image)
        faces = self.detector.detect(frame)
        t_detect = time.perf_counter()
        result.faces = len(faces)
        result.ms["detect"] = (t_detect - start) * 1000
        crop = align(frame, faces[0].landmarks) if len(faces) == 1 else None
        if enrolling:
            verdict = judge(frame, faces, crop, live=live, limits=self.limits)
        elif not faces:
            verdict = FrameVerdict(False, "no_face", "no face found", None, 0)
        elif len(faces) > 1:
            verdict = FrameVerdict(False, "several_faces",
                                   f"{len(faces)} faces found: only one person should be in view", faces[0], len(faces))
        else:
            verdict = FrameVerdict(True, "ok", "good", faces[0], 1)
        if verdict.code == "no_face" and float(np.mean(frame)) < BLACK_LEVEL:
            verdict = FrameVerdict(False, "no_face", "the picture is black (is the camera covered?)", None, 0)
        result.verdict, result.face = verdict, verdict.face
        if verdict.ok and crop is not None:
            result.embedding = self.embedder.embed(crop)
        else:
            result.reason = verdict.reason
        end = time.perf_counter()
        result.ms["align_embed"] = (end - t_detect) * 1000
        result.ms["total"] = (end - start) * 1000
        return result

    def enrol(self, frames: Iterable[Frame], name: str = "", wanted: int = 5, live: bool = False) -> EnrolResult:
        """Average up to `wanted` good frames into a template (at least one is needed)."""
        judged: list[FrameResult] = []
        good: list[np.ndarray] = []
        for frame in frames:
            if frame.image is None:
                judged.append(FrameResult(frame.index, frame.name, reason=frame.error or "no picture"))
                continue
            result = self.analyse(frame.image, frame.index, frame.name, live=live, enrolling=True)
            judged.append(result)
            if result.embedding is not None:
                good.append(result.embedding)
                if len(good) >= wanted:
                    break
        if not good:
            reasons = "; ".join(dict.fromkeys(r.reason for r in judged if r.reason)) or "no picture"
            return EnrolResult(False, f"no usable picture of a face ({reasons})", None, 0, judged)
        return EnrolResult(True, f"enrolled from {len(good)} picture{'s' if len(good) > 1 else ''}",
                           self.make_template(good, name), len(good), judged)

    def make_template(self, embeddings: list[np.ndarray], name: str = "") -> FaceTemplate:
        """The enrolled face from the embeddings of good frames: their normalised mean."""
        mean = l2_normalise(np.mean(np.stack(embeddings), axis=0))
        variant = self.catalog.model(EMBEDDER).variants.get(self.embedder.precision)
        return FaceTemplate(mean.astype(float).round(7).tolist(), name, len(embeddings), self.detector.precision,
                            self.embedder.precision, variant.sha256 if variant else "")

    def verify(self, frames: Iterable[Frame], template: FaceTemplate, stop_on_match: bool = True) -> VerifyResult:
        """Score frames against the template; a match when a score reaches the measured threshold."""
        threshold = self.threshold()
        reference = l2_normalise(template.vector)
        results: list[FrameResult] = []
        for frame in frames:
            if frame.image is None:
                results.append(FrameResult(frame.index, frame.name, reason=frame.error or "no picture"))
                continue
            result = self.analyse(frame.image, frame.index, frame.name)
            if result.embedding is not None:
                if result.embedding.shape != reference.shape:
                    raise FaceModelError("the stored face was made by another face model; enrol again")
                result.score = float(np.dot(result.embedding, reference))
            results.append(result)
            if stop_on_match and result.score is not None and result.score >= threshold:
                break
        return self._summary(results, threshold)

    def _summary(self, results: list[FrameResult], threshold: float) -> VerifyResult:
        scored = [r for r in results if r.score is not None]
        timed = [r.ms["total"] for r in results if "total" in r.ms]
        ms = float(np.mean(timed)) if timed else 0.0
        if not scored:
            reasons = "; ".join(dict.fromkeys(f"{r.name + ': ' if r.name else ''}{r.reason}" for r in results if r.reason))
            return VerifyResult(False, None, threshold, self.pair, ms, len(results),
                                reasons or "no picture to verify", results)
        best = max(scored, key=lambda r: r.score or 0.0)
        score = float(best.score or 0.0)
        if score >= threshold:
            reason = f"matches the enrolled face (score {score:.3f} >= threshold {threshold:.3f})"
        else:
            reason = f"not the enrolled face (best score {score:.3f} < threshold {threshold:.3f})"
        return VerifyResult(score >= threshold, score, threshold, self.pair, ms, len(results), reason, results)
