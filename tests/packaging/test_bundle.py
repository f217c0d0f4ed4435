"""The frozen app: built from this checkout with PyInstaller (scripts/package.sh, about a minute), it holds no
TensorFlow, Keras or WebEngine, passes its own --self-test, and installs into a home folder and out again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
DIST = REPO / "dist"
BUNDLE = DIST / "offline-assistant"
TARBALL = DIST / "offline-assistant-linux-x86_64.tar.gz"
SOURCES = ("assistant", "models", "resources", "packaging", "pyproject.toml")
FORBIDDEN = ("tensorflow", "keras", "QtWebEngine", "libtensorflow", "tf_keras", "/assistant/factory", "/tests/",
             "onnxruntime", "torch")


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = REPO / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        newest = max([newest] + [p.stat().st_mtime for p in files])
    return newest


@pytest.fixture(scope="session")
def bundle() -> Path:
    stamp = DIST / ".built"
    if not (stamp.is_file() and BUNDLE.is_dir() and TARBALL.is_file() and stamp.stat().st_mtime >= _newest_source()):
        proc = subprocess.run([str(REPO / "scripts" / "package.sh")], cwd=REPO, capture_output=True, text=True,
                              timeout=1500, check=False)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return BUNDLE


def _forbidden(rel: str) -> bool:
    rel = "/" + rel.lower()
    if "/ai_edge_litert/" in rel and "tensorflow_lite" in rel:  # LiteRT's own wrappers keep the old name
        return False
    return any(f.lower() in rel for f in FORBIDDEN)


def test_no_tensorflow_keras_or_webengine_inside(bundle):
    found = [str(p.relative_to(bundle)) for p in bundle.rglob("*") if _forbidden(str(p.relative_to(bundle)))]
    assert not found, found[:20]
    assert (bundle / "_internal" / "models" / "manifest.json").is_file()


def test_the_frozen_app_passes_its_self_test(bundle, tmp_path):
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("ASSISTANT_MODELS_DIR", None)
    proc = subprocess.run([str(bundle / "offline-assistant"), "--self-test", "--json"], capture_output=True,
                          text=True, timeout=300, env=env, check=False)
    report = json.loads(proc.stdout)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert proc.returncode == 0 and not failed, failed or proc.stderr[-2000:]
    assert report["frozen"] is True and len(report["checks"]) >= 20
    assert proc.stderr.strip() == "", proc.stderr  # a quiet terminal, frozen too


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_install_and_uninstall_in_a_fresh_home(bundle, tmp_path):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "mine.txt").write_text("keep me")
    before = _tree(home)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(TARBALL) as tar:
        tar.extractall(unpacked, filter="tar")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", ASSISTANT_HOME=str(tmp_path / "data"))
    proc = subprocess.run(["sh", str(unpacked / "offline-assistant" / "install.sh")], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    desktop = home / ".local/share/applications/offline-assistant.desktop"
    assert desktop.is_file() and (home / ".local/share/icons/hicolor/256x256/apps/offline-assistant.png").is_file()
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.fail("desktop-file-validate is missing: sudo apt-get install desktop-file-utils")
    check = subprocess.run([validator, str(desktop)], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    exec_line = next(ln for ln in desktop.read_text().splitlines() if ln.startswith("Exec="))
    program = exec_line.split("=", 1)[1].split()[0]
    started = subprocess.run([program, "--version"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert started.returncode == 0 and "0." in started.stdout, started.stderr
    launcher = home / ".local/bin/offline-assistant"
    ran = subprocess.run([str(launcher), "hardware", "--json"], capture_output=True, text=True, env=env, timeout=120,
                         check=False)
    assert ran.returncode == 0 and json.loads(ran.stdout)
    proc = subprocess.run(["sh", str(unpacked / "offline-assistant" / "uninstall.sh")], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert _tree(home) == before  # everything it added is gone, and nothing else
    assert (home / "Documents" / "mine.txt").read_text() == "keep me"



def test_the_frozen_app_opens_its_real_window_under_xvfb(bundle, tmp_path):
    """A real X server, the frozen binary, the chat window (face lock off), one reply: the startup probe
    (assistant.ui.app) writes when the window was up and when the reply was shown."""
    from assistant.core.face.lock import AppLock

    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: sudo apt-get install xvfb")
    home = tmp_path / "home"
    AppLock(home / "data" / "lock.json").set_mode("off")
    display = f":{40 + os.getpid() % 50}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        probe = tmp_path / "probe.json"
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, ASSISTANT_HOME=str(home), ASSISTANT_STARTUP_PROBE=str(probe))
        env.pop("ASSISTANT_MODELS_DIR", None)
        for _ in range(50):  # the server needs a moment before it accepts clients
            if Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
                break
            time.sleep(0.1)
        proc = subprocess.run([str(bundle / "offline-assistant")], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0 and probe.is_file(), proc.stderr[-2000:]
        record = json.loads(probe.read_text())
        assert record["first_window_wall"] <= record["ask_wall"] <= record["reply_wall"]
        assert "platform xcb" in (home / "logs" / "assistant.log").read_text()  # a real X window, not offscreen
    finally:
        server.terminate()
        server.wait(timeout=10)
