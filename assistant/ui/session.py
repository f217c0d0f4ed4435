"""The live models behind the window: the registry's start-up models (today the Chatbot and the
Predictor), used only from the worker's "models" lane (so they never run on the GUI thread, and never
on two threads at once).

Every method here is called inside a Worker op. A model (or a core module) that cannot load is not an
error for the app: it becomes a problem message the window shows, and the rest keeps working.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from assistant.core.inference import registry
from assistant.core.inference.catalog import Catalog

logger = logging.getLogger(__name__)

CHATBOT = registry.CHATBOT
AUTOCOMPLETE = registry.AUTOCOMPLETE
LIVE_MODELS = registry.startup_names()


class ModelUnavailable(RuntimeError):
    """A live model is not loaded; the message says why, in words for the user."""


@dataclass
class SessionState:
    """What the window shows about the live models: active precision, why, and what is broken."""

    active: dict[str, str] = field(default_factory=dict)  # model -> precision actually loaded
    reasons: dict[str, str] = field(default_factory=dict)  # model -> the policy's (or fallback) reason
    problems: dict[str, str] = field(default_factory=dict)  # model or "catalog" -> message for the user


class ModelSession:
    """Owns the Catalog and the start-up models of the registry. Not for the GUI thread."""

    def __init__(self) -> None:
        self.catalog: Catalog | None = None
        self.live: dict[str, Any] = {}  # model name -> its core wrapper (None when it did not load)
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def chatbot(self) -> Any:
        return self.live.get(CHATBOT)

    @property
    def predictor(self) -> Any:
        return self.live.get(AUTOCOMPLETE)

    # -- loading -----------------------------------------------------------------------------------
    def load(self, overrides: dict[str, str] | None = None) -> SessionState:
        """Load the catalog and every start-up model at its chosen precision (None/"auto" = the policy)."""
        overrides = overrides or {}
        self._problems = {}
        self.catalog = Catalog.load()
        if self.catalog.problems:
            self._problems["catalog"] = "; ".join(self.catalog.problems)
        self.live = {}
        for known in registry.startup_models():
            # The chatbot's "which precision are you using" skill reports every live model, not just itself.
            extra = {"precision_report": self.precision_report} if known.name == CHATBOT else {}
            self.live[known.name] = self._make(known, overrides, **extra)
        return self.state()

    def precision_report(self) -> dict[str, str]:
        """{model: active precision} of the live models (for the chatbot's precision skill)."""
        return {name: str(getattr(self.live.get(name), "precision", "") or "unavailable") for name in LIVE_MODELS}

    def _make(self, known: registry.KnownModel, overrides: dict[str, str], **extra: Any) -> Any:
        model = known.name
        module_name, _, class_name = known.loader.partition(":")
        precision = _fixed(overrides.get(model))
        try:
            module = importlib.import_module(module_name)
            cls = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            self._problems[model] = f"The {model} is not part of this build ({exc})."
            logger.warning("%s", self._problems[model])
            return None
        try:
            obj = cls(precision=precision, catalog=self.catalog, **extra)
        except Exception as exc:  # EngineError, missing assets, damaged files: all become a message
            self._problems[model] = f"The {model} model could not be loaded: {exc}"
            logger.warning("%s", self._problems[model])
            return None
        if getattr(obj, "engine", True) is None:  # built without a model (it reports `.error` instead)
            detail = getattr(obj, "error", None) or "no usable variant"
            self._problems[model] = f"The {model} model could not be loaded: {detail}"
            logger.warning("%s", self._problems[model])
            return None
        return obj

    def state(self) -> SessionState:
        state = SessionState(problems=dict(self._problems))
        for model, obj in self.live.items():
            if obj is None:
                continue
            state.active[model] = str(getattr(obj, "precision", "") or "")
            engine = getattr(obj, "engine", None)
            reason = getattr(engine, "reason", "") if engine is not None else ""
            fallback = getattr(engine, "fallback_reason", "") if engine is not None else ""
            if fallback:
                state.problems.setdefault(model, f"The {model} model fell back: {fallback}.")
            if reason:
                state.reasons[model] = str(reason)
        return state

    # -- calls (worker thread only) ----------------------------------------------------------------
    def ask(self, text: str):
        if self.chatbot is None:
            raise ModelUnavailable(self._problems.get(CHATBOT, "The chatbot is not loaded."))
        return self.chatbot.ask(text)

    def suggest(self, text_before_cursor: str, k: int = 3, previous: str = ""):
        if self.predictor is None:
            raise ModelUnavailable(self._problems.get(AUTOCOMPLETE, "Autocomplete is not loaded."))
        return self.predictor.suggest(text_before_cursor, k=k, previous=previous)

    def due_timers(self) -> list:
        """Timers that ran out and were not announced yet (marked announced); [] without a chatbot."""
        if self.chatbot is None:
            return []
        try:
            return list(self.chatbot.skills.timers.due())
        except Exception as exc:  # a damaged skills database must not break the window
            logger.warning("could not check the timers: %s", exc)
            return []

    def due_reminders(self) -> list:
        """Reminders and alarms whose time came (marked announced), missed ones included; [] without a chatbot."""
        if self.chatbot is None:
            return []
        try:
            return list(self.chatbot.skills.reminders.due())
        except Exception as exc:  # a damaged skills database must not break the window
            logger.warning("could not check the reminders: %s", exc)
            return []

    def learn(self, text: str) -> None:
        if self.predictor is not None:
            try:
                self.predictor.learn(text)
            except Exception as exc:  # learning is a nicety; never lose the message over it
                logger.warning("autocomplete could not learn from a message: %s", exc)

    def set_precision(self, model: str, precision: str | None) -> SessionState:
        """Switch a live model now (None/"auto" = the policy's choice); other models only need settings."""
        precision = _fixed(precision)
        obj = self.live.get(model)
        if obj is not None:
            try:
                obj.set_precision(precision)
                self._problems.pop(model, None)
            except Exception as exc:
                self._problems[model] = f"The {model} model could not switch to {precision or 'Auto'}: {exc}"
                logger.warning("%s", self._problems[model])
        return self.state()

    def clear_personal(self) -> list[str]:
        """Forget what autocomplete learned from the user. Returns what was cleared, in words."""
        layer = getattr(self.predictor, "personal", None)
        if layer is not None:
            layer.clear()
            return ["personal autocomplete words"]
        try:
            from assistant.core.text.personal import PersonalModel
        except ImportError as exc:
            logger.warning("personal autocomplete layer not available: %s", exc)
            return []
        layer = PersonalModel()  # the live predictor is not loaded: clear the store directly
        try:
            layer.clear()
        finally:
            layer.close()
        return ["personal autocomplete words"]


def _fixed(precision: str | None) -> str | None:
    return None if precision in (None, "", "auto") else precision
