"""The RPC transport against the simulated Antminer's port 4028 and against odd raw servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import json

import pytest

from custom_components.asic.client import (
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
)
from custom_components.asic.client.transport.rpc import RpcTransport, check_status
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.antminer import AntminerMiner as SimulatedAntminer
from tests.simulator.faults import MALFORMED_JSON_FAULTS

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def s19(simulator: Simulator) -> SimulatedAntminer:
    miner = await simulator.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))
    assert isinstance(miner, SimulatedAntminer)
    return miner


def rpc_of(miner: SimulatedMiner, timeout: float = 5) -> RpcTransport:
    return RpcTransport(miner.host, miner.ports["rpc"], timeout=timeout)


type Answer = Callable[[bytes], bytes | None]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Answer], Awaitable[int]]]:
    """A TCP server on 127.0.0.1 whose reply to a request is ``answer(request)``."""
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.read(4096)
            reply = answer(request)
            if reply is None:
                await asyncio.sleep(30)
            else:
                writer.write(reply)
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_one_command(s19: SimulatedMiner) -> None:
    rpc = rpc_of(s19)
    reply = await rpc.command("version")
    assert reply["VERSION"][0]["Type"] == "Antminer S19 Pro"
    assert rpc.requests == 1
    assert repr(rpc) == f"RpcTransport(127.0.0.1:{s19.ports['rpc']})"


async def test_joined_commands_in_one_request(s19: SimulatedMiner) -> None:
    rpc = rpc_of(s19)
    replies = await rpc.commands("summary", "pools", "stats", new_api=True)
    assert set(replies) == {"summary", "pools", "stats"}
    assert replies["summary"]["SUMMARY"][0]["Elapsed"] >= 0
    assert len(replies["pools"]["POOLS"]) == 3
    assert "chain" in replies["stats"]["STATS"][0]
    assert rpc.requests == 1
    assert rpc.joined_commands is True


async def test_joined_commands_fall_back_once_and_remember(s19: SimulatedMiner) -> None:
    s19.set_fault(Fault.MULTI_COMMAND_REJECTED)
    rpc = rpc_of(s19)
    first = await rpc.commands("summary", "pools")
    assert rpc.requests == 3  # the refused joined request, then one per command
    assert rpc.joined_commands is False
    second = await rpc.commands("summary", "pools")
    assert rpc.requests == 5  # never joined again
    assert first["pools"]["POOLS"] == second["pools"]["POOLS"]
    # a single command never tries a join
    await rpc.commands("summary")
    assert rpc.requests == 6


async def test_privileged_command_is_a_refusal_with_its_code(s19: SimulatedMiner) -> None:
    with pytest.raises(MinerCommandError, match="Access denied to 'restart'") as caught:
        await rpc_of(s19).command("restart")
    assert caught.value.code == 45


async def test_unknown_command(s19: SimulatedMiner) -> None:
    with pytest.raises(MinerCommandError, match="Invalid command") as caught:
        await rpc_of(s19).command("nonsense", parameter="0,1")
    assert caught.value.code == 14


async def test_inner_status_of_a_joined_reply_is_checked(s19: SimulatedMiner) -> None:
    with pytest.raises(MinerCommandError, match="'restart'"):
        await rpc_of(s19).commands("summary", "restart")


@pytest.mark.parametrize("fault", [*MALFORMED_JSON_FAULTS, Fault.BAD_JSON])
async def test_malformed_replies_are_repaired(s19: SimulatedAntminer, fault: Fault) -> None:
    s19.set_fault(fault)
    reply = await rpc_of(s19).command("pools")
    truth = s19.miner_conf()["pools"]
    pools = reply["POOLS"]
    assert pools, "at least the first pool arrives whole"
    for pool, stored in zip(pools, truth, strict=False):
        assert pool["URL"] == stored["url"]
        assert pool["User"] == stored["user"]
    if fault not in (Fault.CUT_MID_LIST, Fault.BAD_JSON):
        assert len(pools) == 3
    assert reply["STATUS"][0]["STATUS"] == "S"


async def test_inf_nan_become_strings_the_parsers_treat_as_unknown(s19: SimulatedMiner) -> None:
    s19.set_fault(Fault.INF_NAN)
    reply = await rpc_of(s19).command("summary")
    assert {"inf", "nan"} <= set(reply["SUMMARY"][0].values())


async def test_backend_down(s19: SimulatedMiner) -> None:
    s19.set_fault(Fault.BACKEND_DOWN)
    with pytest.raises(MinerConnectionError, match="mining service is not running"):
        await rpc_of(s19).command("summary")


async def test_truncated_without_the_nul_is_refused(s19: SimulatedMiner) -> None:
    s19.set_fault(Fault.TRUNCATED)
    with pytest.raises(MinerProtocolError, match="stops half way"):
        await rpc_of(s19).command("pools")


@pytest.mark.parametrize("fault", [Fault.OFFLINE, Fault.RESET])
async def test_unreachable(s19: SimulatedMiner, fault: Fault) -> None:
    s19.set_fault(fault)
    with pytest.raises(MinerConnectionError):
        await rpc_of(s19).command("summary")


async def test_hang_times_out(s19: SimulatedMiner) -> None:
    s19.set_fault(Fault.HANG)
    with pytest.raises(MinerConnectionError, match="in time"):
        await rpc_of(s19, timeout=0.3).command("summary")


async def test_size_cap(raw_server: Callable[[Answer], Awaitable[int]]) -> None:
    port = await raw_server(lambda _request: b'{"a":"' + b"x" * 5000 + b'"}')
    rpc = RpcTransport("127.0.0.1", port, timeout=5, max_bytes=1000)
    with pytest.raises(MinerProtocolError, match="larger than 1000"):
        await rpc.command("summary")


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        (b"", MinerConnectionError, "without an answer"),
        (b"[1,2]\x00", MinerProtocolError, "other than a JSON object"),
        (b"hello", MinerProtocolError, "not JSON"),
        (
            b'{"STATUS":[{"STATUS":"F","Code":99,"Msg":"fatal thing"}]}',
            MinerCommandError,
            "fatal thing",
        ),
        (b'{"STATUS":{"STATUS":"E","Msg":"as an object"}}', MinerCommandError, "as an object"),
        (b'{"STATUS":[{"STATUS":"E"}]}', MinerCommandError, ": E"),
    ],
)
async def test_odd_replies(
    raw_server: Callable[[Answer], Awaitable[int]],
    reply: bytes,
    error: type[Exception],
    match: str,
) -> None:
    port = await raw_server(lambda _request: reply)
    with pytest.raises(error, match=match):
        await RpcTransport("127.0.0.1", port, timeout=5).command("summary")


async def test_request_is_one_json_object(raw_server: Callable[[Answer], Awaitable[int]]) -> None:
    seen: list[bytes] = []

    def answer(request: bytes) -> bytes:
        seen.append(request)
        return b'{"STATUS":[{"STATUS":"I","Msg":"ok"}],"LED":[{"on":true}]}\x00'

    port = await raw_server(answer)
    reply = await RpcTransport("127.0.0.1", port, timeout=5).command(
        "ascset", parameter="0,led,1-1"
    )
    assert reply["LED"] == [{"on": True}]
    assert json.loads(seen[0]) == {"command": "ascset", "parameter": "0,led,1-1"}


async def test_joined_reply_without_sections(
    raw_server: Callable[[Answer], Awaitable[int]],
) -> None:
    port = await raw_server(lambda _request: b'{"STATUS":[{"STATUS":"S"}],"id":1}')
    with pytest.raises(MinerProtocolError, match="without the replies"):
        await RpcTransport("127.0.0.1", port, timeout=5).commands("summary", "pools")


async def test_joined_reply_with_an_unreadable_section(
    raw_server: Callable[[Answer], Awaitable[int]],
) -> None:
    port = await raw_server(lambda _request: b'{"summary":[1],"pools":[],"id":1}')
    with pytest.raises(MinerProtocolError, match="no readable reply"):
        await RpcTransport("127.0.0.1", port, timeout=5).commands("summary", "pools")


def test_status_checks() -> None:
    check_status({"id": 1}, "x", "h")  # no STATUS: data only
    check_status({"STATUS": [{"STATUS": "W", "Msg": "warning"}]}, "x", "h")
    check_status({"STATUS": "RESTART"}, "restart", "h")  # Avalon: a bare word, no entry
