"""Write the Windows and macOS icons (build/icons/icon.ico, icon.icns) from resources/ui/icon-256.png.

Derived files, so they are made at build time rather than committed; the spec and the Inno Setup script
read them from build/icons. Pillow is a build-time tool only (the bundle leaves it out).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "ui" / "icon-256.png"
OUT = ROOT / "build" / "icons"


def main() -> int:
    from PIL import Image

    image = Image.open(SOURCE).convert("RGBA")
    OUT.mkdir(parents=True, exist_ok=True)
    image.save(OUT / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    image.save(OUT / "icon.icns")
    print(f"make_icons: {OUT / 'icon.ico'}, {OUT / 'icon.icns'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
