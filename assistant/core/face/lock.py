"""The app lock: how it unlocks (face and password, password only, or not at all), the password's hash,
and the lockout after repeated failures. Kept in `<data>/lock.json` (0600, written atomically).

The password is the root of trust: face unlock is a convenience on top of it, and an RGB webcam cannot
stop a determined attacker (a 3D mask, a replayed video that happens to follow the challenge). The
password is hashed with scrypt and a random salt, never stored or logged in clear. Failures, of faces and
passwords alike, are counted in the file, so a restart does not reset them: after a few, each further
failure doubles a waiting time before the next attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write

logger = logging.getLogger(__name__)

FILE_NAME = "lock.json"
MODES = ("face", "password", "off")  # face: face with the password as fallback
MIN_PASSWORD = 6
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
FREE_ATTEMPTS = {"password": 3, "face": 5}  # failures before waiting starts
FIRST_WAIT_S = 30.0
MAX_WAIT_S = 15 * 60.0


class LockError(RuntimeError):
    """A lock operation cannot be done; the message says why, in words."""


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32)


def strength(password: str) -> tuple[str, str]:
    """(verdict, hint) for the set-password page: "too short" | "weak" | "fair" | "good" | "strong"."""
    if len(password) < MIN_PASSWORD:
        return "too short", f"use at least {MIN_PASSWORD} characters"
    classes = sum(bool(any(test(c) for c in password)) for test in (str.islower, str.isupper, str.isdigit,
                                                                   lambda c: not c.isalnum()))
    score = (len(password) >= 8) + (len(password) >= 12) + (len(password) >= 16) + max(0, classes - 1)
    if len(set(password)) <= 2:
        score = 0
    if score <= 1:
        return "weak", "longer is better: a few unrelated words make a strong password"
    if score == 2:
        return "fair", "add length, or mix in digits and symbols"
    if score <= 4:
        return "good", "a good password"
    return "strong", "a strong password"


@dataclass
class Attempt:
    ok: bool
    reason: str
    wait_s: float = 0.0  # seconds until the next attempt is allowed (0 = now)


class AppLock:
    """Read and change the lock state. `clock` (epoch seconds) is injectable for tests."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time):
        self.path = path or paths.data_dir() / FILE_NAME
        self.clock = clock
        self._state = self._read()

    # -- state on disk -------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and raw.get("format") == 1:
                return raw
            raise ValueError("not a lock file")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A damaged lock file must not open the app: keep it aside and demand the set-up again,
            # which asks for a new password (the data stays; only the lock is set up anew).
            backup = self.path.with_name(self.path.name + ".damaged")
            try:
                self.path.replace(backup)
            except OSError:
                pass
            logger.error("lock file %s is damaged (%s); kept as %s", self.path, exc, backup)
            return {"damaged": True}

    def _write(self) -> None:
        state = {k: v for k, v in self._state.items() if k != "damaged"}
        atomic_write(self.path, json.dumps({"format": 1, **state}, indent=1), mode=0o600)

    def reload(self) -> None:
        self._state = self._read()

    @property
    def configured(self) -> bool:
        """The first-run set-up was done (or explicitly skipped with "no lock")."""
        return self._state.get("mode") in MODES

    @property
    def damaged(self) -> bool:
        return bool(self._state.get("damaged"))

    @property
    def mode(self) -> str:
        return str(self._state.get("mode") or "off")

    @property
    def has_password(self) -> bool:
        return isinstance(self._state.get("password"), dict)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise LockError(f"unknown lock mode {mode!r}")
        if mode != "off" and not self.has_password:
            raise LockError("set a password first: it is the way in when the face is not recognised")
        self._state["mode"] = mode
        self._write()

    # -- password ------------------------------------------------------------------------------------
    def set_password(self, password: str, current: str | None = None) -> None:
        if self.has_password and (current is None or not self._check(current)):
            raise LockError("the current password is not right")
        verdict, hint = strength(password)
        if verdict == "too short":
            raise LockError(f"the password is too short: {hint}")
        salt = os.urandom(16)
        self._state["password"] = {"scheme": "scrypt", **SCRYPT, "salt": base64.b64encode(salt).decode("ascii"),
                                   "hash": base64.b64encode(_hash(password, salt, **SCRYPT)).decode("ascii")}
        self._write()

    def _check(self, password: str) -> bool:
        record = self._state.get("password")
        if not isinstance(record, dict):
            return False
        try:
            salt, expected = base64.b64decode(record["salt"]), base64.b64decode(record["hash"])
            got = _hash(password, salt, int(record["n"]), int(record["r"]), int(record["p"]))
        except (KeyError, TypeError, ValueError) as exc:
            logger.error("the stored password record is unusable: %s", exc)
            return False
        return hmac.compare_digest(got, expected)

    def check_password(self, password: str) -> Attempt:
        """Try a password (counts as an attempt: a wrong one adds to the lockout)."""
        wait = self.wait_s("password")
        if wait > 0:
            return Attempt(False, f"too many wrong passwords: wait {_words(wait)}", wait)
        if not self.has_password:
            return Attempt(False, "no password is set")
        if self._check(password):
            self.succeeded()
            return Attempt(True, "unlocked")
        return self.failed("password")

    # -- failures and lockout ------------------------------------------------------------------------
    def _failures(self, kind: str) -> dict[str, float]:
        failures = self._state.setdefault("failures", {})
        entry = failures.get(kind)
        if not isinstance(entry, dict):
            entry = failures[kind] = {"count": 0, "until": 0.0}
        return entry

    def wait_s(self, kind: str) -> float:
        """Seconds before the next attempt of this kind ("password" or "face") is allowed."""
        return max(0.0, float(self._failures(kind).get("until", 0.0)) - self.clock())

    def failed(self, kind: str) -> Attempt:
        entry = self._failures(kind)
        entry["count"] = int(entry.get("count", 0)) + 1
        excess = entry["count"] - FREE_ATTEMPTS[kind]
        wait = 0.0
        if excess >= 0:
            wait = min(MAX_WAIT_S, FIRST_WAIT_S * 2**excess)
            entry["until"] = self.clock() + wait
        self._write()
        what = "wrong password" if kind == "password" else "face not recognised"
        if wait:
            return Attempt(False, f"{what}; too many failures: wait {_words(wait)}", wait)
        left = FREE_ATTEMPTS[kind] - entry["count"]
        return Attempt(False, f"{what} ({left} more tr{'y' if left == 1 else 'ies'} before a wait)")

    def succeeded(self) -> None:
        """An unlock worked: forget the failures."""
        if self._state.get("failures"):
            self._state["failures"] = {}
            self._write()

    def reset(self) -> None:
        """Remove the lock entirely (after "delete face data" with mode off, or in tests)."""
        self.path.unlink(missing_ok=True)
        self._state = {}


def _words(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"
