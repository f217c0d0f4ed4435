"""Word splitting shared by every text model, at training time (factory) and at run time (core).

Both sides call the same function, so the ids a model was trained on are the ids it sees in the app.
Lower-cased words (letters/digits with inner apostrophes, hyphens), and each punctuation mark on its
own. Text in any script is kept (\\w is Unicode-aware); emoji and symbols become single tokens.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
MAX_TEXT_CHARS = 20_000  # longer input is cut to its last part: bounded time on huge pastes


def normalise(text: str) -> str:
    """NFKC, curly apostrophes made straight, lower case."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    return text.lower()


def split_cased(text: str) -> list[str]:
    """The tokens split_words finds, with their casing kept (the factory learns "Monday", "English")."""
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).replace("’", "'"))


def split_words(text: str, keep_tail: bool = True) -> list[str]:
    """Tokens of `text`. Huge texts are cut to MAX_TEXT_CHARS (the tail when keep_tail, else the head)."""
    if len(text) > MAX_TEXT_CHARS:
        text = text[-MAX_TEXT_CHARS:] if keep_tail else text[:MAX_TEXT_CHARS]
    return _TOKEN_RE.findall(normalise(text))
