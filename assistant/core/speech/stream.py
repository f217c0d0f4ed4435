"""The streaming loop (DESIGN.md habit 4): source -> VAD endpointer -> engine, on a thread of its own.

`Transcriber.start()` starts the thread; every event goes to a `queue.Queue` (and to `on_event`, called
on the worker thread, when given). `stop()` sets the stop event, closes the source, joins the thread and
returns the events nobody took yet. The UI adapter re-emits events as Qt signals; nothing here knows Qt.

`transcribe_audio` / `transcribe_file` do the same for a whole recording without a thread: the VAD cuts
it into utterances and the engine decodes each.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.speech.audio import (
    SAMPLE_RATE,
    SILENCE_DBFS,
    Audio,
    AudioError,
    level_dbfs,
    load_file,
    loudest_dbfs,
)
from assistant.core.speech.engines import Final, Partial, SpeechEngine
from assistant.core.speech.vad import EndpointConfig, Segmenter, VoiceActivity

logger = logging.getLogger(__name__)

LEVEL_EVERY_S = 0.1  # how often the level meter gets a reading


class Source(Protocol):
    finished: bool

    def start(self) -> None: ...
    def read(self, timeout: float = 0.1) -> np.ndarray | None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Level:
    dbfs: float
    time: float  # seconds into the stream


@dataclass(frozen=True)
class SpeechStarted:
    time: float


@dataclass(frozen=True)
class SpeechEnded:
    time: float  # seconds into the stream where the VAD declared the end


@dataclass(frozen=True)
class Heard:
    """A final result with how long it took from the end of speech to the text."""

    final: Final
    latency_ms: float  # VAD's end-of-speech decision -> final text (wall clock)


@dataclass(frozen=True)
class StreamError:
    message: str


@dataclass(frozen=True)
class StreamStopped:
    reason: str  # "stopped" | "finished" | "error"


Event = Level | SpeechStarted | SpeechEnded | Partial | Heard | StreamError | StreamStopped


def hold_to_talk(config: EndpointConfig) -> EndpointConfig:
    """The endpointer for push-to-talk: speech still has to start, but only the release ends it."""
    return dataclasses.replace(config, end_silence_ms=3_600_000, max_utterance_s=120.0)


class Transcriber:
    """One listening session: `start()`, read `events` (or pass on_event), `stop()`."""

    def __init__(self, source: Source, engine: SpeechEngine, vad: VoiceActivity,
                 on_event: Callable[[Any], None] | None = None, config: EndpointConfig | None = None) -> None:
        """config: the endpointer's rule (default: the manifest's); push-to-talk passes `hold_to_talk()`,
        which never ends an utterance on silence: the key's release does (`finish()`)."""
        self.source = source
        self.engine = engine
        self.segmenter = Segmenter(vad, config)
        self.on_event = on_event
        self.events: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._finish = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this Transcriber is already running")
        self.source.start()  # raises MicrophoneError here, on the caller's thread, with its message
        self._thread = threading.Thread(target=self._run, name="speech-stream", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a file source to be used up; True when the loop has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def finish(self) -> None:
        """End the utterance now (push-to-talk released): what was heard is decoded, then the loop ends."""
        self._finish.set()

    def stop(self, timeout: float = 10.0) -> list[Any]:
        """Stop listening, join the thread, and return the events still queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("speech thread did not stop within %.0f s", timeout)
        self.source.close()
        left = []
        while True:
            try:
                left.append(self.events.get_nowait())
            except queue.Empty:
                return left

    def _emit(self, event: Any) -> None:
        self.events.put(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a listener's bug must not stop listening
                logger.exception("speech event listener failed")

    def _run(self) -> None:
        reason = "stopped"
        next_level = 0.0
        try:
            while not self._stop.is_set():
                if self._finish.is_set():
                    self._drain_source()
                    self._handle(self.segmenter.flush())
                    reason = "finished"
                    break
                block = self.source.read(0.1)
                if block is None:
                    if self.source.finished:
                        self._handle(self.segmenter.flush())
                        reason = "finished"
                        break
                    continue
                now = self.segmenter.chunks * 512 / SAMPLE_RATE
                if now >= next_level:
                    self._emit(Level(level_dbfs(block), now))
                    next_level = now + LEVEL_EVERY_S
                self._handle(self.segmenter.feed(block))
            else:
                self._handle(self.segmenter.flush())
        except Exception as exc:  # noqa: BLE001 - reported as an event, the thread ends cleanly
            logger.exception("speech stream failed")
            self._emit(StreamError(str(exc) or type(exc).__name__))
            reason = "error"
        finally:
            self._emit(StreamStopped(reason))

    def _drain_source(self) -> None:
        """Feed what the source already holds (the last words before the key came up)."""
        for _ in range(200):
            block = self.source.read(0.0)
            if block is None:
                return
            self._handle(self.segmenter.feed(block))

    def _handle(self, events: list[Any]) -> None:
        for ev in events:
            if ev.kind == "start":
                self._emit(SpeechStarted(ev.time))
                self.engine.begin(ev.time)
                partial = self.engine.accept(ev.samples)
                if partial is not None:
                    self._emit(partial)
            elif ev.kind == "audio":
                partial = self.engine.accept(ev.samples)
                if partial is not None and partial.text:
                    self._emit(partial)
            elif ev.kind == "end":
                declared = time.perf_counter()
                self._emit(SpeechEnded(ev.time))
                final = self.engine.end(ev.time)
                self._emit(Heard(final, (time.perf_counter() - declared) * 1000.0))


@dataclass
class Transcript:
    """A whole recording's text, as `assistant transcribe --json` prints it."""

    text: str
    engine: str
    model: str
    vad_precision: str
    rtf: float  # processing time / audio duration (VAD + recogniser, one call)
    seconds: float  # audio duration
    segments: list[Final] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text, "engine": self.engine, "model": self.model, "vad_precision": self.vad_precision,
            "rtf": round(self.rtf, 4), "seconds": round(self.seconds, 3),
            "segments": [{"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text,
                          "confidence": round(s.confidence, 4),
                          "words": [dataclasses.asdict(w) for w in s.words]} for s in self.segments],
        }


