"""Voice activity with the factory's TFLite VAD (Silero VAD v6 rebuilt), and the end-of-utterance rule.

`VoiceActivity` runs the model at the precision Auto chose (or the one asked for) on 512-sample chunks of
16 kHz audio, carrying the 64-sample context and the LSTM state from chunk to chunk as the model
contract says. `Endpointer` turns the probabilities into "speech started" and "speech ended" with
hysteresis: a start needs `start_chunks` chunks above `threshold`; an end needs `end_silence_ms` of
chunks below `neg_threshold`. `Segmenter` combines both and hands out each utterance's samples, with a
little audio from before the start (pre-roll), so the recogniser hears the first syllable whole.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.core.inference import registry
from assistant.core.speech.audio import SAMPLE_RATE

logger = logging.getLogger(__name__)

CHUNK = 512
CONTEXT = 64
UNITS = 128


@dataclass(frozen=True)
class EndpointConfig:
    """When speech starts and ends (the manifest's `vad` entry holds the factory's defaults)."""

    threshold: float = 0.5
    neg_threshold: float = 0.35
    start_chunks: int = 2
    end_silence_ms: int = 480
    pre_roll_ms: int = 320
    max_utterance_s: float = 20.0

    @classmethod
    def from_manifest(cls, extra: dict[str, Any] | None) -> EndpointConfig:
        extra = extra or {}
        known = {k: extra[k] for k in cls.__dataclass_fields__ if k in extra}
        return cls(**known)

    @property
    def end_chunks(self) -> int:
        return max(1, round(self.end_silence_ms / 1000 * SAMPLE_RATE / CHUNK))

    @property
    def pre_roll_chunks(self) -> int:
        return max(0, round(self.pre_roll_ms / 1000 * SAMPLE_RATE / CHUNK))


class VoiceActivity:
    """Speech probability per 32 ms chunk from the TFLite VAD; feed any number of samples at a time."""

    def __init__(self, precision: str | None = None, catalog: Any = None, num_threads: int = 1) -> None:
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.engine import Engine

        self.catalog = catalog if catalog is not None else Catalog.load()
        self.engine = Engine(registry.VAD, precision=precision, catalog=self.catalog, num_threads=num_threads)
        entry = self.catalog.model(registry.VAD)
        self.config = EndpointConfig.from_manifest(getattr(entry, "extra", {}).get("vad"))
        self._pending = np.zeros(0, np.float32)
        self.reset()

    @property
    def precision(self) -> str:
        return str(self.engine.precision)

    def reset(self) -> None:
        """A new stream: zero state and context, nothing pending."""
        self._state = np.zeros((1, 2, UNITS), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def chunk_probability(self, chunk: np.ndarray) -> float:
        """One 512-sample chunk -> probability of speech (the state moves on)."""
        window = np.concatenate([self._context, np.asarray(chunk, np.float32)])[None, :]
        speech, state = self.engine.run(window, self._state)
        self._state = np.asarray(state, np.float32).reshape(1, 2, UNITS)
        self._context = window[0, -CONTEXT:].copy()
        return float(np.asarray(speech).reshape(-1)[0])

    def process(self, samples: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Every whole chunk now available: (chunk samples, probability); the rest waits for more."""
        data = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        count = data.size // CHUNK
        out = [(data[i * CHUNK : (i + 1) * CHUNK], self.chunk_probability(data[i * CHUNK : (i + 1) * CHUNK]))
               for i in range(count)]
        self._pending = data[count * CHUNK :]
        return out

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities of a whole recording, from a fresh state."""
        self.reset()
        probs = np.array([p for _, p in self.process(samples)], np.float32)
        self.reset()
        return probs


class Endpointer:
    """Hysteresis on chunk probabilities: push() returns "start", "end" or None."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.in_speech = False
        self._above = 0
        self._below = 0
        self._chunks = 0

    def push(self, probability: float) -> str | None:
        c = self.config
        if not self.in_speech:
            self._above = self._above + 1 if probability >= c.threshold else 0
            if self._above >= c.start_chunks:
                self.in_speech, self._below, self._chunks = True, 0, self._above
                return "start"
            return None
        self._chunks += 1
        self._below = self._below + 1 if probability < c.neg_threshold else 0
        if self._below >= c.end_chunks or self._chunks * CHUNK >= c.max_utterance_s * SAMPLE_RATE:
            self.in_speech, self._above = False, 0
            return "end"
        return None


@dataclass
class Utterance:
    """The samples of one stretch of speech and where it lies in the stream (seconds)."""

    samples: np.ndarray
    start: float
    end: float
    ended_at_chunk: int = 0  # stream position (in chunks) when the end was declared


@dataclass
class SegmentEvent:
    kind: str  # "start" | "audio" | "end"
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # start: pre-roll too
    time: float = 0.0  # seconds into the stream
    utterance: Utterance | None = None  # on "end"


class Segmenter:
    """VAD + endpointer over a stream: events for speech start, audio inside speech, and speech end."""

    def __init__(self, vad: VoiceActivity, config: EndpointConfig | None = None) -> None:
        self.vad = vad
        self.config = config or vad.config
        self.endpointer = Endpointer(self.config)
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        self.endpointer.reset()
        self._history: deque[np.ndarray] = deque(maxlen=self.config.pre_roll_chunks + self.config.start_chunks)
        self._speech: list[np.ndarray] = []
        self._start_chunk = 0
        self.chunks = 0

    def feed(self, samples: np.ndarray) -> list[SegmentEvent]:
        events: list[SegmentEvent] = []
        for chunk, prob in self.vad.process(samples):
            self.chunks += 1
            now = self.chunks * CHUNK / SAMPLE_RATE
            was_speech = self.endpointer.in_speech
            change = self.endpointer.push(prob)
            if change == "start":
                head = list(self._history) + [chunk]
                self._speech = head
                self._start_chunk = self.chunks - len(head)
                events.append(SegmentEvent("start", np.concatenate(head), self._start_chunk * CHUNK / SAMPLE_RATE))
            elif was_speech:
                self._speech.append(chunk)
                if change == "end":
                    events.append(self._end(now))
                else:
                    events.append(SegmentEvent("audio", chunk, now))
            self._history.append(chunk)
        return events

    def _end(self, now: float) -> SegmentEvent:
        audio = np.concatenate(self._speech) if self._speech else np.zeros(0, np.float32)
        utt = Utterance(audio, self._start_chunk * CHUNK / SAMPLE_RATE, now, self.chunks)
        self._speech = []
        return SegmentEvent("end", np.zeros(0, np.float32), now, utt)

    def flush(self) -> list[SegmentEvent]:
        """The stream ended: close an utterance still open."""
        if not self.endpointer.in_speech:
            return []
        self.endpointer.reset()
        return [self._end(self.chunks * CHUNK / SAMPLE_RATE)]

    def utterances(self, samples: np.ndarray) -> list[Utterance]:
        """Every utterance of a whole recording (fresh state), in order."""
        self.reset()
        found = [e.utterance for e in self.feed(samples) + self.flush() if e.kind == "end" and e.utterance]
        self.reset()
        return found
