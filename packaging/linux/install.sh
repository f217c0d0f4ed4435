#!/bin/sh
# Install Offline Assistant for this user: the app under ~/.local/lib/offline-assistant, a launcher in
# ~/.local/bin, a menu entry and its icon. Nothing outside ~/.local is touched; uninstall.sh removes all
# of it (and only it). Run from the unpacked folder: ./install.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
lib="$HOME/.local/lib/offline-assistant"
bin="$HOME/.local/bin"
apps="$prefix/applications"
icons="$prefix/icons/hicolor/256x256/apps"
[ -x "$here/offline-assistant/offline-assistant" ] || { echo "install.sh: run it from the unpacked folder (offline-assistant/ is missing)" >&2; exit 1; }
created=""
for d in "$HOME/.local" "$HOME/.local/lib" "$bin" "$prefix" "$apps" "$prefix/icons" "$prefix/icons/hicolor" \
         "$prefix/icons/hicolor/256x256" "$icons"; do
  [ -d "$d" ] || created="$created$d
"
done
mkdir -p "$HOME/.local/lib" "$bin" "$apps" "$icons"
rm -rf "$lib.new"
cp -a "$here/offline-assistant" "$lib.new"
rm -rf "$lib"
mv "$lib.new" "$lib"
ln -sf "$lib/offline-assistant" "$bin/offline-assistant"
cp "$here/offline-assistant.png" "$icons/offline-assistant.png"
sed "s|@EXEC@|$lib/offline-assistant|" "$here/offline-assistant.desktop" > "$apps/offline-assistant.desktop"
chmod 644 "$apps/offline-assistant.desktop"
# What uninstall.sh removes: the files, then the folders this install created (deepest first, if empty).
{
  printf '%s\n' "$bin/offline-assistant" "$apps/offline-assistant.desktop" "$icons/offline-assistant.png" "$lib"
  printf '%s' "$created" | sed '/^$/d' | sed 's/^/dir:/' | sort -r
} > "$HOME/.local/lib/offline-assistant.installed"
echo "Installed Offline Assistant in $lib. Start it from the application menu or with: offline-assistant"
