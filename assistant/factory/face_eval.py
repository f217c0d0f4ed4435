"""How the face models are judged: detections against OpenCV's run of the original detector, genuine and
impostor score distributions, and the match threshold of every detector+embedder precision pair.

The pair evaluation runs the app's own pipeline (assistant.core.face.FaceVerifier: detect, align, embed)
on the evaluation photos and their augmented copies, so the threshold the app uses was measured on what
the app does. The set is tiny (12 photos of 7 people): these numbers show separation, not a false-accept
rate.

Threshold rule, per pair: when every clean genuine score is above every impostor score (clean and
augmented impostor pairs), the midpoint between the lowest clean genuine and the highest impostor score;
otherwise just above the highest impostor score. Either way no impostor pair of the set passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.inference import registry

logger = logging.getLogger(__name__)

IOU_MATCH = 0.5
THRESHOLD_STEP_ABOVE = 0.01  # overlap case: the threshold sits this far above the highest impostor score


# ------------------------------------------------------------------------------------------ detection


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def detection_metrics(found: list[list[Any]], references: list[list[Any]], miss_penalty: float) -> dict[str, float]:
    """Detections (objects with .box, .landmarks) per frame against the reference faces per frame.

    landmark_error_px: mean landmark distance (px) over reference faces, a missed one counting
    `miss_penalty`; recall: share of reference faces found (IoU >= 0.5); false_positives: detections that
    match no reference face, per frame.
    """
    errors, matched_errors, ious = [], [], []
    found_count = refs = false_pos = 0
    for dets, ref_faces in zip(found, references, strict=True):
        used: set[int] = set()
        for ref in ref_faces:
            refs += 1
            best, best_iou = -1, 0.0
            for i, det in enumerate(dets):
                if i in used:
                    continue
                value = iou(det.box, ref.box)
                if value > best_iou:
                    best, best_iou = i, value
            if best >= 0 and best_iou >= IOU_MATCH:
                used.add(best)
                found_count += 1
                err = float(np.mean(np.linalg.norm(np.asarray(dets[best].landmarks) - ref.landmarks, axis=1)))
                errors.append(err)
                matched_errors.append(err)
                ious.append(best_iou)
            else:
                errors.append(miss_penalty)
        false_pos += len(dets) - len(used)
    return {
        "landmark_error_px": round(float(np.mean(errors)) if errors else 0.0, 4),
        "landmark_error_max_px": round(float(np.max(matched_errors)) if matched_errors else 0.0, 3),
        "recall": round(found_count / refs, 4) if refs else 1.0,
        "false_positives_per_frame": round(false_pos / max(1, len(found)), 4),
        "box_iou": round(float(np.mean(ious)) if ious else 0.0, 4),
        "reference_faces": float(refs),
    }


# --------------------------------------------------------------------------------------- verification


@dataclass
class Scores:
    genuine_clean: list[float]
    genuine_augmented: list[float]
    impostor: list[float]
    missing: int = 0  # pairs that could not be scored (no face found on one side)


def _describe(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    arr = np.asarray(values, dtype=np.float64)
    return {"n": int(arr.size), "min": round(float(arr.min()), 4), "mean": round(float(arr.mean()), 4),
            "max": round(float(arr.max()), 4), "std": round(float(arr.std()), 4)}


def equal_error_rate(genuine: list[float], impostor: list[float]) -> float:
    """The error rate where false accepts and false rejects are equal (0 when the scores separate)."""
    if not genuine or not impostor:
        return float("nan")
    g, i = np.sort(genuine), np.sort(impostor)
    best = 1.0
    for t in np.unique(np.concatenate([g, i, [g.min() - 1e-6, i.max() + 1e-6]])):
        frr = float(np.mean(g < t))
        far = float(np.mean(i >= t))
        best = min(best, max(frr, far))
    return best


def separation(genuine: list[float], impostor: list[float]) -> float:
    """(lowest genuine - highest impostor) in units of the scores' pooled spread (positive: separated)."""
    if not genuine or not impostor:
        return float("nan")
    spread = float(np.sqrt((np.var(genuine) + np.var(impostor)) / 2)) or 1e-9
    return (min(genuine) - max(impostor)) / spread


def choose_threshold(scores: Scores) -> float:
    """See the module docstring."""
    top_impostor = max(scores.impostor) if scores.impostor else 0.0
    if scores.genuine_clean and min(scores.genuine_clean) > top_impostor:
        return (min(scores.genuine_clean) + top_impostor) / 2
    return top_impostor + THRESHOLD_STEP_ABOVE


