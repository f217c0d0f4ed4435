"""Liveness from landmark tracks: a real head turn (synthetic 3D head, see head_model.py) passes, flat photos
moved, tilted or held like a hand would and replayed frames are refused."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.core.face.liveness import LivenessCheck, nose_parallax, parse_challenge, random_challenge
from tests.face.head_model import FLAT, HEAD, as_face, head_turns, project


def _run(check: LivenessCheck, track, frames=None):
    for i, (t, face) in enumerate(track):
        check.update(t, face, None if frames is None else frames[i])
    return check.result()


@pytest.mark.parametrize("moves", [["left", "right"], ["right", "up"], ["down", "left", "right"], ["up", "left"]])
def test_a_real_head_following_the_challenge_is_live(moves):
    result = _run(LivenessCheck(moves), head_turns(moves))
    assert result.live, result.reason
    assert result.completed == moves and result.parallax > 0.05


def test_the_wrong_move_or_no_move_fails():
    wrong = _run(LivenessCheck(["left", "right"]), head_turns(["right", "left"]))
    assert not wrong.live and "moved right" in wrong.reason
    still = _run(LivenessCheck(["left", "right"]), head_turns([]))
    assert not still.live and "not completed" in still.reason
    late = _run(LivenessCheck(["left"]), head_turns(["left"], fps=1.0))  # far too slow
    assert not late.live and "timed out" in late.reason


def test_a_flat_photo_tilted_to_fake_the_turns_is_refused():
    """Held close and swung 60 degrees about its vertical axis, a photo's nose seems to turn; its landmarks
    still follow one homography, so there is no parallax."""
    track = []
    poses = [0.0] * 6 + [60.0 * k / 6 for k in range(1, 7)] + [60.0] * 4 + [60.0 * k / 6 for k in range(6, -1, -1)] + \
        [0.0] * 4 + [-60.0 * k / 6 for k in range(1, 7)] + [-60.0] * 4
    rng = np.random.default_rng(3)
    for i, yaw in enumerate(poses):
        pts = project(FLAT, yaw=yaw, centre=np.zeros(3), distance=250.0) + rng.normal(0, 0.7, (5, 2))
        track.append((i / 15, as_face(pts)))
    result = _run(LivenessCheck(["left", "right"]), track)
    assert not result.live and "flat picture" in result.reason, result.reason


@pytest.mark.parametrize("seed", range(5))
def test_a_photo_moved_scaled_and_rotated_in_plane_never_completes_a_challenge(seed):
    rng = np.random.default_rng(seed)
    track = []
    for i in range(60):
        pts = project(FLAT, roll=rng.uniform(-25, 25), distance=rng.uniform(350, 650),
                      shift=rng.uniform(-60, 60, 2)) + rng.normal(0, 0.7, (5, 2))
        track.append((i / 15, as_face(pts)))
    result = _run(LivenessCheck(random_challenge(rng=random.Random(seed))), track)
    assert not result.live


def test_parallax_is_zero_for_a_homography_and_large_for_a_turned_head():
    ref = project(FLAT)
    tilted = project(FLAT, yaw=35, pitch=-20, centre=np.zeros(3), distance=300)
    assert nose_parallax(ref, tilted) < 1e-4
    assert nose_parallax(project(HEAD), project(HEAD, yaw=20)) > 0.15


def test_still_and_looped_frames_are_refused():
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    track = head_turns(["left", "right"])
    frozen = _run(LivenessCheck(["left", "right"]), track, [picture] * len(track))
    assert not frozen.live and "does not change" in frozen.reason
    clip = [np.clip(picture.astype(int) + rng.integers(-20, 20, picture.shape), 0, 255).astype(np.uint8)
            for _ in range(8)]
    looped = _run(LivenessCheck(["left", "right"]), track, [clip[i % 8] for i in range(len(track))])
    assert not looped.live and "looped" in looped.reason


def test_challenges():
    rng = random.Random(1)
    for _ in range(50):
        moves = random_challenge(rng=rng)
        assert len(moves) == 2 and moves[0] != moves[1] and {"left", "right"} & set(moves)
    assert parse_challenge("Left, right") == ["left", "right"]
    with pytest.raises(ValueError):
        parse_challenge("left,jump")
