"""Intent chatbot: token embedding -> Conv1D blocks -> global max pool -> dense softmax.

Data (shared/SOURCES.md; read from the installed packages, nothing copied into the repository; the
chit-chat answers ship as references into the installed chatterbot-corpus, resolved by the app at run time):
- home-assistant-intents `data/en.json`, expanded with hassil's parser and sampler. Intents the assistant
  really carries out offline (time, date, timers, lists) get their own labels; intents it cannot carry out
  (lights, climate, media, weather, ...) become examples of the `out_of_scope` class.
- resources/chatbot/templates.yaml: hand-written templates in hassil syntax for skills the HA data lacks
  (notes, arithmetic, questions about the assistant itself), everyday small talk and more out-of-scope
  requests; resources/chatbot/smalltalk.json: hand-written answers for that small talk.
- chatterbot-corpus English: chit-chat, merged into a few categories; repeated questions (tech_support
  repeats 10 questions 1,050 times) count once, with their answers kept for retrieval.
- chitchat-dataset: casual statements as further out-of-scope examples.

Splits are made BY TEMPLATE (HA and own templates), BY QUESTION GROUP / CONVERSATION (chatterbot) and BY
CHAT (chitchat-dataset); held-out sentences also use slot values (items, notes, timer names) never seen in
training, and any held-out sentence identical to a training one is dropped. So the test set measures
unseen phrasings, not memory. The shipped model is refit on train + validation for the epoch count early
stopping chose (the threshold stays the first fit's); the test split is never trained on.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.appdata import paths
from assistant.core.inference import registry
from assistant.core.text import chatcorpus
from assistant.core.text.vocab import UNK_ID, Vocab, model_tokens
from assistant.factory.recipes.base import (
    MetricSpec,
    PredictFn,
    PreparedData,
    Recipe,
    TensorSpec,
    package_version,
)

logger = logging.getLogger(__name__)

SEQ_LEN = 28
EMBED_DIM = 64
CONV_FILTERS = 96
KERNEL_WIDTHS = (1, 2, 3)  # parallel Conv1D blocks: words, word pairs, word triples
MAX_EPOCHS = 30
PATIENCE = 4  # epochs without a better validation macro-F1 before training stops
OUT_OF_SCOPE = "out_of_scope"
SMALLTALK = "chat_smalltalk"

# Labels the assistant acts on (one skill handler each in assistant.core.skills).
SKILL_LABELS = (
    "time", "date", "timer_start", "timer_cancel", "timer_status", "timer_pause", "timer_resume", "timer_adjust",
    "reminder_set", "reminder_show", "reminder_cancel", "list_add", "list_show", "list_remove",
    "note_add", "note_show", "note_delete", "arithmetic", "about_precision", "help", "privacy", "nevermind",
)
# chatterbot-corpus files merged into three chit-chat categories that differ in kind (small talk, questions
# of fact, computers/AI); the corpus' 21 topics are too small and overlap too much to tell apart.
CHAT_CATEGORIES = {
    SMALLTALK: ("greetings", "conversations", "health", "humor", "gossip", "food", "botprofile", "emotion",
                       "psychology"),
    "chat_knowledge": ("trivia", "science", "history", "literature", "movies", "sports", "money", "politics"),
    "chat_tech": ("computers", "coding", "tech_support", "ai"),
}
# home-assistant-intents -> our label. Not listed: out of scope. None: not used.
HA_LABELS: dict[str, str | None] = {
    "HassGetCurrentTime": "time",
    "HassGetCurrentDate": "date",
    "HassStartTimer": "timer_start",
    "HassCancelTimer": "timer_cancel",
    "HassCancelAllTimers": "timer_cancel",
    "HassTimerStatus": "timer_status",
    "HassPauseTimer": "timer_pause",
    "HassUnpauseTimer": "timer_resume",
    "HassIncreaseTimer": "timer_adjust",
    "HassDecreaseTimer": "timer_adjust",
    "HassShoppingListAddItem": "list_add",
    "HassListAddItem": "list_add",
    "HassShoppingListCompleteItem": "list_remove",
    "HassListCompleteItem": "list_remove",
    "HassListRemoveItem": "list_remove",
    "HassNevermind": "nevermind",
    "HassRespond": None,  # "hello", "who made you": overlaps chit-chat and help; own templates cover it
}
# HA list name -> our slot list (slots.yaml). {name} depends on the intent: a to-do list or a device.
HA_SLOTS = {
    "shopping_list_item": "item", "todo_list_item": "item_or_task", "timer_name": "timer_name",
    "area": "area", "floor": "floor", "message": "message", "search_query": "search_query", "zone": "place",
}
LIST_INTENTS = {"HassListAddItem", "HassListCompleteItem", "HassListRemoveItem"}
# chatterbot answers that are wrong for an offline assistant.
DROP_ANSWERS = re.compile(r"internet|smarter than you|chatterbot", re.IGNORECASE)

PER_TEMPLATE = {"train": 24, "val": 8, "test": 8}
PER_SOURCE_CAP = {"train": 500, "val": 120, "test": 120}  # per HA intent / own label
OOS_HA_CAP = {"train": 45, "val": 12, "test": 12}  # per out-of-scope HA intent
CHITCHAT_OOS = 900  # casual statements from chitchat-dataset (all splits)
TECH_ANSWERS_CAP = 8
SPLIT_FRACTIONS = (0.7, 0.15, 0.15)
THRESHOLD_SLACK = 0.005  # validation macro-F1 the "did not understand" threshold may cost (see choose_threshold)
MAX_REFUSED_CORRECT = 0.02  # share of right validation answers the threshold may turn into "did not understand"


@dataclass
class Example:
    text: str
    label: str
    source: str  # "ha:HassStartTimer", "own:time", "chatterbot:greetings", "chitchat"
    group: str  # template / question group / chat: the unit of the split
    split: str = ""  # train | val | test


@dataclass
class ChatbotData:
    """Payload of PreparedData: splits, vocabulary, labels, retrieval answers, the chosen threshold."""

    splits: dict[str, list[Example]]
    vocab: Vocab
    labels: list[str]
    answers: dict[str, list[dict[str, Any]]]
    x: dict[str, np.ndarray] = field(default_factory=dict)
    y: dict[str, np.ndarray] = field(default_factory=dict)
    threshold: float | None = None
    training: dict[str, Any] = field(default_factory=dict)


def _site_file(module: str, *parts: str) -> Path:
    import importlib

    mod = importlib.import_module(module)
    return Path(mod.__file__).resolve().parent.joinpath(*parts)


# ----------------------------------------------------------------------------------------------------
# hassil expansion
# ----------------------------------------------------------------------------------------------------


class _Skip(Exception):
    """A template refers to a wildcard or unknown list we do not fill: leave it out."""


class _Expander:
    """Samples sentences from hassil templates: full enumeration (hassil.sample) when small, else a
    seeded random walk over the same parsed expression tree."""

    def __init__(self, rules: dict, language: str = "en"):
        from hassil.numbers import get_rbnf_engine

        self.rules = rules
        self.engine = get_rbnf_engine(language)
        self._words: dict[int, list[str]] = {}

    def number_texts(self, n: float) -> list[str]:
        out = [str(n)]
        if isinstance(n, int) or float(n).is_integer():
            n = int(n)
            if n not in self._words:
                self._words[n] = sorted(set(self.engine.format_number(n).text_by_ruleset.values()))
            out += self._words[n]
        return out

    def count(self, expr, lists: dict, rules: dict, limit: int = 10_000) -> int:
        from hassil.expression import (
            Alternative,
            ListReference,
            Permutation,
            RuleReference,
            Sequence,
            TextChunk,
        )
        from hassil.intents import RangeSlotList, TextSlotList

        if isinstance(expr, TextChunk):
            return 1
        if isinstance(expr, Alternative):
            return min(limit, sum(self.count(i, lists, rules, limit) for i in expr.items))
        if isinstance(expr, (Sequence, Permutation)):
            total = 1
            for item in expr.items:
                total = min(limit, total * self.count(item, lists, rules, limit))
            if isinstance(expr, Permutation):
                for k in range(2, len(expr.items) + 1):
                    total = min(limit, total * k)
            return total
        if isinstance(expr, ListReference):
            slot = lists.get(expr.list_name)
            if isinstance(slot, TextSlotList):
                return min(limit, sum(self.count(v.text_in, lists, rules, limit) for v in slot.values))
            if isinstance(slot, RangeSlotList):
                return limit
            raise _Skip(expr.list_name)
        if isinstance(expr, RuleReference):
            if expr.rule_name not in rules:
                raise _Skip(expr.rule_name)
            return self.count(rules[expr.rule_name].expression, lists, rules, limit)
        raise _Skip(type(expr).__name__)

    def walk(self, expr, lists: dict, rules: dict, rng: random.Random) -> str:
        from hassil.expression import (
            Alternative,
            ListReference,
            Permutation,
            RuleReference,
            Sequence,
            TextChunk,
        )
        from hassil.intents import RangeSlotList, TextSlotList
        from hassil.util import normalize_whitespace

        if isinstance(expr, TextChunk):
            return expr.original_text
        if isinstance(expr, Alternative):
            return self.walk(rng.choice(expr.items), lists, rules, rng)
        if isinstance(expr, Sequence):
            return normalize_whitespace("".join(self.walk(i, lists, rules, rng) for i in expr.items))
        if isinstance(expr, Permutation):
            items = list(expr.items)
            rng.shuffle(items)
            return normalize_whitespace("".join(self.walk(i, lists, rules, rng) for i in items)).strip()
        if isinstance(expr, ListReference):
            slot = lists.get(expr.list_name)
            if isinstance(slot, TextSlotList):
                return self.walk(rng.choice(slot.values).text_in, lists, rules, rng)
            if isinstance(slot, RangeSlotList):
                numbers = list(itertools.islice(slot.get_numbers(), 5000))
                return rng.choice(self.number_texts(rng.choice(numbers)))
            raise _Skip(expr.list_name)
        if isinstance(expr, RuleReference):
            if expr.rule_name not in rules:
                raise _Skip(expr.rule_name)
            return self.walk(rules[expr.rule_name].expression, lists, rules, rng)
        raise _Skip(type(expr).__name__)

    def sample(self, sentence, lists: dict, rules: dict, k: int, rng: random.Random) -> list[str]:
        """Up to k distinct sentences of one template (deterministic for the rng state)."""
        from hassil.errors import MissingListError, MissingRuleError
        from hassil.intents import RangeSlotList
        from hassil.sample import sample_expression

        n = self.count(sentence.expression, lists, rules)
        uses_range = any(isinstance(lists.get(name), RangeSlotList)
                         for name in sentence.expression.list_names(rules)) if hasattr(
            sentence.expression, "list_names") else False
        if n <= 4 * k and not uses_range:
            try:
                texts = sorted(set(sample_expression(sentence.expression, lists, rules, language="en")))
            except (MissingListError, MissingRuleError) as exc:
                raise _Skip(str(exc)) from exc
            rng.shuffle(texts)
            return texts[:k]
        seen: dict[str, None] = {}
        for _ in range(k * 6):
            seen.setdefault(self.walk(sentence.expression, lists, rules, rng), None)
            if len(seen) >= k:
                break
        return list(seen)


def _clean(text: str) -> str:
    return chatcorpus.clean_text(text)


def _split_units(units: list[str], rng: random.Random) -> dict[str, str]:
    """Assign each unit (template, question group, chat) to train/val/test, ~70/15/15, at least one
    unit in val and test when there are 4 or more."""
    units = sorted(set(units))
    rng.shuffle(units)
    n = len(units)
    if n < 4:
        return {u: "train" for u in units}
    n_val = max(1, round(n * SPLIT_FRACTIONS[1]))
    n_test = max(1, round(n * SPLIT_FRACTIONS[2]))
    out = {}
    for i, u in enumerate(units):
        out[u] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def _slot_lists(slots_cfg: dict, rng: random.Random) -> dict[str, dict[str, Any]]:
    """hassil slot lists per split: held-out lists are cut in two, train sees only the first part."""
    from hassil.intents import RangeSlotList, TextSlotList

    per_split: dict[str, dict[str, Any]] = {"train": {}, "val": {}, "test": {}}
    for name, cfg in slots_cfg.items():
        if "range" in cfg:
            r = cfg["range"]
            rl = RangeSlotList(name=name, start=int(r["from"]), stop=int(r["to"]))
            for split in per_split:
                per_split[split][name] = rl
            continue
        values = [str(v) for v in cfg["values"]]
        if cfg.get("held_out"):
            shuffled = sorted(values)
            rng.shuffle(shuffled)
            cut = int(len(shuffled) * 0.65)
            parts = {"train": shuffled[:cut], "val": shuffled[cut:], "test": shuffled[cut:]}
        else:
            parts = {s: values for s in per_split}
        for split, vals in parts.items():
            per_split[split][name] = TextSlotList.from_strings(vals, allow_template=False, name=name)
    for lists in per_split.values():
        lists["item_or_task"] = TextSlotList(
            name="item_or_task", values=lists["item"].values + lists["task"].values)
    return per_split


def _expand_intents(intents, label_of, lists_for, rng: random.Random, expander: _Expander,
                    quick: bool) -> list[Example]:
    """Expand every template of `intents` (hassil Intents) into examples, split by template."""
    examples: list[Example] = []
    for intent_name, intent in sorted(intents.intents.items()):
        label = label_of(intent_name)
        if label is None:
            continue
        templates = []
        for block_no, block in enumerate(intent.data):
            for sent_no, sentence in enumerate(block.sentences):
                templates.append((f"{intent_name}/{block_no}/{sent_no}", block, sentence))
        split_of = _split_units([t[0] for t in templates], rng)
        per_split: dict[str, list[Example]] = defaultdict(list)
        for key, block, sentence in templates:
            split = split_of[key]
            rules = {**expander.rules, **block.expansion_rules}
            lists = {**lists_for(intent_name, split), **block.slot_lists}
            k = PER_TEMPLATE[split] if not quick else 3
            try:
                texts = expander.sample(sentence, lists, rules, k, rng)
            except _Skip as exc:
                logger.debug("skip template %s (%s): %s", key, exc, sentence.text)
                continue
            source = f"{'own' if intent_name == label else 'ha'}:{intent_name}"
            per_split[split] += [Example(_clean(t), label, source, key, split) for t in texts if _clean(t)]
        cap = OOS_HA_CAP if label == OUT_OF_SCOPE and intent_name != OUT_OF_SCOPE else PER_SOURCE_CAP
        for split, exs in per_split.items():
            if len(exs) > cap[split]:
                exs = rng.sample(exs, cap[split])
            examples += exs
    return examples


def _load_home_assistant(slot_lists: dict, rng: random.Random, quick: bool) -> tuple[list[Example], dict]:
    from hassil.intents import Intents

    en = json.loads(_site_file("home_assistant_intents", "data", "en.json").read_text(encoding="utf-8"))
    intents = Intents.from_dict(en)
    expander = _Expander(dict(intents.expansion_rules))
    base_lists = {k: v for k, v in intents.slot_lists.items()}

    def lists_for(intent_name: str, split: str) -> dict:
        ours = slot_lists[split]
        lists = dict(base_lists)
        for ha_name, our_name in HA_SLOTS.items():
            lists[ha_name] = ours[our_name]
        lists["name"] = ours["list_name"] if intent_name in LIST_INTENTS else ours["device"]
        return lists

    def label_of(name: str) -> str | None:
        return HA_LABELS.get(name, OUT_OF_SCOPE)

    return _expand_intents(intents, label_of, lists_for, rng, expander, quick), expander.rules


def _load_own_templates(slot_lists: dict, ha_rules: dict, rng: random.Random, quick: bool) -> list[Example]:
    import yaml
    from hassil.intents import Intents

    raw = yaml.safe_load((paths.resources_dir() / "chatbot" / "templates.yaml").read_text(encoding="utf-8"))
    intents = Intents.from_dict(raw)
    expander = _Expander({**ha_rules, **intents.expansion_rules})

    def lists_for(intent_name: str, split: str) -> dict:
        return slot_lists[split]

    return _expand_intents(intents, lambda name: name, lists_for, rng, expander, quick)


def _load_chatterbot() -> tuple[list[Example], dict[str, list[dict[str, Any]]]]:
    """Chit-chat questions (one example per distinct question) and retrieval answers per category.

    Each answer entry keeps the texts ("q", "a": what training and retrieval use) and what answers.json
    ships instead ("q_ref", "a_ref"): a reference into the installed corpus (chatcorpus.make_ref) for
    corpus text, the text itself for our own small talk.
    """
    folder = chatcorpus.corpus_dir()
    examples: list[Example] = []
    answers: dict[str, list[dict[str, Any]]] = {}
    for category, files in CHAT_CATEGORIES.items():
        qa: dict[str, dict[str, Any]] = {}  # normalised question -> {"q", "a", "q_ref", "a_ref", "group", "file"}
        for stem in files:
            name = f"{stem}.yml"
            for conv_no, conv in enumerate(chatcorpus.read_conversations(folder / name)):
                # (text, index of the turn in the YAML conversation), empty turns left out
                turns = [(text, i) for i, text in enumerate(map(chatcorpus.turn_text, conv)) if text]
                if len(turns) < 2:
                    continue
                if stem == "conversations":  # dialogues: the user's turns (even) and the bot's replies
                    pairs = [(turns[i], [turns[i + 1]]) for i in range(0, len(turns) - 1, 2)]
                    group = f"{stem}#{conv_no}"
                else:  # question followed by alternative answers
                    pairs = [(turns[0], turns[1:])]
                    group = None
                for (question, q_turn), replies in pairs:
                    key = " ".join(model_tokens(question))
                    if not key:
                        continue
                    entry = qa.setdefault(key, {
                        "q": question, "a": [], "q_ref": chatcorpus.make_ref(name, conv_no, q_turn, question),
                        "a_ref": [], "group": group or f"{stem}:{key}", "file": stem})
                    for reply, r_turn in replies:
                        if reply not in entry["a"] and not DROP_ANSWERS.search(reply):
                            entry["a"].append(reply)
                            entry["a_ref"].append(chatcorpus.make_ref(name, conv_no, r_turn, reply))
        for entry in qa.values():
            if entry["file"] == "tech_support":
                entry["a"], entry["a_ref"] = entry["a"][:TECH_ANSWERS_CAP], entry["a_ref"][:TECH_ANSWERS_CAP]
        kept = [e for e in qa.values() if e["a"]]
        examples += [Example(e["q"], category, f"chatterbot:{e['file']}", e["group"]) for e in kept]
        if category == SMALLTALK:  # hand-written answers replace corpus answers to the same question
            for entry in _own_smalltalk():
                texts = [str(a) for a in entry["a"]]
                qa[" ".join(model_tokens(entry["q"]))] = {"q": entry["q"], "a": texts, "q_ref": entry["q"],
                                                          "a_ref": list(texts)}
            kept = [e for e in qa.values() if e["a"]]
        answers[category] = [{k: e[k] for k in ("q", "a", "q_ref", "a_ref")}
                             for e in sorted(kept, key=lambda e: e["q"].lower())]
    return examples, answers


def answers_json(answers: dict[str, list[dict[str, Any]]]) -> str:
    """models/chatbot/answers.json: references into the installed corpus, no corpus text (see
    assistant.core.text.chatcorpus). One entry per line, so a rebuild's diff stays readable."""
    head = {
        "format": chatcorpus.ANSWERS_FORMAT,
        "_comment": "Chit-chat retrieval entries per category. A list [file, conversation, turn, sha1] refers to "
                    "a turn of the installed chatterbot-corpus (file relative to chatterbot_corpus/data/english, "
                    "0-based conversation index in its 'conversations' list, 0-based turn index, first "
                    f"{chatcorpus.HASH_CHARS} hex digits of the SHA-1 of the whitespace-normalised text); the "
                    "app reads the text from the installed package at run time. A string is this project's "
                    "own text (resources/chatbot/smalltalk.json).",
        "corpus": {"package": chatcorpus.CORPUS_DISTRIBUTION, "version": package_version(chatcorpus.CORPUS_DISTRIBUTION),
                   "folder": "/".join((chatcorpus.CORPUS_MODULE, *chatcorpus.CORPUS_SUBDIR)),
                   "license": "BSD-3-Clause"},
    }
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append(' "categories": {')
    for c_no, (category, entries) in enumerate(sorted(answers.items())):
        rows = [json.dumps({"q": e["q_ref"], "a": e["a_ref"]}, ensure_ascii=False, separators=(",", ":"))
                for e in entries]
        comma = "," if c_no < len(answers) - 1 else ""
        lines.append(f"  {json.dumps(category)}: [\n   " + ",\n   ".join(rows) + f"\n  ]{comma}")
    lines += [" }", "}", ""]
    return "\n".join(lines)


