"""UI tests drive the real widgets offscreen with pytest-qt; ASSISTANT_HOME is a tmp dir (tests/conftest.py)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from assistant.core.appdata import paths  # noqa: E402
from assistant.core.inference import registry  # noqa: E402

REPO_MODELS = paths.bundle_root() / "models"
LIVE = registry.startup_names()


def trained_model_missing(name: str) -> str | None:
    """Why the trained `name` model (chatbot or autocomplete) cannot be used here (None = it can)."""
    import importlib
    import json

    manifest = REPO_MODELS / "manifest.json"
    try:
        models = json.loads(manifest.read_text(encoding="utf-8")).get("models", {})
    except (OSError, ValueError):
        return f"no readable {manifest}: the trained models are not committed yet"
    if name not in models or not (REPO_MODELS / name).is_dir():
        return f"models/{name} is absent: its helper has not committed the trained model yet"
    module = registry.known(name).loader.partition(":")[0]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not importable yet ({exc})"
    return None


def needs(*names: str):
    """Skip unless the trained models `names` are in the repository's models folder."""
    reasons = [r for r in (trained_model_missing(n) for n in names) if r]
    return pytest.mark.skipif(bool(reasons), reason="; ".join(reasons))


needs_models = needs(*LIVE)
needs_chatbot = needs("chatbot")
needs_autocomplete = needs("autocomplete")


@pytest.fixture
def real_models(monkeypatch) -> Path:
    """The repository's models folder (tests that use it are marked needs_models)."""
    monkeypatch.delenv("ASSISTANT_MODELS_DIR", raising=False)
    return REPO_MODELS


@pytest.fixture
def copied_models(tmp_path, monkeypatch) -> Path:
    """A private copy of the repository's models folder that a test may damage."""
    dst = tmp_path / "models"
    shutil.copytree(REPO_MODELS, dst)
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(dst))
    return dst


@pytest.fixture
def app(qapp):
    from assistant.ui.app import create_app

    return create_app()


@pytest.fixture
def make_window(app, qtbot):
    """Build a MainWindow and wait until its models finished loading (successfully or not)."""
    from assistant.ui.main_window import MainWindow

    made = []

    def make(**kwargs):
        # The start-up calibration changes the latencies and the Auto choices the panel shows while a test
        # looks at them; tests of it ask for it with calibrate_on_start=True.
        kwargs.setdefault("calibrate_on_start", False)
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.loaded, timeout=60_000)
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()


def wait_suggestions(qtbot, window, timeout: int = 15_000) -> list[str]:
    """Wait until the chips show suggestions for exactly the current text before the cursor."""
    inp = window.input
    qtbot.waitUntil(lambda: window.suggested_for == inp.text()[: inp.cursorPosition()], timeout=timeout)
    return list(window.suggestions.words)


def send_and_wait(qtbot, window, text: str | None = None, timeout: int = 30_000):
    """Press Enter (after typing `text` if given) and return the ChatLine of the reply."""
    from PySide6.QtCore import Qt

    if text is not None:
        window.input.setText(text)
    with qtbot.waitSignal(window.reply_shown, timeout=timeout) as blocker:
        qtbot.keyClick(window.input, Qt.Key.Key_Return)
    return blocker.args[0]
