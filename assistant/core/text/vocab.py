"""Token vocabulary: words -> fixed-length id arrays, identical in the factory and at run time.

The factory builds a `Vocab` from its training texts and saves it as JSON next to the model; the app
loads the same file and encodes with the same code, so the ids a model sees in the app are the ids it
was trained on (a test checks this on the whole held-out set). Id 0 pads, id 1 stands for any word the
vocabulary does not know. Numbers written with digits all map to one token: "5 minutes" and
"37 minutes" look alike to the model; the actual value is read by rule-based slot extraction.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.core.text.words import split_words

PAD, UNK, NUM = "<pad>", "<unk>", "<num>"
PAD_ID, UNK_ID = 0, 1


def model_tokens(text: str) -> list[str]:
    """Words of `text` as the model sees them (digit runs become the number token)."""
    return [NUM if tok.isdecimal() else tok for tok in split_words(text)]


@dataclass
class Vocab:
    """Token list (index = id) plus the fixed sequence length and which end a long text keeps."""

    tokens: list[str]
    length: int
    keep: str = "head"  # "head": first `length` tokens (commands); "tail": last ones (next-word models)
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.tokens[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <pad>, <unk>")
        if self.keep not in ("head", "tail"):
            raise ValueError(f"keep must be 'head' or 'tail', not {self.keep!r}")
        self._index = {tok: i for i, tok in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        length: int,
        min_count: int = 1,
        max_size: int | None = None,
        keep: str = "head",
    ) -> Vocab:
        """Vocabulary of the words in `texts` seen at least `min_count` times (most frequent first)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(model_tokens(text))
        # Sort by count, then alphabetically: the same texts always give the same ids.
        ranked = sorted((t for t, c in counts.items() if c >= min_count and t not in (PAD, UNK)),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - 2)]
        return cls([PAD, UNK, *ranked], length=length, keep=keep)

    def ids(self, text: str) -> list[int]:
        """Ids of all tokens of `text`, unpadded and uncut."""
        return [self._index.get(tok, UNK_ID) for tok in model_tokens(text)]

    def encode(self, text: str) -> list[int]:
        """Exactly `length` ids: cut to the kept end, then padded with 0 on the right."""
        ids = self.ids(text)
        ids = ids[: self.length] if self.keep == "head" else ids[-self.length :]
        return ids + [PAD_ID] * (self.length - len(ids))

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """int32 array [len(texts), length]."""
        out = np.zeros((len(texts), self.length), dtype=np.int32)
        for row, text in enumerate(texts):
            out[row] = self.encode(text)
        return out

    def to_dict(self) -> dict:
        return {"format": 1, "length": self.length, "keep": self.keep, "pad_id": PAD_ID, "unk_id": UNK_ID,
                "number_token": NUM, "tokens": self.tokens}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a saved vocabulary; raises OSError/ValueError on a missing or malformed file."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError(f"{path}: not a vocabulary file (format 1)")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{path}: 'tokens' must be a list of strings")
        return cls(tokens, length=int(data["length"]), keep=str(data.get("keep", "head")))
