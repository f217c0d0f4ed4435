"""The shipped TFLite VAD: speech found where there is speech, none in silence or noise, and the end-of-
utterance rule (hysteresis, pre-roll, a cap on length) does what it says."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.speech.vad import CHUNK, EndpointConfig, Endpointer, Segmenter, VoiceActivity

SR = 16000


def test_auto_picks_a_shipped_precision_from_measurements(vad, vad_catalog):
    from assistant.core.inference import policy

    decision = policy.select("vad", catalog=vad_catalog)
    assert decision.precision == vad.precision
    assert decision.source in ("factory", "calibration")
    shipped = {v.precision for v in vad_catalog.model("vad").shipped()}
    assert vad.precision in shipped and "int8" not in shipped  # full int8 is rejected by the factory


def test_speech_and_silence(vad, librivox):
    speech = librivox[0].samples
    signal = np.concatenate([np.zeros(SR, np.float32), speech, np.zeros(SR, np.float32)])
    probs = vad.probabilities(signal)
    lead = SR // CHUNK
    assert probs[: lead - 1].max() < 0.2  # a second of silence before
    assert np.mean(probs[lead + 2 : lead + speech.size // CHUNK - 2] > 0.5) > 0.8
    assert probs[-(lead - 16):].max() < 0.35  # silence after (the first half second may still hang over)
    noise = np.random.default_rng(0).normal(0, 0.02, 3 * SR).astype(np.float32)
    assert np.mean(vad.probabilities(noise) > 0.5) < 0.05


def test_every_shipped_precision_agrees_with_auto_on_real_speech(vad_catalog, librivox):
    signal = np.concatenate([np.zeros(SR // 2, np.float32), librivox[1].samples, np.zeros(SR // 2, np.float32)])
    decisions = {}
    for variant in vad_catalog.model("vad").shipped():
        decisions[variant.precision] = VoiceActivity(variant.precision, vad_catalog).probabilities(signal) > 0.5
    reference = decisions["fp32"]
    for precision, d in decisions.items():
        assert np.mean(d == reference) > 0.95, precision


def test_endpointer_hysteresis():
    cfg = EndpointConfig(threshold=0.5, neg_threshold=0.35, start_chunks=2, end_silence_ms=96)  # 3 chunks
    ep = Endpointer(cfg)
    assert [ep.push(p) for p in (0.9, 0.1, 0.9)] == [None, None, None]  # one loud chunk is not a start
    assert ep.push(0.9) == "start"
    # Between the thresholds the utterance goes on; only 3 chunks below 0.35 end it.
    assert [ep.push(p) for p in (0.4, 0.3, 0.3, 0.45, 0.3, 0.3)] == [None] * 6
    assert ep.push(0.2) == "end" and not ep.in_speech


def test_endpointer_caps_an_endless_utterance():
    ep = Endpointer(EndpointConfig(start_chunks=1, max_utterance_s=1.0))
    events = [ep.push(0.99) for _ in range(80)]
    assert events[0] == "start" and "end" in events
    assert events.index("end") <= int(SR / CHUNK) + 1


def test_segmenter_finds_two_utterances_with_pre_roll(vad, say):
    first, second = say("what time is it"), say("cancel my timer")
    gap = np.zeros(SR, np.float32)
    signal = np.concatenate([gap[: SR // 2], first, gap, second, gap[: SR // 2]])
    found = Segmenter(vad).utterances(signal)
    assert len(found) == 2
    start_2 = (SR // 2 + first.size + SR) / SR
    assert found[0].start < 0.5 + 0.05 and found[1].start < start_2 + 0.05  # pre-roll reaches back
    assert found[0].end < start_2 and found[1].end > start_2 + second.size / SR - 0.1
    for utt in found:
        assert utt.samples.size == pytest.approx((utt.end - utt.start) * SR, abs=CHUNK)


def test_feeding_odd_block_sizes_gives_the_same_decisions(vad, say):
    signal = np.concatenate([np.zeros(8000, np.float32), say("add milk to my shopping list"), np.zeros(8000, np.float32)])
    whole = vad.probabilities(signal)
    vad.reset()
    parts, pos = [], 0
    for size in [7, 300, 1024, 513, 2000] * 100:
        if pos >= signal.size:
            break
        parts += [p for _, p in vad.process(signal[pos : pos + size])]
        pos += size
    vad.reset()
    assert np.allclose(np.array(parts), whole, atol=1e-6)


def test_a_damaged_vad_file_falls_back_to_another_precision(tmp_path, vad_catalog):
    import shutil

    from assistant.core.inference.catalog import Catalog

    models = tmp_path / "models"
    shutil.copytree(vad_catalog.models_dir, models)
    chosen = VoiceActivity(catalog=Catalog.load(models)).precision
    path = models / "vad" / f"vad.{chosen}.tflite"
    path.write_bytes(path.read_bytes()[:1000])
    fallback = VoiceActivity(catalog=Catalog.load(models))
    assert fallback.precision != chosen
    assert chosen in fallback.engine.reason
