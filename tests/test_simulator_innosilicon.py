"""The simulator's Innosilicon family, spoken to over plain aiohttp and sockets (not the project's
client). No recorded real replies are shipped for Innosilicon; shapes follow pyasic's backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.innosilicon import InnosiliconMiner
from tests.simulator.families.innosilicon_models import INNOSILICON_MODEL_NAMES
from tests.simulator.fleet import load_fleet

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=QUICK)


async def login(
    miner: SimulatedMiner, password: str = "admin", username: str = "admin"
) -> dict[str, Any]:
    """POST /api/auth form-encoded, as pyasic does."""
    url = f"http://{miner.host}:{miner.port}/api/auth"
    async with (
        session() as http,
        http.post(url, data={"username": username, "password": password}) as reply,
    ):
        assert reply.status == 200
        body = json.loads(await reply.text())
        assert isinstance(body, dict)
        return body


async def token_of(miner: SimulatedMiner, password: str = "admin") -> str:
    reply = await login(miner, password)
    assert reply["success"] is True, reply
    token = reply["jwt"]
    assert isinstance(token, str)
    return token


async def api(
    miner: SimulatedMiner, command: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    url = f"http://{miner.host}:{miner.port}/api/{command}"
    headers = {"Authorization": f"Bearer {token}"}
    async with session() as http, http.post(url, headers=headers, json=body or {}) as reply:
        data = json.loads(await reply.text())
        assert isinstance(data, dict)
        return reply.status, data


async def command(miner: SimulatedMiner, name: str) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": name}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.endswith(b"\x00")
    reply = json.loads(raw[:-1])
    assert isinstance(reply, dict)
    return reply


async def test_identity(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon", model="T3H+"))
    assert set(miner.ports) == {"web", "rpc"}
    async with session() as http, http.get(f"http://{miner.host}:{miner.port}/") as reply:
        assert "<title>DragonMint</title>" in await reply.text()
    for name in ("version", "devdetails"):
        assert "INNOMINER" in json.dumps(await command(miner, name)).upper()
    version = await command(miner, "version")
    assert version["VERSION"][0]["Type"] == "T3H+"
    token = await token_of(miner)
    _, kind = await api(miner, "type", token)
    assert kind == {"success": True, "type": "T3H+"}
    _, overview = await api(miner, "overview", token)
    assert overview["version"]["ethaddr"].upper() == miner.mac
    _, everything = await api(miner, "getAll", token)
    assert everything["all"]["mac"].upper() == miner.mac
    assert miner.credentials() == {"username": "admin", "password": "admin"}


@pytest.mark.parametrize("name", INNOSILICON_MODEL_NAMES)
async def test_every_model_reads_in_honest_units(sim: Simulator, name: str) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon", model=name))
    assert isinstance(miner, InnosiliconMiner)
    token = await token_of(miner)
    _, reply = await api(miner, "getAll", token)
    everything = reply["all"]
    assert len(everything["chain"]) == miner.board.boards
    assert isinstance(everything["power"], int)
    assert isinstance(everything["fansSpeed"], int)
    assert everything["running_mode"] == {"mode": "normal", "level": 1}
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    mhs = summary["MHS 1m"]
    assert 0.95 * miner.board.nominal_mhs < mhs < 1.05 * miner.board.nominal_mhs
    if miner.board.sha256:  # T3 series: Bitcoin, H/s on the web
        terahash = everything["total_hash"]["Hash Rate H"] / 1e12
        assert 0.9 * mhs / 1e6 < terahash < 1.1 * mhs / 1e6
        assert "Hash Rate" not in everything["total_hash"]
    else:  # A10/A11: Ethash, MH/s on the web
        assert 0.9 * mhs < everything["total_hash"]["Hash Rate"] < 1.1 * mhs
    stats = (await command(miner, "stats"))["STATS"]
    assert [board["Chain ID"] for board in stats] == list(range(miner.board.boards))
    assert all(board["Num active chips"] == miner.board.chips_per_board for board in stats)
    for read in ("summary", "pools", "status", "getAutoFreq", "getErrorDetail"):
        status, body = await api(miner, read, token)
        assert status == 200, read
        assert body["success"] is True, (read, body)


async def test_auth_wrong_password_custom_credentials_and_expiry(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon", model="A10 Pro", password="hunter2"))
    assert isinstance(miner, InnosiliconMiner)
    refused = await login(miner, "admin")
    assert refused["success"] is False
    assert "jwt" not in refused
    assert refused["message"]
    status, body = await api(miner, "summary", "not-a-token")
    assert status == 401
    assert body["success"] is False
    token = await token_of(miner, "hunter2")
    assert (await api(miner, "type", token))[1]["type"] == "A10X"
    miner.token_lifetime = 0.05
    short = await token_of(miner, "hunter2")
    await asyncio.sleep(0.1)
    status, body = await api(miner, "summary", short)
    assert status == 401
    assert body == {"success": False, "token": "expired"}
    fresh = await token_of(miner, "hunter2")
    _, changed = await api(
        miner, "updatePassword", fresh, {"oldPassword": "hunter2", "newPassword": "s3cret"}
    )
    assert changed["success"] is True
    assert (await login(miner, "hunter2"))["success"] is False
    assert (await login(miner, "s3cret"))["success"] is True


async def test_pools_modes_poweroff_and_restart(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon", model="T3+ Pro"))
    token = await token_of(miner)
    pools = {
        "Pool1": "stratum+tcp://a.example:3333",
        "UserName1": "w.1",
        "Password1": "x",
        "Pool2": "stratum+tcp://b.example:3333",
        "UserName2": "w.2",
        "Password2": "x",
        "Pool3": "stratum+tcp://c.example:3333",
        "UserName3": "w.3",
        "Password3": "y",
    }
    assert (await api(miner, "updatePools", token, pools))[1] == {"success": True}
    _, listed = await api(miner, "pools", token)
    assert [pool["url"] for pool in listed["pools"]] == [
        "stratum+tcp://a.example:3333",
        "stratum+tcp://b.example:3333",
        "stratum+tcp://c.example:3333",
    ]
    assert (await command(miner, "pools"))["POOLS"][2]["User"] == "w.3"
    _, bad = await api(miner, "updatePools", token, {"Pool1": "nonsense"})
    assert bad["success"] is False
    normal = miner.state.expected_hashrate
    normal_power = miner.state.power
    assert (await api(miner, "setAutoFreq", token, {"mode": "low"}))[1]["success"] is True
    assert miner.state.expected_hashrate < normal
    assert miner.state.power < normal_power
    _, freq = await api(miner, "getAutoFreq", token)
    assert freq["autoFreq"] == {"mode": "low", "level": 0}
    assert (await api(miner, "setAutoFreq", token, {"mode": "high"}))[1]["success"] is True
    assert miner.state.expected_hashrate > normal
    assert (await api(miner, "setAutoFreq", token, {"mode": "turbo"}))[1]["success"] is False
    assert (await api(miner, "poweroff", token))[1]["success"] is True
    assert miner.state.hashrate == 0
    assert miner.state.paused
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 1m"] == 0
    assert (await api(miner, "restartCgMiner", token))[1]["success"] is True
    assert miner.state.hashrate > 0
    assert (await command(miner, "restart"))["STATUS"][0]["Code"] == 45


async def test_reboot_resets_uptime_and_tokens(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon", model="A11 Pro"))
    token = await token_of(miner)
    await asyncio.sleep(0.3)
    assert miner.state.uptime >= 0.3
    assert (await api(miner, "reboot", token))[1] == {"success": True}
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.uptime < 0.3
    assert miner.state.reboot_count == 1
    status, body = await api(miner, "summary", token)
    assert status == 401
    assert body["success"] is False


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="innosilicon"))
    token = await token_of(miner)
    miner.set_fault(Fault.HTTP_500, path="/api/getAll")
    url = f"http://{miner.host}:{miner.port}/api/getAll"
    async with (
        session() as http,
        http.post(url, headers={"Authorization": f"Bearer {token}"}) as reply,
    ):
        assert reply.status == 500
    miner.clear_fault()
    miner.set_fault(Fault.BACKEND_DOWN)
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.startswith(b"Socket connect failed")
    miner.clear_fault()
    assert (await command(miner, "summary"))["STATUS"][0]["STATUS"] == "S"


def test_fleet_presets() -> None:
    assert [spec.model for spec in load_fleet("innosilicon")] == list(INNOSILICON_MODEL_NAMES)
    assert any(spec.family == "innosilicon" for spec in load_fleet("demo"))
