"""Presentation attacks built from every evaluation photo, through the real detector and the unlock session:
a still photo, one moved with jitter, scale and in-plane rotation, one tilted like a photo held in a hand,
and a looped clip. Every one is refused, although the face itself matches (the attacker has the photo)."""

from __future__ import annotations

import json

import cv2
import pytest

from assistant.core.face.frames import read_image
from assistant.core.face.unlock import UnlockSession
from assistant.core.face.verifier import FaceVerifier
from tests.conftest import photo
from tests.face import attacks
from tests.face.test_face_cli import face_cli

PHOTOS = ("obama_1", "obama_2", "obama_3", "obama_4", "biden_1", "macron_1", "macron_2", "ardern_1", "ardern_2",
          "sunak_1", "collins_1", "messi_1")


@pytest.fixture(scope="module")
def verifier(face_models_module):
    return FaceVerifier(catalog=face_models_module)


@pytest.fixture(scope="module")
def face_models_module():
    from tests.conftest import committed_catalog_or_skip

    committed_catalog_or_skip("face_detector")
    return committed_catalog_or_skip("face_embedder")


def test_every_attack_from_every_photo_is_refused(verifier, face_photos):
    refused, skipped = [], []
    for key in PHOTOS:
        path = next(face_photos.glob(f"{key}.*"), None)
        if path is None:
            continue
        original = read_image(path)
        faces = verifier.detector.detect(original)
        assert faces, key
        image = attacks.face_crop(original, max(faces, key=lambda f: f.box[2]).box)  # a printed head shot
        enrolled = verifier.enrol(attacks.still(image, frames=1))  # the victim, enrolled from the same photo
        if not enrolled.ok:
            skipped.append(f"{key}: {enrolled.reason}")
            continue
        for name, make in attacks.ATTACKS.items():
            session = UnlockSession(verifier, enrolled.template, liveness=True, challenge=["left", "right"])
            state = session.state
            for frame in make(image, seed=len(refused)):
                state = session.feed(frame)
                if state.done:
                    break
            if not state.done:
                state = session.finish()
            assert state.status == "refused", (key, name, state.message)
            assert "not a live face" in state.message, (key, name, state.message)
            refused.append((key, name))
    assert not skipped and len(refused) == 4 * len(PHOTOS), (refused, skipped)


def test_the_cli_judges_a_clip_against_a_given_challenge(face_photos, tmp_path, face_models_module):
    image = read_image(photo(face_photos, "macron_2"))
    clip = tmp_path / "held photo.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), attacks.FPS, (attacks.W, attacks.H))
    for frame in attacks.tilted(image):
        writer.write(frame.image)
    writer.release()
    first = tmp_path / "enrol.png"
    cv2.imwrite(str(first), attacks.still(image, frames=1)[0].image)
    assert face_cli(tmp_path, "enroll", str(first)).returncode == 0
    result = face_cli(tmp_path, "verify", str(clip), "--liveness", "--challenge", "left,right", "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1 and data["match"] and data["live"] is False and data["liveness_reason"]
    assert data["challenge"] == ["left", "right"]
    result = face_cli(tmp_path, "verify", str(clip), "--liveness")
    assert result.returncode == 1 and "--challenge" in result.stderr
    result = face_cli(tmp_path, "verify", str(clip), "--liveness", "--challenge", "left,jump")
    assert result.returncode == 1 and "challenge is a list of" in result.stderr
