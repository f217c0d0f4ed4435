"""Next-word suggestions: the LSTM language model (LiteRT), a frequency lexicon and the personal layer.

`Predictor.suggest(text_before_cursor)` returns the top-k words to show. At a word boundary they are
next-word predictions; inside a word they complete the typed prefix: the model's distribution is
filtered by the prefix, and rare words the model only knows as <unk> come from the lexicon (the full
training-word frequency list), each getting its frequency share of the model's <unk> probability.

The model also reads the end of the previous message of the conversation (`previous=`: in the app the
last line of the chat, from either side): "how are you?" makes "good" and "fine" likely first words of
the reply. The window is the last PREVIOUS_TOKENS ids of that message (with its <s> when short), then
<s> and the message being typed; without a previous message it starts at <s>, as in training, where
the previous message was left out of a quarter of the examples for that reason.

Punctuation, numbers and <unk> are never suggested: typing "." costs one key and so does accepting it,
so a punctuation chip saves nothing and takes a slot from a word.

`SuggestionRanker` is the ranking logic without the model call; the factory uses the same class to
simulate typing for the keystroke-savings metric, so the report measures what the app does.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.core.inference import registry
from assistant.core.text.vocab import NUM, PAD, PAD_ID, UNK, UNK_ID, Vocab, model_tokens
from assistant.core.text.words import normalise

if TYPE_CHECKING:
    from assistant.core.inference.catalog import Catalog
    from assistant.core.text.personal import PersonalModel

logger = logging.getLogger(__name__)

MODEL_NAME = registry.AUTOCOMPLETE
BOS = "<s>"  # starts every message: the model predicts the first word of a message after it
BOS_ID = 2
SPECIALS = (PAD, UNK, BOS)
SENTENCE_END = frozenset({".", "!", "?", "…"})
# Inside a word, the typed text counts as a finished word (suggestions switch to the next word) when
# the model gives the word itself at least this share of the probability of all words with that prefix.
FINISHED_SHARE = 0.9
TEXT_TAIL_CHARS = 2000  # only the end of a long text matters for the last N tokens
_PARTIAL_RE = re.compile(r"\w[\w'’]*$")
_LETTER_RE = re.compile(r"[^\W\d_]")
_CACHE_SIZE = 16
CONTEXT_WORDS_FOR_START = 64  # no letter in the last tokens: a new message, capitalise
PREVIOUS_TOKENS = 8  # ids of the previous message that precede a message's <s> in the model's window


def is_word(token: str) -> bool:
    """A token worth suggesting: contains a letter, is not a special or number token."""
    return token not in SPECIALS and token != NUM and _LETTER_RE.search(token) is not None


def token_ids(tokens: Sequence[str], index: Mapping[str, int]) -> list[int]:
    """Ids of model tokens (assistant.core.text.vocab.model_tokens); unknown tokens become <unk>.

    The factory encodes its training and test messages with this function too.
    """
    return [index.get(t, UNK_ID) for t in tokens]


def context_window(ids: Sequence[int], length: int) -> np.ndarray:
    """The last `length` ids, left-padded with <pad>=0, as an int32 [1, length] array."""
    tail = list(ids)[-length:]
    out = np.full((1, length), PAD_ID, dtype=np.int32)
    if tail:
        out[0, length - len(tail):] = tail
    return out


def conversation_ids(previous: Sequence[int], ids: Sequence[int]) -> list[int]:
    """The ids the model reads: the tail of the previous message's ids (<s> first), then this message's.

    The factory builds its training, test and calibration windows with this function too.
    """
    return [*list(previous)[-PREVIOUS_TOKENS:], *ids] if previous else list(ids)


def log_softmax_to_probs(row: np.ndarray) -> np.ndarray:
    """Model output (log-probabilities, possibly de-quantized) -> probabilities summing to 1."""
    row = np.asarray(row, dtype=np.float64).reshape(-1)
    row = row - row.max()
    p = np.exp(row)
    return p / p.sum()


@dataclass
class Lexicon:
    """Word frequencies of the training split (bigger than the model vocabulary) and preferred casing."""

    words: list[str]
    counts: list[int]
    case: dict[str, str]

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError(f"{path}: not a lexicon file (format 1)")
        words, counts = data.get("words"), data.get("counts")
        if not isinstance(words, list) or not isinstance(counts, list) or len(words) != len(counts):
            raise ValueError(f"{path}: 'words' and 'counts' must be lists of the same length")
        return cls([str(w) for w in words], [int(c) for c in counts], dict(data.get("case") or {}))

    def to_dict(self) -> dict[str, Any]:
        return {"format": 1, "words": self.words, "counts": self.counts, "case": self.case}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")


class SuggestionRanker:
    """Turns one model distribution into the k words to show, for a prefix (maybe empty).

    Scores are probabilities: in-vocabulary words take the model's probability, lexicon words outside
    the vocabulary share the model's <unk> probability by their training frequency. The personal layer
    (optional) is mixed in linearly with weight `weight`.
    """

    def __init__(self, tokens: Sequence[str], lexicon: Lexicon | None = None):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.word_mask = np.array([is_word(t) for t in self.tokens], dtype=bool)
        word_ids = [i for i, t in enumerate(self.tokens) if self.word_mask[i]]
        order = sorted(word_ids, key=lambda i: self.tokens[i])
        self.sorted_words = [self.tokens[i] for i in order]
        self.sorted_ids = np.array(order, dtype=np.int64)
        oov = []
        if lexicon is not None:
            oov = sorted((w, c) for w, c in zip(lexicon.words, lexicon.counts, strict=True)
                         if c > 0 and w not in self.index and is_word(w))
        self.oov_words = [w for w, _ in oov]
        total = float(sum(c for _, c in oov)) or 1.0
        self.oov_share = np.array([c / total for _, c in oov], dtype=np.float64)
        self.case = dict(lexicon.case) if lexicon is not None else {}

    @staticmethod
    def _range(words: list[str], prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff")
        return lo, hi

    def finished_share(self, probs: np.ndarray, prefix: str) -> float:
        """Share of the prefix's probability mass that the prefix itself has as a whole word."""
        own = self.index.get(prefix)
        if not prefix or own is None or not self.word_mask[own]:
            return 0.0
        lo, hi = self._range(self.sorted_words, prefix)
        total = float(probs[self.sorted_ids[lo:hi]].sum())
        lo2, hi2 = self._range(self.oov_words, prefix)
        total += float(probs[UNK_ID]) * float(self.oov_share[lo2:hi2].sum())
        return float(probs[own]) / total if total > 0 else 0.0

    def scores(self, probs: np.ndarray, prefix: str = "", pool: int = 12) -> dict[str, float]:
        """Up to `pool` best candidate words with their probabilities (vocabulary and lexicon)."""
        out: dict[str, float] = {}
        if not prefix:
            masked = np.where(self.word_mask, probs, -1.0)
            n = min(pool, int(self.word_mask.sum()))
            if n <= 0:
                return out
            top = np.argpartition(-masked, n - 1)[:n]
            for i in top:
                out[self.tokens[int(i)]] = float(probs[int(i)])
            return out
        lo, hi = self._range(self.sorted_words, prefix)
        if hi > lo:
            ids = self.sorted_ids[lo:hi]
            p = probs[ids]
            n = min(pool, len(ids))
            for j in np.argpartition(-p, n - 1)[:n]:
                out[self.tokens[int(ids[j])]] = float(p[j])
        lo, hi = self._range(self.oov_words, prefix)
        if hi > lo:
            share = self.oov_share[lo:hi]
            n = min(pool, hi - lo)
            unk = float(probs[UNK_ID])
            for j in np.argpartition(-share, n - 1)[:n]:
                out[self.oov_words[lo + int(j)]] = unk * float(share[j])
        return out

    def rank(
        self,
        probs: np.ndarray,
        prefix: str = "",
        k: int = 3,
        personal: dict[str, float] | None = None,
        weight: float = 0.0,
    ) -> list[str]:
        """The k best words starting with `prefix` (lower case), best first."""
        if k <= 0:
            return []
        scores = self.scores(probs, prefix, pool=max(12, 4 * k))
        if personal and weight > 0:
            mixed = {w: (1.0 - weight) * s for w, s in scores.items()}
            for word, p in personal.items():
                if not word.startswith(prefix) or not is_word(word):
                    continue
                if word not in mixed:
                    i = self.index.get(word)
                    mixed[word] = (1.0 - weight) * (float(probs[i]) if i is not None else 0.0)
                mixed[word] += weight * p
            scores = mixed
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [w for w, _ in ranked[:k]]

    def display(self, word: str, capitalise: bool, upper: bool = False) -> str:
        """Restore casing: "I" and "I'm", the lexicon's preferred casing, sentence starts, typed capitals."""
        if upper and len(word) > 1:
            return word.upper()
        if word == "i" or word.startswith("i'"):
            return "I" + word[1:]
        shown = self.case.get(word, word)
        if capitalise and shown:
            shown = shown[0].upper() + shown[1:]
        return shown


