"""Ranking, prefix completion, lexicon fallback, casing and the typing simulation, on a hand-made vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.text.autocomplete import (
    BOS_ID,
    Lexicon,
    SuggestionRanker,
    Suggestions,
    context_window,
    is_word,
    log_softmax_to_probs,
)
from assistant.factory.recipes.autocomplete import build_lexicon, build_vocab, simulate_typing

TOKENS = ["<pad>", "<unk>", "<s>", ".", "i", "you", "the", "to", "tomorrow", "today", "?", "<num>", "are", "area",
          "i'm", "how"]


def probs_of(**weights: float) -> np.ndarray:
    p = np.full(len(TOKENS), 1e-4)
    for word, w in weights.items():
        p[TOKENS.index({"unk": "<unk>", "dot": ".", "q": "?", "im": "i'm"}.get(word, word))] = w
    return p / p.sum()


@pytest.fixture
def ranker() -> SuggestionRanker:
    lexicon = Lexicon(["you", "tomorrow", "tomato", "tommy", "tokyo", "arena"], [50, 20, 5, 3, 1, 2],
                      {"tokyo": "Tokyo"})
    return SuggestionRanker(TOKENS, lexicon)


def test_never_suggests_punctuation_numbers_or_specials(ranker):
    p = probs_of(dot=0.4, q=0.2, unk=0.2, **{"<num>": 0.1}, you=0.01, the=0.005, to=0.001)
    assert ranker.rank(p, "", 3) == ["you", "the", "to"]
    assert not any(is_word(t) for t in ("<s>", "<unk>", "<pad>", "<num>", ".", "?", "42"))


def test_prefix_filters_the_distribution(ranker):
    p = probs_of(the=0.3, to=0.2, today=0.05, tomorrow=0.1)
    assert ranker.rank(p, "to", 3) == ["to", "tomorrow", "today"]
    assert ranker.rank(p, "tom", 3)[0] == "tomorrow"


def test_lexicon_completes_rare_words_with_the_unk_share(ranker):
    # tomato/tommy/tokyo are not in the vocabulary: they share P(<unk>) by frequency (5:3:1).
    p = probs_of(unk=0.2, tomorrow=0.001)
    assert ranker.rank(p, "tom", 3) == ["tomato", "tommy", "tomorrow"]
    assert ranker.rank(probs_of(unk=0.0001, tomorrow=0.3), "tom", 3)[0] == "tomorrow"
    assert ranker.rank(p, "zz", 3) == []


def test_finished_share(ranker):
    p = probs_of(are=0.5, area=0.001)
    assert ranker.finished_share(p, "are") > 0.99
    assert ranker.finished_share(p, "ar") == 0.0  # not a word
    assert ranker.finished_share(probs_of(are=0.01, area=0.01), "are") == pytest.approx(0.5, abs=0.01)


def test_personal_mix_can_add_and_promote_words(ranker):
    p = probs_of(the=0.3, to=0.2, today=0.05)
    assert ranker.rank(p, "", 3, {"gym": 1.0}, weight=0.5)[0] == "gym"
    assert ranker.rank(p, "", 3, {"gym": 1.0}, weight=0.0)[0] == "the"
    assert ranker.rank(p, "to", 2, {"today": 0.9, "gym": 0.1}, weight=0.5) == ["today", "to"]


def test_display_casing(ranker):
    assert ranker.display("i", False) == "I"
    assert ranker.display("i'm", False) == "I'm"
    assert ranker.display("you", True) == "You"
    assert ranker.display("you", False) == "you"
    assert ranker.display("tokyo", False) == "Tokyo"
    assert ranker.display("tomorrow", False, upper=True) == "TOMORROW"


def test_context_window_left_pads():
    w = context_window([BOS_ID, 5, 6], 5)
    assert w.dtype == np.int32 and w.tolist() == [[0, 0, BOS_ID, 5, 6]]
    assert context_window(list(range(3, 20)), 4).tolist() == [[16, 17, 18, 19]]
    assert context_window([], 3).tolist() == [[0, 0, 0]]


def test_log_softmax_to_probs_handles_quantized_and_infinite_rows():
    p = log_softmax_to_probs(np.array([0.0, -np.inf, -1.0, -16.0]))
    assert p.sum() == pytest.approx(1.0) and p[1] == 0.0 and p[0] > p[2] > p[3]


def test_apply_inserts_and_replaces():
    s = Suggestions(["tomorrow"], "fp32", 0.1, completing="tomo")
    assert s.apply("see you tomo", "tomorrow") == "see you tomorrow "
    b = Suggestions(["you"], "fp32", 0.1, completing="")
    assert b.apply("how are", "you") == "how are you "
    assert b.apply("how are ", "you") == "how are you "
    assert b.apply("", "Hi") == "Hi "


def test_simulate_typing_counts_keys_exactly(ranker):
    """A perfect model: every word is accepted with one key; punctuation is typed."""
    surface = ["how", "are", "you", "?"]
    vocab_rows = []
    for target in ["how", "are", "you", "?"]:
        vocab_rows.append(probs_of(**{("q" if target == "?" else target): 0.9}))
    used, total = simulate_typing(surface, vocab_rows, ranker, k=3, finished=1.1)
    assert total == (3 + 1) * 3 + 1
    assert used == 3 + 1


def test_simulate_typing_without_help_costs_every_key(ranker):
    """A model that never ranks the word: letters + space, so no savings."""
    surface = ["tokyo", "tokyo"]  # not in the vocabulary, lexicon share tiny vs the vocabulary words
    rows = [probs_of(unk=1e-9, to=0.3, today=0.3, tomorrow=0.3, the=0.05)] * 2
    used, total = simulate_typing(surface, rows, ranker, k=3, finished=1.1)
    # t, o: to/today/tomorrow shown; "tok": only tokyo matches -> accepted after 3 letters
    assert total == 12
    assert used == 2 * (3 + 1)


def test_simulate_typing_finished_word_offers_the_next(ranker):
    """One suggestion shown. "are" has to be typed in full (area outranks it); once typed, the app treats
    it as finished and already shows the next word, so accepting "you" replaces the space key."""
    surface = ["are", "you"]
    rows = [probs_of(are=0.001, area=0.3, the=0.3, to=0.3, today=0.09), probs_of(you=0.9)]
    assert simulate_typing(surface, rows, ranker, k=1, finished=0.001) == (4, 8)
    # Without the finished-word rule: space typed, then "you" accepted with one more key.
    assert simulate_typing(surface, rows, ranker, k=1, finished=1.1) == (5, 8)


def test_build_vocab_and_lexicon_are_deterministic():
    from collections import Counter

    counts = Counter({"b": 3, "a": 3, "c": 1, ".": 5})
    v = build_vocab(counts, 6)
    assert v.tokens == ["<pad>", "<unk>", "<s>", ".", "a", "b"]
    lex = build_lexicon(["I saw Paris. Paris is big", "we love Paris", "paris? Paris!", "in Paris", "to Paris 2", "and Paris"], 1)
    assert lex.words[0] == "paris" and "2" not in lex.words and "." not in lex.words
    assert lex.case == {"paris": "Paris"}
