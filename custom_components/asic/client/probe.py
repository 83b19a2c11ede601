"""What an identification knows about a host, handed to each family's confirmation.

A family module that can recognise its firmware provides ``confirm(probe)`` (and, where its web
root page has a signature, a page test); ``identify.py`` lists them in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .miner import Credentials
from .models import Identity
from .transport.http import HttpTransport


@dataclass(frozen=True, slots=True)
class WebPage:
    """What a host's web server says at ``/``."""

    status: int
    body: str
    realm: str | None


@dataclass(slots=True)
class Probe:
    """What one identification knows and may ask: the host, its ports, the login to try."""

    session: aiohttp.ClientSession
    http: HttpTransport
    host: str
    port: int
    rpc_port: int
    credentials: Credentials
    timeout: float
    page: WebPage
    rpc_version: asyncio.Task[dict[str, Any] | None]
    web_down: bool = False


type Confirm = Callable[[Probe], Awaitable[Identity | None]]
