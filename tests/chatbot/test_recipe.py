"""The recipe in quick mode: splits by template/group, training, metrics, assets, baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = [pytest.mark.factory, pytest.mark.slow]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    for module in ("hassil", "home_assistant_intents", "chatterbot_corpus", "chitchat_dataset", "sklearn"):
        pytest.importorskip(module)
    from assistant.factory.recipes.chatbot import ChatbotRecipe

    recipe = ChatbotRecipe()
    work = tmp_path_factory.mktemp("chatbot")
    return recipe, recipe.prepare(work, quick=True, seed=0), work


def test_splits_share_no_template_group_or_sentence(prepared):
    from assistant.core.text.vocab import model_tokens

    _recipe, data, _work = prepared
    splits = data.payload.splits
    groups = {s: {e.group for e in exs} for s, exs in splits.items()}
    assert not groups["train"] & groups["test"] and not groups["train"] & groups["val"]
    assert not groups["val"] & groups["test"]
    texts = {s: {" ".join(model_tokens(e.text)) for e in exs} for s, exs in splits.items()}
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["val"]
    labels = {e.label for e in splits["test"]}
    assert {"time", "timer_start", "list_add", "out_of_scope"} <= labels
    assert any(lab.startswith("chat_") for lab in labels)


def test_full_split_is_deterministic_and_by_template():
    pytest.importorskip("hassil")
    from assistant.factory.recipes.chatbot import build_dataset

    a, b = build_dataset(seed=0, quick=True), build_dataset(seed=0, quick=True)
    assert [e.text for e in a.splits["test"]] == [e.text for e in b.splits["test"]]
    np.testing.assert_array_equal(a.x["train"], b.x["train"])


def test_quick_train_evaluate_assets_baseline(prepared):
    pytest.importorskip("tensorflow")
    from assistant.factory.pipeline import seed_everything

    recipe, data, work = prepared
    seed_everything(0)
    model = recipe.train(data, work, quick=True, seed=0)
    inputs, outputs = recipe.contract(data)
    assert tuple(model.inputs[0].shape) == inputs[0].shape and inputs[0].role == "token_ids"
    assert tuple(model.outputs[0].shape) == outputs[0].shape
    payload = data.payload
    x = payload.x["test"]
    metrics = recipe.evaluate(lambda xs: [model.predict(xs[0], verbose=0)], data, quick=True)
    assert set(metrics) >= {"macro_f1", "accuracy", "oos_precision", "oos_recall", "macro_f1_gated"}
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and x.dtype == np.int32
    assert payload.threshold is not None and 0.0 <= payload.threshold <= 0.9
    assets = recipe.write_assets(data, work / "assets")
    labels = json.loads((work / "assets" / assets["labels"]).read_text())
    assert labels["labels"] == payload.labels and labels["threshold"] == payload.threshold
    answers_doc = json.loads((work / "assets" / assets["answers"]).read_text())
    answers = answers_doc["categories"]
    assert set(answers) == {lab for lab in payload.labels if lab.startswith("chat_")}
    assert all(entry["a"] for entries in answers.values() for entry in entries)
    # references into the installed corpus that resolve to the texts the recipe used
    from assistant.core.text.chatcorpus import resolve_answers

    assert resolve_answers(answers_doc) == {
        cat: [{"q": e["q"], "a": e["a"]} for e in entries] for cat, entries in payload.answers.items()}
    base = recipe.baselines(data, quick=True)["tfidf_logreg"]
    assert 0.0 <= base["macro_f1"] <= 1.0
    assert len(data.representative) >= 100 and data.representative[0][0].shape == (1, x.shape[1])
