"""Put the frozen self-test's face picture into build/selftest/face.png before PyInstaller runs.

The picture is scikit-image's `astronaut` (Eileen Collins, NASA, public domain), read from the
scikit-image wheel on PyPI into the factory's cache (.factory-work/face-data), never committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from assistant.factory import face_data

    photos = face_data.fetch(ROOT / ".factory-work" / "face-data")
    source = next(iter(sorted(photos.glob("collins_1.*"))), None)
    if source is None:
        print("selftest_assets: the astronaut picture could not be had from scikit-image", file=sys.stderr)
        return 1
    target = ROOT / "build" / "selftest" / "face.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    print(f"selftest_assets: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