def _own_smalltalk() -> list[dict[str, Any]]:
    """Hand-written small-talk answers (resources/chatbot/smalltalk.json)."""
    doc = json.loads((paths.resources_dir() / "chatbot" / "smalltalk.json").read_text(encoding="utf-8"))
    return list(doc["entries"])


# Greetings and small talk the chat_smalltalk templates own: never out-of-scope examples.
_GREETING_START = re.compile(r"^(hi|hey|hello|hiya|howdy|yo|good (morning|evening|afternoon|night)|what'?s up|sup|"
                             r"how are you|how('s| is) (it going|your day)|how have you been|thanks?|thank you|"
                             r"(good ?)?bye|nice to meet|see you)\b")


def _load_chitchat(rng: random.Random, limit: int) -> list[Example]:
    """Casual statements from chitchat-dataset as out-of-scope examples (no questions, no greetings)."""
    chats = json.loads(_site_file("chitchat_dataset", "dataset.json").read_text(encoding="utf-8"))
    ids = sorted(chats)
    rng.shuffle(ids)
    out: list[Example] = []
    for chat_id in ids:
        picked = 0
        for turn in chats[chat_id]["messages"]:
            for msg in turn:
                text = _clean(msg.get("text", ""))
                words = model_tokens(text)
                if not 5 <= len(words) <= 20 or "?" in text or _GREETING_START.match(text.lower()):
                    continue
                out.append(Example(text, OUT_OF_SCOPE, "chitchat", f"chat:{chat_id}"))
                picked += 1
                if picked >= 2:
                    break
            if picked >= 2:
                break
        if len(out) >= limit:
            break
    return out


