"""`assistant --self-test`: does this installation work? (also inside the frozen app)

Checks, each with a result and the reason in words:
- every model at every shipped precision loads and gives, on stored inputs, the stored outputs
  (`models/selftest.npz`, made by scripts/make_selftest.py with the same runtime);
- a short bundled recording (resources/selftest/what-time-is-it.wav, made with espeak-ng) is transcribed
  by the default engine with the TFLite VAD and the chatbot answers it with the time;
- a face picture is enrolled and a changed copy of it verified (the bundle's selftest/face.png: the
  public-domain NASA portrait of Eileen Collins from scikit-image, put there by `make package`; from a
  source checkout, the factory's copy in .factory-work);
- the main window opens and closes (offscreen when there is no display), in a scratch home folder;
- the user folders are writable.
Exit code 0 only when every check passes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.appdata import paths

logger = logging.getLogger(__name__)

EXPECTED = "selftest.npz"
SELFTEST_WAV = ("selftest", "what-time-is-it.wav")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _run(name: str, fn: Callable[[], str]) -> Check:
    start = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # noqa: BLE001 - a failing check is reported, the others still run
        logger.debug("self-test %s failed", name, exc_info=True)
        detail, ok = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc), False
    return Check(name, ok, detail, (time.perf_counter() - start) * 1000)


def close_enough(expected: np.ndarray, got: np.ndarray) -> tuple[bool, str]:
    """Same answer on another CPU: float sums may be ordered differently, int8 may move by a step."""
    expected, got = np.asarray(expected, np.float64), np.asarray(got, np.float64)
    if expected.shape != got.shape:
        return False, f"output shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return False, "output has NaN or infinity"
    scale = float(np.max(np.abs(expected))) or 1.0
    worst = float(np.max(np.abs(expected - got))) / scale
    if expected.ndim >= 2 and expected.shape[-1] > 1 and expected.size < 100_000:
        if not np.array_equal(np.argmax(expected, -1), np.argmax(got, -1)) and worst > 0.02:
            return False, f"a different top answer (relative error {worst:.3g})"
    return worst <= 0.02, f"relative error {worst:.2g}"


def check_models(models_dir: Path | None = None) -> list[Check]:
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.runner import ModelRunner

    models_dir = models_dir or paths.models_dir()
    catalog = Catalog.load(models_dir)
    expected_path = models_dir / EXPECTED
    checks: list[Check] = []
    if catalog.problems:
        checks.append(Check("model catalog", False, "; ".join(catalog.problems), 0.0))
    if not expected_path.is_file():
        return checks + [Check("model outputs", False, f"{expected_path} is missing (scripts/make_selftest.py)", 0.0)]
    with np.load(expected_path) as stored:
        data = {k: stored[k] for k in stored.files}
    index = json.loads(str(data.pop("index")))
    for name, info in sorted(catalog.models.items()):
        for variant in info.shipped():
            key = f"{name}.{variant.precision}"

            def one(info=info, variant=variant, key=key) -> str:
                entry = index.get(key)
                if entry is None:
                    raise RuntimeError("no stored output for this variant (rerun scripts/make_selftest.py)")
                if entry["sha256"] != variant.sha256:
                    raise RuntimeError("the stored output was made for another file of this variant")
                check = catalog.check(info.name, variant.precision)
                if not check.ok:
                    raise RuntimeError(check.reason)
                runner = ModelRunner(variant.path, 1, [t.name for t in info.inputs])
                inputs = [data[f"{info.name}.in{i}"] for i in range(len(info.inputs))]
                outputs = runner.run(inputs)
                notes = []
                for i, got in enumerate(outputs):
                    ok, note = close_enough(data[f"{key}.out{i}"], got)
                    if not ok:
                        raise RuntimeError(f"output {i}: {note}")
                    notes.append(note)
                return "same outputs as stored (" + ", ".join(notes) + ")"

            checks.append(_run(f"{name} {variant.precision}", one))
    return checks


def check_speech() -> str:
    from assistant.core.speech.engines import make_engine
    from assistant.core.speech.stream import transcribe_file
    from assistant.core.speech.vad import VoiceActivity
    from assistant.core.text.chatbot import Chatbot

    wav = paths.resources_dir().joinpath(*SELFTEST_WAV)
    result = transcribe_file(wav, make_engine("whisper"), VoiceActivity())
    if "time" not in result.text.lower():
        raise RuntimeError(f"heard {result.text!r} in {wav.name} (expected 'what time is it')")
    reply = Chatbot().ask(result.text)
    if reply.intent != "time":
        raise RuntimeError(f"the chatbot took {result.text!r} for {reply.intent}")
    return f"heard {result.text!r} (VAD {result.vad_precision}, RTF {result.rtf:.2f}); the chatbot answered the time"


def face_picture() -> Path | None:
    for candidate in (paths.bundle_root() / "selftest" / "face.png",
                      paths.bundle_root() / ".factory-work" / "face-data" / "photos" / "collins_1.png"):
        if candidate.is_file():
            return candidate
    return None


def check_face() -> str:
    import cv2

    from assistant.core.face.frames import Frame
    from assistant.core.face.verifier import FaceVerifier

    picture = face_picture()
    if picture is None:
        raise RuntimeError("no face picture in the bundle (make package puts selftest/face.png there)")
    image = cv2.imread(str(picture))
    if image is None:
        raise RuntimeError(f"{picture} cannot be read")
    verifier = FaceVerifier()
    enrolled = verifier.enrol([Frame(image, 0, 0.0, picture.name)], wanted=1)
    if enrolled.template is None:
        raise RuntimeError(f"enrolment failed: {enrolled.reason}")
    changed = cv2.convertScaleAbs(cv2.resize(image, None, fx=0.8, fy=0.8), alpha=0.85, beta=12)
    result = verifier.verify([Frame(changed, 1, 0.0, "changed")], enrolled.template)
    if not result.match:
        raise RuntimeError(result.reason)
    blank = np.full_like(image, 128)
    nobody = verifier.verify([Frame(blank, 2, 0.0, "grey")], enrolled.template)
    if nobody.match:
        raise RuntimeError("a grey picture matched the enrolled face")
    return f"{verifier.pair}: {result.reason}; a grey picture: {nobody.reason}"


def check_window() -> str:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = tempfile.mkdtemp(prefix="assistant-selftest-")
    saved = os.environ.get("ASSISTANT_HOME")
    os.environ["ASSISTANT_HOME"] = scratch
    try:
        from PySide6.QtWidgets import QApplication

        from assistant.core.appdata.settings import Settings
        from assistant.ui.app import create_app
        from assistant.ui.main_window import MainWindow

        app = create_app(["assistant"], Settings())
        start = time.perf_counter()
        window = MainWindow(settings=Settings(), calibrate_on_start=False)
        window.show()
        deadline = time.monotonic() + 60
        while not window.loaded and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        shown = (time.perf_counter() - start) * 1000
        loaded = window.loaded
        problems = list(window.state.problems.values())
        window.close()
        QApplication.processEvents()
        if not loaded:
            raise RuntimeError("the window's models did not load within 60 s")
        if problems:
            raise RuntimeError("; ".join(problems))
        return f"opened and closed ({os.environ.get('QT_QPA_PLATFORM') or 'display'}), models loaded in {shown:.0f} ms"
    finally:
        if saved is None:
            os.environ.pop("ASSISTANT_HOME", None)
        else:
            os.environ["ASSISTANT_HOME"] = saved
        shutil.rmtree(scratch, ignore_errors=True)


def check_folders() -> str:
    checked = []
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.logs_dir()):  # each made here
        probe = folder / f".selftest-{os.getpid()}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
        checked.append(str(folder))
    return "writable: " + ", ".join(checked)


def run_all() -> list[Check]:
    """Every check, under the network guard: a working installation never needs a connection."""
    from assistant import netguard

    recorder = netguard.Recorder()
    netguard.install(recorder)
    try:
        checks = check_models()
        checks.append(_run("speech to text", check_speech))
        checks.append(_run("face verification", check_face))
        checks.append(_run("main window", check_window))
        checks.append(_run("user folders", check_folders))
        checks.append(_run("no network", lambda: check_no_network(recorder)))
    finally:
        netguard.remove_listener(recorder)
    return checks


def check_no_network(recorder: Any) -> str:
    """No check above tried to connect beyond this computer, and the guard really blocks (a probe lookup)."""
    import socket

    from assistant import netguard

    attempts = list(recorder.blocked)
    if attempts:
        raise RuntimeError("tried to use the network: " + ", ".join(f"{e.call}({e.target})" for e in attempts[:3]))
    try:
        socket.getaddrinfo("example.com", 443)
    except netguard.NetworkBlocked:
        pass
    else:
        raise RuntimeError("the network guard is not on: a lookup of example.com went through")
    loopback = len([e for e in recorder.events if e.kind == "loopback"])
    return f"no connection attempted ({loopback} loopback uses); a probe lookup was blocked"


def main(as_json: bool = False) -> int:
    checks = run_all()
    passed = all(c.ok for c in checks)
    if as_json:
        json.dump({"ok": passed, "frozen": bool(getattr(sys, "frozen", False)),
                   "checks": [asdict(c) for c in checks]}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from assistant.commands.output import print_table

        print_table(["check", "result", "ms", "detail"],
                    [[c.name, "ok" if c.ok else "FAIL", round(c.ms), c.detail] for c in checks])
        failed = [c for c in checks if not c.ok]
        print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed" + ("" if passed else "; see FAIL above"))
    return 0 if passed else 1


def stored_inputs(info: Any, seed: int = 0) -> list[np.ndarray]:
    """Deterministic, valid inputs for a model's contract (token ids in range, features in [0, 1])."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in info.inputs:
        shape = [max(1, int(x)) for x in t.shape]
        if t.dtype.startswith("int"):
            arrays.append(rng.integers(2, 50, size=shape).astype(t.dtype))
        elif t.role == "state":
            arrays.append(np.zeros(shape, np.float32))
        elif len(shape) == 4:  # an image, 0-255 as the face models take it: smooth bands (they compress)
            _, h, w, c = shape
            yy, xx = np.mgrid[0:h, 0:w]
            bands = [127 + 120 * np.sin(xx / (9 + 4 * k) + yy / (13 + 3 * k)) for k in range(c)]
            arrays.append(np.round(np.stack(bands, -1))[None].astype(np.float32))
        else:
            arrays.append((0.1 * rng.standard_normal(shape)).astype(np.float32))
    return arrays

