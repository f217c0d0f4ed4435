"""Bad input everywhere (hypothesis): every public text, file and device entry either works or fails with the
entry's own error and a one-line sentence; none raises anything else, and a damaged file is kept aside, not
lost. The number of cases tried per entry is printed at the end of the run (tests/robustness/conftest.py).
"""

from __future__ import annotations

import io
import os
import wave
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.robustness.conftest import tried
from tests.speech.conftest import vosk_zip_bytes

pytestmark = pytest.mark.slow
# FUZZ_SCALE=20 make test (or pytest tests/robustness) digs deeper by hand; CI runs the default 1.
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
FAST = settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))

# Text as people (and pasted documents) produce it: any Unicode, control characters, digits and operators,
# command-like words, and now and then something huge.
WORDS = st.sampled_from(["set", "a", "timer", "for", "minutes", "remind", "me", "to", "add", "milk", "list",
                         "what", "is", "plus", "times", "divided", "by", "at", "tomorrow", "pm", "cancel", "note",
                         "remove", "from", "my", "shopping", "every", "half", "an", "hour", "seconds", "0", "1e308",
                         "-", "+", "*", "/", "(", ")", "^", "%", ".", "twenty", "nine", "hundred", "million"])
TEXT = st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=30).map(" ".join),
                 st.text(alphabet=st.characters(codec="utf-8"), min_size=5000, max_size=20_000))


def clear(exc: BaseException) -> None:
    """A message a user can read: one line, not empty, not a repr of internals."""
    text = str(exc).replace("new\nline", "new-line")  # a file name of ODD_NAMES may hold a newline itself
    assert text and "\n" not in text.strip() and "Traceback" not in text and len(text) < 600, repr(text)


# -- text entries ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chatbot(tmp_path_factory):
    from tests.conftest import committed_catalog_or_skip

    catalog = committed_catalog_or_skip("chatbot")
    os.environ["ASSISTANT_HOME"] = str(tmp_path_factory.mktemp("fuzz-home"))
    from assistant.core.text.chatbot import Chatbot

    bot = Chatbot(catalog=catalog, seed=0)
    yield bot
    bot.skills.close()


@pytest.fixture(scope="module")
def predictor(chatbot):
    from assistant.core.text.autocomplete import Predictor
    from assistant.core.text.personal import PersonalModel
    from tests.conftest import committed_catalog_or_skip

    return Predictor(catalog=committed_catalog_or_skip("autocomplete"), personal=PersonalModel())


@FAST
@given(text=TEXT)
def test_ask(chatbot, text):
    tried("ask")
    reply = chatbot.ask(text)
    assert isinstance(reply.text, str) and reply.text.strip()


@FAST
@given(text=TEXT, previous=st.text(max_size=100))
def test_suggest(predictor, text, previous):
    tried("suggest")
    result = predictor.suggest(text, previous=previous)
    assert len(result.words) <= 3 and all(isinstance(w, str) and w for w in result.words)


@FAST
@given(text=TEXT)
def test_arithmetic_parser(text):
    from assistant.core.skills import arithmetic

    tried("arithmetic parser")
    try:
        result = arithmetic.calculate(text)
        assert np.isfinite(result.value)
    except arithmetic.ArithmeticError_ as exc:
        clear(exc)
    assert arithmetic.reply(text).strip()


@FAST
@given(text=TEXT)
def test_skill_parsers(text):
    from assistant.core.skills import clock, lists, notes, numbers, reminders, timers

    tried("skills' parsers")
    lists.parse_add(text), lists.parse_remove(text), lists.split_items(text), lists.list_name_in(text)
    clock.parse_when(text, datetime(2026, 12, 2, 9, 30)), clock.strip_when(text)
    numbers.parse_duration(text), numbers.words_to_digits(text), numbers.parse_number(text)
    reminders.reminder_text(text), notes.note_text(text), timers.timer_name(text)


@FAST
@given(intent=st.sampled_from(sorted(__import__("assistant.core.skills.skillset", fromlist=["Skills"]).Skills.HANDLED)),
       text=TEXT)
def test_every_skill_reply(chatbot, intent, text):
    tried("skills' replies")
    assert chatbot.skills.handle(intent, text).strip()


# -- file entries ------------------------------------------------------------------------------------------
def _real_bytes(path: Path) -> bytes:
    return path.read_bytes()


