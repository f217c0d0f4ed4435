"""A missing or damaged model, or a damaged settings file: a clear message, and the rest still works."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from assistant.core.appdata import paths
from tests.ui.conftest import needs_chatbot, needs_models, send_and_wait, wait_suggestions


def test_empty_models_dir_shows_message_and_window_still_works(qtbot, make_window, tmp_path, monkeypatch):
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(empty))
    window = make_window()
    assert window.banner.isVisible()
    text = window.banner.label.text()
    assert "chatbot" in text and "autocomplete" in text
    assert "chatbot: unavailable" in window.status_models.text()
    # Typing still works, and sending gives a clear line instead of a reply; history is still kept.
    qtbot.keyClicks(window.input, "hello there")
    assert window.input.text() == "hello there"
    assert not window.suggestions.words
    reply = send_and_wait(qtbot, window)
    assert reply is None
    assert window.transcript.bubbles[-1].line.role == "system"
    assert "No reply" in window.transcript.bubbles[-1].line.text
    assert [m.text for m in window.history.recent()] == ["hello there"]
    # Settings open and say there is nothing to compare.
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(lambda: dialog.view is not None, timeout=10_000)
    assert dialog.models_page.tabs.tabText(0) == "No models"
    assert "no model manifest" in dialog.models_page.notice.text()
    assert not dialog.models_page.measure_button.isEnabled()


def test_damaged_settings_warning_is_shown_once(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    paths.settings_path().write_text("{ this is not json")
    window = make_window()
    assert any("settings file could not be read" in m for m in window.banner.messages)
    window.close()
    second = make_window()
    assert not any("settings file" in m for m in second.banner.messages), second.banner.messages  # set aside


@needs_models
def test_corrupt_chatbot_model_leaves_autocomplete_working(qtbot, make_window, copied_models):
    manifest = json.loads((copied_models / "manifest.json").read_text())
    for variant in manifest["models"]["chatbot"]["variants"].values():
        if variant.get("file"):
            path = copied_models / variant["file"]
            path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])  # truncated
    window = make_window()
    assert "chatbot" in window.banner.label.text() and window.banner.isVisible()
    assert "chatbot: unavailable" in window.status_models.text()
    qtbot.keyClicks(window.input, "how are ")
    words = wait_suggestions(qtbot, window)
    assert words, "autocomplete should still suggest while the chatbot is broken"
    reply = send_and_wait(qtbot, window)
    assert reply is None and "No reply" in window.transcript.bubbles[-1].line.text


@needs_chatbot
def test_one_corrupt_variant_falls_back_with_a_message(qtbot, make_window, copied_models):
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.policy import select

    catalog = Catalog.load(copied_models)
    wanted = select("chatbot", catalog=catalog).precision
    variant = catalog.model("chatbot").variants[wanted]
    variant.path.write_bytes(b"\0" * variant.bytes)  # same size, wrong checksum
    window = make_window()
    active = window.state.active.get("chatbot")
    assert active and active != wanted
    assert any("fell back" in m for m in window.banner.messages)
    reply = send_and_wait(qtbot, window, "hello")
    assert reply is not None and reply.precision == active
    qtbot.keyClick(window.input, Qt.Key.Key_A)  # the window keeps working
