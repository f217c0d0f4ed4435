"""Audio in: every rate, channel count and sample format becomes the same 16 kHz mono signal, and a bad file
gets a sentence saying what is wrong with it."""

from __future__ import annotations

import re
import wave

import numpy as np
import pytest
import soundfile as sf

from assistant.core.speech.audio import (
    SAMPLE_RATE,
    AudioError,
    level_dbfs,
    load_file,
    loudest_dbfs,
    to_mono_16k,
)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


def test_resampling_keeps_a_tone_at_its_frequency():
    for rate in (8000, 22050, 44100, 48000):
        t = np.arange(rate) / rate
        tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
        out = to_mono_16k(tone.astype(np.float32), rate)
        assert abs(out.size - SAMPLE_RATE) <= 2
        spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size)))
        peak_hz = np.argmax(spectrum) * SAMPLE_RATE / out.size
        assert abs(peak_hz - 440.0) < 2.0, rate
        assert abs(level_dbfs(out) - level_dbfs(tone)) < 0.2


def test_integer_formats_scale_to_the_same_floats():
    x = np.array([0.0, 0.5, -0.5, 0.25], np.float32)
    u8 = np.round(x * 128 + 128).astype(np.uint8)
    i16 = np.round(x * 32768).astype(np.int16)
    i32 = np.round(x * 2**31).astype(np.int64).clip(-(2**31), 2**31 - 1).astype(np.int32)
    for data in (u8, i16, i32):
        assert np.allclose(to_mono_16k(data, SAMPLE_RATE), x, atol=1 / 128)


@pytest.fixture(scope="module")
def command(say):
    # A command whose words survive the 8 kHz telephone band: "set a timer for ten minutes" at 8 kHz is
    # heard as "and timer for 10 minutes" (the "s" lives above 4 kHz), in memory as from a file.
    return say("add milk to my shopping list", "en-us", 150)


FORMATS = [
    ("8k.wav", 8000, 1, "PCM_16"), ("22k.wav", 22050, 1, "PCM_16"), ("44k.wav", 44100, 1, "PCM_16"),
    ("48k.wav", 48000, 1, "PCM_16"), ("stereo.wav", 16000, 2, "PCM_16"), ("u8.wav", 16000, 1, "PCM_U8"),
    ("float.wav", 44100, 2, "FLOAT"), ("24bit.wav", 48000, 1, "PCM_24"), ("flac.flac", 22050, 1, "PCM_16"),
]


def _write(path, samples16k: np.ndarray, rate: int, channels: int, subtype: str) -> None:
    import soxr

    x = soxr.resample(samples16k, SAMPLE_RATE, rate) if rate != SAMPLE_RATE else samples16k
    if channels == 2:  # the left channel a little louder, as real stereo is
        x = np.stack([x * 0.9, x * 0.7], axis=1)
    sf.write(str(path), x, rate, subtype=subtype)


def test_every_format_reads_as_the_same_signal(tmp_path, command):
    for name, rate, channels, subtype in FORMATS:
        path = tmp_path / name
        _write(path, command, rate, channels, subtype)
        audio = load_file(path)
        assert audio.source_rate == rate and audio.source_channels == channels
        assert abs(audio.samples.size - command.size) <= 3, name
        n = min(audio.samples.size, command.size)
        corr = np.corrcoef(audio.samples[:n], command[:n])[0, 1]
        assert corr > 0.97, (name, corr)


def test_every_format_transcribes_to_the_same_words(tmp_path, command, whisper, vad):
    from assistant.core.speech.audio import Audio
    from assistant.core.speech.stream import transcribe_audio, transcribe_file

    reference = _words(transcribe_audio(Audio(command, SAMPLE_RATE, 1, "x"), whisper, vad).text)
    assert reference == ["add", "milk", "to", "my", "shopping", "list"], reference
    raw = tmp_path / "command.raw"
    (np.clip(command, -1, 1) * 32767).astype("<i2").tofile(raw)
    paths = [raw]
    for name, rate, channels, subtype in FORMATS:
        paths.append(tmp_path / name)
        _write(paths[-1], command, rate, channels, subtype)
    for path in paths:
        # Measured 2026-12-02 on a fresh environment with the locked versions: the 8-bit file and the FLAC
        # file (one LSB from the WAV) hear "add" as "and"; whisper tiny.en sits at the edge on this command.
        # Every format must still give the same words but at most one.
        words = _words(transcribe_file(path, whisper, vad).text)
        assert len(words) == len(reference) and sum(w != r for w, r in zip(words, reference, strict=True)) <= 1, (path.name, words)


def test_bad_files_get_a_sentence(tmp_path):
    cases = {}
    cases["missing"] = tmp_path / "nope.wav"
    (tmp_path / "empty.wav").write_bytes(b"")
    cases["empty"] = tmp_path / "empty.wav"
    (tmp_path / "text.wav").write_text("this is not audio\n")
    cases["not audio"] = tmp_path / "text.wav"
    (tmp_path / "photo.flac").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    cases["png"] = tmp_path / "photo.flac"
    with wave.open(str(tmp_path / "zero.wav"), "wb") as w:  # a valid header and no samples
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
    cases["no samples"] = tmp_path / "zero.wav"
    good = tmp_path / "good.wav"
    sf.write(str(good), np.zeros(16000, np.float32), 16000)
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:30])  # the header cut in the middle
    cases["truncated header"] = tmp_path / "cut.wav"
    (tmp_path / "odd.raw").write_bytes(b"\x00\x01\x02")
    cases["odd raw"] = tmp_path / "odd.raw"
    cases["folder"] = tmp_path
    expected = {"missing": "no such file", "empty": "empty", "not audio": "not an audio file",
                "png": "not an audio file", "no samples": "no audio", "truncated header": "not an audio file",
                "odd raw": "odd number of bytes", "folder": "is a folder"}
    for case, path in cases.items():
        with pytest.raises(AudioError) as info:
            load_file(path)
        message = str(info.value)
        assert expected[case] in message, (case, message)
        assert "Traceback" not in message and len(message) < 300


def test_silence_and_a_file_cut_short(tmp_path, command, whisper, vad):
    from assistant.core.speech.stream import NoSpeech, transcribe_file

    quiet = tmp_path / "quiet.wav"
    sf.write(str(quiet), np.random.default_rng(0).normal(0, 1e-4, 32000).astype(np.float32), 16000)
    assert loudest_dbfs(load_file(quiet).samples) < -60
    with pytest.raises(NoSpeech, match="silent"):
        transcribe_file(quiet, whisper, vad)
    noise = tmp_path / "hum.wav"  # loud but not speech: a 50 Hz hum
    t = np.arange(48000) / 16000
    sf.write(str(noise), (0.3 * np.sin(2 * np.pi * 50 * t)).astype(np.float32), 16000)
    with pytest.raises(NoSpeech, match="no speech found"):
        transcribe_file(noise, whisper, vad)
    # A WAV whose data stops early (a copy interrupted): the samples that are there are read.
    full = tmp_path / "full.wav"
    sf.write(str(full), command, 16000, subtype="PCM_16")
    cut = tmp_path / "cut_data.wav"
    cut.write_bytes(full.read_bytes()[: 44 + command.size])  # half the samples
    audio = load_file(cut)
    assert 0 < audio.samples.size < command.size
