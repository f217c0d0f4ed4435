"""Regression (scripts/soak_long_use.py): after a lock, glibc kept the closed chat window's freed heap, and
RSS grew by about 120 MB over 100 lock/unlock cycles; the shell now trims the heap after closing it."""

from __future__ import annotations

import sys

import pytest

from assistant.core.inference.hardware import resident_mb
from assistant.ui.shell import release_free_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_free_memory_hands_freed_heap_pages_back():
    blocks = [bytes(2000) for _ in range(60_000)]  # ~120 MB of malloc'ed blocks (over pymalloc's 512 bytes)
    keep = blocks[::200]  # a few stay alive, so glibc cannot shrink the heap from the top by itself
    del blocks
    before = resident_mb()
    release_free_memory()
    after = resident_mb()
    assert before - after > 40, (before, after)
    del keep
