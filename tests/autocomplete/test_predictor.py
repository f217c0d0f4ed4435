"""Predictor on the committed model: next words, completion, casing, personal layer, robustness."""

from __future__ import annotations

import pytest

from assistant.core.text.autocomplete import Predictor, Suggestions

HUGE = ("I was thinking about what you said yesterday, and honestly I agree with most of it. " * 1300)[:100_000]
ODD_INPUTS = [
    "", " ", "\n", "?!...", ",,,", "...", "😀😀", "привет как дела", "你好，今天", "مرحبا كيف", HUGE, HUGE + " and th",
    "don'", "'", "x" * 5000, "123 456", "a\tb\r\n", "\x00\x01", "I I I I I I I I I I I I I I I I I I I I I I I",
]


def test_how_are_offers_you(predictor):
    s = predictor.suggest("how are")
    assert "you" in s.words and s.completing == ""
    assert predictor.suggest("how are ").words == s.words


def test_prefix_is_completed(predictor):
    s = predictor.suggest("see you tomo")
    assert s.completing == "tomo"
    assert "tomorrow" in s.words
    assert all(w.lower().startswith("tomo") for w in s.words)
    assert s.apply("see you tomo", "tomorrow") == "see you tomorrow "


def test_rare_words_come_from_the_lexicon(predictor):
    vocab = set(predictor.ranker.tokens)
    rare = [w for w in predictor.ranker.oov_words if len(w) >= 9 and w.isalpha()][:20]
    assert rare, "the lexicon should hold words outside the model vocabulary"
    found = 0
    for word in rare:
        words = predictor.suggest(f"well {word[:-2]}", k=3).words
        assert all(w.lower().startswith(word[:-2]) for w in words)
        found += word in words
        assert word not in vocab
    assert found >= len(rare) // 2


def test_capitalisation(predictor):
    start = predictor.suggest("")
    assert len(start.words) == 3 and all(w[0].isupper() for w in start.words)
    after_stop = predictor.suggest("That was fun. ")
    assert all(w[0].isupper() for w in after_stop.words)
    typed = predictor.suggest("see you Tomo")
    assert typed.words and typed.words[0] == "Tomorrow"
    mid = predictor.suggest("yesterday ")  # mid-sentence: only "I" and the lexicon's casing apply
    assert mid.words and all(w == predictor.ranker.display(w.lower(), False) for w in mid.words)
    assert "I'm" in predictor.suggest("Yes i'", k=5).words


def test_personal_layer_adapts_suggestions(predictor):
    before = predictor.suggest("see you at the ").words
    assert "gym" not in [w.lower() for w in before]
    predictor.learn("See you at the gym")
    predictor.learn("ok see you at the gym later")
    after = predictor.suggest("see you at the ").words
    assert "gym" in after
    predictor.personal.clear()
    assert predictor.suggest("see you at the ").words == before


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_any_text_gives_a_valid_answer(predictor, text):
    s = predictor.suggest(text)
    assert isinstance(s, Suggestions) and s.error is None
    assert isinstance(s.words, list) and len(s.words) <= 3 and all(isinstance(w, str) and w for w in s.words)
    assert s.precision and s.latency_ms >= 0


@pytest.mark.parametrize("previous", ["", "?!", "привет как дела", HUGE, "\x00"], ids=range(5))
def test_any_previous_message_gives_a_valid_answer(predictor, previous):
    for text in ("", "how are", HUGE[:300]):
        s = predictor.suggest(text, previous=previous)
        assert s.error is None and len(s.words) == 3 and all(isinstance(w, str) and w for w in s.words)


def test_previous_message_is_context(predictor):
    """The reply to a question starts differently from a message that opens a conversation."""
    alone = predictor.suggest("").words
    reply = predictor.suggest("", previous="How are you doing today?").words
    assert reply != alone and {"I'm", "Good", "Great", "Pretty", "Not", "Fine"} & set(reply), reply
    assert {"Thanks", "Bye"} & set(predictor.suggest("", previous="Have a good night!").words)
    assert {"Yes", "No"} <= set(predictor.suggest("", previous="Do you like pizza?", k=5).words)
    # the previous message never leaks into this message's casing or completion
    assert predictor.suggest("see you tomo", previous="bye!").words[0] == "tomorrow"


def test_sentence_starters_for_text_without_words(predictor):
    for text in ("", "?!...", "😀😀 "):
        assert len(predictor.suggest(text).words) == 3


def test_k_and_precision_swap(predictor):
    assert predictor.suggest("how are", k=0).words == []
    assert len(predictor.suggest("how are", k=8).words) == 8
    shipped = [v.precision for v in predictor.catalog.model("autocomplete").shipped()]
    for precision in shipped:
        assert predictor.set_precision(precision) == precision
        s = predictor.suggest("how are")
        assert s.precision == precision and "you" in s.words


def test_missing_model_gives_empty_suggestions_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    p = Predictor()
    s = p.suggest("how are")
    assert s.words == [] and s.error and "autocomplete" in s.error
    assert p.precision == "" and p.set_precision("int8") == ""
    p.learn("still learns without a model")  # the personal layer does not need the model


def test_corrupt_model_falls_back_or_reports(shipped_models, tmp_path, monkeypatch):
    """Every variant file damaged: an error in words, never a traceback."""
    import shutil

    from assistant.core.inference.catalog import Catalog

    src = shipped_models.models_dir
    dst = tmp_path / "models"
    shutil.copytree(src / "autocomplete", dst / "autocomplete")
    shutil.copy(src / "manifest.json", dst / "manifest.json")
    for f in (dst / "autocomplete").glob("*.tflite"):
        f.write_bytes(b"garbage")
    s = Predictor(catalog=Catalog.load(dst), personal=None).suggest("how are")
    assert s.words == [] and s.error
