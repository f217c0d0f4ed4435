""""Auto" follows measurements: this machine's calibration, then the factory's figures, then hardware rules."""

from __future__ import annotations

import dataclasses
import json
import stat

import pytest

from assistant.cli import main
from assistant.core.appdata.settings import Settings
from assistant.core.inference import calibration
from assistant.core.inference.catalog import Catalog
from assistant.core.inference.hardware import detect
from assistant.core.inference.policy import select
from tests.conftest import HARDWARE_FIXTURES

VNNI = HARDWARE_FIXTURES / "x86_avx512_vnni.cpuinfo"


def _vnni():
    profile = detect(cpuinfo_path=VNNI)
    assert profile.int8_accel == "avx512_vnni"
    return profile


def _plant_factory_latency(models_dir, **p50):
    """Rewrite the digits manifest's factory latencies (a planted manifest: these are inputs, not facts)."""
    path = models_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    for precision, variant in manifest["models"]["digits"]["variants"].items():
        if precision in p50:
            variant["latency_ms"] = {"p50_1t": p50[precision]}
        else:
            variant.pop("latency_ms", None)
    manifest["models"]["digits"]["build"] = {"machine": {"cpu_model": "AMD EPYC", "int8_accel": "avx512_vnni"}}
    path.write_text(json.dumps(manifest))


def test_int8_measured_slower_than_dynamic_gets_dynamic_on_a_vnni_profile(models_dir):
    _plant_factory_latency(models_dir, fp32=15.0, fp16=15.2, dynamic=10.0, int8=50.0)
    info = Catalog.load().model("digits")
    assert info.keeps_quality("int8") and info.keeps_quality("dynamic")
    decision = select("digits", profile=_vnni(), settings=Settings())
    assert decision.precision == "dynamic"
    assert decision.source == "factory"
    assert "10.0 ms" in decision.reason and "int8 50.0 ms" in decision.reason
    assert "factory" in decision.reason and decision.ranking.index("int8") > decision.ranking.index("fp32")


def test_calibration_on_this_machine_overrules_the_factory(models_dir):
    _plant_factory_latency(models_dir, fp32=15.0, fp16=15.2, dynamic=10.0, int8=5.0)  # factory: int8 first
    catalog = Catalog.load()
    profile = _vnni()
    assert select("digits", catalog=catalog, profile=profile, settings=Settings()).precision == "int8"
    calibration.save(profile, catalog, {"digits": {"fp32": 14.8, "fp16": 14.9, "dynamic": 9.4, "int8": 61.0}})
    decision = select("digits", catalog=catalog, profile=profile, settings=Settings())
    assert (decision.precision, decision.source) == ("dynamic", "calibration")
    assert "measured on this machine (9.40 ms vs" in decision.reason and "int8 61.0 ms" in decision.reason
    assert "same accuracy as fp32" in decision.reason
    assert decision.evidence() == {"source": "calibration", "measured_on": "this machine",
                                   "latency_ms": {"fp32": 14.8, "fp16": 14.9, "dynamic": 9.4, "int8": 61.0}}
    # The user's choice still wins over any measurement.
    chosen = select("digits", catalog=catalog, profile=profile, settings=Settings(precision_overrides={"digits": "int8"}))
    assert (chosen.precision, chosen.source) == ("int8", "override")


def test_hardware_json_quotes_the_measurement(models_dir, capsys):
    """The acceptance check: int8 planted 5x slower than dynamic, on an AVX512-VNNI profile."""
    _plant_factory_latency(models_dir, fp32=0.4, fp16=0.4, dynamic=0.1, int8=0.5)
    assert main(["hardware", "--cpuinfo", str(VNNI), "--json"]) == 0
    chosen = json.loads(capsys.readouterr().out)["selection"]["digits"]
    assert chosen["precision"] == "dynamic" and chosen["source"] == "factory"
    assert "0.100 ms" in chosen["reason"] and "int8 0.500 ms" in chosen["reason"]
    assert chosen["evidence"]["latency_ms"]["int8"] == 0.5 and chosen["evidence"]["source"] == "factory"


