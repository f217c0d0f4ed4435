"""Which TFLite interpreter this machine has. The one place that knows the fallback chain.

ai_edge_litert (LiteRT) first, then tflite_runtime (older Raspberry Pi OS / aarch64 wheels), then
tensorflow.lite (a developer machine with only TensorFlow). Imported by name at run time so that the
app neither loads nor depends on TensorFlow when LiteRT is present.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
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


_stderr_lock = threading.Lock()
# Native chatter that never means a problem for the user: LiteRT's INFO lines, and what PortAudio prints
# when it probes sound servers that are not running (JACK) or ALSA devices a machine does not have.
_NATIVE_NOISE = re.compile(r"^(INFO:|ALSA lib |Cannot connect to server|jack server is not running|"
                           r"JackShmReadWritePtr|Jack|connect\(2\) call to)")


@contextlib.contextmanager
def native_output_to_log() -> Iterator[None]:
    """Send what the native runtime prints to stderr while it loads a model into our log instead.

    The interpreter prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." straight to file
    descriptor 2 on the first model of a process, so every command would show it. Its INFO lines go to
    the log file at debug level; anything else it says (real warnings, errors) is logged as a warning and
    so still reaches the terminal. Where descriptor 2 cannot be redirected (no console), nothing changes.
    """
    with _stderr_lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield
            return
        capture = tempfile.TemporaryFile()
        try:
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
        finally:
            os.close(saved)
            capture.close()
    for line in text.splitlines():
        if line.strip():
            level = logging.DEBUG if _NATIVE_NOISE.match(line.strip()) else logging.WARNING
            logger.log(level, "runtime: %s", line.strip())
