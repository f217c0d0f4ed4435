"""Encryption keys for the user's biometric data: in the OS keyring when there is a usable one, otherwise
in a key file readable only by the user (0600). Which one is in use is reported, so the settings can say.

The keyring is asked with a time limit (a desktop keyring can block waiting for an unlock prompt, a
headless machine has none) and is trusted only after a key written to it reads back the same.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write

logger = logging.getLogger(__name__)

SERVICE = "offline-assistant"
KEYRING_TIMEOUT_S = 3.0
NO_KEYRING_ENV = "ASSISTANT_NO_KEYRING"  # "1": use the key file even when a keyring is there


@dataclass(frozen=True)
class KeyLocation:
    kind: str  # "keyring" | "file"
    detail: str  # the keyring backend's name, or the key file's path

    def words(self) -> str:
        if self.kind == "keyring":
            return f"in the system keyring ({self.detail})"
        return f"in a key file only you can read ({self.detail})"


def _with_timeout(fn, *args: Any) -> Any:
    """fn(*args) on a helper thread; raises TimeoutError when the keyring does not answer in time."""
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=call, name="assistant-keyring", daemon=True)
    thread.start()
    thread.join(KEYRING_TIMEOUT_S)
    if thread.is_alive():
        raise TimeoutError("the keyring did not answer")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _keyring():
    """The keyring module when a real backend is configured (not the 'fail' or 'null' placeholders)."""
    if os.environ.get(NO_KEYRING_ENV) == "1":
        return None
    try:
        import keyring
        from keyring.backends import fail
    except Exception as exc:  # noqa: BLE001 - not installed, or a backend that breaks on import
        logger.debug("no keyring: %s", exc)
        return None
    try:
        backend = _with_timeout(keyring.get_keyring)
    except Exception as exc:  # noqa: BLE001
        logger.debug("keyring unusable: %s", exc)
        return None
    name = type(backend).__module__ + "." + type(backend).__name__
    if isinstance(backend, fail.Keyring) or "null" in name.lower() or "chainer" in name.lower() and not getattr(
            backend, "backends", None):
        return None
    return keyring


class KeyStore:
    """One named 32-byte key: `get_or_create()`, `get()`, `delete()`, and `location()` says where it lives."""

    def __init__(self, name: str, key_file: Path | None = None):
        self.name = name
        self.key_file = key_file or paths.data_dir() / f"{name}.key"

    def _from_keyring(self) -> tuple[bytes | None, str]:
        kr = _keyring()
        if kr is None:
            return None, ""
        try:
            value = _with_timeout(kr.get_password, SERVICE, self.name)
        except Exception as exc:  # noqa: BLE001
            logger.warning("reading the key from the keyring failed: %s", exc)
            return None, ""
        backend = type(kr.get_keyring()).__name__
        return (base64.b64decode(value) if value else None), backend

    def get(self) -> bytes | None:
        key, _backend = self._from_keyring()
        if key is not None:
            return key
        try:
            return base64.b64decode(self.key_file.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.error("the key file %s is unreadable: %s", self.key_file, exc)
            return None

    def location(self) -> KeyLocation:
        key, backend = self._from_keyring()
        if key is not None:
            return KeyLocation("keyring", backend)
        return KeyLocation("file", str(self.key_file))

    def get_or_create(self) -> tuple[bytes, KeyLocation]:
        key = self.get()
        if key is not None:
            return key, self.location()
        key = secrets.token_bytes(32)
        encoded = base64.b64encode(key).decode("ascii")
        kr = _keyring()
        if kr is not None:
            try:
                _with_timeout(kr.set_password, SERVICE, self.name, encoded)
                if _with_timeout(kr.get_password, SERVICE, self.name) == encoded:  # trust only what reads back
                    return key, KeyLocation("keyring", type(kr.get_keyring()).__name__)
            except Exception as exc:  # noqa: BLE001
                logger.warning("storing the key in the keyring failed (%s); using a key file", exc)
        atomic_write(self.key_file, encoded + "\n", mode=0o600)
        return key, KeyLocation("file", str(self.key_file))

    def delete(self) -> None:
        kr = _keyring()
        if kr is not None:
            try:
                _with_timeout(kr.delete_password, SERVICE, self.name)
            except Exception as exc:  # noqa: BLE001 - absent, or the keyring refuses: the file still goes
                logger.debug("keyring delete: %s", exc)
        self.key_file.unlink(missing_ok=True)
