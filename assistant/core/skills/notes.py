"""Notes in SQLite: take one, read them back, delete the last one or all of them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from assistant.core.appdata.storage import Store
from assistant.core.skills.text import clean_command

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    created REAL NOT NULL
);
"""
MAX_NOTE_CHARS = 1000
SHOW_AT_MOST = 10


@dataclass(frozen=True)
class Note:
    id: int
    text: str
    created: float


class NoteStore(Store):
    SCHEMA = SCHEMA

    def add(self, text: str) -> Note:
        now = self.clock()
        with self._lock:
            cur = self.conn.execute("INSERT INTO notes (text, created) VALUES (?, ?)", (text, now))
        return Note(int(cur.lastrowid or 0), text, now)

    def all(self) -> list[Note]:
        rows = self.conn.execute("SELECT id, text, created FROM notes ORDER BY id").fetchall()
        return [Note(r[0], r[1], r[2]) for r in rows]

    def delete_last(self) -> Note | None:
        with self._lock:
            row = self.conn.execute("SELECT id, text, created FROM notes ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                return None
            self.conn.execute("DELETE FROM notes WHERE id = ?", (row[0],))
        return Note(row[0], row[1], row[2])

    def clear(self) -> int:
        with self._lock:
            cur = self.conn.execute("DELETE FROM notes")
        return cur.rowcount or 0


_NOTE_PREFIX = re.compile(
    r"^(?:"
    r"(?:take|make|write|add|save|create|record|store|jot)\s+(?:down\s+)?(?:a\s+new\s+|a\s+|this\s+|the\s+|new\s+)?"
    r"(?:note|memo)s?(?:\s+of)?"
    r"|i want to (?:make|take) a note"
    r"|(?:add|put this) (?:to|in) my notes"
    r"|(?:note|write|log|remember|save) this"
    r"|new note|please note|keep in mind|can you remember|don't let me forget|write down|jot down"
    r"|note|remember|memo"
    r")\s*(?:that\b|saying\b|:)?\s*:?\s*",
    re.IGNORECASE,
)


def note_text(text: str) -> str:
    """The note in "take a note that the car is on level 3" (original case kept)."""
    t = clean_command(text, keep_case=True)
    body = _NOTE_PREFIX.sub("", t, count=1).strip(" :")
    return body[:MAX_NOTE_CHARS]


def add_reply(store: NoteStore, text: str) -> str:
    body = note_text(text)
    if not body:
        return "What should I note? Say for example \"take a note that the car is on level 3\"."
    store.add(body)
    return f"Noted: {body}"


def _when(ts: float) -> str:
    return time.strftime("%a %d %b %H:%M", time.localtime(ts))


def show_reply(store: NoteStore, text: str) -> str:
    notes = store.all()
    if not notes:
        return "You have no notes. Say for example \"take a note that the car is on level 3\"."
    t = clean_command(text)
    if re.search(r"\b(last|latest|newest|most recent)\b", t):
        return f"Your last note ({_when(notes[-1].created)}): {notes[-1].text}"
    shown = notes[-SHOW_AT_MOST:]
    lines = [f"{i}. {n.text} ({_when(n.created)})" for i, n in enumerate(shown, start=len(notes) - len(shown) + 1)]
    head = f"You have {len(notes)} note{'s' if len(notes) != 1 else ''}"
    head += f" (the last {len(shown)} shown):" if len(shown) < len(notes) else ":"
    return head + "\n" + "\n".join(lines)


def delete_reply(store: NoteStore, text: str) -> str:
    t = clean_command(text)
    if re.search(r"\b(last|latest|that|this|newest|most recent|undo)\b", t) and not re.search(r"\ball\b", t):
        note = store.delete_last()
        return f"Deleted your last note: {note.text}" if note else "You have no notes to delete."
    n = store.clear()
    return f"Deleted all {n} notes." if n > 1 else ("Deleted your note." if n == 1 else "You have no notes to delete.")
