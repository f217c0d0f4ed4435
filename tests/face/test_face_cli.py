"""`assistant face enroll|verify|forget` on real photos with the committed face models (the acceptance of the
face verification issue): one photo enrols, the same person's other photos match, every other identity is
refused, and bad pictures get a reason and exit code 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, photo


def face_cli(home, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    env.pop("ASSISTANT_MODELS_DIR", None)
    return subprocess.run([sys.executable, "-m", "assistant", "face", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=180)


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, face_photos):
    from tests.conftest import committed_catalog_or_skip

    committed_catalog_or_skip("face_detector")
    committed_catalog_or_skip("face_embedder")
    home = tmp_path_factory.mktemp("face-home")
    result = face_cli(home, "enroll", str(photo(face_photos, "obama_1")), "--name", "Barack", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["enrolled"] and data["frames_used"] == 1 and data["name"] == "Barack"
    return home


def test_the_same_person_matches_and_everybody_else_is_refused(enrolled, face_photos):
    for key in ("obama_2", "obama_3", "obama_4"):
        result = face_cli(enrolled, "verify", str(photo(face_photos, key)), "--json")
        data = json.loads(result.stdout)
        assert result.returncode == 0 and data["match"], (key, data)
        assert set(data) >= {"match", "score", "threshold", "precision", "ms_per_frame", "frames", "reason"}
        assert data["score"] >= data["threshold"]
    for key in ("biden_1", "macron_1", "macron_2", "ardern_1", "ardern_2", "sunak_1", "collins_1", "messi_1"):
        path = next(face_photos.glob(f"{key}.*"), None)
        if path is None:
            continue
        result = face_cli(enrolled, "verify", str(path), "--json")
        data = json.loads(result.stdout)
        assert result.returncode == 1 and not data["match"], (key, data)
        assert "not the enrolled face" in data["reason"]


def test_a_folder_of_photos_stops_at_the_first_match(enrolled, face_photos, tmp_path):
    for key in ("cat", "biden_1", "obama_3"):
        src = photo(face_photos, key)
        (tmp_path / f"{len(list(tmp_path.iterdir()))}_{src.name}").write_bytes(src.read_bytes())
    result = face_cli(enrolled, "verify", str(tmp_path))
    assert result.returncode == 0 and result.stdout.startswith("MATCH"), result.stdout + result.stderr


def _write(path, image) -> str:
    cv2.imwrite(str(path), image)
    return str(path)


def test_bad_pictures_get_a_reason_and_exit_1(enrolled, face_photos, tmp_path):
    a = cv2.imread(str(photo(face_photos, "sunak_1")))
    b = cv2.imread(str(photo(face_photos, "ardern_1")))
    height = min(a.shape[0], b.shape[0])
    two = np.hstack([cv2.resize(a, (a.shape[1] * height // a.shape[0], height)),
                     cv2.resize(b, (b.shape[1] * height // b.shape[0], height))])
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(photo(face_photos, "obama_2").read_bytes()[:300])
    cases = {
        "no face": (str(photo(face_photos, "cat")), "no face found"),
        "two faces": (_write(tmp_path / "two faces.png", two), "2 faces found"),
        "black frame": (_write(tmp_path / "black.png", np.zeros((480, 640, 3), np.uint8)), "black"),
        "corrupt image": (str(corrupt), "not an image"),
        "missing file": (str(tmp_path / "nothing here.jpg"), "does not exist"),
    }
    for case, (path, words) in cases.items():
        result = face_cli(enrolled, "verify", path)
        assert result.returncode == 1, (case, result.stdout, result.stderr)
        assert words in result.stdout + result.stderr, (case, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, case
        data = json.loads(face_cli(enrolled, "verify", path, "--json").stdout)
        assert data.get("match") is not True and words in data["reason"], (case, data)


def test_enrolling_from_a_bad_picture_says_why_and_stores_nothing(face_photos, tmp_path):
    from tests.conftest import committed_catalog_or_skip

    committed_catalog_or_skip("face_embedder")
    result = face_cli(tmp_path, "enroll", str(photo(face_photos, "cat")))
    assert result.returncode == 1 and "no usable picture of a face" in result.stderr
    assert not (tmp_path / "data" / "face_template.json").exists()
    result = face_cli(tmp_path, "verify", str(photo(face_photos, "obama_1")))
    assert result.returncode == 1 and "no face is enrolled" in result.stderr


def test_forget_deletes_the_face(face_photos, tmp_path):
    from tests.conftest import committed_catalog_or_skip

    committed_catalog_or_skip("face_embedder")
    assert face_cli(tmp_path, "enroll", str(photo(face_photos, "macron_2"))).returncode == 0
    template = tmp_path / "data" / "face_template.json"
    assert template.exists()
    result = face_cli(tmp_path, "forget")
    assert result.returncode == 0 and "Deleted" in result.stdout and not template.exists()
    assert "No face was enrolled" in face_cli(tmp_path, "forget").stdout
