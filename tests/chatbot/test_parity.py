"""The app's tokenizer gives exactly the ids the factory trained and tested on (whole test set)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.text.vocab import PAD, UNK, Vocab

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def factory_data():
    for module in ("hassil", "home_assistant_intents", "chatterbot_corpus", "chitchat_dataset", "yaml"):
        pytest.importorskip(module, reason=f"{module} (factory extra) not installed")
    from assistant.factory.recipes.chatbot import build_dataset

    return build_dataset(seed=0, quick=False)  # the seed the shipped model was built with


def test_vocabulary_is_the_training_vocabulary(shipped_models, factory_data):
    shipped = Vocab.load(shipped_models.model("chatbot").asset_path("vocab"))
    assert shipped.tokens == factory_data.vocab.tokens and shipped.length == factory_data.vocab.length
    assert shipped.tokens[:2] == [PAD, UNK]


def test_core_ids_equal_factory_ids_on_the_whole_test_set(shipped_models, factory_data):
    from assistant.core.text.chatbot import Chatbot

    bot = Chatbot(catalog=shipped_models)
    texts = [e.text for e in factory_data.splits["test"]]
    assert len(texts) > 500
    core_ids = np.array([bot.vocab.encode(t) for t in texts], dtype=np.int32)
    np.testing.assert_array_equal(core_ids, factory_data.x["test"])
    assert bot.labels == factory_data.labels


def test_labels_match_the_model_output(shipped_models):
    from assistant.core.text.chatbot import Chatbot

    bot = Chatbot(catalog=shipped_models)
    probs = bot.classify("what time is it").probs
    assert probs.shape == (len(bot.labels),) and abs(float(probs.sum()) - 1.0) < 0.02


def test_encoding_rules():
    vocab = Vocab([PAD, UNK, "<num>", "set", "a", "timer", "for", "minutes"], length=6)
    assert vocab.encode("Set a TIMER for 25 minutes") == [3, 4, 5, 6, 2, 7]
    assert vocab.encode("set a timer for 25 minutes please now") == [3, 4, 5, 6, 2, 7]  # head kept
    assert vocab.encode("set 😀") == [3, 1, 0, 0, 0, 0]
    assert Vocab(vocab.tokens, length=3, keep="tail").encode("set a timer for") == [4, 5, 6]
