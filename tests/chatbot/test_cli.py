"""`assistant ask`: the JSON shape, human output, the precision option and no model."""

from __future__ import annotations

import json

from assistant.cli import main

KEYS = {"intent", "confidence", "reply", "precision", "latency_ms"}


def test_json_shape(shipped_models, capsys):
    assert main(["ask", "what time is it", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS
    assert data["intent"] == "time" and data["reply"].startswith("It's ")
    assert isinstance(data["confidence"], float) and 0 < data["confidence"] <= 1
    assert isinstance(data["latency_ms"], float) and data["latency_ms"] > 0 and data["precision"]


def test_precision_option(shipped_models, capsys):
    for variant in shipped_models.model("chatbot").shipped():
        assert main(["ask", "add milk to my shopping list", "--json", "--precision", variant.precision]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["precision"] == variant.precision and data["intent"] == "list_add"


def test_human_output(shipped_models, capsys):
    assert main(["ask", "what is 12 times 7"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("12 × 7 = 84") and "arithmetic" in out and "ms" in out


def test_empty_text(shipped_models, capsys):
    assert main(["ask", "", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS and data["intent"] == "empty" and data["reply"]


def test_without_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    assert main(["ask", "what time is it", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS and data["intent"] == "unavailable" and "unavailable" in data["reply"]
