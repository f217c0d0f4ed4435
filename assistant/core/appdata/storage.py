"""SQLite databases in the user data folder: one helper so every store gets the same durability.

WAL journal + synchronous=NORMAL survives a killed process (committed rows are kept); each call
site commits its own transactions.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import private_file

logger = logging.getLogger(__name__)


def db_path(name: str) -> Path:
    return paths.data_dir() / f"{name}.sqlite3"


def open_db(name: str, schema: str = "") -> sqlite3.Connection:
    """Open (and create) `<data>/<name>.sqlite3`, apply `schema` (idempotent CREATE ... IF NOT EXISTS).

    A damaged database file is moved aside to `<name>.sqlite3.damaged` and a fresh one is created,
    so the app keeps working; the move is logged.
    """
    path = db_path(name)
    try:
        conn = _connect(path, schema)
    except sqlite3.DatabaseError as exc:
        backup = path.with_suffix(path.suffix + ".damaged")
        logger.error("database %s is damaged (%s); moved to %s and starting empty", path, exc, backup)
        path.replace(backup)
        conn = _connect(path, schema)
    return conn


def _connect(path: Path, schema: str) -> sqlite3.Connection:
    private_file(path)  # SQLite gives its -wal and -shm files the database file's permissions
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA quick_check").fetchone()
    if schema:
        conn.executescript(schema)
    return conn


class Store:
    """A set of tables on a shared connection: subclasses set SCHEMA; writes take `_lock`.

    `clock` (seconds since the epoch) is injectable for tests.
    """

    SCHEMA = ""

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time):
        self.conn = conn
        self.clock = clock
        self._lock = threading.Lock()
        conn.executescript(self.SCHEMA)
