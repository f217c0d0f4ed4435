"""Peak memory and latency of one variant, measured in a fresh process that never imports TensorFlow.

Run as `python -m assistant.factory.probe MODEL.tflite [--inputs X.npz] [--runs N]`; prints one JSON
object. Memory is the growth of the resident set while loading the variant and running it: on Linux
the peak (VmHWM) is reset after the interpreter library is imported, elsewhere ru_maxrss is compared
with its value before loading. Latency comes from assistant.core.inference.bench.measure_variant, the code
behind `assistant bench`, so the report's numbers and the app's agree.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

import numpy as np

from assistant.core.inference.hardware import process_status_kb

_CLEAR_REFS = Path("/proc/self/clear_refs")


def _maxrss_bytes() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(value) if sys.platform == "darwin" else int(value) * 1024


def _reset_peak() -> bool:
    """Set the peak resident size to the current one (Linux >= 4.0); False where that is impossible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_memory_bytes(path: Path, inputs: list[np.ndarray] | None, runs: int = 10,
                      input_names: list[str] | None = None) -> tuple[int, str]:
    """Resident-set growth from loading and running the variant, and how it was measured."""
    from assistant.core.inference.bench import sample_inputs
    from assistant.core.inference.runner import ModelRunner
    from assistant.core.inference.runtime import get_runtime

    get_runtime()  # import the interpreter library before the baseline
    if _reset_peak() and process_status_kb("VmRSS") is not None:
        baseline = (process_status_kb("VmRSS") or 0) * 1024
        method = "VmHWM growth"
    else:
        baseline = _maxrss_bytes()
        method = "ru_maxrss growth"
    runner = ModelRunner(path, num_threads=1, input_names=input_names)
    arrays = inputs if inputs is not None else sample_inputs(runner)
    for _ in range(runs):
        runner.run(arrays)
    peak = (process_status_kb("VmHWM") or 0) * 1024 if method == "VmHWM growth" else _maxrss_bytes()
    return max(0, peak - baseline), method


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.factory.probe")
    parser.add_argument("model", type=Path)
    parser.add_argument("--inputs", type=Path, help=".npz with input_0.. batch-1 arrays (real samples)")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per thread setting")
    parser.add_argument("--input-names", default="", help="the contract's input names in order, comma-separated")
    args = parser.parse_args(argv)
    inputs = None
    if args.inputs and args.inputs.is_file():
        with np.load(args.inputs) as data:
            inputs = [data[f"input_{i}"] for i in range(len(data.files))]
    names = [n for n in args.input_names.split(",") if n]
    memory, method = peak_memory_bytes(args.model, inputs, input_names=names or None)
    from assistant.core.inference.bench import measure_variant

    latency = measure_variant(args.model, runs=args.runs, warmup=max(5, args.runs // 10))
    json.dump({"peak_memory_bytes": memory, "memory_method": method, "latency_ms": latency}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
