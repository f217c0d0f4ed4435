"""Intent -> skill handler. The chatbot classifies; this module acts and words the reply.

Timers, lists and notes live in one SQLite database (`<data>/skills.sqlite3`, opened on first use
through assistant.core.appdata.storage), so they survive a restart and a killed process and are shared by the
app and the `assistant ask` command.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from assistant.core.appdata import paths
from assistant.core.skills import arithmetic, lists, notes, reminders, timers

logger = logging.getLogger(__name__)

DB_NAME = "skills"


@dataclass(frozen=True)
class Replies:
    """The hand-written texts in resources/chatbot/replies.json."""

    texts: dict

    @classmethod
    def load(cls, path: Path | None = None) -> Replies:
        path = path or paths.resources_dir() / "chatbot" / "replies.json"
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def get(self, key: str, **values: object) -> str:
        text = self.texts[key]
        if isinstance(text, list):
            text = random.choice(text)
        examples = "; ".join(f"\u201c{e}\u201d" for e in self.texts.get("examples", [])[:4])
        return str(text).format(capabilities=self.texts.get("capabilities", ""), examples=examples, **values)


PrecisionReport = Callable[[], Mapping[str, str]]


class Skills:
    """Carries out the intents the assistant can act on. `clock` (epoch seconds) is injectable."""

    HANDLED = ("time", "date", "timer_start", "timer_cancel", "timer_status", "timer_pause", "timer_resume",
               "timer_adjust", "reminder_set", "reminder_show", "reminder_cancel", "list_add", "list_show",
               "list_remove", "note_add", "note_show", "note_delete", "arithmetic", "about_precision", "help",
               "privacy", "nevermind")

    def __init__(self, replies: Replies | None = None, precision_report: PrecisionReport | None = None,
                 clock: Callable[[], float] = time.time, precision_words: Mapping[str, str] | None = None):
        self.replies = replies or Replies.load()
        self.precision_report = precision_report
        self.precision_words = dict(precision_words or {})
        self.clock = clock
        self._lock = threading.Lock()

    @cached_property
    def conn(self) -> sqlite3.Connection:
        from assistant.core.appdata.storage import open_db

        return open_db(DB_NAME, timers.SCHEMA + lists.SCHEMA + notes.SCHEMA + reminders.SCHEMA)

    @cached_property
    def timers(self) -> timers.TimerStore:
        return timers.TimerStore(self.conn, self.clock)

    @cached_property
    def reminders(self) -> reminders.ReminderStore:
        return reminders.ReminderStore(self.conn, self.clock)

    @cached_property
    def lists(self) -> lists.ListStore:
        return lists.ListStore(self.conn, self.clock)

    @cached_property
    def notes(self) -> notes.NoteStore:
        return notes.NoteStore(self.conn, self.clock)

    def handles(self, intent: str) -> bool:
        return intent in self.HANDLED

    def handle(self, intent: str, text: str) -> str:
        """The reply for `intent`; a failing store (disk full, locked database) becomes a sentence."""
        handler = getattr(self, f"_do_{intent}", None)
        if handler is None:
            raise KeyError(f"no skill for intent {intent!r}")
        try:
            with self._lock:
                return handler(text)
        except sqlite3.Error as exc:
            logger.exception("skill %s failed", intent)
            return self.replies.get("skill_failed", reason=f"the skills database failed ({exc})")

    def close(self) -> None:
        if "conn" in self.__dict__:
            self.conn.close()
            for name in ("conn", "timers", "reminders", "lists", "notes"):
                self.__dict__.pop(name, None)

    # -- handlers ----------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock())

    def _do_time(self, text: str) -> str:
        now = self._now()
        return f"It's {now:%H:%M} ({now.strftime('%I:%M %p').lstrip('0')})."

    def _do_date(self, text: str) -> str:
        now = self._now()
        return f"Today is {now:%A}, {now.day} {now:%B %Y}."

    def _do_timer_start(self, text: str) -> str:
        return timers.start_reply(self.timers, text)

    def _do_timer_status(self, text: str) -> str:
        return timers.status_reply(self.timers, text)

    def _do_timer_cancel(self, text: str) -> str:
        return timers.cancel_reply(self.timers, text)

    def _do_timer_pause(self, text: str) -> str:
        return timers.pause_reply(self.timers, text)

    def _do_timer_resume(self, text: str) -> str:
        return timers.resume_reply(self.timers, text)

    def _do_timer_adjust(self, text: str) -> str:
        return timers.adjust_reply(self.timers, text)

    def _do_reminder_set(self, text: str) -> str:
        return reminders.set_reply(self.reminders, text)

    def _do_reminder_show(self, text: str) -> str:
        return reminders.show_reply(self.reminders, text)

    def _do_reminder_cancel(self, text: str) -> str:
        return reminders.cancel_reply(self.reminders, text)

    def _do_list_add(self, text: str) -> str:
        return lists.add_reply(self.lists, text)

    def _do_list_show(self, text: str) -> str:
        return lists.show_reply(self.lists, text)

    def _do_list_remove(self, text: str) -> str:
        return lists.remove_reply(self.lists, text)

    def _do_note_add(self, text: str) -> str:
        return notes.add_reply(self.notes, text)

    def _do_note_show(self, text: str) -> str:
        return notes.show_reply(self.notes, text)

    def _do_note_delete(self, text: str) -> str:
        return notes.delete_reply(self.notes, text)

    def _do_arithmetic(self, text: str) -> str:
        return arithmetic.reply(text)

    def _do_about_precision(self, text: str) -> str:
        report = dict(self.precision_report() if self.precision_report else {})
        if not report:
            return "I can't tell which precision my models run in right now."
        parts = []
        for model, precision in report.items():
            words = self.precision_words.get(precision)
            parts.append(f"the {model} model runs in {precision}" + (f" ({words})" if words else "")
                         if precision else f"the {model} model is not loaded")
        sentence = "; ".join(parts)
        return sentence[0].upper() + sentence[1:] + ". You can change this per model in the settings."

    def _do_help(self, text: str) -> str:
        return self.replies.get("help")

    def _do_privacy(self, text: str) -> str:
        return self.replies.get("privacy")

    def _do_nevermind(self, text: str) -> str:
        return self.replies.get("nevermind")
