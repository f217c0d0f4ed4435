"""Is a live person in front of the camera, or a photo or a replayed clip? Judged from landmarks over frames.

Three checks, all on the five landmarks the detector gives:

1. Challenge and response: the user is asked for a short random sequence of head moves (turn left, turn
   right, look up, look down). The head pose (assistant.core.face.quality.head_pose, relative to the
   pose at the start) must follow the sequence in order and in time; a wrong move or a timeout fails.
2. Planarity: the eyes and the mouth corners of a face lie nearly in one plane, the nose tip well in front
   of it. A flat photo moved, tilted or held in a hand maps the reference landmarks to the current ones by
   one homography; a real head turning does not: the nose leaves the homography of the four other points
   (parallax). The median of that offset, in eye distances, over the frames where the head is turned left
   or right must reach a minimum (the median, because single frames of a steeply tilted photo come out
   noisy: its eyes are close together and the detector's pixel noise is large against their distance).
3. Replay: a picture that does not change at all between frames, or frames that repeat exactly, come
   from a file or a frozen feed, not from a camera sensor, whose noise makes every frame differ (pixel by
   pixel, even when nothing moves). A camera filming a screen that replays a clip is not caught by this.

What this cannot stop, and the UI and README say so: a 3D mask, or a replayed video of the person that
happens to follow the challenge. The password stays the root of trust.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from assistant.core.face.detector import Face
from assistant.core.face.quality import head_pose

MOVES = ("left", "right", "up", "down")
MOVE_WORDS = {"left": "turn your head to the left", "right": "turn your head to the right",
              "up": "look up", "down": "look down"}


@dataclass(frozen=True)
class LivenessLimits:
    yaw_turn: float = 0.12  # nose offset along the eye line, in eye distances, from the starting pose
    pitch_turn: float = 0.10
    neutral: float = 0.06  # back near the start pose between moves
    hold_frames: int = 2  # consecutive frames a move must be held
    baseline_frames: int = 3  # frames that define the starting pose
    step_timeout_s: float = 6.0
    min_parallax: float = 0.07  # median nose offset from the 4-point homography while turned, in eye distances
    same_level: float = 0.25  # mean absolute pixel difference (grey levels) below which two frames are the same file frame
    repeat_gap: int = 5  # frames apart for an exact repeat to count as a loop


@dataclass
class LivenessResult:
    live: bool
    reason: str
    challenge: list[str]
    completed: list[str] = field(default_factory=list)
    parallax: float = 0.0
    frames: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"live": self.live, "liveness_reason": self.reason, "challenge": self.challenge,
                "completed": self.completed, "parallax": round(self.parallax, 4), "frames": self.frames}


def random_challenge(length: int = 2, rng: random.Random | None = None) -> list[str]:
    """`length` moves, no move twice in a row, at least one turn left or right (they show parallax best)."""
    rng = rng or random.SystemRandom()
    while True:
        moves: list[str] = []
        for _ in range(length):
            moves.append(rng.choice([m for m in MOVES if not moves or m != moves[-1]]))
        if any(m in ("left", "right") for m in moves):
            return moves


def parse_challenge(text: str) -> list[str]:
    moves = [m.strip().lower() for m in text.split(",") if m.strip()]
    bad = [m for m in moves if m not in MOVES]
    if bad or not moves:
        raise ValueError(f"a challenge is a list of {', '.join(MOVES)} (got {text!r})")
    return moves


def nose_parallax(reference: np.ndarray, current: np.ndarray) -> float:
    """How far the nose is from where the homography of the eyes and mouth corners puts it, in eye distances."""
    import cv2

    src = np.asarray(reference, dtype=np.float32)[[0, 1, 3, 4]]
    dst = np.asarray(current, dtype=np.float32)[[0, 1, 3, 4]]
    try:
        h = cv2.getPerspectiveTransform(src, dst)
    except cv2.error:
        return 0.0
    nose = np.array([reference[2][0], reference[2][1], 1.0])
    mapped = h @ nose
    if abs(mapped[2]) < 1e-9:
        return 0.0
    predicted = mapped[:2] / mapped[2]
    eye_distance = float(np.linalg.norm(np.asarray(current[1]) - np.asarray(current[0]))) or 1.0
    return float(np.linalg.norm(predicted - np.asarray(current[2]))) / eye_distance


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    """Every fourth pixel of every fourth row, grey: subsampled, not averaged, so a camera's sensor noise
    (a few grey levels per pixel, independent between frames) survives and a replayed frame, which is
    bit-identical, stands out against it."""
    import cv2

    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return grey[::4, ::4].astype(np.float32)


class LivenessCheck:
    """Feed it frames (with the main face) as they come; read `prompt` for the user and `result()` at the end."""

    def __init__(self, challenge: list[str] | None = None, limits: LivenessLimits | None = None,
                 rng: random.Random | None = None):
        self.limits = limits or LivenessLimits()
        self.challenge = list(challenge) if challenge else random_challenge(rng=rng)
        self.completed: list[str] = []
        self._baseline: list[tuple[float, float]] = []
        self._reference: np.ndarray | None = None
        self._held = 0
        self._need_neutral = False
        self._step_started: float | None = None
        self._parallaxes: list[float] = []
        self._thumbs: list[np.ndarray] = []
        self._frames = 0
        self._still = 0
        self._failed = ""

    # -- state ---------------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return bool(self._failed) or len(self.completed) == len(self.challenge)

    @property
    def prompt(self) -> str:
        """What the user should do now, in words."""
        if self._failed:
            return self._failed
        if len(self._baseline) < self.limits.baseline_frames:
            return "look straight at the camera"
        if len(self.completed) == len(self.challenge):
            return "done"
        if self._need_neutral:
            return "now look straight at the camera again"
        return MOVE_WORDS[self.challenge[len(self.completed)]]

    def _fail(self, reason: str) -> None:
        if not self._failed:
            self._failed = reason

    # -- frames --------------------------------------------------------------------------------------
    def update(self, t: float, face: Face | None, frame: np.ndarray | None = None) -> None:
        if self.done:
            return
        self._frames += 1
        if frame is not None:
            self._check_replay(frame)
        if face is None or self._failed:
            return
        yaw, pitch = head_pose(face)
        if len(self._baseline) < self.limits.baseline_frames:
            self._baseline.append((yaw, pitch))
            if len(self._baseline) == self.limits.baseline_frames:
                self._reference = np.asarray(face.landmarks, dtype=np.float64)
                self._step_started = t
            return
        base_yaw = float(np.median([b[0] for b in self._baseline]))
        base_pitch = float(np.median([b[1] for b in self._baseline]))
        dyaw, dpitch = yaw - base_yaw, pitch - base_pitch
        pose = self._pose(dyaw, dpitch)
        if pose in ("left", "right") and self._reference is not None:
            self._parallaxes.append(nose_parallax(self._reference, face.landmarks))
        if self._step_started is not None and t - self._step_started > self.limits.step_timeout_s:
            self._fail(f"timed out waiting for: {self.prompt}")
            return
        if self._need_neutral:
            if max(abs(dyaw), abs(dpitch)) < self.limits.neutral:
                self._need_neutral = False
                self._step_started = t
            return
        expected = self.challenge[len(self.completed)]
        if pose is None:
            self._held = 0
            return
        if pose != expected:
            self._fail(f"asked to {MOVE_WORDS[expected]}, the head moved {pose}")
            return
        self._held += 1
        if self._held >= self.limits.hold_frames:
            self.completed.append(expected)
            self._held = 0
            self._need_neutral = len(self.completed) < len(self.challenge)
            self._step_started = t

    def _pose(self, dyaw: float, dpitch: float) -> str | None:
        lim = self.limits
        if abs(dyaw) >= lim.yaw_turn and abs(dyaw) / lim.yaw_turn >= abs(dpitch) / lim.pitch_turn:
            return "left" if dyaw > 0 else "right"
        if abs(dpitch) >= lim.pitch_turn:
            return "down" if dpitch > 0 else "up"
        return None

    def _check_replay(self, frame: np.ndarray) -> None:
        thumb = _thumbnail(frame)
        if self._thumbs:
            if float(np.mean(np.abs(thumb - self._thumbs[-1]))) < self.limits.same_level:
                self._still += 1
                if self._still >= 3:
                    self._fail("the picture does not change at all: a photo or a frozen video, not a live camera")
                    return
            else:
                self._still = 0
            for old in self._thumbs[:-self.limits.repeat_gap]:
                if float(np.mean(np.abs(thumb - old))) < self.limits.same_level:
                    self._fail("the same frames came back: a looped video, not a live camera")
                    return
        self._thumbs.append(thumb)
        if len(self._thumbs) > 300:
            self._thumbs.pop(0)

    # -- verdict -------------------------------------------------------------------------------------
    @property
    def _parallax(self) -> float:
        return float(np.median(self._parallaxes)) if self._parallaxes else 0.0

    def result(self) -> LivenessResult:
        if self._failed:
            return LivenessResult(False, self._failed, self.challenge, list(self.completed), self._parallax, self._frames)
        if len(self.completed) < len(self.challenge):
            missing = ", ".join(self.challenge[len(self.completed):])
            reason = ("no face was seen long enough to start" if len(self._baseline) < self.limits.baseline_frames
                      else f"the challenge was not completed (still to do: {missing})")
            return LivenessResult(False, reason, self.challenge, list(self.completed), self._parallax, self._frames)
        if self._parallax < self.limits.min_parallax:
            return LivenessResult(False, "the face moved like a flat picture (no depth when the head turned): "
                                  f"parallax {self._parallax:.3f} < {self.limits.min_parallax}", self.challenge,
                                  list(self.completed), self._parallax, self._frames)
        return LivenessResult(True, f"followed the challenge ({', '.join(self.challenge)}) with a real head's depth "
                              f"(parallax {self._parallax:.3f})", self.challenge, list(self.completed),
                              self._parallax, self._frames)
