"""Next-word autocomplete: token embedding -> LSTM (unrolled, last N tokens) -> projection -> log-softmax.

Data (shared/SOURCES.md): the messages of chitchat-dataset (MIT), read from the installed package.
Each message is tokenised with the app's own splitter (assistant.core.text.vocab.model_tokens) and starts
with <s> (so the first word of a message is predicted too). The model also reads the last
PREVIOUS_TOKENS ids of the conversation's previous message before that <s> (conversation_ids, shared
with the app); in training a quarter of the messages go without it, so the model also serves a message
with no previous one. Conversations, not messages, are split into train/validation/test (80/10/10,
seeded), so no test conversation is seen in training. The Kneser-Ney trigram reads its own message only.

Training is sequence-wise (every position of a chunk of N tokens is a target, sampled softmax with 1024
log-uniform negatives, output bias initialised to the log unigram distribution, dropout 0.3 on the
embeddings and LSTM outputs (without dropout the model reached perplexity 55 on training positions and 82
on test ones), Adam with a cosine decay over 12 epochs, best validation checkpoint); the shipped model is
the same weights in a batch-1 graph with `unroll=True` that reads the last N tokens, left-padded with
<pad>=0 (masked, so padding is exactly "no token"), and returns log-probabilities over the vocabulary.
Log-probabilities rather than probabilities because int8 softmax outputs have a fixed 1/256 step that
flattens every word below 0.4 % to zero, which breaks prefix completion; int8 log-softmax keeps a 1/16
step in log space.

Sizing, measured on this data with seed 0 (fp32 top-3 minus the Kneser-Ney trigram's, in points, on
20,000 validation positions / the 20,000 test positions of the report; chosen on validation):
- hidden 192, dropout 0.2, 10-epoch cosine (early stop after 6): test +1.13 (the model shipped before);
- hidden 256, dropout 0.3, 8-epoch cosine: +1.68 / +1.81; with 10 % of input words replaced by <unk>
  in training: +1.32 / +1.76;
- hidden 256, dropout 0.3, 12-epoch cosine, patience 2: stopped after 6 epochs, +1.01 / +1.16; with
  embedding 112 and hidden 288: +1.24 / +1.33. Stopping half-way through the decay costs most of the gain;
- embedding 112, hidden 288, 8-epoch cosine, patience 4: +1.88 / +1.98;
- hidden 256, dropout 0.3, 12-epoch cosine, patience 4 (best epoch 11, validation perplexity 73.7):
  +2.25 / +2.29. Shipped.
Most of the gain comes from letting the learning rate decay to the end. Hidden 256 costs 1.1-1.4x the
time of hidden 192 per int8 or dynamic call (both shipped files, three interleaved rounds, one thread, on
an AVX-512 VNNI EPYC: int8 0.08-0.10 ms against 0.08-0.09 ms).

Full softmax was tried instead of the sampled one (measured on this data, 2 epochs, 30,000 test
positions): the same validation perplexity after one epoch (104.3 vs 104.1) at 3.3x the time per step,
and half an epoch of full-softmax fine-tuning after sampled training moved top-3 by +0.06 points.

Weight tying was tried and dropped: the converter keeps one float matrix for the tied embedding and
output layer but two int8 copies in quantized variants (int8 at 45 % of fp32 bytes instead of 27 %).

Metrics (held-out test conversations; fixed random subsets, the same for every precision and the
baseline):
- top1 / top3: over target positions whose token is a word (contains a letter; out-of-vocabulary words
  count as misses), the suggestions are the k most probable vocabulary words (punctuation, numbers and
  <unk> never suggested), exactly as the app shows them at a word boundary.
- perplexity: over all target tokens of the same positions (words, punctuation, <unk>; closed vocabulary).
- ksr (keystroke savings rate): typing whole test messages with 3 suggestions at every keystroke, ranked
  by the app's own SuggestionRanker (prefix filtering, lexicon fallback, finished-word rule); a word costs
  its letters plus a space, punctuation one key per character, accepting a suggestion one key (word and
  space). ksr = 1 - keys used / keys without suggestions.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.inference import registry
from assistant.core.text import words as words_module
from assistant.core.text.autocomplete import (
    BOS,
    BOS_ID,
    FINISHED_SHARE,
    PREVIOUS_TOKENS,
    SENTENCE_END,
    Lexicon,
    SuggestionRanker,
    context_window,
    conversation_ids,
    is_word,
    log_softmax_to_probs,
    token_ids,
)
from assistant.core.text.vocab import PAD, PAD_ID, UNK, UNK_ID, Vocab, model_tokens
from assistant.factory.recipes.base import (
    MetricSpec,
    PredictFn,
    PreparedData,
    Recipe,
    TensorSpec,
    package_version,
)

logger = logging.getLogger(__name__)

CONTEXT = 12  # tokens the model reads
TRAINING_VERSION = 4  # bump when train() changes: cached weights of other versions are not reused
SPLIT = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class Sizes:
    vocab: int
    embed: int
    hidden: int
    project: int
    conversations: int | None  # None: all
    epochs: int
    batch: int
    sampled: int
    eval_positions: int
    ksr_messages: int
    val_chunks: int
    lexicon_min_count: int
    dropout: float  # on the embeddings and on the LSTM outputs, training only
    previous_drop: float = 0.25  # share of training messages shown without their previous message
    patience: int = 2  # validations without a new best before training stops (two per epoch, quick: one)


FULL = Sizes(vocab=10_000, embed=128, hidden=256, project=128, conversations=None, epochs=12, batch=256,
             sampled=1024, eval_positions=20_000, ksr_messages=400, val_chunks=4000, lexicon_min_count=2,
             dropout=0.3, patience=4)
QUICK = Sizes(vocab=1500, embed=16, hidden=32, project=16, conversations=150, epochs=1, batch=128,
              sampled=128, eval_positions=300, ksr_messages=20, val_chunks=200, lexicon_min_count=1,
              dropout=0.0)


@dataclass
class Message:
    surface: list[str]  # split_words tokens (what the user types)
    ids: list[int]  # <s> + model token ids
    previous: list[int] = field(default_factory=list)  # ids of the conversation's previous message

    def window(self, j: int) -> np.ndarray:
        """The model's [CONTEXT] input for predicting ids[j]: previous message tail, then ids[:j]."""
        return context_window(conversation_ids(self.previous, self.ids[:j]), CONTEXT)[0]