WAV = io.BytesIO()
with wave.open(WAV, "wb") as _w:
    _w.setnchannels(1), _w.setsampwidth(2), _w.setframerate(16000)
    _w.writeframes((np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes())
WAV_BYTES = WAV.getvalue()
MODEL_BYTES = (REPO / "tests/fixtures/engine/digits.int8.tflite").read_bytes()
PNG_BYTES = (REPO / "resources/ui/icon-256.png").read_bytes()


def damaged(good: bytes) -> st.SearchStrategy[bytes]:
    """Empty, truncated, flipped, wrong-format and random versions of a good file."""
    return st.one_of(
        st.just(b""),
        st.integers(0, len(good) - 1).map(lambda n: good[:n]),
        st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)).map(
            lambda t: good[:t[0]] + bytes([good[t[0]] ^ t[1]]) + good[t[0] + 1:]),
        st.binary(max_size=4096),
        st.sampled_from([WAV_BYTES, MODEL_BYTES, PNG_BYTES, b"PK\x03\x04" + b"\0" * 100, b"{}", b"\xff\xfe" * 500]),
    )


ODD_NAMES = st.sampled_from(["file", "with space", "ünï cødé", "new\nline", "-dash", "日本語", "a" * 200, ".hidden",
                             "semi;colon", "quote'\""])


def _place(tmp_path: Path, name: str, data: bytes, suffix: str) -> Path:
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    return path


@SLOW
@given(data=damaged(MODEL_BYTES), name=ODD_NAMES)
def test_model_file(tmp_path_factory, data, name):
    from assistant.core.inference.runner import EngineError, ModelRunner

    tried("model files")
    path = _place(tmp_path_factory.mktemp("m"), name, data, ".tflite")
    try:
        ModelRunner(path)  # loads and allocates; running a damaged graph is left to the checksum (below)
    except EngineError as exc:
        clear(exc)


@SLOW
@given(data=damaged(MODEL_BYTES))
def test_a_damaged_shipped_model_is_refused_before_loading(models_dir, data):
    """The app's own path: the catalog checks size and SHA-256 before the interpreter sees the file."""
    from assistant.core.inference.catalog import Catalog

    tried("shipped model files")
    path = models_dir / "digits" / "digits.int8.tflite"
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        check = Catalog.load(models_dir).check("digits", "int8")
        assert check.ok == (data == original), check
        if not check.ok:
            clear(ValueError(check.reason))
    finally:
        path.write_bytes(original)


@FAST
@given(data=st.one_of(damaged(b'{"schema": 1, "models": {}}'), st.binary(max_size=200),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                                   lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                                   max_leaves=20).map(lambda v: __import__("json").dumps({"schema": 1, "models": v}).encode())))
def test_manifest(tmp_path_factory, data):
    from assistant.core.inference.catalog import Catalog

    tried("manifest")
    folder = tmp_path_factory.mktemp("models")
    (folder / "manifest.json").write_bytes(data)
    catalog = Catalog.load(folder)  # never raises: what is wrong is listed, the rest of the app keeps going
    for problem in catalog.problems:
        clear(ValueError(problem))
    for name in catalog.models:
        catalog.models[name].shipped() if hasattr(catalog.models[name], "shipped") else None


@FAST
@given(data=damaged(b'{"theme": "dark", "num_threads": 2, "camera": "0"}'))
def test_settings_file(tmp_path_factory, data):
    from assistant.core.appdata.settings import Settings, load_settings

    tried("settings file")
    path = tmp_path_factory.mktemp("cfg") / "settings.json"
    path.write_bytes(data)
    settings, warning = load_settings(path)
    assert isinstance(settings, Settings)
    if warning and "could not be read" in warning:
        assert path.with_name("settings.json.damaged").read_bytes() == data  # kept aside, not lost
        clear(ValueError(warning))


@SLOW
@given(data=damaged(WAV_BYTES), suffix=st.sampled_from([".wav", ".flac", ".raw", ".mp3", ""]))
def test_audio_file(tmp_path_factory, data, suffix):
    from assistant.core.speech.audio import AudioError, load_file

    tried("audio files")
    path = _place(tmp_path_factory.mktemp("a"), "clip", data, suffix)
    try:
        audio = load_file(path)
        assert audio.samples.dtype == np.float32 and np.all(np.isfinite(audio.samples))
    except AudioError as exc:
        clear(exc)


@SLOW
@given(data=damaged(PNG_BYTES), suffix=st.sampled_from([".png", ".jpg", ".bmp", ""]))
def test_image_file(tmp_path_factory, data, suffix):
    from assistant.core.face.frames import FrameSourceError, read_image

    tried("images")
    path = _place(tmp_path_factory.mktemp("i"), "face", data, suffix)
    try:
        image = read_image(path)
        assert image.ndim == 3
    except FrameSourceError as exc:
        clear(exc)


@SLOW
@given(data=damaged(PNG_BYTES * 4), suffix=st.sampled_from([".mp4", ".avi", ".mkv", ".webm"]))
def test_video_file(tmp_path_factory, data, suffix):
    from assistant.core.face.frames import FrameSourceError, open_source

    tried("video files")
    path = _place(tmp_path_factory.mktemp("v"), "clip", data, suffix)
    try:
        source = open_source(str(path))
        try:
            for _ in range(3):
                source.read()
        finally:
            source.close()
    except FrameSourceError as exc:
        clear(exc)


