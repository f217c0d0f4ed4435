"""Face tests: photos from registry packages (fetched once into .factory-work/face-data, never committed)
and the committed face models (skipped with a reason when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, committed_catalog_or_skip

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
