"""Speech audio for the factory and the speech benchmark: real recordings and synthetic commands.

Nothing here is committed: the recordings are read from the Debian package `pocketsphinx-testdata`
(LibriVox "Sense and Sensibility" excerpts with transcripts, the "cards" commands, "go forward",
numbers; CMU Sphinx, BSD-style license) and spoken commands are synthesised with espeak-ng (Debian
`espeak-ng`, GPL-3; the sound it makes is ours to use). The few seconds of each are turned into
labelled voice-activity material: silence around the speech, white or brown noise at a chosen SNR,
and one label per 32 ms chunk from the clean signal's energy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.core.speech.audio import SAMPLE_RATE, load_file

logger = logging.getLogger(__name__)

TESTDATA = Path(os.environ.get("ASSISTANT_SPHINX_TESTDATA", "/usr/share/pocketsphinx/test/data"))
APT_PACKAGES = ("pocketsphinx-testdata", "espeak-ng")
CHUNK = 512  # 32 ms at 16 kHz: one VAD decision

# (kind, SNR in dB); None = no noise. The noise covers the silence too, as a room does.
CONDITIONS: tuple[tuple[str, float | None], ...] = (
    ("clean", None), ("white", 20.0), ("white", 10.0), ("brown", 10.0), ("brown", 5.0), ("white", 5.0),
)

# Sentences the VAD is evaluated on, and others (disjoint) it is calibrated on, with disjoint voices.
EVAL_PHRASES = (
    "set a timer for ten minutes", "what is on my shopping list", "remind me to water the plants at six",
    "how much time is left on the pizza timer", "what's the date today", "add coffee to the grocery list",
)
EVAL_VOICES = (("en-us", 160), ("en-gb+f3", 140))
CALIBRATION_PHRASES = (
    "what time is it", "take a note that the keys are in the drawer", "cancel my timer",
    "what is twenty one times four", "read me my notes", "good morning, how are you",
)
CALIBRATION_VOICES = (("en-gb-scotland", 170), ("en-us+m3", 130))


class SpeechDataMissing(RuntimeError):
    """A recording package or espeak-ng is not installed; the message names the apt-get line."""


@dataclass
class Recording:
    key: str
    samples: np.ndarray  # float32, 16 kHz mono
    text: str  # what is said ("" when unknown)
    source: str  # librivox | cards | sphinx | espeak


def _require(path: Path) -> Path:
    if not path.exists():
        raise SpeechDataMissing(f"{path} is missing: install the recordings with "
                                f"'sudo apt-get install {' '.join(APT_PACKAGES)}'")
    return path


def _transcripts(path: Path) -> dict[str, str]:
    """'<s> words </s> (id)' or 'words (id)' lines -> {id: words}."""
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"^(.*)\(([^()]+)\)\s*$", line.strip())
        if match:
            words = re.sub(r"</?s>", " ", match.group(1)).lower()
            out[match.group(2).strip()] = " ".join(words.split())
    return out


def librivox() -> list[Recording]:
    """The five LibriVox excerpts (about 25 s of read speech) with their transcripts."""
    folder = _require(TESTDATA / "librivox")
    texts = _transcripts(folder / "transcription")
    return [Recording(f.stem, load_file(f).samples, texts.get(f.stem, ""), "librivox")
            for f in sorted(folder.glob("*.wav"))]


def cards() -> list[Recording]:
    """Five short spoken card names ("ten of clubs")."""
    folder = _require(TESTDATA / "cards")
    texts = _transcripts(folder / "cards.transcription")
    return [Recording(f"cards_{f.stem}", load_file(f).samples, texts.get(f.stem, ""), "cards")
            for f in sorted(folder.glob("*.wav"))]


def sphinx_raw() -> list[Recording]:
    """goforward, numbers and something: 16-bit 16 kHz raw recordings."""
    folder = _require(TESTDATA)
    names = ("goforward", "numbers", "something")
    return [Recording(n, load_file(folder / f"{n}.raw").samples, "", "sphinx") for n in names
            if (folder / f"{n}.raw").is_file()]


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak(text: str, voice: str, speed: int, cache: Path | None = None) -> Recording:
    """`text` spoken by espeak-ng (`voice`, words per minute), resampled to 16 kHz; cached by content."""
    if not espeak_available():
        raise SpeechDataMissing("espeak-ng is not installed: 'sudo apt-get install espeak-ng'")
    digest = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:12]
    key = f"espeak_{voice.replace('+', '_')}_{speed}_{digest}"
    target = (cache / f"{key}.wav") if cache else None
    if target is None or not target.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "say.wav"
            proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text],
                                  capture_output=True, text=True, timeout=60, check=False)
            if proc.returncode != 0 or not out.is_file():
                raise SpeechDataMissing(f"espeak-ng -v {voice} failed: {proc.stderr.strip()[-200:]}")
            if target is None:
                return Recording(key, load_file(out).samples, text, "espeak")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(out), target)
    return Recording(key, load_file(target).samples, text, "espeak")


def spoken(phrases: tuple[str, ...], voices: tuple[tuple[str, int], ...], cache: Path | None) -> list[Recording]:
    return [espeak(p, v, s, cache) for v, s in voices for p in phrases]


def chunk_levels(samples: np.ndarray) -> np.ndarray:
    """RMS level in dBFS of each whole 32 ms chunk (-120 for digital silence)."""
    count = samples.size // CHUNK
    frames = samples[: count * CHUNK].reshape(count, CHUNK).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def speech_labels(clean: np.ndarray, below_peak_db: float = 35.0, bridge_chunks: int = 3) -> np.ndarray:
    """One label per chunk: speech where the clean signal is within `below_peak_db` of its loud chunks
    (95th percentile), pauses of up to `bridge_chunks` inside speech bridged (between words)."""
    levels = chunk_levels(clean)
    if levels.size == 0:
        return np.zeros(0, bool)
    peak = float(np.percentile(levels, 95))
    speech = levels > max(peak - below_peak_db, -60.0)
    idx = np.flatnonzero(speech)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= bridge_chunks + 1:
            speech[a:b] = True
    return speech


def noise(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """White or brown (integrated, high-passed so it does not drift) noise of unit RMS."""
    white = rng.standard_normal(size)
    if kind == "white":
        out = white
    elif kind == "brown":
        out = np.cumsum(white)
        out -= np.convolve(out, np.ones(801) / 801, mode="same")  # remove the random-walk drift
    else:
        raise ValueError(f"unknown noise {kind!r}")
    return (out / (np.sqrt(np.mean(out * out)) + 1e-12)).astype(np.float32)


@dataclass
class VadClip:
    """One recording in one condition: the signal the VAD hears and the labels of its chunks."""

    key: str  # recording key + condition
    signal: np.ndarray  # float32, a whole number of chunks
    labels: np.ndarray  # bool per chunk
    condition: str


def vad_clip(rec: Recording, kind: str, snr_db: float | None, rng: np.random.Generator,
             pad_s: tuple[float, float] = (0.6, 1.2)) -> VadClip:
    """Silence before and after the speech (random lengths in `pad_s`), noise at `snr_db` below the
    speech's level (speech chunks only), labels from the clean signal."""
    before, after = (int(rng.uniform(*pad_s) * SAMPLE_RATE) for _ in range(2))
    clean = np.concatenate([np.zeros(before, np.float32), rec.samples, np.zeros(after, np.float32)])
    clean = clean[: clean.size // CHUNK * CHUNK]
    labels = speech_labels(clean)
    signal = clean.copy()
    if snr_db is not None:
        frames = clean.reshape(-1, CHUNK)[labels]
        speech_rms = float(np.sqrt(np.mean(frames.astype(np.float64) ** 2))) if frames.size else 0.05
        signal = signal + noise(kind, signal.size, rng) * speech_rms * 10 ** (-snr_db / 20)
    peak = float(np.max(np.abs(signal))) if signal.size else 0.0
    if peak > 0.99:  # keep within full scale, as a sound card would (scales speech and noise alike)
        signal = signal * (0.99 / peak)
    name = "clean" if snr_db is None else f"{kind}_{snr_db:g}dB"
    return VadClip(f"{rec.key}:{name}", signal.astype(np.float32), labels, name)


def vad_clips(recordings: list[Recording], conditions: tuple[tuple[str, float | None], ...],
              seed: int) -> list[VadClip]:
    rng = np.random.default_rng(seed)
    return [vad_clip(rec, kind, snr, rng) for rec in recordings for kind, snr in conditions]


