"""Where audio comes from: the microphone (sounddevice) or a file/array (tests, benchmarks, `transcribe`).

Every source hands out 16 kHz mono float32 blocks from `read(timeout)`; None means nothing yet, and
`finished` turns True when a file is used up. The microphone opens at the device's own rate (many
cards refuse 16 kHz) and is resampled on the fly. No PortAudio library, no sound card, no input
device or a device that refuses to open become a MicrophoneError with a sentence, never a crash.
"""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.speech.audio import SAMPLE_RATE, Audio, AudioError, load_file

logger = logging.getLogger(__name__)

PORTAUDIO_HINT = "sudo apt-get install libportaudio2"


class MicrophoneError(AudioError):
    """No usable microphone; the message says why and what to do."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: int
    is_default: bool


def _sounddevice() -> Any:
    from assistant.core.inference.runtime import native_output_to_log

    try:
        with native_output_to_log():  # PortAudio's probing of absent sound servers is noise, not news
            import sounddevice
    except OSError as exc:  # the module imports, but the PortAudio library is missing
        raise MicrophoneError(f"audio input is not available: the PortAudio library is missing ({PORTAUDIO_HINT})") from exc
    except ImportError as exc:
        raise MicrophoneError("audio input is not available: the sounddevice package is not installed") from exc
    return sounddevice


def input_devices() -> list[InputDevice]:
    """Microphones the system offers (empty on a machine without a sound card)."""
    from assistant.core.inference.runtime import native_output_to_log

    sd = _sounddevice()
    try:
        with native_output_to_log():
            devices = sd.query_devices()
        default = sd.default.device[0] if sd.default.device else -1
    except Exception as exc:  # noqa: BLE001 - PortAudio errors are plain exceptions
        raise MicrophoneError(f"cannot list audio devices: {exc}") from exc
    return [InputDevice(i, str(d["name"]), int(d["max_input_channels"]), int(d["default_samplerate"]), i == default)
            for i, d in enumerate(devices) if int(d.get("max_input_channels", 0)) > 0]


class MicrophoneSource:
    """A live microphone. `device`: index or name (None = the system default)."""

    def __init__(self, device: int | str | None = None, block_ms: int = 32, max_blocks: int = 200) -> None:
        self.device = device
        self.block_ms = block_ms
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=max_blocks)
        self._stream: Any = None
        self._resampler: Any = None
        self.rate = 0
        self.dropped = 0
        self.finished = False

    def start(self) -> None:
        sd = _sounddevice()
        devices = input_devices()
        if not devices:
            raise MicrophoneError("no microphone found: this computer has no audio input device")
        try:
            info = sd.query_devices(self.device, "input")
        except Exception as exc:  # noqa: BLE001
            raise MicrophoneError(f"the microphone {self.device!r} is not available: {exc}") from exc
        self.rate = int(info["default_samplerate"]) or SAMPLE_RATE
        if self.rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        try:
            self._stream = sd.InputStream(device=self.device, channels=1, samplerate=self.rate, dtype="float32",
                                          blocksize=int(self.rate * self.block_ms / 1000), callback=self._callback)
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError: device busy, unplugged, refused rate
            self._stream = None
            raise MicrophoneError(f"cannot open the microphone ({info['name']}): {exc}") from exc
        logger.info("microphone %s open at %d Hz", info["name"], self.rate)

    def _callback(self, indata: np.ndarray, frames: int, timing: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:  # the consumer is behind: drop the oldest-style, count it
            self.dropped += 1

    def read(self, timeout: float = 0.1) -> np.ndarray | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if self._resampler is not None:
            block = self._resampler.resample_chunk(block)
        return np.asarray(block, np.float32)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # noqa: BLE001 - closing a vanished device must not raise
                logger.debug("closing the microphone: %s", exc)
        self.finished = True


class ArraySource:
    """Samples (16 kHz mono) or a file, handed out block by block; `realtime` paces them like a microphone."""

    def __init__(self, audio: np.ndarray | Audio | str | Path, block: int = 512, realtime: bool = False,
                 tail_silence_s: float = 0.0) -> None:
        if isinstance(audio, str | Path):
            audio = load_file(audio)
        samples = audio.samples if isinstance(audio, Audio) else np.asarray(audio, np.float32)
        if tail_silence_s:
            samples = np.concatenate([samples, np.zeros(int(tail_silence_s * SAMPLE_RATE), np.float32)])
        self.samples = samples
        self.block = block
        self.realtime = realtime
        self.rate = SAMPLE_RATE
        self._pos = 0
        self._t0: float | None = None
        self.finished = False

    def start(self) -> None:
        self._t0 = time.perf_counter()

    def read(self, timeout: float = 0.1) -> np.ndarray | None:
        if self._pos >= self.samples.size:
            self.finished = True
            return None
        if self.realtime:
            if self._t0 is None:
                self._t0 = time.perf_counter()
            due = self._t0 + (self._pos + self.block) / SAMPLE_RATE
            wait = due - time.perf_counter()
            if wait > timeout:
                time.sleep(timeout)
                return None
            if wait > 0:
                time.sleep(wait)
        block = self.samples[self._pos : self._pos + self.block]
        self._pos += self.block
        return block

    def close(self) -> None:
        self.finished = True