def build_dataset(seed: int, quick: bool) -> ChatbotData:
    """All examples, split and encoded. No TensorFlow needed (tests re-encode with it)."""
    import yaml

    slots_cfg = yaml.safe_load((paths.resources_dir() / "chatbot" / "slots.yaml").read_text(encoding="utf-8"))
    slot_lists = _slot_lists(slots_cfg, random.Random(seed + 1))
    ha, ha_rules = _load_home_assistant(slot_lists, random.Random(seed + 2), quick)
    own = _load_own_templates(slot_lists, ha_rules, random.Random(seed + 3), quick)
    chat, answers = _load_chatterbot()
    chitchat = _load_chitchat(random.Random(seed + 5), 150 if quick else CHITCHAT_OOS)

    # Chit-chat and chitchat-dataset examples: split by group, per label.
    grouped = chat + chitchat
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in grouped:
        by_label[ex.label + "|" + ex.source.split(":")[0]].append(ex)
    splits: dict[str, list[Example]] = {"train": [], "val": [], "test": []}
    group_rng = random.Random(seed + 6)
    for key in sorted(by_label):
        exs = by_label[key]
        split_of = _split_units([e.group for e in exs], group_rng)
        for e in exs:
            e.split = split_of[e.group]
            splits[e.split].append(e)
    for ex in ha + own:  # template examples were split by template while they were expanded
        splits[ex.split].append(ex)

    form_rng = random.Random(seed + 8)
    for exs in splits.values():
        for ex in exs:
            ex.text = _written_form(ex, form_rng)
    splits = _dedupe(splits)
    if quick:
        qrng = random.Random(seed + 7)
        splits = {s: _cap_per_label(exs, 40 if s == "train" else 10, qrng) for s, exs in splits.items()}

    labels = sorted({e.label for e in splits["train"]} | {OUT_OF_SCOPE})
    vocab = Vocab.build((e.text for e in splits["train"]), length=SEQ_LEN, min_count=1 if quick else 2)
    data = ChatbotData(splits=splits, vocab=vocab, labels=labels, answers=answers)
    index = {label: i for i, label in enumerate(labels)}
    for split, exs in splits.items():
        data.x[split] = vocab.encode_batch([e.text for e in exs])
        data.y[split] = np.array([index[e.label] for e in exs], dtype=np.int32)
    return data


