"""The lock's security: scrypt password, lockout that survives a restart, the template encrypted with a key
in the keyring or a 0600 key file, and a SIGKILL during saving that never leaves a broken template."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from assistant.core.appdata.secrets import KeyStore
from assistant.core.face.lock import FIRST_WAIT_S, AppLock, LockError, strength
from assistant.core.face.template import FaceTemplate, TemplateError, TemplateStore
from tests.conftest import REPO


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def _template(seed: int = 0) -> FaceTemplate:
    v = np.random.default_rng(seed).normal(size=128)
    return FaceTemplate((v / np.linalg.norm(v)).tolist(), f"person {seed}", 5, "fp16", "dynamic")


def test_the_password_is_hashed_never_stored(tmp_path):
    lock = AppLock(tmp_path / "lock.json")
    with pytest.raises(LockError, match="set a password first"):
        lock.set_mode("face")
    with pytest.raises(LockError, match="too short"):
        lock.set_password("abc")
    lock.set_password("correct horse battery")
    text = (tmp_path / "lock.json").read_text()
    assert "correct horse" not in text and json.loads(text)["password"]["scheme"] == "scrypt"
    assert stat.S_IMODE((tmp_path / "lock.json").stat().st_mode) == 0o600
    assert AppLock(tmp_path / "lock.json").check_password("correct horse battery").ok
    with pytest.raises(LockError, match="current password"):
        lock.set_password("another one here", current="wrong")
    lock.set_password("another one here", current="correct horse battery")
    assert not AppLock(tmp_path / "lock.json").check_password("correct horse battery").ok


def test_lockout_grows_and_survives_a_restart(tmp_path):
    clock = Clock()
    lock = AppLock(tmp_path / "lock.json", clock=clock)
    lock.set_password("sesame street 42")
    reasons = [lock.check_password("nope").reason for _ in range(3)]
    assert "2 more tries" in reasons[0] and "wait 30 seconds" in reasons[2]
    restarted = AppLock(tmp_path / "lock.json", clock=clock)  # a new process reads the same file
    assert restarted.wait_s("password") == pytest.approx(FIRST_WAIT_S)
    blocked = restarted.check_password("sesame street 42")
    assert not blocked.ok and "wait" in blocked.reason  # even the right password waits
    clock.now += FIRST_WAIT_S + 1
    assert "wait 60 seconds" in restarted.check_password("nope").reason  # the wait doubles
    clock.now += 61
    assert restarted.check_password("sesame street 42").ok
    assert restarted.wait_s("password") == 0 and AppLock(tmp_path / "lock.json", clock=clock).wait_s("password") == 0


def test_face_failures_have_their_own_lockout(tmp_path):
    clock = Clock()
    lock = AppLock(tmp_path / "lock.json", clock=clock)
    for _ in range(4):
        assert lock.failed("face").wait_s == 0
    assert lock.failed("face").wait_s == FIRST_WAIT_S
    assert lock.wait_s("password") == 0


def test_a_damaged_lock_file_asks_for_the_set_up_again(tmp_path):
    path = tmp_path / "lock.json"
    path.write_text("{ not json")
    lock = AppLock(path)
    assert lock.damaged and not lock.configured
    assert (tmp_path / "lock.json.damaged").exists()


@pytest.mark.parametrize("password, verdict", [("abc", "too short"), ("aaaaaaaa", "weak"), ("abcdefgh", "weak"),
                                               ("abcdefgh12", "fair"), ("Abcdefgh1", "good"), ("correct horse battery staple", "good")])
def test_strength_hint(password, verdict):
    assert strength(password)[0] == verdict


def test_the_template_is_encrypted_with_a_private_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_NO_KEYRING", "1")
    store = TemplateStore(tmp_path / "face_template.json")
    where = store.save(_template(1))
    assert where.kind == "file" and stat.S_IMODE(store.keys.key_file.stat().st_mode) == 0o600
    raw = store.path.read_text()
    assert "embedding" not in raw and json.loads(raw)["cipher"] == "AES-256-GCM"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load().name == "person 1"
    store.keys.key_file.write_text(KeyStore("x", tmp_path / "other.key").get_or_create()[0].hex())
    with pytest.raises(TemplateError, match="set aside"):
        store.load()  # the wrong key: refused, not garbage
    assert store.forget() is False and not store.keys.key_file.exists()


def test_the_keyring_holds_the_key_when_there_is_one(tmp_path, monkeypatch):
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 10
        values: dict = {}

        def get_password(self, service, username):
            return self.values.get((service, username))

        def set_password(self, service, username, password):
            self.values[(service, username)] = password

        def delete_password(self, service, username):
            self.values.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    monkeypatch.delenv("ASSISTANT_NO_KEYRING", raising=False)
    try:
        store = TemplateStore(tmp_path / "face_template.json")
        assert store.save(_template(2)).kind == "keyring"
        assert not store.keys.key_file.exists() and store.load().name == "person 2"
        assert store.key_location().words().startswith("in the system keyring")
        store.forget()
        assert MemoryKeyring.values == {} and not store.path.exists()
    finally:
        keyring.set_keyring(previous)


def test_a_plain_template_of_the_first_release_is_encrypted_on_load(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_NO_KEYRING", "1")
    store = TemplateStore(tmp_path / "face_template.json")
    store.path.write_text(_template(3).to_json())
    assert store.load().name == "person 3"
    assert json.loads(store.path.read_text())["format"] == 2


def test_sigkill_while_saving_leaves_the_old_or_the_new_template(tmp_path):
    """A process re-saves one of two templates as fast as it can; it is killed at random moments, 20 times.
    Every time, the file that remains decrypts to one of the two, never a broken one."""
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path), "ASSISTANT_NO_KEYRING": "1", "PYTHONPATH": str(REPO)}
    code = (
        "import sys\n"
        "from tests.face.test_lock import _template\n"
        "from assistant.core.face.template import TemplateStore\n"
        "store = TemplateStore()\n"
        "templates = [_template(10), _template(11)]\n"
        "store.save(templates[0])\n"
        "print('ready', flush=True)\n"
        "i = 0\n"
        "while True:\n"
        "    store.save(templates[i % 2]); i += 1\n"
    )
    names = {"person 10", "person 11"}
    rng = np.random.default_rng(0)
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.0, 0.15)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        store = TemplateStore(tmp_path / "data" / "face_template.json",
                              KeyStore("face-template", tmp_path / "data" / "face-template.key"))
        assert store.load().name in names
    leftovers = [p.name for p in (tmp_path / "data").iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 20  # a killed writer may leave its temporary file, never a half template
