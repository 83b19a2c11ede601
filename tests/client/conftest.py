"""Fixtures of the client tests: simulated Bitaxes, a counting client session, odd servers.

Everything listens on 127.0.0.1 in the test's own event loop. Requests are counted on the
client side (an aiohttp ``TraceConfig``), so the simulator needs no instrumentation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import socket
from types import SimpleNamespace

import aiohttp
from aiohttp import web
import pytest

from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.state import MinerState

LOCALHOST = "127.0.0.1"
GAMMA_MAC = "24:58:7C:A1:B2:C3"


@pytest.fixture(autouse=True)
def allow_loopback_sockets(socket_enabled: None) -> None:
    """The Home Assistant test plugin blocks sockets; these tests need loopback ones.

    Connections stay limited to 127.0.0.1 by the plugin's host allow-list.
    """


@dataclass(slots=True)
class RequestLog:
    """(method, path) of every request a client session started, in order."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def count(self, path: str | None = None) -> int:
        return sum(1 for _, seen in self.requests if path is None or seen == path)

    def clear(self) -> None:
        self.requests.clear()


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
async def session(request_log: RequestLog) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session of its own, which records every request it sends."""

    async def on_request_start(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        request_log.requests.append((params.method, params.url.path))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as client_session:
        yield client_session


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as sim:
        yield sim


@pytest.fixture
async def gamma(simulator: Simulator) -> SimulatedMiner:
    """A Bitaxe Gamma on newer firmware (2.14 replies, ``/api/system/asic``, pause/resume)."""
    return await simulator.start(
        MinerSpec(family="axeos", model="Bitaxe Gamma", mac=GAMMA_MAC, hostname="gamma")
    )


@pytest.fixture
async def legacy_gamma(simulator: Simulator) -> SimulatedMiner:
    """The same board on 2.4-era firmware: difficulty strings, no asic route, no pause."""
    return await simulator.start(
        MinerSpec(family="axeos", model="Bitaxe Gamma", hostname="old-gamma", legacy=True)
    )


@pytest.fixture(params=["newer", "legacy"])
async def any_gamma(request: pytest.FixtureRequest, simulator: Simulator) -> SimulatedMiner:
    """Each firmware generation in turn."""
    return await simulator.start(
        MinerSpec(family="axeos", model="Bitaxe Gamma", legacy=request.param == "legacy")
    )


def served_state(miner: SimulatedMiner) -> MinerState:
    """The state as the miner last served it.

    ``miner.state`` advances the physics (new noise) on every look, so it no longer equals
    what the last reply carried; the simulator keeps the served values in ``_state``.
    """
    return miner._state


# --- servers that are not miners ------------------------------------------------------------

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type ServeFactory = Callable[[dict[str, Handler]], Awaitable[int]]


@pytest.fixture
async def serve() -> AsyncIterator[ServeFactory]:
    """Start a small web server with the given path → handler routes; returns its port."""
    runners: list[web.AppRunner] = []

    async def start(routes: dict[str, Handler]) -> int:
        app = web.Application()
        for path, handler in routes.items():
            app.router.add_route("*", path, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, LOCALHOST, 0)
        await site.start()
        runners.append(runner)
        server = site._server
        assert isinstance(server, asyncio.Server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def plain_web_server(serve: ServeFactory) -> int:
    """A web server that is no miner: a home page, 404 elsewhere."""

    async def home(_request: web.Request) -> web.Response:
        return web.Response(
            text="<html><title>Printer</title>Hello</html>", content_type="text/html"
        )

    return await serve({"/": home})


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A host that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, LOCALHOST, 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.fixture
def closed_port() -> int:
    """A port on which nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCALHOST, 0))
        port: int = probe.getsockname()[1]
    return port
