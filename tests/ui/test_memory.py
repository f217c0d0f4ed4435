"""Regression (scripts/soak_long_use.py): after a lock, glibc kept the closed chat window's freed heap, and
RSS grew by about 120 MB over 100 lock/unlock cycles; the shell now trims the heap after closing it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.ui.shell import release_free_memory


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_free_memory_hands_freed_heap_pages_back():
    blocks = [bytes(2000) for _ in range(60_000)]  # ~120 MB of malloc'ed blocks (over pymalloc's 512 bytes)
    keep = blocks[::200]  # a few stay alive, so glibc cannot shrink the heap from the top by itself
    del blocks
    before = _rss_mb()
    release_free_memory()
    after = _rss_mb()
    assert before - after > 40, (before, after)
    del keep
