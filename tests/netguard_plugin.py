"""The test suite never reaches the network: pytest plugin (on for every run: `-p tests.netguard_plugin` in
pyproject.toml) around assistant.netguard.

- Any socket connect, sendto or DNS lookup beyond loopback raises NetworkBlocked and fails the test that
  made it, even when the code under test catches the error.
- Loopback use is allowed only in tests marked `local_server` (they serve a model download from a local
  HTTP server); anywhere else it is listed in the terminal summary.
- Subprocesses that run `assistant` (the CLI tests, the frozen app's self-test) get ASSISTANT_NETGUARD=1 and
  turn the same guard on themselves.
"""

from __future__ import annotations

import os

import pytest

from assistant import netguard

MARK = "local_server"
_current: dict[str, object] = {"item": None}
_blocked: dict[str, list[netguard.NetEvent]] = {}
_stray_loopback: dict[str, list[netguard.NetEvent]] = {}


def _on_event(event: netguard.NetEvent) -> None:
    item = _current["item"]
    nodeid = getattr(item, "nodeid", "(outside a test)")
    if event.kind == "blocked":
        _blocked.setdefault(nodeid, []).append(event)
    elif item is None or item.get_closest_marker(MARK) is None:  # type: ignore[attr-defined]
        _stray_loopback.setdefault(nodeid, []).append(event)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", f"{MARK}: may use loopback sockets (a local HTTP server for downloads)")
    os.environ[netguard.ENV] = "1"
    netguard.install(_on_event)


def pytest_unconfigure(config) -> None:
    netguard.uninstall()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current["item"] = item
    yield
    _current["item"] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that tried to leave the computer fails (its call, or its teardown for later attempts)."""
    outcome = yield
    report = outcome.get_result()
    if call.when not in ("call", "teardown"):
        return
    events = _blocked.get(item.nodeid, [])
    seen = getattr(item, "_netguard_reported", 0)
    item._netguard_reported = len(events)
    if len(events) > seen and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = "the network guard blocked connections that leave this computer:\n" + "\n".join(
            f"  {e.call}({e.target}) at {e.where}" for e in events[seen:])


def pytest_terminal_summary(terminalreporter) -> None:
    if _stray_loopback:
        terminalreporter.section("loopback use outside the local_server tests")
        for nodeid, events in _stray_loopback.items():
            targets = sorted({f"{e.call}({e.target})" for e in events})
            terminalreporter.line(f"{nodeid}: {', '.join(targets[:5])}")
    if _blocked:
        terminalreporter.section("network use blocked by the guard")
        for nodeid, events in _blocked.items():
            terminalreporter.line(f"{nodeid}: {', '.join(sorted({e.target for e in events})[:5])}")
