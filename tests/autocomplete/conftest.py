"""Fixtures of the autocomplete tests: the committed model (skipped with a reason when absent)."""

from __future__ import annotations

import pytest

from tests.conftest import committed_catalog_or_skip


@pytest.fixture(scope="session")
def shipped_models():
    """The repository's models folder when it holds an autocomplete model, else skip."""
    return committed_catalog_or_skip("autocomplete")


@pytest.fixture
def predictor(shipped_models, tmp_path):
    """A Predictor on the committed model with a fresh personal layer in this test's ASSISTANT_HOME."""
    from assistant.core.text.autocomplete import Predictor
    from assistant.core.text.personal import PersonalModel

    return Predictor(catalog=shipped_models, personal=PersonalModel())
