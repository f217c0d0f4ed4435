"""One face-unlock attempt: frames in, a verdict out. Identity (the measured threshold) and liveness (the
challenge, planarity and replay checks) must both hold.

`UnlockSession.feed(frame)` returns an `UnlockState` after every frame: what to show (face box, score,
the challenge prompt in words) and, at the end, unlocked or refused with the reason. It holds no thread
and no UI: the login window runs it on the camera stream's processing thread; the CLI runs it on a file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.core.face.detector import Face
from assistant.core.face.frames import Frame
from assistant.core.face.liveness import LivenessCheck, LivenessResult
from assistant.core.face.template import FaceTemplate
from assistant.core.face.verifier import FaceVerifier

logger = logging.getLogger(__name__)

MATCH_SHARE = 0.5  # of the frames with one face: at least this share must match (the same person throughout)
MIN_MATCHES = 2


@dataclass
class UnlockState:
    status: str  # looking | challenge | unlocked | refused
    message: str
    face: Face | None = None
    score: float | None = None
    threshold: float | None = None
    prompt: str = ""
    liveness: LivenessResult | None = None
    frames: int = 0
    ms: float = 0.0  # processing time of this frame
    matched_at: float | None = None  # perf_counter() of the first matching frame

    @property
    def done(self) -> bool:
        return self.status in ("unlocked", "refused")


@dataclass
class UnlockSession:
    verifier: FaceVerifier
    template: FaceTemplate
    liveness: bool = True
    challenge: list[str] | None = None
    max_seconds: float = 25.0  # of frame time without success before the attempt counts as failed
    check: LivenessCheck | None = None
    state: UnlockState = field(default_factory=lambda: UnlockState("looking", "looking for your face"))

    def __post_init__(self) -> None:
        self.threshold = self.verifier.threshold()
        self.reference = self.template.vector / (float(np.linalg.norm(self.template.vector)) or 1.0)
        if self.liveness and self.check is None:
            self.check = LivenessCheck(self.challenge)
        self._scored = 0
        self._matched = 0
        self._start: float | None = None
        self._best: float | None = None
        self.total_ms = 0.0

    def feed(self, frame: Frame) -> UnlockState:
        if self.state.done or frame.image is None:
            return self.state
        if self._start is None:
            self._start = frame.timestamp
        result = self.verifier.analyse(frame.image, frame.index, frame.name)
        score = None
        if result.embedding is not None:
            score = float(np.dot(result.embedding, self.reference))
            self._scored += 1
            if score >= self.threshold:
                self._matched += 1
                if self.state.matched_at is None:
                    self.state.matched_at = time.perf_counter()
            self._best = score if self._best is None else max(self._best, score)
        if self.check is not None:
            self.check.update(frame.timestamp, result.face if result.faces == 1 else None, frame.image)
        st = self.state
        st.face, st.score, st.threshold, st.frames, st.ms = result.face, score, self.threshold, st.frames + 1, \
            result.ms.get("total", 0.0)
        self.total_ms += st.ms
        identity = self._matched >= (MIN_MATCHES if self.liveness else 1) and \
            self._matched >= MATCH_SHARE * self._scored
        if self.check is None:
            if identity:
                return self._end("unlocked", f"welcome back (score {self._best:.2f})")
        else:
            st.prompt = self.check.prompt
            if self.check.done:
                st.liveness = self.check.result()
                if not st.liveness.live:
                    return self._end("refused", f"not a live face: {st.liveness.reason}")
                if identity:
                    return self._end("unlocked", f"welcome back (score {self._best:.2f}, live)")
                return self._end("refused", "the face is not the enrolled one"
                                 + (f" (best score {self._best:.2f} < {self.threshold:.2f})" if self._best is not None
                                    else ""))
            st.status = "challenge" if result.face is not None else "looking"
            st.message = st.prompt if result.face is not None else (result.reason or "looking for your face")
        if self.check is None:
            st.status = "looking"
            st.message = result.reason or ("not the enrolled face" if score is not None else "looking for your face")
        if frame.timestamp - self._start > self.max_seconds:
            return self._end("refused", "timed out: " + ("the face is not the enrolled one" if self._best is not None
                                                           else "no face seen"))
        return st

    @property
    def best_score(self) -> float | None:
        return self._best

    @property
    def identity_matched(self) -> bool:
        return self._matched >= 1 and self._matched >= MATCH_SHARE * self._scored

    def finish(self) -> UnlockState:
        """The verdict when the frames run out (the end of a video file)."""
        if self.state.done:
            return self.state
        if self.check is not None:
            self.state.liveness = self.check.result()
            if not self.state.liveness.live:
                return self._end("refused", f"not a live face: {self.state.liveness.reason}")
        return self._end("refused", "the face is not the enrolled one" if self._best is not None else "no face seen")

    def _end(self, status: str, message: str) -> UnlockState:
        self.state.status, self.state.message = status, message
        if self.check is not None and self.state.liveness is None:
            self.state.liveness = self.check.result()
        return self.state
