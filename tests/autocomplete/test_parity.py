"""The app encodes text exactly as the factory encoded its training and test messages."""

from __future__ import annotations

import json

import pytest

from assistant.core.text.autocomplete import (
    BOS_ID,
    PREVIOUS_TOKENS,
    SPECIALS,
    Predictor,
    conversation_ids,
    token_ids,
)
from assistant.core.text.vocab import model_tokens
from assistant.factory.recipes.autocomplete import CONTEXT, encode_messages, training_chunks

TRICKY = ["I'm gonna call you at 5:30, OK?", "don’t   you DARE!!", "Café ünïcode – naïve", "e-mail me :)",
          "100% sure... 3 times", "привет, как дела", "😀 haha 😀", "it's 2018"]


def _messages(n: int) -> list[str]:
    dataset = pytest.importorskip("chitchat_dataset", reason="chitchat-dataset (factory extra) not installed")
    from pathlib import Path

    data = json.loads((Path(dataset.__file__).parent / "dataset.json").read_text(encoding="utf-8"))
    texts = []
    for conv in list(data.values())[:200]:
        texts.extend(m["text"] for turn in conv["messages"] for m in turn)
    return texts[:n]


def test_factory_and_app_ids_agree(shipped_models):
    predictor = Predictor(catalog=shipped_models, personal=None)
    index = predictor.ranker.index
    assert predictor.vocab.tokens[:3] == list(SPECIALS) and predictor.length == CONTEXT
    out = shipped_models.model("autocomplete").outputs[0]
    assert out.shape[-1] == len(predictor.vocab)  # the vocabulary asset matches the shipped model
    texts = TRICKY + _messages(400)
    encoded = encode_messages(texts, index)
    kept = [t for t in texts if model_tokens(t)]
    assert len(encoded) == len(kept)
    for text, message in zip(kept, encoded, strict=True):
        ctx = predictor.context(text + " ")
        assert ctx.partial == "" and ctx.ids == message.ids, text
        assert message.ids == [BOS_ID, *token_ids(model_tokens(text), index)]


def test_previous_message_is_read_as_the_factory_trained_it(shipped_models):
    predictor = Predictor(catalog=shipped_models, personal=None)
    texts = [t for t in TRICKY + _messages(200) if model_tokens(t)]
    encoded = encode_messages(texts, predictor.ranker.index)
    assert encoded[0].previous == []
    for before, text, message in zip(texts, texts[1:], encoded[1:], strict=False):
        ctx = predictor.context(text + " ", previous=before)
        assert message.previous == predictor.message_ids(before)[-PREVIOUS_TOKENS:]
        assert ctx.ids == conversation_ids(message.previous, message.ids), (before, text)
        assert ctx.tokens == model_tokens(text)  # capitalisation and the personal layer see this message only
        window = predictor.context(text[:5], previous=before)
        assert window.ids[: len(message.previous)] == message.previous
    # the first chunk of a message starts with the previous tail, whose positions are no targets
    x, y = training_chunks(encoded[1:2], CONTEXT)
    n = len(encoded[1].previous)
    assert x[0, :n].tolist() == encoded[1].previous and (y[0, :n] == 0).all()
    assert y[0, n : n + len(encoded[1].ids) - 1].tolist() == encoded[1].ids[1 : CONTEXT + 1]


def test_partial_word_is_not_part_of_the_context(shipped_models):
    predictor = Predictor(catalog=shipped_models, personal=None)
    ctx = predictor.context("See you tomo")
    assert ctx.partial == "tomo" and ctx.tokens == ["see", "you"] and len(ctx.ids) == 3
    ctx = predictor.context("x" * 10_000 + " how are ")
    assert ctx.ids[0] != BOS_ID and ctx.tokens[-2:] == ["how", "are"]  # a cut text does not start a message
