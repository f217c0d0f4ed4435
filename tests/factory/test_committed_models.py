"""Every model variant committed to the repository matches models/manifest.json (sha256 and bytes).

Needs no TensorFlow, so it runs in every environment (not marked `factory`): a model file that was
replaced, truncated or left behind without the factory is caught before it ships.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from assistant.core.inference.catalog import sha256_file
from tests.conftest import REPO

MODELS = REPO / "models"


def _committed_tflite() -> set[str]:
    """Paths (relative to models/) of .tflite files in git; falls back to the folder without git."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", "models"], cwd=REPO, capture_output=True,
                             check=True, timeout=30).stdout.decode()
        files = {p for p in out.split("\0") if p.endswith(".tflite")}
        return {p.removeprefix("models/") for p in files}
    except (OSError, subprocess.SubprocessError):
        return {str(p.relative_to(MODELS)) for p in MODELS.rglob("*.tflite")}


def _shipped(manifest: dict) -> dict[str, dict]:
    return {
        v["file"]: {**v, "model": name, "precision": precision}
        for name, entry in manifest.get("models", {}).items()
        for precision, v in entry.get("variants", {}).items()
        if v.get("status") == "shipped"
    }


def test_committed_variants_match_the_manifest():
    committed = _committed_tflite()
    manifest_path = MODELS / "manifest.json"
    if not committed and not manifest_path.exists():
        pytest.skip("no model variants are committed yet")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    shipped = _shipped(manifest)
    problems = []
    for rel in sorted(committed):
        variant = shipped.get(rel)
        if variant is None:
            problems.append(f"{rel}: committed but not a shipped variant in manifest.json")
            continue
        path = MODELS / rel
        if path.stat().st_size != variant["bytes"]:
            problems.append(f"{rel}: {path.stat().st_size} bytes, manifest says {variant['bytes']}")
        elif sha256_file(path) != variant["sha256"]:
            problems.append(f"{rel}: sha256 differs from manifest.json")
    for rel, variant in sorted(shipped.items()):
        if rel not in committed:
            problems.append(f"{rel}: shipped {variant['model']} {variant['precision']} in the manifest but not committed")
    assert not problems, "\n".join(problems)


def test_report_and_notice_accompany_a_committed_manifest():
    manifest_path = MODELS / "manifest.json"
    if not manifest_path.exists():
        pytest.skip("no manifest committed yet")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    report = (MODELS / "REPORT.md").read_text(encoding="utf-8")
    notice = (MODELS / "NOTICE").read_text(encoding="utf-8")
    for name, entry in manifest.get("models", {}).items():
        assert f"## {name}:" in report, f"REPORT.md lacks a section for {name}; run python -m assistant.factory report"
        for precision, variant in entry.get("variants", {}).items():
            assert f"| {precision} | {variant['status']} |" in report, f"REPORT.md is stale for {name} {precision}"
        for source in entry.get("sources", []):
            assert source["name"] in notice, f"NOTICE lacks {source['name']}"
