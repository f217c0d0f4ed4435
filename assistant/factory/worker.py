"""TensorFlow Lite conversion jobs, each run in a process of its own.

The converter can crash its process (calibration of some models aborts in native code), so the
pipeline never converts in its own process. Importing TensorFlow costs about 10 s on a 2-core
machine, so on Linux a long-lived "zygote" imports it once (`--serve`) and forks a fresh child for
every job: the child converts and exits, a crash or a hang kills only that child. Elsewhere (or with
ASSISTANT_FACTORY_ISOLATION=spawn) every job gets a freshly spawned interpreter (`--job FILE`).

Jobs are JSON objects (assistant.factory.convert.Job); the float model is a saved `.keras` file and the
representative samples an `.npz` with one stacked array per input ("input_0", "input_1", ...).

Test hook: ASSISTANT_FACTORY_CRASH="int8,mixed" makes the child of those jobs abort (SIGABRT) before
converting, the way a crashing converter does.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

CRASH_ENV = "ASSISTANT_FACTORY_CRASH"
PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "int16x8")  # what one converter call can make


def _load_model(job: dict[str, Any]) -> Any:
    import keras

    for name in job.get("imports") or []:
        module = importlib.import_module(name)
        # A recipe with custom layers registers them here (its module imports without Keras).
        register = getattr(module, "register_keras_objects", None)
        if callable(register):
            register()
    # The .keras file was written moments ago by this build (trusted): allow Lambda layers too.
    return keras.saving.load_model(job["model"], compile=False, safe_mode=False)


def _representative(job: dict[str, Any], names: list[str] | None = None, order: list[str] | None = None) -> Any:
    """A dataset factory yielding the batch-1 arrays of one sample at a time (saved in the Keras model's
    input order). With `names` (the Keras input names) a sample is a dict {name: array}: the converter
    stores inputs in an order of its own (Silero VAD: state before audio) and matches dicts by name.
    The QuantizationDebugger wants lists in its interpreter's order: `order` is filled in before use."""
    import numpy as np

    with np.load(job["representative"]) as data:
        arrays = [data[f"input_{i}"] for i in range(len(data.files))]
    count = arrays[0].shape[0]
    limit = int(job.get("max_samples") or 0)
    if limit:
        count = min(count, limit)

    def dataset():
        for j in range(count):
            sample = [a[j : j + 1] for a in arrays]
            if names and len(names) == len(sample) and len(sample) > 1:
                by_name = dict(zip(names, sample, strict=True))
                yield [by_name[n] for n in order] if order else by_name
            else:
                yield sample

    return dataset


def _input_names(model: Any) -> list[str]:
    return [str(getattr(t, "name", "")).split(":")[0] for t in model.inputs]


def _converter(job: dict[str, Any], model: Any, precision: str) -> Any:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision == "fp32":
        return converter
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "dynamic":
        pass  # int8 weights, float activations: no calibration data
    elif precision == "int8":
        converter.representative_dataset = _representative(job, _input_names(model))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if job.get("int8_input"):
            converter.inference_input_type = tf.int8  # float inputs only; int32 token ids stay int32
        if job.get("int8_output"):
            converter.inference_output_type = tf.int8
    elif precision == "int16x8":
        converter.representative_dataset = _representative(job, _input_names(model))
        # Strictly 16x8: no silent fallback to float kernels (such a fallback negated embeddings once).
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
    elif precision in ("debug", "mixed"):
        converter.representative_dataset = _representative(job, _input_names(model))
    else:
        raise ValueError(f"unknown precision {precision!r}")
    return converter


def _write(path: str, content: bytes) -> None:
    tmp = Path(path + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _debugger(job: dict[str, Any], model: Any, denylisted: list[str] | None) -> Any:
    import tensorflow as tf

    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=denylisted or None)
    converter = _converter(job, model, "debug")
    order: list[str] = []
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=_representative(job, _input_names(model), order), debug_options=options
    )
    # Its interpreter's input order, by signature name (read before the debug dataset is first used).
    interp = debugger._quant_interpreter
    signature = next(iter(interp._get_full_signature_list().values()), {}) if len(model.inputs) > 1 else {}
    by_index = {index: name for name, index in (signature.get("inputs") or {}).items()}
    order.extend(by_index[d["index"]] for d in interp.get_input_details() if d["index"] in by_index)
    return debugger


