"""Sentence clean-up the skills' rules share: normalised case and quotes, politeness stripped."""

from __future__ import annotations

import re
import unicodedata

MAX_COMMAND_CHARS = 2000  # skills read at most this much of a message (bounded regex time)

_LEADING = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|um|uh|assistant|excuse me|please|quick question|can you|could you|"
    r"would you|will you|i'd like you to|i want you to)\b[\s,:!]*)+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:[\s,]+(?:please|for me|thanks|thank you|right now|then|again|now))+$", re.IGNORECASE)


def clean_command(text: str, keep_case: bool = False) -> str:
    """NFKC, straight apostrophes, one space, no end punctuation, no leading 'hey/please/can you' and
    no trailing 'please/thanks'. Lower case unless keep_case."""
    t = unicodedata.normalize("NFKC", text[:MAX_COMMAND_CHARS]).replace("\u2019", "'")
    t = re.sub(r"\s+", " ", t).strip().rstrip(".!?").strip()
    if not keep_case:
        t = t.lower()
    t = _TRAILING.sub("", _LEADING.sub("", t))
    return t.strip(" ,")
