"""Presentation attacks made from a photo, as frame sequences: what holding a printed photo in front of a
webcam gives (a still photo, one moved about, one tilted in the hand to fake head turns, a short clip
looped). Sensor noise is added per frame, as a real camera would, except where the attack is a file
replayed as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from assistant.core.face.frames import Frame

W, H = 640, 480
FPS = 15.0


def face_crop(photo: np.ndarray, box, margin: float = 1.2) -> np.ndarray:
    """The part of a photo around one face (box x, y, w, h), as a printed head shot would show it."""
    x, y, w, h = box
    cx, cy, half = x + w / 2, y + h / 2, max(w, h) * (0.5 + margin)
    y0, y1 = int(max(0, cy - half)), int(min(photo.shape[0], cy + half))
    x0, x1 = int(max(0, cx - half)), int(min(photo.shape[1], cx + half))
    return photo[y0:y1, x0:x1].copy()


def _canvas(photo: np.ndarray, scale: float = 0.75) -> np.ndarray:
    """The photo centred on a grey background, as big as `scale` of the frame height."""
    h, w = photo.shape[:2]
    s = scale * H / h
    if w * s > 0.9 * W:
        s = 0.9 * W / w
    small = cv2.resize(photo, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
    canvas = np.full((H, W, 3), 110, np.uint8)
    y0, x0 = (H - small.shape[0]) // 2, (W - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas


def _noisy(frame: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    return np.clip(frame.astype(np.float32) + rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)


def _tilt(frame: np.ndarray, yaw_deg: float, pitch_deg: float = 0.0, focal: float = 700.0) -> np.ndarray:
    """The frame as a flat card rotated about its centre by yaw (vertical axis) and pitch, seen in perspective."""
    a, b = np.deg2rad([yaw_deg, pitch_deg])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    corners = np.array([[-W / 2, -H / 2, 0], [W / 2, -H / 2, 0], [W / 2, H / 2, 0], [-W / 2, H / 2, 0]])
    moved = corners @ (ry @ rx).T + [0, 0, focal]
    projected = np.stack([W / 2 + focal * moved[:, 0] / moved[:, 2], H / 2 + focal * moved[:, 1] / moved[:, 2]], 1)
    src = (corners[:, :2] + [W / 2, H / 2]).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, projected.astype(np.float32))
    return cv2.warpPerspective(frame, matrix, (W, H), borderValue=(110, 110, 110))


def still(photo: np.ndarray, frames: int = 40, seed: int = 0, noise: bool = True) -> list[Frame]:
    rng = np.random.default_rng(seed)
    base = _canvas(photo)
    return [Frame(_noisy(base, rng) if noise else base.copy(), i, i / FPS) for i in range(frames)]


def moved(photo: np.ndarray, frames: int = 40, seed: int = 0) -> list[Frame]:
    """Jitter, scale and in-plane rotation, as a hand would move a photo."""
    rng = np.random.default_rng(seed)
    base = _canvas(photo)
    out = []
    for i in range(frames):
        angle = 12 * np.sin(i / 5) + rng.normal(0, 2)
        scale = 1 + 0.12 * np.sin(i / 7)
        matrix = cv2.getRotationMatrix2D((W / 2, H / 2), angle, scale)
        matrix[:, 2] += rng.normal(0, 6, 2) + [25 * np.sin(i / 4), 10 * np.cos(i / 6)]
        out.append(Frame(_noisy(cv2.warpAffine(base, matrix, (W, H), borderValue=(110, 110, 110)), rng), i, i / FPS))
    return out


def tilted(photo: np.ndarray, frames: int = 48, seed: int = 0, degrees: float = 45.0) -> list[Frame]:
    """The photo swung about its vertical axis left, back, right, back (trying to fake 'turn left, turn right')."""
    rng = np.random.default_rng(seed)
    base = _canvas(photo)
    quarter = frames // 4
    yaws = list(np.linspace(0, degrees, quarter)) + list(np.linspace(degrees, 0, quarter)) + \
        list(np.linspace(0, -degrees, quarter)) + list(np.linspace(-degrees, 0, frames - 3 * quarter))
    return [Frame(_noisy(_tilt(base, y, rng.normal(0, 3)), rng), i, i / FPS) for i, y in enumerate(yaws)]


def looped(photo: np.ndarray, frames: int = 48, seed: int = 0) -> list[Frame]:
    """A short clip (a tilted-photo swing of 8 frames) played over and over, exactly, as a file replays."""
    clip = tilted(photo, frames=8, seed=seed)
    return [Frame(clip[i % len(clip)].image, i, i / FPS) for i in range(frames)]


ATTACKS = {"still": still, "moved": moved, "tilted": tilted, "looped": looped}
