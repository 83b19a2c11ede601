"""Helpers for tests that scan loopback networks: the connect allow-list and a socket count.

The Home Assistant test plugin lets sockets connect to 127.0.0.1 only; a scan of a loopback
network needs every address of it. ``SocketCounter`` counts the sockets that connect out (at
``socket.socket.connect``, below asyncio and aiohttp) and are not closed yet.
"""

from __future__ import annotations

from collections.abc import Callable
import ipaddress
import os
import socket
from typing import Any

import pytest
import pytest_socket  # type: ignore[import-untyped]


def require_root() -> None:
    """Miners on 127.0.0.N with their real ports (80, 4028) need root; skip otherwise."""
    if os.geteuid() != 0:
        pytest.skip("needs root: simulated miners bind their real ports (80, 4028) on 127.0.0.N")


def allow_loopback(network: str) -> None:
    """Let this test connect to every address of a loopback network (and nothing else)."""
    parsed = ipaddress.ip_network(network)
    assert parsed.is_loopback, network
    pytest_socket.socket_allow_hosts([str(address) for address in parsed], allow_unix_socket=True)


class SocketCounter:
    """Counts outgoing sockets: open now, and the most open at once."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self.peak = 0
        self.connects = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        connect: Callable[..., Any] = socket.socket.connect
        close: Callable[[socket.socket], None] = socket.socket.close

        def counting_connect(sock: socket.socket, *args: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and id(sock) not in self.open:
                self.open.add(id(sock))
                self.connects += 1
                self.peak = max(self.peak, len(self.open))
            return connect(sock, *args)

        def counting_close(sock: socket.socket) -> None:
            self.open.discard(id(sock))
            close(sock)

        monkeypatch.setattr(socket.socket, "connect", counting_connect)
        monkeypatch.setattr(socket.socket, "close", counting_close)
