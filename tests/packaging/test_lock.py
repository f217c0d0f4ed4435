"""The virtual environment holds exactly the locked versions (scripts/setup.sh installs requirements/*.txt with
hashes), so CI runs what a fresh clone installs next month."""

from __future__ import annotations

import re
from importlib import metadata

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements" / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[_norm(match.group(1))] = match.group(2)
    return pins


def test_every_locked_package_is_installed_at_its_locked_version():
    pins = _pins("test.txt")
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
    assert not wrong, f"locked vs installed: {wrong}; run scripts/setup.sh test"
    extra = sorted(set(installed) - set(pins) - {"offline-assistant"})
    # Only the benchmark extra (make bench-face / bench-speech) may add packages outside the lock.
    bench = {"dlib-bin", "face-recognition-models", "pocketsphinx"}
    assert set(extra) <= bench, extra


def test_the_run_lock_is_the_test_lock_minus_the_development_tools():
    run, test = _pins("run.txt"), _pins("test.txt")
    differ = {n: (v, test.get(n)) for n, v in run.items() if test.get(n) != v}
    assert not differ, f"the app would run other versions than the tests ran: {differ}"


def test_every_pin_carries_hashes():
    for lock in ("run.txt", "test.txt"):
        text = (REPO / "requirements" / lock).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
        unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
        assert not unhashed, (lock, unhashed)
