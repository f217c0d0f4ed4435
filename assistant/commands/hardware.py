"""`assistant hardware`: the detected profile and the precision chosen per model, with reasons."""

from __future__ import annotations

import argparse

from assistant.commands.output import print_json, print_table

EVIDENCE_WORDS = {
    "calibration": "this machine",
    "factory": "factory figures",
    "rule": "hardware rule",
    "override": "your setting",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cpuinfo", metavar="FILE", help="detect from a captured /proc/cpuinfo text instead")
    parser.add_argument("--sysctl", metavar="FILE", help="detect from a captured macOS `sysctl -a` text instead")


def run(args: argparse.Namespace) -> int:
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.hardware import detect
    from assistant.core.inference.policy import select_all

    profile = detect(cpuinfo_path=args.cpuinfo, sysctl_path=args.sysctl)
    catalog = Catalog.load()
    decisions = select_all(profile=profile, catalog=catalog)
    if args.json:
        print_json({
            "profile": profile.to_dict(),
            "selection": {m: {"precision": d.precision, "reason": d.reason, "ranking": d.ranking,
                              "source": d.source, "evidence": d.evidence()} for m, d in decisions.items()},
            "problems": catalog.problems,
        })
        return 0
    print("Hardware")
    for line in profile.describe():
        print(f"  {line}")
    print()
    if decisions:
        print_table(["model", "precision", "decided by", "reason"],
                    [(m, d.precision or "-", EVIDENCE_WORDS.get(d.source, d.source), d.reason)
                     for m, d in decisions.items()])
    for problem in catalog.problems:
        print(f"note: {problem}")
    return 0
