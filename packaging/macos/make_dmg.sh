#!/usr/bin/env bash
# Build "Offline Assistant.app" and a compressed disk image with it and an Applications link (run on macOS,
# from the checkout, after scripts/setup.sh test): dist/offline-assistant-<version>-macos.dmg.
# Unsigned: the first start needs right-click -> Open (notarisation needs an Apple developer account).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = Darwin ] || { echo "make_dmg.sh: hdiutil and the .app bundle need macOS" >&2; exit 1; }
py=.venv/bin/python
version="$("$py" -c 'import assistant; print(assistant.__version__)')"
"$py" packaging/make_icons.py
"$py" packaging/selftest_assets.py
"$py" -m PyInstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build/pyinstaller
app="dist/Offline Assistant.app"
"$app/Contents/MacOS/offline-assistant" --self-test
stage="build/dmg"
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "Offline Assistant" -srcfolder "$stage" -fs HFS+ -format UDZO -ov \
  "dist/offline-assistant-$version-macos.dmg"
echo "Built dist/offline-assistant-$version-macos.dmg"
