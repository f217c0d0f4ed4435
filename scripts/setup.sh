#!/usr/bin/env bash
# Set up everything `make run` / `make test` need on a fresh Debian/Ubuntu machine with Python 3.11.
# Usage: scripts/setup.sh run|test
# - Debian packages: installed with apt-get when run as root; otherwise the exact apt-get line is printed.
# - Python: a .venv in the checkout with the locked versions of the app (run) or app + factory + dev +
#   package extras (test).
set -euo pipefail
mode="${1:-run}"
cd "$(dirname "$0")/.."

# Runtime: PortAudio for sounddevice; the X11/xcb, EGL and font libraries Qt's xcb plugin loads.
apt_run=(libportaudio2 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
         libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 libegl1 libgl1
         libfontconfig1 libdbus-1-3 fonts-dejavu-core)
# Tests: a virtual X server for the real-window smoke test, espeak-ng for synthetic speech, the
# pocketsphinx test recordings (LibriVox excerpts and commands) the speech tests and the VAD recipe use,
# desktop-file-validate for the installer test and strip (binutils) for the bundle.
apt_test=(xvfb xauth espeak-ng pocketsphinx-testdata desktop-file-utils binutils)
pkgs=("${apt_run[@]}")
[ "$mode" = test ] && pkgs+=("${apt_test[@]}")

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing. Install them, then run this command again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

py=""
for cand in python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
    py="$cand"; break
  fi
done
if [ -z "$py" ]; then
  echo "setup: Python 3.11 or newer is needed: sudo apt-get install -y python3.11 python3.11-venv" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $py"
  "$py" -m venv .venv || { echo "setup: venv failed; install python3-venv (sudo apt-get install -y python3-venv)" >&2; exit 1; }
fi
# Exact versions with hashes from the lock (requirements/run.txt: the app; requirements/test.txt: the app, the
# factory, dev tools and PyInstaller), then this checkout itself without resolving anything again.
# Refresh the lock after changing pyproject.toml: make lock.
lock="requirements/$mode.txt"
stamp=".venv/.installed-$mode"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the locked Python packages ($lock)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r "$lock"
  .venv/bin/python -m pip install -q --no-deps -e .
  touch "$stamp"
fi