def verification_stats(scores: Scores, threshold: float | None = None) -> dict[str, Any]:
    genuine = scores.genuine_clean + scores.genuine_augmented
    threshold = choose_threshold(scores) if threshold is None else threshold
    top_impostor = max(scores.impostor) if scores.impostor else float("nan")

    def accepted(values: list[float]) -> float:
        return round(float(np.mean([v >= threshold for v in values])), 4) if values else float("nan")

    return {
        "threshold": round(float(threshold), 4),
        "genuine_clean": _describe(scores.genuine_clean),
        "genuine_augmented": _describe(scores.genuine_augmented),
        "impostor": _describe(scores.impostor),
        "eer": round(equal_error_rate(genuine, scores.impostor), 4),
        "eer_clean": round(equal_error_rate(scores.genuine_clean, scores.impostor), 4),
        "zero_impostor_threshold": round(float(top_impostor) + 1e-4, 4),
        "gar_at_zero_impostor": round(float(np.mean([v > top_impostor for v in genuine])), 4) if genuine else float("nan"),
        "gar_clean": accepted(scores.genuine_clean),
        "gar_augmented": accepted(scores.genuine_augmented),
        "separation_clean": round(separation(scores.genuine_clean, scores.impostor), 3),
        "separation_all": round(separation(genuine, scores.impostor), 3),
        "unscored_pairs": scores.missing,
    }


def pair_scores(embeddings: dict[tuple[str, str], np.ndarray | None], photos: list[Any],
                copies: list[Any]) -> Scores:
    """Cosine scores of face_data.pairs() from embeddings keyed by (photo key, augmentation)."""
    from assistant.factory import face_data

    out = Scores([], [], [])
    for pair in face_data.pairs(photos, copies):
        a = embeddings.get((photos[pair.a].key, ""))
        other = copies[pair.b] if pair.augmented else photos[pair.b]
        b = embeddings.get((other.key, other.augmentation))
        if a is None or b is None:
            out.missing += 1
            continue
        score = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        if not pair.genuine:
            out.impostor.append(score)
        elif pair.augmented:
            out.genuine_augmented.append(score)
        else:
            out.genuine_clean.append(score)
    return out


# ------------------------------------------------------------------------------------- the pairs step


PAIRS_METHOD = (
    "the app's own pipeline (assistant.core.face.FaceVerifier) per detector+embedder precision pair, one "
    "thread, on the evaluation photos and their labelled augmentations; threshold: midpoint between the "
    "lowest clean genuine score and the highest impostor score when they separate, else just above the "
    "highest impostor score; a tiny set: a separation check, not a false-accept estimate"
)


def evaluate_pairs(models_dir: Path, work_dir: Path, quick: bool) -> dict[str, dict[str, Any]]:
    """Every shipped detector precision (and the Haar fallback) x every shipped embedder precision.

    Returns the manifest update {"face_embedder": {"pairs": ..., "pairs_method": ...}}, or {} when one of
    the two models is not in the manifest yet.
    """
    from assistant.core.face.detector import HAAR, HaarDetector, YuNetDetector
    from assistant.core.face.embedder import FaceEmbedder
    from assistant.core.face.verifier import FaceVerifier
    from assistant.core.inference.catalog import Catalog
    from assistant.factory import face_data

    catalog = Catalog.load(models_dir)
    if registry.FACE_DETECTOR not in catalog.models or registry.FACE_EMBEDDER not in catalog.models:
        return {}
    evaluation = face_data.load(face_data.data_dir(work_dir))
    kinds = face_data.AUGMENTATIONS[:2] if quick else face_data.AUGMENTATIONS
    copies = face_data.augmented(evaluation.photos, kinds)
    detectors: list[str] = [v.precision for v in catalog.model(registry.FACE_DETECTOR).shipped()] + [HAAR]
    embedders = [v.precision for v in catalog.model(registry.FACE_EMBEDDER).shipped()]
    results: dict[str, Any] = {}
    for det_precision in detectors:
        detector = HaarDetector.from_catalog(catalog) if det_precision == HAAR else YuNetDetector(det_precision, catalog)
        for emb_precision in embedders:
            verifier = FaceVerifier(catalog=catalog, detector=detector, embedder=FaceEmbedder(emb_precision, catalog))
            embeddings: dict[tuple[str, str], np.ndarray | None] = {}
            timings: dict[str, list[float]] = {"detect": [], "align_embed": [], "total": []}
            for photo in evaluation.photos + copies:
                frame, _ = face_data.letterbox(photo.image)
                result = verifier.analyse(frame)
                embeddings[(photo.key, photo.augmentation)] = result.embedding
                for k in timings:
                    timings[k].append(result.ms[k])
            scores = pair_scores(embeddings, evaluation.photos, copies)
            stats = verification_stats(scores)
            stats["ms_per_frame"] = {k: round(float(np.median(v)), 3) for k, v in timings.items()}
            stats["faces_found"] = round(float(np.mean([e is not None for e in embeddings.values()])), 4)
            results[f"{det_precision}+{emb_precision}"] = stats
            logger.info("face pair %s+%s: threshold %.3f, separation %.2f, %.1f ms/frame", det_precision,
                        emb_precision, stats["threshold"], stats["separation_clean"], stats["ms_per_frame"]["total"])
    return {registry.FACE_EMBEDDER: {"pairs": results, "pairs_method": PAIRS_METHOD,
                                     "pairs_measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
