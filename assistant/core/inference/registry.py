"""The models the app knows, named in one place.

The manifest (written by the factory) says what each model *is*: files, contract, measured figures.
This module says what the app *does* with it: which feature uses it, what it is called in the window,
and whether the chat window's session loads it at start-up (and with which core class). A new model
is one line here plus its recipe in the factory; nothing else spells its name.
"""

from __future__ import annotations

from dataclasses import dataclass

CHATBOT = "chatbot"
AUTOCOMPLETE = "autocomplete"
FACE_DETECTOR = "face_detector"
FACE_EMBEDDER = "face_embedder"
VAD = "vad"


@dataclass(frozen=True)
class KnownModel:
    name: str  # key in models/manifest.json, folder and file stem in models/
    title: str  # what the window calls it
    feature: str  # chat | typing | face | speech
    # Loaded by the chat window's session when it opens ("module:Class" of the core wrapper, which
    # takes precision= and catalog=). Others are loaded by their feature when it is used.
    loader: str = ""

    @property
    def at_startup(self) -> bool:
        return bool(self.loader)


MODELS: tuple[KnownModel, ...] = (
    KnownModel(CHATBOT, "chatbot", "chat", "assistant.core.text.chatbot:Chatbot"),
    KnownModel(AUTOCOMPLETE, "autocomplete", "typing", "assistant.core.text.autocomplete:Predictor"),
    KnownModel(FACE_DETECTOR, "face detector", "face"),
    KnownModel(FACE_EMBEDDER, "face embedder", "face"),
    KnownModel(VAD, "voice activity detector", "speech"),
)
_BY_NAME = {m.name: m for m in MODELS}


def known(name: str) -> KnownModel | None:
    """The registry entry of `name`, or None for a model the app does not know (a test fixture)."""
    return _BY_NAME.get(name)


def startup_models() -> tuple[KnownModel, ...]:
    """The models the chat window's session loads when it opens, in loading order."""
    return tuple(m for m in MODELS if m.at_startup)


def startup_names() -> tuple[str, ...]:
    return tuple(m.name for m in startup_models())


def display_order(names: list[str]) -> list[str]:
    """Known models in registry order first, then any others (fixtures) alphabetically."""
    order = {m.name: i for i, m in enumerate(MODELS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))
