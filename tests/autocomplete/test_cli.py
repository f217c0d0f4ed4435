"""`assistant suggest`: JSON shape and behaviour without a model."""

from __future__ import annotations

import json

from assistant.cli import main


def test_json_shape(shipped_models, capsys):
    assert main(["suggest", "how are", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"suggestions", "precision", "latency_ms"}
    assert "you" in data["suggestions"] and len(data["suggestions"]) == 3
    assert isinstance(data["latency_ms"], float) and data["precision"]


def test_completion_and_k(shipped_models, capsys):
    assert main(["suggest", "see you tomo", "--json", "-k", "5", "--no-personal"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "tomorrow" in data["suggestions"] and len(data["suggestions"]) <= 5 and data["completing"] == "tomo"


def test_precision_option(shipped_models, capsys):
    precision = shipped_models.model("autocomplete").shipped()[0].precision
    assert main(["suggest", "", "--json", "--precision", precision]) == 0
    assert json.loads(capsys.readouterr().out)["precision"] == precision


def test_human_output(shipped_models, capsys):
    assert main(["suggest", "how are"]) == 0
    out = capsys.readouterr().out
    assert "you" in out and "suggestion" in out


def test_without_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    assert main(["suggest", "how are", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["suggestions"] == [] and "error" in data
    assert main(["suggest", "how are"]) == 1
    assert "no suggestions" in capsys.readouterr().out


def test_after_gives_the_message_being_answered(shipped_models, capsys):
    assert main(["suggest", "", "--json", "--no-personal"]) == 0
    alone = json.loads(capsys.readouterr().out)["suggestions"]
    assert main(["suggest", "", "--after", "How are you doing today?", "--json", "--no-personal"]) == 0
    reply = json.loads(capsys.readouterr().out)["suggestions"]
    assert len(reply) == 3 and reply != alone
