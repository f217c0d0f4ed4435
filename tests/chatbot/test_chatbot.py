"""The chatbot on the committed model: the acceptance conversations, robustness, unavailable models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.core.appdata import paths
from assistant.core.text.chatbot import Chatbot, Reply


def _ask_cli(home: Path, text: str) -> dict:
    """`assistant ask TEXT --json` in a new process (what "after a restart" means for the data)."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    env.pop("ASSISTANT_MODELS_DIR", None)
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", text, "--json"], env=env, capture_output=True,
                         text=True, timeout=120, cwd=paths.bundle_root())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_what_time_is_it(chatbot):
    before = datetime.now()
    reply = chatbot.ask("what time is it")
    after = datetime.now()
    assert reply.intent == "time" and reply.skill == "time"
    assert reply.text.startswith(("It's " + before.strftime("%H:%M"), "It's " + after.strftime("%H:%M")))
    assert 0.0 < reply.latency_ms < 1000 and reply.precision == chatbot.precision


def test_timer_then_status_in_a_new_process(chatbot, assistant_home):
    reply = chatbot.ask("set a timer for 5 minutes")
    assert reply.intent == "timer_start" and reply.text.startswith("Timer set for 5 minutes")
    chatbot.skills.close()
    status = _ask_cli(assistant_home, "how long is left on my timer")
    assert status["intent"] == "timer_status"
    assert status["reply"].startswith("Your 5 minute timer has 4 minutes") or \
        status["reply"].startswith("Your 5 minute timer has 5 minutes")


def test_shopping_list_after_a_restart(chatbot, assistant_home):
    reply = chatbot.ask("add milk to my shopping list")
    assert reply.intent == "list_add" and reply.text == "Added milk to your shopping list."
    chatbot.skills.close()
    shown = _ask_cli(assistant_home, "what is on my shopping list")
    assert shown["intent"] == "list_show" and shown["reply"] == "Your shopping list has 1 item: milk."


@pytest.mark.parametrize("text, intent", [
    ("what's the date today", "date"),
    ("cancel my timer", "timer_cancel"),
    ("take a note that the car is on level 3", "note_add"),
    ("read me my notes", "note_show"),
    ("what is 12 times 7", "arithmetic"),
    ("which precision are you running", "about_precision"),
    ("what can you do", "help"),
    ("turn on the kitchen lights", "out_of_scope"),
    ("remove milk from my shopping list", "list_remove"),
])
def test_common_requests(chatbot, text, intent):
    reply = chatbot.ask(text)
    assert reply.intent == intent, reply


def test_precision_question_names_the_loaded_precision(chatbot):
    reply = chatbot.ask("which precision are you running")
    assert f"chatbot model runs in {chatbot.precision}" in reply.text


def test_precision_report_callable(shipped_models):
    bot = Chatbot(catalog=shipped_models, precision_report=lambda: {"chatbot": "int8", "speech": "fp32"})
    reply = bot.ask("which precision are you running")
    assert "chatbot model runs in int8" in reply.text and "speech model runs in fp32" in reply.text


def test_chitchat_answers_from_the_category(chatbot):
    from assistant.core.text.chatcorpus import resolve_answers

    reply = chatbot.ask("tell me a joke")
    assert reply.intent.startswith("chat_") and reply.skill == "chitchat" and reply.text
    doc = json.loads(shipped_answers_path(chatbot).read_text(encoding="utf-8"))
    answers = resolve_answers(doc)[reply.intent]  # the shipped references, read from the installed corpus
    assert any(reply.text in entry["a"] for entry in answers)


def shipped_answers_path(bot: Chatbot) -> Path:
    return bot.engine.catalog.model("chatbot").asset_path("answers")


@pytest.mark.parametrize("text", ["", "   \n\t", "x" * 100_000, "word " * 20_000, "😀🎉🔥", "你好，今天天气怎么样？",
                                  "Привет, как дела?", "مرحبا كيف حالك", "\x00\x01\x02", "?!?!...", "🙂 what time is it"])
def test_odd_inputs_get_a_sensible_reply(chatbot, text):
    reply = chatbot.ask(text)
    assert isinstance(reply, Reply) and reply.text.strip()
    assert 0.0 <= reply.confidence <= 1.0