@dataclass
class AutocompleteData:
    """Payload of PreparedData: vocabulary, lexicon, encoded splits and the fixed evaluation subsets."""

    sizes: Sizes
    vocab: Vocab
    lexicon: Lexicon
    train: list[Message]
    val: list[Message]
    test: list[Message]
    eval_x: np.ndarray  # [n, CONTEXT] windows of the accuracy/perplexity positions
    eval_y: np.ndarray  # [n] target ids
    eval_word: np.ndarray  # [n] bool: the target is a word (accuracy positions)
    eval_surface: list[str]  # target tokens as typed
    ksr: list[Message]  # messages typed in the keystroke simulation
    training: dict[str, Any] = field(default_factory=dict)

    def ksr_windows(self) -> np.ndarray:
        rows = [m.window(j) for m in self.ksr for j in range(1, len(m.ids))]
        return np.stack(rows).astype(np.int32) if rows else np.zeros((0, CONTEXT), np.int32)


def dataset_path() -> Path:
    import chitchat_dataset

    return Path(chitchat_dataset.__file__).resolve().parent / "dataset.json"


def load_conversations(path: Path | None = None) -> list[list[str]]:
    """Message texts per conversation, in the file's order."""
    data = json.loads((path or dataset_path()).read_text(encoding="utf-8"))
    convs = []
    for key in data:  # insertion order of the JSON object: deterministic
        texts = [m["text"] for turn in data[key]["messages"] for m in turn if isinstance(m.get("text"), str)]
        convs.append(texts)
    return convs


