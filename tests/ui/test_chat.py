"""The chat window with the real trained chatbot and autocomplete models (skipped until they are committed)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import needs_autocomplete, needs_chatbot, needs_models, send_and_wait, wait_suggestions


@needs_models
def test_type_see_suggestions_change_accept_with_tab_send_and_get_reply(qtbot, make_window, real_models):
    window = make_window()
    assert not window.banner.isVisible(), window.banner.messages
    inp = window.input
    qtbot.keyClicks(inp, "what is the ")
    first = wait_suggestions(qtbot, window)
    assert 1 <= len(first) <= 3
    assert [c.text() for c in window.suggestions.chips if c.isVisible()] == first
    qtbot.keyClicks(inp, "weather in ")
    second = wait_suggestions(qtbot, window)
    assert second and second != first, "suggestions should follow the text"
    before = inp.text()
    qtbot.keyClick(inp, Qt.Key.Key_Tab)
    assert inp.text() == before + second[0] + " ", "Tab inserts the first suggestion"
    assert inp.hasFocus()
    reply = send_and_wait(qtbot, window)
    assert reply is not None and reply.text
    bubbles = window.transcript.bubbles
    assert bubbles[-2].line.role == "user" and bubbles[-2].line.text == (before + second[0]).strip()
    assert bubbles[-1].line.role == "assistant" and bubbles[-1].line.text == reply.text
    assert reply.precision and reply.precision in bubbles[-1].meta_label.text()
    assert f"Chatbot precision: {reply.precision}" in bubbles[-1].toolTip()
    assert inp.text() == ""


@needs_autocomplete
def test_alt_digit_and_click_pick_a_suggestion(qtbot, make_window, real_models):
    window = make_window()
    inp = window.input
    qtbot.keyClicks(inp, "i want to ")
    words = wait_suggestions(qtbot, window)
    if len(words) < 2:
        pytest.skip(f"the model offered only {words} here")
    qtbot.keyClick(inp, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert inp.text() == "i want to " + words[1] + " "
    words = wait_suggestions(qtbot, window)
    assert words
    text = inp.text()
    qtbot.mouseClick(window.suggestions.chips[0], Qt.MouseButton.LeftButton)
    assert inp.text() == text + words[0] + " "


@needs_autocomplete
def test_tab_moves_focus_when_there_are_no_suggestions(qtbot, make_window, real_models):
    window = make_window()
    window.suggestions.set_words([])
    window.input.setFocus()
    qtbot.keyClick(window.input, Qt.Key.Key_Tab)
    assert not window.input.hasFocus()


@needs_chatbot
def test_switching_precision_in_settings_changes_the_next_reply(qtbot, make_window, real_models):
    window = make_window()
    first = send_and_wait(qtbot, window, "hello")
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(lambda: dialog.view is not None and "chatbot" in dialog.models_page.panels, timeout=20_000)
    panel = dialog.models_page.panels["chatbot"]
    choices = [panel.combo.itemData(i) for i in range(panel.combo.count()) if panel.combo.itemData(i)]
    other = next((p for p in choices if p != first.precision), None)
    if other is None:
        pytest.skip("the chatbot ships a single precision")
    with qtbot.waitSignal(window.session_changed, timeout=20_000,
                          check_params_cb=lambda state: state.active.get("chatbot") == other):
        panel.select_choice(other)
    assert window.settings.precision_overrides["chatbot"] == other
    qtbot.waitUntil(lambda: panel.table.item(
        [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())].index(other), 7).text() != "",
        timeout=10_000)
    dialog.reject()
    second = send_and_wait(qtbot, window, "hello")
    assert second.precision == other
    assert other in window.transcript.bubbles[-1].meta_label.text()
    assert f"chatbot: {other}" in window.status_models.text()
    # And back to Auto: the policy's choice again.
    with qtbot.waitSignal(window.session_changed, timeout=20_000):
        window.set_model_precision("chatbot", None)
    assert "chatbot" not in window.settings.precision_overrides
    third = send_and_wait(qtbot, window, "hello")
    assert third.precision == first.precision


@needs_chatbot
def test_history_comes_back_after_restart(qtbot, make_window, real_models):
    window = make_window()
    reply = send_and_wait(qtbot, window, "tell me a joke")
    window.close()
    again = make_window()
    lines = [(b.line.role, b.line.text, b.line.precision) for b in again.transcript.bubbles]
    assert lines[-2:] == [("user", "tell me a joke", None), ("assistant", reply.text, reply.precision)]


@needs_autocomplete
def test_sent_text_teaches_autocomplete(qtbot, make_window, real_models):
    window = make_window()
    phrase = "zorblax quintessential"
    for _ in range(3):
        send_and_wait(qtbot, window, phrase)
    qtbot.keyClicks(window.input, "zorblax ")
    words = wait_suggestions(qtbot, window)
    assert "quintessential" in words, f"personal layer did not learn the phrase: {words}"


@needs_models
def test_no_model_call_runs_on_the_gui_thread(qtbot, make_window, real_models, monkeypatch):
    from assistant.core.inference.engine import Engine
    from assistant.core.text.autocomplete import Predictor
    from assistant.core.text.chatbot import Chatbot

    calls: list[tuple[str, bool]] = []

    def spy(cls, name):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            calls.append((f"{cls.__name__}.{name}", threading.current_thread() is threading.main_thread()))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for cls, name in ((Engine, "run"), (Engine, "set_precision"), (Chatbot, "ask"), (Chatbot, "__init__"),
                      (Predictor, "suggest"), (Predictor, "learn"), (Predictor, "__init__")):
        spy(cls, name)
    window = make_window()
    qtbot.keyClicks(window.input, "can you ")
    wait_suggestions(qtbot, window)
    qtbot.keyClick(window.input, Qt.Key.Key_Tab)
    send_and_wait(qtbot, window)
    window.set_model_precision("chatbot", None)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=20_000)
    names = {name for name, _ in calls}
    assert {"Engine.run", "Chatbot.ask", "Predictor.suggest", "Predictor.learn", "Chatbot.__init__"} <= names
    on_gui = [name for name, main in calls if main]
    assert not on_gui, f"model calls on the GUI thread: {on_gui}"


@needs_models
def test_suggestions_read_the_last_message_of_the_chat(qtbot, make_window, real_models, monkeypatch):
    window = make_window()
    seen: list[str] = []
    suggest = window.session.suggest

    def spy(text, k=3, previous=""):
        seen.append(previous)
        return suggest(text, k=k, previous=previous)

    monkeypatch.setattr(window.session, "suggest", spy)
    window.show_system_message("a notice is not part of the conversation")
    assert window.transcript.last_message() == ""
    reply = send_and_wait(qtbot, window, "how are you?")
    assert window.transcript.last_message() == reply.text
    seen.clear()
    qtbot.keyClicks(window.input, "i ")
    wait_suggestions(qtbot, window)
    assert seen and seen[-1] == reply.text


@needs_chatbot
def test_a_finished_timer_is_announced_once(qtbot, make_window, real_models):
    window = make_window()
    reply = send_and_wait(qtbot, window, "set a timer for 2 seconds")
    assert reply.skill == "timer" or "timer" in reply.text.lower(), reply

    def announced() -> list:
        return [b for b in window.transcript.bubbles if b.line.text.startswith("Time's up")]

    qtbot.waitUntil(lambda: len(announced()) == 1, timeout=10_000)
    bubble = announced()[0]
    assert bubble.line.role == "assistant" and "2 second timer" in bubble.line.text
    assert window.history.recent(5)[-1].text == bubble.line.text  # kept with the conversation
    qtbot.wait(2500)  # later checks do not announce it again
    assert len(announced()) == 1


def test_the_transcript_keeps_the_newest_bubbles_only(qtbot):
    """Regression (scripts/soak_long_use.py): every bubble costs layout time on each new message, so an
    unbounded transcript made replies slower the longer the window stayed open (p95 39 -> 66 ms over 1,000
    messages). Older messages leave the window; they stay in the history database."""
    from assistant.ui.chat_widgets import MAX_BUBBLES, ChatLine, Transcript

    transcript = Transcript()
    qtbot.addWidget(transcript)
    for i in range(MAX_BUBBLES + 50):
        transcript.add(ChatLine("user" if i % 2 else "assistant", f"message {i}", 0.0))
    assert len(transcript.bubbles) == MAX_BUBBLES == len(transcript._rows)
    assert transcript.bubbles[0].line.text == "message 50"
    assert transcript.bubbles[-1].line.text == f"message {MAX_BUBBLES + 49}"
    assert transcript.last_message() == f"message {MAX_BUBBLES + 49}"
