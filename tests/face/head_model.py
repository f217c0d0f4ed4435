"""A synthetic head for liveness tests: the five landmarks of a 3D face (eye centres, nose tip, mouth
corners, in mm, anthropometric averages) rotated about a centre inside the head and projected by a pinhole
camera, with the detector's landmark noise. What a real head turning in front of a webcam gives, without a
webcam: the accepting path of the liveness check cannot be tested with a real person here.

A flat photo is the same points with no depth (all on one plane), moved and tilted instead of turned.
"""

from __future__ import annotations

import numpy as np

from assistant.core.face.detector import Face

# x to the image's right (the person's left), y up, z toward the camera; the nose tip is the origin.
HEAD = np.array([[-31.5, 33.0, -28.0], [31.5, 33.0, -28.0], [0.0, 0.0, 0.0], [-25.0, -30.0, -24.0],
                 [25.0, -30.0, -24.0]])
ROTATION_CENTRE = np.array([0.0, -10.0, -95.0])
FLAT = HEAD * [1.0, 1.0, 0.0]


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    a, b, c = np.deg2rad([yaw_deg, pitch_deg, roll_deg])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def project(points: np.ndarray, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, centre=ROTATION_CENTRE,
            distance: float = 500.0, shift=(0.0, 0.0), focal: float = 600.0) -> np.ndarray:
    q = (rotation(yaw, pitch, roll) @ (points - centre).T).T + centre
    z = distance - q[:, 2]
    return np.stack([320 + shift[0] + focal * q[:, 0] / z, 240 + shift[1] - focal * q[:, 1] / z], axis=1)


def as_face(points: np.ndarray) -> Face:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return Face((x0 - 25, y0 - 35, x1 - x0 + 50, y1 - y0 + 70), points, 0.9)


def head_turns(moves: list[str], fps: float = 15.0, degrees: float = 22.0, noise: float = 0.7,
               seed: int = 0) -> list[tuple[float, Face]]:
    """(t, face) of a real head: still, then each move (there and back), with landmark noise."""
    rng = np.random.default_rng(seed)
    poses = [(0.0, 0.0)] * 6
    target = {"left": (degrees, 0.0), "right": (-degrees, 0.0), "up": (0.0, -degrees * 0.8), "down": (0.0, degrees * 0.8)}
    for move in moves:
        y, p = target[move]
        ramp = [(y * k / 6, p * k / 6) for k in range(1, 7)]
        poses += ramp + [(y, p)] * 4 + ramp[::-1] + [(0.0, 0.0)] * 4
    out = []
    for i, (yaw, pitch) in enumerate(poses):
        pts = project(HEAD, yaw, pitch) + rng.normal(0, noise, (5, 2))
        out.append((i / fps, as_face(pts)))
    return out
