#!/usr/bin/env bash
# Build the one-folder bundle (dist/offline-assistant) and the Linux tar.gz (dist/offline-assistant-linux-x86_64.tar.gz).
# Usage: scripts/package.sh            (after scripts/setup.sh test; `make package` does both)
set -euo pipefail
umask 022  # the bundle and the tar.gz are readable by everyone, whatever the caller's umask
cd "$(dirname "$0")/.."
py=.venv/bin/python
"$py" packaging/selftest_assets.py
rm -rf dist/offline-assistant build/pyinstaller
"$py" -m PyInstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build/pyinstaller --log-level ERROR
# Debug information only, and only where there is some (CTranslate2's extension module ships 66 MB of it);
# the wheels' repaired libraries in *.libs/ are left alone: stripping them breaks their load commands
# (numpy's OpenBLAS then fails with "ELF load command address/offset not page-aligned").
if command -v strip >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1; then
  find dist/offline-assistant -type f -name '*.so*' -not -path '*.libs/*' | while IFS= read -r lib; do
    if readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then strip --strip-debug "$lib"; fi
  done
else
  echo "package: strip (binutils) is missing; the bundle keeps its debug information" >&2
fi
stage="build/stage/offline-assistant"
rm -rf build/stage
mkdir -p "$stage"
cp -a dist/offline-assistant "$stage/"
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/offline-assistant.desktop "$stage/"
cp resources/ui/icon-256.png "$stage/offline-assistant.png"
tar -C build/stage -czf dist/offline-assistant-linux-x86_64.tar.gz offline-assistant
touch dist/.built
echo "package: dist/offline-assistant ($(du -sh dist/offline-assistant | cut -f1)), dist/offline-assistant-linux-x86_64.tar.gz ($(du -sh dist/offline-assistant-linux-x86_64.tar.gz | cut -f1))"
