"""Small file helpers every layer shares: atomic writes and human-readable sizes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600  # what the app writes in the user folders: readable by this user only
PRIVATE_DIR = 0o700


def private_dir(path: str | Path) -> Path:
    """Create a folder (and missing parents) for this user only; an existing one is made private too."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: str | Path) -> Path:
    """Create an empty file 0600 unless it exists (before a library such as sqlite3 opens it)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, PRIVATE_FILE)
    return path


def make_private_tree(root: str | Path) -> None:
    """chmod a folder tree to this user only: folders 0700, files 0600 (symlinks are left alone)."""
    root = Path(root)
    os.chmod(root, PRIVATE_DIR)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), PRIVATE_DIR)
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), PRIVATE_FILE)


def atomic_write(path: str | Path, data: bytes | str, mode: int = PRIVATE_FILE) -> None:
    """Write via a temp file in the same folder, fsync and os.replace: readers (and a crash) see the
    old or the new content, never half a file."""
    path = Path(path)
    if not path.parent.is_dir():
        private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def human_bytes(n: int | float | None, none: str = "-") -> str:
    """1234567 -> '1.2 MB' (decimal units, as file managers show them)."""
    if not n:
        return none
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"
