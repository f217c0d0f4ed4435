"""The network guard: a planted test that opens a connection fails (even when it catches the error), a DNS
lookup fails, loopback outside the local_server tests is reported, and `assistant` subprocesses guard
themselves (the one user action that downloads says so in a sentence)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from assistant import netguard
from tests.conftest import REPO

PLANTED = '''
import socket, urllib.request

def test_planted_connection():
    try:
        with socket.socket() as sock:
            sock.settimeout(1)
            sock.connect(("203.0.113.7", 80))  # TEST-NET-3: never routable
    except OSError:
        pass  # the code under test swallows it; the guard still fails the test

def test_planted_dns_lookup():
    socket.getaddrinfo("example.com", 443)

def test_planted_urllib():
    urllib.request.urlopen("https://example.com/", timeout=1)

def test_offline_work_passes():
    assert sum(range(4)) == 6
'''

LOOPBACK = '''
import http.server, threading, urllib.request, pytest

def _serve():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd

def test_unmarked_loopback():
    httpd = _serve()
    urllib.request.urlopen(f"http://127.0.0.1:{httpd.server_port}/", timeout=5).read()
    httpd.shutdown()

@pytest.mark.local_server
def test_marked_loopback():
    httpd = _serve()
    urllib.request.urlopen(f"http://127.0.0.1:{httpd.server_port}/", timeout=5).read()
    httpd.shutdown()
'''


def _run(pytester, monkeypatch, source: str):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_planted=source)
    return pytester.runpytest_subprocess("-p", "tests.netguard_plugin", "-p", "no:cacheprovider", "-rA")


def test_a_planted_connection_fails_its_test(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, PLANTED)
    result.assert_outcomes(failed=3, passed=1)
    out = result.stdout.str()
    assert "the network guard blocked connections" in out
    assert "connect(('203.0.113.7', 80))" in out and "getaddrinfo('example.com')" in out
    assert "network use blocked by the guard" in out


def test_loopback_outside_the_marked_tests_is_reported(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, LOOPBACK)
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    section = out.split("loopback use outside the local_server tests", 1)[1].split("\n=", 1)[0]
    assert "test_unmarked_loopback" in section and "test_marked_loopback" not in section


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "LOCALHOST", None, "",
                                  "0.0.0.0", b"localhost"])
def test_local_hosts(host):
    assert netguard.is_local_host(host)


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "10.0.0.1", "192.168.1.1", "2001:db8::1",
                                  "localhost.example.com", "127.0.0.1.nip.io"])
def test_hosts_beyond_this_computer(host):
    assert not netguard.is_local_host(host)  # private networks too: the promise is "this computer"


def test_the_guard_is_on_in_this_suite():
    assert netguard.installed() and os.environ.get(netguard.ENV) == "1"
    assert socket.socket.connect.__name__ == "connect" and socket.getaddrinfo.__name__ == "getaddrinfo"
    assert socket.getaddrinfo is not netguard._state.originals["getaddrinfo"]


def test_an_assistant_subprocess_guards_itself_and_the_download_says_so(tmp_path):
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "assistant", "speech", "download"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode != 0
    assert "network use blocked" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not any((tmp_path / "data").rglob("*.zip*")) if (tmp_path / "data").exists() else True
