"""The shared model pipeline: data -> float model -> every precision -> verify -> analyse -> manifest.

A recipe (assistant.factory.recipes.base) supplies the data, the trained float Keras model and the task
metric. Everything else happens here, the same way for every model:

1. conversion to each precision, each in a process of its own (assistant.factory.convert);
2. verification of each variant against the float model on held-out inputs (agreement and task metric,
   assistant.factory.verify); a silently broken variant is rejected and never shipped;
3. for int8, per-layer error with QuantizationDebugger and, when int8 misses the tolerance, a selective
   "mixed" variant with the worst layers kept in float;
4. analysis of every shipped variant (bytes, latency, peak memory) in a process without TensorFlow;
5. outputs: models/<model>/<model>.<precision>.tflite, assets, one manifest entry (under a lock, so
   builds of two models can run at once), REPORT.md with plots, NOTICE.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write
from assistant.core.inference.catalog import PRECISIONS
from assistant.factory import manifest as mf
from assistant.factory import recipes
from assistant.factory.convert import DEFAULT_TIMEOUT_S, Job, JobResult, JobRunner
from assistant.factory.recipes.base import PreparedData, Recipe, TensorSpec
from assistant.factory.verify import Agreement, Verdict, agreement, judge, metric_loss

logger = logging.getLogger(__name__)

CONVERTED = ("fp32", "fp16", "dynamic", "int8", "int16x8")  # what the converter makes directly
WORST_LAYERS = 5  # named in the manifest and the report
MAX_FLOAT_LAYERS = 64  # cap of the selective (mixed) search; also never more than half the layers
DEBUG_SAMPLES = 100  # representative samples the per-layer debugger runs
_MIXED_STEPS = (1, 2, 4, 8, 16, 32, 64)


def default_work_dir() -> Path:
    """Scratch space for builds: float models, calibration samples, converter logs."""
    return paths.cache_dir() / "factory-work"


@dataclass
class BuildOptions:
    models_dir: Path = field(default_factory=paths.models_dir)
    work_dir: Path = field(default_factory=default_work_dir)
    quick: bool = False
    seed: int = 0
    timeout: float = DEFAULT_TIMEOUT_S  # per conversion job
    isolation: str | None = None  # "fork" | "spawn" | None (platform default)
    bench_runs: int | None = None  # timed runs per variant; None: 50 quick, 200 otherwise
    progress: bool | None = None  # tqdm bars: None = only on a terminal
    command: str = ""  # the command line, recorded in the manifest and the report
    report: bool = True  # regenerate REPORT.md, plots and NOTICE after writing the manifest
    # Called with (precision, JobResult) after each conversion; tests use it to plant broken variants.
    after_convert: Callable[[str, JobResult, Path], None] | None = None

    @property
    def runs(self) -> int:
        return self.bench_runs or (50 if self.quick else 200)


@dataclass
class Candidate:
    """One variant on its way through the pipeline (internal)."""

    precision: str
    path: Path | None = None
    status: str = "unsupported"
    reason: str | None = None
    seconds: float = 0.0
    quality: dict[str, float] = field(default_factory=dict)
    agreement: Agreement | None = None
    verdict: Verdict | None = None
    float_layers: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class BuildResult:
    model: str
    wall_time_s: float
    entry: dict[str, Any]
    manifest_path: Path

    def status(self) -> dict[str, str]:
        return {p: v["status"] for p, v in self.entry["variants"].items()}


# --------------------------------------------------------------------------------------- helpers


def command_line(argv: Sequence[str] | None = None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return "python -m assistant.factory " + " ".join(shlex.quote(a) for a in args)


def seed_everything(seed: int, deterministic_ops: bool = True) -> None:
    """Same seed, same data split, same weights, same calibration."""
    import keras
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        try:
            tf.config.experimental.enable_op_determinism()
        except Exception as exc:  # noqa: BLE001 - older TF or an op without a deterministic kernel
            logger.warning("op determinism not available: %s", exc)


def _progress(iterable: Any = None, **kwargs: Any) -> Any:
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


def _stack_samples(samples: list[list[np.ndarray]]) -> list[np.ndarray]:
    if not samples:
        raise ValueError("the recipe gave no representative samples")
    return [np.concatenate([np.asarray(s[i]) for s in samples], axis=0) for i in range(len(samples[0]))]


def _save_arrays(path: Path, arrays: Sequence[np.ndarray]) -> None:
    np.savez(path, **{f"input_{i}": np.asarray(a) for i, a in enumerate(arrays)})


def keras_predict(model: Any, batch_size: int = 256) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """Predict with the float Keras model in batches of up to `batch_size`.

    Recipes call predict many times with small batches (keystroke simulations), so the model runs in a
    tf.function (reduce_retracing) instead of model.predict's per-call set-up. A model whose batched
    answer differs from its batch-1 answer (fixed batch of 1) is run one sample at a time.
    """
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def forward(*xs: Any) -> Any:
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    def call(arrays: list[np.ndarray]) -> list[np.ndarray]:
        y = forward(*arrays)
        return [np.asarray(t) for t in (y if isinstance(y, list | tuple) else [y])]

    def run(arrays: list[np.ndarray], step: int) -> list[np.ndarray]:
        outs = [call([a[i : i + step] for a in arrays]) for i in range(0, arrays[0].shape[0], step)]
        return [np.concatenate([o[j] for o in outs], axis=0) for j in range(len(outs[0]))]

    state: dict[str, int] = {}

    def predict(inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        arrays = [np.asarray(a) for a in inputs]
        if "step" not in state:
            head = [a[:4] for a in arrays]
            try:
                same = all(
                    np.allclose(b, s, rtol=1e-4, atol=1e-5)
                    for b, s in zip(run(head, 4), run(head, 1), strict=True)
                )
            except Exception as exc:  # noqa: BLE001 - a fixed-batch model may refuse batches
                logger.debug("batched Keras predict unusable: %s", exc)
                same = False
            state["step"] = batch_size if same else 1
        return run(arrays, state["step"])

    return predict


def runner_predict(path: Path, stateful: bool, label: str, progress: bool | None,
                   input_names: Sequence[str] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """Predict with one .tflite variant through the app's own ModelRunner, one sample at a time
    (batch 1, as the app runs it)."""
    from assistant.core.inference.runner import ModelRunner

    runner = ModelRunner(path, num_threads=1, input_names=input_names)

    def predict(inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        arrays = [np.asarray(a) for a in inputs]
        if stateful:
            runner.reset()
        outs = []
        count = arrays[0].shape[0]
        disable = None if progress is None else not progress
        for i in _progress(range(count), desc=label, leave=False, disable=disable, unit="sample"):
            outs.append(runner.run([a[i : i + 1] for a in arrays]))
        return [np.concatenate([o[j] for o in outs], axis=0) for j in range(len(outs[0]))]

    return predict


def _float_quality(recipe: Recipe, quality: dict[str, Any]) -> dict[str, float]:
    clean = {k: float(v) for k, v in quality.items() if isinstance(v, int | float | np.floating | np.integer)}
    if recipe.metric.name not in clean:
        raise ValueError(f"recipe {recipe.name}: evaluate() did not return {recipe.metric.name}")
    return {k: round(v, 6) for k, v in clean.items()}


def _tensor_dict(spec: TensorSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "shape": list(spec.shape), "dtype": spec.dtype, "role": spec.role}
    if spec.normalisation:
        data["normalisation"] = spec.normalisation
    return data


def read_layer_stats(csv_path: Path) -> list[dict[str, Any]]:
    """Per-layer rows of QuantizationDebugger's dump, worst first by RMSE/scale.

    RMSE/scale near 0.29 (1/sqrt(12)) is plain rounding error; much larger values mark a layer that
    int8 does not represent well. Rows of the model's output tensors are flagged "output" (the debug
    job writes their names next to the CSV).
    """
    outputs_file = csv_path.with_name(csv_path.name.removesuffix(".csv") + ".outputs.json")
    outputs = set(json.loads(outputs_file.read_text(encoding="utf-8"))) if outputs_file.is_file() else set()
    rows = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                mse, scale = float(row["mean_squared_error"]), float(row["scale"])
            except (KeyError, ValueError):
                continue
            ratio = math.sqrt(mse) / scale if scale > 0 and mse >= 0 else float("nan")
            name = row.get("tensor_name", "")
            rows.append(
                {
                    "layer": name.split(";")[0],
                    "tensor": name,
                    "op": row.get("op_name", ""),
                    "rmse_over_scale": round(ratio, 4) if math.isfinite(ratio) else None,
                    "max_abs_error": round(float(row.get("max_abs_error") or 0.0), 6),
                    "mean_error": round(float(row.get("mean_error") or 0.0), 6),
                    "scale": float(scale),
                    "output": name in outputs,
                }
            )
    rows.sort(key=lambda r: -(r["rmse_over_scale"] if r["rmse_over_scale"] is not None else -1.0))
    return rows


def _probe(path: Path, sample: Path | None, runs: int, timeout: float = 600.0,
           input_names: Sequence[str] = ()) -> dict[str, Any]:
    """Latency and peak memory of one variant, measured in a fresh process without TensorFlow."""
    cmd = [sys.executable, "-m", "assistant.factory.probe", str(path), "--runs", str(runs)]
    if sample is not None:
        cmd += ["--inputs", str(sample)]
    if input_names:
        cmd += ["--input-names", ",".join(input_names)]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"probe timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return {"error": f"probe failed (exit {proc.returncode}): {tail}"}
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("{")), "{}")
    return json.loads(line)


# ---------------------------------------------------------------------------------------- the build


class Build:
    """One recipe through the whole pipeline. `run()` does everything and returns a BuildResult."""

    def __init__(self, recipe: Recipe, options: BuildOptions):
        self.recipe = recipe
        self.opts = options
        self.name = recipe.name
        self.work = Path(options.work_dir).expanduser().resolve() / self.name
        self.models_dir = Path(options.models_dir).expanduser().resolve()
        self.stage_seconds: dict[str, float] = {}
        self.candidates: dict[str, Candidate] = {}
        self.layer_stats: list[dict[str, Any]] | None = None
        self.layer_error: str | None = None
        self.mixed_search: list[dict[str, Any]] = []

    # -- small pieces

    def _bar(self, **kwargs: Any) -> Any:
        disable = None if self.opts.progress is None else not self.opts.progress
        return _progress(disable=disable, **kwargs)

    def _stage(self, name: str, start: float) -> None:
        self.stage_seconds[name] = round(self.stage_seconds.get(name, 0.0) + time.monotonic() - start, 2)

    def _job(self, kind: str, precision: str, out: Path, **extra: Any) -> Job:
        module = type(self.recipe).__module__
        imports = [module] if module.startswith("assistant.") else []
        return Job(
            kind=kind,
            precision=precision,
            model=str(self.float_path),
            representative=str(self.rep_path),
            out=str(out),
            log=str(out.with_suffix(".log")),
            imports=imports,
            seed=self.opts.seed,
            timeout=self.opts.timeout,
            **extra,
        )

    # -- stages

    def _prepare_and_train(self) -> None:
        t = time.monotonic()
        self.data: PreparedData = self.recipe.prepare(self.work, self.opts.quick, self.opts.seed)
        self._stage("prepare", t)
        t = time.monotonic()
        self.model = self.recipe.train(self.data, self.work, self.opts.quick, self.opts.seed)
        self._stage("train", t)
        self.inputs, self.outputs = self.recipe.contract(self.data)
        self.roles = [o.role for o in self.outputs]
        self.float_path = self.work / f"{self.name}.float.keras"
        self.rep_path = self.work / "representative.npz"
        self.sample_path = self.work / "sample.npz"
        self.model.save(self.float_path)
        if not 100 <= len(self.data.representative) <= 500:
            logger.warning("%s: %d representative samples (100-500 calibrate int8 well)", self.name,
                           len(self.data.representative))
        _save_arrays(self.rep_path, _stack_samples(self.data.representative))
        _save_arrays(self.sample_path, [np.asarray(a)[:1] for a in self.data.verify_inputs])
        self.int8_input = bool(self.recipe.int8_io) and any(i.role == "features" for i in self.inputs)
        self.int8_output = bool(self.recipe.int8_io)

    def _float_reference(self) -> None:
        t = time.monotonic()
        predict = keras_predict(self.model)
        self.reference = predict(self.data.verify_inputs)
        self.float_quality = _float_quality(self.recipe, self.recipe.evaluate(predict, self.data, self.opts.quick))
        self._stage("float_eval", t)
        logger.info("%s float model: %s", self.name, self.float_quality)

    def _convert_all(self, runner: JobRunner) -> None:
        t = time.monotonic()
        wanted = [p for p in self.recipe.precisions if p in CONVERTED]
        for precision in self._bar(iterable=wanted, desc=f"{self.name}: convert", unit="variant"):
            out = self.work / "variants" / f"{self.name}.{precision}.tflite"
            out.parent.mkdir(parents=True, exist_ok=True)
            job = self._job("convert", precision, out, int8_input=self.int8_input, int8_output=self.int8_output)
            result = runner.run(job)
            if self.opts.after_convert is not None:
                self.opts.after_convert(precision, result, out)
            cand = Candidate(precision, seconds=result.seconds)
            if result.ok:
                cand.path, cand.status = out, "converted"
            else:
                cand.reason = result.reason
            self.candidates[precision] = cand
        self._stage("convert", t)

    def _verify(self, cand: Candidate, label: str) -> None:
        """Agreement with the float model and the task metric through the app's runner; the verdict."""
        assert cand.path is not None
        try:
            predict = runner_predict(cand.path, self.recipe.stateful, f"{self.name} {label}", self.opts.progress,
                                     [t.name for t in self.inputs])
            outputs = predict(self.data.verify_inputs)
            cand.agreement = agreement(self.reference, outputs, self.roles)
            cand.quality = _float_quality(self.recipe, self.recipe.evaluate(predict, self.data, self.opts.quick))
        except Exception as exc:  # noqa: BLE001 - a variant that cannot run is rejected, not fatal
            logger.warning("%s %s cannot be verified: %s", self.name, cand.precision, exc)
            cand.status, cand.reason = "rejected", f"does not run in LiteRT: {exc}"
            return
        cand.verdict = judge(self.recipe.metric, cand.quality, self._reference_quality(cand), cand.agreement, self.roles)
        cand.status = "shipped" if cand.verdict.shipped else "rejected"
        cand.reason = cand.verdict.reason

    def _reference_quality(self, cand: Candidate) -> dict[str, float]:
        """fp32 is judged against the Keras model, every other variant against shipped fp32."""
        fp32 = self.candidates.get("fp32")
        if cand.precision != "fp32" and fp32 is not None and fp32.status == "shipped":
            return fp32.quality
        return self.float_quality

    def _verify_all(self) -> None:
        t = time.monotonic()
        order = [p for p in CONVERTED if p in self.candidates and self.candidates[p].path is not None]
        for precision in self._bar(iterable=order, desc=f"{self.name}: verify", unit="variant"):
            self._verify(self.candidates[precision], precision)
        self._stage("verify", t)

    def _int8_layers(self, runner: JobRunner) -> None:
        int8 = self.candidates.get("int8")
        if int8 is None or int8.path is None:
            return
        t = time.monotonic()
        out = self.work / "analysis" / f"{self.name}.int8_layers.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        result = runner.run(self._job("debug", "int8", out, max_samples=DEBUG_SAMPLES))
        if result.ok:
            self.layer_stats = read_layer_stats(out)
            self.layer_csv = out
        else:
            self.layer_error = result.reason
        self._stage("int8_layers", t)

    def _needs_mixed(self) -> bool:
        int8 = self.candidates.get("int8")
        if int8 is None or int8.path is None or not self.layer_stats:
            return False
        return int8.verdict is None or not int8.verdict.within_tolerance

    def _mixed(self, runner: JobRunner) -> None:
        """Keep the worst layers of int8 in float until the tolerance is met or the cap is reached.

        Layers are ranked (output layers, then RMSE/scale from QuantizationDebugger) and denylisted
        1, 2, 4, 8, ... at a time, up to MAX_FLOAT_LAYERS and at most half of the layers (beyond that it is no int8 model).
        One child process calibrates once and writes every step; they are verified in order until one
        meets the tolerance. The selective model keeps float inputs and outputs (the runner accepts
        both). When none meets the tolerance, the best one that passes verification ships with a note.
        """
        if not self._needs_mixed():
            return
        t = time.monotonic()
        # Output layers first: rounding there reaches the answer unaveraged (an int8 log-softmax over a
        # large vocabulary flips near-ties although its RMSE/scale looks like plain rounding).
        # Then the rest, worst RMSE/scale first.
        usable = [r for r in self.layer_stats or [] if r["rmse_over_scale"] is not None]
        first = [r["tensor"] for r in usable if any(part in r["tensor"] for part in self.recipe.float_first)]
        ranked = first + [r["tensor"] for r in usable if r["output"] and r["tensor"] not in first] + [
            r["tensor"] for r in usable if not r["output"] and r["tensor"] not in first]
        cap = min(MAX_FLOAT_LAYERS, max(1, len(ranked) // 2)) if ranked else 0
        steps = [k for k in _MIXED_STEPS if k <= cap] + ([cap] if cap and cap not in _MIXED_STEPS else [])
        best: Candidate | None = None
        made: dict[str, str] = {}
        if steps:
            out = self.work / "variants" / f"{self.name}.mixed.json"
            result = runner.run(self._job("mixed", "mixed", out, denylisted_nodes=ranked[:cap], steps=steps))
            if result.ok:
                made = json.loads(out.read_text(encoding="utf-8"))
            else:
                self.mixed_search.append({"float_layers": steps, "seconds": result.seconds, "error": result.reason})
        for k in self._bar(iterable=[k for k in steps if str(k) in made], desc=f"{self.name}: mixed", unit="try"):
            cand = Candidate("mixed", path=Path(made[str(k)]), status="converted", seconds=result.seconds,
                             float_layers=ranked[:k])
            self._verify(cand, f"mixed-{k}")
            attempt: dict[str, Any] = {
                "float_layers": k,
                "quality": cand.quality,
                "agreement": cand.agreement.as_dict() if cand.agreement else {},
                "status": cand.status,
                "within_tolerance": bool(cand.verdict and cand.verdict.within_tolerance),
            }
            if cand.reason:
                attempt["reason"] = cand.reason
            self.mixed_search.append(attempt)
            if cand.status == "shipped" and (best is None or self._better(cand, best)):
                best = cand
            if cand.verdict is not None and cand.verdict.within_tolerance:
                best = cand
                break
        if best is None:
            last = self.mixed_search[-1] if self.mixed_search else {}
            if not steps:
                reason = "int8 per-layer statistics name no layer to keep in float"
            else:
                reason = "no selective variant passed verification" + (
                    f" ({last['error']})" if last.get("error") else ""
                )
            self.candidates["mixed"] = Candidate(
                "mixed", status="rejected" if "quality" in last else "unsupported", reason=reason
            )
        else:
            if not (best.verdict and best.verdict.within_tolerance):
                best.note = f"misses the tolerance even with {len(best.float_layers)} float layers"
            self.candidates["mixed"] = best
        self._stage("mixed", t)

    def _better(self, a: Candidate, b: Candidate) -> bool:
        """Does `a` score better than `b` on the task metric? (metric_loss(spec, b, a) is how much worse a is.)"""
        spec = self.recipe.metric
        return metric_loss(spec, b.quality[spec.name], a.quality[spec.name]) < 0

    def _analyse(self) -> dict[str, dict[str, Any]]:
        t = time.monotonic()
        shipped = [p for p in PRECISIONS if p in self.candidates and self.candidates[p].status == "shipped"]
        probes = {}
        for precision in self._bar(iterable=shipped, desc=f"{self.name}: analyse", unit="variant"):
            cand = self.candidates[precision]
            assert cand.path is not None
            probes[precision] = _probe(cand.path, self.sample_path, self.opts.runs,
                                       input_names=[t.name for t in self.inputs])
        self._stage("analyse", t)
        return probes

    # -- outputs

    def _variant_entry(self, cand: Candidate, probe: dict[str, Any] | None) -> dict[str, Any]:
        spec = self.recipe.metric
        if cand.status == "unsupported" or cand.path is None:
            return {"status": cand.status if cand.status != "converted" else "unsupported", "reason": cand.reason}
        entry: dict[str, Any] = {"status": cand.status}
        if cand.status == "shipped":
            rel = f"{self.name}/{self.name}.{cand.precision}.tflite"
            entry.update({"file": rel, "sha256": "", "bytes": 0})
        else:
            entry["reason"] = cand.reason
            entry["bytes_produced"] = cand.path.stat().st_size
        entry["quality"] = cand.quality
        reference = self._reference_quality(cand)
        if spec.name in cand.quality and spec.name in reference:
            entry["metric_delta"] = round(cand.quality[spec.name] - reference[spec.name], 6)
            entry["within_tolerance"] = bool(cand.verdict and cand.verdict.within_tolerance)
        if cand.agreement is not None:
            entry["agreement"] = cand.agreement.as_dict()
        if probe:
            if "error" in probe:
                entry["analysis_error"] = probe["error"]
            else:
                entry["latency_ms"] = {k: round(float(v), 4) for k, v in probe["latency_ms"].items()}
                entry["peak_memory_bytes"] = int(probe["peak_memory_bytes"])
        entry["convert_seconds"] = cand.seconds
        if cand.precision == "mixed":
            entry["float_layers"] = list(cand.float_layers)
        if cand.note:
            entry["note"] = cand.note
        return entry

    def _write_outputs(self, probes: dict[str, dict[str, Any]], started: float) -> dict[str, Any]:
        target = self.models_dir / self.name
        target.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        baselines = self.recipe.baselines(self.data, self.opts.quick) or {}
        self._stage("baselines", t)
        variants: dict[str, dict[str, Any]] = {}
        fp32 = self.candidates.get("fp32")
        fp32_bytes = fp32.path.stat().st_size if fp32 and fp32.status == "shipped" and fp32.path else None
        for precision in PRECISIONS:
            cand = self.candidates.get(precision)
            if cand is not None:
                variants[precision] = self._variant_entry(cand, probes.get(precision))
        with mf.locked(self.models_dir):
            for precision in PRECISIONS:  # a variant that is no longer shipped leaves no file behind
                stale = target / f"{self.name}.{precision}.tflite"
                if variants.get(precision, {}).get("status") != "shipped":
                    stale.unlink(missing_ok=True)
            for precision, entry in variants.items():
                if entry["status"] != "shipped":
                    continue
                source = self.candidates[precision].path
                assert source is not None
                dest = self.models_dir / entry["file"]
                atomic_write(dest, source.read_bytes())
                entry["sha256"] = mf.sha256_file(dest)
                entry["bytes"] = dest.stat().st_size
                if fp32_bytes:
                    entry["ratio_to_fp32"] = round(entry["bytes"] / fp32_bytes, 4)
            assets = self.recipe.write_assets(self.data, target) or {}
            analysis: dict[str, Any] = {}
            if self.layer_stats is not None:
                csv_rel = f"report/{self.name}.int8_layers.csv"
                atomic_write(self.models_dir / csv_rel, self.layer_csv.read_bytes())
                analysis["int8_layers"] = {
                    "count": len(self.layer_stats),
                    "samples": min(DEBUG_SAMPLES, len(self.data.representative)),
                    "worst": [{k: v for k, v in r.items() if k != "tensor"} for r in self.layer_stats[:WORST_LAYERS]],
                    "outputs": [r["tensor"] for r in self.layer_stats if r["output"]],
                    "csv": csv_rel,
                }
            elif self.layer_error:
                analysis["int8_layers"] = {"error": self.layer_error}
            if self.mixed_search:
                analysis["mixed_search"] = self.mixed_search
                if self.recipe.float_first:
                    analysis["float_first"] = list(self.recipe.float_first)
            finished = time.monotonic()
            entry = {
                "task": self.recipe.task,
                "kind": self.recipe.kind,
                "architecture": self.recipe.architecture,
                "parameters": int(self.model.count_params()),
                "sources": list(self.recipe.sources),
                "metric": {
                    "name": self.recipe.metric.name,
                    "higher_is_better": self.recipe.metric.higher_is_better,
                    "tolerance": self.recipe.metric.tolerance,
                },
                "inputs": [_tensor_dict(s) for s in self.inputs],
                "outputs": [_tensor_dict(s) for s in self.outputs],
                "assets": {k: f"{self.name}/{v}" for k, v in assets.items()},
                "stateful": bool(self.recipe.stateful),
                "variants": variants,
                "float_reference": {"quality": self.float_quality},
                "baselines": baselines,
                "data": dict(self.data.summary),
                "analysis": analysis,
                "build": {
                    "finished": mf.now_iso(),
                    "wall_time_s": round(finished - started, 1),
                    "stage_seconds": self.stage_seconds,
                    "seed": self.opts.seed,
                    "quick": self.opts.quick,
                    "command": self.opts.command or command_line(["build", self.name]),
                    "isolation": self.isolation,
                    "machine": mf.machine(),
                    "versions": mf.versions(),
                },
            }

            entry.update(self.recipe.manifest_extra(self.data) or {})

            def change(manifest: dict[str, Any]) -> None:
                manifest["models"][self.name] = entry
                manifest["versions"] = entry["build"]["versions"]

            written = mf.update(self.models_dir, change)
            t = time.monotonic()
            updates = self.recipe.post_build(self.models_dir, written, self.work, self.opts.quick) or {}
            if updates:
                def merge(manifest: dict[str, Any]) -> None:
                    for model, values in updates.items():
                        if model in manifest["models"]:
                            manifest["models"][model].update(values)

                written = mf.update(self.models_dir, merge)
                logger.info("%s: post-build analysis in %.1f s", self.name, time.monotonic() - t)
            if self.opts.report:
                from assistant.factory import report

                t = time.monotonic()
                report.write_all(self.models_dir, written)
                logger.info("%s: report written in %.1f s", self.name, time.monotonic() - t)
        return entry

    def run(self) -> BuildResult:
        started = time.monotonic()
        self.work.mkdir(parents=True, exist_ok=True)
        logger.info("building %s (quick=%s, seed=%d) in %s", self.name, self.opts.quick, self.opts.seed, self.work)
        with JobRunner(self.work / "jobs", self.opts.isolation) as runner:  # TensorFlow loads in the worker meanwhile
            self.isolation = runner.isolation
            t = time.monotonic()
            seed_everything(self.opts.seed, getattr(self.recipe, "op_determinism", True))
            self._stage("import_tensorflow", t)
            self._prepare_and_train()
            self._float_reference()
            self._convert_all(runner)
            self._verify_all()
            self._int8_layers(runner)
            self._mixed(runner)
        probes = self._analyse()
        entry = self._write_outputs(probes, started)
        logger.info("%s built in %.1f s", self.name, time.monotonic() - started)
        return BuildResult(self.name, entry["build"]["wall_time_s"], entry, self.models_dir / mf.MANIFEST_NAME)


def build(model: str | Recipe, options: BuildOptions | None = None) -> BuildResult:
    """Build one model end to end (see the module docstring)."""
    recipe = recipes.get(model) if isinstance(model, str) else model
    return Build(recipe, options or BuildOptions()).run()


# -------------------------------------------------------------------------------------- re-analysis


def analyse(model: str, options: BuildOptions | None = None) -> dict[str, Any]:
    """Re-measure the shipped variants of one manifest entry on this machine (latency, peak memory,
    checksums) and, when the build's work folder is still there, the int8 per-layer error. Quality is
    not re-evaluated: that needs the recipe's data and is done by `build`."""
    opts = options or BuildOptions()
    models_dir = Path(opts.models_dir).expanduser().resolve()
    current = mf.load(models_dir)
    if model not in current["models"]:
        raise KeyError(f"no model {model!r} in {models_dir / mf.MANIFEST_NAME}; build it first")
    entry = current["models"][model]
    work = Path(opts.work_dir).expanduser().resolve() / model
    sample = work / "sample.npz"
    updates: dict[str, dict[str, Any]] = {}
    shipped = [p for p, v in entry.get("variants", {}).items() if v.get("status") == "shipped"]
    disable = None if opts.progress is None else not opts.progress
    for precision in _progress(shipped, desc=f"{model}: analyse", unit="variant", disable=disable):
        variant = entry["variants"][precision]
        path = models_dir / variant["file"]
        if not path.is_file():
            updates[precision] = {"analysis_error": f"file missing: {variant['file']}"}
            continue
        if mf.sha256_file(path) != variant.get("sha256"):
            updates[precision] = {"analysis_error": "checksum differs from the manifest; rebuild the model"}
            continue
        probe = _probe(path, sample if sample.is_file() else None, opts.runs,
                       input_names=[t["name"] for t in entry.get("inputs") or []])
        if "error" in probe:
            updates[precision] = {"analysis_error": probe["error"]}
        else:
            updates[precision] = {
                "latency_ms": {k: round(float(v), 4) for k, v in probe["latency_ms"].items()},
                "peak_memory_bytes": int(probe["peak_memory_bytes"]),
                "analysis_error": None,
            }
    layers: dict[str, Any] | None = None
    float_path, rep_path = work / f"{model}.float.keras", work / "representative.npz"
    if float_path.is_file() and rep_path.is_file() and "int8" in entry.get("variants", {}):
        out = work / "analysis" / f"{model}.int8_layers.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with JobRunner(work / "jobs", opts.isolation) as runner:
            job = Job("debug", "int8", str(float_path), str(rep_path), str(out), str(out.with_suffix(".log")),
                      max_samples=DEBUG_SAMPLES, seed=opts.seed, timeout=opts.timeout)
            result = runner.run(job)
        if result.ok:
            stats = read_layer_stats(out)
            layers = {
                "count": len(stats),
                "samples": DEBUG_SAMPLES,
                "worst": [{k: v for k, v in r.items() if k != "tensor"} for r in stats[:WORST_LAYERS]],
                "outputs": [r["tensor"] for r in stats if r["output"]],
                "csv": f"report/{model}.int8_layers.csv",
            }
        else:
            layers = {"error": result.reason}
    with mf.locked(models_dir):
        if layers is not None and "csv" in layers:
            atomic_write(models_dir / layers["csv"], out.read_bytes())

        def change(manifest: dict[str, Any]) -> None:
            target = manifest["models"].get(model)
            if target is None:
                return
            for precision, values in updates.items():
                variant = target["variants"].get(precision)
                if variant is None:
                    continue
                for key, value in values.items():
                    if value is None:
                        variant.pop(key, None)
                    else:
                        variant[key] = value
            if layers is not None:
                target.setdefault("analysis", {})["int8_layers"] = layers
            target["analysed"] = {"finished": mf.now_iso(), "machine": mf.machine(),
                                  "command": opts.command or command_line(["analyse", model])}

        written = mf.update(models_dir, change)
        if opts.report:
            from assistant.factory import report

            report.write_all(models_dir, written)
    return written["models"][model]