def split_conversations(n: int, seed: int, limit: int | None = None) -> dict[str, np.ndarray]:
    """Indices of conversations per split (seeded permutation; `limit` keeps a subset for quick runs)."""
    order = np.random.default_rng(seed).permutation(n)
    if limit is not None:
        order = order[:limit]
    a = int(round(SPLIT[0] * len(order)))
    b = int(round((SPLIT[0] + SPLIT[1]) * len(order)))
    return {"train": order[:a], "val": order[a:b], "test": order[b:]}


def build_vocab(token_counts: Counter[str], size: int) -> Vocab:
    """<pad>, <unk>, <s>, then the most frequent tokens (ties alphabetical: same data, same ids)."""
    ranked = sorted((t for t in token_counts if t not in (PAD, UNK, BOS)), key=lambda t: (-token_counts[t], t))
    return Vocab([PAD, UNK, BOS, *ranked[: max(0, size - 3)]], length=CONTEXT, keep="tail")


def build_lexicon(texts: Sequence[str], min_count: int) -> Lexicon:
    """Word frequencies (words with a letter, at least `min_count` times) and preferred casing.

    Casing is learned from tokens that do not start a sentence: a word is shown capitalised (Monday,
    English) when at least 60 % of its 5+ mid-sentence uses are written that way.
    """
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        tokens = words_module.split_cased(text)
        for i, tok in enumerate(tokens):
            low = tok.lower()
            counts[low] += 1
            if i > 0 and tokens[i - 1] not in SENTENCE_END:
                forms[low][tok] += 1
    words = sorted((w for w, c in counts.items() if c >= min_count and is_word(w)), key=lambda w: (-counts[w], w))
    case = {}
    for w in words:
        seen = forms.get(w)
        if not seen or w == "i" or w.startswith("i'"):
            continue
        total = sum(seen.values())
        form, n = seen.most_common(1)[0]
        if total >= 5 and form != w and n / total >= 0.6 and form.lower() == w:
            case[w] = form
    return Lexicon(words, [counts[w] for w in words], case)


def encode_messages(texts: Sequence[str], index: dict[str, int]) -> list[Message]:
    """The messages of one conversation, in order; each knows the ids of the message before it."""
    out: list[Message] = []
    for text in texts:
        surface = words_module.split_words(text)
        if not surface:
            continue
        out.append(Message(surface, [BOS_ID, *token_ids(model_tokens(text), index)],
                           out[-1].ids[-PREVIOUS_TOKENS:] if out else []))
    return out


