"""Chat history: every message of the typed chat, kept in SQLite so it comes back after a restart.

Qt-free so the CLI, the GUI and tests share it. Each message keeps the facts shown next to a reply
(precision, intent, confidence, latency), so a reloaded transcript says which model variant answered.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from assistant.core.appdata.storage import open_db

logger = logging.getLogger(__name__)

DB_NAME = "history"
ROLES = ("user", "assistant", "system")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    precision TEXT,
    intent TEXT,
    confidence REAL,
    latency_ms REAL,
    skill TEXT
);
CREATE INDEX IF NOT EXISTS messages_created ON messages(created);
"""


@dataclass(frozen=True)
class Message:
    """One line of the transcript; the reply fields are None for the user's own messages."""

    id: int
    created: float  # seconds since the epoch
    role: str
    text: str
    precision: str | None = None
    intent: str | None = None
    confidence: float | None = None
    latency_ms: float | None = None
    skill: str | None = None


class ChatHistory:
    """The `history` database in the user data folder. Thread-safe (one connection, one lock)."""

    def __init__(self) -> None:
        self._conn = open_db(DB_NAME, SCHEMA)
        self._lock = threading.Lock()

    def add(
        self,
        role: str,
        text: str,
        *,
        created: float | None = None,
        precision: str | None = None,
        intent: str | None = None,
        confidence: float | None = None,
        latency_ms: float | None = None,
        skill: str | None = None,
    ) -> Message:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        created = time.time() if created is None else float(created)
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO messages (created, role, text, precision, intent, confidence, latency_ms, skill)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (created, role, text, precision, intent, confidence, latency_ms, skill),
            )
            row_id = int(cur.lastrowid or 0)
        return Message(row_id, created, role, text, precision, intent, confidence, latency_ms, skill)

    def recent(self, limit: int = 200) -> list[Message]:
        """The last `limit` messages, oldest first (the order they are shown in)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM messages ORDER BY id DESC LIMIT ?", (int(limit),)
            ).fetchall()
        return [_message(r) for r in reversed(rows)]

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])

    def clear(self) -> int:
        """Delete every message (the user's "clear personal data"); returns how many were removed."""
        with self._lock:
            removed = self._conn.execute("DELETE FROM messages").rowcount
            self._conn.execute("VACUUM")
        logger.info("chat history cleared (%d messages)", removed)
        return int(removed)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _message(row) -> Message:
    return Message(
        id=int(row["id"]),
        created=float(row["created"]),
        role=str(row["role"]),
        text=str(row["text"]),
        precision=row["precision"],
        intent=row["intent"],
        confidence=row["confidence"],
        latency_ms=row["latency_ms"],
        skill=row["skill"],
    )
