"""Every path the app uses is decided here.

Read-only data (models, resources) lives relative to the bundle root so it works from a source tree
and from a PyInstaller bundle. Writable data lives in the platform's user folders, or all of it under
`ASSISTANT_HOME` when that is set (tests always set it, so they never touch real user folders).
`ASSISTANT_MODELS_DIR` points the app at another models folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assistant import APP_ID
from assistant.core.appdata.fileio import private_dir


def bundle_root() -> Path:
    """Folder holding `models/` and `resources/`: the source checkout or the frozen bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[3]


def models_dir() -> Path:
    override = os.environ.get("ASSISTANT_MODELS_DIR")
    return Path(override).expanduser() if override else bundle_root() / "models"


def manifest_path() -> Path:
    return models_dir() / "manifest.json"


def resources_dir() -> Path:
    return bundle_root() / "resources"


def _user_dir(kind: str) -> Path:
    home = os.environ.get("ASSISTANT_HOME")
    if home:
        path = Path(home).expanduser() / kind
    else:
        import platformdirs

        getter = {
            "config": platformdirs.user_config_dir,
            "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir,
            "logs": platformdirs.user_log_dir,
        }[kind]
        path = Path(getter(APP_ID, appauthor=False))
    return private_dir(path)


def config_dir() -> Path:
    return _user_dir("config")


def data_dir() -> Path:
    return _user_dir("data")


def cache_dir() -> Path:
    return _user_dir("cache")


def logs_dir() -> Path:
    return _user_dir("logs")


def settings_path() -> Path:
    return config_dir() / "settings.json"