def training_chunks(messages: Sequence[Message], length: int, rng: np.random.Generator | None = None,
                    previous_drop: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets [n, length + PREVIOUS_TOKENS] (right-padded with 0).

    Each message is cut into chunks of `length`; its first chunk starts with the previous message's
    tail (no targets there: they belong to that message), except for a `previous_drop` share drawn
    from `rng`.
    """
    width = length + PREVIOUS_TOKENS
    xs, ys = [], []
    for m in messages:
        ids = m.ids
        keep_previous = bool(m.previous) and (rng is None or rng.random() >= previous_drop)
        for start in range(0, len(ids) - 1, length):
            x = ids[start : start + length]
            y = ids[start + 1 : start + 1 + length]
            x = x[: len(y)]
            if start == 0 and keep_previous:
                x = [*m.previous, *x]
                y = [PAD_ID] * len(m.previous) + y
            xs.append(x + [PAD_ID] * (width - len(x)))
            ys.append(y + [PAD_ID] * (width - len(y)))
    return np.asarray(xs, dtype=np.int32).reshape(-1, width), np.asarray(ys, dtype=np.int32).reshape(-1, width)


# ----------------------------------------------------------------------------------------------------
# metrics shared by the model and the baseline
# ----------------------------------------------------------------------------------------------------


def _is_typed_word(token: str) -> bool:
    return re.search(r"\w", token) is not None


def simulate_typing(surface: Sequence[str], rows: Sequence[np.ndarray], ranker: SuggestionRanker, k: int = 3,
                    finished: float = FINISHED_SHARE) -> tuple[int, int]:
    """Keys used with suggestions and keys without, for one message (see the module docstring).

    rows[j] is the probability vector for token j given <s> and the tokens before it.
    """
    used = total = 0
    pending: list[str] | None = None  # next words shown after a fully typed word (the app's finished rule)
    for j, tok in enumerate(surface):
        if not _is_typed_word(tok):
            used += len(tok)
            total += len(tok)
            pending = None
            continue
        total += len(tok) + 1
        probs = rows[j]
        if pending is not None and tok in pending:
            pending = None
            continue  # the space already counted for the previous word was this acceptance key
        pending = None
        accepted = False
        for m in range(len(tok)):
            prefix = tok[:m]
            if m > 0 and ranker.finished_share(probs, prefix) >= finished:
                shown: list[str] = []  # the app shows words that would follow `prefix`: no use here
            else:
                shown = ranker.rank(probs, prefix, k)
            used += 1
            if tok in shown:
                accepted = True
                break
        if accepted:
            continue
        used += 1  # the space (or the key that accepts a next word offered right after this word)
        if j + 1 < len(surface) and ranker.finished_share(probs, tok) >= finished:
            pending = ranker.rank(rows[j + 1], "", k)
    return used, total


def language_metrics(
    predict: PredictFn, data: AutocompleteData, ranker: SuggestionRanker, chunk: int = 2000,
    finished: float = FINISHED_SHARE,
) -> dict[str, float]:
    """top1, top3, perplexity and ksr of one predictor of log-probabilities on the fixed test subsets."""
    hits1 = hits3 = n_words = 0
    nll = 0.0
    for lo in range(0, len(data.eval_x), chunk):
        out = np.asarray(predict([data.eval_x[lo : lo + chunk]])[0], dtype=np.float64)
        for i, row in enumerate(out):
            probs = log_softmax_to_probs(row)
            target = int(data.eval_y[lo + i])
            nll -= math.log(max(float(probs[target]), 1e-12))
            if data.eval_word[lo + i]:
                n_words += 1
                top = ranker.rank(probs, "", 3)
                word = data.eval_surface[lo + i]
                hits1 += int(top[:1] == [word])
                hits3 += int(word in top)
    windows = data.ksr_windows()
    used = total = 0
    offset = 0
    out_rows: list[np.ndarray] = []
    for lo in range(0, len(windows), chunk):
        out_rows.extend(np.asarray(predict([windows[lo : lo + chunk]])[0], dtype=np.float64))
    for m in data.ksr:
        n = len(m.ids) - 1
        rows = [log_softmax_to_probs(r) for r in out_rows[offset : offset + n]]
        offset += n
        u, t = simulate_typing(m.surface, rows, ranker, 3, finished)
        used += u
        total += t
    n_all = max(1, len(data.eval_x))
    return {
        "top1": hits1 / max(1, n_words),
        "top3": hits3 / max(1, n_words),
        "perplexity": math.exp(nll / n_all),
        "ksr": 1.0 - used / max(1, total),
    }


# ----------------------------------------------------------------------------------------------------
# the recipe
# ----------------------------------------------------------------------------------------------------


class AutocompleteRecipe(Recipe):
    name = registry.AUTOCOMPLETE
    task = "next-word autocomplete"
    kind = "recurrent"
    architecture = (f"embedding {FULL.embed} -> LSTM {FULL.hidden} (unroll, last {CONTEXT} tokens, masked) -> "
                    f"dense {FULL.project} -> dense {FULL.vocab} -> log-softmax")
    metric = MetricSpec("top3", higher_is_better=True, tolerance=0.005)
    sources = [
        {"name": "chitchat-dataset", "version": package_version("chitchat-dataset"), "license": "MIT",
         "use": "training and test data (messages of 7,168 casual chats)"},
    ]
    stateful = False
    precisions = ("fp32", "fp16", "dynamic", "int8", "int16x8")
    int8_io = True

    def __init__(self, sizes: Sizes | None = None):
        self.sizes_override = sizes

    def _sizes(self, quick: bool) -> Sizes:
        return self.sizes_override or (QUICK if quick else FULL)

    # -- data

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        sizes = self._sizes(quick)
        convs = load_conversations()
        split = split_conversations(len(convs), seed, sizes.conversations)
        texts = {name: [t for i in idx for t in convs[int(i)]] for name, idx in split.items()}
        counts: Counter[str] = Counter()
        for text in texts["train"]:
            counts.update(model_tokens(text))
        vocab = build_vocab(counts, sizes.vocab)
        lexicon = build_lexicon(texts["train"], sizes.lexicon_min_count)
        index = {t: i for i, t in enumerate(vocab.tokens)}
        enc = {name: [m for i in idx for m in encode_messages(convs[int(i)], index)] for name, idx in split.items()}

        rng = np.random.default_rng(seed + 1)
        positions = [(mi, j) for mi, m in enumerate(enc["test"]) for j in range(1, len(m.ids))]
        pick = rng.choice(len(positions), size=min(sizes.eval_positions, len(positions)), replace=False)
        pick.sort()
        eval_x = np.stack([enc["test"][positions[p][0]].window(positions[p][1]) for p in pick]).astype(np.int32)
        eval_y = np.array([enc["test"][positions[p][0]].ids[positions[p][1]] for p in pick], dtype=np.int32)
        eval_surface = [enc["test"][positions[p][0]].surface[positions[p][1] - 1] for p in pick]
        eval_word = np.array([is_word(s) for s in eval_surface], dtype=bool)
        ksr_pick = rng.choice(len(enc["test"]), size=min(sizes.ksr_messages, len(enc["test"])), replace=False)
        ksr = [enc["test"][int(i)] for i in sorted(ksr_pick)]

        payload = AutocompleteData(sizes, vocab, lexicon, enc["train"], enc["val"], enc["test"], eval_x, eval_y,
                                   eval_word, eval_surface, ksr)
        train_x, _ = training_chunks(enc["train"], CONTEXT)
        rep_idx = rng.choice(len(enc["train"]), size=min(300, len(enc["train"])), replace=False)
        representative = []
        for i in rep_idx:
            m = enc["train"][int(i)]
            j = int(rng.integers(1, len(m.ids) + 1))
            representative.append([m.window(j)[None, :]])
        n_tokens = {name: sum(len(m.ids) - 1 for m in ms) for name, ms in enc.items()}
        oov = {name: float(np.mean([i == UNK_ID for m in ms for i in m.ids[1:]])) if ms else 0.0
               for name, ms in enc.items()}
        summary = {
            "dataset": f"chitchat-dataset {package_version('chitchat-dataset')}",
            "conversations": {name: int(len(idx)) for name, idx in split.items()},
            "messages": {name: len(ms) for name, ms in enc.items()},
            "tokens": n_tokens,
            "oov_rate": {name: round(v, 4) for name, v in oov.items()},
            "vocabulary": len(vocab),
            "lexicon_words": len(lexicon.words),
            "context_tokens": CONTEXT,
            "training_chunks": int(len(train_x)),
            "eval_positions": int(len(eval_x)),
            "eval_word_positions": int(eval_word.sum()),
            "ksr_messages": len(ksr),
            "ksr_keys_without_suggestions": sum(len(t) + (1 if re.search(r"\w", t) else 0)
                                                for m in ksr for t in m.surface),
            "metric_definitions": {
                "top1/top3": "word targets of the sampled test positions; k most probable vocabulary words "
                             "(no punctuation, numbers, <unk>); out-of-vocabulary targets are misses",
                "perplexity": "all target tokens of the sampled positions, closed vocabulary with <unk>",
                "ksr": "typing the sampled test messages, 3 suggestions per keystroke (prefix filtering, "
                       "lexicon), word = letters + space, accepting = 1 key",
            },
        }
        logger.info("autocomplete data: %s", summary)
        return PreparedData(representative=representative, verify_inputs=[eval_x[:500]], payload=payload,
                            summary=summary)

    # -- model

    def build_models(self, sizes: Sizes, vocab_size: int) -> tuple[Any, Any, Any]:
        """(sequence model for training [B, T] -> [B, T, project], output layer, its layers).

        Training chunks are right-padded, so padding only follows the real tokens and never changes
        their outputs: no mask is needed (1.6x faster than a masked LSTM on this CPU). The shipped graph
        masks its left padding, which makes it compute exactly what this model computes.
        """
        import keras
        from keras import layers

        emb = layers.Embedding(vocab_size, sizes.embed, name="embedding")
        lstm = layers.LSTM(sizes.hidden, return_sequences=True, name="lstm")
        proj = layers.Dense(sizes.project, name="project")
        out = layers.Dense(vocab_size, name="output")
        inp = keras.Input((None,), dtype="int32")
        x = emb(inp)
        if sizes.dropout:
            x = layers.Dropout(sizes.dropout)(x)
        x = lstm(x)
        if sizes.dropout:
            x = layers.Dropout(sizes.dropout)(x)
        seq = keras.Model(inp, proj(x), name="autocomplete_train")
        out.build((None, sizes.project))
        return seq, out, (emb, lstm, proj)

    def inference_model(self, sizes: Sizes, vocab_size: int, trained: tuple[Any, Any, Any, Any]) -> Any:
        """Batch-1, unrolled graph over the last CONTEXT tokens with the trained weights."""
        import keras
        from keras import layers

        emb_t, lstm_t, proj_t, out_t = trained
        inp = keras.Input((CONTEXT,), batch_size=1, dtype="int32", name="context")
        emb = layers.Embedding(vocab_size, sizes.embed, mask_zero=True, name="embedding")
        lstm = layers.LSTM(sizes.hidden, unroll=True, name="lstm")
        proj = layers.Dense(sizes.project, name="project")
        out = layers.Dense(vocab_size, name="output")
        x = out(proj(lstm(emb(inp))))
        y = layers.Activation("log_softmax", name="log_probs")(x)
        model = keras.Model(inp, y, name="autocomplete")
        for new, old in ((emb, emb_t), (lstm, lstm_t), (proj, proj_t), (out, out_t)):
            new.set_weights(old.get_weights())
        return model

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        import keras
        import tensorflow as tf
        from tqdm.auto import tqdm

        p: AutocompleteData = data.payload
        sizes = p.sizes
        V = len(p.vocab)
        seq, out, (emb, lstm, proj) = self.build_models(sizes, V)
        cache = Path(work_dir) / f"trained-{self.training_key(p, seed)}"
        if cache.with_suffix(".weights.h5").is_file() and cache.with_suffix(".json").is_file():
            # Same data, sizes, seed and training code: the weights of that run are reused (a rebuild
            # after a change in evaluation or conversion does not pay for training again).
            model = self.inference_model(sizes, V, (emb, lstm, proj, out))
            model.load_weights(cache.with_suffix(".weights.h5"))
            p.training = json.loads(cache.with_suffix(".json").read_text(encoding="utf-8"))
            p.training["reused_weights"] = cache.name
            logger.info("autocomplete: reusing the trained weights %s", cache)
            self._record_training(data)
            return model
        rng = np.random.default_rng(seed + 2)
        train_x, train_y = training_chunks(p.train, CONTEXT, rng, sizes.previous_drop)
        val_x, val_y = training_chunks(p.val, CONTEXT)
        if len(val_x) > sizes.val_chunks:
            keep = np.sort(rng.choice(len(val_x), sizes.val_chunks, replace=False))
            val_x, val_y = val_x[keep], val_y[keep]
        # Buckets by chunk length: most chunks are short, padding them to the widest would double the work.
        lengths = (train_x > 0).sum(axis=1)
        widths = [4, 8, CONTEXT, train_x.shape[1]]
        buckets = [(lengths > lo) & (lengths <= hi) for lo, hi in zip([-1, *widths[:-1]], widths, strict=True)]

        def epoch_batches() -> list[tuple[np.ndarray, np.ndarray]]:
            batches = []
            for mask, width in zip(buckets, widths, strict=True):
                idx = np.flatnonzero(mask)
                rng.shuffle(idx)
                for lo in range(0, len(idx), sizes.batch):
                    sel = idx[lo : lo + sizes.batch]
                    batches.append((train_x[sel, :width], train_y[sel, :width]))
            order = rng.permutation(len(batches))
            return [batches[i] for i in order]

        # Output bias starts at the log unigram distribution: the model begins at unigram perplexity
        # instead of uniform (measured: validation perplexity 163 vs 267 after 300 steps).
        freq = np.bincount(train_y[train_y > 0], minlength=V).astype(np.float64) + 1.0
        out.bias.assign(np.log(freq / freq.sum()).astype(np.float32))
        steps_per_epoch = sum(math.ceil(int(m.sum()) / sizes.batch) for m in buckets)
        total_steps = steps_per_epoch * sizes.epochs
        schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=max(1, total_steps), alpha=0.05)
        opt = keras.optimizers.Adam(learning_rate=schedule, global_clipnorm=1.0)
        variables = seq.trainable_variables + out.trainable_variables
        opt.build(variables)
        spec = tf.TensorSpec([None, None], tf.int32)

        @tf.function(input_signature=[spec, spec])
        def train_step(x, y):
            with tf.GradientTape() as tape:
                h = seq(x, training=True)
                mask = y > 0
                hv = tf.boolean_mask(h, mask)
                yv = tf.cast(tf.boolean_mask(y, mask), tf.int64)[:, None]
                loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(
                    weights=tf.transpose(out.kernel), biases=out.bias, labels=yv, inputs=hv,
                    num_sampled=sizes.sampled, num_classes=V, seed=seed))
            grads = tape.gradient(loss, variables)
            opt.apply(grads, variables)
            return loss

        @tf.function(input_signature=[spec, spec])
        def val_step(x, y):
            h = seq(x, training=False)
            mask = y > 0
            logits = out(tf.boolean_mask(h, mask))
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.boolean_mask(y, mask), logits=logits)
            return tf.reduce_sum(nll), tf.reduce_sum(tf.cast(mask, tf.float32))

        def validate() -> float:
            s = n = 0.0
            for lo in range(0, len(val_x), 512):
                a, b = val_step(val_x[lo : lo + 512], val_y[lo : lo + 512])
                s += float(a)
                n += float(b)
            return s / max(n, 1.0)

        history: list[dict[str, float]] = []
        best = (float("inf"), None)
        started = time.monotonic()
        evals_per_epoch = 1 if quick else 2
        bad = 0
        stop = False
        for epoch in range(sizes.epochs):
            batches = epoch_batches()
            marks = {int(len(batches) * (i + 1) / evals_per_epoch) for i in range(evals_per_epoch)}
            bar = tqdm(batches, desc=f"autocomplete: train epoch {epoch + 1}/{sizes.epochs}", unit="step",
                       leave=False, disable=None)
            running = []
            for step, (x, y) in enumerate(bar, start=1):
                loss = float(train_step(x, y))
                running.append(loss)
                if step % 50 == 0:
                    bar.set_postfix(loss=f"{np.mean(running[-50:]):.3f}")
                if step in marks:
                    val = validate()
                    history.append({"epoch": epoch + step / len(batches), "train_sampled_loss": float(np.mean(running)),
                                    "val_loss": val, "val_perplexity": math.exp(val),
                                    "seconds": round(time.monotonic() - started, 1)})
                    logger.info("autocomplete: %s", history[-1])
                    running = []
                    if val < best[0] - 1e-4:
                        best = (val, [v.numpy().copy() for v in variables])
                        bad = 0
                    else:
                        bad += 1
                        if bad >= sizes.patience:
                            stop = True
                            break
            bar.close()
            if stop:
                break
        if best[1] is not None:
            for v, w in zip(variables, best[1], strict=True):
                v.assign(w)
        p.training = {"history": history, "best_val_loss": best[0], "best_val_perplexity": math.exp(best[0]),
                      "seconds": round(time.monotonic() - started, 1), "steps_per_epoch": steps_per_epoch,
                      "epochs_run": len(history) / evals_per_epoch, "batch": sizes.batch,
                      "sampled_negatives": sizes.sampled}
        self._record_training(data)
        model = self.inference_model(sizes, V, (emb, lstm, proj, out))
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        model.save_weights(cache.with_suffix(".weights.h5"))
        cache.with_suffix(".json").write_text(json.dumps(p.training), encoding="utf-8")
        return model

    @staticmethod
    def training_key(p: AutocompleteData, seed: int) -> str:
        """Fingerprint of everything that determines the trained weights."""
        import hashlib

        h = hashlib.sha256()
        h.update(json.dumps({"version": TRAINING_VERSION, "sizes": p.sizes.__dict__, "seed": seed,
                             "context": CONTEXT, "vocab": p.vocab.tokens}, sort_keys=True).encode())
        for m in p.train:
            h.update(np.asarray(m.ids, dtype=np.int32).tobytes())
        return h.hexdigest()[:16]

    @staticmethod
    def _record_training(data: PreparedData) -> None:
        p: AutocompleteData = data.payload
        data.summary["training"] = {k: v for k, v in p.training.items() if k != "history"}
        data.summary["training"]["history"] = [{k: round(v, 4) if isinstance(v, float) else v for k, v in h.items()}
                                               for h in p.training.get("history", [])]

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        V = len(data.payload.vocab)
        return (
            [TensorSpec("context", (1, CONTEXT), "int32", "token_ids",
                        f"last {CONTEXT} token ids (vocab asset), <s> starts a message, left-padded with 0")],
            [TensorSpec("log_probs", (1, V), "float32", "logits",
                        "log-probabilities of the next token (log-softmax)")],
        )

    # -- evaluation

    def ranker(self, data: PreparedData) -> SuggestionRanker:
        p: AutocompleteData = data.payload
        return SuggestionRanker(p.vocab.tokens, p.lexicon)

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        return language_metrics(predict, data.payload, self.ranker(data))

    def write_assets(self, data: PreparedData, out_dir: Path) -> dict[str, str]:
        p: AutocompleteData = data.payload
        p.vocab.save(out_dir / "vocab.json")
        p.lexicon.save(out_dir / "lexicon.json")
        return {"vocab": "vocab.json", "lexicon": "lexicon.json"}

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        from assistant.factory.kneser_ney import KneserNeyTrigram

        p: AutocompleteData = data.payload
        start = time.monotonic()
        kn = KneserNeyTrigram(len(p.vocab), BOS_ID, excluded=(PAD_ID,)).fit(m.ids[1:] for m in p.train)

        def predict(inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
            return [kn.log_probs(np.asarray(inputs[0]))]

        metrics = language_metrics(predict, p, self.ranker(data))
        data.summary["baseline_seconds"] = round(time.monotonic() - start, 1)
        return {"kneser_ney_trigram": metrics}
