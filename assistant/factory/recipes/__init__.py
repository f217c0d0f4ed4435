"""One module per model recipe; see base.py for the contract.

The registry maps a model name to "module:Class" and imports the module only when that recipe is
used, so `python -m assistant.factory report` never pays for a recipe's imports. Tests add their own
recipes with `register(name, factory)`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.core.inference import registry

if TYPE_CHECKING:
    from assistant.factory.recipes.base import Recipe

logger = logging.getLogger(__name__)

# The shipped models. A recipe whose module is missing or incomplete is reported, never fatal.
KNOWN: dict[str, str] = {
    registry.CHATBOT: "assistant.factory.recipes.chatbot:ChatbotRecipe",
    registry.AUTOCOMPLETE: "assistant.factory.recipes.autocomplete:AutocompleteRecipe",
    registry.FACE_DETECTOR: "assistant.factory.recipes.face_detector:FaceDetectorRecipe",
    registry.FACE_EMBEDDER: "assistant.factory.recipes.face_embedder:FaceEmbedderRecipe",
    registry.VAD: "assistant.factory.recipes.vad:VadRecipe",
}

_extra: dict[str, Callable[[], Recipe] | str] = {}


class RecipeError(Exception):
    """A recipe that cannot be loaded; the message says why in words."""


def register(name: str, factory: Callable[[], Recipe] | str) -> None:
    """Add (or replace) a recipe: a zero-argument callable returning a Recipe, or "module:Class"."""
    _extra[name] = factory


def unregister(name: str) -> None:
    _extra.pop(name, None)


def names() -> list[str]:
    """Every registered name, shipped recipes first."""
    return list(KNOWN) + [n for n in _extra if n not in KNOWN]


def _from_spec(name: str, spec: str) -> Recipe:
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise RecipeError(f"recipe '{name}': module {module_name} is not there yet") from exc
        raise RecipeError(f"recipe '{name}': {module_name} needs {exc.name}, which is not installed") from exc
    except Exception as exc:  # a half-written module must not take the factory down
        raise RecipeError(f"recipe '{name}': importing {module_name} failed: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise RecipeError(f"recipe '{name}': {module_name} has no class {class_name}")
    try:
        return cls()
    except TypeError as exc:  # abstract methods left unimplemented
        raise RecipeError(f"recipe '{name}': {class_name} is incomplete: {exc}") from exc


def get(name: str) -> Recipe:
    """The recipe called `name`; raises RecipeError with a clear message when it cannot be loaded."""
    from assistant.factory.recipes.base import Recipe

    spec = _extra.get(name) or KNOWN.get(name)
    if spec is None:
        raise RecipeError(f"unknown model '{name}'; known: {', '.join(names())}")
    recipe = _from_spec(name, spec) if isinstance(spec, str) else spec()
    if not isinstance(recipe, Recipe):
        raise RecipeError(f"recipe '{name}' is not a Recipe ({type(recipe).__name__})")
    missing = [a for a in ("name", "task", "kind", "architecture", "metric", "sources") if not hasattr(recipe, a)]
    if missing:
        raise RecipeError(f"recipe '{name}' does not set {', '.join(missing)}")
    if recipe.name != name:
        raise RecipeError(f"recipe registered as '{name}' calls itself '{recipe.name}'")
    return recipe
