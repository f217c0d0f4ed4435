"""Timers kept in SQLite with their end time (wall clock), so "how long is left on my timer" works in
another process, after a restart, and after the app was killed."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from assistant.core.appdata.storage import Store
from assistant.core.skills.numbers import format_duration, parse_duration, words_to_digits

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    duration_s REAL NOT NULL,
    created REAL NOT NULL,
    ends REAL NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    announced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS timers_ends ON timers(ends);
"""
MAX_SECONDS = 100 * 3600  # the HA templates go up to 100 hours


@dataclass(frozen=True)
class Timer:
    id: int
    name: str | None
    duration_s: float
    created: float
    ends: float

    def remaining(self, now: float) -> float:
        return max(0.0, self.ends - now)

    def label(self) -> str:
        """'pizza timer' or '5 minute timer'."""
        return f"{self.name} timer" if self.name else f"{_short(self.duration_s)} timer"


def _short(seconds: float) -> str:
    """ "5 minute", "1 hour 30 minute" (the adjective form for labels)."""
    return re.sub(r"(\w+)s\b", r"\1", format_duration(seconds))


class TimerStore(Store):
    """CRUD over the timers table. `clock` is injectable for tests (seconds since the epoch)."""

    SCHEMA = SCHEMA

    def _rows(self, where: str, args: tuple = ()) -> list[Timer]:
        rows = self.conn.execute(
            f"SELECT id, name, duration_s, created, ends FROM timers WHERE {where} ORDER BY ends", args).fetchall()
        return [Timer(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def start(self, seconds: float, name: str | None = None) -> Timer:
        now = self.clock()
        with self._lock:
            cur = self.conn.execute(
                "INSERT INTO timers (name, duration_s, created, ends) VALUES (?, ?, ?, ?)",
                (name, float(seconds), now, now + float(seconds)))
        return Timer(int(cur.lastrowid or 0), name, float(seconds), now, now + float(seconds))

    def active(self) -> list[Timer]:
        """Running timers, the one ending first first."""
        return self._rows("cancelled = 0 AND ends > ?", (self.clock(),))

    def finished_since(self, seconds: float) -> list[Timer]:
        """Timers that ran out in the last `seconds` (not cancelled)."""
        now = self.clock()
        return self._rows("cancelled = 0 AND ends <= ? AND ends > ?", (now, now - seconds))

    def due(self) -> list[Timer]:
        """Finished timers nobody was told about yet; marks them told (for the app's notifications)."""
        with self._lock:
            timers = self._rows("cancelled = 0 AND announced = 0 AND ends <= ?", (self.clock(),))
            if timers:
                self.conn.executemany("UPDATE timers SET announced = 1 WHERE id = ?", [(t.id,) for t in timers])
        return timers

    def cancel(self, timer_ids: list[int]) -> int:
        with self._lock:
            self.conn.executemany("UPDATE timers SET cancelled = 1 WHERE id = ?", [(i,) for i in timer_ids])
        return len(timer_ids)


# --- slot extraction and replies -------------------------------------------------------------------

_NAME_WORDS_TO_SKIP = {
    "a", "an", "the", "my", "our", "new", "this", "that", "one", "timer", "timers", "all", "second", "seconds",
    "minute", "minutes", "hour", "hours", "half", "and", "for", "in", "on", "of", "kitchen", "countdown",
}
_NAMED_RE = re.compile(r"\b(?:named|called|labell?ed)\s+(?:the\s+)?([a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)")
_BEFORE_TIMER_RE = re.compile(r"\b([a-z][\w'-]*)\s+timers?\b")
_FOR_NAME_RE = re.compile(r"\btimers?\s+for\s+(?:the\s+)?([a-z][\w'-]*)\s*$")


def timer_name(text: str) -> str | None:
    """ "pizza" in "set a pizza timer for 10 minutes" / "timer called pizza"; None if not named."""
    t = words_to_digits(text)
    t = re.sub(r"\b\d+(?:\.\d+)?\b", " ", t)
    for pattern in (_NAMED_RE, _BEFORE_TIMER_RE, _FOR_NAME_RE):
        m = pattern.search(t)
        if m:
            words = [w for w in m.group(1).split() if w not in _NAME_WORDS_TO_SKIP]
            if words and not re.fullmatch(r"(?:[hms]|hrs?|mins?|secs?|status|left|done|running)", words[-1]):
                return " ".join(words)
    return None


def start_reply(store: TimerStore, text: str) -> str:
    seconds = parse_duration(text)
    if seconds is None:
        return "For how long? Say for example \"set a timer for 5 minutes\"."
    if seconds <= 0 or seconds > MAX_SECONDS:
        return "I can set timers from 1 second up to 100 hours."
    name = timer_name(text)
    timer = store.start(seconds, name)
    end = time.strftime("%H:%M:%S" if seconds < 120 else "%H:%M", time.localtime(timer.ends))
    what = f"{name.capitalize()} timer" if name else "Timer"
    return f"{what} set for {format_duration(seconds)} (until {end})."


def _describe(timer: Timer, now: float) -> str:
    return f"your {timer.label()} has {format_duration(timer.remaining(now))} left"


def status_reply(store: TimerStore, text: str) -> str:
    now = store.clock()
    timers = _select(store.active(), text)
    if not timers:
        finished = store.finished_since(15 * 60)
        if finished:
            last = finished[-1]
            at = time.strftime("%H:%M", time.localtime(last.ends))
            return f"No timer is running; your {last.label()} finished at {at}."
        return "You have no timers running."
    if len(timers) == 1:
        sentence = _describe(timers[0], now)
        return sentence[0].upper() + sentence[1:] + "."
    parts = "; ".join(f"{t.label()}: {format_duration(t.remaining(now))} left" for t in timers)
    return f"You have {len(timers)} timers running. {parts[0].upper()}{parts[1:]}."


def _select(timers: list[Timer], text: str) -> list[Timer]:
    """The timers `text` refers to by name or by duration; all of them when it names none that exist."""
    name = timer_name(text)
    if name:
        named = [t for t in timers if t.name and (t.name == name or name in t.name)]
        if named:
            return named
    seconds = parse_duration(text)
    if seconds:
        same = [t for t in timers if abs(t.duration_s - seconds) < 0.5]
        if same:
            return same
    return timers


def cancel_reply(store: TimerStore, text: str) -> str:
    timers = store.active()
    if not timers:
        return "There is no timer running."
    t = words_to_digits(text)
    if re.search(r"\b(all|every|everything)\b", t):
        store.cancel([x.id for x in timers])
        return f"Cancelled {len(timers)} timer{'s' if len(timers) > 1 else ''}."
    chosen = _select(timers, text)
    if len(chosen) > 1:  # no name or duration given: the most recently started one
        chosen = [max(chosen, key=lambda x: x.created)]
    store.cancel([chosen[0].id])
    left = len(timers) - 1
    rest = f" {left} other timer{'s are' if left > 1 else ' is'} still running." if left else ""
    return f"Cancelled your {chosen[0].label()}.{rest}"
