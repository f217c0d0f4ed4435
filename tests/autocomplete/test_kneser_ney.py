"""The Kneser-Ney baseline is a proper distribution and follows the textbook formulas on a tiny corpus."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.factory.kneser_ney import KneserNeyTrigram

PAD, UNK, BOS = 0, 1, 2
# ids 3.. are words: 3 "a", 4 "b", 5 "c", 6 "d", 7 "e" (never seen)
CORPUS = [[3, 4, 5], [3, 4, 6], [4, 5], [3, 5, 4, 3], [6]]


@pytest.fixture
def kn() -> KneserNeyTrigram:
    return KneserNeyTrigram(8, BOS, excluded=(PAD,)).fit(CORPUS)


@pytest.mark.parametrize("history", [(BOS, BOS), (BOS, 3), (3, 4), (4, 5), (7, 7), (5, 7), (1, 3)])
def test_every_distribution_sums_to_one(kn, history):
    p = kn.distribution(*history)
    assert p.shape == (8,)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert p[PAD] == 0.0 and p[BOS] == 0.0
    assert np.all(p[[UNK, 3, 4, 5, 6, 7]] > 0)  # the unigram level is interpolated with uniform


def test_seen_trigram_outranks_unseen(kn):
    p = kn.distribution(3, 4)  # "a b" was followed by c and d, never by a
    assert p[5] > p[3] and p[6] > p[3]


def test_unigram_uses_continuation_counts(kn):
    """Continuation counts by hand: a follows {<s>, b}, b follows {a, <s>, c}, c follows {b, a}, d follows
    {b, <s>}: counts 2, 3, 2, 2 (total 9, 4 types). No count is 1, so D1 falls back to 0.5; the uniform
    share goes to the 6 possible targets (<unk>, a..e)."""
    uniform = 0.5 * 4 / 9 / 6
    assert kn.d1 == 0.5
    assert kn.p1[4] == pytest.approx(2.5 / 9 + uniform)
    assert kn.p1[3] == pytest.approx(1.5 / 9 + uniform)
    assert kn.p1[7] == pytest.approx(uniform) and kn.p1[UNK] == pytest.approx(uniform)
    assert kn.p1.sum() == pytest.approx(1.0)


def test_exact_value_of_one_trigram(kn):
    """P(c | a b) by hand from the interpolated Kneser-Ney formulas."""
    v = 8
    d3, d2 = kn.d3, kn.d2
    # trigram level: history (a, b) seen twice, followed by c once and d once (2 types)
    p2 = kn._level(kn.p1, kn.bi_keys, kn.bi_counts, 4 * v, d2)
    expected = (1 - d3) / 2 + d3 * 2 / 2 * p2[5]
    assert kn.distribution(3, 4)[5] == pytest.approx(expected)


def test_history_of_windows(kn):
    assert kn.history([0, 0, 0, BOS]) == (BOS, BOS)
    assert kn.history([0, 0, BOS, 3]) == (BOS, 3)
    assert kn.history([3, 4, 5, 6]) == (5, 6)
    # the previous message's tail before <s> is not part of a trigram's history
    assert kn.history([3, 4, 5, BOS]) == (BOS, BOS)
    assert kn.history([BOS, 4, 5, BOS, 6]) == (BOS, 6)
    lp = kn.log_probs(np.array([[0, 0, BOS, 3]]))
    assert np.exp(lp[0]).sum() == pytest.approx(1.0, abs=1e-6)