def test_odd_inputs_say_why(chatbot):
    assert chatbot.ask("").intent == "empty"
    assert "too long" in chatbot.ask("add milk " * 20_000).text
    assert "don't know any of those words" in chatbot.ask("😀🎉🔥").text
    assert chatbot.ask("🙂 what time is it").intent == "time"


def test_low_confidence_says_it_did_not_understand(chatbot, monkeypatch):
    monkeypatch.setattr(chatbot, "threshold", 1.01)
    reply = chatbot.ask("what time is it")
    assert reply.text.startswith("Sorry, I didn't understand") and reply.skill is None
    assert "set, check and cancel timers" in reply.text


def test_threshold_comes_from_the_build(chatbot):
    labels = json.loads(chatbot.engine.catalog.model("chatbot").asset_path("labels").read_text())
    assert chatbot.threshold == labels["threshold"] and 0.0 <= chatbot.threshold < 1.0


def test_set_precision(chatbot, shipped_models):
    for variant in shipped_models.model("chatbot").shipped():
        assert chatbot.set_precision(variant.precision) == variant.precision
        reply = chatbot.ask("what time is it")
        assert reply.precision == variant.precision and reply.intent == "time"


def test_model_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    bot = Chatbot()
    assert bot.engine is None and bot.error
    reply = bot.ask("what time is it")
    assert reply.intent == "unavailable" and reply.text.startswith("The chatbot model is unavailable:")
    assert "manifest" in reply.text


def _copy_models(shipped_models, dst: Path) -> Path:
    src = shipped_models.models_dir
    shutil.copytree(src / "chatbot", dst / "chatbot")
    manifest = json.loads((src / "manifest.json").read_text())
    manifest["models"] = {"chatbot": manifest["models"]["chatbot"]}
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst


def test_every_variant_corrupt(shipped_models, tmp_path, monkeypatch):
    models = _copy_models(shipped_models, tmp_path / "models")
    for f in (models / "chatbot").glob("*.tflite"):
        f.write_bytes(f.read_bytes()[:100])
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(models))
    reply = Chatbot().ask("what time is it")
    assert reply.intent == "unavailable" and "no usable variant" in reply.text


def test_asset_missing(shipped_models, tmp_path, monkeypatch):
    models = _copy_models(shipped_models, tmp_path / "models")
    (models / "chatbot" / "vocab.json").unlink()
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(models))
    bot = Chatbot()
    reply = bot.ask("what time is it")
    assert reply.intent == "unavailable" and "vocab.json" in reply.text and bot.engine is None


def test_one_variant_corrupt_falls_back(shipped_models, tmp_path, monkeypatch):
    models = _copy_models(shipped_models, tmp_path / "models")
    bot = Chatbot(catalog=shipped_models)
    chosen = bot.precision
    (models / "chatbot" / f"chatbot.{chosen}.tflite").write_bytes(b"not a model")
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(models))
    other = Chatbot()
    assert other.engine is not None and other.precision != chosen
    assert other.ask("what time is it").intent == "time"


def test_timer_end_time_is_stored(chatbot):
    chatbot.ask("set a timer for 5 minutes")
    timer = chatbot.skills.timers.active()[0]
    end = datetime.fromtimestamp(timer.ends)
    assert timedelta(minutes=4, seconds=50) < end - datetime.now() <= timedelta(minutes=5)


@pytest.mark.parametrize("text, intent", [
    # The phrasings of the issue that asked for reminders ...
    ("remind me to call mom at 5pm", "reminder_set"),
    ("remind me to take the bread out in 20 minutes", "reminder_set"),
    ("wake me at 7:30", "reminder_set"),
    ("what are my reminders", "reminder_show"),
    ("cancel the 5 pm reminder", "reminder_cancel"),
    # ... and phrasings written for this test, not in the templates.
    ("could you wake me up at quarter past six", "reminder_set"),
    ("remind me in an hour to check the oven", "reminder_set"),
    ("set my alarm for six thirty tomorrow", "reminder_set"),
    ("what alarms do I have", "reminder_show"),
    ("I don't need my alarm anymore", "reminder_cancel"),
    ("hold the timer please", "timer_pause"),
    ("continue the timer", "timer_resume"),
    ("give me ten more minutes on the pizza timer", "timer_adjust"),
])
def test_reminder_and_timer_requests(chatbot, text, intent):
    reply = chatbot.ask(text)
    assert reply.intent == intent and reply.skill == intent, reply