_QUESTION_START = re.compile(r"^(what|whats|what's|how|when|where|who|which|why|is|are|am|was|were|do|does|did|can|"
                             r"could|will|would|should|have|has|may)\b", re.IGNORECASE)


def _written_form(ex: Example, rng: random.Random) -> str:
    """Template sentences come lower case without punctuation, corpus questions capitalised with a "?": left
    so, the model learns the source from the punctuation ("What can you do?" went to chit-chat, "what can
    you do" to help; speech recognisers and people write the first form). Half of each take the other's."""
    if rng.random() >= 0.5:
        return ex.text
    text = ex.text
    if ex.source.startswith(("ha:", "own:")):
        end = "?" if _QUESTION_START.match(text) else rng.choice((".", "!", ""))
        return text[:1].upper() + text[1:] + end
    stripped = text.rstrip(" ?!.")
    return stripped[:1].lower() + stripped[1:] if stripped else text


def _dedupe(splits: dict[str, list[Example]]) -> dict[str, list[Example]]:
    """One label per sentence (first seen wins), no duplicates inside a split, and no held-out sentence
    that also occurs in training."""
    label_of: dict[str, str] = {}
    out: dict[str, list[Example]] = {}
    train_keys: set[str] = set()
    for split in ("train", "val", "test"):
        seen: set[str] = set()
        kept = []
        for ex in splits[split]:
            key = " ".join(model_tokens(ex.text))
            if not key or key in seen or (split != "train" and key in train_keys):
                continue
            if label_of.setdefault(key, ex.label) != ex.label:
                continue
            seen.add(key)
            kept.append(ex)
        if split == "train":
            train_keys = seen
        out[split] = kept
    return out


