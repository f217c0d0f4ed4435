"""The committed face models: every shipped variant loads, Auto picks from measurements, every pair the app can
run has a measured threshold, and the in-process pipeline matches and refuses like the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.appdata.settings import Settings
from assistant.core.face.detector import HAAR, YuNetDetector, load_detector
from assistant.core.face.embedder import FaceEmbedder
from assistant.core.face.frames import read_image
from assistant.core.face.verifier import FaceVerifier, measured_threshold
from assistant.core.inference.hardware import detect
from assistant.core.inference.policy import select
from tests.conftest import HARDWARE_FIXTURES, photo


def test_every_shipped_pair_has_a_measured_threshold(face_models):
    detectors = [v.precision for v in face_models.model("face_detector").shipped()] + [HAAR]
    embedders = [v.precision for v in face_models.model("face_embedder").shipped()]
    for d in detectors:
        for e in embedders:
            entry = measured_threshold(face_models, f"{d}+{e}")
            assert 0.0 < entry["threshold"] < 1.0
            # No impostor pair of the evaluation set passes the threshold the app uses.
            assert entry["threshold"] > entry["impostor"]["max"]


def test_auto_picks_the_face_precisions_from_measurements(face_models):
    profile = detect(cpuinfo_path=HARDWARE_FIXTURES / "x86_avx512_vnni.cpuinfo")
    for model in ("face_detector", "face_embedder"):
        info = face_models.model(model)
        decision = select(model, catalog=face_models, profile=profile, settings=Settings())
        assert decision.source in ("factory", "calibration") and "ms" in decision.reason
        assert info.keeps_quality(decision.precision)
        fastest = min((v for v in info.shipped() if info.keeps_quality(v.precision) and v.precision != "int16x8"),
                      key=lambda v: v.latency_ms["p50_1t"])
        assert decision.latency_ms[decision.precision] <= fastest.latency_ms["p50_1t"] * 1.05 + 1e-9
    embedder = face_models.model("face_embedder")
    if "int8" in embedder.variants and embedder.variants["int8"].shipped:
        # The lesson of the spine issue: full int8 on a VNNI CPU, measured slower, is not chosen.
        assert select("face_embedder", catalog=face_models, profile=profile, settings=Settings()).precision != "int8"


@pytest.mark.parametrize("precision", ["fp32", "fp16", "dynamic"])
def test_every_quality_keeping_detector_finds_the_face(face_models, face_photos, precision):
    if precision not in face_models.model("face_detector").variants:
        pytest.skip(f"no {precision} detector shipped")
    faces = YuNetDetector(precision, face_models).detect(read_image(photo(face_photos, "ardern_2")))
    assert len(faces) == 1 and faces[0].score > 0.8


def test_the_pipeline_in_process(face_models, face_photos):
    verifier = FaceVerifier(catalog=face_models)
    from assistant.core.face.frames import ImageFileSource

    enrolled = verifier.enrol(ImageFileSource(photo(face_photos, "ardern_1")), name="Jacinda")
    assert enrolled.ok and enrolled.template.embedder_precision == verifier.embedder.precision
    same = verifier.verify(ImageFileSource(photo(face_photos, "ardern_2")), enrolled.template)
    other = verifier.verify(ImageFileSource(photo(face_photos, "macron_2")), enrolled.template)
    assert same.match and not other.match and same.score > other.score
    assert same.threshold == pytest.approx(measured_threshold(face_models, verifier.pair)["threshold"])


def test_the_haar_fallback_runs_with_its_own_threshold(face_models, face_photos):
    detector = load_detector(HAAR, face_models)
    verifier = FaceVerifier(catalog=face_models, detector=detector, embedder=FaceEmbedder("fp32", face_models))
    assert verifier.pair == "haar+fp32" and 0 < verifier.threshold() < 1
    result = verifier.analyse(read_image(photo(face_photos, "sunak_1")))
    assert result.embedding is not None and np.isclose(np.linalg.norm(result.embedding), 1.0)
