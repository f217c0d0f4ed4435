"""The chatbot: one Conv1D intent classifier (LiteRT) in front of rule-based skills and retrieval.

ask(text) -> Reply. The model says WHAT the user wants (an intent with a confidence); skills
(assistant.core.skills) act on commands and read slots (durations, items, notes) by rules; chit-chat is
answered with the answer of the closest known question inside the predicted category (TF-IDF cosine
over the category's questions, pure Python); those questions and answers are read from the installed
chatterbot-corpus package when the chatbot loads (assistant.core.text.chatcorpus), the model folder holds
only references. Below the confidence threshold chosen on the validation
set at build time, the reply says plainly that it did not understand and what it can do.

Nothing here raises on odd input: empty text, huge pastes, emoji, other scripts, a missing or damaged
model all become a sensible Reply; without the corpus the skills still work and chit-chat says its
answers are unavailable.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.inference import registry
from assistant.core.skills.skillset import Replies, Skills
from assistant.core.skills.text import MAX_COMMAND_CHARS
from assistant.core.text.vocab import PAD_ID, UNK_ID, Vocab
from assistant.core.text.words import split_words

if TYPE_CHECKING:
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.engine import Engine

logger = logging.getLogger(__name__)

MODEL_NAME = registry.CHATBOT
OUT_OF_SCOPE = "out_of_scope"
# Chit-chat: below this TF-IDF cosine the closest question in the predicted category is not close
# enough; the closest in any category is tried, and below it again the reply says it has no answer.
# Questions of fact need a near-exact match: "who was the FIRST president" must not get the answer
# to "who was the 37th president".
MIN_SIMILARITY = 0.4
MIN_SIMILARITY_FACTS = 0.9
FACT_CATEGORIES = frozenset({"chat_knowledge"})


@dataclass
class Reply:
    """One answer. `skill` names what acted ("timer_start", "chitchat"); None when nothing was done
    (not understood, out of scope, unavailable). `latency_ms` is the model call only."""

    text: str
    intent: str
    confidence: float
    precision: str
    latency_ms: float
    skill: str | None = None


@dataclass(frozen=True)
class Classification:
    intent: str
    confidence: float
    latency_ms: float
    known_words: int  # tokens the vocabulary knows (0: nothing to go on)
    probs: np.ndarray


class AnswerIndex:
    """Chit-chat retrieval: TF-IDF cosine between the message and the known questions of one category."""

    def __init__(self, categories: Mapping[str, list[dict]], seed: int | None = None):
        self._rng = random.Random(seed)
        self._entries: dict[str, list[tuple[dict[str, float], float, list[str], str]]] = {}
        docs = {cat: [self._terms(e["q"]) for e in entries] for cat, entries in categories.items()}
        df: Counter[str] = Counter()
        n_docs = 0
        for terms_list in docs.values():
            for terms in terms_list:
                df.update(set(terms))
                n_docs += 1
        self._idf = {t: math.log((1 + n_docs) / (1 + c)) + 1.0 for t, c in df.items()}
        self._default_idf = math.log(1 + n_docs) + 1.0
        for cat, entries in categories.items():
            rows = []
            for entry, terms in zip(entries, docs[cat], strict=True):
                vec = self._vector(terms)
                norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
                rows.append((vec, norm, list(entry["a"]), entry["q"]))
            self._entries[cat] = rows

    @staticmethod
    def _terms(text: str) -> list[str]:
        return [t for t in split_words(text) if any(ch.isalnum() for ch in t)]

    def _vector(self, terms: list[str]) -> dict[str, float]:
        counts = Counter(terms)
        return {t: (1.0 + math.log(c)) * self._idf.get(t, self._default_idf) for t, c in counts.items()}

    def best_anywhere(self, text: str) -> tuple[str | None, float, str | None]:
        """(answer, cosine, category) of the closest question in any category."""
        found: tuple[float, list[str], str] | None = None
        for cat in sorted(self._entries):
            score, answers, _question = self._match(cat, text)
            if answers and (found is None or score > found[0]):
                found = (score, answers, cat)
        if found is None:
            return None, 0.0, None
        return self._rng.choice(found[1]), found[0], found[2]

    def best(self, category: str, text: str) -> tuple[str | None, float, str | None]:
        """(answer, cosine, matched question) in `category`; (None, 0, None) when no known question
        there shares a word with `text`. Questions with several answers get one at random."""
        score, answers, question = self._match(category, text)
        if not answers:
            return None, 0.0, None
        return self._rng.choice(answers), score, question

    def _match(self, category: str, text: str) -> tuple[float, list[str], str | None]:
        rows = self._entries.get(category) or []
        query = self._vector(self._terms(text))
        qnorm = math.sqrt(sum(v * v for v in query.values())) or 1.0
        best_score, best_answers, best_question = 0.0, [], None
        for vec, norm, answers, question in rows:
            dot = sum(w * vec.get(t, 0.0) for t, w in query.items())
            score = dot / (norm * qnorm)
            if score > best_score:
                best_score, best_answers, best_question = score, answers, question
        return best_score, best_answers, best_question


class Chatbot:
    """Intent model + skills + chit-chat retrieval. Thread-safe; loading problems never raise.

    precision: None = the policy's choice. precision_report: called by the "which precision" skill,
    returns {model: precision}; default: this chatbot's own precision.
    """

    def __init__(
        self,
        precision: str | None = None,
        catalog: Catalog | None = None,
        precision_report: Callable[[], Mapping[str, str]] | None = None,
        num_threads: int = 1,
        skills: Skills | None = None,
        seed: int | None = None,
    ):
        self.engine: Engine | None = None
        self.error = ""
        self.vocab: Vocab | None = None
        self.labels: list[str] = []
        self.threshold = 0.5
        self.answers: AnswerIndex | None = None
        self.chitchat_error = ""  # why chit-chat answers are unavailable (empty: they are not, or no model)
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        try:
            self.replies = Replies.load()
        except (OSError, ValueError) as exc:  # resources missing from a broken install
            logger.error("chatbot replies missing: %s", exc)
            self.replies = Replies({"capabilities": "", "examples": []})
        self.skills = skills or Skills(self.replies, precision_report or self._own_precision,
                                       precision_words=_precision_words())
        self._load(precision, catalog, num_threads)

    # -- loading -----------------------------------------------------------------------------------
    def _load(self, precision: str | None, catalog: Catalog | None, num_threads: int) -> None:
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.engine import Engine, EngineError

        try:
            catalog = catalog if catalog is not None else Catalog.load()
            engine = Engine(MODEL_NAME, precision=precision, catalog=catalog, num_threads=num_threads)
            info = catalog.model(MODEL_NAME)
            vocab = Vocab.load(info.asset_path("vocab"))
            labels_doc = json.loads(Path(info.asset_path("labels")).read_text(encoding="utf-8"))
            answers_doc = json.loads(Path(info.asset_path("answers")).read_text(encoding="utf-8"))
            labels = [str(x) for x in labels_doc["labels"]]
            if info.outputs and info.outputs[0].shape[-1] != len(labels):
                raise ValueError(f"labels.json has {len(labels)} labels, the model {info.outputs[0].shape[-1]}")
            if info.inputs and info.inputs[0].shape[-1] != vocab.length:
                raise ValueError(f"vocab.json encodes {vocab.length} tokens, the model takes {info.inputs[0].shape[-1]}")
        except EngineError as exc:
            self.error = str(exc)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # assets missing or malformed
            self.error = f"its files are damaged or incomplete ({exc})"
        else:
            self.engine, self.vocab, self.labels = engine, vocab, labels
            self.threshold = float(labels_doc.get("threshold", 0.5))
            self._load_answers(answers_doc)
            return
        logger.warning("chatbot unavailable: %s", self.error)

    def _load_answers(self, answers_doc: Mapping) -> None:
        """The chit-chat index from the corpus texts that answers.json refers to; on failure the chatbot
        keeps its skills and chit-chat says its answers are unavailable (the reason goes to the log)."""
        from assistant.core.text.chatcorpus import CorpusError, resolve_answers

        seed = self._rng.randrange(2**31)
        try:
            categories = resolve_answers(answers_doc)
        except CorpusError as exc:
            self.chitchat_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - an unexpected corpus problem must not cost the skills
            logger.exception("reading the chit-chat corpus failed")
            self.chitchat_error = f"reading the corpus failed ({exc})"
        else:
            self.answers = AnswerIndex(categories, seed=seed)
            return
        logger.warning("chit-chat answers unavailable: %s", self.chitchat_error)

    @property
    def precision(self) -> str:
        return self.engine.precision if self.engine is not None else ""

    def set_precision(self, precision: str | None) -> str:
        """Switch the model's precision now (None = the policy's choice); raises EngineError if none loads."""
        from assistant.core.inference.engine import EngineError

        if self.engine is None:
            raise EngineError(f"the chatbot model is unavailable: {self.error}")
        with self._lock:
            return self.engine.set_precision(precision)

    def _own_precision(self) -> dict[str, str]:
        return {MODEL_NAME: self.precision}

    # -- asking ------------------------------------------------------------------------------------
    def classify(self, text: str) -> Classification:
        """Run the model once. Requires a loaded model (see `engine`)."""
        assert self.engine is not None and self.vocab is not None
        ids = self.vocab.encode(text)
        known = sum(1 for i in ids if i not in (PAD_ID, UNK_ID))
        batch = np.asarray([ids], dtype=np.int32)
        with self._lock:
            start = time.perf_counter()
            probs = self.engine.run(batch)[0][0]
            latency = (time.perf_counter() - start) * 1000.0
        probs = np.asarray(probs, dtype=np.float32)
        best = int(np.argmax(probs))
        return Classification(self.labels[best], float(probs[best]), latency, known, probs)

    def ask(self, text: str) -> Reply:
        """Answer one message. Never raises for any input text."""
        text = text if isinstance(text, str) else str(text or "")
        if not text.strip():
            return Reply(self.replies.get("empty"), "empty", 0.0, self.precision, 0.0)
        if self.engine is None:
            return Reply(self.replies.get("unavailable", reason=self.error), "unavailable", 0.0, "", 0.0)
        try:
            result = self.classify(text)
        except Exception as exc:  # the runtime failing mid-session: say so, keep the app alive
            logger.exception("chatbot model call failed")
            return Reply(self.replies.get("unavailable", reason=f"the model call failed ({exc})"), "unavailable",
                         0.0, self.precision, 0.0)
        reply = self._answer(text, result)
        logger.debug("ask: intent=%s conf=%.3f skill=%s", result.intent, result.confidence, reply.skill)
        return reply

    def _answer(self, text: str, result: Classification) -> Reply:
        def reply(words: str, skill: str | None = None) -> Reply:
            return Reply(words, result.intent, round(result.confidence, 4), self.precision,
                         round(result.latency_ms, 3), skill)

        if len(text) > MAX_COMMAND_CHARS:
            return reply(self.replies.get("too_long", chars=len(text)))
        if result.known_words == 0:
            return reply(self.replies.get("no_known_words"))
        if result.confidence < self.threshold:
            return reply(self.replies.get("not_understood"))
        if result.intent == OUT_OF_SCOPE:
            return reply(self.replies.get("out_of_scope"))
        if self.skills.handles(result.intent):
            words = self.skills.handle(result.intent, text)
            if result.intent == "about_precision" and self.engine is not None and self.engine.reason:
                words += f" Why {self.precision} for the chatbot: {self.engine.reason}."
            return reply(words, result.intent)
        if self.answers is None:
            return reply(self.replies.get("chitchat_unavailable"))
        answer = self._chitchat(result.intent, text)
        if answer:
            return reply(answer, "chitchat")
        return reply(self.replies.get("chitchat_fallback"))

    def _chitchat(self, category: str, text: str) -> str | None:
        """The answer of the closest known question in `category`, else in any category, if close enough."""
        assert self.answers is not None

        def good(cat: str | None, score: float) -> bool:
            return score >= (MIN_SIMILARITY_FACTS if cat in FACT_CATEGORIES else MIN_SIMILARITY)

        answer, score, _question = self.answers.best(category, text)
        if answer and good(category, score):
            return answer
        answer, score, cat = self.answers.best_anywhere(text)
        return answer if answer and good(cat, score) else None


def _precision_words() -> dict[str, str]:
    from assistant.core.inference.catalog import PRECISION_WORDS

    return dict(PRECISION_WORDS)
