"""The layer rule of DESIGN.md, checked: core has no Qt/TensorFlow, ui has no TensorFlow/factory."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN = {
    "assistant/core": ("PySide6", "shiboken6", "tensorflow", "keras", "assistant.ui", "assistant.factory"),
    "assistant/ui": ("tensorflow", "keras", "assistant.factory"),
    "assistant/commands": ("tensorflow", "keras", "assistant.factory"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_layers(package):
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, module in _imports(path):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN[package]):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not bad, "layer rule broken:\n" + "\n".join(bad)


BLOCKER = """
import importlib.abc, sys
BLOCKED = ("PySide6", "shiboken6", "tensorflow", "keras")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked for this test")
        return None
sys.meta_path.insert(0, Block())
"""


def test_core_imports_and_runs_with_qt_and_tensorflow_unimportable():
    modules = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in (REPO / "assistant" / "core").rglob("*.py")
    )
    code = BLOCKER + f"""
import importlib
for name in {modules!r}:
    importlib.import_module(name)
import numpy as np
from assistant.core.inference.runner import ModelRunner
out = ModelRunner({str(REPO / 'tests/fixtures/engine/digits.int8.tflite')!r}).run([np.zeros((1, 64), np.float32)])
assert out[0].shape == (1, 10)
from assistant.core.inference.hardware import detect
detect()
assert not any(m.split(".")[0] in BLOCKED for m in sys.modules), [m for m in sys.modules if m.split(".")[0] in BLOCKED]
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]


def test_import_linter_contracts():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (dev extra)")
    result = subprocess.run([lint], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def _lint_imports_or_skip() -> str:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (dev extra)")
    return lint


def test_a_planted_import_cycle_breaks_the_contracts(tmp_path):
    """The cycle check is real: bring back the old bench -> engine -> policy -> bench circle in a copy of
    the package (as a lazy import inside a function, the way it was) and the contracts fail on it."""
    lint = _lint_imports_or_skip()
    shutil.copytree(REPO / "assistant", tmp_path / "assistant", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    calibration = tmp_path / "assistant" / "core" / "inference" / "calibration.py"
    calibration.write_text(calibration.read_text(encoding="utf-8") + (
        "\n\ndef _planted():\n    from assistant.core.inference import policy\n\n    return policy\n"
    ), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([lint], capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "no import cycle anywhere in assistant" in output and "BROKEN" in output, output[-3000:]
    assert ".calibration -> .policy" in output or ".policy -> .calibration" in output, output[-3000:]
