"""The foundation's subcommands: hardware, models and bench, in JSON and as tables."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from tests.conftest import HARDWARE_FIXTURES


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("fixture", sorted(p.name for p in HARDWARE_FIXTURES.glob("*.cpuinfo")) + ["apple_m1.sysctl"])
def test_hardware_json_on_every_captured_machine(models_dir, capsys, fixture):
    flag = "--sysctl" if fixture.endswith(".sysctl") else "--cpuinfo"
    code, data = run_json(capsys, "hardware", flag, str(HARDWARE_FIXTURES / fixture))
    assert code == 0
    assert data["profile"]["arch"] in ("x86_64", "aarch64")
    assert data["selection"]["digits"]["precision"] in ("fp32", "fp16", "dynamic", "int8", "mixed")
    assert len(data["selection"]["digits"]["reason"]) > 10


def test_hardware_json_live_and_through_env_var(models_dir, capsys, monkeypatch):
    code, data = run_json(capsys, "hardware")
    assert code == 0 and data["profile"]["cores_usable"] >= 1
    monkeypatch.setenv("ASSISTANT_CPUINFO", str(HARDWARE_FIXTURES / "rpi4.cpuinfo"))
    code, data = run_json(capsys, "hardware")
    assert data["profile"]["arch"] == "aarch64"


def test_hardware_table(models_dir, capsys):
    assert main(["hardware"]) == 0
    out = capsys.readouterr().out
    assert "usable cores" in out and "digits" in out


def test_models_lists_every_variant_with_checksum_state(models_dir, capsys):
    code, data = run_json(capsys, "models")
    assert code == 0
    rows = {r["precision"]: r for r in data["models"]}
    assert set(rows) == {"fp32", "fp16", "dynamic", "int8", "int16x8"}
    assert all(r["sha256_ok"] for r in rows.values())
    assert {"task", "precision", "path", "bytes", "sha256_ok"} <= set(rows["int8"])


def test_truncated_and_corrupt_files_are_reported_in_models(models_dir, capsys):
    int8 = models_dir / "digits" / "digits.int8.tflite"
    int8.write_bytes(int8.read_bytes()[:500])
    fp16 = models_dir / "digits" / "digits.fp16.tflite"
    data = bytearray(fp16.read_bytes())
    data[100] ^= 0x55
    fp16.write_bytes(bytes(data))
    code, out = run_json(capsys, "models")
    rows = {r["precision"]: r for r in out["models"]}
    assert rows["int8"]["sha256_ok"] is False and "truncated" in rows["int8"]["problem"]
    assert rows["fp16"]["sha256_ok"] is False and "checksum" in rows["fp16"]["problem"]
    assert rows["fp32"]["sha256_ok"] is True
    assert main(["models"]) == 0
    table = capsys.readouterr().out
    assert "truncated" in table and "checksum mismatch" in table


def test_models_without_manifest_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path))
    assert main(["models"]) == 1
    assert "no model manifest" in capsys.readouterr().out


def test_bench_times_every_variant_and_saves_json(models_dir, capsys):
    code, data = run_json(capsys, "bench", "--runs", "5")
    assert code == 0
    assert {r["precision"] for r in data["rows"]} == {"fp32", "fp16", "dynamic", "int8", "int16x8"}
    assert all(r["p50_1t"] > 0 and r["p95_1t"] >= r["p50_1t"] for r in data["rows"])
    saved = json.loads(open(data["saved_to"]).read())
    assert len(saved["rows"]) == 5


def test_a_command_prints_only_what_it_means_to_say(tmp_path):
    """`assistant ask hello 2>&1` shows the reply, not the runtime's "Created ... XNNPACK delegate" line."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO, committed_catalog_or_skip

    committed_catalog_or_skip("chatbot")
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path)}
    env.pop("ASSISTANT_MODELS_DIR", None)
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "hello"], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[1].startswith("(") and "XNNPACK" not in result.stdout
    # The runtime's line is kept in the log file, at debug level.
    log = (tmp_path / "logs" / "assistant.log").read_text()
    assert "DEBUG assistant.core.inference.runtime: runtime: INFO: Created TensorFlow Lite XNNPACK" in log


def test_native_runtime_output_goes_to_the_log(capfd, caplog):
    import logging
    import os

    from assistant.core.inference.runtime import native_output_to_log

    with caplog.at_level(logging.DEBUG, logger="assistant.core.inference.runtime"):
        with native_output_to_log():
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nERROR: tensor 3 is broken\n")
    err = capfd.readouterr().err  # the raw lines never reach the terminal (our own warning may, if logging is set up)
    assert "XNNPACK" not in err and all(ln.startswith("WARNING: runtime: ") for ln in err.splitlines())
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["runtime: INFO: Created TensorFlow Lite XNNPACK delegate for CPU."] == logging.DEBUG
    assert levels["runtime: ERROR: tensor 3 is broken"] == logging.WARNING  # real problems still show
