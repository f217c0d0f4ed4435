"""Windows and macOS cannot be built here; what a tool here can check is checked: the Inno Setup script
names the version and the files the spec makes, the macOS branch has the usage texts, the scripts parse,
and the icons those builds need are written and read back."""

from __future__ import annotations

import ast
import re
import subprocess

from assistant import APP_ID, __version__
from tests.conftest import REPO

ISS = REPO / "packaging" / "windows" / "assistant.iss"
SPEC = REPO / "packaging" / "assistant.spec"


def test_the_inno_setup_script_matches_the_app_and_the_spec():
    text = ISS.read_text()
    defines = dict(re.findall(r'^#define (\w+) "([^"]*)"', text, re.M))
    assert defines["AppVersion"] == __version__ and defines["AppId"] == APP_ID
    sections = set(re.findall(r"^\[(\w+)\]", text, re.M))
    assert {"Setup", "Files", "Icons", "Tasks", "Run"} <= sections
    assert r'Source: "{#Root}\dist\{#AppId}\*"' in text  # the spec's COLLECT name is the app id
    assert "PrivilegesRequired=lowest" in text and r"SetupIconFile={#Root}\build\icons\icon.ico" in text
    assert "name=\"offline-assistant\"" in SPEC.read_text()


def test_the_spec_parses_and_its_macos_branch_asks_for_camera_and_microphone():
    tree = ast.parse(SPEC.read_text())
    keys = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert {"NSCameraUsageDescription", "NSMicrophoneUsageDescription"} <= keys
    assert any(isinstance(n, ast.Name) and n.id == "BUNDLE" for n in ast.walk(tree))


def test_the_build_scripts_parse():
    for script in ("packaging/macos/make_dmg.sh", "packaging/linux/install.sh", "packaging/linux/uninstall.sh",
                   "scripts/package.sh", "scripts/setup.sh"):
        proc = subprocess.run(["bash", "-n", str(REPO / script)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (script, proc.stderr)
    cmd = (REPO / "packaging" / "windows" / "build.cmd").read_text()
    assert "PyInstaller packaging\\assistant.spec" in cmd and "iscc packaging\\windows\\assistant.iss" in cmd


def test_the_windows_and_macos_icons_are_written(tmp_path):
    from PIL import Image

    proc = subprocess.run(["python", str(REPO / "packaging" / "make_icons.py")], capture_output=True, text=True,
                          check=False, cwd=REPO, env={"PATH": str(REPO / ".venv" / "bin")})
    assert proc.returncode == 0, proc.stderr
    ico = Image.open(REPO / "build" / "icons" / "icon.ico")
    assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    icns = Image.open(REPO / "build" / "icons" / "icon.icns")
    assert icns.format == "ICNS" and icns.size[0] >= 256