def test_a_tie_goes_to_the_smaller_file(models_dir):
    _plant_factory_latency(models_dir, fp32=1.00, fp16=1.02)  # fp16 is widened to fp32 on CPUs: same speed
    decision = select("digits", profile=_vnni(), settings=Settings())
    assert decision.precision == "fp16" and "as fast as fp32" in decision.reason


def test_rules_decide_only_when_nothing_was_measured(models_dir):
    _plant_factory_latency(models_dir)
    decision = select("digits", profile=_vnni(), settings=Settings())
    assert decision.source == "rule"
    assert decision.precision == "int8" and "AVX512-VNNI present" in decision.reason


def test_without_simd_the_factory_timings_do_not_carry_over(models_dir):
    _plant_factory_latency(models_dir, fp32=15.0, fp16=15.2, dynamic=10.0, int8=50.0)
    bare = dataclasses.replace(_vnni(), cpu_flags=frozenset())
    decision = select("digits", profile=bare, settings=Settings())
    assert decision.source == "rule" and "no SIMD" in decision.reason


def test_little_ram_leaves_the_large_variants_out(models_dir):
    _plant_factory_latency(models_dir, fp32=0.5, fp16=0.6, dynamic=0.9, int8=0.9)
    small = dataclasses.replace(_vnni(), ram_bytes=1024**3)
    decision = select("digits", profile=small, settings=Settings())
    assert decision.precision == "fp16"  # fp32 (2x the int8 file) is left out, fp16 is the fastest left
    assert "1.0 GB RAM" in decision.reason and decision.ranking.index("fp32") > decision.ranking.index("int8")


def test_calibration_times_the_real_variants_and_caches_them_privately(models_dir):
    catalog = Catalog.load()
    profile = _vnni()
    todo = calibration.pending(catalog, profile)
    assert {p for _, p in todo} == {"fp32", "fp16", "dynamic", "int8"}  # int16x8 is never timed
    run = calibration.run(catalog, profile)
    assert set(run.times["digits"]) == {"fp32", "fp16", "dynamic", "int8"} and not run.errors
    assert all(ms > 0 for ms in run.times["digits"].values())
    assert stat.S_IMODE(run.path.stat().st_mode) == 0o600
    assert calibration.pending(catalog, profile) == []
    assert select("digits", catalog=catalog, profile=profile, settings=Settings()).source == "calibration"


def test_a_changed_model_file_is_timed_again(models_dir):
    catalog = Catalog.load()
    profile = _vnni()
    calibration.run(catalog, profile)
    # The factory ships a new int8 file: new bytes, new sha256 in the manifest.
    manifest = json.loads((models_dir / "manifest.json").read_text())
    manifest["models"]["digits"]["variants"]["int8"]["sha256"] = "f" * 64
    (models_dir / "manifest.json").write_text(json.dumps(manifest))
    changed = Catalog.load()
    assert calibration.pending(changed, profile) == [("digits", "int8")]
    assert "int8" not in calibration.load(profile, changed)["digits"]


def test_a_variant_that_fails_its_check_is_reported_not_timed(models_dir):
    (models_dir / "digits" / "digits.dynamic.tflite").write_bytes(b"broken")
    run = calibration.run(Catalog.load(), _vnni())
    assert "digits dynamic" in run.errors and "dynamic" not in run.times["digits"]


@pytest.mark.parametrize("content", ["{not json", '{"models": []}', '{"models": {"digits": {"fp32": "fast"}}}'])
def test_a_damaged_calibration_file_counts_as_none(models_dir, content):
    profile = _vnni()
    calibration.calibration_file(profile).write_text(content)
    assert calibration.load(profile, Catalog.load()) == {}
    assert select("digits", profile=profile, settings=Settings()).source == "factory"
