"""How numbers read in the settings pages: sizes, metrics, deltas, agreement, chart ticks."""

from __future__ import annotations

import logging

from assistant.core.appdata import fileio
from assistant.core.inference.catalog import ModelInfo

logger = logging.getLogger(__name__)


# -- formatting ------------------------------------------------------------------------------------


def human_bytes(n: int | None) -> str:
    return fileio.human_bytes(n, none="\u2013")


def is_fraction_metric(info: ModelInfo) -> bool:
    values = [info.metric_value(p) for p in info.variants]
    values = [v for v in values if v is not None]
    return bool(values) and all(0.0 <= v <= 1.0 for v in values) and info.metric.tolerance <= 1


def format_metric(info: ModelInfo, value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 100:.2f}%" if is_fraction_metric(info) else f"{value:.4g}"


def format_delta(info: ModelInfo, precision: str) -> tuple[str, float | None]:
    """Change of the task metric from fp32, as text, and the loss (positive = worse)."""
    if precision == "fp32":
        return "reference", 0.0
    ref, value = info.metric_value("fp32"), info.metric_value(precision)
    if ref is None or value is None:
        return "\u2013", None
    diff = value - ref
    loss = info.metric_loss(precision)
    text = f"{diff * 100:+.2f} pt" if is_fraction_metric(info) else f"{diff:+.4g}"
    return text.replace("-", "\u2212"), loss


def format_agreement(agreement: dict[str, float], precision: str) -> str:
    if precision == "fp32" and not agreement:
        return "reference"
    if "top1" in agreement:
        return f"{agreement['top1'] * 100:.1f}% top-1"
    if "cosine" in agreement:
        return f"cos {agreement['cosine']:.4f}"
    if agreement:
        key, value = next(iter(agreement.items()))
        return f"{key} {value:.4g}"
    return "\u2013"


def tick_label_format(lo: float, hi: float, ticks: int) -> str:
    """printf format with just enough decimals to tell neighbouring ticks apart.

    A fixed "%.3g" printed 34.65 and 34.70 both as "34.7" when the precisions' quality is that close.
    """
    step = (hi - lo) / max(1, ticks - 1)
    if step <= 0:
        return "%.3g"
    for decimals in range(7):
        if abs(round(step, decimals) - step) <= step * 1e-6:
            return f"%.{decimals}f"
    return "%.3g"
