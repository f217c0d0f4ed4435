"""Which precision each model runs at on this machine, and why, in words.

"Auto" follows measurements, best evidence first:

1. calibration: this machine's own short benchmark of the variants (assistant.core.inference.calibration),
   valid while the files' sha256 match;
2. factory: the latencies the factory measured when it built the model (the manifest);
3. rule: the hardware prior (int8 dot-product units, SIMD level), only when nothing was measured.

Only variants that keep quality (the factory's measured task metric within the manifest's tolerance of
fp32's) are candidates. Some hardware facts still overrule measurements: on a machine with little RAM
the large float variants are left out, and on a CPU without SIMD the factory's timings do not carry
over. A user override from settings always wins when the variant is shipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.core.inference import calibration
from assistant.core.inference.catalog import Catalog, ModelInfo

if TYPE_CHECKING:
    from assistant.core.appdata.settings import Settings
    from assistant.core.inference.hardware import HardwareProfile

logger = logging.getLogger(__name__)

LOW_MEMORY_BYTES = 2 * 1024**3
# On a machine with little RAM, variants this many times larger than the smallest one that keeps quality
# (the float variants, next to int8 ones) are left out.
LOW_MEMORY_SIZE_FACTOR = 2.0
# Latencies within this fraction of the fastest count as a tie, which the smaller file wins: fp16 and
# fp32 run at the same speed on CPUs (fp16 weights are widened), so fp16 is the better of the two.
TIE = 0.05
SOURCES = ("calibration", "factory", "rule", "override")
_INT8_WORDS = {
    "amx_int8": "Intel AMX int8",
    "avx512_vnni": "AVX512-VNNI",
    "avx_vnni": "AVX-VNNI",
    "i8mm": "ARM int8 matrix multiply (i8mm)",
    "asimddp": "ARM dot-product (asimddp)",
}
_SIMD = (("avx2", "AVX2"), ("avx", "AVX"), ("asimd", "NEON"), ("sse4_2", "SSE4.2"))


@dataclass
class Decision:
    model: str
    precision: str
    reason: str
    ranking: list[str] = field(default_factory=list)  # fallback order, best first
    source: str = "rule"  # calibration | factory | rule | override
    # The measurements the choice compared (precision -> p50 ms at one thread), and where they come from.
    latency_ms: dict[str, float] = field(default_factory=dict)
    measured_on: str = ""

    def evidence(self) -> dict[str, object]:
        """JSON-ready account of what decided (for `assistant hardware --json`)."""
        return {"source": self.source, "latency_ms": {p: round(v, 4) for p, v in self.latency_ms.items()},
                "measured_on": self.measured_on}


@dataclass
class Ranking:
    order: list[str]
    reason: str
    source: str
    latency_ms: dict[str, float] = field(default_factory=dict)
    measured_on: str = ""


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


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    if value >= 1:
        return f"{value:.2f} ms"
    return f"{value:.3f} ms"


def _simd(profile: HardwareProfile) -> str | None:
    return next((word for flag, word in _SIMD if flag in profile.cpu_flags), None)


def factory_machine(info: ModelInfo) -> str:
    """The machine the factory measured on, in words ("" when the manifest does not say)."""
    machine = (info.extra.get("build") or {}).get("machine") or {}
    if not isinstance(machine, dict) or not machine.get("cpu_model"):
        return ""
    accel = machine.get("int8_accel")
    return str(machine["cpu_model"]) + (f" with {_INT8_WORDS.get(accel, accel)}" if accel else "")


def by_speed(latency: dict[str, float], info: ModelInfo) -> list[str]:
    """Precisions fastest first; among those within TIE of the fastest, the smallest file first."""
    order = sorted(latency, key=lambda p: latency[p])
    if not order:
        return []
    fastest = latency[order[0]]
    ties = [p for p in order if latency[p] <= fastest * (1 + TIE)]
    first = min(ties, key=lambda p: (info.variants[p].bytes or float("inf"), latency[p]))
    return [first] + [p for p in order if p != first]


def _measured_reason(info: ModelInfo, order: list[str], latency: dict[str, float], where: str,
                     profile: HardwareProfile) -> str:
    best = order[0]
    fastest = min(latency, key=lambda p: latency[p])
    others = ", ".join(f"{p} {_ms(latency[p])}" for p in order[1:])
    figures = f"({_ms(latency[best])}" + (f" vs {others})" if others else ")")
    if fastest == best:
        head = f"{best}: fastest {where} {figures}"
    else:  # a tie within TIE, won by the smaller file
        head = f"{best}: as fast as {fastest} (within {TIE:.0%}) and smaller, {where} {figures}"
    quality = _quality_words(info, best)
    reason = head + (f", {quality}" if quality else "")
    if best in ("int8", "mixed") and profile.int8_accel:
        reason += f"; this CPU has {_INT8_WORDS.get(profile.int8_accel, profile.int8_accel)}"
    return reason


def _rule(info: ModelInfo, profile: HardwareProfile, good: list[str]) -> tuple[list[str], str]:
    """The hardware prior, for when nothing was measured."""

    def latency(p: str) -> float:
        return info.variants[p].latency_ms.get("p50_1t", float("inf"))

    integer: list[str] = [p for p in ("int8", "mixed", "dynamic") if p in good]
    # fp16 weights are de-quantized on CPUs: same speed as fp32, only smaller on disk.
    floats: list[str] = [p for p in ("fp16", "fp32") if p in good]
    accel = profile.int8_accel
    if accel and integer:
        return integer + floats, f"{_INT8_WORDS.get(accel, accel)} present"
    if integer:
        # No int8 dot-product unit: int8 weights still cut memory traffic.
        order = sorted(integer, key=latency)
        return order + floats, f"no int8 dot-product unit ({_simd(profile) or 'basic SIMD'} only); integer variants move less memory"
    return floats, "no integer variant keeps quality"


def rank(info: ModelInfo, profile: HardwareProfile, calibration_ms: dict[str, float] | None = None) -> Ranking:
    """Shipped precisions of `info`, best first for this machine, and what decided (see the module doc)."""
    shipped = [v.precision for v in info.shipped()]
    if not shipped:
        return Ranking([], "no shipped variant", "rule")
    good = [p for p in shipped if info.keeps_quality(p)]
    lossy = [p for p in shipped if p not in good]
    # int16x8 has no XNNPACK kernels (20-30x slower on CPUs): never an automatic first choice.
    slow = [p for p in good if p == "int16x8"]
    good = [p for p in good if p != "int16x8"]
    if not good:
        order = slow + lossy
        return Ranking(order, f"{order[0]}: no variant keeps quality; the closest to fp32 is used", "rule")

    notes: list[str] = []
    left_out: list[str] = []
    if profile.ram_bytes and profile.ram_bytes < LOW_MEMORY_BYTES:
        smallest = min(info.variants[p].bytes or 0 for p in good) or 1
        left_out = [p for p in good if (info.variants[p].bytes or 0) > LOW_MEMORY_SIZE_FACTOR * smallest]
        if left_out and len(left_out) < len(good):
            notes.append(f"only {profile.ram_bytes / 1024**3:.1f} GB RAM, so {', '.join(left_out)} "
                         f"(over {LOW_MEMORY_SIZE_FACTOR:g}x the smallest) left out")
        else:
            left_out = []
    usable = [p for p in good if p not in left_out]

    def finish(order: list[str], reason: str, source: str, latency: dict[str, float] | None = None,
               where: str = "") -> Ranking:
        rest = [p for p in usable if p not in order]
        full = order + rest + left_out + slow + lossy
        return Ranking(full, reason + "".join(f"; {n}" for n in notes), source, dict(latency or {}), where)

    if calibration_ms:
        timed = {p: calibration_ms[p] for p in usable if p in calibration_ms}
        if timed:
            order = by_speed(timed, info)
            return finish(order, _measured_reason(info, order, timed, "measured on this machine", profile),
                          "calibration", timed, "this machine")

    simd = _simd(profile)
    factory = {p: info.variants[p].latency_ms["p50_1t"] for p in usable if "p50_1t" in info.variants[p].latency_ms}
    if factory and simd:
        order = by_speed(factory, info)
        machine = factory_machine(info)
        where = "in the factory's measurements" + (f" on {machine}" if machine else "")
        return finish(order, _measured_reason(info, order, factory, where, profile), "factory", factory,
                      machine or "the factory's machine")
    if factory and not simd:
        notes.append("no SIMD unit found, so the factory's timings do not carry over to this CPU")

    order, why = _rule(info, profile, usable)
    best = order[0]
    quality = _quality_words(info, best)
    return finish(order, f"{best}: {why}" + (f" and {best} {quality}" if quality else ""), "rule")


def select(
    model: str,
    catalog: Catalog | None = None,
    profile: HardwareProfile | None = None,
    settings: Settings | None = None,
    override: str | None = None,
) -> Decision:
    """The precision `model` should run at, with the reason in words and a fallback ranking."""
    from assistant.core.inference.hardware import current_profile

    catalog = catalog if catalog is not None else Catalog.load()
    profile = profile if profile is not None else current_profile()
    if settings is None:
        from assistant.core.appdata.settings import load_settings

        settings = load_settings()[0]
    info = catalog.models.get(model)
    if info is None:
        return Decision(model, "", f"model {model!r} is not in the catalog")
    measured = calibration.load(profile, catalog).get(model) if settings.use_calibration else None
    ranked = rank(info, profile, measured)
    wanted = override or settings.override_for(model)
    reason = ranked.reason
    if wanted:
        if wanted in ranked.order:
            q = _quality_words(info, wanted)
            return Decision(model, wanted, f"{wanted}: chosen in settings" + (f" ({q})" if q else ""),
                            [wanted] + [p for p in ranked.order if p != wanted], "override",
                            ranked.latency_ms, ranked.measured_on)
        reason = f"{wanted} is not shipped for this model; " + reason
    if not ranked.order:
        return Decision(model, "", reason, [], ranked.source)
    return Decision(model, ranked.order[0], reason, ranked.order, ranked.source, ranked.latency_ms,
                    ranked.measured_on)


def select_all(
    profile: HardwareProfile | None = None, catalog: Catalog | None = None, settings: Settings | None = None
) -> dict[str, Decision]:
    from assistant.core.inference.hardware import current_profile

    catalog = catalog if catalog is not None else Catalog.load()
    profile = profile if profile is not None else current_profile()
    if settings is None:
        from assistant.core.appdata.settings import load_settings

        settings = load_settings()[0]
    return {name: select(name, catalog, profile, settings) for name in sorted(catalog.models)}
