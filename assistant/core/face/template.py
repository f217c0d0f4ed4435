"""The enrolled face: a mean embedding and what made it, kept in the user data folder.

One template per user of this computer. The file is written atomically and readable only by its owner
(0600); a damaged file is moved aside and reported, never a crash. No picture of the face is stored:
only the 128 numbers, which cannot be turned back into a photo.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import atomic_write

logger = logging.getLogger(__name__)

FILE_NAME = "face_template.json"
FORMAT = 1


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
    """Save, load and forget the template in `<data>/face_template.json` (or a given path)."""

    def __init__(self, path: Path | None = None):
        self.path = path or paths.data_dir() / FILE_NAME

    def exists(self) -> bool:
        return self.path.is_file()

    def save(self, template: FaceTemplate) -> None:
        atomic_write(self.path, template.to_json(), mode=0o600)

    def load(self) -> FaceTemplate | None:
        """The template, None when nobody enrolled; TemplateError (file moved aside) when it is damaged."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TemplateError(f"the face template cannot be read ({exc.strerror or exc})") from exc
        try:
            return FaceTemplate.from_json(text)
        except (ValueError, TypeError, KeyError) as exc:
            backup = self.path.with_name(self.path.name + ".damaged")
            try:
                self.path.replace(backup)
            except OSError:
                pass
            logger.error("face template %s is damaged (%s); moved to %s", self.path, exc, backup)
            raise TemplateError(f"the stored face was damaged and was set aside ({exc}); enrol again") from exc

    def forget(self) -> bool:
        """Delete the template; True when there was one."""
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False
