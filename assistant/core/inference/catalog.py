"""The model catalog: what models/manifest.json says ships, and whether each file is intact.

The factory writes the manifest; this module only reads it. A missing or damaged manifest, or a variant
whose file is missing, truncated or fails its sha256, is reported with a reason (never a traceback),
and callers fall back to the next-best precision.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.appdata import paths

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "int16x8", "mixed")
PRECISION_WORDS = {
    "fp32": "32-bit float",
    "fp16": "16-bit float weights",
    "dynamic": "int8 weights, float activations",
    "int8": "full integer (int8)",
    "int16x8": "16-bit activations, int8 weights",
    "mixed": "int8 with some layers kept in float",
}
# One colour and one marker per precision wherever precisions are plotted (the settings chart, the
# report's plots): distinct, colour-blind-friendly hues (Okabe-Ito), and shapes for print.
PRECISION_COLORS = {
    "fp32": "#0072B2", "fp16": "#56B4E9", "dynamic": "#009E73", "int8": "#D55E00",
    "int16x8": "#CC79A7", "mixed": "#E69F00",
}
PRECISION_MARKERS = {"fp32": "o", "fp16": "s", "dynamic": "^", "int8": "D", "int16x8": "v", "mixed": "P"}


@dataclass(frozen=True)
class MetricInfo:
    name: str
    higher_is_better: bool = True
    tolerance: float = 0.005


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    role: str
    normalisation: str | None = None


@dataclass
class VariantInfo:
    model: str
    precision: str
    status: str  # shipped | rejected | unsupported
    path: Path | None = None
    sha256: str = ""
    bytes: int = 0
    quality: dict[str, float] = field(default_factory=dict)
    agreement: dict[str, float] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    peak_memory_bytes: int | None = None
    float_layers: list[str] = field(default_factory=list)
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shipped(self) -> bool:
        return self.status == "shipped" and self.path is not None


@dataclass
class ModelInfo:
    name: str
    task: str
    kind: str
    architecture: str = ""
    parameters: int | None = None
    sources: list[dict[str, str]] = field(default_factory=list)
    metric: MetricInfo = field(default_factory=lambda: MetricInfo("accuracy"))
    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    assets: dict[str, Path] = field(default_factory=dict)
    stateful: bool = False
    variants: dict[str, VariantInfo] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def shipped(self) -> list[VariantInfo]:
        """Shipped variants in the canonical precision order."""
        order = {p: i for i, p in enumerate(PRECISIONS)}
        found = [v for v in self.variants.values() if v.shipped]
        return sorted(found, key=lambda v: order.get(v.precision, len(order)))

    def asset_path(self, key: str) -> Path:
        if key not in self.assets:
            raise KeyError(f"model {self.name!r} has no asset {key!r} in the manifest")
        return self.assets[key]

    def metric_value(self, precision: str) -> float | None:
        variant = self.variants.get(precision)
        if variant is None:
            return None
        value = variant.quality.get(self.metric.name)
        return float(value) if value is not None else None

    def metric_loss(self, precision: str) -> float | None:
        """How much worse `precision` is than fp32 on the task metric (positive = worse)."""
        ref, value = self.metric_value("fp32"), self.metric_value(precision)
        if ref is None or value is None:
            return None
        return (ref - value) if self.metric.higher_is_better else (value - ref)

    def keeps_quality(self, precision: str) -> bool:
        """fp32, or a variant whose measured task metric is within the manifest's tolerance of fp32's."""
        if precision == "fp32":
            return True
        loss = self.metric_loss(precision)
        return loss is not None and loss <= self.metric.tolerance + 1e-12


@dataclass(frozen=True)
class VariantCheck:
    ok: bool
    reason: str = ""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class Catalog:
    """Models described by one manifest. Load with `Catalog.load()`; it never raises."""

    def __init__(self, models_dir: Path, models: dict[str, ModelInfo], problems: list[str], raw: dict):
        self.models_dir = models_dir
        self.models = models
        self.problems = problems
        self.raw = raw
        self._checks: dict[tuple[str, str], VariantCheck] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, models_dir: Path | None = None) -> Catalog:
        models_dir = Path(models_dir) if models_dir is not None else paths.models_dir()
        manifest = models_dir / "manifest.json"
        problems: list[str] = []
        raw: dict = {}
        try:
            raw = json.loads(manifest.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or not isinstance(raw.get("models", {}), dict):
                raise ValueError("top level is not an object with a 'models' object")
        except FileNotFoundError:
            problems.append(f"no model manifest at {manifest}")
            raw = {}
        except (OSError, ValueError) as exc:
            problems.append(f"model manifest {manifest} is damaged: {exc}")
            raw = {}
        models: dict[str, ModelInfo] = {}
        for name, entry in (raw.get("models") or {}).items():
            try:
                models[name] = _parse_model(name, entry, models_dir)
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
                problems.append(f"manifest entry for {name!r} is damaged: {exc}")
        for problem in problems:
            logger.info("%s", problem)
        return cls(models_dir, models, problems, raw)

    def model(self, name: str) -> ModelInfo:
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            raise KeyError(f"no model {name!r} in the catalog (known: {known})") from None

    def check(self, model: str, precision: str) -> VariantCheck:
        """Is this variant shipped, present, complete and unmodified? Cached after the first hash."""
        key = (model, precision)
        with self._lock:
            if key in self._checks:
                return self._checks[key]
        result = self._check(model, precision)
        if not result.ok:
            logger.warning("%s %s: %s", model, precision, result.reason)
        with self._lock:
            self._checks[key] = result
        return result

    def _check(self, model: str, precision: str) -> VariantCheck:
        info = self.models.get(model)
        if info is None:
            return VariantCheck(False, f"no model {model!r} in the manifest")
        variant = info.variants.get(precision)
        if variant is None:
            return VariantCheck(False, f"no {precision} variant in the manifest")
        if not variant.shipped or variant.path is None:
            return VariantCheck(False, f"{variant.status}: {variant.reason or 'not shipped'}")
        path = variant.path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return VariantCheck(False, f"file missing: {path}")
        except OSError as exc:
            return VariantCheck(False, f"file unreadable: {exc}")
        if variant.bytes and size != variant.bytes:
            what = "truncated" if size < variant.bytes else "wrong size"
            return VariantCheck(False, f"file {what}: {size} bytes, manifest says {variant.bytes}")
        try:
            digest = sha256_file(path)
        except OSError as exc:
            return VariantCheck(False, f"file unreadable: {exc}")
        if variant.sha256 and digest != variant.sha256:
            return VariantCheck(False, "checksum mismatch (file corrupt or modified)")
        return VariantCheck(True, "ok")


def _tensor(entry: dict) -> TensorInfo:
    return TensorInfo(
        name=str(entry["name"]),
        shape=tuple(int(x) for x in entry.get("shape", [])),
        dtype=str(entry.get("dtype", "float32")),
        role=str(entry.get("role", "features")),
        normalisation=entry.get("normalisation"),
    )


def _parse_model(name: str, entry: dict, models_dir: Path) -> ModelInfo:
    metric = entry.get("metric") or {}
    variants: dict[str, VariantInfo] = {}
    for precision, v in (entry.get("variants") or {}).items():
        file = v.get("file")
        variants[precision] = VariantInfo(
            model=name,
            precision=precision,
            status=str(v.get("status", "shipped" if file else "unsupported")),
            path=(models_dir / file) if file else None,
            sha256=str(v.get("sha256", "")),
            bytes=int(v.get("bytes") or 0),
            quality={k: float(x) for k, x in (v.get("quality") or {}).items() if isinstance(x, int | float)},
            agreement={k: float(x) for k, x in (v.get("agreement") or {}).items() if isinstance(x, int | float)},
            latency_ms={k: float(x) for k, x in (v.get("latency_ms") or {}).items() if isinstance(x, int | float)},
            peak_memory_bytes=v.get("peak_memory_bytes"),
            float_layers=list(v.get("float_layers") or []),
            reason=str(v.get("reason", "")),
            extra={k: x for k, x in v.items() if k not in _VARIANT_KEYS},
        )
    return ModelInfo(
        name=name,
        task=str(entry.get("task", name)),
        kind=str(entry.get("kind", "conv")),
        architecture=str(entry.get("architecture", "")),
        parameters=entry.get("parameters"),
        sources=list(entry.get("sources") or []),
        metric=MetricInfo(
            name=str(metric.get("name", "accuracy")),
            higher_is_better=bool(metric.get("higher_is_better", True)),
            tolerance=float(metric.get("tolerance", 0.005)),
        ),
        inputs=[_tensor(t) for t in entry.get("inputs") or []],
        outputs=[_tensor(t) for t in entry.get("outputs") or []],
        assets={k: models_dir / f for k, f in (entry.get("assets") or {}).items()},
        stateful=bool(entry.get("stateful", False)),
        variants=variants,
        extra={k: x for k, x in entry.items() if k not in _MODEL_KEYS},
    )


_VARIANT_KEYS = {
    "status", "file", "sha256", "bytes", "quality", "agreement", "latency_ms", "peak_memory_bytes",
    "float_layers", "reason",
}
_MODEL_KEYS = {
    "task", "kind", "architecture", "parameters", "sources", "metric", "inputs", "outputs", "assets",
    "stateful", "variants",
}
