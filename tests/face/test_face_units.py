"""The face pipeline's parts without models: alignment, decoding, quality verdicts, frame sources, template."""

from __future__ import annotations

import stat

import cv2
import numpy as np
import pytest

from assistant.core.face.align import TEMPLATE, align, similarity_transform
from assistant.core.face.detector import DetectorConfig, Face, decode, letterbox, nms
from assistant.core.face.frames import FrameSourceError, ImageFolderSource, open_source, read_image
from assistant.core.face.quality import head_pose, judge
from assistant.core.face.template import FaceTemplate, TemplateError, TemplateStore


def test_similarity_transform_recovers_a_known_one():
    angle, scale, shift = np.deg2rad(17.0), 2.3, np.array([40.0, -12.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = (TEMPLATE - shift) @ np.linalg.inv(scale * rot).T  # points that the transform maps onto the template
    matrix = similarity_transform(src)
    mapped = src @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(mapped, TEMPLATE, atol=1e-6)
    assert np.allclose(similarity_transform(TEMPLATE), [[1, 0, 0], [0, 1, 0]], atol=1e-9)


def test_align_puts_the_landmarks_on_the_template():
    frame = np.zeros((480, 640, 3), np.uint8)
    points = TEMPLATE * 2 + [200, 100]
    for x, y in points:
        cv2.circle(frame, (int(round(x)), int(round(y))), 3, (255, 255, 255), -1)
    crop = align(frame, points)
    assert crop.shape == (112, 112, 3)
    for x, y in TEMPLATE:
        assert crop[int(round(y)), int(round(x))].max() > 100


def _outputs(config: DetectorConfig, hits: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = sum((config.height // s) * (config.width // s) for s in config.strides)
    scores, boxes, kps = np.zeros((n, 2), np.float32), np.zeros((n, 4), np.float32), np.zeros((n, 10), np.float32)
    for row, score in hits:
        scores[row] = [score, score]
        boxes[row] = [0.5, 0.5, np.log(4.0), np.log(5.0)]  # centre of the cell, 4 x 5 strides
        kps[row] = [0.2, 0.3, 0.8, 0.3, 0.5, 0.5, 0.3, 0.8, 0.7, 0.8]
    return scores, boxes, kps


def test_decode_places_boxes_and_landmarks_like_opencv():
    config = DetectorConfig(640, 480, (8, 16, 32), 0.7, 0.3)
    first16 = (480 // 8) * (640 // 8)
    row = first16 + 3 * 40 + 7  # stride 16, grid row 3, column 7
    faces = decode(*_outputs(config, [(row, 0.9)]), config)
    assert len(faces) == 1
    face = faces[0]
    assert face.score == pytest.approx(0.9, abs=1e-6)
    cx, cy = (7 + 0.5) * 16, (3 + 0.5) * 16
    assert face.box == pytest.approx((cx - 32, cy - 40, 64, 80), abs=1e-3)
    assert face.landmarks[0] == pytest.approx(((7 + 0.2) * 16, (3 + 0.3) * 16))
    # Below the score threshold nothing is found; overlapping neighbours collapse to one.
    assert decode(*_outputs(config, [(row, 0.5)]), config) == []
    assert len(decode(*_outputs(config, [(row, 0.9), (row + 1, 0.8), (row + 400, 0.95)]), config)) == 2


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10]], float)
    assert nms(boxes, np.array([0.8, 0.9, 0.7]), 0.3) == [1, 2]


def test_letterbox_keeps_the_aspect_and_pads_right_and_bottom():
    out, scale = letterbox(np.full((300, 200, 3), 255, np.uint8), 640, 480)
    assert out.shape == (480, 640, 3) and scale == pytest.approx(1.6)
    assert out[:, :320].min() == 255 and out[:, 321:].max() == 0
    same, one = letterbox(np.zeros((480, 640, 3), np.uint8), 640, 480)
    assert one == 1.0 and same.shape == (480, 640, 3)


def _face(x=270, y=190, w=100, landmarks=None) -> Face:
    if landmarks is None:
        landmarks = np.array([[0.32, 0.40], [0.68, 0.40], [0.50, 0.58], [0.36, 0.78], [0.64, 0.78]]) * w + [x, y]
    return Face((x, y, w, w * 1.25), np.asarray(landmarks, float), 0.9)


def _textured(level: int = 128) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.clip(rng.normal(level, 40, (480, 640, 3)), 0, 255).astype(np.uint8)


def test_frame_verdicts_say_what_to_do():
    frame = _textured()
    crop = frame[:112, :112]
    assert judge(frame, [], crop).code == "no_face"
    two = judge(frame, [_face(), _face(x=50)], crop)
    assert two.code == "several_faces" and "2 faces" in two.reason
    assert "move closer" in judge(frame, [_face(w=30)], crop).reason
    assert "more light" in judge(_textured(15) // 4, [_face()], crop).reason
    assert "too bright" in judge(np.full_like(frame, 250), [_face()], crop).reason
    assert "hold still" in judge(frame, [_face()], np.full((112, 112, 3), 128, np.uint8)).reason
    off = judge(frame, [_face(x=20, y=20)], crop, live=True)
    assert off.code == "not_centred" and "move" in off.reason
    assert judge(frame, [_face(x=20, y=20)], crop, live=False).ok  # a photo need not be centred
    turned = _face(landmarks=np.array([[300, 240], [336, 240], [345, 258], [304, 278], [332, 278]], float))
    assert judge(frame, [turned], crop).code == "turned"
    assert judge(frame, [_face()], crop, live=True).ok


def test_head_pose_is_zero_for_a_frontal_face_and_signed_when_turned():
    yaw, pitch = head_pose(_face())
    assert abs(yaw) < 0.05 and abs(pitch) < 0.1
    right = _face(landmarks=np.array([[300, 240], [336, 240], [345, 258], [304, 278], [332, 278]], float))
    left = _face(landmarks=np.array([[300, 240], [336, 240], [291, 258], [304, 278], [332, 278]], float))
    assert head_pose(right)[0] > 0.4 and head_pose(left)[0] < -0.4


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"\xff\xd8\xff\xe0 not really a jpeg", "not an image"),
                                            (b"GIF89a" + bytes(100), "not an image")])
def test_bad_image_files_say_why(tmp_path, content, words):
    path = tmp_path / "bad photo (1).jpg"
    path.write_bytes(content)
    with pytest.raises(FrameSourceError, match=words):
        open_source(path)


def test_missing_paths_and_folders(tmp_path):
    with pytest.raises(FrameSourceError, match="does not exist"):
        open_source(tmp_path / "nope.jpg")
    with pytest.raises(FrameSourceError, match="folder"):
        read_image(tmp_path)
    with pytest.raises(FrameSourceError, match="no images"):
        open_source(tmp_path)
    with pytest.raises(FrameSourceError, match="no camera"):
        open_source("97")


def test_a_damaged_image_in_a_folder_is_a_frame_with_its_reason(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), _textured())
    (tmp_path / "b.jpg").write_bytes(b"broken")
    frames = list(ImageFolderSource(tmp_path))
    assert frames[0].image is not None and frames[1].image is None and "not an image" in frames[1].error


def test_video_files_give_their_frames(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(7):
        writer.write(np.full((480, 640, 3), i * 30, np.uint8))
    writer.release()
    with open_source(path) as source:
        frames = list(source)
    assert len(frames) == 7 and frames[3].timestamp == pytest.approx(0.3)


def test_template_store_is_private_and_survives_damage(tmp_path):
    store = TemplateStore(tmp_path / "t.json")
    assert store.load() is None
    vector = np.random.default_rng(0).normal(size=128)
    store.save(FaceTemplate((vector / np.linalg.norm(vector)).tolist(), "Ann", 3, "fp16", "dynamic"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    loaded = store.load()
    assert loaded.name == "Ann" and loaded.frames == 3 and loaded.vector.shape == (128,)
    store.path.write_text('{"format": 1, "embedding": [0, 0]}')
    with pytest.raises(TemplateError, match="damaged"):
        store.load()
    assert not store.path.exists() and store.path.with_name("t.json.damaged").exists()
    assert store.forget() is False
