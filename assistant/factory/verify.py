"""Is a converted variant still the model it came from? Agreement with the float source, and the verdict.

A converter can produce a model that runs and returns garbage (negated embeddings, every score 0.5,
weightless graphs). So every variant is compared with its float source on held-out inputs, and its task
metric with fp32's, before it is shipped. Pure numpy: no TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from assistant.factory.recipes.base import MetricSpec

CLASS_ROLES = ("probabilities", "logits")
MIN_TOP1 = 0.9  # below this top-1 agreement with the float model a variant is rejected
MIN_COSINE = 0.95  # same for the mean cosine of embedding outputs
MIN_ABS_METRIC_LOSS = 0.05  # the metric may lose max(5 * tolerance, this) before rejection
TOLERANCE_FACTOR = 5.0


@dataclass
class Agreement:
    """How close a variant's outputs are to the float model's, over every output."""

    top1: float | None  # worst top-1 agreement over class outputs (None: the model has none)
    max_abs_error: float
    cosine: float  # worst mean per-sample cosine over outputs
    finite: bool = True

    def as_dict(self) -> dict[str, float]:
        data = asdict(self)
        data.pop("finite")
        return {k: round(float(v), 6) for k, v in data.items() if v is not None}


def _rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(-1, 1)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _rows(a), _rows(b)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    both_zero = (na == 0) & (nb == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(a * b, axis=1) / (na * nb)
    cos = np.where(both_zero, 1.0, np.nan_to_num(cos, nan=0.0))
    return float(np.mean(cos))


def _top1(a: np.ndarray, b: np.ndarray, role: str) -> float:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[-1] == 1:  # one sigmoid unit: compare the decision
        cut = 0.5 if role == "probabilities" else 0.0
        return float(np.mean((a > cut) == (b > cut)))
    return float(np.mean(np.argmax(a, axis=-1) == np.argmax(b, axis=-1)))


def agreement(reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray], roles: Sequence[str]) -> Agreement:
    """Compare outputs (one batched array per output) of a variant with the float model's."""
    if len(reference) != len(candidate):
        raise ValueError(f"{len(candidate)} outputs, the float model has {len(reference)}")
    top1: list[float] = []
    max_abs, cosine, finite = 0.0, 1.0, True
    for ref, cand, role in zip(reference, candidate, roles, strict=True):
        ref = np.asarray(ref, dtype=np.float64)
        cand = np.asarray(cand, dtype=np.float64)
        if ref.shape != cand.shape:
            raise ValueError(f"output shape {cand.shape} differs from the float model's {ref.shape}")
        if not np.all(np.isfinite(cand)):
            finite = False
            cand = np.nan_to_num(cand, nan=0.0, posinf=0.0, neginf=0.0)
        max_abs = max(max_abs, float(np.max(np.abs(ref - cand))) if ref.size else 0.0)
        cosine = min(cosine, _cosine(ref, cand))
        if role in CLASS_ROLES:
            top1.append(_top1(ref, cand, role))
    return Agreement(min(top1) if top1 else None, max_abs, cosine, finite)


def metric_loss(spec: MetricSpec, reference: float, value: float) -> float:
    """How much worse `value` is than `reference` (positive = worse), in the metric's unit."""
    return (reference - value) if spec.higher_is_better else (value - reference)


def rejection_threshold(spec: MetricSpec) -> float:
    return max(TOLERANCE_FACTOR * spec.tolerance, MIN_ABS_METRIC_LOSS)


@dataclass
class Verdict:
    shipped: bool
    reason: str | None  # why it was rejected
    loss: float | None  # metric loss vs the reference (positive = worse)
    within_tolerance: bool


def judge(
    spec: MetricSpec,
    quality: dict[str, float],
    reference_quality: dict[str, float] | None,
    agree: Agreement,
    roles: Sequence[str],
) -> Verdict:
    """Ship or reject one variant; the reason names the measured number and the limit it broke."""
    value = quality.get(spec.name)
    if value is None or not np.isfinite(value):
        return Verdict(False, f"task metric {spec.name} missing or not finite", None, False)
    reasons: list[str] = []
    if not agree.finite:
        reasons.append("outputs contain NaN or infinity")
    loss = None
    within = True
    if reference_quality is not None and spec.name in reference_quality:
        loss = metric_loss(spec, reference_quality[spec.name], value)
        within = loss <= spec.tolerance + 1e-12
        limit = rejection_threshold(spec)
        if loss > limit:
            reasons.append(f"{spec.name} loses {loss:.4f} vs fp32 (limit {limit:.4f})")
    if agree.top1 is not None and agree.top1 < MIN_TOP1:
        reasons.append(f"top-1 agreement {agree.top1:.3f} < {MIN_TOP1}")
    if "embedding" in roles and agree.cosine < MIN_COSINE:
        reasons.append(f"cosine to float {agree.cosine:.3f} < {MIN_COSINE}")
    return Verdict(not reasons, "; ".join(reasons) or None, loss, within and not reasons)
