"""The whole factory pipeline on a real small recipe (scikit-learn digits, tiny Conv classifier).

Two builds per session: a clean `build digits --quick` through the CLI (five conversions, verification,
analysis, manifest, report, NOTICE), and a sabotaged build in which one converter child crashes and a
silently broken int8 variant (negated logits) is planted; the broken one must be rejected and a
selective "mixed" variant built instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.factory, pytest.mark.slow]
pytest.importorskip("tensorflow")

from assistant.core.inference.catalog import Catalog, sha256_file  # noqa: E402
from assistant.factory import recipes  # noqa: E402
from assistant.factory.__main__ import main  # noqa: E402
from assistant.factory.worker import CRASH_ENV  # noqa: E402
from tests.factory.digits_recipe import DigitsRecipe  # noqa: E402

CONVERTED = ("fp32", "fp16", "dynamic", "int8", "int16x8")


@pytest.fixture(scope="module")
def quick_build(tmp_path_factory):
    """`python -m assistant.factory build digits --quick` into a temporary models folder."""
    root = tmp_path_factory.mktemp("factory-quick")
    models, work = root / "models", root / "work"
    recipes.register("digits", DigitsRecipe)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ASSISTANT_HOME", str(root / "home"))
            mp.delenv(CRASH_ENV, raising=False)
            rc = main(["build", "digits", "--quick", "--out", str(models), "--work", str(work), "--runs", "20"])
    finally:
        recipes.unregister("digits")
    manifest = json.loads((models / "manifest.json").read_text(encoding="utf-8"))
    return {"rc": rc, "models": models, "work": work, "manifest": manifest, "root": root}


class NegatedInt8(DigitsRecipe):
    """Digits without int16x8, so the sabotaged build stays short."""

    precisions = ("fp32", "fp16", "dynamic", "int8")


def _plant_negated(work: Path):
    """after_convert hook: replace the int8 file by a model whose logits are negated (runs, looks fine)."""

    def hook(precision, result, out):
        if precision != "int8" or not result.ok:
            return
        import keras
        import tensorflow as tf

        model = keras.saving.load_model(work / "digits" / "digits.float.keras", compile=False)
        dense = model.get_layer("probs")
        kernel, bias = dense.get_weights()
        dense.set_weights([-kernel, -bias])
        out.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())

    return hook


@pytest.fixture(scope="module")
def sabotaged_build(tmp_path_factory):
    from assistant.factory.pipeline import BuildOptions, build

    root = tmp_path_factory.mktemp("factory-sabotaged")
    models, work = root / "models", root / "work"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_HOME", str(root / "home"))
        mp.setenv(CRASH_ENV, "fp16")  # the fp16 converter child aborts (SIGABRT), like a crashing converter
        result = build(
            NegatedInt8(),
            BuildOptions(models_dir=models, work_dir=work, quick=True, bench_runs=10, progress=False,
                         after_convert=_plant_negated(work)),
        )
    return {"result": result, "models": models, "manifest": json.loads((models / "manifest.json").read_text())}


# ------------------------------------------------------------------------------------ the clean build


def test_quick_build_ships_every_precision_with_matching_checksums(quick_build):
    assert quick_build["rc"] == 0
    models = quick_build["models"]
    entry = quick_build["manifest"]["models"]["digits"]
    assert set(CONVERTED) <= set(entry["variants"])
    for precision in ("fp32", "fp16", "dynamic", "int8"):
        assert entry["variants"][precision]["status"] == "shipped", entry["variants"][precision]
    int16 = entry["variants"]["int16x8"]
    assert int16["status"] == "shipped" or (int16["status"] == "unsupported" and int16["reason"])
    for precision, variant in entry["variants"].items():
        path = models / "digits" / f"digits.{precision}.tflite"
        if variant["status"] != "shipped":
            assert not path.exists()
            continue
        assert variant["file"] == f"digits/digits.{precision}.tflite"
        assert path.stat().st_size == variant["bytes"]
        assert sha256_file(path) == variant["sha256"]
        assert set(variant["latency_ms"]) >= {"p50_1t", "p95_1t", "p50_all", "p95_all"}
        assert 0 < variant["latency_ms"]["p50_1t"] <= variant["latency_ms"]["p95_1t"]
        assert variant["peak_memory_bytes"] > 0
        assert variant["agreement"]["top1"] >= 0.9
        assert 0 < variant["ratio_to_fp32"] <= 1.0001
    # Smaller precisions really are smaller.
    assert entry["variants"]["int8"]["bytes"] < entry["variants"]["fp16"]["bytes"] < entry["variants"]["fp32"]["bytes"]


def test_quick_build_quality_is_measured_not_invented(quick_build):
    entry = quick_build["manifest"]["models"]["digits"]
    float_acc = entry["float_reference"]["quality"]["accuracy"]
    fp32 = entry["variants"]["fp32"]
    assert float_acc > 0.85  # a real classifier trained on real digits
    assert abs(fp32["quality"]["accuracy"] - float_acc) < 1e-3
    assert fp32["agreement"]["max_abs_error"] < 1e-4
    # Recompute one variant's accuracy here, independently of the pipeline.
    from assistant.core.inference.runner import ModelRunner

    data = DigitsRecipe().prepare(quick_build["work"], True, 0)
    runner = ModelRunner(quick_build["models"] / "digits" / "digits.int8.tflite")
    x, y = data.payload["x_test"], data.payload["y_test"]
    pred = [runner.run([x[i : i + 1]])[0].argmax() for i in range(len(x))]
    acc = float((pred == y).mean())
    assert acc == pytest.approx(entry["variants"]["int8"]["quality"]["accuracy"], abs=1e-6)


def test_manifest_records_contract_versions_seed_and_the_app_can_read_it(quick_build):
    manifest = quick_build["manifest"]
    entry = manifest["models"]["digits"]
    assert manifest["schema"] == 1
    assert set(manifest["versions"]) >= {"python", "tensorflow", "keras", "numpy", "ai-edge-litert"}
    assert entry["build"]["seed"] == 0 and entry["build"]["quick"] is True
    assert entry["build"]["wall_time_s"] > 0
    assert "build digits --quick" in entry["build"]["command"]
    assert entry["inputs"][0]["role"] == "features" and entry["outputs"][0]["role"] == "probabilities"
    assert entry["assets"] == {"labels": "digits/labels.json"}
    assert (quick_build["models"] / "digits" / "labels.json").is_file()
    assert entry["parameters"] > 1000
    assert entry["baselines"]["logistic_regression"]["accuracy"] > 0.8
    # Full-int8 with a float features input: integer input and output.
    from assistant.core.inference.runner import ModelRunner

    runner = ModelRunner(quick_build["models"] / "digits" / "digits.int8.tflite")
    assert str(runner.input_details[0]["dtype"]).endswith("int8'>")
    assert str(runner.output_details[0]["dtype"]).endswith("int8'>")
    catalog = Catalog.load(quick_build["models"])
    assert not catalog.problems
    for variant in catalog.model("digits").shipped():
        assert catalog.check("digits", variant.precision).ok


def test_int8_per_layer_analysis_names_the_worst_layers(quick_build):
    layers = quick_build["manifest"]["models"]["digits"]["analysis"]["int8_layers"]
    assert layers["count"] >= 4
    worst = layers["worst"]
    ratios = [w["rmse_over_scale"] for w in worst]
    assert ratios == sorted(ratios, reverse=True) and ratios[0] > 0
    assert all(w["layer"] and w["op"] for w in worst)
    assert (quick_build["models"] / layers["csv"]).is_file()
    assert len(layers["outputs"]) == 1  # the softmax that produces "probs"


def test_report_plots_and_notice(quick_build):
    models = quick_build["models"]
    report = (models / "REPORT.md").read_text(encoding="utf-8")
    entry = quick_build["manifest"]["models"]["digits"]
    for precision in CONVERTED:
        assert f"| {precision} | {entry['variants'][precision]['status']} |" in report
    assert "Quick build" in report and "RMSE/scale" in report and "logistic_regression" in report
    assert str(entry["build"]["wall_time_s"]) in report
    for kind in ("size", "latency"):
        png = models / "report" / f"digits_{kind}_quality.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"report/digits_{kind}_quality.png" in report
    notice = (models / "NOTICE").read_text(encoding="utf-8")
    assert "load_digits" in notice and "BSD-3-Clause" in notice


def test_report_command_regenerates_the_same_report(quick_build):
    models = quick_build["models"]
    before = (models / "REPORT.md").read_text(encoding="utf-8")
    (models / "REPORT.md").unlink()
    (models / "NOTICE").unlink()
    assert main(["report", "--out", str(models)]) == 0
    assert (models / "REPORT.md").read_text(encoding="utf-8") == before
    assert (models / "NOTICE").is_file()


def test_analyse_remeasures_shipped_variants(quick_build, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(quick_build["models"], models)
    rc = main(["analyse", "digits", "--out", str(models), "--work", str(quick_build["work"]), "--runs", "10"])
    assert rc == 0
    entry = json.loads((models / "manifest.json").read_text())["models"]["digits"]
    assert "analysed" in entry
    for variant in entry["variants"].values():
        if variant["status"] == "shipped":
            assert variant["latency_ms"]["p50_1t"] > 0 and "analysis_error" not in variant
    assert entry["analysis"]["int8_layers"]["count"] >= 4
    # A tampered file is reported, not measured.
    target = models / "digits" / "digits.fp16.tflite"
    target.write_bytes(target.read_bytes()[:-10])
    assert main(["analyse", "digits", "--out", str(models), "--work", str(tmp_path / "nowork"), "--runs", "5"]) == 0
    entry = json.loads((models / "manifest.json").read_text())["models"]["digits"]
    assert "checksum" in entry["variants"]["fp16"]["analysis_error"]


# ---------------------------------------------------------------------------------- the sabotaged build


def test_converter_crash_in_one_precision_does_not_stop_the_others(sabotaged_build):
    variants = sabotaged_build["manifest"]["models"]["digits"]["variants"]
    assert variants["fp16"]["status"] == "unsupported"
    assert "crashed" in variants["fp16"]["reason"] and "SIGABRT" in variants["fp16"]["reason"]
    assert not (sabotaged_build["models"] / "digits" / "digits.fp16.tflite").exists()
    for precision in ("fp32", "dynamic"):
        assert variants[precision]["status"] == "shipped"
        assert (sabotaged_build["models"] / "digits" / f"digits.{precision}.tflite").is_file()


def test_planted_broken_variant_is_rejected_and_not_shipped(sabotaged_build):
    int8 = sabotaged_build["manifest"]["models"]["digits"]["variants"]["int8"]
    assert int8["status"] == "rejected"
    assert "top-1 agreement" in int8["reason"]
    assert int8["agreement"]["top1"] < 0.5
    assert "file" not in int8 and "sha256" not in int8
    assert not (sabotaged_build["models"] / "digits" / "digits.int8.tflite").exists()
    catalog = Catalog.load(sabotaged_build["models"])
    assert not catalog.check("digits", "int8").ok


def test_int8_missing_tolerance_gets_a_selective_mixed_variant(sabotaged_build):
    entry = sabotaged_build["manifest"]["models"]["digits"]
    mixed = entry["variants"]["mixed"]
    assert mixed["status"] == "shipped", mixed
    assert mixed["within_tolerance"] is True
    layer_count = entry["analysis"]["int8_layers"]["count"]
    assert 1 <= len(mixed["float_layers"]) <= max(1, layer_count // 2)
    layers = entry["analysis"]["int8_layers"]
    # The model's output layer is kept in float first, then the worst by RMSE/scale.
    assert layers["outputs"] and mixed["float_layers"][0] == layers["outputs"][0]
    if len(mixed["float_layers"]) > 1:
        assert mixed["float_layers"][1].split(";")[0] == next(w["layer"] for w in layers["worst"] if not w["output"])
    path = sabotaged_build["models"] / mixed["file"]
    assert sha256_file(path) == mixed["sha256"]
    assert entry["analysis"]["mixed_search"][-1]["within_tolerance"] is True
    report = (sabotaged_build["models"] / "REPORT.md").read_text(encoding="utf-8")
    assert "| mixed | shipped |" in report and "| int8 | rejected |" in report
