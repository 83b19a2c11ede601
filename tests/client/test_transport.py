"""Faults on the wire become the client's errors, and only those.

Decisions the tests pin down (see ``transport/http.py``): a truncated reply is a
``MinerProtocolError``; HTTP 500 is a ``MinerConnectionError`` when reading and a
``MinerCommandError`` carrying the firmware's message when writing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
import time
from typing import BinaryIO

import aiohttp
from aiohttp import web
import pytest

from custom_components.asic.client import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    MinerUnsupportedError,
    create_miner,
    split_host_port,
)
from custom_components.asic.client.families.axeos import AxeOSMiner
from custom_components.asic.client.miner import iter_file
from custom_components.asic.client.transport.http import (
    MAX_REPLY_BYTES,
    HttpTransport,
    decode_json,
    format_host,
)
from tests.simulator import Fault, SimulatedMiner

from .conftest import LOCALHOST, Handler, RequestLog, ServeFactory

INFO = "/api/system/info"


def axeos(miner: SimulatedMiner, session: aiohttp.ClientSession, timeout: float = 5) -> AxeOSMiner:
    client = create_miner("axeos", miner.host, session, port=miner.port, timeout=timeout)
    assert isinstance(client, AxeOSMiner)
    return client


# --- simulator faults -----------------------------------------------------------------------


async def test_offline_miner_is_a_connection_error_and_comes_back(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(gamma, session)
    gamma.set_fault(Fault.OFFLINE)
    with pytest.raises(MinerConnectionError, match=r"Cannot reach 127\.0\.0\.1"):
        await client.read()
    gamma.clear_fault()
    await gamma.wait_until_up()
    assert (await client.read()).mac == gamma.mac


async def test_reset_connection_is_a_connection_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.RESET)
    with pytest.raises(MinerConnectionError):
        await axeos(gamma, session).read()


async def test_hanging_miner_fails_within_the_timeout(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.HANG)
    started = time.monotonic()
    with pytest.raises(MinerConnectionError, match="in time"):
        await axeos(gamma, session, timeout=0.3).read()
    assert time.monotonic() - started < 1.5


async def test_slow_miner_below_the_timeout_is_read(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.SLOW, delay=0.2)
    started = time.monotonic()
    data = await axeos(gamma, session, timeout=2).read()
    assert data.mac == gamma.mac
    assert time.monotonic() - started >= 0.2


async def test_slow_miner_beyond_the_timeout_is_a_connection_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.SLOW, delay=2)
    with pytest.raises(MinerConnectionError):
        await axeos(gamma, session, timeout=0.3).read()


async def test_http_500_on_a_read_is_a_connection_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.HTTP_500)
    with pytest.raises(MinerConnectionError, match="HTTP 500"):
        await axeos(gamma, session).read()


async def test_http_500_on_a_write_is_a_command_error_with_the_message(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.HTTP_500, path="/api/system")
    with pytest.raises(MinerCommandError, match="Internal Server Error") as caught:
        await axeos(gamma, session).set_fan(auto=True)
    assert caught.value.code == 500


async def test_failing_asic_route_fails_the_first_read_then_is_retried(
    gamma: SimulatedMiner, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    client = axeos(gamma, session)
    gamma.set_fault(Fault.HTTP_500, path="/api/system/asic")
    with pytest.raises(MinerConnectionError):
        await client.read()
    gamma.clear_fault()
    request_log.clear()
    data = await client.read()
    assert request_log.count("/api/system/asic") == 1
    assert data.capabilities.frequency is not None
    assert data.capabilities.frequency.min == 400  # from the asic route, not the chip table


async def test_truncated_reply_is_a_protocol_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.TRUNCATED, path=INFO)
    with pytest.raises(MinerProtocolError, match="incomplete reply"):
        await axeos(gamma, session).read()


async def test_broken_json_is_a_protocol_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.set_fault(Fault.BAD_JSON, path=INFO)
    with pytest.raises(MinerProtocolError, match="not JSON"):
        await axeos(gamma, session).read()


# --- replies no simulated miner gives -------------------------------------------------------


def reply(body: bytes = b"", status: int = 200, content_type: str = "application/json") -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, status=status, content_type=content_type)

    return handler


async def transport(
    serve: ServeFactory, session: aiohttp.ClientSession, path: str, handler: Handler
) -> HttpTransport:
    port = await serve({path: handler})
    return HttpTransport(session, LOCALHOST, port, timeout=5)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>AxeOS</html>", "not JSON"),
        (b"", "empty reply"),
        (b"  \x00\x00", "empty reply"),
        (b"[" * 100_000, "not JSON"),  # nesting deeper than the parser's recursion limit
        (b"1" * 5000, "not JSON"),  # longer than Python's int-from-string limit
    ],
)
async def test_unreadable_bodies_are_protocol_errors(
    serve: ServeFactory, session: aiohttp.ClientSession, body: bytes, message: str
) -> None:
    http = await transport(serve, session, INFO, reply(body))
    with pytest.raises(MinerProtocolError, match=message):
        await http.get_json(INFO)


async def test_json_that_is_not_axeos_info_is_a_protocol_error(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    port = await serve({INFO: reply(b'{"hello": "world"}')})
    client = create_miner("axeos", LOCALHOST, session, port=port)
    with pytest.raises(MinerProtocolError, match="did not answer as an AxeOS miner"):
        await client.read()


async def test_oversize_reply_with_length_is_refused_unread(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    http = await transport(serve, session, INFO, reply(b" " * (MAX_REPLY_BYTES + 1)))
    with pytest.raises(MinerProtocolError, match="announces"):
        await http.get_json(INFO)


async def test_oversize_streamed_reply_is_cut_off(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b" " * 65536
        for _ in range(MAX_REPLY_BYTES // len(chunk) + 2):
            await response.write(chunk)
        await response.write_eof()
        return response

    http = await transport(serve, session, INFO, endless)
    with pytest.raises(MinerProtocolError, match="larger than"):
        await http.get_json(INFO)


@pytest.mark.parametrize(
    ("status", "body", "write", "error", "message"),
    [
        (401, b"Unauthorized", False, MinerAuthError, "local network"),
        (403, b"", True, MinerAuthError, "refused access"),
        (404, b'{"error":"unknown route"}', False, MinerUnsupportedError, "has no"),
        (405, b"Request method", True, MinerUnsupportedError, "HTTP 405"),
        (302, b"Redirect to the captive portal", True, MinerUnsupportedError, "too old"),
        (400, b"Wrong API input", True, MinerCommandError, "Wrong API input"),
        (400, b"", True, MinerCommandError, "HTTP 400"),
        (500, b"Not allowed in AP mode", True, MinerCommandError, "AP mode"),
        (500, b"", True, MinerConnectionError, "busy or restarting"),
        (503, b"busy", False, MinerConnectionError, "HTTP 503"),
    ],
)
def test_status_mapping(
    status: int, body: bytes, write: bool, error: type[Exception], message: str
) -> None:
    http = HttpTransport(None, LOCALHOST, 80, timeout=1)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        http.raise_for_status(status, "/api/system", body, write=write)
    http.raise_for_status(200, "/api/system", b"", write=write)
    http.raise_for_status(204, "/api/system", b"", write=write)


async def test_redirects_are_not_followed_for_api_calls(
    serve: ServeFactory, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    async def redirect(_request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/"}, text="Redirect")

    port = await serve({"/api/system/identify": redirect, "/": reply(b"<html>")})
    client = create_miner("axeos", LOCALHOST, session, port=port)
    with pytest.raises(MinerUnsupportedError):
        await client.identify()
    assert request_log.requests == [("POST", "/api/system/identify")]


@pytest.mark.parametrize(("host", "port"), [(LOCALHOST, 70000), ("", 80)])
def test_impossible_addresses_are_connection_errors(host: str, port: int) -> None:
    with pytest.raises(MinerConnectionError, match="not a network address"):
        create_miner("axeos", host, None, port=port)  # type: ignore[arg-type]


def test_url_authority() -> None:
    assert format_host("10.0.0.5", 80) == "10.0.0.5"
    assert format_host("10.0.0.5", None) == "10.0.0.5"
    assert format_host("10.0.0.5", 8080) == "10.0.0.5:8080"
    assert format_host("fe80::1", 8080) == "[fe80::1]:8080"
    assert format_host("[fe80::1]", 80) == "[fe80::1]"
    http = HttpTransport(None, "fe80::1", 81, timeout=1)  # type: ignore[arg-type]
    assert http.base_url == "http://[fe80::1]:81"


def test_decode_json_tolerates_padding() -> None:
    assert decode_json(b' {"a": 1}\n\x00\x00', "here") == {"a": 1}


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.5", ("10.0.0.5", None)),
        (" 10.0.0.5:8080 ", ("10.0.0.5", 8080)),
        ("bitaxe.local", ("bitaxe.local", None)),
        ("[fe80::1]", ("fe80::1", None)),
        ("[fe80::1]:81", ("fe80::1", 81)),
        ("fe80::1", ("fe80::1", None)),
        ("host:http", ("host:http", None)),
    ],
)
def test_split_host_port(address: str, expected: tuple[str, int | None]) -> None:
    assert split_host_port(address) == expected


async def test_upload_without_progress_callback(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    received: list[bytes] = []

    async def ota(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=500, text="Write Error")

    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    http = await transport(serve, session, "/api/system/OTA", ota)
    status, body = await http.upload("/api/system/OTA", chunks(), 4, None, timeout=5)
    assert (status, body, received) == (500, b"Write Error", [b"abcd"])


async def test_iter_file_closes_the_file_without_awaiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload cut short (the miner answered, the request was cancelled) closes the file.

    aiohttp cancels the body writer once the reply is in, and the file generator is then closed
    from a cancelled task or by the garbage collector; with a close that had to be awaited the
    file stayed open until collected (ResourceWarning). So closing the generator must finish at
    once.
    """
    firmware = tmp_path / "esp-miner.bin"
    firmware.write_bytes(b"abcdefgh")
    opened: list[BinaryIO] = []
    real_open = Path.open

    def spy_open(path: Path, mode: str = "r") -> BinaryIO:
        handle: BinaryIO = real_open(path, mode)  # type: ignore[assignment]
        opened.append(handle)
        return handle

    monkeypatch.setattr(Path, "open", spy_open)
    chunks = iter_file(firmware, chunk_size=4)
    assert await anext(chunks) == b"abcd"

    closing = chunks.aclose().__await__()
    with pytest.raises(StopIteration):
        closing.send(None)  # done in one step: nothing left for the event loop to run
    assert [handle.closed for handle in opened] == [True]
