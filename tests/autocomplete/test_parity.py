"""The app encodes text exactly as the factory encoded its training and test messages."""

from __future__ import annotations

import json

import pytest

from assistant.core.text.autocomplete import BOS_ID, SPECIALS, Predictor, token_ids
from assistant.core.text.vocab import model_tokens
from assistant.factory.recipes.autocomplete import CONTEXT, encode_messages

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


def test_partial_word_is_not_part_of_the_context(shipped_models):
    predictor = Predictor(catalog=shipped_models, personal=None)
    ctx = predictor.context("See you tomo")
    assert ctx.partial == "tomo" and ctx.tokens == ["see", "you"] and len(ctx.ids) == 3
    ctx = predictor.context("x" * 10_000 + " how are ")
    assert ctx.ids[0] != BOS_ID and ctx.tokens[-2:] == ["how", "are"]  # a cut text does not start a message
