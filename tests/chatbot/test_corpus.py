"""Chit-chat answers come from the installed chatterbot-corpus: the shipped asset holds references only,
they resolve to the texts the factory used, and a missing or changed corpus never breaks the chatbot."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from assistant.core.appdata import paths
from assistant.core.text import chatcorpus
from assistant.core.text.chatbot import Chatbot

yaml = pytest.importorskip("yaml")


def _shipped_doc(shipped_models) -> tuple[dict, str]:
    path = Path(shipped_models.model("chatbot").asset_path("answers"))
    raw = path.read_text(encoding="utf-8")
    return json.loads(raw), raw


def _corpus_texts() -> set[str]:
    texts = set()
    for path in chatcorpus.corpus_dir().glob("*.yml"):
        for conv in chatcorpus.read_conversations(path):
            texts.update(chatcorpus.turn_text(t) for t in conv)
    return texts


def _own_texts() -> set[str]:
    doc = json.loads((paths.resources_dir() / "chatbot" / "smalltalk.json").read_text(encoding="utf-8"))
    return {e["q"] for e in doc["entries"]} | {a for e in doc["entries"] for a in e["a"]}


def test_shipped_answers_hold_references_not_corpus_text(shipped_models):
    pytest.importorskip("chatterbot_corpus")
    doc, raw = _shipped_doc(shipped_models)
    assert doc["format"] == chatcorpus.ANSWERS_FORMAT
    assert doc["corpus"]["package"] == "chatterbot-corpus" and doc["corpus"]["version"]
    own, refs = _own_texts(), 0
    for entries in doc["categories"].values():
        for entry in entries:
            for item in [entry["q"], *entry["a"]]:
                if isinstance(item, str):
                    assert item in own, f"text in answers.json that is not ours: {item!r}"
                else:
                    name, conv, turn, digest = item
                    assert name.endswith(".yml") and conv >= 0 and turn >= 0 and len(digest) == 8
                    refs += 1
    assert refs > 1000
    # No corpus sentence of some length (questions and answers alike) appears anywhere in the file.
    long_texts = [t for t in _corpus_texts() if len(t) >= 24 and t not in own]
    assert len(long_texts) > 1000
    assert not [t for t in long_texts if t in raw or json.dumps(t)[1:-1] in raw]
    for known in ("I never forget a face", "mountain goats in the Andes", "Richard Nixon"):
        assert known not in raw


def test_shipped_references_resolve_to_the_factory_texts(shipped_models, caplog):
    """Every reference resolves (no warning), to exactly the answers the factory builds from the corpus."""
    pytest.importorskip("chatterbot_corpus")
    from assistant.factory.recipes.chatbot import _load_chatterbot

    doc, _raw = _shipped_doc(shipped_models)
    with caplog.at_level(logging.WARNING, logger=chatcorpus.__name__):
        resolved = chatcorpus.resolve_answers(doc)
    assert not caplog.records
    _examples, built = _load_chatterbot()
    assert resolved == {cat: [{"q": e["q"], "a": e["a"]} for e in entries] for cat, entries in built.items()}
    assert sum(len(entries) for entries in resolved.values()) > 700


def test_chitchat_answer_is_corpus_text(chatbot):
    reply = chatbot.ask("tell me a joke")
    assert reply.intent.startswith("chat_") and reply.skill == "chitchat"
    assert reply.text in _corpus_texts()


def _fake_corpus(folder: Path, conversations: dict[str, list]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, convs in conversations.items():
        (folder / name).write_text(yaml.safe_dump({"categories": ["x"], "conversations": convs}), encoding="utf-8")
    return folder


def _doc(categories: dict, version: str | None = None) -> dict:
    return {"format": 2, "corpus": {"package": "chatterbot-corpus", "version": version or chatcorpus.installed_version()},
            "categories": categories}


def _ref(name: str, conv: int, turn: int, text: str) -> list:
    return chatcorpus.make_ref(name, conv, turn, text)


def test_resolve_moved_changed_and_own_texts(tmp_path, caplog):
    joke = "Why did the chicken  cross the road?"
    folder = _fake_corpus(tmp_path / "english", {"humor.yml": [
        ["Hello", "Hi"],  # inserted before the referenced conversation: the joke moved from #0 to #1
        ["Tell me a joke", joke, "A changed answer"],
    ]})
    doc = _doc({"chat_smalltalk": [
        {"q": _ref("humor.yml", 0, 0, "Tell me a joke"),
         "a": [_ref("humor.yml", 0, 1, chatcorpus.clean_text(joke)), _ref("humor.yml", 0, 2, "The old answer")]},
        {"q": "how are you", "a": ["Fine, thanks."]},  # our own text is used as it is
        {"q": _ref("humor.yml", 7, 0, "gone"), "a": [_ref("humor.yml", 7, 1, "gone too")]},
    ]})
    with caplog.at_level(logging.INFO, logger=chatcorpus.__name__):
        resolved = chatcorpus.resolve_answers(doc, folder)
    assert resolved == {"chat_smalltalk": [
        {"q": "Tell me a joke", "a": ["Why did the chicken cross the road?"]},
        {"q": "how are you", "a": ["Fine, thanks."]},
    ]}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "3 chit-chat texts were not found" in messages and "found at another place" in messages


def test_conversation_written_as_one_string_has_no_turns(tmp_path):
    """trivia.yml #13 (1.3.3) is one string: read turn by turn it gave a one-letter question "I" with
    one-letter answers. It reads as empty, and the conversations after it keep their indices."""
    folder = _fake_corpus(tmp_path / "english", {"trivia.yml": [
        ["Who wrote Hamlet?", "Shakespeare."],
        "In a game of bingo, which number is two little ducks? - '22'",
        ["What is the capital of France?", "Paris."],
    ]})
    convs = chatcorpus.read_conversations(folder / "trivia.yml")
    assert convs[1] == [] and convs[2][0] == "What is the capital of France?"


def test_no_shipped_question_is_a_single_character(shipped_models):
    pytest.importorskip("chatterbot_corpus")
    doc, _raw = _shipped_doc(shipped_models)
    questions = [e["q"] for entries in chatcorpus.resolve_answers(doc).values() for e in entries]
    assert questions and not [q for q in questions if len(q.strip()) < 2]


def test_other_corpus_version_is_logged(tmp_path, caplog):
    folder = _fake_corpus(tmp_path / "english", {"ai.yml": [["What is AI?", "Artificial intelligence."]]})
    doc = _doc({"chat_tech": [{"q": _ref("ai.yml", 0, 0, "What is AI?"),
                               "a": [_ref("ai.yml", 0, 1, "Artificial intelligence.")]}]}, version="0.0.1")
    with caplog.at_level(logging.WARNING, logger=chatcorpus.__name__):
        resolved = chatcorpus.resolve_answers(doc, folder)
    assert resolved["chat_tech"][0]["a"] == ["Artificial intelligence."]
    assert any("built with 0.0.1" in r.getMessage() for r in caplog.records)


def test_unreadable_or_unknown_corpus_raises_corpus_error(tmp_path):
    folder = _fake_corpus(tmp_path / "english", {"ai.yml": [["What is AI?", "Artificial intelligence."]]})
    (folder / "humor.yml").write_text("conversations: [[unclosed", encoding="utf-8")
    ref_doc = _doc({"chat_tech": [{"q": _ref("humor.yml", 0, 0, "x"), "a": [_ref("humor.yml", 0, 1, "y")]}]})
    with pytest.raises(chatcorpus.CorpusError, match="cannot read humor.yml"):
        chatcorpus.resolve_answers(ref_doc, folder)
    missing = _doc({"chat_tech": [{"q": _ref("nope.yml", 0, 0, "x"), "a": [_ref("nope.yml", 0, 1, "y")]}]})
    with pytest.raises(chatcorpus.CorpusError, match="cannot read nope.yml"):
        chatcorpus.resolve_answers(missing, folder)
    nothing = _doc({"chat_tech": [{"q": _ref("ai.yml", 0, 0, "x"), "a": [_ref("ai.yml", 0, 1, "y")]}]})
    with pytest.raises(chatcorpus.CorpusError, match="none of the referenced"):
        chatcorpus.resolve_answers(nothing, folder)
    with pytest.raises(chatcorpus.CorpusError, match="invalid corpus file name"):
        chatcorpus.resolve_answers(_doc({"c": [{"q": ["../x.yml", 0, 0, "ab"], "a": []}]}), folder)
    with pytest.raises(chatcorpus.CorpusError, match="format"):
        chatcorpus.resolve_answers({"format": 1, "categories": {"c": [{"q": "hi", "a": ["hello"]}]}}, folder)


def test_package_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, chatcorpus.CORPUS_MODULE, None)  # what find_spec sees when it is absent
    with pytest.raises(chatcorpus.CorpusError, match="not installed"):
        chatcorpus.corpus_dir()


@pytest.mark.parametrize("failure", ["not installed", "unexpected"])
def test_chatbot_without_the_corpus_keeps_skills_and_says_chitchat_is_unavailable(
        shipped_models, monkeypatch, caplog, failure):
    if failure == "not installed":
        monkeypatch.setitem(sys.modules, chatcorpus.CORPUS_MODULE, None)
    else:
        def broken(doc, folder=None):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(chatcorpus, "resolve_answers", broken)
    with caplog.at_level(logging.WARNING):
        bot = Chatbot(catalog=shipped_models, seed=0)
    try:
        assert bot.engine is not None and bot.answers is None and bot.chitchat_error
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "chit-chat answers unavailable" in logged
        assert ("not installed" if failure == "not installed" else "disk on fire") in logged
        assert bot.ask("what time is it").intent == "time"
        assert bot.ask("add milk to my shopping list").text == "Added milk to your shopping list."
        for text in ("tell me a joke", "are you a robot"):
            reply = bot.ask(text)
            assert reply.intent.startswith("chat_") and reply.skill is None
            assert reply.text.startswith("Sorry, my chit-chat answers are not available on this computer")
    finally:
        bot.skills.close()
