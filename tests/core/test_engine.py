"""The engine on real .tflite files of every precision the factory makes (tests/fixtures/engine)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.inference.catalog import Catalog
from assistant.core.inference.engine import Engine, EngineError
from assistant.core.inference.runner import ModelRunner
from tests.conftest import ENGINE_FIXTURES

PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "int16x8")


@pytest.fixture(scope="module")
def digits():
    data = np.load(ENGINE_FIXTURES / "digits_heldout.npz")
    return data["x"], data["y"]


@pytest.mark.parametrize("precision", PRECISIONS)
def test_every_precision_runs_and_agrees_with_fp32(precision, digits):
    x, y = digits
    reference = ModelRunner(ENGINE_FIXTURES / "digits.fp32.tflite").run([x])[0]
    runner = ModelRunner(ENGINE_FIXTURES / f"digits.{precision}.tflite")
    probs = runner.run([x])[0]
    assert probs.dtype == np.float32 and probs.shape == (len(x), 10)
    # Integer variants must be de-quantized back to probabilities.
    assert np.allclose(probs.sum(axis=1), 1.0, atol=0.05)
    agreement = (probs.argmax(1) == reference.argmax(1)).mean()
    assert agreement >= 0.97, f"{precision} agrees with fp32 on only {agreement:.3f}"
    assert (probs.argmax(1) == y).mean() > 0.8


def test_int8_variant_has_integer_io_that_the_engine_quantizes(digits):
    x, _ = digits
    runner = ModelRunner(ENGINE_FIXTURES / "digits.int8.tflite")
    assert runner.input_details[0]["dtype"] == np.int8
    scale, zero = runner.input_details[0]["quantization"]
    assert scale > 0
    # Feeding float gives the same answer as feeding the quantized ints ourselves.
    q = np.clip(np.round(x[:5] / scale + zero), -128, 127).astype(np.int8)
    assert np.array_equal(runner.run([x[:5]])[0], runner.run([q])[0])


def test_token_ids_are_never_quantized():
    data = np.load(ENGINE_FIXTURES / "tokens_heldout.npz")
    for precision in ("fp32", "int8"):
        runner = ModelRunner(ENGINE_FIXTURES / f"tokens.{precision}.tflite")
        assert runner.input_details[0]["dtype"] == np.int32
        assert not runner.input_details[0]["quantization"][0]
        probs = runner.run([data["x"]])[0]
        assert (probs.argmax(1) == data["y"]).mean() > 0.95
        assert np.abs(probs - data["keras_probs"]).max() < 0.05


def test_batch_and_single_sample_give_the_same_result(digits):
    x, _ = digits
    runner = ModelRunner(ENGINE_FIXTURES / "digits.dynamic.tflite")
    batched = runner.run([x[:7]])[0]
    singles = np.concatenate([runner.run([x[i : i + 1]])[0] for i in range(7)])
    assert np.allclose(batched, singles, atol=1e-5)


def test_wrong_input_shape_is_a_clear_error(digits):
    runner = ModelRunner(ENGINE_FIXTURES / "digits.fp32.tflite")
    with pytest.raises(EngineError, match="expects shape"):
        runner.run([np.zeros((1, 63), np.float32)])


def test_damaged_and_missing_files_raise_engine_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(EngineError, match="cannot load"):
        ModelRunner(bad)
    with pytest.raises(EngineError, match="missing"):
        ModelRunner(tmp_path / "nope.tflite")


def test_engine_swaps_precision_at_run_time(models_dir, digits):
    x, _ = digits
    engine = Engine("digits", precision="fp32")
    assert engine.precision == "fp32"
    a = engine.run(x[:3])[0]
    assert engine.set_precision("int8") == "int8"
    b = engine.run(x[:3])[0]
    assert engine.precision == "int8"
    assert (a.argmax(1) == b.argmax(1)).all()


def test_truncated_variant_falls_back_to_next_best(models_dir, digits):
    path = models_dir / "digits" / "digits.int8.tflite"
    path.write_bytes(path.read_bytes()[:1000])
    engine = Engine("digits", precision="int8")
    assert engine.precision != "int8"
    assert "truncated" in engine.fallback_reason
    assert engine.run(digits[0][:2])[0].shape == (2, 10)


def test_wrong_checksum_falls_back(models_dir):
    path = models_dir / "digits" / "digits.dynamic.tflite"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    catalog = Catalog.load()
    assert "checksum" in catalog.check("digits", "dynamic").reason
    engine = Engine("digits", precision="dynamic", catalog=catalog)
    assert engine.precision != "dynamic" and "checksum" in engine.fallback_reason


def test_no_usable_variant_is_a_clear_error(models_dir):
    for f in (models_dir / "digits").glob("*.tflite"):
        f.unlink()
    with pytest.raises(EngineError, match="no usable variant"):
        Engine("digits")


def test_missing_manifest_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    catalog = Catalog.load()
    assert catalog.problems and "no model manifest" in catalog.problems[0]
    with pytest.raises(EngineError, match="not available"):
        Engine("chatbot", catalog=catalog)


def test_damaged_manifest_is_reported_not_raised(tmp_path):
    (tmp_path / "manifest.json").write_text("{ not json")
    catalog = Catalog.load(tmp_path)
    assert catalog.models == {} and "damaged" in catalog.problems[0]
