"""`assistant bench`: time every model variant on this machine and save the table as JSON."""

from __future__ import annotations

import argparse
import sys

from assistant.commands.output import human_bytes, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="*", help="only these models")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per variant and thread count")
    parser.add_argument("--calibrate", action="store_true",
                        help="also cache the 1-thread timings so 'Auto' picks the fastest variant on this machine")


def run(args: argparse.Namespace) -> int:
    from assistant.core.inference.bench import bench_all, save_results
    from assistant.core.inference.catalog import Catalog

    catalog = Catalog.load()
    progress = _progress_bar() if not args.json and sys.stderr.isatty() else _progress_lines()
    rows = bench_all(catalog, progress=progress, runs=max(5, args.runs), models=args.model or None)
    path = save_results(rows)
    if args.calibrate:
        from assistant.core.inference import calibration
        from assistant.core.inference.hardware import current_profile

        times = calibration.from_bench(rows, catalog)
        if times:
            calibration.save(current_profile(), catalog, times)
    if args.json:
        from dataclasses import asdict

        print_json({"rows": [asdict(r) for r in rows], "saved_to": str(path), "problems": catalog.problems})
        return 0
    print_table(
        ["model", "precision", "bytes", "p50 1t", "p95 1t", f"p50 {rows[0].threads_all if rows else 'all'}t",
         "p95 all", "factory p50 1t", "ratio", "note"],
        [(r.model, r.precision, human_bytes(r.bytes), r.p50_1t, r.p95_1t, r.p50_all, r.p95_all, r.manifest_p50_1t,
          (f"{r.p50_1t / r.manifest_p50_1t:.2f}" if r.p50_1t and r.manifest_p50_1t else "-"), r.error)
         for r in rows],
    )
    print(f"\nlatency in ms (model call only); saved to {path}")
    for problem in catalog.problems:
        print(f"problem: {problem}")
    return 0


def _progress_bar():
    def show(done: int, total: int, label: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<30}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _progress_lines():
    def show(done: int, total: int, label: str) -> None:
        if done < total:
            sys.stderr.write(f"bench {done + 1}/{total}: {label}\n")
            sys.stderr.flush()

    return show
