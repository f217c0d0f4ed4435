"""Numbers and durations in words or digits: the rule-based slot extraction the skills share.

The model only decides WHAT the user wants (it sees every number as one token); the values come from
here, so "set a timer for twenty-five minutes" and "... for 25 minutes" give the same 1,500 seconds.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)
_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[^\sa-z\d]", re.IGNORECASE)


def _words_value(words: list[str]) -> int | None:
    """Value of a run of number words ("one hundred and five", "a thousand"); None when not a number."""
    total, current, seen = 0, 0, False
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        elif word in ("a", "an"):
            current += 1
        elif word == "and":
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def words_to_digits(text: str) -> str:
    """Lower-cased `text` with spelled-out numbers replaced by digits ("twenty-five" -> "25").

    "a"/"an" count as 1 only directly before a scale word ("a hundred"), and "and" only inside a number
    ("one hundred and five"); everything else is kept as it was (one space between tokens).
    """
    tokens = _TOKEN_RE.findall(text.lower())
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        starts = tok in _NUMBER_WORDS or (tok in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1] in _SCALES)
        if not starts:
            out.append(tok)
            i += 1
            continue
        run: list[str] = []
        j = i
        while j < len(tokens):
            t = tokens[j]
            if t in _NUMBER_WORDS or (t in ("a", "an") and not run and j + 1 < len(tokens) and tokens[j + 1] in _SCALES):
                run.append(t)
            elif t == "-" and run and j + 1 < len(tokens) and tokens[j + 1] in _UNITS:
                pass  # "twenty-five"
            elif t == "and" and run and run[-1] in _SCALES and j + 1 < len(tokens) and tokens[j + 1] in (
                    set(_UNITS) | set(_TENS)):
                run.append(t)
            else:
                break
            j += 1
        value = _words_value(run)
        out.append(str(value) if value is not None else " ".join(run))
        i = j
    return " ".join(out)


def parse_number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


_UNIT_SECONDS = {"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
                 "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
                 "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}
_UNIT_RE = r"(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b"
# "5 and a half hours", "5 and 1 / 2 hours" (after words_to_digits "a half" stays "a half")
_AND_HALF_RE = re.compile(r"(\d+(?:\.\d+)?) and (?:a )?(?:half|1 / 2) " + _UNIT_RE)
_NUM_UNIT_RE = re.compile(r"(\d+(?:\.\d+)?) ?(?:- )?" + _UNIT_RE)
_HALF_RE = re.compile(r"\b(?:half an?|1 / 2 an?|half) (hour|minute)\b")
_QUARTER_RE = re.compile(r"\b(?:a )?quarter of an hour\b|\ba quarter hour\b")
_ONE_RE = re.compile(r"\b(?:an?|one) (hour|minute|second)\b")
_UNIT_AND_HALF_RE = re.compile(r"\b(?:an?|1) (hour|minute) and a half\b")


def parse_duration(text: str) -> int | None:
    """Seconds in "5 minutes", "an hour and a half", "1 hour 20 minutes", "half an hour"; None if none."""
    t = words_to_digits(text)
    total = 0.0
    found = False

    def take(pattern: re.Pattern, value) -> None:
        nonlocal t, total, found
        for m in pattern.finditer(t):
            total += value(m)
            found = True
        t = pattern.sub(" ", t)

    take(_UNIT_AND_HALF_RE, lambda m: 1.5 * _UNIT_SECONDS[m.group(1)])
    take(_AND_HALF_RE, lambda m: (float(m.group(1)) + 0.5) * _UNIT_SECONDS[m.group(2)])
    take(_QUARTER_RE, lambda m: 900)
    take(_HALF_RE, lambda m: 0.5 * _UNIT_SECONDS[m.group(1)])
    take(_ONE_RE, lambda m: _UNIT_SECONDS[m.group(1)])
    take(_NUM_UNIT_RE, lambda m: float(m.group(1)) * _UNIT_SECONDS[m.group(2)])
    return int(round(total)) if found else None


def format_duration(seconds: float) -> str:
    """ "1 hour 5 minutes", "4 minutes 59 seconds", "12 seconds" (at most two parts)."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
        if value:
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return " ".join(parts[:2]) if parts else "0 seconds"


def format_number(value: float) -> str:
    """Integers without a decimal point, others with up to 10 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"
