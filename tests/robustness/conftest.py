"""Counts of the cases tried per entry (the fuzz tests call `tried`), printed at the end of the run."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()


def tried(entry: str) -> None:
    COUNTS[entry] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if COUNTS:
        terminalreporter.section("bad-input cases tried per entry")
        for entry, n in sorted(COUNTS.items()):
            terminalreporter.line(f"{entry}: {n}")
