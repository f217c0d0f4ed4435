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
    announced INTEGER NOT NULL DEFAULT 0,
    paused_left REAL
);
CREATE INDEX IF NOT EXISTS timers_ends ON timers(ends);
"""
# Columns added after the first release: (name, declaration) for ALTER TABLE on older databases.
MIGRATIONS = (("paused_left", "REAL"),)
MAX_SECONDS = 100 * 3600  # the HA templates go up to 100 hours


@dataclass(frozen=True)
class Timer:
    id: int
    name: str | None
    duration_s: float
    created: float
    ends: float
    paused_left: float | None = None  # seconds left when paused; None while it runs

    @property
    def paused(self) -> bool:
        return self.paused_left is not None

    def remaining(self, now: float) -> float:
        return max(0.0, self.paused_left if self.paused_left is not None else self.ends - now)

    def label(self) -> str:
        """'pizza timer' or '5 minute timer'."""
        return f"{self.name} timer" if self.name else f"{_short(self.duration_s)} timer"


def _short(seconds: float) -> str:
    """ "5 minute", "1 hour 30 minute" (the adjective form for labels)."""
    return re.sub(r"(\w+)s\b", r"\1", format_duration(seconds))


class TimerStore(Store):
    """CRUD over the timers table. `clock` is injectable for tests (seconds since the epoch)."""

    SCHEMA = SCHEMA

    def __init__(self, conn, clock=time.time):
        super().__init__(conn, clock)
        have = {row[1] for row in conn.execute("PRAGMA table_info(timers)")}
        for column, declaration in MIGRATIONS:
            if column not in have:
                with self._lock:
                    conn.execute(f"ALTER TABLE timers ADD COLUMN {column} {declaration}")

    def _rows(self, where: str, args: tuple = ()) -> list[Timer]:
        rows = self.conn.execute(
            f"SELECT id, name, duration_s, created, ends, paused_left FROM timers WHERE {where} ORDER BY ends",
            args).fetchall()
        return [Timer(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def start(self, seconds: float, name: str | None = None) -> Timer:
        now = self.clock()
        with self._lock:
            cur = self.conn.execute(
                "INSERT INTO timers (name, duration_s, created, ends) VALUES (?, ?, ?, ?)",
                (name, float(seconds), now, now + float(seconds)))
        return Timer(int(cur.lastrowid or 0), name, float(seconds), now, now + float(seconds))

    def active(self) -> list[Timer]:
        """Running and paused timers, the one ending first first."""
        return self._rows("cancelled = 0 AND (ends > ? OR paused_left IS NOT NULL)", (self.clock(),))

    def finished_since(self, seconds: float) -> list[Timer]:
        """Timers that ran out in the last `seconds` (not cancelled)."""
        now = self.clock()
        return self._rows("cancelled = 0 AND paused_left IS NULL AND ends <= ? AND ends > ?", (now, now - seconds))

    def due(self) -> list[Timer]:
        """Finished timers nobody was told about yet; marks them told (for the app's notifications)."""
        with self._lock:
            timers = self._rows("cancelled = 0 AND announced = 0 AND paused_left IS NULL AND ends <= ?",
                                (self.clock(),))
            if timers:
                self.conn.executemany("UPDATE timers SET announced = 1 WHERE id = ?", [(t.id,) for t in timers])
        return timers

    def pause(self, timer_ids: list[int]) -> None:
        now = self.clock()
        with self._lock:
            self.conn.executemany(
                "UPDATE timers SET paused_left = MAX(0, ends - ?) WHERE id = ? AND paused_left IS NULL",
                [(now, i) for i in timer_ids])

    def resume(self, timer_ids: list[int]) -> None:
        now = self.clock()
        with self._lock:
            self.conn.executemany(
                "UPDATE timers SET ends = ? + paused_left, paused_left = NULL WHERE id = ? AND paused_left IS NOT NULL",
                [(now, i) for i in timer_ids])

    def adjust(self, timer_id: int, seconds: float) -> None:
        """Add (or with a negative value take off) time; the label keeps the duration the user set."""
        with self._lock:
            self.conn.execute(
                "UPDATE timers SET ends = ends + ?, "
                "paused_left = CASE WHEN paused_left IS NULL THEN NULL ELSE paused_left + ? END WHERE id = ?",
                (seconds, seconds, timer_id))

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
    paused = " (paused)" if timer.paused else ""
    return f"your {timer.label()} has {format_duration(timer.remaining(now))} left{paused}"


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
    parts = "; ".join(f"{t.label()}: {format_duration(t.remaining(now))} left" + (" (paused)" if t.paused else "")
                      for t in timers)
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


def _one(store: TimerStore, text: str, want: str) -> tuple[Timer | None, str]:
    """The timer `text` is about among those in state `want` (running | paused), or a reply saying why none."""
    timers = [t for t in store.active() if t.paused == (want == "paused")]
    if not timers:
        others = store.active()
        if not others:
            return None, "There is no timer running."
        state = "paused" if want == "running" else "running"
        return None, f"Your {others[0].label()} is already {state}."
    chosen = _select(timers, text)
    if len(chosen) > 1:  # no name or duration given: the most recently started one
        chosen = [max(chosen, key=lambda x: x.created)]
    return chosen[0], ""


def pause_reply(store: TimerStore, text: str) -> str:
    timer, why = _one(store, text, "running")
    if timer is None:
        return why
    store.pause([timer.id])
    return f"Paused your {timer.label()} with {format_duration(timer.remaining(store.clock()))} left."


def resume_reply(store: TimerStore, text: str) -> str:
    timer, why = _one(store, text, "paused")
    if timer is None:
        return why
    store.resume([timer.id])
    return f"Resumed your {timer.label()}: {format_duration(timer.remaining(store.clock()))} left."


_LESS_RE = re.compile(r"\b(take|remove|subtract|minus|less|shorter|shorten|reduce|cut|decrease|off)\b")


_MORE_RE = re.compile(r"\b(?:more|extra|additional|further)\b")


def adjust_reply(store: TimerStore, text: str) -> str:
    seconds = parse_duration(_MORE_RE.sub(" ", words_to_digits(text)))  # "10 more minutes" -> "10 minutes"
    if not seconds:
        return "By how much? Say for example \"add 5 minutes to my timer\"."
    timers = store.active()
    if not timers:
        return "There is no timer running."
    chosen = _select(timers, re.sub(r"\b\d+(?:\.\d+)?\s*(?:hours?|minutes?|mins?|seconds?|secs?)\b", " ",
                                    words_to_digits(text)))
    timer = max(chosen, key=lambda x: x.created) if len(chosen) > 1 else chosen[0]
    now = store.clock()
    left = timer.remaining(now)
    if _LESS_RE.search(words_to_digits(text)):
        if seconds >= left:
            return f"Your {timer.label()} has only {format_duration(left)} left; I can't take off {format_duration(seconds)}."
        store.adjust(timer.id, -seconds)
        return f"Took {format_duration(seconds)} off your {timer.label()}: {format_duration(left - seconds)} left."
    if left + seconds > MAX_SECONDS:
        return "Timers can run up to 100 hours."
    store.adjust(timer.id, seconds)
    return f"Added {format_duration(seconds)} to your {timer.label()}: {format_duration(left + seconds)} left."
