"""The recipe on a tiny subset: splits by conversation, training, and a conversion that LiteRT runs."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.factory, pytest.mark.slow]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    pytest.importorskip("tensorflow")
    pytest.importorskip("chitchat_dataset")
    from assistant.factory.pipeline import seed_everything
    from assistant.factory.recipes.autocomplete import AutocompleteRecipe

    seed_everything(0)
    work = tmp_path_factory.mktemp("ac")
    recipe = AutocompleteRecipe()
    data = recipe.prepare(work, quick=True, seed=0)
    model = recipe.train(data, work, quick=True, seed=0)
    return recipe, data, model, work


def test_split_is_by_conversation():
    pytest.importorskip("chitchat_dataset")
    from assistant.factory.recipes.autocomplete import load_conversations, split_conversations

    convs = load_conversations()
    split = split_conversations(len(convs), seed=0)
    sets = {k: set(v.tolist()) for k, v in split.items()}
    assert not (sets["train"] & sets["test"]) and not (sets["train"] & sets["val"]) and not (sets["val"] & sets["test"])
    assert sum(len(s) for s in sets.values()) == len(convs) == 7168
    assert split_conversations(len(convs), seed=0)["test"].tolist() == split["test"].tolist()


def test_quick_training_and_metrics(quick):
    recipe, data, model, work = quick
    p = data.payload
    assert p.vocab.tokens[:3] == ["<pad>", "<unk>", "<s>"]
    assert model.input_shape == (1, 12) and model.output_shape == (1, len(p.vocab))
    assert data.summary["training"]["history"], "validation loss recorded"
    from assistant.factory.pipeline import keras_predict

    metrics = recipe.evaluate(keras_predict(model), data, quick=True)
    assert set(metrics) >= {"top1", "top3", "perplexity", "ksr"}
    assert 0 <= metrics["top1"] <= metrics["top3"] <= 1 and 0 <= metrics["ksr"] < 1
    assert metrics["perplexity"] < len(p.vocab)  # better than uniform after a few steps
    base = recipe.baselines(data, quick=True)["kneser_ney_trigram"]
    assert set(base) == set(metrics)
    assert data.summary["ksr_keys_without_suggestions"] > 0 and data.summary["eval_positions"] == len(p.eval_x)
    # Cached weights are reused by a rebuild with the same data and seed, giving the same model.
    again = recipe.train(data, work, quick=True, seed=0)
    assert p.training.get("reused_weights")
    x = p.eval_x[:5]
    np.testing.assert_allclose(again.predict(x, batch_size=1, verbose=0), model.predict(x, batch_size=1, verbose=0),
                               atol=1e-6)


def test_converts_and_runs_in_litert(quick, tmp_path):
    import tensorflow as tf

    from assistant.core.inference.runner import ModelRunner

    recipe, data, model, _ = quick
    out = tmp_path / "ac.fp32.tflite"
    out.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    x = data.payload.eval_x[:20]
    got = ModelRunner(out).run([x])[0]
    want = np.concatenate([model(x[i : i + 1], training=False).numpy() for i in range(len(x))])
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.allclose(np.exp(got).sum(axis=1), 1.0, atol=1e-4)  # log-probabilities
