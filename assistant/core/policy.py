"""Which precision each model runs at on this machine, and why, in words.

Rules read the hardware profile, the model's kind and the factory's measured quality (the manifest),
never a hard-coded table of models. A cached on-machine calibration (a short benchmark of the variants
that keep quality) refines "Auto"; a user override from settings always wins when the variant is usable.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core import paths
from assistant.core.catalog import Catalog, ModelInfo

if TYPE_CHECKING:
    from assistant.core.hardware import HardwareProfile
    from assistant.core.settings import Settings

logger = logging.getLogger(__name__)

LOW_MEMORY_BYTES = 2 * 1024**3
_INT8_WORDS = {
    "amx_int8": "Intel AMX int8",
    "avx512_vnni": "AVX512-VNNI",
    "avx_vnni": "AVX-VNNI",
    "i8mm": "ARM int8 matrix multiply (i8mm)",
    "asimddp": "ARM dot-product (asimddp)",
}


@dataclass
class Decision:
    model: str
    precision: str
    reason: str
    ranking: list[str] = field(default_factory=list)  # fallback order, best first
    source: str = "auto"  # auto | calibration | override | fallback


def _quality_words(info: ModelInfo, precision: str) -> str:
    loss = info.metric_loss(precision)
    if loss is None or precision == "fp32":
        return "" if precision == "fp32" else f"no measured {info.metric.name}"
    scale = 100.0 if info.metric.tolerance <= 1 else 1.0
    unit = " pt" if scale == 100.0 else ""
    if abs(loss) < 1e-9:
        return f"same {info.metric.name} as fp32"
    verb = "loses" if loss > 0 else "gains"
    return f"{verb} {abs(loss) * scale:.2f}{unit} {info.metric.name} vs fp32"


def keeps_quality(info: ModelInfo, precision: str) -> bool:
    loss = info.metric_loss(precision)
    if precision == "fp32":
        return True
    return loss is not None and loss <= info.metric.tolerance + 1e-12


def rank(info: ModelInfo, profile: HardwareProfile, calibration: dict[str, float] | None = None) -> tuple[list[str], str]:
    """Shipped precisions of `info`, best first for this machine, and the reason for the first."""
    shipped = [v.precision for v in info.shipped()]
    if not shipped:
        return [], "no shipped variant"
    good = [p for p in shipped if keeps_quality(info, p)]
    lossy = [p for p in shipped if p not in good]
    # int16x8 has no XNNPACK kernels (20-30x slower on CPUs): never an automatic first choice.
    slow = [p for p in good if p == "int16x8"]
    good = [p for p in good if p != "int16x8"]

    def latency(p: str) -> float:
        return info.variants[p].latency_ms.get("p50_1t", float("inf"))

    if calibration:
        timed = [p for p in good if p in calibration]
        if timed:
            order = sorted(timed, key=lambda p: calibration[p])
            best = order[0]
            reason = f"{best}: fastest measured on this machine ({calibration[best]:.3f} ms"
            if "fp32" in calibration and best != "fp32":
                reason += f" vs fp32 {calibration['fp32']:.3f} ms"
            reason += ")"
            q = _quality_words(info, best)
            ranking = order + [p for p in good if p not in order] + slow + lossy
            return ranking, reason + (f" and {q}" if q else "")

    int8_feature = profile.int8_accel
    small_machine = profile.ram_bytes and profile.ram_bytes < LOW_MEMORY_BYTES
    integer: list[str] = [p for p in ("int8", "mixed", "dynamic") if p in good]
    # fp16 weights are de-quantized on CPUs: same speed as fp32, only smaller on disk.
    floats: list[str] = [p for p in ("fp32", "fp16") if p in good]
    if small_machine:
        order = sorted(good, key=lambda p: info.variants[p].bytes)
        why = f"smallest variant that keeps quality; only {profile.ram_bytes / 1024**3:.1f} GB RAM"
    elif int8_feature and integer:
        order = integer + floats
        why = f"{_INT8_WORDS.get(int8_feature, int8_feature)} present"
    elif integer:
        # No int8 dot-product unit: int8 weights still cut memory traffic; take the integer
        # variant the factory measured fastest (full int8 is not always faster than dynamic).
        order = sorted(integer, key=latency) + floats
        flags = profile.cpu_flags
        simd = next((word for flag, word in (("avx2", "AVX2"), ("avx", "AVX"), ("asimd", "NEON"), ("sse4_2", "SSE4.2"))
                     if flag in flags), "basic SIMD")
        why = f"no int8 dot-product unit ({simd} only); {order[0]} was the fastest integer variant in the factory's measurements"
    else:
        order = floats
        why = "no integer variant keeps quality"
    best = order[0] if order else (slow + lossy)[0]
    q = _quality_words(info, best)
    reason = f"{best}: {why}" + (f" and {best} {q}" if q else "")
    return order + slow + lossy, reason


def _calibration_file(profile: HardwareProfile) -> Path:
    return paths.cache_dir() / f"calibration-{profile.fingerprint}.json"


def load_calibration(profile: HardwareProfile, catalog: Catalog) -> dict[str, dict[str, float]]:
    """{model: {precision: p50 ms}} measured on this machine for these very files, or {}."""
    path = _calibration_file(profile)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    result: dict[str, dict[str, float]] = {}
    for model, entry in (raw.get("models") or {}).items():
        info = catalog.models.get(model)
        if info is None:
            continue
        times = {}
        for precision, row in (entry or {}).items():
            variant = info.variants.get(precision)
            if variant is not None and variant.sha256 == row.get("sha256") and "p50_ms" in row:
                times[precision] = float(row["p50_ms"])
        if times:
            result[model] = times
    return result


def save_calibration(profile: HardwareProfile, catalog: Catalog, times: dict[str, dict[str, float]]) -> Path:
    from assistant.core.fileio import atomic_write

    models = {
        model: {p: {"p50_ms": t, "sha256": catalog.model(model).variants[p].sha256} for p, t in per.items()}
        for model, per in times.items()
    }
    path = _calibration_file(profile)
    atomic_write(path, json.dumps({"fingerprint": profile.fingerprint, "models": models}, indent=2))
    return path


def calibrate(catalog: Catalog, profile: HardwareProfile, runs: int = 30, progress=None, cancel=None) -> Path:
    """Benchmark the quality-keeping variants briefly (1 thread) and cache the result per machine."""
    from assistant.core.bench import time_runner

    jobs = [
        (m.name, p)
        for m in catalog.models.values()
        for p in [v.precision for v in m.shipped()]
        if keeps_quality(m, p) and p != "int16x8" and catalog.check(m.name, p).ok
    ]
    times: dict[str, dict[str, float]] = {}
    for i, (model, precision) in enumerate(jobs):
        if cancel is not None and cancel.is_set():
            break
        if progress:
            progress(i, len(jobs), f"{model} {precision}")
        path = catalog.model(model).variants[precision].path
        if path is None:  # checked above; a variant without a file cannot be timed
            continue
        stats = time_runner(path, num_threads=1, runs=runs, warmup=5)
        times.setdefault(model, {})[precision] = stats.p50_ms
    if progress:
        progress(len(jobs), len(jobs), "done")
    return save_calibration(profile, catalog, times)


def select(
    model: str,
    catalog: Catalog | None = None,
    profile: HardwareProfile | None = None,
    settings: Settings | None = None,
    override: str | None = None,
) -> Decision:
    """The precision `model` should run at, with the reason in words and a fallback ranking."""
    catalog = catalog if catalog is not None else Catalog.load()
    profile = profile if profile is not None else _profile()
    if settings is None:
        from assistant.core.settings import load_settings

        settings = load_settings()[0]
    info = catalog.models.get(model)
    if info is None:
        return Decision(model, "", f"model {model!r} is not in the catalog")
    calibration = load_calibration(profile, catalog).get(model) if settings.use_calibration else None
    ranking, reason = rank(info, profile, calibration)
    source = "calibration" if calibration and reason and "measured on this machine" in reason else "auto"
    wanted = override or settings.override_for(model)
    if wanted:
        if wanted in ranking:
            q = _quality_words(info, wanted)
            return Decision(model, wanted, f"{wanted}: chosen in settings" + (f" ({q})" if q else ""),
                            [wanted] + [p for p in ranking if p != wanted], "override")
        reason = f"{wanted} is not shipped for this model; " + reason
    if not ranking:
        return Decision(model, "", reason, [], "auto")
    return Decision(model, ranking[0], reason, ranking, source)


def select_all(
    profile: HardwareProfile | None = None, catalog: Catalog | None = None, settings: Settings | None = None
) -> dict[str, Decision]:
    catalog = catalog if catalog is not None else Catalog.load()
    profile = profile if profile is not None else _profile()
    if settings is None:
        from assistant.core.settings import load_settings

        settings = load_settings()[0]
    return {name: select(name, catalog, profile, settings) for name in sorted(catalog.models)}


_cached_profile: HardwareProfile | None = None


def _profile() -> HardwareProfile:
    """The live profile, detected once per process."""
    global _cached_profile
    if _cached_profile is None:
        from assistant.core.hardware import detect

        _cached_profile = detect()
    return _cached_profile
