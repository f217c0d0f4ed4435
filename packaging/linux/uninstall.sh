#!/bin/sh
# Remove what install.sh added (the list it wrote), and nothing else. Your chats, settings and face data
# in the user folders are kept; delete them in the app (Settings -> About / Face lock) before uninstalling
# if you want them gone.
set -eu
list="$HOME/.local/lib/offline-assistant.installed"
[ -f "$list" ] || { echo "uninstall.sh: Offline Assistant is not installed for this user ($list missing)" >&2; exit 1; }
entries="$(cat "$list")"
rm -f -- "$list"  # first, so that the folder holding it can go too if this install created it
printf '%s\n' "$entries" | while IFS= read -r path; do
  case "$path" in
    "") ;;
    dir:"$HOME"/.local*) rmdir -- "${path#dir:}" 2>/dev/null || true ;;  # only if nothing else is in it
    "$HOME"/.local/*) rm -rf -- "$path" ;;
    *) echo "uninstall.sh: skipping $path (outside ~/.local)" >&2 ;;
  esac
done
echo "Removed Offline Assistant."
