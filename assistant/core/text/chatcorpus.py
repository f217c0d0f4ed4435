"""Chit-chat answers read from the installed chatterbot-corpus package when the chatbot loads.

Third-party text is never copied into the repository: models/chatbot/answers.json holds, for every
corpus question and answer the chatbot uses, a reference [file, conversation, turn, checksum] into
`chatterbot_corpus/data/english/`, and this module turns them back into text. The factory builds the
references with the same functions (`turn_text`, `make_ref`), so a resolved text is exactly the text
the model was trained with. Strings in answers.json (instead of references) are this project's own
hand-written small talk (resources/chatbot/smalltalk.json) and are used as they are.

A reference whose checksum no longer matches (another corpus version) is looked up by checksum in
the same file; one that cannot be found is dropped with a warning. A missing or unreadable corpus
raises CorpusError: the chatbot then keeps its skills and says chit-chat answers are unavailable.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CORPUS_DISTRIBUTION = "chatterbot-corpus"  # the PyPI name (a runtime dependency, pinned in pyproject.toml)
CORPUS_MODULE = "chatterbot_corpus"
CORPUS_SUBDIR = ("data", "english")
ANSWERS_FORMAT = 2
HASH_CHARS = 8  # hex digits of the SHA-1 of a turn's text: enough to notice a changed corpus


class CorpusError(Exception):
    """The installed chatterbot-corpus is missing, unreadable or holds none of the referenced texts."""


def clean_text(text: str) -> str:
    """Whitespace collapsed and stripped: the form the model was trained with."""
    return re.sub(r"\s+", " ", text).strip()


def turn_text(turn: object) -> str:
    """The text of one conversation turn as read from the YAML ("" for an empty turn)."""
    return "" if turn is None else clean_text(str(turn))


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def make_ref(file: str, conversation: int, turn: int, text: str) -> list[Any]:
    """A reference to turn `turn` of conversation `conversation` in `file` (relative to data/english)."""
    return [file, conversation, turn, text_hash(text)]


def corpus_dir() -> Path:
    """`chatterbot_corpus/data/english` of the installed package, found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(CORPUS_MODULE)
    except (ImportError, ValueError) as exc:
        raise CorpusError(f"the {CORPUS_DISTRIBUTION} package cannot be found ({exc})") from exc
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise CorpusError(f"the {CORPUS_DISTRIBUTION} package is not installed")
    folder = Path(locations[0]).joinpath(*CORPUS_SUBDIR)
    if not folder.is_dir():
        raise CorpusError(f"the {CORPUS_DISTRIBUTION} package has no {'/'.join(CORPUS_SUBDIR)} folder ({folder})")
    return folder


def installed_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version(CORPUS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def read_conversations(path: Path) -> list[list[Any]]:
    """The `conversations` list of one corpus file (each a list of turns). Raises CorpusError."""
    import yaml  # type: ignore[import-untyped]  # no stubs needed for safe_load

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~15x faster, same result
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"cannot read {path.name} of {CORPUS_DISTRIBUTION} ({exc})") from exc
    conversations = doc.get("conversations") if isinstance(doc, dict) else None
    if not isinstance(conversations, list):
        raise CorpusError(f"{path.name} of {CORPUS_DISTRIBUTION} has no conversations list")
    # A conversation that is not a list of turns (trivia.yml #13 in 1.3.3 is one string holding question
    # and answer) reads as an empty one: it has no turns to use, and the others keep their indices.
    return [conv if isinstance(conv, list) else [] for conv in conversations]


@dataclass
class _File:
    conversations: list[list[Any]]
    by_hash: dict[str, str] | None = None  # built on the first checksum mismatch

    def text_at(self, conversation: int, turn: int) -> str | None:
        if 0 <= conversation < len(self.conversations) and 0 <= turn < len(self.conversations[conversation]):
            return turn_text(self.conversations[conversation][turn])
        return None

    def find(self, digest: str) -> str | None:
        if self.by_hash is None:
            self.by_hash = {}
            for conv in self.conversations:
                for turn in conv:
                    text = turn_text(turn)
                    self.by_hash.setdefault(text_hash(text), text)
        return self.by_hash.get(digest)


@dataclass
class _Resolver:
    folder: Path
    files: dict[str, _File] = field(default_factory=dict)
    resolved: int = 0
    relocated: int = 0
    missing: int = 0

    def text(self, item: Any) -> str | None:
        if isinstance(item, str):  # our own text
            return item
        if not (isinstance(item, list) and len(item) == 4):
            self.missing += 1
            return None
        name, conversation, turn, digest = item
        if not isinstance(name, str) or Path(name).name != name or not name.endswith(".yml"):
            raise CorpusError(f"answers.json refers to an invalid corpus file name {name!r}")
        if name not in self.files:
            self.files[name] = _File(read_conversations(self.folder / name))
        file = self.files[name]
        text = file.text_at(int(conversation), int(turn))
        if text and text_hash(text) == digest:
            self.resolved += 1
            return text
        found = file.find(str(digest))  # the corpus changed: the same text elsewhere in the file
        if found:
            self.resolved += 1
            self.relocated += 1
            return found
        self.missing += 1
        return None


def resolve_answers(doc: Mapping[str, Any], folder: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """{category: [{"q": question, "a": [answers]}]} with every reference replaced by its corpus text,
    in the order of answers.json (retrieval breaks ties by that order). Raises CorpusError when the
    corpus is missing or unreadable, the document has an unknown format, or nothing resolves."""
    if doc.get("format") != ANSWERS_FORMAT:
        raise CorpusError(f"answers.json has format {doc.get('format')!r}, this version reads {ANSWERS_FORMAT}")
    corpus = doc.get("corpus") or {}
    wanted, installed = corpus.get("version"), installed_version()
    if wanted and installed != wanted:
        logger.warning("%s %s is installed, the chatbot was built with %s: some chit-chat answers may be "
                       "missing (reinstall %s==%s)", CORPUS_DISTRIBUTION, installed or "(version unknown)",
                       wanted, CORPUS_DISTRIBUTION, wanted)
    resolver = _Resolver(folder if folder is not None else corpus_dir())
    categories: dict[str, list[dict[str, Any]]] = {}
    try:
        for category, entries in (doc.get("categories") or {}).items():
            out = []
            for entry in entries:
                question = resolver.text(entry.get("q"))
                answers = [a for a in (resolver.text(x) for x in entry.get("a") or []) if a]
                if question and answers:
                    out.append({"q": question, "a": answers})
            categories[str(category)] = out
    except (AttributeError, TypeError, ValueError) as exc:  # a damaged answers.json
        raise CorpusError(f"answers.json is malformed ({exc})") from exc
    if resolver.files and resolver.resolved == 0:
        raise CorpusError(f"none of the referenced {CORPUS_DISTRIBUTION} texts was found in {resolver.folder}")
    if resolver.missing:
        logger.warning("%d chit-chat texts were not found in the installed %s (%s) and are left out",
                       resolver.missing, CORPUS_DISTRIBUTION, installed or "version unknown")
    if resolver.relocated:
        logger.info("%d chit-chat texts were found at another place in the installed %s",
                    resolver.relocated, CORPUS_DISTRIBUTION)
    logger.debug("chit-chat answers: %d corpus texts from %d files", resolver.resolved, len(resolver.files))
    return categories