@SLOW
@given(data=damaged(vosk_zip_bytes()), name=ODD_NAMES)
def test_speech_model_zip(tmp_path_factory, data, name):
    from assistant.core.speech import models

    tried("speech-model zips")
    tmp = tmp_path_factory.mktemp("z")
    dest = tmp / "installed"
    (dest / "keep-me").mkdir(parents=True)
    path = _place(tmp, name, data, ".zip")
    try:
        models.install_zip(path, dest=dest, name="fuzzed")
        assert (dest / "fuzzed" / "am" / "final.mdl").is_file()
    except models.ModelError as exc:
        clear(exc)
        assert sorted(p.name for p in dest.iterdir()) == ["keep-me"]  # nothing half-installed
    assert path.read_bytes() == data  # the user's file is untouched


@pytest.mark.parametrize("entry", ["model", "manifest", "settings", "audio", "image", "zip"])
def test_a_folder_where_a_file_should_be(tmp_path, entry):
    from assistant.core.appdata.settings import load_settings
    from assistant.core.face.frames import FrameSourceError, read_image
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.runner import EngineError, ModelRunner
    from assistant.core.speech import models
    from assistant.core.speech.audio import AudioError, load_file

    tried("a folder where a file should be")
    folder = tmp_path / {"manifest": "m", "settings": "settings.json"}.get(entry, f"x.{entry}")
    folder.mkdir()
    if entry == "manifest":
        (folder / "manifest.json").mkdir()
    calls = {"model": (lambda: ModelRunner(folder), EngineError),
             "audio": (lambda: load_file(folder), AudioError), "image": (lambda: read_image(folder), FrameSourceError),
             "zip": (lambda: models.install_zip(folder, dest=tmp_path / "d"), models.ModelError)}
    if entry == "manifest":
        problems = Catalog.load(folder).problems
        assert problems and "damaged" in problems[0]
        clear(ValueError(problems[0]))
        return
    if entry == "settings":
        settings, warning = load_settings(folder)
        assert warning and "could not be read" in warning and (tmp_path / "settings.json.damaged").is_dir()
        return
    call, error = calls[entry]
    with pytest.raises(error) as info:
        call()
    clear(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions (CI runs as root)")
@pytest.mark.parametrize("entry", ["model", "audio", "image", "settings"])
def test_a_file_without_read_permission(tmp_path, entry):
    from assistant.core.appdata.settings import load_settings
    from assistant.core.face.frames import FrameSourceError, read_image
    from assistant.core.inference.runner import EngineError, ModelRunner
    from assistant.core.speech.audio import AudioError, load_file

    tried("a file without read permission")
    data = {"model": MODEL_BYTES, "audio": WAV_BYTES, "image": PNG_BYTES, "settings": b"{}"}[entry]
    path = _place(tmp_path, "locked", data, {"model": ".tflite", "audio": ".wav", "image": ".png", "settings": ".json"}[entry])
    path.chmod(0)
    if entry == "settings":
        _, warning = load_settings(path)
        assert warning
        return
    call, error = {"model": (ModelRunner, EngineError), "audio": (load_file, AudioError),
                   "image": (read_image, FrameSourceError)}[entry]
    with pytest.raises(error) as info:
        call(path)
    clear(info.value)


# -- device entries ----------------------------------------------------------------------------------------
@SLOW
@given(spec=st.one_of(st.integers(-3, 40).map(str), st.sampled_from(["/dev/video99", "nonexistent.mp4", "", "  "])))
def test_no_camera(spec):
    from assistant.core.face.frames import FrameSourceError, open_source

    tried("no camera")
    try:
        source = open_source(spec)
        source.close()
    except FrameSourceError as exc:
        clear(exc)


@SLOW
@given(device=st.one_of(st.text(max_size=30), st.integers(-2, 64).map(str)))
def test_no_microphone(device):
    from assistant.core.speech.sources import MicrophoneError, MicrophoneSource

    tried("no microphone")
    try:
        source = MicrophoneSource(device=device)
        source.start() if hasattr(source, "start") else None
        source.close() if hasattr(source, "close") else None
    except MicrophoneError as exc:
        clear(exc)


def test_regression_a_manifest_with_infinity_is_a_problem_not_a_crash(tmp_path):
    """Found while fuzzing the manifest: json reads `Infinity`, and int(inf) raised OverflowError out of
    Catalog.load (it only caught TypeError/ValueError/KeyError/AttributeError)."""
    from assistant.core.inference.catalog import Catalog

    (tmp_path / "manifest.json").write_text('{"schema": 1, "models": {"x": {"variants": {"fp32": '
                                            '{"file": "x.tflite", "bytes": Infinity}}}}}')
    catalog = Catalog.load(tmp_path)
    assert "x" not in catalog.models and "damaged" in catalog.problems[0]
