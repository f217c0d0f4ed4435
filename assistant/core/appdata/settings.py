"""Typed user settings, saved as JSON with an atomic replace.

A damaged file is moved aside (settings.json.damaged), defaults are used, and the caller gets a
warning to show the user. Unknown keys are ignored; a wrong-typed value falls back to its default.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write

logger = logging.getLogger(__name__)

AUTO = "auto"


@dataclass
class Settings:
    # model name -> fixed precision; a model that is absent runs on the policy's "Auto" choice.
    precision_overrides: dict[str, str] = field(default_factory=dict)
    # interpreter threads per model: 1 keeps the UI responsive; 0 means all usable cores.
    num_threads: int = 1
    # refine "Auto" with the short on-machine benchmark when one is cached for this machine.
    use_calibration: bool = True
    show_suggestions: bool = True
    theme: str = "system"  # system | light | dark
    # Face lock (its mode and password live in the lock file, assistant.core.face.lock).
    lock_after_minutes: int = 10  # lock after this many minutes without input; 0 = never
    liveness: bool = True  # face unlock also needs the head-move challenge (see assistant.core.face.liveness)
    camera: str = "0"  # a camera number, or a video file / image folder standing in for one
    # Voice input (assistant.core.speech): which recogniser, which microphone, how a dictation ends.
    speech_engine: str = "whisper"  # whisper | vosk
    vosk_model: str = ""  # a model name from the speech models list (vosk only)
    audio_device: str = ""  # a microphone name; "" = the system default
    push_to_talk_key: str = "Ctrl+Space"
    send_dictation: bool = True  # send the final text at once (False: leave it in the input line to edit)
    hands_free: bool = False  # listen all the time; the VAD opens and closes each utterance
    speak_replies: bool = False  # read replies aloud

    def override_for(self, model: str) -> str | None:
        value = self.precision_overrides.get(model)
        return None if value in (None, "", AUTO) else value


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """Settings from disk and a warning for the user (None when all was well)."""
    path = path or paths.settings_path()
    if not path.exists():
        return Settings(), None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        backup = path.with_name(path.name + ".damaged")
        try:
            path.replace(backup)
            where = f"; the damaged file was kept as {backup}"
        except OSError:
            where = ""
        msg = f"Your settings file could not be read ({exc}); default settings are in use{where}."
        logger.warning("%s", msg)
        return Settings(), msg
    settings, problems = _from_dict(raw)
    if problems:
        msg = "Some settings were invalid and were reset to defaults: " + ", ".join(problems) + "."
        logger.warning("%s", msg)
        return settings, msg
    return settings, None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or paths.settings_path()
    atomic_write(path, json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n", mode=0o600)


def _from_dict(raw: dict[str, Any]) -> tuple[Settings, list[str]]:
    defaults = Settings()
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(Settings):
        if f.name not in raw:
            continue
        value = raw[f.name]
        default = getattr(defaults, f.name)
        ok = isinstance(value, type(default)) and not (isinstance(default, int) and isinstance(value, bool) and not isinstance(default, bool))
        if ok and isinstance(default, dict):
            ok = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        if ok and f.name == "num_threads":
            ok = 0 <= value <= 256
        if ok and f.name == "theme":
            ok = value in ("system", "light", "dark")
        if ok and f.name == "lock_after_minutes":
            ok = 0 <= value <= 24 * 60
        if ok and f.name == "camera":
            ok = bool(value.strip())
        if ok and f.name == "speech_engine":
            ok = value in ("whisper", "vosk")
        if ok and f.name == "push_to_talk_key":
            ok = bool(value.strip()) and len(value) <= 40
        if ok:
            values[f.name] = value
        else:
            problems.append(f.name)
    return Settings(**values), problems
