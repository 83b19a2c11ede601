"""The simulator's LuxOS family, spoken to over plain sockets (not the project's client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.luxos import LuxOSMiner
from tests.simulator.families.luxos_models import find_luxos_model

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2
RECORDED = (
    "version",
    "summary",
    "pools",
    "devs",
    "stats",
    "config",
    "fans",
    "temps",
    "power",
    "profiles",
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


async def command(miner: SimulatedMiner, name: str, parameter: str | None = None) -> Any:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    body: dict[str, Any] = {"command": name}
    if parameter is not None:
        body["parameter"] = parameter
    writer.write(json.dumps(body).encode())
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


def status(reply: dict[str, Any]) -> dict[str, Any]:
    entry = reply["STATUS"][0]
    assert isinstance(entry, dict)
    return entry


async def logon(miner: SimulatedMiner) -> str:
    reply = await command(miner, "logon")
    assert status(reply)["Code"] == 316
    session = reply["SESSION"][0]["SessionID"]
    assert isinstance(session, str)
    return session


# --- identity and shapes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORDED)
async def test_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    real = json.loads((real_fixtures / "luxminer" / "v1" / f"{name}.json").read_text())
    miner = await sim.start(MinerSpec(family="luxos", model="Antminer S19k Pro"))
    reply = await command(miner, name)
    assert shape(reply) == shape(real)
    assert status(reply)["Code"] == status(real)["Code"]
    assert status(reply)["Msg"].split()[-1] == status(real)["Msg"].split()[-1]
    assert status(reply)["Description"].startswith("LUXminer 2025.")


@pytest.mark.parametrize("name", ["healthchipget", "voltageget"])
async def test_per_board_replies_have_the_real_shapes(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    real = json.loads((real_fixtures / "luxminer" / "v1" / f"{name}_1.json").read_text())
    miner = await sim.start(MinerSpec(family="luxos", model="S19k Pro"))
    reply = await command(miner, name, "1")
    assert shape(reply) == shape(real)
    section = "CHIPS" if name == "healthchipget" else "VOLTAGE"
    assert len(reply[section]) == len(real[section])
    assert status(await command(miner, name, "7"))["STATUS"] == "E"


async def test_identity(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos", model="S21", hostname="rack-7"))
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["Type"] == "Antminer S21"
    assert version["LUXminer"] == "2025.4.8.220305-57b389c7"
    assert version["API"] == "3.7"
    assert "LUXMINER" in json.dumps(await command(miner, "devdetails")).upper()
    config = (await command(miner, "config"))["CONFIG"][0]
    assert config["MACAddr"] == miner.mac.lower()
    assert config["Hostname"] == "rack-7"
    assert config["Model"] == "Antminer S21"
    assert len(config["SerialNumber"]) == 17
    assert miner.credentials() is None
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(f"http://{miner.host}:{miner.port}/") as response,
    ):
        assert response.status == 200
        assert "Luxor Firmware" in await response.text()


async def test_groups_name_the_group_every_pool_is_in(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    reply = await command(miner, "groups")
    assert status(reply)["STATUS"] == "S"
    assert reply["GROUPS"] == [{"GROUP": 0, "Name": "Default", "Quota": 1, "Strategy": "Failover"}]
    pools = (await command(miner, "pools"))["POOLS"]
    assert {pool["GROUP"] for pool in pools} == {0}
    # The multi-command clients send for the pool configuration answers every part.
    both = await command(miner, "pools+groups")
    assert both["groups"][0]["GROUPS"][0]["GROUP"] == 0
    assert len(both["pools"][0]["POOLS"]) == len(pools)


def test_profiles_follow_the_recorded_table() -> None:
    profiles = {profile.name: profile for profile in find_luxos_model("S19k Pro").profiles()}
    assert len(profiles) == 25
    assert profiles["default"].watts == 2794
    assert profiles["default"].hashrate == 121.8
    assert profiles["190MHz"].voltage == 11.88
    assert profiles["190MHz"].hashrate == 39.2
    assert profiles["340MHz"].voltage == 12.0
    assert abs(profiles["190MHz"].watts - 784) < 40  # recorded: 784 W
    assert abs(profiles["790MHz"].watts - 4195) < 250  # recorded: 4195 W


# --- sessions --------------------------------------------------------------------------------


async def test_one_session_at_a_time_and_its_expiry(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    assert (await command(miner, "session"))["SESSION"][0]["SessionID"] == ""
    session = await logon(miner)
    busy = await command(miner, "logon")
    assert status(busy)["STATUS"] == "E"
    assert status(busy)["Code"] == 402
    assert status(busy)["Msg"] == "Another session is active"
    assert (await command(miner, "session"))["SESSION"][0]["SessionID"] == session
    wrong = await command(miner, "curtail", "nosuchid,sleep")
    assert status(wrong)["STATUS"] == "E"
    assert not miner.state.paused
    missing = await command(miner, "curtail")
    assert status(missing)["STATUS"] == "E"
    # a minute without use ends the session
    assert isinstance(miner, LuxOSMiner)
    miner.session_timeout = 0.05
    await asyncio.sleep(0.1)
    assert status(await command(miner, "curtail", f"{session},sleep"))["STATUS"] == "E"
    miner.session_timeout = 60
    fresh = await logon(miner)
    assert fresh != session
    assert status(await command(miner, "logoff", fresh))["STATUS"] == "S"
    assert (await command(miner, "session"))["SESSION"][0]["SessionID"] == ""


# --- controls --------------------------------------------------------------------------------


async def test_curtail_sleeps_and_wakes(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos", model="S19 XP"))
    assert miner.state.hashrate > 100_000
    session = await logon(miner)
    reply = await command(miner, "curtail", f"{session},sleep")
    assert reply["CURTAIL"][0]["Action"] == "sleep mode"
    assert miner.state.hashrate == 0
    assert miner.state.power < 50
    assert (await command(miner, "config"))["CONFIG"][0]["CurtailMode"] == "Sleep"
    assert (await command(miner, "events"))["EVENTS"][0]["Code"] == "SLEEP"
    reply = await command(miner, "curtail", f"{session},wakeup")
    assert reply["CURTAIL"][0]["Action"] == "wake up"
    assert miner.state.hashrate > 100_000
    assert (await command(miner, "events"))["EVENTS"] == []


async def test_profileset_needs_atm_off_and_changes_power(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos", model="S19k Pro"))
    session = await logon(miner)
    assert (await command(miner, "atm"))["ATM"][0]["Enabled"] is True
    refused = await command(miner, "profileset", f"{session},240MHz")
    assert status(refused)["STATUS"] == "E"
    assert (await command(miner, "config"))["CONFIG"][0]["Profile"] == "default"
    reply = await command(miner, "atmset", f"{session},enabled=false")
    assert status(reply)["Code"] == 340
    assert (await command(miner, "config"))["CONFIG"][0]["IsAtmEnabled"] is False
    before = (await command(miner, "power"))["POWER"][0]["Watts"]
    reply = await command(miner, "profileset", f"{session},240MHz")
    assert reply["PROFILE"][0]["Profile"] == "240MHz"
    config = (await command(miner, "config"))["CONFIG"][0]
    assert config["Profile"] == "240MHz"
    assert config["ProfileStep"] == "-14"
    after = (await command(miner, "power"))["POWER"][0]["Watts"]
    assert after < before * 0.5
    assert miner.state.hashrate < 60_000
    # selectors: by watts (the highest profile within), and relative steps
    table = find_luxos_model("S19k Pro").profiles()
    within = [profile for profile in table if profile.watts <= 2000]
    reply = await command(miner, "profileset", f"{session},2000W")
    assert reply["PROFILE"][0]["Profile"] == within[-1].name
    reply = await command(miner, "profileset", f"{session},+2")
    assert reply["PROFILE"][0]["Profile"] == table[len(within) + 1].name
    unknown = await command(miner, "profileset", f"{session},999MHz")
    assert status(unknown)["STATUS"] == "E"


async def test_led_pools_and_resetminer(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    session = await logon(miner)
    assert status(await command(miner, "ledset", f"{session},red,blink"))["STATUS"] == "S"
    assert (await command(miner, "config"))["CONFIG"][0]["RedLed"] == "blink"
    assert miner.state.identify_active
    assert status(await command(miner, "ledset", f"{session},red,off"))["STATUS"] == "S"
    assert (await command(miner, "config"))["CONFIG"][0]["RedLed"] == "off"
    assert status(await command(miner, "ledset", f"{session},purple,on"))["STATUS"] == "E"
    added = await command(miner, "addpool", "stratum+tcp://pool.example:3333,me.1,x")
    assert status(added)["Code"] == 55
    pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["URL"] for pool in pools][-1] == "stratum+tcp://pool.example:3333"
    assert status(await command(miner, "switchpool", "2"))["STATUS"] == "S"
    assert (await command(miner, "pools"))["POOLS"][2]["Stratum Active"] is True
    assert status(await command(miner, "removepool", "0"))["STATUS"] == "S"
    assert len((await command(miner, "pools"))["POOLS"]) == 2
    assert status(await command(miner, "removepool", "9"))["Code"] == 26
    miner.state.uptime = 500.0
    assert status(await command(miner, "resetminer", session))["STATUS"] == "S"
    assert miner.state.uptime < 5


async def test_rebootdevice_goes_down_and_uptime_resets(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    miner.state.uptime = 1000.0
    session = await logon(miner)
    assert status(await command(miner, "rebootdevice", session))["STATUS"] == "S"
    await miner.wait_until_down(2)
    await miner.wait_until_up(2)
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] < 5
    assert (await command(miner, "session"))["SESSION"][0]["SessionID"] == ""


async def test_updaterun_installs_a_newer_release(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    session = await logon(miner)
    miner.set_fault(Fault.FIRMWARE_REJECTED)
    refused = await command(miner, "updaterun", session)
    assert status(refused)["Code"] == 334
    assert status(refused)["Msg"] == "Unable to locate luxupdate process"
    miner.clear_fault()
    reply = await command(miner, "updaterun", session)
    assert status(reply)["Code"] == 333
    await miner.wait_until_down(2)
    await miner.wait_until_up(2)
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["LUXminer"] != "2025.4.8.220305-57b389c7"
    assert version["LUXminer"].startswith("2025.5.")
    assert miner.as_json()["firmware"] == version["LUXminer"]


# --- faults ----------------------------------------------------------------------------------


async def test_faults_on_the_rpc_port(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    miner.set_fault(Fault.BACKEND_DOWN, path="summary")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    await writer.drain()
    assert (
        await asyncio.wait_for(reader.read(), 2) == b"Socket connect failed: Connection refused\n"
    )
    writer.close()
    assert (await command(miner, "version"))["VERSION"]
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(OSError):
        await command(miner, "version")
    miner.clear_fault()
    await miner.wait_until_up()
    assert (await command(miner, "version"))["VERSION"]


async def test_web_port_faults(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="luxos"))
    miner.set_fault(Fault.HTTP_500)
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(f"http://{miner.host}:{miner.port}/") as response,
    ):
        assert response.status == 500


def test_fleets() -> None:
    assert {spec.model for spec in load_fleet("luxos")} >= {
        "Antminer S19k Pro",
        "Antminer S19 XP",
        "Antminer S21",
    }
    assert any(spec.family == "luxos" for spec in load_fleet("demo"))