def _mixed(job: dict[str, Any], model: Any) -> None:
    """Selective int8: for each step k, the model with the first k ranked layers kept in float.

    Calibration runs once; each step only re-quantizes the calibrated model with a new denylist
    (QuantizationDebugger's options setter). `out` becomes a JSON map {k: file}.
    """
    import tensorflow as tf

    ranked = list(job.get("denylisted_nodes") or [])
    steps = [int(k) for k in job.get("steps") or [len(ranked)]]
    debugger = _debugger(job, model, ranked[: steps[0]])
    stem = job["out"].removesuffix(".json")
    made: dict[str, str] = {}
    for i, k in enumerate(steps):
        if i:
            debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=ranked[:k])
        path = f"{stem}-{k}.tflite"
        _write(path, debugger.get_nondebug_quantized_model())
        made[str(k)] = path
    _write(job["out"], json.dumps(made).encode("utf-8"))


def run_job(job: dict[str, Any]) -> None:
    """Do one job in this process; raises on failure (the caller turns that into an exit code)."""
    crash = {p.strip() for p in os.environ.get(CRASH_ENV, "").split(",") if p.strip()}
    if job["precision"] in crash or job["kind"] in crash:
        sys.stderr.write(f"{CRASH_ENV}: simulated converter crash for {job['precision']}\n")
        sys.stderr.flush()
        os.abort()
    if job["kind"] not in ("convert", "mixed", "debug"):
        raise ValueError(f"unknown job kind {job['kind']!r}")
    if job["kind"] == "convert" and job["precision"] not in PRECISIONS:
        raise ValueError(f"unknown precision {job['precision']!r}")
    import numpy as np

    np.random.seed(int(job.get("seed", 0)))
    model = _load_model(job)
    if job["kind"] == "convert":
        _write(job["out"], _converter(job, model, job["precision"]).convert())
    elif job["kind"] == "mixed":
        _mixed(job, model)
    elif job["kind"] == "debug":
        import io

        import tensorflow as tf

        debugger = _debugger(job, model, None)
        debugger.run()
        # Which tensors are the model's outputs: their rounding reaches the answer directly.
        calibrated = tf.lite.Interpreter(model_content=debugger.calibrated_model)
        outputs = [d["name"] for d in calibrated.get_output_details()]
        _write(job["out"].removesuffix(".csv") + ".outputs.json", json.dumps(outputs).encode("utf-8"))
        buffer = io.StringIO()
        debugger.layer_statistics_dump(buffer)
        _write(job["out"], buffer.getvalue().encode("utf-8"))


def _child(job: dict[str, Any]) -> int:
    try:
        run_job(job)
        return 0
    except BaseException:  # noqa: B036 - everything becomes an exit code and a traceback in the log
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _fork_and_wait(job: dict[str, Any]) -> dict[str, Any]:
    start = time.monotonic()
    timeout = float(job.get("timeout") or 900)
    with open(job["log"], "ab") as log:
        pid = os.fork()
        if pid == 0:  # the child: its output goes to the job's log
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            os._exit(_child(job))
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > timeout:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            timed_out = True
            break
        time.sleep(0.02)
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - start, 3),
    }


def serve() -> int:
    """Zygote loop: import TensorFlow once, then one forked child per JSON job line on stdin."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints of TensorFlow must not corrupt the protocol
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        protocol.write(json.dumps(_fork_and_wait(job)) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.factory.worker")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--serve", action="store_true", help="zygote: fork one child per job line on stdin")
    group.add_argument("--job", type=Path, help="run one job (JSON file) in this process")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if args.serve:
        return serve()
    return _child(json.loads(args.job.read_text(encoding="utf-8")))


if __name__ == "__main__":
    raise SystemExit(main())
