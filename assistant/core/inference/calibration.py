"""How fast each variant runs on *this* machine: a short benchmark, cached per machine and per file.

"Auto" trusts what was measured over what a rule assumes: full int8 is not always the fastest (SFace
full int8 runs about 6x slower than its dynamic-range variant on an AVX512-VNNI CPU, because int8 PReLU
has no XNNPACK kernel). The factory's figures decide until this calibration has run. It times every
variant that keeps quality for a few tens of milliseconds, at one thread, in the caller's thread (the
app runs it on a worker lane, never on the GUI thread), and caches the medians in the user cache folder
under the hardware fingerprint. An entry counts only while its file's sha256 is the manifest's, so a
changed model file is timed again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write
from assistant.core.inference.catalog import Catalog

if TYPE_CHECKING:
    from assistant.core.inference.bench import BenchRow
    from assistant.core.inference.hardware import HardwareProfile

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]
Times = dict[str, dict[str, float]]  # model -> precision -> p50 ms at one thread

# Per variant: a short warm-up, then at least MIN_RUNS timed calls and as many more as fit in the
# budget. The budget is small on purpose: only the order of the variants matters, and SFace's slowest
# shipped variant still gets three calls.
WARMUP_RUNS = 2
MIN_RUNS = 3
MAX_RUNS = 30
BUDGET_S = 0.04


@dataclass
class CalibrationRun:
    """What one calibration measured (times), what it could not (errors) and where it was saved."""

    times: Times = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # "model precision" -> why it was not timed
    seconds: float = 0.0
    path: Path | None = None
    cancelled: bool = False


def calibration_file(profile: HardwareProfile) -> Path:
    return paths.cache_dir() / f"calibration-{profile.fingerprint}.json"


def _read(profile: HardwareProfile) -> dict:
    path = calibration_file(profile)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return raw if isinstance(raw, dict) and isinstance(raw.get("models", {}), dict) else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable calibration %s: %s", path, exc)
        return {}


def load(profile: HardwareProfile, catalog: Catalog) -> Times:
    """{model: {precision: p50 ms}} measured on this machine for these very files, or {}."""
    result: Times = {}
    for model, entry in (_read(profile).get("models") or {}).items():
        info = catalog.models.get(model)
        if info is None or not isinstance(entry, dict):
            continue
        times = {}
        for precision, row in entry.items():
            variant = info.variants.get(precision)
            if (variant is not None and isinstance(row, dict) and variant.sha256
                    and variant.sha256 == row.get("sha256") and isinstance(row.get("p50_ms"), int | float)):
                times[precision] = float(row["p50_ms"])
        if times:
            result[model] = times
    return result


def measured_at(profile: HardwareProfile) -> str:
    """When the cached calibration was last written ("" = never)."""
    return str(_read(profile).get("measured", ""))


def save(profile: HardwareProfile, catalog: Catalog, times: Times) -> Path:
    """Merge `times` into this machine's cache (entries of other files and models are kept)."""
    raw = _read(profile).get("models")
    models: dict = raw if isinstance(raw, dict) else {}
    for model, per in times.items():
        info = catalog.model(model)
        entry = models.setdefault(model, {})
        if not isinstance(entry, dict):
            entry = models[model] = {}
        for precision, ms in per.items():
            entry[precision] = {"p50_ms": round(float(ms), 4), "sha256": info.variants[precision].sha256}
    path = calibration_file(profile)
    payload = {"fingerprint": profile.fingerprint, "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "models": models}
    atomic_write(path, json.dumps(payload, indent=2), mode=0o600)
    return path


def candidates(catalog: Catalog, models: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(model, precision) of every shipped variant worth timing: it keeps quality and is not int16x8
    (no XNNPACK kernels: never an automatic choice)."""
    wanted = set(models) if models is not None else None
    return [
        (info.name, v.precision)
        for info in catalog.models.values()
        if wanted is None or info.name in wanted
        for v in info.shipped()
        if v.precision != "int16x8" and info.keeps_quality(v.precision)
    ]


def pending(catalog: Catalog, profile: HardwareProfile) -> list[tuple[str, str]]:
    """The candidates with no valid timing in this machine's cache (never timed, or the file changed)."""
    done = load(profile, catalog)
    return [(m, p) for m, p in candidates(catalog) if p not in done.get(m, {})]


def run(
    catalog: Catalog,
    profile: HardwareProfile,
    jobs: list[tuple[str, str]] | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    budget_s: float = BUDGET_S,
) -> CalibrationRun:
    """Time `jobs` (default: the pending ones), save what was measured, and return it."""
    from assistant.core.inference.bench import time_runner
    from assistant.core.inference.runner import EngineError

    jobs = pending(catalog, profile) if jobs is None else jobs
    result = CalibrationRun()
    started = time.perf_counter()
    for i, (model, precision) in enumerate(jobs):
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            break
        if progress:
            progress(i, len(jobs), f"{model} {precision}")
        check = catalog.check(model, precision)
        path = catalog.model(model).variants[precision].path
        if not check.ok or path is None:
            result.errors[f"{model} {precision}"] = check.reason
            continue
        try:
            stats = time_runner(path, num_threads=1, runs=MAX_RUNS, warmup=WARMUP_RUNS, max_seconds=budget_s,
                                min_runs=MIN_RUNS)
        except EngineError as exc:
            result.errors[f"{model} {precision}"] = str(exc)
            continue
        result.times.setdefault(model, {})[precision] = stats.p50_ms
    if progress:
        progress(len(jobs), len(jobs), "done")
    result.seconds = time.perf_counter() - started
    if result.times:
        result.path = save(profile, catalog, result.times)
    logger.info("calibrated %d variants in %.2f s%s", sum(len(t) for t in result.times.values()), result.seconds,
                f"; not timed: {result.errors}" if result.errors else "")
    return result


def from_bench(rows: Iterable[BenchRow], catalog: Catalog) -> Times:
    """The 1-thread medians of a full benchmark (`assistant bench`, the settings panel) as calibration."""
    times: Times = {}
    keep = set(candidates(catalog))
    for row in rows:
        if row.p50_1t is not None and (row.model, row.precision) in keep:
            times.setdefault(row.model, {})[row.precision] = float(row.p50_1t)
    return times
