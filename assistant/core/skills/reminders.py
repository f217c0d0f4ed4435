"""Reminders and alarms at a clock time or after a delay, kept in SQLite like timers.

"remind me to call mom at 5pm", "remind me to take the bread out in 20 minutes", "wake me at 7:30",
"what are my reminders", "cancel the 5 pm reminder". Each row keeps its due time (wall clock), so a
reminder set by `assistant ask` is announced by the window, survives a restart and a killed process, and
one whose time passed while the app was closed is announced at the next start as missed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from assistant.core.appdata.storage import Store
from assistant.core.skills.clock import parse_when, spoken_time, strip_when
from assistant.core.skills.numbers import format_duration, words_to_digits

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'reminder',
    created REAL NOT NULL,
    due REAL NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    announced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders(due);
"""
MAX_AHEAD_S = 366 * 24 * 3600
MISSED_AFTER_S = 60.0  # announced later than this after its time: it was missed (the app was closed)
MAX_TEXT_CHARS = 200
ALARM_TEXT = "wake up"


@dataclass(frozen=True)
class Reminder:
    id: int
    text: str
    kind: str  # reminder | alarm
    created: float
    due: float

    def label(self, now: float) -> str:
        at = spoken_time(datetime.fromtimestamp(self.due), datetime.fromtimestamp(now))
        return f"alarm at {at}" if self.kind == "alarm" else f"{self.text} at {at}"


@dataclass(frozen=True)
class DueReminder:
    reminder: Reminder
    late_s: float  # how long after its time it was found due

    @property
    def missed(self) -> bool:
        return self.late_s > MISSED_AFTER_S

    def announcement(self) -> str:
        r = self.reminder
        what = "Alarm" if r.kind == "alarm" else f"Reminder: {r.text}"
        if not self.missed:
            return f"{what}." if r.kind != "alarm" else "Alarm: time to wake up."
        at = datetime.fromtimestamp(r.due).strftime("%H:%M")
        day = datetime.fromtimestamp(r.due).strftime("%A %d %B")
        if r.kind == "alarm":
            return f"Missed alarm of {at} ({day}): the app was not running then."
        return f"Missed reminder of {at} ({day}), while the app was not running: {r.text}."


