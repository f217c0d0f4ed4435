"""No network, enforced: a guard that makes every socket connect and DNS lookup beyond this computer fail.

The app's promise is that nothing leaves the machine; only an explicit user action (downloading a speech
model) may open a connection. The test suite runs with this guard on (tests/netguard_plugin.py) and so
does `assistant --self-test`, frozen too. Loopback (127.0.0.0/8, ::1, "localhost") and local sockets
(AF_UNIX, netlink) are let through and recorded, so that the tests that serve a model download from a
local HTTP server are the only ones using it.

It patches Python's `socket` module, so it sees everything Python code does (urllib, http.client,
huggingface_hub, requests); native libraries that open their own sockets in C are not covered (none of
the app's does: LiteRT, CTranslate2, Vosk and OpenCV read local files).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlocked(OSError):
    """A connection or lookup beyond loopback was attempted while the guard was on."""


@dataclass(frozen=True)
class NetEvent:
    kind: str  # "blocked" or "loopback"
    call: str  # which socket function
    target: str
    where: str = ""  # the innermost frames outside this module, for the report


@dataclass
class _State:
    installed: bool = False
    originals: dict[str, Any] = field(default_factory=dict)
    listeners: list[Callable[[NetEvent], None]] = field(default_factory=list)


_state = _State()
_lock = threading.Lock()


def is_local_host(host: Any) -> bool:
    """True for loopback addresses and names (and the wildcard a lookup for a server socket uses)."""
    if host is None or host == "" or host == b"":
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _where() -> str:
    frames = [f for f in traceback.extract_stack()[:-3] if not f.filename.endswith(("netguard.py", "socket.py"))]
    return "; ".join(f"{f.filename}:{f.lineno} {f.name}" for f in frames[-3:])


def _emit(event: NetEvent) -> None:
    for listener in list(_state.listeners):
        listener(event)


def _check(call: str, host: Any, target: str) -> None:
    if is_local_host(host):
        _emit(NetEvent("loopback", call, target, _where()))
        return
    _emit(NetEvent("blocked", call, target, _where()))
    raise NetworkBlocked(f"network use blocked: {call}({target}) leaves this computer")


def _address_host(sock: socket.socket, address: Any) -> tuple[bool, Any]:
    """(checked, host) for a socket address; AF_UNIX and other local families are not checked."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and address:
        return True, address[0]
    return False, None


def _wrap_method(name: str) -> Callable[..., Any]:
    original = _state.originals[f"socket.{name}"]

    def guarded(self, address, *args, **kwargs):
        checked, host = _address_host(self, address)
        if checked:
            _check(name, host, repr(address))
        return original(self, address, *args, **kwargs)

    guarded.__name__ = name
    return guarded


def _wrap_sendto(original: Callable[..., Any]) -> Callable[..., Any]:
    def sendto(self, data, *args):
        address = args[-1] if args else None
        checked, host = _address_host(self, address)
        if checked:
            _check("sendto", host, repr(address))
        return original(self, data, *args)

    return sendto


def _wrap_lookup(name: str) -> Callable[..., Any]:
    original = _state.originals[name]

    def lookup(host, *args, **kwargs):
        _check(name, host, repr(host))
        return original(host, *args, **kwargs)

    lookup.__name__ = name
    return lookup


_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")
_METHODS = ("connect", "connect_ex")


def install(listener: Callable[[NetEvent], None] | None = None) -> None:
    """Turn the guard on for this process (idempotent); `listener` hears every event."""
    with _lock:
        if listener is not None and listener not in _state.listeners:
            _state.listeners.append(listener)
        if _state.installed:
            return
        for name in _METHODS + ("sendto",):
            _state.originals[f"socket.{name}"] = getattr(socket.socket, name)
        for name in _LOOKUPS:
            _state.originals[name] = getattr(socket, name)
        for name in _METHODS:
            setattr(socket.socket, name, _wrap_method(name))
        socket.socket.sendto = _wrap_sendto(_state.originals["socket.sendto"])  # type: ignore[method-assign]
        for name in _LOOKUPS:
            setattr(socket, name, _wrap_lookup(name))
        _state.installed = True


def uninstall() -> None:
    """Put the socket module back as it was and forget the listeners."""
    with _lock:
        if not _state.installed:
            return
        for key, original in _state.originals.items():
            if key.startswith("socket."):
                setattr(socket.socket, key.split(".", 1)[1], original)
            else:
                setattr(socket, key, original)
        _state.originals.clear()
        _state.listeners.clear()
        _state.installed = False


def remove_listener(listener: Callable[[NetEvent], None]) -> None:
    with _lock:
        if listener in _state.listeners:
            _state.listeners.remove(listener)


ENV = "ASSISTANT_NETGUARD"  # set to 1: `assistant` turns the guard on at start (the test suite's subprocesses)


def installed() -> bool:
    return _state.installed


class Recorder:
    """Collects the guard's events while it is on (the self-test reports them)."""

    def __init__(self) -> None:
        self.events: list[NetEvent] = []

    def __call__(self, event: NetEvent) -> None:
        self.events.append(event)

    @property
    def blocked(self) -> list[NetEvent]:
        return [e for e in self.events if e.kind == "blocked"]