def _cap_per_label(exs: list[Example], cap: int, rng: random.Random) -> list[Example]:
    by: dict[str, list[Example]] = defaultdict(list)
    for e in exs:
        by[e.label].append(e)
    out: list[Example] = []
    for label in sorted(by):
        items = by[label]
        out += items if len(items) <= cap else rng.sample(items, cap)
    return out


# ----------------------------------------------------------------------------------------------------
# metrics
# ----------------------------------------------------------------------------------------------------


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, labels: list[str],
                           threshold: float | None = None) -> dict[str, float]:
    """Accuracy, macro-F1 and out-of-scope precision/recall of argmax predictions; with a threshold,
    the same again for what the app does (below the threshold counts as out of scope)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    oos = labels.index(OUT_OF_SCOPE)
    all_ids = list(range(len(labels)))
    pred = probs.argmax(axis=1)
    out = {
        "accuracy": float(accuracy_score(y_true, pred)),
        "macro_f1": float(f1_score(y_true, pred, labels=all_ids, average="macro", zero_division=0)),
        "oos_precision": float(precision_score(y_true == oos, pred == oos, zero_division=0)),
        "oos_recall": float(recall_score(y_true == oos, pred == oos, zero_division=0)),
    }
    if threshold is not None:
        gated = np.where(probs.max(axis=1) < threshold, oos, pred)
        out.update({
            "accuracy_gated": float(accuracy_score(y_true, gated)),
            "macro_f1_gated": float(f1_score(y_true, gated, labels=all_ids, average="macro", zero_division=0)),
            "oos_precision_gated": float(precision_score(y_true == oos, gated == oos, zero_division=0)),
            "oos_recall_gated": float(recall_score(y_true == oos, gated == oos, zero_division=0)),
        })
    return out


def choose_threshold(y_true: np.ndarray, probs: np.ndarray, labels: list[str], slack: float = THRESHOLD_SLACK,
                     max_refused: float = MAX_REFUSED_CORRECT) -> float:
    """Confidence below which the app says it did not understand (a low-confidence answer then counts as
    out of scope): the HIGHEST value in 0.0-0.9 whose validation macro-F1 is within `slack` of the best
    value's and that refuses at most `max_refused` of the validation sentences the model gets right.
    Saying "I didn't understand" is better for the user than acting on a guess, as long as it costs
    (almost) nothing: macro-F1 alone stays flat while a high threshold refuses right and wrong answers
    alike (at 0.85 it refused 5 % of the right answers on validation and 9 % on test)."""
    grid = [float(t) for t in np.round(np.arange(0.0, 0.91, 0.05), 2)]
    scores = [classification_metrics(y_true, probs, labels, t)["macro_f1_gated"] for t in grid]
    right = probs.argmax(axis=1) == y_true
    confidence = probs.max(axis=1)
    refused = [float(np.mean(confidence[right] < t)) if right.any() else 0.0 for t in grid]
    best = max(scores)
    return max(t for t, score, lost in zip(grid, scores, refused, strict=True)
               if score >= best - slack and (lost <= max_refused or t == 0.0))


def _progress_callback(epochs: int):
    """A tqdm bar over epochs (the factory shows progress on training)."""
    import keras
    from tqdm.auto import tqdm

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=epochs, desc="chatbot: training", unit="epoch", leave=False)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{(logs or {}).get('loss', 0):.3f}")

        def on_train_end(self, logs=None):
            self.bar.close()

    return Progress()


def _fit(model, x: np.ndarray, y: np.ndarray, n_labels: int, seed: int, epochs: int, callbacks: list,
         validation: tuple[np.ndarray, np.ndarray] | None = None):
    """One training run. Word dropout: a copy of the sentences with ~12% of the words replaced by <unk>
    teaches the model to rely on the words it knows when a sentence has new ones (unseen items, typos).
    Class weights: square root of "balanced", capped, so small intents count without drowning OOS."""
    import keras

    rng = np.random.default_rng(seed)
    x_aug = x.copy()
    drop = (rng.random(x_aug.shape) < 0.12) & (x_aug > UNK_ID)
    x_aug[drop] = UNK_ID
    x_all, y_all = np.concatenate([x, x_aug]), np.concatenate([y, y])
    counts = np.bincount(y_all, minlength=n_labels).astype(np.float64)
    weights = {i: min(len(y_all) / (len(counts) * max(c, 1.0)), 10.0) ** 0.5 for i, c in enumerate(counts)}
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x_all, y_all, validation_data=validation, epochs=epochs, batch_size=64, shuffle=True,
                     class_weight=weights, callbacks=callbacks, verbose=0)


class _BestMacroF1:
    """Keras callback (built lazily so this module imports without TensorFlow): keeps the weights of the
    epoch with the best validation macro-F1 and stops after `patience` epochs without improvement."""

    def __new__(cls, x_val, y_val, labels, patience):
        import keras

        class BestMacroF1(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.best, self.best_epoch, self.weights, self.history = -1.0, -1, None, []

            def on_epoch_end(self, epoch, logs=None):
                probs = self.model.predict(x_val, batch_size=512, verbose=0)
                score = classification_metrics(y_val, probs, labels)["macro_f1"]
                self.history.append(score)
                if score > self.best + 1e-6:
                    self.best, self.best_epoch, self.weights = score, epoch, self.model.get_weights()
                elif epoch - self.best_epoch >= patience:
                    self.model.stop_training = True

        return BestMacroF1()


# ----------------------------------------------------------------------------------------------------
# the recipe
# ----------------------------------------------------------------------------------------------------


class ChatbotRecipe(Recipe):
    name = registry.CHATBOT
    task = "intent classification"
    kind = "conv"
    architecture = (f"token embedding ({EMBED_DIM}) -> parallel Conv1D blocks ({CONV_FILTERS} filters, widths "
                    f"{', '.join(map(str, KERNEL_WIDTHS))}) -> global max pool each -> concat -> dense softmax")
    metric = MetricSpec("macro_f1", higher_is_better=True, tolerance=0.005)
    sources = [
        {"name": "home-assistant-intents", "version": package_version("home-assistant-intents"), "license": "Apache-2.0",
         "use": "training data: command templates (en.json) expanded with hassil"},
        {"name": "hassil", "version": package_version("hassil"), "license": "Apache-2.0",
         "use": "template parser and sampler"},
        {"name": "chatterbot-corpus", "version": package_version("chatterbot-corpus"), "license": "BSD-3-Clause",
         "use": "training data and answers: English chit-chat questions",
         "runtime": "the app reads the chit-chat questions and answers from the installed package when the "
                    "chatbot loads; chatbot/answers.json holds only references (file, conversation, turn, "
                    "checksum), no corpus text"},
        {"name": "chitchat-dataset", "version": package_version("chitchat-dataset"), "license": "MIT",
         "use": "training data: casual statements as out-of-scope examples"},
    ]

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        data = build_dataset(seed, quick)
        rng = np.random.default_rng(seed)
        train_x = data.x["train"]
        pick = rng.choice(len(train_x), size=min(300, len(train_x)), replace=False)
        representative = [[train_x[i : i + 1]] for i in sorted(pick)]
        summary = {
            "labels": len(data.labels),
            "vocabulary": len(data.vocab),
            "sequence_length": SEQ_LEN,
            **{f"{split}_sentences": len(exs) for split, exs in data.splits.items()},
            "split": "by template (HA, own templates), by question group/conversation (chatterbot), by chat "
                     "(chitchat-dataset); held-out slot values; held-out sentences never equal a training one",
            "per_label_test": dict(sorted(Counter(e.label for e in data.splits["test"]).items())),
        }
        return PreparedData(representative=representative, verify_inputs=[data.x["test"]], payload=data,
                            summary=summary)

    def build_model(self, vocab_size: int, n_labels: int, seed: int):
        """(training model with a free batch, batch-1 export model); both share the same layers.

        Parallel Conv1D blocks of widths 1-3, each max-pooled over the sentence (Kim 2014). Chosen on
        validation macro-F1 over two seeds against one and two stacked width-3 blocks (see REPORT notes).
        """
        import keras
        from keras import layers

        def init(offset: int):
            return keras.initializers.GlorotUniform(seed=seed + offset)

        embedding = layers.Embedding(vocab_size, EMBED_DIM, name="embedding",
                                     embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))
        convs = [layers.Conv1D(CONV_FILTERS, k, padding="same", activation="relu", name=f"conv_w{k}",
                               kernel_initializer=init(k)) for k in KERNEL_WIDTHS]
        pools = [layers.GlobalMaxPooling1D(name=f"max_pool_w{k}") for k in KERNEL_WIDTHS]
        concat = layers.Concatenate(name="features")
        dropout = layers.Dropout(0.3, seed=seed, name="dropout")
        dense = layers.Dense(n_labels, activation="softmax", name="probs", kernel_initializer=init(10))

        def make(batch: int | None, name: str):
            inp = keras.Input(shape=(SEQ_LEN,), batch_size=batch, dtype="int32", name="token_ids")
            x = embedding(inp)
            x = concat([pool(conv(x)) for conv, pool in zip(convs, pools, strict=True)])
            return keras.Model(inp, dense(dropout(x)), name=name)

        return make(None, "chatbot_train"), make(1, "chatbot")

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        """Fit on train with early stopping on validation macro-F1, choose the threshold on validation,
        then refit a fresh model on train + validation for the best epoch count: validation sentences come
        from their own templates (15% of the phrasings), and a shipped model that never saw
        them misses whole phrasings ("how are you ..."). The test split stays unseen by both fits."""
        import keras

        payload: ChatbotData = data.payload
        keras.utils.set_random_seed(seed)
        train_model, export_model = self.build_model(len(payload.vocab), len(payload.labels), seed)
        x_val, y_val = payload.x["val"], payload.y["val"]
        best = _BestMacroF1(x_val, y_val, payload.labels, PATIENCE)
        epochs = 2 if quick else MAX_EPOCHS
        history = _fit(train_model, payload.x["train"], payload.y["train"], len(payload.labels), seed, epochs,
                       [best, _progress_callback(epochs)], (x_val, y_val))
        if best.weights is not None:
            train_model.set_weights(best.weights)
        val_probs = train_model.predict(x_val, batch_size=256, verbose=0)
        payload.threshold = choose_threshold(y_val, val_probs, payload.labels)
        val = classification_metrics(y_val, val_probs, payload.labels, payload.threshold)
        best_epochs = best.best_epoch + 1
        payload.training = {
            "epochs_run": len(history.history["loss"]),
            "best_epoch": best_epochs,
            "val_macro_f1_per_epoch": [round(v, 4) for v in best.history],
            "threshold": payload.threshold,
            "val_macro_f1": round(val["macro_f1"], 4),
            "val_macro_f1_gated": round(val["macro_f1_gated"], 4),
            "parameters": int(export_model.count_params()),
        }
        if not quick:
            keras.utils.set_random_seed(seed)
            train_model, export_model = self.build_model(len(payload.vocab), len(payload.labels), seed)
            x_all = np.concatenate([payload.x["train"], x_val])
            y_all = np.concatenate([payload.y["train"], y_val])
            _fit(train_model, x_all, y_all, len(payload.labels), seed, best_epochs,
                 [_progress_callback(best_epochs)])
            payload.training["refit"] = (f"train + validation ({len(y_all)} sentences), {best_epochs} epochs; "
                                         "validation figures and the threshold are from the first fit")
        data.summary["training"] = payload.training
        logger.info("chatbot trained: %s", payload.training)
        return export_model

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        payload: ChatbotData = data.payload
        return (
            [TensorSpec("token_ids", (1, SEQ_LEN), "int32", "token_ids")],
            [TensorSpec("probs", (1, len(payload.labels)), "float32", "probabilities")],
        )

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        payload: ChatbotData = data.payload
        probs = predict([payload.x["test"]])[0]
        return classification_metrics(payload.y["test"], np.asarray(probs, dtype=np.float32), payload.labels,
                                      payload.threshold)

    def write_assets(self, data: PreparedData, out_dir: Path) -> dict[str, str]:
        payload: ChatbotData = data.payload
        out_dir.mkdir(parents=True, exist_ok=True)
        payload.vocab.save(out_dir / "vocab.json")
        labels = {
            "format": 1,
            "labels": payload.labels,
            "out_of_scope": OUT_OF_SCOPE,
            "threshold": payload.threshold if payload.threshold is not None else 0.5,
            "threshold_rule": f"highest confidence threshold within {THRESHOLD_SLACK} of the best validation "
                              "macro-F1 when low-confidence answers count as out of scope, refusing at most "
                              f"{MAX_REFUSED_CORRECT:.0%} of the right validation answers",
            "skills": [label for label in payload.labels if label in SKILL_LABELS],
            "chitchat": [label for label in payload.labels if label in CHAT_CATEGORIES],
        }
        (out_dir / "labels.json").write_text(json.dumps(labels, indent=1), encoding="utf-8")
        (out_dir / "answers.json").write_text(answers_json(payload.answers), encoding="utf-8")
        return {"vocab": "vocab.json", "labels": "labels.json", "answers": "answers.json"}

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        """TF-IDF (same word splitter) + logistic regression on the same split."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        payload: ChatbotData = data.payload
        train, test = payload.splits["train"], payload.splits["test"]
        vectorizer = TfidfVectorizer(analyzer=model_tokens, ngram_range=(1, 1), sublinear_tf=True)
        xtr = vectorizer.fit_transform([e.text for e in train])
        clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
        clf.fit(xtr, payload.y["train"])
        probs = np.zeros((len(test), len(payload.labels)), dtype=np.float32)
        probs[:, clf.classes_] = clf.predict_proba(vectorizer.transform([e.text for e in test]))
        return {"tfidf_logreg": classification_metrics(payload.y["test"], probs, payload.labels)}


RECIPE = ChatbotRecipe
