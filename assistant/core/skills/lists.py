"""Shopping and to-do lists in SQLite: add, show, remove, clear; the list and items are read from the
sentence by rules (the model only says which of those the user wants)."""

from __future__ import annotations

import re

from assistant.core.appdata.storage import Store
from assistant.core.skills.text import clean_command

SCHEMA = """
CREATE TABLE IF NOT EXISTS list_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    list TEXT NOT NULL,
    item TEXT NOT NULL,
    added REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS list_items_list ON list_items(list);
"""
DEFAULT_LIST = "shopping"
_ALIASES = {
    "shopping": "shopping", "grocery": "shopping", "groceries": "shopping", "food": "shopping",
    "shopping list": "shopping", "to-do": "to-do", "todo": "to-do", "to do": "to-do", "to-dos": "to-do",
    "todos": "to-do", "task": "to-do", "tasks": "to-do",
}
MAX_ITEM_CHARS = 200


def canonical_list(name: str | None) -> str:
    """'groceries' -> 'shopping', 'todo' -> 'to-do'; '' or None -> the shopping list."""
    name = re.sub(r"\s+", " ", (name or "").strip().lower())
    name = re.sub(r"^(?:my|the|our)\s+", "", name)
    name = re.sub(r"\s*\blist$", "", name).strip()
    return _ALIASES.get(name, name) or DEFAULT_LIST


def list_title(name: str) -> str:
    return f"{name} list"


