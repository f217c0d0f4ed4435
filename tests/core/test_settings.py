"""Typed settings: round trip, damaged file backed up with a warning, bad values reset."""

from __future__ import annotations

import json

from assistant.core.appdata import paths
from assistant.core.appdata.settings import Settings, load_settings, save_settings


def test_defaults_when_no_file():
    settings, warning = load_settings()
    assert settings == Settings() and warning is None


def test_round_trip():
    save_settings(Settings(precision_overrides={"chatbot": "int8"}, num_threads=2, theme="dark"))
    settings, warning = load_settings()
    assert warning is None
    assert settings.override_for("chatbot") == "int8" and settings.override_for("autocomplete") is None
    assert settings.num_threads == 2 and settings.theme == "dark"


def test_damaged_file_is_backed_up_and_defaults_used():
    path = paths.settings_path()
    path.write_text('{"num_threads": 2, ')
    settings, warning = load_settings()
    assert settings == Settings()
    assert warning and "could not be read" in warning
    backup = path.with_name(path.name + ".damaged")
    assert backup.read_text() == '{"num_threads": 2, '
    assert not path.exists()


def test_wrong_types_are_reset_one_by_one():
    paths.settings_path().write_text(json.dumps(
        {"num_threads": "many", "theme": "purple", "precision_overrides": {"chatbot": "int8"}, "unknown": 1}
    ))
    settings, warning = load_settings()
    assert settings.num_threads == 1 and settings.theme == "system"
    assert settings.override_for("chatbot") == "int8"
    assert "num_threads" in warning and "theme" in warning


def test_save_is_atomic_no_temp_files_left():
    save_settings(Settings())
    leftovers = [p.name for p in paths.config_dir().iterdir() if p.name != "settings.json"]
    assert leftovers == []
