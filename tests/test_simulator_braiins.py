"""The simulator's Braiins OS family, spoken to over plain sockets and aiohttp (not the project's
client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.braiins import BraiinsMiner

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2
QUICK = aiohttp.ClientTimeout(total=3)
# Recorded replies and the REST route each answers.
RECORDED = {
    "miner_details": "miner/details",
    "miner_stats": "miner/stats",
    "miner_hw_hashboards": "miner/hw/hashboards",
    "cooling_state": "cooling/state",
    "performance_tuner_state": "performance/tuner-state",
    "miner_errors": "miner/errors",
    "pools": "pools",
    "network": "network",
    "version": "version",
    "actions_locate": "actions/locate",
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=QUICK)


def url(miner: SimulatedMiner, route: str) -> str:
    return f"http://{miner.host}:{miner.port}/api/v1/{route}"


async def login(miner: SimulatedMiner, username: str = "root", password: str = "") -> str:
    async with (
        session() as http,
        http.post(
            url(miner, "auth/login"), json={"username": username, "password": password}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body = await response.json()
    assert set(body) == {"token", "timeout_s"}
    assert isinstance(body["timeout_s"], int)
    token = body["token"]
    assert isinstance(token, str)
    return token


async def call(
    miner: SimulatedMiner, method: str, route: str, token: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        headers["Content-Type"] = "application/json"
    async with session() as http, http.request(method, url(miner, route), **kwargs) as response:
        text = await response.text()
        if response.content_type != "application/json":
            return response.status, text or None
        return response.status, json.loads(text)


async def command(miner: SimulatedMiner, name: str) -> Any:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": name}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.endswith(b"\x00")
    return json.loads(raw[:-1])


def shape(value: Any) -> Any:
    """Keys and JSON types; a list is the shape of its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


# --- shapes against the recorded replies ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_rest_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    real = json.loads((real_fixtures / "braiins" / "v25_07" / f"{name}.json").read_text())
    miner = await sim.start(MinerSpec(family="braiins", model="Antminer S19 XP"))
    token = await login(miner)
    code, reply = await call(miner, "GET", RECORDED[name], token)
    assert code == 200
    if name == "miner_errors":  # a healthy miner has none; compare the list only
        assert reply == {"errors": []}
        return
    expected = shape(real)
    if name == "miner_details":  # JSON null in the recording: serial and PSU serial unset
        assert reply["serial_number"] is None
    assert shape(reply) == expected


async def test_configuration_has_the_recorded_tuner_shape(
    sim: Simulator, real_fixtures: Path
) -> None:
    real = json.loads(
        (real_fixtures / "braiins" / "v25_07" / "configuration_miner.json").read_text()
    )
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    code, reply = await call(miner, "GET", "configuration/miner", await login(miner))
    assert code == 200
    assert shape(reply["tuner"]) == shape(real["tuner"]) | {"hashrate_target": "NoneType"}
    assert reply["tuner"]["power_target"] == {"watt": 3031}
    assert isinstance(reply["pool_groups"], list)


