"""Bias recognition toward what the assistant understands.

Whisper takes an initial prompt: text it treats as what was said just before, so its words become more
likely. Three prompts were measured on a development set of 132 espeak-ng commands (22 commands, six
voices; not the test commands), whisper tiny.en, beam 5, intent right when the chatbot acts on the
transcript: none 0.795, the chatbot's own example requests (resources/chatbot/replies.json) 0.833, the
names of what the skills keep and do 0.864. The example requests also pulled transcripts toward
themselves ("read me my list" heard as "remind me my list"), so the prompt is the topic names.
Vosk's grammar mode takes a list of phrases instead (`read_grammar`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from assistant.core.appdata import paths

logger = logging.getLogger(__name__)

# What the skills keep and do, as a user says it (words the tiny model otherwise mishears).
_TOPICS = "timer, alarm, reminder, shopping list, to-do list, notes, pause, resume, cancel"
MAX_PROMPT_CHARS = 600  # Whisper keeps at most 223 prompt tokens; this stays well below


def _examples(replies_path: Path | None = None) -> list[str]:
    path = replies_path or paths.resources_dir() / "chatbot" / "replies.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [str(e).strip() for e in doc.get("examples", []) if str(e).strip()]
    except (OSError, ValueError) as exc:
        logger.warning("no example phrases for the speech prompt: %s", exc)
        return []


def _sentence(text: str) -> str:
    text = text.strip()
    question = text.split(" ", 1)[0].lower() in {"what", "which", "how", "when", "who", "where", "is", "are", "do", "can"}
    return text[:1].upper() + text[1:] + ("?" if question else ".")


def command_prompt() -> str:
    """The Whisper prompt: the topics the assistant's skills know."""
    return f"Topics: {_TOPICS}."[:MAX_PROMPT_CHARS]


def examples_prompt(replies_path: Path | None = None) -> str:
    """The chatbot's example requests as sentences (the measured alternative; see the module docstring)."""
    return " ".join(_sentence(e) for e in _examples(replies_path))[:MAX_PROMPT_CHARS]


def grammar_phrases(lines: list[str]) -> list[str]:
    """A Vosk grammar from phrases (one per line; blank lines and # comments dropped, duplicates once).
    Add "[unk]" yourself where the model knows it, so speech outside the grammar is not forced onto it."""
    phrases = [" ".join(line.split()) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return list(dict.fromkeys(phrases))


def read_grammar(path: str | Path) -> list[str]:
    """A grammar file: JSON list of phrases, or plain text with one phrase per line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the grammar file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"the grammar file {path.name} is not UTF-8 text") from exc
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"the grammar file {path.name} is not a valid JSON list: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"the grammar file {path.name} must be a JSON list of strings")
        lines = items
    else:
        lines = text.splitlines()
    phrases = grammar_phrases(lines)
    if not phrases:
        raise ValueError(f"the grammar file {path.name} holds no phrase")
    return phrases
