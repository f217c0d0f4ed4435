"""Personal layer of autocomplete: n-gram counts of what this user sends, kept only on this machine.

Unigram, bigram and trigram counts live in SQLite in the user data folder (`personal_ngrams.sqlite3`)
and in memory. For a context the layer gives a distribution over words (interpolated trigram ->
bigram -> unigram, Witten-Bell style weights) and a mixing weight that grows with the evidence the
user has given for that context, so a phrase sent once already shows up and the model still rules
where the user has said nothing similar. `clear()` forgets everything.
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
import threading
from collections import defaultdict

from assistant.core.appdata.storage import open_db
from assistant.core.text.vocab import model_tokens

logger = logging.getLogger(__name__)

DB_NAME = "personal_ngrams"
SCHEMA = """
CREATE TABLE IF NOT EXISTS ngrams (
    context TEXT NOT NULL,      -- '' (unigram), 'a' (bigram) or 'a<US>b' (trigram)
    word TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (context, word)
) WITHOUT ROWID;
"""
BOS = "<s>"
SEP = "\x1f"  # unit separator: never part of a token
MAX_WEIGHT = 0.6  # the personal layer never fully replaces the model
EVIDENCE_HALF = 2.0  # evidence at which the weight reaches half of MAX_WEIGHT
MAX_MESSAGE_TOKENS = 400  # a pasted essay teaches at most this many tokens
UNIGRAM_POOL = 64  # unigram candidates considered per call


class PersonalModel:
    """The user's own n-gram cache. Thread-safe: one lock around the counts and the database."""

    def __init__(self, db_name: str = DB_NAME):
        self.db_name = db_name
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._counts: dict[str, dict[str, int]] = defaultdict(dict)
        self._totals: dict[str, int] = defaultdict(int)
        self._loaded = False
        self._sorted: list[str] | None = None  # unigram words, sorted (rebuilt after learning)
        self._frequent: list[str] = []

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_db(self.db_name, SCHEMA)
        return self._conn

    def _load(self) -> None:
        if self._loaded:
            return
        for row in self._db().execute("SELECT context, word, count FROM ngrams"):
            self._counts[row["context"]][row["word"]] = int(row["count"])
            self._totals[row["context"]] += int(row["count"])
        self._loaded = True

    @staticmethod
    def _contexts(history: list[str]) -> list[str]:
        """Keys of the trigram, bigram and unigram contexts that end `history` (longest first)."""
        keys = []
        if len(history) >= 2:
            keys.append(history[-2] + SEP + history[-1])
        if history:
            keys.append(history[-1])
        keys.append("")
        return keys

    def learn(self, text: str) -> int:
        """Count the n-grams of one sent message; returns how many tokens were learned."""
        tokens = model_tokens(text)[:MAX_MESSAGE_TOKENS]
        if not tokens:
            return 0
        history = [BOS]
        updates: dict[tuple[str, str], int] = defaultdict(int)
        for tok in tokens:
            for key in self._contexts(history):
                updates[(key, tok)] += 1
            history.append(tok)
        with self._lock:
            self._load()
            conn = self._db()
            conn.execute("BEGIN")
            try:
                conn.executemany(
                    "INSERT INTO ngrams(context, word, count) VALUES (?, ?, ?) "
                    "ON CONFLICT(context, word) DO UPDATE SET count = count + excluded.count",
                    [(c, w, n) for (c, w), n in updates.items()],
                )
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            for (c, w), n in updates.items():
                self._counts[c][w] = self._counts[c].get(w, 0) + n
                self._totals[c] += n
            self._sorted = None
        return len(tokens)

    def _unigram_candidates(self, prefix: str) -> dict[str, int]:
        """Unigram counts of words starting with `prefix` (the best UNIGRAM_POOL when prefix is '')."""
        counts = self._counts.get("", {})
        if self._sorted is None:
            self._sorted = sorted(counts)
            self._frequent = sorted(counts, key=lambda w: -counts[w])[:UNIGRAM_POOL]
        if not prefix:
            return {w: counts[w] for w in self._frequent}
        lo = bisect.bisect_left(self._sorted, prefix)
        hi = bisect.bisect_left(self._sorted, prefix + "\U0010ffff")
        found = self._sorted[lo:hi]
        if len(found) > UNIGRAM_POOL:
            found = sorted(found, key=lambda w: -counts[w])[:UNIGRAM_POOL]
        return {w: counts[w] for w in found}

    def distribution(self, history: list[str], prefix: str = "") -> tuple[dict[str, float], float]:
        """P(next word | last two tokens of `history`) over words the user has sent that start with
        `prefix`, and the weight to mix it with the model (0 when the user gave no evidence)."""
        history = [BOS, *history] if not history or history[0] != BOS else list(history)
        with self._lock:
            self._load()
            keys = self._contexts(history)
            levels = []
            for key in keys:
                counts = self._counts.get(key, {})
                total = self._totals.get(key, 0)
                distinct = len(counts)
                if key == "":
                    counts = self._unigram_candidates(prefix)
                else:
                    counts = {w: c for w, c in counts.items() if w.startswith(prefix)}
                levels.append((counts, total, distinct))
        # Interpolate from the unigram upwards: lambda = total / (total + distinct) (Witten-Bell).
        dist: dict[str, float] = {}
        for counts, total, distinct in reversed(levels):
            if total <= 0:
                continue
            lam = total / (total + distinct)
            dist = {w: (1.0 - lam) * p for w, p in dist.items()}
            for w, c in counts.items():
                dist[w] = dist.get(w, 0.0) + lam * c / total
        totals = [total for _, total, _ in levels]
        trigram = totals[0] if len(totals) == 3 else 0
        bigram = totals[-2] if len(totals) >= 2 else 0
        # Unigram evidence alone (the user's favourite words anywhere) is capped: weight at most 0.12.
        evidence = trigram + 0.3 * bigram + min(0.5, 0.002 * totals[-1])
        weight = MAX_WEIGHT * evidence / (evidence + EVIDENCE_HALF) if evidence > 0 else 0.0
        return dist, weight

    def size(self) -> int:
        """Number of stored n-grams."""
        with self._lock:
            self._load()
            return sum(len(v) for v in self._counts.values())

    def clear(self) -> None:
        """Forget everything the layer has learned (memory and disk)."""
        with self._lock:
            conn = self._db()
            conn.execute("DELETE FROM ngrams")
            conn.execute("VACUUM")
            self._counts.clear()
            self._totals.clear()
            self._sorted = None
            self._loaded = True
        logger.info("personal autocomplete data cleared")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