async def test_identity(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S21", hostname="bos-1"))
    async with session() as http, http.get(f"http://{miner.host}:{miner.port}/") as response:
        assert response.status == 200
        assert "Braiins OS" in await response.text()
    version = await command(miner, "version")
    assert "BOSER" in json.dumps(version).upper()
    assert version["VERSION"][0]["API"] == "3.7"
    assert version["STATUS"][0]["Msg"] == "BOSer versions"
    details = await command(miner, "devdetails")
    assert [board["Model"] for board in details["DEVDETAILS"]] == ["Bitmain Antminer S21"] * 3
    assert details["DEVDETAILS"][0]["Chips"] == 108
    code, rest = await call(miner, "GET", "miner/details", await login(miner))
    assert code == 200
    assert rest["miner_identity"]["miner_model"] == "Antminer S21"
    assert rest["mac_address"] == miner.mac.lower()
    assert rest["hostname"] == "bos-1"
    assert rest["bos_version"]["current"].endswith("-25.07-plus")


async def test_rpc_reads(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert summary["MHS 1m"] == pytest.approx(141_000_000, rel=0.05)
    temps = (await command(miner, "temps"))["TEMPS"]
    assert [temp["ID"] for temp in temps] == [1, 2, 3]
    assert all(temp["Chip"] > temp["Board"] for temp in temps)
    fans = (await command(miner, "fans"))["FANS"]
    assert len(fans) == 4
    assert all(fan["RPM"] > 0 for fan in fans)
    tuner = (await command(miner, "tunerstatus"))["TUNERSTATUS"][0]
    assert tuner["PowerLimit"] == 3031
    assert tuner["ApproximateMinerPowerConsumption"] == pytest.approx(3031, rel=0.05)
    assert len(tuner["TunerChainStatus"]) == 3
    pools = (await command(miner, "pools"))["POOLS"]
    assert pools[0]["Stratum Active"] is True
    assert (await command(miner, "restart"))["STATUS"][0]["Code"] == 14


# --- auth -------------------------------------------------------------------------------------


async def test_login_wrong_password_and_token_expiry(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    assert miner.credentials() == {"username": "root", "password": ""}
    async with (
        session() as http,
        http.post(
            url(miner, "auth/login"), json={"username": "root", "password": "nope"}
        ) as response,
    ):
        assert response.status == 401
    async with session() as http, http.get(url(miner, "miner/details")) as response:
        assert response.status == 401
    token = await login(miner)
    # the bare token works as well as "Bearer <token>"
    async with (
        session() as http,
        http.get(url(miner, "version"), headers={"Authorization": token}) as response,
    ):
        assert response.status == 200
    assert isinstance(miner, BraiinsMiner)
    miner.token_timeout = 0.05
    await asyncio.sleep(0.1)
    assert (await call(miner, "GET", "version", token))[0] == 401
    miner.token_timeout = 3600
    token = await login(miner)
    assert (await call(miner, "GET", "version", token))[0] == 200
    miner.expire_tokens()
    assert (await call(miner, "GET", "version", token))[0] == 401


async def test_custom_credentials(sim: Simulator) -> None:
    miner = await sim.start(
        MinerSpec(family="braiins", model="S21 Pro", username="admin", password="s3cret")
    )
    assert miner.credentials() == {"username": "admin", "password": "s3cret"}
    token = await login(miner, "admin", "s3cret")
    assert (await call(miner, "GET", "miner/stats", token))[0] == 200
    async with (
        session() as http,
        http.post(url(miner, "auth/login"), json={"username": "root", "password": ""}) as response,
    ):
        assert response.status == 401


async def test_before_25_07_there_is_no_rest(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", firmware="25.03"))
    async with (
        session() as http,
        http.post(url(miner, "auth/login"), json={"username": "root", "password": ""}) as response,
    ):
        assert response.status == 404
    assert "75912fc7" in (await command(miner, "version"))["VERSION"][0]["BOSer"]


# --- controls ---------------------------------------------------------------------------------


async def test_power_target_moves_power_and_hashrate(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    token = await login(miner)
    before = miner.state.hashrate
    code, reply = await call(miner, "PUT", "performance/power-target", token, {"watt": 2000})
    assert (code, reply) == (200, {"watt": 2000})
    assert miner.state.power == pytest.approx(2000, rel=0.03)
    assert miner.state.hashrate < before * 0.8
    tuner = (await command(miner, "tunerstatus"))["TUNERSTATUS"][0]
    assert tuner["PowerLimit"] == 2000
    _, state = await call(miner, "GET", "performance/tuner-state", token)
    assert state["mode_state"]["powertargetmodestate"]["current_target"] == {"watt": 2000}
    _, limits = await call(miner, "GET", "configuration/constraints", token)
    high = limits["tuner_constraints"]["power_target"]["max"]["watt"]
    code, _ = await call(miner, "PUT", "performance/power-target", token, {"watt": high + 1})
    assert code == 400
    code, _ = await call(miner, "PUT", "performance/power-target", token, {"watts": 2500})
    assert code == 422


async def test_pause_resume_locate_and_pools(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    token = await login(miner)
    assert await call(miner, "PUT", "actions/pause", token) == (200, False)
    assert miner.state.hashrate == 0
    _, details = await call(miner, "GET", "miner/details", token)
    assert details["status"] != 2
    assert await call(miner, "PUT", "actions/pause", token) == (200, True)
    assert await call(miner, "PUT", "actions/resume", token) == (200, False)
    assert miner.state.hashrate > 0
    assert (await command(miner, "pause"))["PAUSE"] == [True]
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 5s"] == 0
    assert (await command(miner, "resume"))["RESUME"] == [True]
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 5s"] > 0
    assert await call(miner, "PUT", "actions/locate", token, True) == (200, True)
    assert await call(miner, "GET", "actions/locate", token) == (200, True)
    assert miner.state.identify_active
    assert await call(miner, "PUT", "actions/locate", token, False) == (200, False)
    groups = [
        {
            "name": "Main",
            "pools": [
                {"url": "stratum+tcp://a.example:3333", "user": "w.1", "password": "x"},
                {"url": "stratum+tcp://b.example:3333", "user": "w.1"},
                {"url": "stratum+tcp://c.example:3333", "user": "w.1", "enabled": False},
            ],
        }
    ]
    code, stored = await call(miner, "PUT", "pools/batch", token, groups)
    assert code == 200
    assert stored[0]["pools"][0]["url"] == "stratum+tcp://a.example:3333"
    assert all(pool["uid"] for pool in stored[0]["pools"])
    _, pools = await call(miner, "GET", "pools", token)
    assert pools[0]["name"] == "Main"
    assert [pool["active"] for pool in pools[0]["pools"]] == [True, False, False]
    assert [pool["enabled"] for pool in pools[0]["pools"]] == [True, True, False]
    assert [pool.url for pool in miner.state.pools] == ["a.example", "b.example", "c.example"]
    rpc_pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["URL"] for pool in rpc_pools][1] == "stratum+tcp://b.example:3333"
    assert (await call(miner, "PUT", "pools/batch", token, [{"name": "x"}]))[0] == 422


async def test_reboot_goes_down_and_uptime_resets(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    miner.state.uptime = 5000.0
    token = await login(miner)
    assert await call(miner, "PUT", "actions/reboot", token) == (204, None)
    await miner.wait_until_down(2)
    await miner.wait_until_up(2)
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] < 5
    assert (await call(miner, "GET", "version", token))[0] == 401  # logins do not survive


# --- faults -----------------------------------------------------------------------------------


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    token = await login(miner)
    miner.set_fault(Fault.HTTP_500, path="/api/v1/miner/stats")
    assert (await call(miner, "GET", "miner/stats", token))[0] == 500
    assert (await call(miner, "GET", "miner/details", token))[0] == 200
    miner.clear_fault()
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    assert (await command(miner, "summary+temps"))["STATUS"][0]["Code"] == 14
    assert (await command(miner, "temps"))["TEMPS"]
    miner.clear_fault()
    joined = await command(miner, "summary+tunerstatus")
    assert joined["tunerstatus"][0]["TUNERSTATUS"][0]["PowerLimit"] == 3031
    miner.set_fault(Fault.TRUNCATED, path="devdetails")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"devdetails"}')
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw
    assert not raw.endswith(b"\x00")
    with pytest.raises(ValueError):
        json.loads(raw)


def test_fleets() -> None:
    models = {spec.model for spec in load_fleet("braiins")}
    assert models >= {"Antminer S19", "Antminer S19 XP", "Antminer S21", "Antminer S21 Pro"}
    assert any(spec.family == "braiins" for spec in load_fleet("demo"))
