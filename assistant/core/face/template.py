"""The enrolled face: a mean embedding and what made it, kept in the user data folder, encrypted.

One template per user of this computer. The file is written atomically and readable only by its owner
(0600), and its content is encrypted (AES-256-GCM) with a key kept in the OS keyring when there is one,
otherwise in a 0600 key file (assistant.core.appdata.secrets); forgetting the face deletes both. A damaged
file, or one whose key is gone, is moved aside and reported, never a crash. No picture of the face is
stored: only the 128 numbers, which cannot be turned back into a photo.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write
from assistant.core.appdata.secrets import KeyLocation, KeyStore

logger = logging.getLogger(__name__)

FILE_NAME = "face_template.json"
FORMAT = 1  # the template itself
SEALED_FORMAT = 2  # the file: the template encrypted
KEY_NAME = "face-template"
_AAD = b"offline-assistant face template"


class TemplateError(RuntimeError):
    """The stored template cannot be used; the message says why."""


@dataclass
class FaceTemplate:
    embedding: list[float]
    name: str = ""
    frames: int = 1  # good frames averaged into it
    detector_precision: str = ""
    embedder_precision: str = ""
    embedder_sha256: str = ""
    created: float = field(default_factory=time.time)

    @property
    def vector(self) -> np.ndarray:
        return np.asarray(self.embedding, dtype=np.float32)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> FaceTemplate:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a face template (format 1)")
        values = {k: raw[k] for k in ("embedding", "name", "frames", "detector_precision", "embedder_precision",
                                      "embedder_sha256", "created") if k in raw}
        template = cls(**values)
        vector = np.asarray(template.embedding, dtype=np.float64)
        if vector.ndim != 1 or vector.size < 16 or not np.all(np.isfinite(vector)) or np.linalg.norm(vector) == 0:
            raise ValueError("the stored embedding is not a usable vector")
        return template


class TemplateStore:
    """Save, load and forget the template in `<data>/face_template.json` (or a given path), encrypted."""

    def __init__(self, path: Path | None = None, keys: KeyStore | None = None):
        self.path = path or paths.data_dir() / FILE_NAME
        self.keys = keys or KeyStore(KEY_NAME, self.path.with_name(KEY_NAME + ".key"))

    def exists(self) -> bool:
        return self.path.is_file()

    def key_location(self) -> KeyLocation:
        return self.keys.location()

    def save(self, template: FaceTemplate) -> KeyLocation:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key, where = self.keys.get_or_create()
        nonce = os.urandom(12)
        data = AESGCM(key).encrypt(nonce, template.to_json().encode("utf-8"), _AAD)
        sealed = {"format": SEALED_FORMAT, "cipher": "AES-256-GCM", "key": where.kind,
                  "nonce": base64.b64encode(nonce).decode("ascii"), "data": base64.b64encode(data).decode("ascii")}
        atomic_write(self.path, json.dumps(sealed), mode=0o600)
        return where

    def load(self) -> FaceTemplate | None:
        """The template, None when nobody enrolled; TemplateError (file moved aside) when it is damaged."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TemplateError(f"the face template cannot be read ({exc.strerror or exc})") from exc
        try:
            raw = json.loads(text)
            if isinstance(raw, dict) and raw.get("format") == FORMAT:  # written before templates were encrypted
                template = FaceTemplate.from_json(text)
                self.save(template)
                return template
            return FaceTemplate.from_json(self._open(raw))
        except (ValueError, TypeError, KeyError) as exc:
            backup = self.path.with_name(self.path.name + ".damaged")
            try:
                self.path.replace(backup)
            except OSError:
                pass
            logger.error("face template %s is unusable (%s); moved to %s", self.path, exc, backup)
            raise TemplateError(f"the stored face is damaged or locked to another key, and was set aside ({exc}); enrol again") from exc

    def _open(self, raw: object) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not isinstance(raw, dict) or raw.get("format") != SEALED_FORMAT:
            raise ValueError("not a face template file")
        key = self.keys.get()
        if key is None:
            raise ValueError("its encryption key is gone")
        try:
            plain = AESGCM(key).decrypt(base64.b64decode(raw["nonce"]), base64.b64decode(raw["data"]), _AAD)
        except (InvalidTag, ValueError) as exc:
            raise ValueError("it does not decrypt with this computer's key") from exc
        return plain.decode("utf-8")

    def forget(self) -> bool:
        """Delete the template and its key; True when there was a template."""
        had = self.path.exists()
        self.path.unlink(missing_ok=True)
        self.keys.delete()
        return had
