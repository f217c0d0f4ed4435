"""Is this frame good enough to enrol or verify a face? The verdict, with the reason in words.

A frame is judged on what a person can fix: no face or several faces in view, a face too small (move
closer), too dark or too bright, blurred (hold still), off-centre or turned away (look at the camera).
The limits are about the user's picture, not about a model, so they live here; the match threshold,
which is about the models, comes from the factory's measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.core.face.detector import Face


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: float = 60.0  # face box width in the frame's own pixels
    min_brightness: float = 45.0  # mean grey level (0-255) inside the face box
    max_brightness: float = 225.0
    min_sharpness: float = 20.0  # variance of the Laplacian of the aligned grey crop
    max_centre_offset: float = 0.22  # face centre from the frame centre, as a fraction of the frame (live only)
    max_yaw: float = 0.45  # nose offset from the eyes' midpoint, in eye distances
    max_pitch: float = 0.45


@dataclass(frozen=True)
class FrameVerdict:
    ok: bool
    code: str  # ok | no_face | several_faces | too_small | too_dark | too_bright | blurred | not_centred | turned
    reason: str  # words for the user ("move closer")
    face: Face | None = None
    faces: int = 0
    brightness: float | None = None
    sharpness: float | None = None


def head_pose(face: Face) -> tuple[float, float]:
    """(yaw, pitch) proxies from the landmarks: where the nose sits relative to the eyes and mouth.

    yaw: nose offset from the eyes' midpoint along the eye line, in eye distances (positive: the nose
    is on the image's right, the head turned to the person's left). pitch: the nose's height between
    the eye line and the mouth line, centred on its frontal value (positive: looking down).
    """
    p = np.asarray(face.landmarks, dtype=np.float64)
    eyes = (p[0] + p[1]) / 2
    mouth = (p[3] + p[4]) / 2
    eye_vec = p[1] - p[0]
    eye_dist = float(np.linalg.norm(eye_vec)) or 1.0
    axis = eye_vec / eye_dist
    yaw = float(np.dot(p[2] - eyes, axis)) / eye_dist
    normal = np.array([-axis[1], axis[0]])
    span = float(np.dot(mouth - eyes, normal)) or 1.0
    pitch = float(np.dot(p[2] - eyes, normal)) / span - 0.5  # frontal faces: the nose about half way down
    return yaw, pitch


def sharpness(crop_bgr: np.ndarray) -> float:
    import cv2

    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def brightness(frame_bgr: np.ndarray, face: Face) -> float:
    import cv2

    h, w = frame_bgr.shape[:2]
    x, y, bw, bh = face.box
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(w, int(x + bw)), min(h, int(y + bh))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(cv2.cvtColor(frame_bgr[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).mean())


def judge(frame_bgr: np.ndarray, faces: list[Face], crop_bgr: np.ndarray | None = None, live: bool = False,
          limits: QualityLimits = QualityLimits()) -> FrameVerdict:
    """The verdict on one frame and its detected faces (crop: the aligned crop of the main face)."""
    if not faces:
        return FrameVerdict(False, "no_face", "no face found: look at the camera" if live else "no face found", None, 0)
    if len(faces) > 1:
        return FrameVerdict(False, "several_faces",
                            f"{len(faces)} faces found: only the person enrolling should be in view", faces[0],
                            len(faces))
    face = faces[0]
    if face.box[2] < limits.min_face_px:
        return FrameVerdict(False, "too_small", "the face is too small: move closer", face, 1)
    light = brightness(frame_bgr, face)
    if light < limits.min_brightness:
        return FrameVerdict(False, "too_dark", "too dark: more light on the face, please", face, 1, light)
    if light > limits.max_brightness:
        return FrameVerdict(False, "too_bright", "too bright: avoid a strong light behind or on the face", face, 1,
                            light)
    sharp = sharpness(crop_bgr) if crop_bgr is not None else None
    if sharp is not None and sharp < limits.min_sharpness:
        return FrameVerdict(False, "blurred", "the picture is blurred: hold still", face, 1, light, sharp)
    if live:
        h, w = frame_bgr.shape[:2]
        cx, cy = face.center
        dx, dy = cx / w - 0.5, cy / h - 0.5
        if max(abs(dx), abs(dy)) > limits.max_centre_offset:
            side = ("move left" if dx > 0 else "move right") if abs(dx) >= abs(dy) else ("move down" if dy < 0
                                                                                           else "move up")
            return FrameVerdict(False, "not_centred", f"the face is not centred: {side}", face, 1, light, sharp)
    yaw, pitch = head_pose(face)
    if abs(yaw) > limits.max_yaw or abs(pitch) > limits.max_pitch:
        if abs(yaw) >= abs(pitch):
            # The nose on the image's right: the head is turned to the person's left; they turn back right.
            turn = "turn slightly right" if yaw > 0 else "turn slightly left"
        else:
            turn = "look slightly up" if pitch > 0 else "look slightly down"
        return FrameVerdict(False, "turned", f"look at the camera: {turn}", face, 1, light, sharp)
    return FrameVerdict(True, "ok", "good", face, 1, light, sharp)
