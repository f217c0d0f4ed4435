"""`assistant models`: every variant in the catalog, whether its file is intact, and its figures."""

from __future__ import annotations

import argparse

from assistant.commands.output import fmt, human_bytes, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="only this model")


def run(args: argparse.Namespace) -> int:
    from assistant.core.inference.catalog import Catalog

    catalog = Catalog.load()
    rows = []
    for name, info in sorted(catalog.models.items()):
        if args.model and name != args.model:
            continue
        for precision, v in info.variants.items():
            check = catalog.check(name, precision) if v.shipped else None
            rows.append({
                "model": name,
                "task": info.task,
                "precision": precision,
                "status": v.status,
                "path": str(v.path) if v.path else None,
                "bytes": v.bytes or None,
                "sha256_ok": check.ok if check else None,
                "problem": (check.reason if check and not check.ok else "") or (v.reason if not v.shipped else ""),
                "metric": info.metric.name,
                "quality": v.quality,
                "metric_value": v.quality.get(info.metric.name),
                "metric_delta": -info.metric_loss(precision) if info.metric_loss(precision) is not None else None,
                "agreement": v.agreement,
                "latency_ms": v.latency_ms,
            })
    if args.json:
        print_json({"models": rows, "problems": catalog.problems, "models_dir": str(catalog.models_dir)})
        return 0 if not catalog.problems else 1
    if rows:
        print_table(
            ["model", "precision", "bytes", "file ok", "metric", "value", "delta", "p50 1t ms", "note"],
            [(r["model"], r["precision"], human_bytes(r["bytes"]),
              {True: "yes", False: "NO", None: "-"}[r["sha256_ok"]], r["metric"],
              fmt(r["metric_value"], 4), fmt(r["metric_delta"], 4), fmt(r["latency_ms"].get("p50_1t")),
              r["problem"]) for r in rows],
        )
    for problem in catalog.problems:
        print(f"problem: {problem}")
    return 0 if not catalog.problems else 1
