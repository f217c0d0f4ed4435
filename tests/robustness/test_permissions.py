"""Files and permissions: after a full run of the app (the CLI's stores, a face enrolled, a speech model
installed, the window with one reply, the calibration, the self-test), every file in the user folders is
0600 and every folder 0700, even with a permissive umask, and no temporary file of an atomic write is left."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.speech.conftest import vosk_zip_bytes

pytestmark = pytest.mark.slow


def _run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False, preexec_fn=lambda: os.umask(0o022), **kwargs)
    assert proc.returncode == 0, (args, proc.stderr[-2000:])
    return proc


def test_everything_the_app_writes_is_private(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "ASSISTANT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "ASSISTANT_NO_KEYRING": "1"}
    env.pop("ASSISTANT_MODELS_DIR", None)
    for text in ("add milk and eggs to my shopping list", "remind me to call mom in 2 hours", "take a note buy stamps",
                 "set a timer for 10 minutes", "what is 12 times 7"):
        _run(["ask", text], env)
    _run(["suggest", "see you tomo"], env)
    face = REPO / "build" / "selftest" / "face.png"  # the public-domain portrait the bundle's self-test uses
    if not face.is_file():  # fetched from the scikit-image wheel on PyPI by a subprocess (pip download)
        subprocess.run([sys.executable, str(REPO / "packaging" / "selftest_assets.py")], check=True, timeout=600,
                       capture_output=True)
    _run(["face", "enroll", str(face)], env)
    model_zip = tmp_path / "model.zip"
    model_zip.write_bytes(vosk_zip_bytes("vosk-model-perm", b"x" * 100))
    os.chmod(model_zip, 0o644)
    _run(["speech", "install", str(model_zip)], env)
    _run(["hardware"], env)
    probe = tmp_path / "probe.json"
    from assistant.core.face.lock import AppLock

    AppLock(home / "data" / "lock.json").set_mode("off")  # straight to the chat window
    _run([], {**env, "ASSISTANT_STARTUP_PROBE": str(probe)})
    assert probe.is_file()

    files, folders, loose = [], [], []
    for path in home.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if path.is_dir():
            folders.append((str(path.relative_to(home)), oct(mode)))
        else:
            files.append((str(path.relative_to(home)), oct(mode)))
        if path.name.endswith(".tmp"):
            loose.append(str(path.relative_to(home)))
    assert len(files) >= 8, files  # history, skills, personal, settings?, lock, logs, speech model, calibration
    assert [f for f in files if f[1] != "0o600"] == []
    assert [d for d in folders if d[1] != "0o700"] == []
    assert loose == []
    names = {f[0] for f in files}
    assert {"data/history.sqlite3", "data/lock.json", "logs/assistant.log", "data/face_template.json"} <= names, \
        sorted(names)
