"""Clock times and days in words: "at 5pm", "7:30", "half past four", "noon", "tomorrow at 9", "in 20 minutes".

Rules, not the model: the chatbot says that the user wants a reminder; this module says when. A time
without am/pm ("at 5") means its next occurrence (17:00 at two in the afternoon, 5:00 at eleven at
night); on another day ("tomorrow at 7") 7 to 11 mean the morning and 1 to 6 the afternoon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from assistant.core.skills.numbers import parse_duration, words_to_digits

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MERIDIEM = r"(?P<mer>a m|am|p m|pm|o ' clock|o clock|oclock)"
# Applied to words_to_digits() text: lower case, one space between tokens ("7:30pm" -> "7 : 30 pm").
_HHMM = re.compile(r"\b(?P<h>\d{1,2}) : (?P<m>\d{2})\b(?: " + _MERIDIEM + r")?")
_H_MER = re.compile(r"\b(?P<h>\d{1,2})(?: (?P<m>\d{2}))? " + _MERIDIEM)
_AT_H = re.compile(r"\b(?:at|for|by|around|until) (?P<h>\d{1,2})(?: (?P<m>[0-5]\d))?\b(?! (?:minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|%))")
_PAST = re.compile(r"\b(?P<q>half|quarter|\d{1,2}) (?:minutes? )?past (?P<h>\d{1,2})\b")
_TO = re.compile(r"\b(?P<q>quarter|\d{1,2}) (?:minutes? )?(?:to|before) (?P<h>\d{1,2})\b")
_NAMED = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
_NAMED_RE = re.compile(r"\b(noon|midday|midnight)\b")
_EVENING = re.compile(r"\b(tonight|this (?:afternoon|evening)|in the (?:afternoon|evening)|at night)\b")
_MORNING = re.compile(r"\b(this morning|in the morning)\b")
_DELAY = re.compile(r"\b(?:in|after|within)\b")
_DAYS = re.compile(r"\b(?:in|after) (\d+(?:\.\d+)?) (days?|weeks?)\b")


@dataclass(frozen=True)
class When:
    """A moment the user named, and how: "clock" (a time of day) or "delay" (in 20 minutes)."""

    due: datetime
    kind: str
    hour_minute: tuple[int, int] | None = None  # the time of day that was said (clock times only)


def _clock(t: str) -> tuple[int, int, str | None] | None:
    """(hour, minute, am/pm or None) of the first time of day in normalised text."""
    m = _NAMED_RE.search(t)
    if m:
        h, mi = _NAMED[m.group(1)]
        return h, mi, "24h"
    m = _PAST.search(t)
    if m:
        q = m.group("q")
        return int(m.group("h")), 30 if q == "half" else 15 if q == "quarter" else int(q), None
    m = _TO.search(t)
    if m:
        q = m.group("q")
        minutes = 15 if q == "quarter" else int(q)
        return (int(m.group("h")) - 1) % 24, 60 - minutes, None
    for pattern in (_HHMM, _H_MER, _AT_H):
        m = pattern.search(t)
        if m:
            mer = (m.groupdict().get("mer") or "").replace(" ", "")
            minute = int(m.group("m")) if m.group("m") else 0
            return int(m.group("h")), minute, {"am": "am", "pm": "pm"}.get(mer)
    return None


def _day_offset(t: str, now: datetime) -> int | None:
    if re.search(r"\bday after tomorrow\b", t):
        return 2
    if re.search(r"\btomorrow\b", t):
        return 1
    if re.search(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", t):
        return 0
    m = re.search(r"\b(?:on |next |this )?(" + "|".join(_WEEKDAYS) + r")\b", t)
    if m:
        ahead = (_WEEKDAYS.index(m.group(1)) - now.weekday()) % 7
        return ahead or 7
    return None


_HOUR_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_MINUTE_WORDS = {"oh five": 5, "o five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty five": 25,
                 "thirty": 30, "thirty five": 35, "forty": 40, "forty five": 45, "fifty": 50, "fifty five": 55}
_SPOKEN_HHMM = re.compile(r"\b(" + "|".join(_HOUR_WORDS) + r")[ -](" + "|".join(
    sorted((k.replace(" ", "[ -]") for k in _MINUTE_WORDS), key=len, reverse=True)) + r")\b", re.IGNORECASE)


def _spoken_hhmm(text: str) -> str:
    """ "five thirty" -> "5:30" (words_to_digits would add them up to 35)."""
    def repl(m: re.Match) -> str:
        minute = _MINUTE_WORDS[re.sub(r"[ -]", " ", m.group(2).lower())]
        return f"{_HOUR_WORDS.index(m.group(1).lower()) + 1}:{minute:02d}"

    return _SPOKEN_HHMM.sub(repl, text)


DEFAULT_HOUR = 9  # "remind me on friday": in the morning of that day


def parse_when(text: str, now: datetime, prefer_morning: bool = False) -> When | None:
    """When `text` says something should happen, or None. Clock times win over durations.

    prefer_morning: a time without am/pm is in the morning (alarms: "wake me at 7:30").
    """
    t = words_to_digits(_spoken_hhmm(text))
    clock = _clock(t)
    if clock is None and _day_offset(t, now):
        clock = (DEFAULT_HOUR, 0, "am")
    if clock is not None:
        hour, minute, mer = clock
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None
        if mer == "pm" and hour < 12:
            hour += 12
        elif mer == "am" and hour == 12:
            hour = 0
        elif mer is None and _EVENING.search(t) and hour < 12:
            hour += 12
        elif mer is None and _MORNING.search(t) and hour == 12:
            hour = 0
        ambiguous = mer is None and 1 <= hour <= 12 and not _EVENING.search(t) and not _MORNING.search(t)
        if ambiguous and prefer_morning:
            hour, ambiguous = hour % 12, False
        offset = _day_offset(t, now)
        if offset is None or offset == 0:
            candidates = [hour, (hour + 12) % 24] if ambiguous and hour != 12 else [hour]
            moments = [datetime.combine(now.date(), time(h, minute)) for h in candidates]
            later = [m for m in moments if m > now]
            if offset == 0 and not later:  # "at 9 this morning" when it is past nine: in the past (the caller says so)
                return When(max(moments), "clock", (max(moments).hour, minute))
            due = min(later) if later else datetime.combine(now.date() + timedelta(days=1), time(hour, minute))
            return When(due, "clock", (due.hour, due.minute))
        if ambiguous and 1 <= hour <= 6:
            hour += 12
        due = datetime.combine(now.date() + timedelta(days=offset), time(hour, minute))
        return When(due, "clock", (hour, minute))
    m = _DAYS.search(t)
    if m:
        days = float(m.group(1)) * (7 if m.group(2).startswith("week") else 1)
        return When(now + timedelta(days=days), "delay")
    if _DELAY.search(t):
        seconds = parse_duration(t)
        if seconds:
            return When(now + timedelta(seconds=seconds), "delay")
    return None


def spoken_time(moment: datetime, now: datetime) -> str:
    """ "17:00 today (5:00 PM)", "07:30 tomorrow (7:30 AM)", "09:00 on Friday 4 December (9:00 AM)"."""
    days = (moment.date() - now.date()).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif 1 < days < 7:
        day = f"on {moment:%A}"
    else:
        day = f"on {moment:%A} {moment.day} {moment:%B}"
    twelve = moment.strftime("%I:%M %p").lstrip("0")
    return f"{moment:%H:%M} {day} ({twelve})"


# Phrases that say when, removed from a reminder's text ("call mom at 5pm tomorrow" -> "call mom").
_NUM = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty)"
_RAW_TIME = (r"(?:(?:half|quarter|" + _NUM + r")(?: minutes?)? (?:past|to) " + _NUM + r"|noon|midday|midnight|"
             + _NUM + r"(?::\d{2}| " + _NUM + r")?(?:\s*(?:a\.?m\.?|p\.?m\.?|o'?\s?clock))?)")
_BARE_TIME = r"(?:\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2})"  # "5pm", "7:30": a time without "at"
_WHEN_PHRASES = re.compile(
    r"\s*\b(?:(?:at|by|around|for) " + _RAW_TIME + r"|" + _BARE_TIME + r"|"
    r"(?:in|after|within) (?:(?:a|an|one|\d+(?:\.\d+)?|[a-z]+(?:-[a-z]+)?)\s+)+?(?:hours?|minutes?|mins?|seconds?|secs?|days?|weeks?)"
    r"(?: and a half)?|(?:the )?day after tomorrow|tomorrow|tonight|today|this (?:morning|afternoon|evening)|"
    r"in the (?:morning|afternoon|evening)|at night|(?:on |next |this )?(?:" + "|".join(_WEEKDAYS) + r"))(?![\w:])",
    re.IGNORECASE,
)


def strip_when(text: str) -> str:
    """`text` without the phrases that say when (and the spaces they leave)."""
    out = _WHEN_PHRASES.sub(" ", text)
    return re.sub(r"\s+", " ", out).strip(" ,.;:")