class ReminderStore(Store):
    """CRUD over the reminders table. `clock` is injectable for tests (seconds since the epoch)."""

    SCHEMA = SCHEMA

    def _rows(self, where: str, args: tuple = ()) -> list[Reminder]:
        rows = self.conn.execute(
            f"SELECT id, text, kind, created, due FROM reminders WHERE {where} ORDER BY due", args).fetchall()
        return [Reminder(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def add(self, text: str, due: float, kind: str = "reminder") -> Reminder:
        now = self.clock()
        with self._lock:
            cur = self.conn.execute("INSERT INTO reminders (text, kind, created, due) VALUES (?, ?, ?, ?)",
                                    (text, kind, now, float(due)))
        return Reminder(int(cur.lastrowid or 0), text, kind, now, float(due))

    def upcoming(self) -> list[Reminder]:
        return self._rows("cancelled = 0 AND announced = 0 AND due > ?", (self.clock(),))

    def due(self) -> list[DueReminder]:
        """Reminders whose time came and that nobody was told about; marks them told."""
        now = self.clock()
        with self._lock:
            found = self._rows("cancelled = 0 AND announced = 0 AND due <= ?", (now,))
            if found:
                self.conn.executemany("UPDATE reminders SET announced = 1 WHERE id = ?", [(r.id,) for r in found])
        return [DueReminder(r, now - r.due) for r in found]

    def cancel(self, ids: list[int]) -> int:
        with self._lock:
            self.conn.executemany("UPDATE reminders SET cancelled = 1 WHERE id = ?", [(i,) for i in ids])
        return len(ids)


# --- slot extraction and replies -------------------------------------------------------------------

_ALARM_RE = re.compile(r"\b(alarm|wake me|wake up|get me up)\b", re.IGNORECASE)
_LEAD_RE = re.compile(
    r"^.*?\b(?:remind(?:er)?(?: me)?|don'?t let me forget|make sure i (?:don'?t forget to|remember to)|"
    r"(?:set|add|create|make) (?:a |an |me a )?(?:new )?reminder|note to self)\b\s*"
    r"(?:(?:to|that|about|of|for|i (?:need|have) to|i should)\b\s*)*",
    re.IGNORECASE | re.DOTALL,
)
_TAIL_RE = re.compile(r"\s*\b(please|thanks|thank you|for me|ok(?:ay)?)\s*$", re.IGNORECASE)
_AGAIN_RE = re.compile(r"^(?:to|that|about|of|for)\s+", re.IGNORECASE)


def reminder_text(text: str) -> str:
    """What to remind of: "call mom" in "remind me to call mom at 5pm"; "" when only a time is given."""
    body = strip_when(text)
    m = _LEAD_RE.match(body)
    body = body[m.end():] if m else body
    for _ in range(2):
        body = _TAIL_RE.sub("", _AGAIN_RE.sub("", body.strip(" ,.;:!?"))).strip(" ,.;:!?")
    return body[:MAX_TEXT_CHARS]


def set_reply(store: ReminderStore, text: str) -> str:
    now = datetime.fromtimestamp(store.clock())
    alarm = bool(_ALARM_RE.search(text)) and not re.search(r"\bremind", text, re.IGNORECASE)
    when = parse_when(text, now, prefer_morning=alarm)
    if when is None:
        what = "an alarm" if alarm else "a reminder"
        return f"When should I set {what}? Say for example \"remind me to call mom at 5pm\" or \"in 20 minutes\"."
    seconds = (when.due - now).total_seconds()
    if seconds <= 0:
        return "That time has already passed today. Say a time that is still ahead, or add \"tomorrow\"."
    if seconds > MAX_AHEAD_S:
        return "I can set reminders up to a year ahead."
    if alarm:
        store.add(ALARM_TEXT, when.due.timestamp(), "alarm")
        return f"Alarm set for {spoken_time(when.due, now)}."
    subject = reminder_text(text)
    store.add(subject or "the reminder you asked for", when.due.timestamp())
    if when.kind == "delay":
        at = f"in {format_duration(seconds)} (at {when.due:%H:%M:%S})"
    else:
        at = "at " + spoken_time(when.due, now)
    # "the meeting" reads "remind you of the meeting"; "call mom" reads "remind you to call mom".
    if not subject:
        what = ""
    elif re.match(r"(?:the|my|a|an|our|your)\b", subject, re.IGNORECASE):
        what = f" of {subject}"
    else:
        what = f" to {subject}"
    return f"OK, I'll remind you{what} {at}."


def show_reply(store: ReminderStore, text: str) -> str:
    now = store.clock()
    items = store.upcoming()
    if re.search(r"\balarms?\b", text, re.IGNORECASE) and not re.search(r"\breminders?\b", text, re.IGNORECASE):
        items = [r for r in items if r.kind == "alarm"]
        if not items:
            return "You have no alarms set."
    if not items:
        return "You have no reminders."
    if len(items) == 1:
        return f"You have one: {items[0].label(now)}."
    return f"You have {len(items)}: " + "; ".join(r.label(now) for r in items) + "."


def _select(items: list[Reminder], text: str, now: float) -> list[Reminder]:
    """The reminders `text` names by time of day, kind or words of their text; [] when it names none."""
    when = parse_when(text, datetime.fromtimestamp(now))
    if when is not None and when.hour_minute is not None:
        hm = when.hour_minute
        by_time = [r for r in items if (datetime.fromtimestamp(r.due).hour, datetime.fromtimestamp(r.due).minute) == hm]
        if by_time:
            return by_time
        twelve = [r for r in items if (datetime.fromtimestamp(r.due).hour % 12, datetime.fromtimestamp(r.due).minute)
                  == (hm[0] % 12, hm[1])]
        if twelve:
            return twelve
    if _ALARM_RE.search(text):
        alarms = [r for r in items if r.kind == "alarm"]
        if alarms:
            return alarms
    words = set(re.findall(r"[a-z']{3,}", words_to_digits(reminder_text(text))))
    words -= {"cancel", "delete", "remove", "forget", "reminder", "reminders", "alarm", "alarms", "the", "my",
              "all", "about", "one", "that", "stop", "clear", "turn", "off", "don't", "need", "anymore", "any"}
    if words:
        matched = [r for r in items if words & set(re.findall(r"[a-z']{3,}", r.text.lower()))]
        if matched:
            return matched
    return []


def cancel_reply(store: ReminderStore, text: str) -> str:
    now = store.clock()
    items = store.upcoming()
    if not items:
        return "You have no reminders to cancel."
    if re.search(r"\b(all|every|everything)\b", text, re.IGNORECASE):
        store.cancel([r.id for r in items])
        return f"Cancelled {len(items)} reminder{'s' if len(items) > 1 else ''}."
    chosen = _select(items, text, now)
    if not chosen and len(items) == 1:
        chosen = items
    if not chosen:
        listed = "; ".join(r.label(now) for r in items)
        return f"Which one? You have {len(items)}: {listed}. Say for example \"cancel the 5 pm reminder\"."
    store.cancel([r.id for r in chosen])
    left = len(items) - len(chosen)
    rest = f" {left} other{'s are' if left > 1 else ' is'} still set." if left else ""
    names = "; ".join(r.label(now) for r in chosen)
    return f"Cancelled: {names}.{rest}"
