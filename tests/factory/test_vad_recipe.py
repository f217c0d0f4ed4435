"""The VAD recipe: the Keras rebuild equals onnxruntime on the original, a quick build rejects full int8 with
the reason and tries a mixed variant, and multi-input models keep their inputs apart.

Needs TensorFlow (the factory extra), the silero-vad wheel (pip download) and the Debian recordings.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = [pytest.mark.factory, pytest.mark.slow]
pytest.importorskip("tensorflow")

from tests.conftest import REPO  # noqa: E402

WORK = REPO / ".factory-work" / "vad-test"


@pytest.fixture(scope="module")
def onnx_path():
    from assistant.factory.recipes.vad import silero_onnx

    try:
        return silero_onnx(WORK / "vad")
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"the silero-vad wheel could not be fetched from PyPI: {exc}")


def test_rebuild_equals_onnxruntime_chunk_by_chunk(onnx_path):
    from assistant.factory import speech_data
    from assistant.factory.vad_rebuild import OnnxSilero, build, windows

    model, weights = build(onnx_path)
    assert weights.ops["LSTM"] == 1 and model.input_shape == [(1, 576), (1, 2, 128)]
    reference = OnnxSilero(onnx_path)
    samples = speech_data.librivox()[0].samples[: 200 * 512]
    state_ref = state_ours = np.zeros((1, 2, 128), np.float32)
    worst = 0.0
    for w in windows(samples):
        p_ref, state_ref = reference.run(w, state_ref)
        p_ours, state_ours = (np.asarray(t) for t in model([w[None], state_ours], training=False))
        worst = max(worst, abs(p_ref - float(p_ours[0, 0])))
    assert worst < 1e-5
    assert np.max(np.abs(state_ref - state_ours)) < 1e-3


def test_a_different_graph_is_refused(tmp_path, onnx_path):
    import onnx

    from assistant.factory.vad_rebuild import SileroGraphError, read_weights

    model = onnx.load(str(onnx_path))
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 512
    changed = tmp_path / "other.onnx"
    onnx.save(model, str(changed))
    with pytest.raises(SileroGraphError, match="expected input"):
        read_weights(changed)


def test_the_runner_matches_inputs_by_name():
    from assistant.core.inference.runner import EngineError, ModelRunner

    path = REPO / "models" / "vad" / "vad.fp32.tflite"
    named = ModelRunner(path, input_names=["audio", "state"])
    assert [tuple(d["shape"]) for d in named.input_details] == [(1, 576), (1, 2, 128)]
    speech, state = named.run([np.zeros((1, 576), np.float32), np.zeros((1, 2, 128), np.float32)])
    assert speech.shape == (1, 1) and state.shape == (1, 2, 128)
    with pytest.raises(EngineError, match="do not match the contract"):
        ModelRunner(path, input_names=["audio", "hidden"])


@pytest.fixture(scope="module")
def quick_build(tmp_path_factory):
    from assistant.factory.pipeline import BuildOptions, build

    models = tmp_path_factory.mktemp("models")
    result = build("vad", BuildOptions(models_dir=models, work_dir=WORK, quick=True, bench_runs=10, progress=False))
    return models, result


def test_quick_build_rejects_int8_and_tries_mixed(quick_build):
    models, _ = quick_build
    entry = json.loads((models / "manifest.json").read_text())["models"]["vad"]
    variants = entry["variants"]
    for precision in ("fp32", "fp16", "dynamic"):
        assert variants[precision]["status"] == "shipped"
        assert variants[precision]["quality"]["decision_agreement"] > 0.99
    assert variants["int8"]["status"] == "rejected" and "decision_agreement loses" in variants["int8"]["reason"]
    assert variants["int16x8"]["status"] == "unsupported" and "SQRT" in variants["int16x8"]["reason"]
    search = entry["analysis"]["mixed_search"]
    assert entry["analysis"]["float_first"][:2] == ["reflect_pad", "padded"]
    best = max(a["quality"]["decision_agreement"] for a in search if "quality" in a)
    assert best > variants["int8"]["quality"]["decision_agreement"]  # the float front end helps
    assert any("8 bits" in f for f in entry["findings"])
    assert {"webrtcvad (mode 2, 10 ms frames, majority per chunk)"} <= set(entry["baselines"])
    assert entry["vad"]["chunk"] == 512 and entry["vad"]["end_silence_ms"] > 0
    report = (models / "REPORT.md").read_text()
    assert "What the analysis found" in report and "reflect_pad" in report
