"""identify(): who answers at a host, or a clear error saying why nobody we know does."""

from __future__ import annotations

import time

import aiohttp
from aiohttp import web
import pytest

from custom_components.asic.client import (
    Family,
    Identity,
    MinerConnectionError,
    MinerUnsupportedError,
    connect,
    identify,
)
from custom_components.asic.client.identify import _realm
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .conftest import LOCALHOST, RequestLog, ServeFactory


async def test_simulated_bitaxe_is_identified(
    gamma: SimulatedMiner, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    found = await identify(gamma.host, session, port=gamma.port)
    assert found == Identity(
        host=gamma.host,
        family=Family.AXEOS,
        model="Bitaxe Gamma",
        firmware_version="v2.14.2",
        mac=gamma.mac,
        api_flavour="rest",
        port=gamma.port,
    )
    assert request_log.requests == [("GET", "/"), ("GET", "/api/system/info")]


async def test_legacy_bitaxe_is_identified(
    legacy_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    found = await identify(legacy_gamma.host, session, port=legacy_gamma.port)
    assert (found.family, found.model, found.firmware_version, found.mac) == (
        Family.AXEOS,
        "Bitaxe Gamma",
        "v2.4.5",
        legacy_gamma.mac,
    )


async def test_fork_that_names_its_board(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    nerd = await simulator.start(MinerSpec(family="axeos", model="NerdQAxe++"))
    found = await identify(nerd.host, session, port=nerd.port)
    assert found.model == "NerdQAxe++"


async def test_bitaxe_with_a_custom_web_page_is_found_by_its_api(
    serve: ServeFactory, session: aiohttp.ClientSession, gamma: SimulatedMiner
) -> None:
    """A root page without the AxeOS title still gets the API probe."""
    async with session.get(f"http://{gamma.host}:{gamma.port}/api/system/info") as response:
        info = await response.json()

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<html>my miner</html>", content_type="text/html")

    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response(info)

    port = await serve({"/": page, "/api/system/info": system_info})
    found = await identify(LOCALHOST, session, port=port)
    assert (found.family, found.mac) == (Family.AXEOS, gamma.mac)


async def test_plain_web_server_is_unsupported(
    plain_web_server: int, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(MinerUnsupportedError, match="not a miner this integration knows"):
        await identify(LOCALHOST, session, port=plain_web_server)


@pytest.mark.parametrize(
    ("root", "info"),
    [
        # Says AxeOS but its API answers something else.
        ("<title>AxeOS</title>", web.json_response({"hello": "world"})),
        ("<title>AxeOS</title>", web.Response(text="<html>", content_type="text/html")),
        ("<title>AxeOS</title>", web.Response(status=404)),
        # A truncated or oversize API reply is not a miner we can use either.
        ("", web.Response(body=b"[" * 10, content_type="application/json")),
    ],
)
async def test_look_alikes_are_unsupported(
    serve: ServeFactory,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    root: str,
    info: web.Response,
) -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=root, content_type="text/html")

    async def system_info(_request: web.Request) -> web.Response:
        return web.Response(
            status=info.status, body=info.body, content_type=info.content_type or None
        )

    port = await serve({"/": page, "/api/system/info": system_info})
    with pytest.raises(MinerUnsupportedError):
        await identify(LOCALHOST, session, port=port)
    assert request_log.count("/api/system/info") == 1  # each probe runs once


async def test_unreadable_root_page_still_probes_the_api(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.TRUNCATED, path="/")
    found = await identify(gamma.host, session, port=gamma.port)
    assert found.mac == gamma.mac


async def test_closed_port_is_a_connection_error(
    closed_port: int, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(MinerConnectionError):
        await identify(LOCALHOST, session, port=closed_port)


async def test_silent_host_is_a_connection_error_within_the_timeout(
    silent_port: int, session: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    with pytest.raises(MinerConnectionError):
        await identify(LOCALHOST, session, port=silent_port, timeout=0.3)
    assert time.monotonic() - started < 1.5


async def test_hanging_api_counts_against_one_overall_timeout(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.SLOW, delay=0.3, path="/")
    gamma.set_fault(Fault.HANG, path="/api/system/info")
    started = time.monotonic()
    with pytest.raises(MinerConnectionError, match=r"did not answer within 0\.5 s"):
        await identify(gamma.host, session, port=gamma.port, timeout=0.5)
    # Each request alone stays under 0.5 s; together they do not get 0.5 s each.
    assert time.monotonic() - started < 0.75


def test_realm_of_an_auth_challenge() -> None:
    assert _realm('Digest realm="antMiner Configuration", nonce="1"') == "antMiner Configuration"
    assert _realm("Basic") is None
    assert _realm(None) is None


@pytest.mark.parametrize(
    "model", ["Bitaxe GT", "Bitaxe Gamma Duo", "Bitaxe Supra Hex", "Bitaxe Max", "Bitaxe Hex"]
)
async def test_every_bitaxe_reads_under_its_own_name(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    board = await simulator.start(MinerSpec(family="axeos", model=model))
    client = await connect(board.host, session, port=board.port)
    data = await client.read()
    assert data.model == model
    assert data.boards[0].chips == board.state.asic_count
