"""Chat history in SQLite: survives reopening, keeps reply facts, clears on request."""

from __future__ import annotations

import pytest

from assistant.core.appdata.history import ChatHistory


def test_messages_survive_reopen_in_order_with_reply_facts():
    h = ChatHistory()
    h.add("user", "hello there", created=100.0)
    h.add("assistant", "Hi!", created=101.0, precision="int8", intent="greet", confidence=0.93, latency_ms=1.5,
          skill="chitchat")
    h.close()
    again = ChatHistory()
    rows = again.recent()
    assert [(m.role, m.text) for m in rows] == [("user", "hello there"), ("assistant", "Hi!")]
    assert rows[1].precision == "int8" and rows[1].intent == "greet" and rows[1].confidence == pytest.approx(0.93)
    assert rows[0].precision is None
    again.close()


def test_recent_limit_keeps_the_newest_and_clear_empties():
    h = ChatHistory()
    for i in range(10):
        h.add("user", f"m{i}")
    assert [m.text for m in h.recent(3)] == ["m7", "m8", "m9"]
    assert h.count() == 10
    assert h.clear() == 10
    assert h.recent() == [] and h.count() == 0
    h.close()


def test_rejects_unknown_role():
    h = ChatHistory()
    with pytest.raises(ValueError):
        h.add("robot", "x")
    h.close()
