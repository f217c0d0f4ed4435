"""Latency of model variants on this machine. The factory's report and `assistant bench` both call
these functions, so their numbers are measured the same way (model call only, real inputs shaped by
the model's contract, p50/p95 over repeated runs after a warm-up)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.core.appdata import paths
from assistant.core.inference.catalog import Catalog
from assistant.core.inference.runner import EngineError, ModelRunner

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LatencyStats:
    p50_ms: float
    p95_ms: float
    runs: int


@dataclass
class BenchRow:
    model: str
    precision: str
    bytes: int
    threads_all: int
    p50_1t: float | None = None
    p95_1t: float | None = None
    p50_all: float | None = None
    p95_all: float | None = None
    manifest_p50_1t: float | None = None
    error: str = ""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def sample_inputs(runner: ModelRunner, seed: int = 0) -> list[np.ndarray]:
    """Inputs of the right shape and type: small token ids for integer inputs, N(0,1) floats otherwise.

    Latency of these models does not depend on the values (no early exits), only on shapes and types.
    """
    rng = np.random.default_rng(seed)
    arrays = []
    for detail in runner.input_details:
        shape = [max(1, int(x)) for x in detail["shape"]]
        dtype = np.dtype(detail["dtype"])
        scale = detail.get("quantization", (0.0, 0))[0]
        if np.issubdtype(dtype, np.integer) and not scale:
            arrays.append(rng.integers(2, 50, size=shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def time_runner(path: str | Path, num_threads: int = 1, runs: int = 100, warmup: int = 10,
                max_seconds: float = 10.0, min_runs: int = 5) -> LatencyStats:
    """p50/p95 of one model call in milliseconds (stops after max_seconds once min_runs are timed)."""
    runner = ModelRunner(path, num_threads=num_threads)
    inputs = sample_inputs(runner)
    for _ in range(warmup):
        runner.run(inputs)
    times = []
    deadline = time.perf_counter() + max_seconds
    for _ in range(runs):
        start = time.perf_counter()
        runner.run(inputs)
        times.append((time.perf_counter() - start) * 1000.0)
        if time.perf_counter() > deadline and len(times) >= min_runs:
            break
    values = np.asarray(times)
    return LatencyStats(float(np.percentile(values, 50)), float(np.percentile(values, 95)), len(times))


def measure_variant(path: str | Path, runs: int = 200, warmup: int = 20) -> dict[str, float]:
    """The manifest's latency block: p50/p95 at 1 thread and at all usable cores."""
    one = time_runner(path, 1, runs, warmup)
    cores = usable_cores()
    many = time_runner(path, cores, runs, warmup) if cores > 1 else one
    return {"p50_1t": one.p50_ms, "p95_1t": one.p95_ms, "p50_all": many.p50_ms, "p95_all": many.p95_ms,
            "threads_all": cores}


def bench_all(
    catalog: Catalog,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    runs: int = 200,
    models: list[str] | None = None,
) -> list[BenchRow]:
    """Time every shipped, intact variant; variants that fail their check get a row with the reason."""
    cores = usable_cores()
    jobs = [(m, v) for name, m in sorted(catalog.models.items()) if not models or name in models for v in m.shipped()]
    rows: list[BenchRow] = []
    for i, (model, variant) in enumerate(jobs):
        if cancel is not None and cancel.is_set():
            break
        label = f"{model.name} {variant.precision}"
        if progress:
            progress(i, len(jobs), label)
        row = BenchRow(model.name, variant.precision, variant.bytes, cores,
                       manifest_p50_1t=variant.latency_ms.get("p50_1t"))
        check = catalog.check(model.name, variant.precision)
        if not check.ok:
            row.error = check.reason
        else:
            try:
                assert variant.path is not None
                stats = measure_variant(variant.path, runs=runs, warmup=max(5, runs // 10))
                row.p50_1t, row.p95_1t = stats["p50_1t"], stats["p95_1t"]
                row.p50_all, row.p95_all = stats["p50_all"], stats["p95_all"]
            except EngineError as exc:
                row.error = str(exc)
        rows.append(row)
    if progress:
        progress(len(rows), len(jobs), "done")
    return rows


def results_path() -> Path:
    return paths.cache_dir() / "bench.json"


def save_results(rows: list[BenchRow], path: Path | None = None) -> Path:
    from assistant.core.appdata.fileio import atomic_write

    path = path or results_path()
    payload = {"measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": [asdict(r) for r in rows]}
    atomic_write(path, json.dumps(payload, indent=2))
    return path


def load_results(path: Path | None = None) -> list[BenchRow]:
    """The last saved benchmark on this machine, or [] when there is none (or it is unreadable)."""
    path = path or results_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [BenchRow(**row) for row in raw.get("rows", [])]
    except (OSError, ValueError, TypeError) as exc:
        if path.exists():
            logger.warning("ignoring unreadable benchmark results %s: %s", path, exc)
        return []
