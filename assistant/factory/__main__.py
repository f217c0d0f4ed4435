"""`python -m assistant.factory` / `assistant-factory`: build, analyse and report the shipped models.

    build MODEL|all     train (or import), convert to every precision, verify, analyse, write
                        models/<model>/, manifest.json, REPORT.md (+ plots) and NOTICE
    analyse MODEL|all   re-measure latency, peak memory and int8 per-layer error of what is shipped
    report              regenerate REPORT.md, the plots and NOTICE from manifest.json
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

logger = logging.getLogger("assistant.factory")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, help="models folder (default: the app's, or ASSISTANT_MODELS_DIR)")
    common.add_argument("--work", type=Path, help="scratch folder (default: <cache>/factory-work)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress messages to stderr")

    parser = argparse.ArgumentParser(prog="assistant-factory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    b = sub.add_parser("build", parents=[common], help="build one model or all of them")
    b.add_argument("model", help="a recipe name or 'all'")
    b.add_argument("--quick", action="store_true", help="tiny data and few steps (tests of the pipeline)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--timeout", type=float, default=1800.0, help="seconds per conversion before it counts as failed")
    b.add_argument("--isolation", choices=("fork", "spawn"), help="how conversion processes start (default: fork on Linux)")
    b.add_argument("--runs", type=int, help="timed runs per variant (default 200, quick 50)")
    a = sub.add_parser("analyse", parents=[common], help="re-measure the shipped variants on this machine")
    a.add_argument("model", help="a model in the manifest or 'all'")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--timeout", type=float, default=1800.0)
    a.add_argument("--isolation", choices=("fork", "spawn"))
    a.add_argument("--runs", type=int, help="timed runs per variant (default 200)")
    sub.add_parser("report", parents=[common], help="regenerate REPORT.md, plots and NOTICE from the manifest")
    return parser


def _options(args: argparse.Namespace, argv: list[str]):
    from assistant.core.appdata import paths
    from assistant.factory.pipeline import BuildOptions, command_line, default_work_dir

    return BuildOptions(
        models_dir=args.out or paths.models_dir(),
        work_dir=args.work or default_work_dir(),
        quick=getattr(args, "quick", False),
        seed=getattr(args, "seed", 0),
        timeout=getattr(args, "timeout", 1800.0),
        isolation=getattr(args, "isolation", None),
        bench_runs=getattr(args, "runs", None),
        command=command_line(argv),
    )


def _print_model(name: str, entry: dict) -> None:
    from assistant.commands.output import human_bytes, print_table

    metric = entry["metric"]["name"]
    rows = []
    for precision, v in entry["variants"].items():
        lat = v.get("latency_ms") or {}
        rows.append((precision, v["status"], human_bytes(v.get("bytes")), (v.get("quality") or {}).get(metric),
                     v.get("metric_delta"), (v.get("agreement") or {}).get("top1"), lat.get("p50_1t"),
                     v.get("reason") or v.get("note") or ""))
    print(f"\n{name}: {entry.get('task', '')}")
    print_table(["precision", "status", "bytes", metric, "delta", "top-1 agr", "p50 1t ms", "reason"], rows)


def _build(args: argparse.Namespace, argv: list[str]) -> int:
    from assistant.factory import manifest as mf
    from assistant.factory import pipeline, recipes, report

    opts = _options(args, argv)
    names = recipes.names() if args.model == "all" else [args.model]
    started = time.monotonic()
    results, failures = {}, {}
    for name in names:
        try:
            recipe = recipes.get(name)
        except recipes.RecipeError as exc:
            failures[name] = str(exc)
            print(f"assistant-factory: {exc}", file=sys.stderr)
            continue
        try:
            results[name] = pipeline.build(recipe, opts).entry
        except Exception as exc:  # one broken recipe must not stop `build all`
            logger.exception("building %s failed", name)
            failures[name] = f"{type(exc).__name__}: {exc}"
            print(f"assistant-factory: building {name} failed: {exc}", file=sys.stderr)
    wall = round(time.monotonic() - started, 1)
    if args.model == "all" and results:
        with mf.locked(opts.models_dir):
            def change(manifest: dict) -> None:
                manifest["build_all"] = {"command": opts.command, "wall_time_s": wall, "finished": mf.now_iso(),
                                         "models": sorted(results), "failed": failures, "quick": opts.quick,
                                         "machine": mf.machine()}

            report.write_all(opts.models_dir, mf.update(opts.models_dir, change))
    if args.json:
        from assistant.commands.output import print_json

        print_json({"built": results, "failed": failures, "wall_time_s": wall, "models_dir": str(opts.models_dir)})
    else:
        for name, entry in results.items():
            _print_model(name, entry)
        print(f"\nwall time {wall} s; manifest {Path(opts.models_dir) / 'manifest.json'}")
    return 1 if failures else 0


def _analyse(args: argparse.Namespace, argv: list[str]) -> int:
    from assistant.factory import manifest as mf
    from assistant.factory import pipeline

    opts = _options(args, argv)
    current = mf.load(opts.models_dir)
    names = sorted(current["models"]) if args.model == "all" else [args.model]
    if not names:
        print(f"assistant-factory: no models in {opts.models_dir / 'manifest.json'}", file=sys.stderr)
        return 1
    results, failures = {}, {}
    for name in names:
        try:
            results[name] = pipeline.analyse(name, opts)
        except Exception as exc:  # noqa: BLE001 - report and go on with the next model
            logger.exception("analysing %s failed", name)
            failures[name] = str(exc)
            print(f"assistant-factory: analysing {name} failed: {exc}", file=sys.stderr)
    if args.json:
        from assistant.commands.output import print_json

        print_json({"analysed": results, "failed": failures})
    else:
        for name, entry in results.items():
            _print_model(name, entry)
    return 1 if failures else 0


def _report(args: argparse.Namespace, argv: list[str]) -> int:
    from assistant.core.appdata import paths
    from assistant.factory import report

    models_dir = args.out or paths.models_dir()
    written = report.write_all(models_dir)
    if args.json:
        from assistant.commands.output import print_json

        print_json({"written": [str(p) for p in written]})
    else:
        for path in written:
            print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    from assistant.core.appdata.logging_setup import setup_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    setup_logging(verbose=args.verbose)
    if args.verbose:  # progress messages of the factory, not the debug chatter of its libraries
        for noisy in ("matplotlib", "PIL", "h5py", "absl", "tensorflow", "keras"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    handler = {"build": _build, "analyse": _analyse, "report": _report}[args.command]
    try:
        return handler(args, argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
