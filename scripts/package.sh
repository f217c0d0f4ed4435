#!/usr/bin/env bash
# Build the one-folder bundle (dist/offline-assistant) and the Linux tar.gz (dist/offline-assistant-linux-x86_64.tar.gz).
# Usage: scripts/package.sh            (after scripts/setup.sh test; `make package` does both)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
"$py" packaging/selftest_assets.py
rm -rf dist/offline-assistant build/pyinstaller
"$py" -m PyInstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build/pyinstaller --log-level ERROR
stage="build/stage/offline-assistant"
rm -rf build/stage
mkdir -p "$stage"
cp -a dist/offline-assistant "$stage/"
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/offline-assistant.desktop "$stage/"
cp resources/ui/icon-256.png "$stage/offline-assistant.png"
tar -C build/stage -czf dist/offline-assistant-linux-x86_64.tar.gz offline-assistant
touch dist/.built
echo "package: dist/offline-assistant ($(du -sh dist/offline-assistant | cut -f1)), dist/offline-assistant-linux-x86_64.tar.gz ($(du -sh dist/offline-assistant-linux-x86_64.tar.gz | cut -f1))"
