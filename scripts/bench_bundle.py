#!/usr/bin/env python3
"""The bundle's cost: size on disk and as tar.gz (the ten largest parts), start to the first window cold and
warm, frozen versus `python -m assistant` in the same run, and RSS after start and after one reply.

    make bench-bundle            (builds the bundle first)
    .venv/bin/python scripts/bench_bundle.py [--runs 5] [--json out.json]

Start time is wall clock from launching the process to the first window's first event-loop turn (the app's
ASSISTANT_STARTUP_PROBE hook writes it, the same code frozen and from source). The chat window opens
directly (a scratch home with the face lock off), asks "what time is it" and quits after the reply.
Cold: the page cache is dropped (root: /proc/sys/vm/drop_caches) or else every file of the bundle, the
checkout and the virtual environment is evicted with posix_fadvise(DONTNEED). Offscreen Qt unless a DISPLAY
is set. Goals of issue 16: at most 300 MB on disk, first window in at most 1.5 s warm, RSS at most 350 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BUNDLE = ROOT / "dist" / "offline-assistant"
TARBALL = ROOT / "dist" / "offline-assistant-linux-x86_64.tar.gz"
GOALS = {"disk_mb": 300, "warm_first_window_s": 1.5, "rss_mb": 350}


def disk_bytes(path: Path) -> int:
    """Space used on disk (blocks), as `du` counts it."""
    if path.is_symlink() or path.is_file():  # a symlink (PyInstaller links shared libraries) counts itself only
        return path.lstat().st_blocks * 512
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*"))


def largest_parts(bundle: Path, count: int = 10) -> list[tuple[str, int]]:
    """The bundle's parts: each entry of _internal/, with models/ split per model folder."""
    internal = bundle / "_internal"
    parts = []
    for entry in internal.iterdir():
        if entry.name == "models" and entry.is_dir():
            parts += [(f"models/{m.name}", disk_bytes(m)) for m in entry.iterdir()]
        else:
            parts.append((entry.name, disk_bytes(entry)))
    return sorted(parts, key=lambda p: -p[1])[:count]


def evict(roots: list[Path]) -> str:
    """Drop cached file pages: the whole page cache when allowed, else these trees' files."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches"
    except OSError:
        pass
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file() and not path.is_symlink():
                    fd = os.open(path, os.O_RDONLY)
                    try:
                        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    finally:
                        os.close(fd)
            except OSError:
                continue
    return "posix_fadvise(DONTNEED) on the bundle, checkout and venv files"


def start_once(command: list[str], home: Path) -> dict[str, float]:
    probe = home / "probe.json"
    probe.unlink(missing_ok=True)
    env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_STARTUP_PROBE": str(probe)}
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("ASSISTANT_MODELS_DIR", None)
    launched = time.time()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    ended = time.time()
    if proc.returncode != 0 or not probe.is_file():
        raise RuntimeError(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    record = json.loads(probe.read_text())
    if "reply_wall" not in record:
        raise RuntimeError(f"{command[0]}: the chat window did not open (another window came first)")
    return {
        "first_window_s": record["first_window_wall"] - launched,
        "reply_ms": (record["reply_wall"] - record["ask_wall"]) * 1000,
        "rss_first_window_mb": record["rss_first_window_mb"],
        "rss_after_reply_mb": record["rss_after_reply_mb"],
        "process_s": ended - launched,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="warm starts of each (default 5)")
    parser.add_argument("--json", type=Path, help="where to write the results (default: the user cache folder)")
    args = parser.parse_args()
    from assistant.commands.output import print_table
    from assistant.core.appdata import paths
    from assistant.core.appdata.fileio import atomic_write

    frozen_exe = BUNDLE / "offline-assistant"
    if not frozen_exe.is_file():
        print("bench_bundle: no bundle; run make package first", file=sys.stderr)
        return 1
    size = {"disk_mb": disk_bytes(BUNDLE) / 1e6, "tar_gz_mb": TARBALL.stat().st_size / 1e6 if TARBALL.is_file() else None,
            "largest_parts": [{"part": n, "mb": b / 1e6} for n, b in largest_parts(BUNDLE)]}
    commands = {"frozen": [str(frozen_exe)], "source": [str(ROOT / ".venv" / "bin" / "python"), "-m", "assistant"]}
    home = Path(tempfile.mkdtemp(prefix="assistant-bench-bundle-"))
    try:
        os.environ["ASSISTANT_HOME"] = str(home)
        from assistant.core.face.lock import AppLock

        AppLock().set_mode("off")  # straight to the chat window
        for command in commands.values():  # first start of a home: calibration, caches; not measured
            start_once(command, home)
        cold, how = {}, ""
        for name, command in commands.items():
            how = evict([BUNDLE, ROOT / "assistant", ROOT / "models", ROOT / ".venv"])
            cold[name] = start_once(command, home)
        warm: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so that load on the shared machine hits both alike
            for name, command in commands.items():
                warm[name].append(start_once(command, home))
    finally:
        shutil.rmtree(home, ignore_errors=True)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in warm[name])

    rows = []
    for name in commands:
        rows.append([name, f"{cold[name]['first_window_s']:.2f}", f"{median(name, 'first_window_s'):.2f}",
                     f"{max(r['first_window_s'] for r in warm[name]):.2f}", f"{median(name, 'reply_ms'):.0f}",
                     f"{median(name, 'rss_first_window_mb'):.0f}", f"{median(name, 'rss_after_reply_mb'):.0f}"])
    ratio = {key: median("frozen", key) / median("source", key) for key in ("first_window_s", "rss_after_reply_mb")}
    ratio["cold_first_window_s"] = cold["frozen"]["first_window_s"] / cold["source"]["first_window_s"]
    print(f"bundle {BUNDLE}: {size['disk_mb']:.0f} MB on disk, tar.gz {size['tar_gz_mb'] or 0:.0f} MB"
          f" (goal <= {GOALS['disk_mb']} MB on disk)")
    print_table(["largest parts", "MB"], [[p["part"], f"{p['mb']:.1f}"] for p in size["largest_parts"]])
    print()
    print(f"start to the first window (cold: {how}; warm: median of {args.runs}), one reply, RSS:")
    print_table(["", "cold s", "warm s", "warm max s", "reply ms", "RSS start MB", "RSS reply MB"], rows)
    print(f"frozen / source: warm start {ratio['first_window_s']:.2f}x, cold start {ratio['cold_first_window_s']:.2f}x,"
          f" RSS {ratio['rss_after_reply_mb']:.2f}x")
    print(f"goals: warm first window <= {GOALS['warm_first_window_s']} s, RSS <= {GOALS['rss_mb']} MB")
    out = args.json or paths.cache_dir() / "bench_bundle.json"
    atomic_write(out, json.dumps({"size": size, "cold": cold, "warm": warm, "ratio": ratio, "cold_method": how,
                                  "goals": GOALS, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
