"""Voice activity: Silero VAD v6 (PyPI `silero-vad` 6.2.3, MIT), rebuilt from its 16 kHz ONNX graph.

Nothing is trained. The ONNX file `silero_vad_openvino_16k.onnx` is read from the silero-vad wheel (pip
download, no PyTorch needed) and rebuilt in Keras layer by layer (assistant.factory.vad_rebuild); the float
model matches onnxruntime's run of the original within 1e-6 on the probability.

One call decides one 32 ms chunk: inputs `audio` [1, 576] (the 64 samples before the chunk, then its
512 samples) and `state` [1, 2, 128] (the LSTM's h and c from the previous call, zeros at the start);
outputs `speech` [1, 1] (probability) and `state` [1, 2, 128].

Evaluation audio: the five LibriVox recordings of Debian `pocketsphinx-testdata` and espeak-ng commands
(two voices), each with silence around it, clean and with white or brown noise at 20, 10 and 5 dB SNR.
Calibration audio is disjoint: the "cards", "go forward", "numbers" and "something" recordings and other
espeak-ng sentences in two other voices. Task metric: the share of chunks on which a variant, run as
the app runs it (its own state fed back), decides speech/no speech as onnxruntime does on the original
(threshold 0.5), over the whole evaluation audio; F1 against the energy labels is reported beside it,
with webrtcvad as the classical baseline.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.inference import registry
from assistant.factory import speech_data
from assistant.factory.archives import Archive, ArchiveReader, download
from assistant.factory.recipes.base import (
    MetricSpec,
    PredictFn,
    PreparedData,
    Recipe,
    TensorSpec,
    package_version,
)

logger = logging.getLogger(__name__)

SILERO = Archive("silero-vad", "wheel", "silero-vad", "6.2.3", "MIT")
SILERO_MEMBER = "silero_vad/data/silero_vad_openvino_16k.onnx"
THRESHOLD = 0.5  # Silero's own default: speech when the probability exceeds it
REPRESENTATIVE = 320  # calibration chunks, spread evenly over the calibration audio
# The endpointer's defaults, written to the manifest for the app (core/speech/vad.py reads them).
ENDPOINT = {"threshold": THRESHOLD, "neg_threshold": 0.35, "start_chunks": 2, "end_silence_ms": 480,
            "pre_roll_ms": 320, "max_utterance_s": 20.0}


def register_keras_objects() -> None:
    """Called by the conversion worker before it loads the saved float model."""
    from assistant.factory.vad_rebuild import magnitude_layer

    magnitude_layer()


def silero_onnx(work_dir: Path) -> Path:
    """The original 16 kHz ONNX file, extracted once from the silero-vad wheel."""
    folder = Path(work_dir).resolve().parent / "speech-data"
    target = folder / "onnx" / Path(SILERO_MEMBER).name
    if not target.is_file():
        reader = ArchiveReader(download(SILERO, folder / "downloads"), SILERO)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(reader.read(SILERO_MEMBER))
        finally:
            reader.close()
    return target


def reference_run(onnx_path: Path, clips: list[speech_data.VadClip]) -> list[dict[str, np.ndarray]]:
    """onnxruntime on the original, chunk by chunk: windows, the state before each chunk, probabilities."""
    from assistant.factory.vad_rebuild import UNITS, OnnxSilero, windows

    silero = OnnxSilero(onnx_path)
    runs = []
    for clip in clips:
        win = windows(clip.signal)
        state = np.zeros((1, 2, UNITS), np.float32)
        states, probs = np.zeros((len(win), 2, UNITS), np.float32), np.zeros(len(win), np.float32)
        for i, w in enumerate(win):
            states[i] = state[0]
            probs[i], state = silero.run(w, state)
        runs.append({"windows": win, "states": states, "probs": probs})
    return runs


def closed_loop(predict: PredictFn, windows: np.ndarray) -> np.ndarray:
    """Probabilities of a model fed its own state, as the app runs it."""
    from assistant.factory.vad_rebuild import UNITS

    state = np.zeros((1, 2, UNITS), np.float32)
    probs = np.zeros(len(windows), np.float32)
    for i, w in enumerate(windows):
        speech, state = predict([w[None], state])
        probs[i] = float(np.asarray(speech).reshape(-1)[0])
        state = np.asarray(state, dtype=np.float32).reshape(1, 2, UNITS)
    return probs


def f1(decisions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(decisions & labels))
    precision = tp / max(1.0, float(np.sum(decisions)))
    recall = tp / max(1.0, float(np.sum(labels)))
    return {"f1": 2 * precision * recall / max(1e-12, precision + recall), "precision": precision, "recall": recall}


def decision_metrics(decisions: list[np.ndarray], references: list[np.ndarray], labels: list[np.ndarray],
                     conditions: list[str]) -> dict[str, float]:
    """Agreement with the original's decisions (overall and in the worst condition), F1 against labels."""
    d, r, lab = (np.concatenate(x) for x in (decisions, references, labels))
    out = {"decision_agreement": float(np.mean(d == r)), **f1(d, lab), "chunks": float(d.size)}
    per: dict[str, list[np.ndarray]] = {}
    for dec, ref, cond in zip(decisions, references, conditions, strict=True):
        per.setdefault(cond, []).append(dec == ref)
    worst = min(per, key=lambda c: float(np.mean(np.concatenate(per[c]))))
    out["worst_condition_agreement"] = float(np.mean(np.concatenate(per[worst])))
    return out


