"""Which TFLite interpreter this machine has. The one place that knows the fallback chain.

ai_edge_litert (LiteRT) first, then tflite_runtime (older Raspberry Pi OS / aarch64 wheels), then
tensorflow.lite (a developer machine with only TensorFlow). Imported by name at run time so that the
app neither loads nor depends on TensorFlow when LiteRT is present.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

_CHAIN = (
    ("ai_edge_litert", "ai_edge_litert.interpreter"),
    ("tflite_runtime", "tflite_runtime.interpreter"),
    ("tensorflow.lite", "tensorflow.lite"),
)


class RuntimeUnavailable(RuntimeError):
    """No TFLite interpreter package is installed."""


@dataclass(frozen=True)
class Runtime:
    name: str
    interpreter_class: Any
    version: str


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    """The first interpreter of the fallback chain that imports."""
    errors = []
    for name, module_name in _CHAIN:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # ImportError, or a broken native library (OSError)
            errors.append(f"{name}: {exc}")
            continue
        top = importlib.import_module(name.split(".")[0])
        version = str(getattr(top, "__version__", "unknown"))
        logger.info("TFLite runtime: %s %s", name, version)
        return Runtime(name, module.Interpreter, version)
    raise RuntimeUnavailable(
        "no TFLite runtime found; install ai-edge-litert (pip install ai-edge-litert). Tried: " + "; ".join(errors)
    )
