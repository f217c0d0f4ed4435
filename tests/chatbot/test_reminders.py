"""Reminders and alarms at a clock time or after a delay, and timers that pause and stretch (core only)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest

from assistant.core.skills.clock import parse_when, strip_when
from assistant.core.skills.reminders import reminder_text

NOW = datetime(2026, 12, 2, 14, 0)  # a Wednesday, two in the afternoon


@pytest.mark.parametrize("text, due", [
    ("remind me to call mom at 5pm", "2026-12-02 17:00"),
    ("remind me to call mom at 5 p.m.", "2026-12-02 17:00"),
    ("at 5", "2026-12-02 17:00"),  # next five o'clock
    ("remind me at 1 to eat", "2026-12-03 01:00"),  # 13:00 is gone, 1 am is next
    ("remind me at 17:45 to leave", "2026-12-02 17:45"),
    ("remind me at five thirty to leave", "2026-12-02 17:30"),
    ("water the plants at half past four", "2026-12-02 16:30"),
    ("quarter to six", "2026-12-02 17:45"),
    ("remind me at noon", "2026-12-03 12:00"),
    ("remind me at midnight", "2026-12-03 00:00"),
    ("remind me tomorrow at 9 to call the dentist", "2026-12-03 09:00"),
    ("tomorrow at 5", "2026-12-03 17:00"),  # another day: 1-6 mean the afternoon
    ("remind me tonight at 8 to lock the door", "2026-12-02 20:00"),
    ("remind me on friday to pay rent", "2026-12-04 09:00"),  # a day without a time: the morning
    ("remind me on wednesday", "2026-12-09 09:00"),  # today's weekday: next week
    ("remind me in 20 minutes", "2026-12-02 14:20"),
    ("in an hour and a half", "2026-12-02 15:30"),
    ("remind me at 9 this morning", "2026-12-02 09:00"),  # in the past: the skill says so
])
def test_when(text, due):
    when = parse_when(text, NOW)
    assert when is not None and when.due.strftime("%Y-%m-%d %H:%M") == due


@pytest.mark.parametrize("text, due", [
    ("wake me at 7:30", "2026-12-03 07:30"), ("set an alarm for quarter to seven", "2026-12-03 06:45"),
    ("wake me up at 6 pm", "2026-12-02 18:00"),
])
def test_alarms_prefer_the_morning(text, due):
    assert parse_when(text, NOW, prefer_morning=True).due.strftime("%Y-%m-%d %H:%M") == due


@pytest.mark.parametrize("text", ["remind me to call mom", "what are my reminders", "set a timer for 5 minutes later"])
def test_no_time(text):
    assert parse_when(text, NOW) is None


@pytest.mark.parametrize("text, subject", [
    ("remind me to call mom at 5pm", "call mom"),
    ("Remind me to take the bread out in 20 minutes please", "take the bread out"),
    ("remind me at 7:30 pm to water the tomatoes", "water the tomatoes"),
    ("can you remind me tomorrow at 9 to call the dentist", "call the dentist"),
    ("don't let me forget to buy 5 apples at 6", "buy 5 apples"),
    ("remind me about the meeting on friday", "the meeting"),
    ("set a reminder for 5 pm", ""),
    ("remind me that I have to call Sarah's dad at 10:15", "call Sarah's dad"),
])
def test_reminder_text(text, subject):
    assert reminder_text(text) == subject


def test_strip_when_keeps_numbers_that_are_not_times():
    assert strip_when("buy 5 apples at 6") == "buy 5 apples"
    assert strip_when("call room 101 at 7:15 tomorrow") == "call room 101"


def _at(clock, when: datetime) -> None:
    clock.now = when.timestamp()


def test_reminders_set_show_cancel(skills, clock):
    _at(clock, NOW)
    assert skills.handle("reminder_show", "what are my reminders") == "You have no reminders."
    assert skills.handle("reminder_set", "remind me to call mom at 5pm") == \
        "OK, I'll remind you to call mom at 17:00 today (5:00 PM)."
    assert skills.handle("reminder_set", "remind me to take the bread out in 20 minutes") == \
        "OK, I'll remind you to take the bread out in 20 minutes (at 14:20:00)."
    assert skills.handle("reminder_set", "wake me at 7:30") == "Alarm set for 07:30 tomorrow (7:30 AM)."
    assert skills.handle("reminder_set", "remind me about the meeting on friday") == \
        "OK, I'll remind you of the meeting at 09:00 on Friday (9:00 AM)."
    shown = skills.handle("reminder_show", "what are my reminders")
    assert shown.startswith("You have 4: take the bread out at 14:20 today") and "alarm at 07:30 tomorrow" in shown
    assert skills.handle("reminder_show", "is my alarm set") == "You have one: alarm at 07:30 tomorrow (7:30 AM)."
    assert skills.handle("reminder_cancel", "cancel the 5 pm reminder") == \
        "Cancelled: call mom at 17:00 today (5:00 PM). 3 others are still set."
    assert skills.handle("reminder_cancel", "delete my reminder").startswith("Which one? You have 3:")
    assert skills.handle("reminder_cancel", "forget the reminder about the meeting").startswith(
        "Cancelled: the meeting at 09:00 on Friday")
    assert skills.handle("reminder_cancel", "turn off my alarm").startswith("Cancelled: alarm at 07:30 tomorrow")
    assert skills.handle("reminder_cancel", "cancel my reminder").startswith("Cancelled: take the bread out")
    assert skills.handle("reminder_cancel", "cancel all reminders") == "You have no reminders to cancel."


def test_reminders_refuse_politely(skills, clock):
    _at(clock, NOW)
    assert skills.handle("reminder_set", "remind me to call mom").startswith("When should I set a reminder?")
    assert skills.handle("reminder_set", "remind me at 9 this morning").startswith("That time has already passed")
    assert skills.handle("reminder_set", "remind me in 500 days").startswith("I can set reminders up to a year")
    assert skills.handle("reminder_set", "set an alarm").startswith("When should I set an alarm?")


def test_due_reminders_are_announced_once_and_late_ones_as_missed(skills, clock):
    _at(clock, NOW)
    skills.handle("reminder_set", "remind me to stretch in 1 minute")
    skills.handle("reminder_set", "remind me to call mom at 3pm")
    assert skills.reminders.due() == []
    clock.advance(61)
    due = skills.reminders.due()
    assert [d.announcement() for d in due] == ["Reminder: stretch."]
    assert skills.reminders.due() == []
    clock.advance(3 * 3600)  # the app was closed from 14:01 to 17:01
    (missed,) = skills.reminders.due()
    assert missed.missed and missed.announcement().startswith("Missed reminder of 15:00") and \
        missed.announcement().endswith(": call mom.")


def test_timers_pause_resume_and_stretch(skills, clock):
    assert skills.handle("timer_pause", "pause the timer") == "There is no timer running."
    skills.handle("timer_start", "set a pizza timer for 10 minutes")
    clock.advance(60)
    assert skills.handle("timer_pause", "pause the timer") == "Paused your pizza timer with 9 minutes left."
    clock.advance(600)  # a paused timer does not run out
    assert skills.timers.due() == []
    assert skills.handle("timer_status", "how long is left") == "Your pizza timer has 9 minutes left (paused)."
    assert skills.handle("timer_pause", "pause it") == "Your pizza timer is already paused."
    assert skills.handle("timer_adjust", "add 5 minutes to the timer") == \
        "Added 5 minutes to your pizza timer: 14 minutes left."
    assert skills.handle("timer_resume", "resume my timer") == "Resumed your pizza timer: 14 minutes left."
    clock.advance(60)
    assert skills.handle("timer_adjust", "take 3 minutes off the pizza timer") == \
        "Took 3 minutes off your pizza timer: 10 minutes left."
    assert skills.handle("timer_adjust", "take 20 minutes off the timer").startswith("Your pizza timer has only")
    assert skills.handle("timer_adjust", "make the timer longer").startswith("By how much?")
    assert skills.handle("timer_adjust", "give me ten more minutes on the pizza timer") == \
        "Added 10 minutes to your pizza timer: 20 minutes left."
    clock.advance(1200)
    assert [t.name for t in skills.timers.due()] == ["pizza"]


def test_an_old_skills_database_gets_the_new_timer_column(assistant_home, clock):
    """A database written before timers could pause (no paused_left column) keeps its timers."""
    from assistant.core.appdata.storage import db_path
    from assistant.core.skills.skillset import Skills

    path = db_path("skills")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE timers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, duration_s REAL NOT NULL,"
                     " created REAL NOT NULL, ends REAL NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0,"
                     " announced INTEGER NOT NULL DEFAULT 0)")
        conn.execute("INSERT INTO timers (name, duration_s, created, ends) VALUES ('tea', 300, ?, ?)",
                     (clock.now, clock.now + 300))
    skills = Skills(clock=clock)
    try:
        assert skills.handle("timer_pause", "pause the tea timer") == "Paused your tea timer with 5 minutes left."
    finally:
        skills.close()


def test_a_reminder_survives_a_killed_process_and_a_new_one_announces_it(assistant_home, tmp_path):
    """Process A sets a reminder and is killed with SIGKILL; process B, the window (offscreen), announces it
    when it is due. The same reminder found after its time is announced as missed."""
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("ASSISTANT_MODELS_DIR", None)
    setter = (
        "import sys, time\n"
        "from assistant.core.skills.skillset import Skills\n"
        "s = Skills()\n"
        "print(s.handle('reminder_set', 'remind me to stretch in 3 seconds'), flush=True)\n"
        "print(s.handle('reminder_set', 'remind me to call mom in 1 second'), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", setter], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("OK, I'll remind you to stretch in 3 seconds")
        assert proc.stdout.readline().startswith("OK, I'll remind you to call mom in 1 second")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # Make the second one look as if its time passed while nothing was running.
    from assistant.core.appdata.storage import db_path

    with sqlite3.connect(db_path("skills")) as conn:
        conn.execute("UPDATE reminders SET due = due - 7200 WHERE text = 'call mom'")
    window = (
        "from PySide6.QtWidgets import QApplication\n"
        "from PySide6.QtCore import QTimer\n"
        "from assistant.ui.app import create_app\n"
        "from assistant.ui.main_window import MainWindow\n"
        "app = create_app()\n"
        "w = MainWindow(calibrate_on_start=False)\n"
        "seen = []\n"
        "def got(text):\n"
        "    seen.append(text)\n"
        "    print(text, flush=True)\n"
        "    if len(seen) == 2:\n"
        "        QTimer.singleShot(0, w.close)\n"
        "w.reminder_announced.connect(got)\n"
        "QTimer.singleShot(30000, w.close)\n"
        "w.show()\n"
        "app.exec()\n"
    )
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", window], env=env, capture_output=True, text=True, timeout=90)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    assert len(lines) == 2, out.stdout + out.stderr[-2000:]
    assert lines[0].startswith("Missed reminder of") and lines[0].endswith(": call mom.")
    assert lines[1] == "Reminder: stretch."
    assert time.monotonic() - started < 60
