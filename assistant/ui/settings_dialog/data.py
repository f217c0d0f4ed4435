"""What the settings pages show, collected off the GUI thread: catalog, checks, decisions, measurements."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field

from assistant.core.inference.catalog import Catalog, ModelInfo
from assistant.ui.session import SessionState

logger = logging.getLogger(__name__)


# -- the data behind the pages (collected off the GUI thread) -------------------------------------


@dataclass
class BenchInfo:
    """What was measured on this machine: the last full benchmark and the calibration of "Auto"."""

    rows: dict[tuple[str, str], object] = field(default_factory=dict)  # (model, precision) -> BenchRow
    measured: str = ""  # when, in words ("" = never on this machine)
    calibration: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> precision -> p50 ms
    calibration_measured: str = ""


@dataclass
class ModelsView:
    catalog: Catalog
    checks: dict[tuple[str, str], tuple[bool, str]]
    decisions: dict[str, object]  # model -> policy.Decision
    decision_error: str
    bench: BenchInfo
    state: SessionState


def collect_models_view(session, settings) -> ModelsView:
    """Catalog, checks, policy decisions and last bench results. Runs in the worker (hashes files)."""
    catalog = session.catalog if session.catalog is not None else Catalog.load()
    checks = {}
    for name, info in catalog.models.items():
        for v in info.shipped():
            result = catalog.check(name, v.precision)
            checks[(name, v.precision)] = (result.ok, result.reason)
    decisions: dict[str, object] = {}
    decision_error = ""
    try:
        from assistant.core.inference import policy

        decisions = dict(policy.select_all(catalog=catalog, settings=settings))
    except Exception as exc:  # no hardware module, unreadable profile: the table still shows the facts
        decision_error = f"The precision policy is unavailable: {exc}"
        logger.warning("%s", decision_error)
    return ModelsView(catalog, checks, decisions, decision_error, load_bench(catalog, settings), session.state())


def load_bench(catalog: Catalog | None = None, settings=None) -> BenchInfo:
    try:
        from assistant.core.inference import bench, calibration
        from assistant.core.inference.hardware import current_profile
    except ImportError as exc:
        logger.warning("benchmark module unavailable: %s", exc)
        return BenchInfo()
    rows = bench.load_results()
    info = BenchInfo({(r.model, r.precision): r for r in rows})
    if catalog is not None and getattr(settings, "use_calibration", True):
        profile = current_profile()
        info.calibration = calibration.load(profile, catalog)
        info.calibration_measured = calibration.measured_at(profile).replace("T", " ")[:16]
    if rows:
        try:
            stamp = bench.results_path().stat().st_mtime
            info.measured = _dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")
        except OSError:
            info.measured = "earlier"
    return info


def collect_hardware() -> list[str]:
    try:
        from assistant.core.inference.hardware import detect
    except ImportError as exc:
        return [f"Hardware detection is not part of this build ({exc})."]
    return list(detect().describe())


def latency_of(info: ModelInfo, precision: str, bench: BenchInfo) -> tuple[float | None, str]:
    """p50 at one thread and where it comes from: this machine's last benchmark ("this machine"), else its
    calibration for Auto ("calibration"), else the factory's figure ("factory")."""
    row = bench.rows.get((info.name, precision))
    if row is not None and getattr(row, "p50_1t", None) is not None:
        return float(row.p50_1t), "this machine"
    calibrated = bench.calibration.get(info.name, {}).get(precision)
    if calibrated is not None:
        return float(calibrated), "calibration"
    value = info.variants[precision].latency_ms.get("p50_1t") if precision in info.variants else None
    return (float(value), "factory") if value is not None else (None, "")