def webrtc_decisions(signal: np.ndarray, mode: int) -> np.ndarray:
    """webrtcvad on 10 ms frames, a 32 ms chunk counted as speech when most of its frames are."""
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    frame = 160
    flags = np.array([vad.is_speech(pcm[i : i + frame].tobytes(), 16000)
                      for i in range(0, pcm.size - frame + 1, frame)], dtype=bool)
    chunks = signal.size // speech_data.CHUNK
    out = np.zeros(chunks, bool)
    for c in range(chunks):
        a, b = c * speech_data.CHUNK // frame, ((c + 1) * speech_data.CHUNK - 1) // frame + 1
        out[c] = flags[a:b].mean() > 0.5 if b > a else False
    return out


class VadRecipe(Recipe):
    name = registry.VAD
    task = "voice activity detection (speech or not, per 32 ms chunk at 16 kHz)"
    kind = "recurrent"
    architecture = ("Silero VAD v6 (16 kHz), rebuilt from ONNX in Keras: STFT as two strided Conv1D (129 bins), "
                    "magnitude, four Conv1D+ReLU, one LSTM step (128 units, state in and out), Dense+sigmoid")
    metric = MetricSpec("decision_agreement", higher_is_better=True, tolerance=0.005)
    precisions = ("fp32", "fp16", "dynamic", "int8", "int16x8")
    int8_io = False  # the state is fed back each chunk: it stays float at the model's edge
    op_determinism = False
    # The selective search keeps the front end in float first: the reflect pad, the STFT and the magnitude.
    float_first = ("reflect_pad", "padded", "samples", "stft_real", "stft_imag", "magnitude")

    @property
    def sources(self) -> list[dict[str, str]]:  # type: ignore[override]
        return [
            {"name": f"Silero VAD ({SILERO_MEMBER.rsplit('/', 1)[-1]}, in the silero-vad wheel)",
             "version": f"silero-vad {SILERO.version}", "license": "MIT", "use": "weights, rebuilt"},
            {"name": "pocketsphinx-testdata (Debian): LibriVox, cards, go forward, numbers recordings",
             "version": "Debian", "license": "BSD-2-Clause (CMU Sphinx); LibriVox recordings public domain",
             "use": "evaluation and calibration audio (read at build time, not shipped)"},
            {"name": "espeak-ng (Debian)", "version": "Debian", "license": "GPL-3.0 (program; its output is ours)",
             "use": "spoken commands for evaluation and calibration (made at build time, not shipped)"},
            {"name": "onnxruntime", "version": package_version("onnxruntime"), "license": "MIT",
             "use": "runs the original ONNX file: the reference every variant is verified against"},
            {"name": "webrtcvad-wheels", "version": package_version("webrtcvad-wheels"), "license": "MIT",
             "use": "classical baseline"},
        ]

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        onnx_path = silero_onnx(work_dir)
        cache = Path(work_dir).resolve().parent / "speech-data" / "espeak"
        voices_eval = speech_data.EVAL_VOICES[:1] if quick else speech_data.EVAL_VOICES
        phrases_eval = speech_data.EVAL_PHRASES[:2] if quick else speech_data.EVAL_PHRASES
        recordings = speech_data.librivox()[: 2 if quick else None] + speech_data.spoken(phrases_eval, voices_eval, cache)
        calibration = speech_data.cards() + speech_data.sphinx_raw() + speech_data.spoken(
            speech_data.CALIBRATION_PHRASES[: 2 if quick else None], speech_data.CALIBRATION_VOICES, cache)
        conditions = speech_data.CONDITIONS[1:3] if quick else speech_data.CONDITIONS
        eval_clips = speech_data.vad_clips(recordings, conditions, seed)
        cal_clips = speech_data.vad_clips(calibration, conditions, seed + 1)
        eval_runs = reference_run(onnx_path, eval_clips)
        cal_runs = reference_run(onnx_path, cal_clips)
        cal_windows = np.concatenate([r["windows"] for r in cal_runs])
        cal_states = np.concatenate([r["states"] for r in cal_runs])
        pick = np.unique(np.linspace(0, len(cal_windows) - 1, min(REPRESENTATIVE, len(cal_windows))).astype(int))
        labels = [c.labels for c in eval_clips]
        summary = {
            "evaluation_recordings": len(recordings), "evaluation_clips": len(eval_clips),
            "evaluation_chunks": int(sum(len(r["windows"]) for r in eval_runs)),
            "speech_chunk_share": round(float(np.mean(np.concatenate(labels))), 4),
            "conditions": [c.condition for c in eval_clips[: len(conditions)]],
            "calibration_recordings": len(calibration), "calibration_chunks": int(len(pick)),
            "calibration_note": "recordings and sentences (and espeak-ng voices) none of which is in the evaluation",
            "labels": "per 32 ms chunk from the clean signal: within 35 dB of its 95th-percentile level, pauses "
                      "of up to 3 chunks inside speech bridged",
            "threshold": THRESHOLD,
        }
        payload = {"onnx": onnx_path, "clips": eval_clips, "runs": eval_runs}
        self._payload = payload  # post_build explains int8 on the same audio
        return PreparedData(
            representative=[[cal_windows[i : i + 1], cal_states[i : i + 1]] for i in pick],
            verify_inputs=[np.concatenate([r["windows"] for r in eval_runs]),
                           np.concatenate([r["states"] for r in eval_runs])],
            payload=payload,
            summary=summary,
        )

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        from assistant.factory.vad_rebuild import build

        model, weights = build(data.payload["onnx"])
        data.summary["rebuild"] = {"onnx_nodes": weights.nodes, "ops": weights.ops}
        return model

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        from assistant.factory.vad_rebuild import CHUNK, CONTEXT, UNITS, WINDOW

        return (
            [TensorSpec("audio", (1, WINDOW), "float32", "features",
                        f"16 kHz mono float in [-1, 1]: the last {CONTEXT} samples of the previous chunk, then "
                        f"the {CHUNK} samples of this one (zeros before the first)"),
             TensorSpec("state", (1, 2, UNITS), "float32", "state",
                        "LSTM h and c from the previous call; zeros at the start of a stream")],
            [TensorSpec("speech", (1, 1), "float32", "probabilities", "probability that the chunk is speech"),
             TensorSpec("state", (1, 2, UNITS), "float32", "state", "feed back as the next call's state")],
        )

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        clips, runs = data.payload["clips"], data.payload["runs"]
        probs = [closed_loop(predict, r["windows"]) for r in runs]
        out = decision_metrics([p > THRESHOLD for p in probs], [r["probs"] > THRESHOLD for r in runs],
                               [c.labels for c in clips], [c.condition for c in clips])
        out["probability_mae"] = float(np.mean(np.abs(np.concatenate(probs) - np.concatenate([r["probs"] for r in runs]))))
        return out

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        clips, runs = data.payload["clips"], data.payload["runs"]
        refs = [r["probs"] > THRESHOLD for r in runs]
        labels = [c.labels for c in clips]
        conditions = [c.condition for c in clips]
        out = {"silero_onnx (the original, onnxruntime)": decision_metrics(refs, refs, labels, conditions)}
        for mode in (2, 3):
            found = [webrtc_decisions(c.signal, mode) for c in clips]
            out[f"webrtcvad (mode {mode}, 10 ms frames, majority per chunk)"] = decision_metrics(
                found, refs, labels, conditions)
        return out

    def manifest_extra(self, data: PreparedData) -> dict[str, Any]:
        from assistant.factory.vad_rebuild import CHUNK, CONTEXT, SAMPLE_RATE

        return {"vad": {"sample_rate": SAMPLE_RATE, "chunk": CHUNK, "context": CONTEXT, **ENDPOINT}}

    def post_build(self, models_dir: Path, manifest: dict[str, Any], work_dir: Path, quick: bool) -> dict[str, Any]:
        """Why full int8 fails, measured: its audio step against the speech levels, and where it disagrees."""
        payload = getattr(self, "_payload", None)
        int8 = Path(work_dir) / "variants" / f"{self.name}.int8.tflite"
        if payload is None or not int8.is_file():
            return {}
        return {self.name: {"findings": int8_findings(int8, payload["clips"], payload["runs"])}}


