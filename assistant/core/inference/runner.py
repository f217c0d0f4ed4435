"""One .tflite file in the LiteRT interpreter, with the manifest's input/output contract applied.

Float inputs are quantized for integer-input variants, integer inputs (token ids) are only cast, never
quantized, and integer outputs are de-quantized. The benchmark, the calibration, the factory's probe and
the Engine all run models through `ModelRunner`, so they time and verify exactly what the app runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.core.inference.runtime import RuntimeUnavailable, get_runtime, native_output_to_log

logger = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """A model cannot be loaded or run; the message is meant for the user."""


class ModelRunner:
    """One TFLite model file in the LiteRT interpreter (XNNPACK is on by default for float/int8)."""

    def __init__(self, path: str | Path, num_threads: int = 1, input_names: Sequence[str] | None = None):
        """input_names: the contract's input names in order (the manifest's); the converter may store a
        model's inputs in another order (Silero's state came before its audio), so they are matched by
        the signature's names. Without names the file's own order is used."""
        self.path = Path(path)
        self.input_names = list(input_names or [])
        self.num_threads = max(1, int(num_threads))
        try:
            runtime = get_runtime()
        except RuntimeUnavailable as exc:
            raise EngineError(str(exc)) from exc
        self.runtime = runtime.name
        if not self.path.is_file():
            raise EngineError(f"model file missing: {self.path}")
        try:
            with native_output_to_log():
                self._interp = runtime.interpreter_class(model_path=str(self.path), num_threads=self.num_threads)
                self._interp.allocate_tensors()
        except Exception as exc:  # the interpreter raises ValueError/RuntimeError on damaged flatbuffers
            detail = " ".join(str(exc).split())[:300] or type(exc).__name__  # LiteRT's text spans lines
            raise EngineError(f"cannot load {self.path.name}: damaged or not a model this runtime reads ({detail})") from exc
        self.input_details = _named_order(self._interp, self._interp.get_input_details(), self.input_names)
        self.output_details = _signature_order(self._interp, self._interp.get_output_details())
        self._batch_resizable = True

    def reset(self) -> None:
        """Clear the state of stateful models (variables) between sequences."""
        self._interp.reset_all_variables()

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run on batched inputs (batch first, one array per model input); returns float/int outputs."""
        arrays = [np.asarray(x) for x in inputs]
        if len(arrays) != len(self.input_details):
            raise EngineError(f"{self.path.name} takes {len(self.input_details)} inputs, got {len(arrays)}")
        batch = arrays[0].shape[0] if arrays[0].ndim else 1
        fixed = [tuple(d["shape"]) for d in self.input_details]
        if all(a.shape == s for a, s in zip(arrays, fixed, strict=True)):
            return self._invoke(arrays)
        if self._batch_resizable and self._try_resize([a.shape for a in arrays]):
            return self._invoke(arrays)
        # Fixed batch (e.g. unrolled LSTMs): run sample by sample.
        outs = [self._invoke([a[i : i + 1] for a in arrays]) for i in range(batch)]
        return [np.concatenate([o[j] for o in outs], axis=0) for j in range(len(self.output_details))]

    def _try_resize(self, shapes: list[tuple[int, ...]]) -> bool:
        try:
            for detail, shape in zip(self.input_details, shapes, strict=True):
                if tuple(detail["shape"][1:]) != tuple(shape[1:]):
                    raise EngineError(
                        f"{self.path.name}: input {detail['name']} expects shape {tuple(detail['shape'])}, got {shape}"
                    )
                self._interp.resize_tensor_input(detail["index"], list(shape), strict=False)
            self._interp.allocate_tensors()
            self.input_details = _named_order(self._interp, self._interp.get_input_details(), self.input_names)
            self.output_details = _signature_order(self._interp, self._interp.get_output_details())
            return True
        except EngineError:
            raise
        except Exception as exc:
            logger.debug("%s: batch resize not supported (%s); running per sample", self.path.name, exc)
            self._batch_resizable = False
            self._interp.resize_tensor_input(self.input_details[0]["index"], [1, *shapes[0][1:]], strict=False)
            self._interp.allocate_tensors()
            return False

    def _invoke(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        for detail, array in zip(self.input_details, arrays, strict=True):
            self._interp.set_tensor(detail["index"], _to_input(array, detail))
        self._interp.invoke()
        return [_from_output(self._interp.get_tensor(d["index"]), d) for d in self.output_details]


def _signature(interp) -> dict | None:
    try:
        signatures = interp._get_full_signature_list()
    except Exception:  # noqa: BLE001 - an interpreter without signature support keeps its own order
        return None
    return next(iter(signatures.values())) if len(signatures) == 1 else None


def _named_order(interp, details: list[dict], names: Sequence[str]) -> list[dict]:
    """Input details in the order of `names` (the signature maps each name to a tensor index)."""
    if len(details) < 2 or not names:
        return details
    inputs = (_signature(interp) or {}).get("inputs") or {}
    by_index = {d["index"]: d for d in details}
    ordered = [by_index.get(inputs.get(name, -1)) for name in names]
    if len(ordered) != len(details) or any(d is None for d in ordered):
        raise EngineError(f"inputs {list(inputs)} of the model file do not match the contract's {list(names)}")
    return ordered  # type: ignore[return-value]


def _signature_order(interp, details: list[dict]) -> list[dict]:
    """Output details in the order of the model's signature (output_0, output_1, ...: the order of the
    Keras model's outputs). The flatbuffer's own order can differ (a three-output detector came back as
    1, 0, 2), and shapes alone do not always tell outputs apart."""
    signature = _signature(interp)
    if signature is None:
        return details
    outputs = signature.get("outputs") or {}
    numbers: dict[str, int] = {}
    for name in outputs:
        match = re.fullmatch(r"output_(\d+)", name)
        if match is None:
            return details
        numbers[name] = int(match.group(1))
    if len(outputs) != len(details):
        return details
    by_index = {d["index"]: d for d in details}
    ordered = [by_index.get(outputs[name]) for name in sorted(outputs, key=numbers.__getitem__)]
    return [d for d in ordered if d is not None] if all(d is not None for d in ordered) else details


def _to_input(array: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if np.issubdtype(dtype, np.integer) and scale and np.issubdtype(array.dtype, np.floating):
        info = np.iinfo(dtype)
        q = np.round(array / scale + zero_point)
        return np.clip(q, info.min, info.max).astype(dtype)
    return array.astype(dtype, copy=False)


def _from_output(array: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    if np.issubdtype(array.dtype, np.integer) and scale:
        return ((array.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return array.copy()
