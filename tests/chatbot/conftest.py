"""Fixtures of the chatbot tests: the committed model (skipped with a reason when absent) and skills
on a fake clock."""

from __future__ import annotations

import pytest

from tests.conftest import committed_catalog_or_skip


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def skills(clock):
    from assistant.core.skills.skillset import Skills

    s = Skills(precision_report=lambda: {"chatbot": "int8", "autocomplete": "fp32"}, clock=clock,
               precision_words={"int8": "full integer (int8)"})
    yield s
    s.close()


@pytest.fixture(scope="session")
def shipped_models():
    """The repository's models folder when it holds a chatbot model, else skip."""
    return committed_catalog_or_skip("chatbot")


@pytest.fixture
def chatbot(shipped_models):
    """A Chatbot on the committed model; skills write into this test's ASSISTANT_HOME."""
    from assistant.core.text.chatbot import Chatbot

    bot = Chatbot(catalog=shipped_models, seed=0)
    assert bot.engine is not None, bot.error
    yield bot
    bot.skills.close()
