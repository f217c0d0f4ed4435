"""Interpolated Kneser-Ney trigram language model over token ids: the autocomplete baseline.

Chen & Goodman's interpolated Kneser-Ney with one absolute discount per order, D = n1 / (n1 + 2 n2)
(n1, n2: how many n-grams of that order have count 1 and 2; continuation counts for the lower orders).
The highest order uses raw counts, the lower orders continuation counts (in how many distinct contexts a
word follows), and the unigram level is interpolated with the uniform distribution, so every target
token has a non-zero probability and each distribution sums to 1 (a test checks both).

Pure numpy: counts are unique int64 keys, a history's continuations are one contiguous slice found with
searchsorted, and `distribution(u, v)` builds the full [V] vector in O(V).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def _discount(counts: np.ndarray) -> float:
    n1 = int(np.sum(counts == 1))
    n2 = int(np.sum(counts == 2))
    if n1 == 0:
        return 0.5
    return min(0.95, max(0.05, n1 / (n1 + 2.0 * n2)))


class KneserNeyTrigram:
    """P(w | u, v) for ids in [0, vocab_size); `excluded` ids (padding, sentence start) are never targets."""

    def __init__(self, vocab_size: int, bos_id: int, excluded: Sequence[int] = (0,)):
        self.V = int(vocab_size)
        self.bos = int(bos_id)
        self.excluded = sorted({int(i) for i in excluded} | {self.bos})
        self.targets = np.ones(self.V, dtype=bool)
        self.targets[self.excluded] = False

    def fit(self, sequences: Iterable[Sequence[int]]) -> KneserNeyTrigram:
        """Each sequence is one message's token ids without the start token; history starts <s> <s>."""
        V = self.V
        parts = []
        for seq in sequences:
            if len(seq) == 0:
                continue
            h = np.asarray([self.bos, self.bos, *seq], dtype=np.int64)
            parts.append((h[:-2] * V + h[1:-1]) * V + h[2:])
        keys = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        self.tri_keys, self.tri_counts = np.unique(keys, return_counts=True)
        # Continuation counts: in how many distinct (u) contexts does (v, w) occur, then (v) for w.
        self.bi_keys, self.bi_counts = np.unique(self.tri_keys % (V * V), return_counts=True)
        uni_keys, uni_counts = np.unique(self.bi_keys % V, return_counts=True)
        self.d3 = _discount(self.tri_counts)
        self.d2 = _discount(self.bi_counts)
        self.d1 = _discount(uni_counts)
        n_targets = int(self.targets.sum())
        total = float(uni_counts.sum())
        p1 = np.zeros(V, dtype=np.float64)
        if total > 0:
            p1[uni_keys] = np.maximum(uni_counts - self.d1, 0.0) / total
            p1[self.targets] += self.d1 * len(uni_keys) / total / n_targets
        else:
            p1[self.targets] = 1.0 / n_targets
        self.p1 = p1
        return self

    def _level(self, base: np.ndarray, keys: np.ndarray, counts: np.ndarray, start: int, discount: float) -> np.ndarray:
        lo = int(np.searchsorted(keys, start, side="left"))
        hi = int(np.searchsorted(keys, start + self.V, side="left"))
        if hi <= lo:
            return base
        c = counts[lo:hi].astype(np.float64)
        total = c.sum()
        out = base * (discount * (hi - lo) / total)
        out[keys[lo:hi] - start] += np.maximum(c - discount, 0.0) / total
        return out

    def distribution(self, u: int, v: int) -> np.ndarray:
        """P(. | u, v) as a float64 [V] vector (zero at excluded ids)."""
        p2 = self._level(self.p1, self.bi_keys, self.bi_counts, int(v) * self.V, self.d2)
        return self._level(p2, self.tri_keys, self.tri_counts, (int(u) * self.V + int(v)) * self.V, self.d3)

    def history(self, window: Sequence[int], pad_id: int = 0) -> tuple[int, int]:
        """The (u, v) history of a left-padded context window ending with the latest token.

        A trigram reads its own message only: ids up to the last <s> (the previous message's tail
        in the model's window) are dropped and the message starts with <s> <s>, as in fit().
        """
        ids = [int(i) for i in window if int(i) != pad_id]
        if self.bos in ids:
            ids = ids[len(ids) - ids[::-1].index(self.bos) :]
        history = [self.bos, self.bos, *ids]
        return history[-2], history[-1]

    def log_probs(self, windows: np.ndarray, pad_id: int = 0) -> np.ndarray:
        """Log-probabilities [n, V] for a batch of context windows (same contract as the model)."""
        out = np.empty((len(windows), self.V), dtype=np.float32)
        with np.errstate(divide="ignore"):
            for i, window in enumerate(windows):
                out[i] = np.log(self.distribution(*self.history(window, pad_id)))
        return out
