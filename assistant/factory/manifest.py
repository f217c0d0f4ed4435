"""models/manifest.json on the factory side: read, update one model's entry, write atomically.

Two recipes may be built at the same time (two terminals, two helpers), so every read-modify-write
happens under an exclusive lock file next to the manifest, and the new text replaces the old file in
one `os.replace` (a reader never sees half a manifest). The schema is documented in models/README.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.core.appdata.fileio import atomic_write
from assistant.core.inference.catalog import sha256_file  # noqa: F401 - the factory hashes like the app checks

logger = logging.getLogger(__name__)

SCHEMA = 1
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".manifest.lock"
VERSION_PACKAGES = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "keras": ("keras",),
    "numpy": ("numpy",),
    "ai-edge-litert": ("ai-edge-litert",),
}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def versions() -> dict[str, str]:
    """Versions of the toolchain that made the models (recorded in the manifest)."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for key, dists in VERSION_PACKAGES.items():
        for dist in dists:
            try:
                found[key] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            found[key] = "absent"
    return found


def machine() -> dict[str, Any]:
    """What the numbers were measured on: the hardware profile the precision policy also reads."""
    from assistant.core.inference import hardware

    profile = hardware.detect().to_dict()
    keys = ("cpu_model", "arch", "os", "os_version", "cores_logical", "cores_usable", "ram_bytes",
            "int8_accel", "fp16_native", "fingerprint")
    return {k: profile[k] for k in keys if k in profile}


def empty() -> dict[str, Any]:
    return {"schema": SCHEMA, "generated": now_iso(), "versions": {}, "models": {}}


def load(models_dir: Path) -> dict[str, Any]:
    """The manifest, or an empty one. A damaged file is kept aside as manifest.json.damaged."""
    path = Path(models_dir) / MANIFEST_NAME
    if not path.is_file():
        return empty()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            raise ValueError("no 'models' object")
    except (OSError, ValueError) as exc:
        backup = path.with_suffix(".json.damaged")
        logger.warning("manifest %s is damaged (%s); keeping it as %s and starting afresh", path, exc, backup)
        with contextlib.suppress(OSError):
            os.replace(path, backup)
        return empty()
    data.setdefault("schema", SCHEMA)
    data.setdefault("versions", {})
    return data




def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def locked(models_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Exclusive lock on the models folder's manifest (fcntl on POSIX, msvcrt on Windows)."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    fh = open(models_dir / LOCK_NAME, "a+b")  # noqa: SIM115 - closed below
    deadline = time.monotonic() + timeout
    try:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    fh.seek(0)
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"manifest lock held too long: {models_dir / LOCK_NAME}") from None
                    time.sleep(0.1)
        else:
            import fcntl

            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"manifest lock held too long: {models_dir / LOCK_NAME}") from None
                    time.sleep(0.1)
        yield
    finally:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def update(models_dir: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Load, apply `change` (which edits only its own entries), stamp and write; all under the lock.

    Call it while holding `locked(models_dir)`; returns the manifest as written.
    """
    manifest = load(models_dir)
    change(manifest)
    manifest["schema"] = SCHEMA
    manifest["generated"] = now_iso()
    atomic_write(Path(models_dir) / MANIFEST_NAME, dumps(manifest))
    return manifest
