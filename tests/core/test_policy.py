"""Precision policy: rules per hardware profile, reasons in words, overrides and calibration."""

from __future__ import annotations

import json

import pytest

from assistant.core.appdata.settings import Settings
from assistant.core.inference.calibration import load as load_calibration
from assistant.core.inference.calibration import save as save_calibration
from assistant.core.inference.catalog import Catalog
from assistant.core.inference.hardware import detect
from assistant.core.inference.policy import select
from tests.conftest import HARDWARE_FIXTURES

CPUINFO = sorted(HARDWARE_FIXTURES.glob("*.cpuinfo"))


def _profile(name):
    path = HARDWARE_FIXTURES / name
    return detect(sysctl_path=path) if name.endswith(".sysctl") else detect(cpuinfo_path=path)


def test_quality_tolerance_is_read_from_the_manifest(models_dir):
    info = Catalog.load().model("digits")
    for precision in info.variants:
        loss = info.metric_loss(precision)
        assert info.keeps_quality(precision) == (loss <= info.metric.tolerance)


@pytest.mark.parametrize("fixture", [p.name for p in CPUINFO] + ["apple_m1.sysctl"])
def test_every_profile_gets_a_shipped_precision_and_a_reason(models_dir, fixture):
    decision = select("digits", profile=_profile(fixture), settings=Settings())
    info = Catalog.load().model("digits")
    assert decision.precision in info.variants
    assert info.keeps_quality(decision.precision)
    assert decision.reason.startswith(decision.precision + ":")
    assert decision.ranking[0] == decision.precision
    assert decision.ranking[-1] != decision.precision or len(decision.ranking) == 1
    # int16x8 (no XNNPACK kernels) is never the automatic first choice.
    assert decision.precision != "int16x8"


def test_dot_product_hardware_prefers_int8_when_it_keeps_quality(models_dir):
    info = Catalog.load().model("digits")
    profile = _profile("rpi5.cpuinfo")
    assert profile.int8_accel
    decision = select("digits", profile=profile, settings=Settings())
    if info.keeps_quality("int8"):
        assert decision.precision == "int8"
        assert "dot-product" in decision.reason or "asimddp" in decision.reason


def test_reason_states_the_measured_quality_change(models_dir):
    decision = select("digits", profile=_profile("rpi4.cpuinfo"), settings=Settings())
    if decision.precision != "fp32":
        assert "accuracy" in decision.reason and "fp32" in decision.reason


def test_override_wins_and_unknown_override_is_explained(models_dir):
    profile = _profile("x86_server.cpuinfo")
    settings = Settings(precision_overrides={"digits": "fp16"})
    decision = select("digits", profile=profile, settings=settings)
    assert decision.precision == "fp16" and decision.source == "override" and "settings" in decision.reason
    settings = Settings(precision_overrides={"digits": "mixed"})
    decision = select("digits", profile=profile, settings=settings)
    assert decision.precision != "mixed" and "not shipped" in decision.reason


def test_calibration_picks_the_fastest_measured_variant_and_is_cached_per_machine(models_dir):
    catalog = Catalog.load()
    profile = _profile("x86_no_avx2.cpuinfo")
    info = catalog.model("digits")
    good = [p for p in info.variants if info.keeps_quality(p) and p != "int16x8"]
    slowest_first = {p: 1.0 + i for i, p in enumerate(good)}  # the last one is made the fastest
    fastest = min(slowest_first, key=slowest_first.get)
    save_calibration(profile, catalog, {"digits": slowest_first})
    assert load_calibration(profile, catalog)["digits"] == slowest_first
    decision = select("digits", catalog=catalog, profile=profile, settings=Settings())
    assert decision.precision == fastest and "measured on this machine" in decision.reason
    assert decision.source == "calibration"
    # Another machine does not see this machine's calibration.
    assert load_calibration(_profile("rpi4.cpuinfo"), catalog) == {}
    # Calibration can be switched off in settings.
    off = select("digits", catalog=catalog, profile=profile, settings=Settings(use_calibration=False))
    assert off.source == "factory"  # the source "auto" became "factory" or "rule" (issue 11)


def test_calibration_of_changed_files_is_ignored(models_dir):
    catalog = Catalog.load()
    profile = _profile("rpi4.cpuinfo")
    path = save_calibration(profile, catalog, {"digits": {"fp32": 1.0}})
    raw = json.loads(path.read_text())
    raw["models"]["digits"]["fp32"]["sha256"] = "0" * 64
    path.write_text(json.dumps(raw))
    assert load_calibration(profile, catalog) == {}