@dataclass
class Suggestions:
    """What the UI shows. `completing` is the partial word the suggestion replaces ('' at a boundary)."""

    words: list[str]
    precision: str
    latency_ms: float  # model calls only
    completing: str = ""
    error: str | None = None

    def apply(self, text_before_cursor: str, word: str) -> str:
        """Text after accepting `word`: the partial word is replaced, a space follows the word."""
        head = text_before_cursor[: len(text_before_cursor) - len(self.completing)] if self.completing \
            else text_before_cursor
        if head and not head[-1].isspace() and not self.completing:
            head += " "
        return f"{head}{word} "


@dataclass
class Context:
    """The text before the partial word, its model tokens and ids (<s> first), and the partial word."""

    text: str
    tokens: list[str]
    ids: list[int]
    partial: str


_DEFAULT: Any = object()


class Predictor:
    """Next-word suggestions for the text before the cursor. Never raises on user text.

    A missing or corrupt model gives empty suggestions with `error` set (and a logged reason).
    """

    def __init__(
        self,
        precision: str | None = None,
        catalog: Catalog | None = None,
        personal: PersonalModel | None = _DEFAULT,
        num_threads: int = 1,
    ):
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.engine import Engine, EngineError

        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._previous: tuple[str, list[int]] = ("", [])  # the last previous message and its ids
        self.error: str | None = None
        self.engine: Engine | None = None
        self.ranker: SuggestionRanker | None = None
        self.vocab: Vocab | None = None
        self.length = 0
        if personal is _DEFAULT:
            personal = _open_personal()
        self.personal = personal
        self.catalog = catalog if catalog is not None else Catalog.load()
        try:
            self.engine = Engine(MODEL_NAME, precision, self.catalog, num_threads=num_threads)
            info = self.catalog.model(MODEL_NAME)
            self.vocab = Vocab.load(info.asset_path("vocab"))
            lexicon = Lexicon.load(info.asset_path("lexicon")) if "lexicon" in info.assets else None
            if self.vocab.tokens[: len(SPECIALS)] != list(SPECIALS):
                raise ValueError("the vocabulary does not start with <pad>, <unk>, <s>")
            self.ranker = SuggestionRanker(self.vocab.tokens, lexicon)
            self.length = int(info.inputs[0].shape[-1]) if info.inputs else self.vocab.length
        except (EngineError, OSError, ValueError, KeyError) as exc:
            self.engine = None
            self.error = f"autocomplete is unavailable: {exc}"
            logger.error("%s", self.error)

    @property
    def precision(self) -> str:
        return self.engine.precision if self.engine is not None else ""

    def set_precision(self, precision: str | None) -> str:
        """Swap the model variant at run time; returns the precision that loaded."""
        from assistant.core.inference.engine import EngineError

        if self.engine is None:
            return ""
        with self._lock:
            try:
                loaded = self.engine.set_precision(precision)
            except EngineError as exc:
                self.error = str(exc)
                logger.error("autocomplete: %s", exc)
                return self.engine.precision
            self._cache.clear()
            return loaded

    def learn(self, sent_text: str) -> None:
        """Feed one message the user sent to the personal layer."""
        if self.personal is not None:
            try:
                self.personal.learn(sent_text)
            except Exception:  # noqa: BLE001 - learning must never break sending
                logger.exception("personal layer could not learn a message")

    # -- internals

    def _ids(self, tokens: Sequence[str]) -> list[int]:
        assert self.ranker is not None
        return token_ids(tokens, self.ranker.index)

    def _distribution(self, ids: list[int]) -> tuple[np.ndarray, float]:
        """Probabilities for the next token after `ids`, and the model-call time in ms (0 if cached)."""
        assert self.engine is not None
        window = context_window(ids, self.length)
        key = tuple(int(i) for i in window[0])
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached, 0.0
        start = time.perf_counter()
        out = self.engine.run(window)[0]
        elapsed = (time.perf_counter() - start) * 1000.0
        probs = log_softmax_to_probs(out[0])
        with self._lock:
            self._cache[key] = probs
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return probs, elapsed

    def _personal(self, tokens: list[str], prefix: str) -> tuple[dict[str, float], float]:
        if self.personal is None:
            return {}, 0.0
        try:
            return self.personal.distribution(tokens, prefix)
        except Exception:  # noqa: BLE001 - a damaged personal store must not stop suggestions
            logger.exception("personal layer failed; suggesting from the model only")
            return {}, 0.0

    def message_ids(self, text: str) -> list[int]:
        """<s> and the ids of a whole message (the `previous` message of a conversation).

        The previous message stays the same while the user types, so its ids are kept (splitting a
        long one again on every keystroke cost 0.3 ms).
        """
        text = text if isinstance(text, str) else str(text or "")
        seen, ids = self._previous
        if text == seen:
            return ids
        tokens = model_tokens(text[-TEXT_TAIL_CHARS:])
        ids = [BOS_ID, *self._ids(tokens)] if tokens and self.ranker is not None else []
        self._previous = (text, ids)
        return ids

    def context(self, text_before_cursor: str, previous: str = "") -> Context:
        """Split the text into the context (tokens and ids, <s> first) and the partial word at the cursor.

        `previous` (the conversation's last message) goes before <s> in the ids; the tokens are this
        message's only, so capitalisation and the personal layer look at what is being typed.
        """
        text = text_before_cursor if isinstance(text_before_cursor, str) else str(text_before_cursor or "")
        cut = len(text) > TEXT_TAIL_CHARS
        if cut:
            text = text[-TEXT_TAIL_CHARS:]
        match = _PARTIAL_RE.search(text[-200:])
        partial = match.group(0) if match else ""
        context_text = text[: len(text) - len(partial)]
        tokens = model_tokens(context_text)
        if cut and tokens:
            tokens = tokens[1:]  # the first token of a cut text may be a fragment
        ids = ([] if cut else [BOS_ID]) + (self._ids(tokens) if self.ranker is not None else [])
        if not cut and previous:
            ids = conversation_ids(self.message_ids(previous), ids)
        return Context(context_text, tokens, ids, partial)

    def suggest(self, text_before_cursor: str, k: int = 3, previous: str = "") -> Suggestions:
        """Top-k words for the cursor position (see the module docstring).

        `previous` is the last message of the conversation (either side), or "" when there is none.
        """
        from assistant.core.inference.engine import EngineError

        ctx = self.context(text_before_cursor, previous)
        partial, tokens, ids = ctx.partial, ctx.tokens, ctx.ids
        if self.engine is None or self.ranker is None:
            return Suggestions([], "", 0.0, partial, self.error or "autocomplete is unavailable")
        k = max(0, int(k))
        try:
            probs, latency = self._distribution(ids)
            prefix = normalise(partial)
            completing = partial
            if prefix and self.ranker.finished_share(probs, prefix) >= FINISHED_SHARE:
                # The typed word looks finished ("how are"): suggest what follows it.
                tokens = [*tokens, prefix]
                probs, more = self._distribution([*ids, self.ranker.index[prefix]])
                latency += more
                prefix, completing = "", ""
            personal, weight = self._personal(tokens, prefix)
            words = self.ranker.rank(probs, prefix, k, personal, weight)
        except EngineError as exc:
            logger.error("autocomplete model failed: %s", exc)
            return Suggestions([], self.precision, 0.0, partial, str(exc))
        start = (not any(_LETTER_RE.search(t) for t in tokens[-CONTEXT_WORDS_FOR_START:])
                 or tokens[-1] in SENTENCE_END or ctx.text.rstrip(" \t").endswith("\n"))
        typed_cap = bool(completing) and completing[0].isupper()
        typed_upper = len(completing) > 1 and completing.isupper()
        shown = [self.ranker.display(w, start or typed_cap, typed_upper) for w in words]
        return Suggestions(shown, self.precision, round(latency, 4), completing)


def _open_personal() -> PersonalModel | None:
    try:
        from assistant.core.text.personal import PersonalModel

        return PersonalModel()
    except Exception:  # noqa: BLE001 - suggestions still work without the personal layer
        logger.exception("personal layer unavailable")
        return None