class NoSpeech(AudioError):
    """A recording in which the VAD finds no speech."""


def transcribe_audio(audio: Audio, engine: SpeechEngine, vad: VoiceActivity, name: str = "the recording") -> Transcript:
    """Cut `audio` into utterances with the VAD and decode each; NoSpeech when there are none."""
    loudest = loudest_dbfs(audio.samples)
    if loudest < SILENCE_DBFS:
        level = "digital silence" if math.isinf(loudest) else f"its loudest moment is {loudest:.0f} dBFS"
        raise NoSpeech(f"{name} is silent ({level}); nothing to transcribe")
    t = time.perf_counter()
    utterances = Segmenter(vad).utterances(audio.samples)
    if not utterances:
        raise NoSpeech(f"no speech found in {name} ({audio.seconds:.1f} s of audio, loudest {loudest:.0f} dBFS)")
    segments = [engine.transcribe(u.samples, u.start) for u in utterances]
    segments = [dataclasses.replace(s, start=u.start, end=u.end) for s, u in zip(segments, utterances, strict=True)]
    elapsed = time.perf_counter() - t
    text = " ".join(s.text for s in segments if s.text).strip()
    return Transcript(text, engine.name, engine.model_name, vad.precision, elapsed / max(audio.seconds, 1e-6),
                      audio.seconds, segments)


def transcribe_file(path: str | Path, engine: SpeechEngine, vad: VoiceActivity) -> Transcript:
    """`transcribe_audio` for a file (any rate, channels and sample format soundfile reads)."""
    audio = load_file(path)
    return transcribe_audio(audio, engine, vad, Path(path).name)