def _audio_step(path: Path) -> float | None:
    """The quantization step of the int8 model's audio tensor (the first [1, 576] int8 tensor)."""
    from assistant.core.inference.runtime import get_runtime
    from assistant.factory.vad_rebuild import WINDOW

    interp = get_runtime().interpreter_class(model_path=str(path))
    for detail in interp.get_tensor_details():
        scale = (detail.get("quantization") or (0.0, 0))[0]
        if tuple(detail["shape"]) == (1, WINDOW) and scale and np.dtype(detail["dtype"]) == np.int8:
            return float(scale)
    return None


def int8_findings(path: Path, clips: list[speech_data.VadClip], runs: list[dict[str, np.ndarray]]) -> list[str]:
    """Sentences for the report, each from a number measured here."""
    from assistant.core.inference.runner import ModelRunner

    out = []
    step = _audio_step(path)
    levels = np.concatenate([speech_data.chunk_levels(c.signal)[c.labels] for c in clips])
    rms = 10 ** (levels / 20)
    if step is not None:
        out.append(f"Full int8 quantizes the audio itself to 8 bits: one step is {step:.4f} of full scale "
                   f"({20 * np.log10(step):.1f} dBFS), so {np.mean(rms < step):.1%} of the evaluation's speech chunks "
                   f"are quieter than one step and {np.mean(rms < 4 * step):.1%} quieter than four "
                   f"(16-bit audio has a step of 0.00003).")
    runner = ModelRunner(path, num_threads=1, input_names=["audio", "state"])
    disagree, missed, by_condition = 0, 0, {}
    for clip, run in zip(clips, runs, strict=True):
        probs = closed_loop(lambda inputs: runner.run(inputs), run["windows"])
        mine, ref = probs > THRESHOLD, run["probs"] > THRESHOLD
        diff = mine != ref
        disagree += int(diff.sum())
        missed += int((diff & ref).sum())
        by_condition.setdefault(clip.condition, []).append(diff)
    total = sum(len(r["probs"]) for r in runs)
    out.append(f"Run as the app runs it, int8 decides {disagree} of {total} chunks otherwise than the original "
               f"({disagree / max(1, total):.1%}); {missed / max(1, disagree):.0%} of those are speech it does not hear.")
    out.append("Disagreement by condition: " + ", ".join(
        f"{cond} {np.mean(np.concatenate(d)):.1%}" for cond, d in by_condition.items()) + ".")
    return out
