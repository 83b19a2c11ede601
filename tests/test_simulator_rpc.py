"""The simulator's CGMiner-style RPC, spoken to over plain sockets (not the project's client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import json
import time
from typing import Any

import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.rpc import malformed, parse_request

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


@pytest.fixture
async def miner(sim: Simulator) -> SimulatedMiner:
    return await sim.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))


async def exchange(
    miner: SimulatedMiner, request: bytes, *, half_close: bool = True, timeout: float = 2
) -> bytes:
    """Write one request, read until the miner closes."""
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    try:
        writer.write(request)
        if half_close:
            writer.write_eof()
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


async def command(miner: SimulatedMiner, name: str, **extra: Any) -> dict[str, Any]:
    raw = await exchange(miner, json.dumps({"command": name, **extra}).encode())
    assert raw.endswith(b"\x00")
    reply = json.loads(raw[:-1])
    assert isinstance(reply, dict)
    return reply


def test_requests_are_parsed_once_complete() -> None:
    assert parse_request(b'{"command":"sum', complete=False) is None
    request = parse_request(b'{"command":"summary+pools"}', complete=False)
    assert request is not None
    assert request.commands == ["summary", "pools"]
    assert request.joined
    request = parse_request(b'{"command":"ascset","parameter":"0,led,1-1"}', complete=False)
    assert request is not None
    assert request.parameter == "0,led,1-1"
    request = parse_request(b'{"command":"stats","new_api":true}\x00', complete=True)
    assert request is not None
    assert request.payload["new_api"] is True
    broken = parse_request(b"{not json", complete=True)
    assert broken is not None
    assert broken.error == 23
    missing = parse_request(b'{"parameter":"x"}', complete=True)
    assert missing is not None
    assert missing.error == 24


async def test_answers_with_or_without_a_half_close(miner: SimulatedMiner) -> None:
    for half_close in (True, False):
        raw = await exchange(miner, b'{"command":"version"}', half_close=half_close)
        assert raw.endswith(b"\x00")
        assert raw.count(b"\x00") == 1
        reply = json.loads(raw[:-1])
        status = reply["STATUS"][0]
        assert list(status) == ["STATUS", "When", "Code", "Msg", "Description"]
        assert status["STATUS"] == "S"
        assert abs(status["When"] - time.time()) < 5
        assert reply["id"] == 1
    # A request written in pieces is answered once it is whole.
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"comm')
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b'and":"summary"}')
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert json.loads(raw[:-1])["STATUS"][0]["Msg"] == "Summary"


async def test_errors_are_cgminers(miner: SimulatedMiner) -> None:
    reply = await command(miner, "no-such-command")
    assert reply["STATUS"][0]["STATUS"] == "E"
    assert reply["STATUS"][0]["Code"] == 14
    assert reply["STATUS"][0]["Msg"] == "Invalid command"
    assert set(reply) == {"STATUS", "id"}
    reply = await command(miner, "restart")
    assert reply["STATUS"][0]["Code"] == 45
    assert reply["STATUS"][0]["Msg"] == "Access denied to 'restart' command"
    raw = await exchange(miner, b"this is not json")
    assert json.loads(raw[:-1])["STATUS"][0]["Code"] == 23


async def test_joined_commands(miner: SimulatedMiner) -> None:
    reply = await command(miner, "summary+pools+devs+bogus")
    assert set(reply) == {"summary", "pools", "devs", "bogus", "id"}
    assert reply["summary"][0]["STATUS"][0]["Code"] == 11
    assert reply["summary"][0]["SUMMARY"][0]["GHS 5s"] > 0
    assert len(reply["pools"][0]["POOLS"]) == 3
    assert reply["bogus"][0]["STATUS"][0]["Code"] == 14
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    reply = await command(miner, "summary+pools")
    assert reply["STATUS"][0]["STATUS"] == "E"
    assert reply["STATUS"][0]["Msg"] == "Invalid command"
    assert (await command(miner, "summary"))["STATUS"][0]["STATUS"] == "S"


def _loads(raw: bytes) -> Any:
    assert raw.endswith(b"\x00")
    return json.loads(raw[:-1].decode())


async def test_each_malformed_variant(miner: SimulatedMiner) -> None:
    expected: dict[Fault, Callable[[str], bool]] = {
        Fault.TRAILING_COMMA: lambda text: ",}" in text,
        Fault.STRAY_NEWLINE: lambda text: "\n" in text,
        Fault.MISSING_COMMA: lambda text: "}{" in text,
        Fault.LIST_LEADING_COMMA: lambda text: "[,{" in text,
        Fault.DOUBLED_QUOTE: lambda text: '""temp0"' in text,
        Fault.LEADING_COMMA: lambda text: text.startswith(","),
        Fault.CUT_MID_LIST: lambda text: not text.endswith("}"),
    }
    for fault, shows in expected.items():
        miner.set_fault(fault)
        for name in ("summary", "stats", "pools"):
            raw = await exchange(miner, json.dumps({"command": name}).encode())
            text = raw[:-1].decode()
            assert shows(text), (fault, name, text[:200])
            with pytest.raises(ValueError):
                _loads(raw)
        miner.clear_fault(fault)
    # Avalon's quoted "inf"/"nan": valid JSON, but strings where numbers belong.
    miner.set_fault(Fault.INF_NAN)
    reply = _loads(await exchange(miner, b'{"command":"summary"}'))
    values = list(reply["SUMMARY"][0].values())
    assert "inf" in values
    assert "nan" in values
    miner.clear_fault()
    assert _loads(await exchange(miner, b'{"command":"summary"}'))["SUMMARY"]


def test_malformed_helpers_keep_the_rest_intact() -> None:
    payload = {
        "STATUS": [{"STATUS": "S", "When": 1, "Code": 11, "Msg": "Summary", "Description": "x"}],
        "SUMMARY": [{"Elapsed": 5, "GHS 5s": 1.5}],
        "id": 1,
    }
    fixed = malformed(payload, Fault.TRAILING_COMMA)[:-1].decode().replace(",}", "}")
    assert json.loads(fixed) == payload
    fixed = malformed(payload, Fault.MISSING_COMMA)[:-1].decode().replace("}{", "},{")
    assert json.loads(fixed)["STATUS"][0] == json.loads(fixed)["STATUS"][1]
    fixed = malformed(payload, Fault.LIST_LEADING_COMMA)[:-1].decode().replace("[,{", "[{")
    assert json.loads(fixed) == payload
    fixed = malformed(payload, Fault.LEADING_COMMA)[:-1].decode()
    assert json.loads("{" + fixed[1:]) == payload
    fixed = malformed(payload, Fault.DOUBLED_QUOTE)[:-1].decode()
    assert json.loads(fixed.replace('""temp0', '","temp0'))["STATUS"][0]["temp0"] == 0
    fixed = malformed(payload, Fault.STRAY_NEWLINE)[:-1].decode().replace("\n", "")
    assert json.loads(fixed) == payload


async def test_backend_down_and_transport_faults(miner: SimulatedMiner) -> None:
    miner.set_fault(Fault.BACKEND_DOWN)
    assert await exchange(miner, b'{"command":"summary"}') == (
        b"Socket connect failed: Connection refused\n"
    )
    miner.clear_fault()
    miner.set_fault(Fault.TRUNCATED)
    raw = await exchange(miner, b'{"command":"stats"}')
    assert raw
    assert not raw.endswith(b"\x00")
    with pytest.raises(ValueError):
        json.loads(raw)
    miner.clear_fault()
    miner.set_fault(Fault.BAD_JSON)
    raw = await exchange(miner, b'{"command":"stats"}')
    with pytest.raises(ValueError):
        _loads(raw)
    miner.clear_fault()
    miner.set_fault(Fault.RESET)
    try:
        raw = await exchange(miner, b'{"command":"summary"}')
    except ConnectionError:
        raw = b""
    assert raw == b""
    miner.clear_fault()
    miner.set_fault(Fault.HANG)
    with pytest.raises(TimeoutError):
        await exchange(miner, b'{"command":"summary"}', timeout=0.3)
    miner.clear_fault()
    miner.set_fault(Fault.SLOW, delay=0.3)
    started = time.monotonic()
    assert (await command(miner, "summary"))["SUMMARY"]
    assert time.monotonic() - started >= 0.3


async def test_faults_per_command(miner: SimulatedMiner) -> None:
    miner.set_fault(Fault.TRAILING_COMMA, path="stats")
    assert (await command(miner, "summary"))["STATUS"][0]["STATUS"] == "S"
    raw = await exchange(miner, b'{"command":"stats"}')
    assert ",}" in raw.decode()
    raw = await exchange(miner, b'{"command":"summary+stats"}')
    assert ",}" in raw.decode()  # a joined request with that command is spoiled too


async def test_offline_refuses_and_reboot_closes_rpc(miner: SimulatedMiner) -> None:
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(miner.host, miner.ports["rpc"])
    miner.clear_fault()
    await miner.wait_until_up()
    assert (await command(miner, "version"))["VERSION"]
    miner.reboot()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(miner.host, miner.ports["rpc"])
    await miner.wait_until_up()
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] <= 1


async def test_a_hung_connection_does_not_outlive_the_simulator() -> None:
    before = asyncio.all_tasks()
    simulator = Simulator(reboot_seconds=5)
    miner = await simulator.start(MinerSpec(family="antminer", model="S9"))
    miner.set_fault(Fault.HANG)
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    await writer.drain()
    await asyncio.sleep(0.05)
    await simulator.stop()
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()
    assert asyncio.all_tasks() == before
