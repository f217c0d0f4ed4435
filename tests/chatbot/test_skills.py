"""Skills without the model: slot extraction, stores, replies, persistence (core only, no TensorFlow)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest

from assistant.core.skills import arithmetic, lists, notes, timers
from assistant.core.skills.numbers import format_duration, parse_duration, words_to_digits


@pytest.mark.parametrize("text, seconds", [
    ("set a timer for 5 minutes", 300),
    ("set a timer for twenty-five minutes", 1500),
    ("timer for 1 hour and 30 minutes", 5400),
    ("an hour and a half timer", 5400),
    ("half an hour", 1800),
    ("5 and a half hours", 19800),
    ("timer for ninety-four and a 1/2 hours", 340200),
    ("twenty two hours and 39-minutes and eighty-three seconds timer", 22 * 3600 + 39 * 60 + 83),
    ("one hundred and five seconds", 105),
    ("a minute timer", 60),
    ("3 mins", 180),
    ("set a 10 minute timer", 600),
    ("quarter of an hour", 900),
    ("cancel my timer", None),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_number_words():
    assert words_to_digits("one hundred and twenty-three apples") == "123 apples"
    assert words_to_digits("a thousand and one nights") == "1001 nights"
    assert words_to_digits("a cup of tea") == "a cup of tea"  # "a" is a number only before a scale word
    assert format_duration(4 * 60 + 59) == "4 minutes 59 seconds"
    assert format_duration(3600 + 5 * 60 + 7) == "1 hour 5 minutes"


@pytest.mark.parametrize("text, expected", [
    ("what is 12 plus 7", 19), ("what's twelve times seven", 84), ("subtract 3 from 10", 7),
    ("add 2 and 3", 5), ("multiply 6 by 7", 42), ("divide 10 by 4", 2.5), ("what is the square root of 81", 9),
    ("what's 15 percent of 200", 30), ("what is 2 to the power of 10", 1024), ("(2+3)*4", 20), ("7 squared", 49),
    ("what is 2.5 times 4", 10), ("one hundred minus 1", 99), ("what's the difference between 10 and 4", 6),
    ("10 - 2 - 3", 5), ("2 + 3 * 4", 14),
])
def test_arithmetic(text, expected):
    assert arithmetic.calculate(text).value == pytest.approx(expected)


@pytest.mark.parametrize("text, words", [
    ("divide 5 by 0", "divide by zero"), ("what is 10 to the power of 99999", "too large"),
    ("take a note that the car is on level 3", "could not find a sum"), ("what is love", "numbers"),
    ("what is 5 plus", "too early"), ("((2+3)", "bracket"),
])
def test_arithmetic_refuses_politely(text, words):
    reply = arithmetic.reply(text)
    assert words in reply and "Try for example" in reply


def test_arithmetic_reply_shows_the_sum():
    assert arithmetic.reply("what is 12 times 7") == "12 × 7 = 84"


@pytest.mark.parametrize("text, items, list_name", [
    ("add milk to my shopping list", ["milk"], "shopping"),
    ("Please add milk, eggs and bread to the grocery list.", ["milk", "eggs", "bread"], "shopping"),
    ("put peanut butter on our camping list", ["peanut butter"], "camping"),
    ("add call the dentist to my to-do list", ["call the dentist"], "to-do"),
    ("i need to buy some olive oil", ["olive oil"], "shopping"),
    ("we're running out of toilet paper", ["toilet paper"], "shopping"),
    ("remind me to pick up bananas", ["bananas"], "shopping"),
    ("new entry for my hardware store list: batteries", ["batteries"], "hardware store"),
    ("add oat milk", ["oat milk"], "shopping"),
    ("add renew my passport to my tasks", ["renew my passport"], "to-do"),
])
def test_list_add_slots(text, items, list_name):
    assert lists.parse_add(text) == (items, list_name)


@pytest.mark.parametrize("text, items, list_name, clear", [
    ("remove milk from my shopping list", ["milk"], "shopping", False),
    ("check off eggs from the grocery list", ["eggs"], "shopping", False),
    ("cross bread off my list", ["bread"], None, False),  # "my list": look in every list
    ("i bought the bananas", ["bananas"], None, False),
    ("clear my shopping list", [], "shopping", True),
    ("empty the camping list", [], "camping", True),
    ("mark call the dentist as done", ["call the dentist"], None, False),
])
def test_list_remove_slots(text, items, list_name, clear):
    assert lists.parse_remove(text) == (items, list_name, clear)


def test_lists_add_show_remove(skills):
    assert skills.handle("list_add", "add milk and eggs to my shopping list") == \
        "Added milk and eggs to your shopping list."
    assert "already on your shopping list" in skills.handle("list_add", "add Milk to the shopping list")
    assert skills.handle("list_show", "what is on my shopping list") == \
        "Your shopping list has 2 items: milk and eggs."
    assert skills.handle("list_remove", "i bought the egg") == "Removed eggs from your shopping list."
    assert "isn't on your shopping list" in skills.handle("list_remove", "remove caviar from my shopping list")
    skills.handle("list_add", "add call the plumber to my to-do list")
    reply = skills.handle("list_show", "what's on my packing list")
    assert reply.startswith("Your packing list is empty.") and "to-do list (1)" in reply
    assert skills.handle("list_remove", "clear my shopping list") == "Cleared your shopping list (1 item)."
    assert skills.handle("list_show", "what do i need to buy").startswith("Your shopping list is empty.")


def test_notes(skills, clock):
    assert skills.handle("note_show", "read my notes").startswith("You have no notes")
    assert skills.handle("note_add", "Take a note that the car is on Level 3.") == "Noted: the car is on Level 3"
    clock.advance(60)
    assert skills.handle("note_add", "remember that the wifi password is on the fridge") == \
        "Noted: the wifi password is on the fridge"
    shown = skills.handle("note_show", "show me my notes")
    assert shown.startswith("You have 2 notes:") and "1. the car is on Level 3" in shown and "2. the wifi" in shown
    assert skills.handle("note_show", "what was my last note").endswith("the wifi password is on the fridge")
    assert skills.handle("note_delete", "delete my last note") == \
        "Deleted your last note: the wifi password is on the fridge"
    assert skills.handle("note_delete", "delete all my notes") == "Deleted your note."
    assert skills.handle("note_add", "take a note") .startswith("What should I note?")


def test_timers(skills, clock):
    assert skills.handle("timer_status", "how long is left on my timer") == "You have no timers running."
    assert skills.handle("timer_start", "set a timer").startswith("For how long?")
    assert skills.handle("timer_start", "set a timer for 500 hours").startswith("I can set timers")
    assert skills.handle("timer_start", "set a timer for 5 minutes").startswith("Timer set for 5 minutes (until ")
    clock.advance(61)
    assert skills.handle("timer_status", "how much time is left on my timer") == \
        "Your 5 minute timer has 3 minutes 59 seconds left."
    assert skills.handle("timer_start", "start a pizza timer for 12 minutes").startswith(
        "Pizza timer set for 12 minutes")
    status = skills.handle("timer_status", "timers status")
    assert status.startswith("You have 2 timers running.") and "pizza timer: 12 minutes left" in status
    assert skills.handle("timer_status", "how long is left on the pizza timer") == \
        "Your pizza timer has 12 minutes left."
    assert skills.handle("timer_cancel", "cancel the pizza timer") == \
        "Cancelled your pizza timer. 1 other timer is still running."
    clock.advance(4 * 60)
    assert skills.handle("timer_status", "how long is left on my timer").startswith(
        "No timer is running; your 5 minute timer finished at")
    assert [t.duration_s for t in skills.timers.due()] == [300.0] and skills.timers.due() == []
    skills.handle("timer_start", "set a timer for 1 minute")
    skills.handle("timer_start", "set a timer for 2 minutes")
    assert skills.handle("timer_cancel", "cancel all timers") == "Cancelled 2 timers."
    assert skills.handle("timer_cancel", "stop the timer") == "There is no timer running."


@pytest.mark.parametrize("text, name", [
    ("set a pizza timer for 10 minutes", "pizza"), ("timer called laundry for 1 hour", "laundry"),
    ("set a timer for 5 minutes", None), ("how long is left on my timer", None), ("5 minute timer", None),
    ("cancel the timer for tea", "tea"),
])
def test_timer_names(text, name):
    assert timers.timer_name(text) == name


def test_time_date_precision_help(skills, clock):
    now = datetime.fromtimestamp(clock())
    assert skills.handle("time", "what time is it").startswith(f"It's {now:%H:%M} (")
    assert skills.handle("date", "what's the date") == f"Today is {now:%A}, {now.day} {now:%B %Y}."
    reply = skills.handle("about_precision", "which precision are you running")
    assert "chatbot model runs in int8 (full integer (int8))" in reply and "autocomplete model runs in fp32" in reply
    assert "set, check and cancel timers" in skills.handle("help", "what can you do")
    assert "offline" in skills.handle("privacy", "where does my data go")
    with pytest.raises(KeyError):
        skills.handle("order_pizza", "order a pizza")


def test_data_survives_a_new_connection(clock):
    from assistant.core.skills.skillset import Skills

    first = Skills(clock=clock)
    first.handle("list_add", "add milk to my shopping list")
    first.handle("timer_start", "set a timer for 5 minutes")
    first.handle("note_add", "note that the spare key is under the pot")
    first.close()
    clock.advance(30)
    second = Skills(clock=clock)
    assert second.handle("list_show", "what is on my shopping list") == "Your shopping list has 1 item: milk."
    assert second.handle("timer_status", "how long is left on my timer") == \
        "Your 5 minute timer has 4 minutes 30 seconds left."
    assert "the spare key is under the pot" in second.handle("note_show", "read my notes")
    second.close()


def test_data_survives_a_killed_process(assistant_home):
    """A process that adds an item and is then killed with SIGKILL loses nothing it had committed."""
    code = (
        "import os, time\n"
        "from assistant.core.skills.skillset import Skills\n"
        "s = Skills()\n"
        "s.handle('list_add', 'add eggs to my shopping list')\n"
        "s.handle('timer_start', 'set a timer for 10 minutes')\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    from assistant.core.skills.skillset import Skills

    after = Skills()
    assert after.handle("list_show", "what is on my shopping list") == "Your shopping list has 1 item: eggs."
    assert after.handle("timer_status", "how long is left on my timer").startswith("Your 10 minute timer has ")
    after.close()


def test_store_failure_becomes_a_sentence(skills, monkeypatch):
    import sqlite3

    def broken(*_a, **_k):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(lists, "add_reply", broken)
    reply = skills.handle("list_add", "add milk")
    assert reply.startswith("Sorry, something went wrong") and "database is locked" in reply


def test_lists_and_notes_stores_directly(skills):
    store = skills.lists
    assert store.add("shopping", ["Apples"]) == (["Apples"], [])
    assert store.find("shopping", "apple") == "Apples" and store.remove("shopping", "APPLES") == "Apples"
    assert store.items("shopping") == [] and store.clear("shopping") == 0
    assert isinstance(skills.notes, notes.NoteStore) and skills.notes.delete_last() is None
    assert time.time() > 0


def test_chitchat_retrieval_and_thresholds(tmp_path, monkeypatch):
    """Closest question inside the category, then anywhere; questions of fact need a near-exact match."""
    from assistant.core.text.chatbot import AnswerIndex, Chatbot

    categories = {
        "chat_smalltalk": [{"q": "How are you?", "a": ["Fine, thanks."]}, {"q": "Tell me a joke", "a": ["A joke."]}],
        "chat_knowledge": [{"q": "Who was the 37th President of the United States?", "a": ["Richard Nixon"]}],
        "chat_tech": [{"q": "What is AI?", "a": ["Artificial intelligence."]}],
    }
    index = AnswerIndex(categories, seed=0)
    assert index.best("chat_smalltalk", "how are you doing") [0] == "Fine, thanks."
    assert index.best("chat_smalltalk", "xyzzy") == (None, 0.0, None)
    assert index.best_anywhere("what is ai")[::2] == ("Artificial intelligence.", "chat_tech")
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    bot = Chatbot()
    bot.answers = index
    assert bot._chitchat("chat_knowledge", "what is AI") == "Artificial intelligence."  # wrong category
    assert bot._chitchat("chat_knowledge", "Who was the first president of the United States?") is None
    assert bot._chitchat("chat_knowledge", "who was the 37th president of the united states") == "Richard Nixon"
