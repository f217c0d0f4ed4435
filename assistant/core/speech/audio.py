"""Audio in the one form every speech model here takes: 16 kHz, mono, float32 in [-1, 1].

Files are read with soundfile (WAV, FLAC, OGG; 8/16/24/32-bit integer and float samples) or as headerless
16-bit little-endian PCM (.raw/.pcm, 16 kHz unless told otherwise); any rate is resampled with soxr and
any channel count is averaged to mono. A file that cannot be read becomes an AudioError whose message
says what is wrong with it in words, never a traceback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
RAW_SUFFIXES = (".raw", ".pcm")
SILENCE_DBFS = -60.0  # a recording whose loudest 32 ms stays below this holds no speech
MAX_SECONDS = 3 * 3600.0  # a longer file is refused rather than read into memory


class AudioError(ValueError):
    """An audio file or stream that cannot be used; the message is meant for the user."""


@dataclass(frozen=True)
class Audio:
    """Samples at 16 kHz mono and where they came from."""

    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    source_rate: int
    source_channels: int
    source_format: str  # e.g. "WAV PCM_16", "raw PCM_16"

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE


def to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM (8-bit unsigned, 16/32-bit signed) or float samples as float32 in [-1, 1]."""
    samples = np.asarray(samples)
    if samples.dtype == np.uint8:
        return (samples.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(samples.dtype, np.integer):
        return (samples.astype(np.float32) / float(-np.iinfo(samples.dtype).min)).astype(np.float32)
    return samples.astype(np.float32, copy=False)


def to_mono_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono (channels averaged, frames x channels in) at 16 kHz (soxr, high quality), float32."""
    x = to_float(samples)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    elif x.ndim != 1:
        raise AudioError(f"audio must be frames x channels, got an array of shape {x.shape}")
    if rate <= 0:
        raise AudioError(f"the sample rate {rate} Hz is not a rate")
    if rate != SAMPLE_RATE and x.size:
        import soxr

        x = soxr.resample(x, rate, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(np.clip(x, -1.0, 1.0), dtype=np.float32)


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB relative to full scale (-inf for digital silence): the level meter's reading."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * math.log10(rms) if rms > 0 else -math.inf


def loudest_dbfs(samples: np.ndarray, chunk: int = 512) -> float:
    """The level of the loudest 32 ms chunk (tells a silent file from a quiet one)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return -math.inf
    count = max(1, x.size // chunk)
    frames = x[: count * chunk].reshape(count, -1) if x.size >= chunk else x.reshape(1, -1)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    top = float(rms.max())
    return 20.0 * math.log10(top) if top > 0 else -math.inf


def load_file(path: str | Path, raw_rate: int = SAMPLE_RATE) -> Audio:
    """Read an audio file into 16 kHz mono float32; AudioError with a clear message otherwise.

    Raises for a missing or empty file, a file that is not audio (or a damaged one), a recording of
    zero length or longer than MAX_SECONDS. A silent recording is returned (callers decide; see
    `loudest_dbfs`).
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path} is a folder, not an audio file")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(f"{path.name} is empty (0 bytes)")
    if path.suffix.lower() in RAW_SUFFIXES:
        if size % 2:
            raise AudioError(f"{path.name}: raw audio must be 16-bit samples, but the file has an odd number of bytes")
        if size / 2 / raw_rate > MAX_SECONDS:
            raise AudioError(f"{path.name} is longer than {MAX_SECONDS / 3600:.0f} hours")
        data = np.fromfile(path, dtype="<i2")
        return Audio(to_mono_16k(data, raw_rate), raw_rate, 1, "raw PCM_16")
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:  # "Format not recognised", truncated headers ...
        raise AudioError(f"{path.name} is not an audio file this app can read (WAV, FLAC or OGG): "
                         f"{_short(exc)}") from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{path.name} holds no audio (0 samples)")
    if info.frames / info.samplerate > MAX_SECONDS:
        raise AudioError(f"{path.name} is {info.frames / info.samplerate / 3600:.1f} hours long; "
                         f"the limit is {MAX_SECONDS / 3600:.0f} hours")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioError(f"{path.name} is damaged: {_short(exc)}") from exc
    if data.size == 0:
        raise AudioError(f"{path.name} holds no audio (0 samples)")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"{path.name} is damaged: it holds samples that are not numbers")
    return Audio(to_mono_16k(data, int(rate)), int(rate), int(data.shape[1]), f"{info.format} {info.subtype}")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return text[:200]