class ListStore(Store):
    SCHEMA = SCHEMA

    def items(self, list_name: str) -> list[str]:
        rows = self.conn.execute("SELECT item FROM list_items WHERE list = ? ORDER BY id", (list_name,)).fetchall()
        return [r[0] for r in rows]

    def lists(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT list, COUNT(*) FROM list_items GROUP BY list ORDER BY MIN(id)").fetchall()
        return {r[0]: r[1] for r in rows}

    def add(self, list_name: str, items: list[str]) -> tuple[list[str], list[str]]:
        """(added, already there). Case-insensitive duplicates are not added twice."""
        added, present = [], []
        with self._lock:
            have = {i.lower() for i in self.items(list_name)}
            for item in items:
                if item.lower() in have:
                    present.append(item)
                    continue
                self.conn.execute("INSERT INTO list_items (list, item, added) VALUES (?, ?, ?)",
                                  (list_name, item, self.clock()))
                have.add(item.lower())
                added.append(item)
        return added, present

    def find(self, list_name: str, item: str) -> str | None:
        """The stored item `item` refers to: same text, singular/plural, or one containing the other."""
        stored = self.items(list_name)
        want = item.lower()
        for candidate in stored:
            if candidate.lower() == want:
                return candidate
        forms = _forms(want)
        for candidate in stored:
            if forms & _forms(candidate.lower()):
                return candidate
        for candidate in stored:
            c = candidate.lower()
            if re.search(rf"\b{re.escape(want)}\b", c) or re.search(rf"\b{re.escape(c)}\b", want):
                return candidate
        return None

    def remove(self, list_name: str, item: str) -> str | None:
        found = self.find(list_name, item)
        if found is not None:
            with self._lock:
                self.conn.execute(
                    "DELETE FROM list_items WHERE id = (SELECT id FROM list_items WHERE list = ? AND item = ? "
                    "ORDER BY id LIMIT 1)", (list_name, found))
        return found

    def clear(self, list_name: str) -> int:
        with self._lock:
            cur = self.conn.execute("DELETE FROM list_items WHERE list = ?", (list_name,))
        return cur.rowcount or 0


def _forms(word: str) -> set[str]:
    """Singular and plural spellings of `word` ("egg"/"eggs", "tomato"/"tomatoes", "berry"/"berries")."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


# --- slot extraction -------------------------------------------------------------------------------

_LIST = r"(?:(?:my|the|our)\s+)?(?P<list>[\w' -]*?)\s*list"
_ADD_PATTERNS = [
    re.compile(r"^(?:add|put|stick|include|append|throw|write)\s+(?P<items>.+?)\s+(?:to|on|onto|in|into)\s+" + _LIST + r"$"),
    re.compile(r"^(?:add|put|stick|include|append)\s+(?P<items>.+?)\s+(?:to|on|in)\s+(?:my|the|our)\s+"
               r"(?P<list>tasks|to-?dos?|to do|things to do)$"),
    re.compile(r"^new\s+(?:item|entry)\s+for\s+" + _LIST + r"\s*:?\s*(?P<items>.+)$"),
    re.compile(r"^(?P<items>.+?)\s+(?:goes|needs to go|go)\s+on\s+" + _LIST + r"$"),
    re.compile(r"^(?:i|we)\s+(?:need to buy|need to get|have to buy|have to get|should get|should buy|must buy|"
               r"need some|need)\s+(?P<items>.+)$"),
    re.compile(r"^(?:remember to buy|remind me to (?:buy|get|pick up)|don't let me forget to buy|"
               r"(?:get|pick up|buy) )\s*(?P<items>.+?)(?:\s+next time)?$"),
    re.compile(r"^(?:we're|we are|i'm|i am)\s+(?:almost\s+|nearly\s+)?(?:out of|running out of|running low on|"
               r"low on)\s+(?P<items>.+)$"),
    re.compile(r"^(?:add|put|write|stick)\s+(?P<items>.+?)(?:\s+(?:down|on the list|to the list|on my list))?$"),
]
_REMOVE_PATTERNS = [
    re.compile(r"^(?:remove|delete|take|cross|scratch|strike|knock|get rid of|tick off|check off|tick|check|"
               r"complete|mark)\s+(?P<items>.+?)\s+(?:off|from|on|in)\s+(?:of\s+)?" + _LIST + r"$"),
    re.compile(r"^(?:remove|delete)\s+(?P<items>.+?)\s+from\s+(?:my|the|our)\s+(?P<list>tasks|to-?dos?)$"),
    re.compile(r"^(?:i|we)\s+(?:bought|got|picked up|grabbed|have)\s+(?:the\s+|some\s+)?(?P<items>.+?)(?:\s+now)?$"),
    re.compile(r"^(?:i|we)\s+(?:don't|do not)\s+need\s+(?:any\s+)?(?P<items>.+?)(?:\s+anymore|\s+any more)?$"),
    re.compile(r"^(?:mark|tick|set)\s+(?P<items>.+?)\s+as\s+(?:done|bought|complete|completed|finished)$"),
    re.compile(r"^(?:i've|i have)\s+(?:done|finished|completed)\s+(?P<items>.+)$"),
    re.compile(r"^we have enough\s+(?P<items>.+?)(?:\s+now)?$"),
    re.compile(r"^(?P<items>.+?)\s+(?:is|are)\s+done$"),
    re.compile(r"^(?P<items>.+?)\s+can\s+(?:come|be taken)\s+off\s+" + _LIST + r"$"),
    re.compile(r"^(?:remove|delete|take|cross|scratch|strike|knock|tick off|check off|tick|check|complete)\s+"
               r"(?P<items>.+?)(?:\s+off)?(?:\s+(?:off|from)\s+the\s+list)?$"),
]
_CLEAR_RE = re.compile(r"\b(?:clear|empty|wipe|reset)\b.*\blist\b|\b(?:remove|delete)\s+(?:everything|all(?: items)?)\s+"
                       r"(?:from|on|off)\b")
_LIST_NAME_RE = re.compile(r"\b(?:my|the|our)\s+([\w'-]+(?:\s+[\w'-]+)?)\s+list\b|\b([\w'-]+)\s+list\b")
_TODO_HINT_RE = re.compile(r"\b(tasks?|to-?dos?|to do|still have to do|need to do)\b")
_BUY_HINT_RE = re.compile(r"\b(buy|shop|shopping|store|supermarket|groceries|grocery)\b")


def split_items(text: str) -> list[str]:
    """ "milk, eggs and bread" -> ["milk", "eggs", "bread"]; articles and 'some' dropped."""
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", text)
    items = []
    for part in parts:
        part = re.sub(r"^(?:a|an|the|some|more|any)\s+", "", part.strip(" .!?'\""))
        part = re.sub(r"\s+(?:off|please)$", "", part)
        if part:
            items.append(part[:MAX_ITEM_CHARS])
    return items


def list_name_in(text: str) -> str | None:
    """The list a sentence names ("my camping list" -> "camping"), or None."""
    t = clean_command(text)
    for m in _LIST_NAME_RE.finditer(t):
        name = m.group(1) or m.group(2)
        if name and name not in ("a", "the", "my", "our", "this", "that", "whole", "entire"):
            name = re.sub(r"^(?:what's on|on|in|of|from|to)\s+", "", name)
            return canonical_list(name)
    if _TODO_HINT_RE.search(t):
        return "to-do"
    if _BUY_HINT_RE.search(t):
        return DEFAULT_LIST
    return None


def parse_add(text: str) -> tuple[list[str], str]:
    t = clean_command(text)
    for pattern in _ADD_PATTERNS:
        m = pattern.match(t)
        if m:
            groups = m.groupdict()
            list_name = canonical_list(groups.get("list")) if groups.get("list") is not None else (
                list_name_in(t) or DEFAULT_LIST)
            return split_items(m.group("items")), list_name
    return [], list_name_in(t) or DEFAULT_LIST


def parse_remove(text: str) -> tuple[list[str], str | None, bool]:
    """(items, list or None when not named, clear the whole list?)."""
    t = clean_command(text)
    if _CLEAR_RE.search(t):
        return [], list_name_in(t) or DEFAULT_LIST, True
    for pattern in _REMOVE_PATTERNS:
        m = pattern.match(t)
        if m:
            groups = m.groupdict()
            named = canonical_list(groups["list"]) if groups.get("list") else list_name_in(t)
            return split_items(m.group("items")), named, False
    return [], list_name_in(t), False


# --- replies ---------------------------------------------------------------------------------------


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def add_reply(store: ListStore, text: str) -> str:
    items, list_name = parse_add(text)
    if not items:
        return "What should I add? Say for example \"add milk to my shopping list\"."
    added, present = store.add(list_name, items)
    parts = []
    if added:
        parts.append(f"Added {_join(added)} to your {list_title(list_name)}.")
    if present:
        verb = "is" if len(present) == 1 else "are"
        parts.append(f"{_join(present).capitalize()} {verb} already on your {list_title(list_name)}.")
    return " ".join(parts)


def show_reply(store: ListStore, text: str) -> str:
    named = list_name_in(text)
    lists = store.lists()
    if named is None:
        if not lists:
            return "Your lists are empty."
        named = DEFAULT_LIST if DEFAULT_LIST in lists else next(iter(lists))
    items = store.items(named)
    if not items:
        others = [f"{list_title(n)} ({c})" for n, c in lists.items() if n != named]
        also = f" You have items on: {', '.join(others)}." if others else ""
        return f"Your {list_title(named)} is empty.{also}"
    noun = "item" if len(items) == 1 else "items"
    return f"Your {list_title(named)} has {len(items)} {noun}: {_join(items)}."


def remove_reply(store: ListStore, text: str) -> str:
    items, named, clear = parse_remove(text)
    if clear:
        n = store.clear(named or DEFAULT_LIST)
        return f"Cleared your {list_title(named or DEFAULT_LIST)} ({n} item{'s' if n != 1 else ''})."
    if not items:
        return "What should I remove? Say for example \"remove milk from my shopping list\"."
    search = [named] if named else ([DEFAULT_LIST] + [n for n in store.lists() if n != DEFAULT_LIST])
    removed, missing = [], []
    where = named or DEFAULT_LIST
    for item in items:
        for list_name in search:
            found = store.remove(list_name, item)
            if found is not None:
                removed.append(found)
                where = list_name
                break
        else:
            missing.append(item)
    parts = []
    if removed:
        parts.append(f"Removed {_join(removed)} from your {list_title(where)}.")
    if missing:
        verb = "isn't" if len(missing) == 1 else "aren't"
        parts.append(f"{_join(missing).capitalize()} {verb} on your {list_title(named or DEFAULT_LIST)}.")
    return " ".join(parts)
