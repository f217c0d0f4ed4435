"""One catalog model with fallback (`Engine`): the policy's variant, or the next best that loads.

The engine picks the variant (the policy's choice unless told), skips a missing or corrupt variant with a
logged reason, and can swap precision while the app runs. Running one file is `runner.ModelRunner`.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from assistant.core.inference.catalog import Catalog, ModelInfo
from assistant.core.inference.runner import EngineError, ModelRunner

__all__ = ["Engine", "EngineError"]

logger = logging.getLogger(__name__)


class Engine:
    """One catalog model at one precision, with fallback and run-time precision swap. Thread-safe."""

    def __init__(
        self,
        model: str,
        precision: str | None = None,
        catalog: Catalog | None = None,
        num_threads: int = 1,
    ):
        self.catalog = catalog if catalog is not None else Catalog.load()
        self.model_name = model
        self.num_threads = num_threads
        self._lock = threading.RLock()
        self._runner: ModelRunner | None = None
        self.precision = ""
        self.requested: str | None = None
        self.fallback_reason = ""
        self.reason = ""
        self.set_precision(precision)

    @property
    def info(self) -> ModelInfo:
        return self.catalog.model(self.model_name)

    def set_precision(self, precision: str | None) -> str:
        """Load `precision` (None = the policy's choice); on failure the next best. Returns what loaded."""
        from assistant.core.inference import policy

        if self.model_name not in self.catalog.models:
            detail = "; ".join(self.catalog.problems) or f"the manifest has no model {self.model_name!r}"
            raise EngineError(f"the {self.model_name} model is not available: {detail}")
        decision = policy.select(self.model_name, catalog=self.catalog, override=precision)
        wanted = precision or decision.precision
        order = [wanted] + [p for p in decision.ranking if p != wanted]
        failures: list[str] = []
        for candidate in order:
            check = self.catalog.check(self.model_name, candidate)
            if not check.ok:
                failures.append(f"{candidate}: {check.reason}")
                continue
            variant = self.info.variants[candidate]
            assert variant.path is not None
            try:
                runner = ModelRunner(variant.path, self.num_threads, [t.name for t in self.info.inputs])
            except EngineError as exc:
                failures.append(f"{candidate}: {exc}")
                logger.warning("%s %s failed to load: %s", self.model_name, candidate, exc)
                continue
            with self._lock:
                self._runner = runner
                self.precision = candidate
                self.requested = precision
                self.reason = decision.reason if candidate == decision.precision and not precision else (
                    "chosen in settings" if precision == candidate else ""
                )
                self.fallback_reason = ""
                if candidate != wanted:
                    self.fallback_reason = f"{wanted} unavailable ({failures[0].split(': ', 1)[-1]}); using {candidate}"
                    self.reason = self.fallback_reason
                    logger.warning("%s: %s", self.model_name, self.fallback_reason)
            return candidate
        raise EngineError(f"no usable variant of the {self.model_name} model: " + "; ".join(failures))

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            if self._runner is None:
                raise EngineError(f"the {self.model_name} model is not loaded")
            return self._runner.run(inputs)

    def reset(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.reset()
