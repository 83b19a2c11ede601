"""The simulator's AvalonMiner family over plain sockets and aiohttp (not the project's client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
import json
from pathlib import Path
import re
import time
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.avalon import AvalonMiner
from tests.simulator.families.avalon_models import AVALON_MODELS

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2
PAIR = re.compile(r"([A-Za-z_][\w ]*?)\[([^\]]*)\]")
# The keys of a real A1566's `MM ID0` (pyasic's recorded test data), in its order.
A1566_KEYS = [
    "Ver",
    "DNA",
    "MEMFREE",
    "NETFAIL",
    "SYSTEMSTATU",
    "Elapsed",
    "BOOTBY",
    "LW",
    "MH",
    "DHW",
    "HW",
    "DH",
    "Temp",
    "TMax",
    "TAvg",
    "Fan1",
    "Fan2",
    "FanR",
    "Vo",
    "PS",
    "WALLPOWER",
    "PLL0",
    "PLL1",
    "PLL2",
    "GHSspd",
    "DHspd",
    "GHSmm",
    "GHSavg",
    "WU",
    "Freq",
    "Led",
    "MGHS",
    "MTmax",
    "MTavg",
    "MVavg",
    "TA",
    "Core",
    "PING",
    "POWS",
    "EEPROM",
    "HASHS",
    "POOLS",
    "SoftOFF",
    "ECHU",
    "ECMM",
    "SF0",
    "SF1",
    "SF2",
    "PVT_T0",
    "PVT_T1",
    "PVT_T2",
    "PVT_V0",
    "PVT_V1",
    "PVT_V2",
    "MW",
    "MW0",
    "MW1",
    "MW2",
    "CRC",
    "COMCRC",
    "FACOPTS0",
    "FACOPTS1",
    "FACOPTS2",
    "ATAOPTS0",
    "ATAOPTS1",
    "ATAOPTS2",
    "ADJ",
    "COP",
    "MPO",
    "MVL",
    "ATABD0",
    "ATABD1",
    "ATABD2",
    "WORKMODE",
]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


async def exchange(miner: SimulatedMiner, request: bytes, *, timeout: float = 2) -> bytes:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


async def command(miner: SimulatedMiner, name: str, parameter: str | None = None) -> Any:
    body: dict[str, Any] = {"command": name}
    if parameter is not None:
        body["parameter"] = parameter
    raw = await exchange(miner, json.dumps(body).encode())
    assert raw.endswith(b"\x00")
    return json.loads(raw[:-1])


def shape(value: Any) -> Any:
    """Keys and JSON types; a list by its first element (replies differ in their counts)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def pairs(text: str) -> dict[str, str]:
    """An Avalon ``Key[value]`` string (the ``'STATS':{…}`` wrapper too) as a dict."""
    return dict(PAIR.findall(text))


def real(fixtures: Path, name: str) -> Any:
    return json.loads((fixtures / "avalonminer" / "any" / f"{name}.json").read_text())


async def estats(miner: SimulatedMiner) -> dict[str, str]:
    reply = await command(miner, "estats")
    return pairs(reply["STATS"][0]["MM ID0"])


# --- shapes against the recorded replies ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["version", "summary", "pools", "devs", "devdetails", "stats", "litestats", "config", "coin"],
)
async def test_replies_have_the_keys_and_types_of_a_real_avalon_q(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    recorded = real(real_fixtures, name)
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    reply = await command(miner, name)
    assert shape(reply) == shape(recorded)
    for key in ("STATUS", "Code", "Msg", "Description"):
        if name not in ("pools",) or key != "Msg":
            assert reply["STATUS"][0][key] == recorded["STATUS"][0][key]


async def test_mm_strings_have_the_keys_of_a_real_avalon_q(
    sim: Simulator, real_fixtures: Path
) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    recorded = real(real_fixtures, "stats")["STATS"][0]
    reply = (await command(miner, "stats"))["STATS"][0]
    assert reply["MM ID0:Summary"].startswith("'STATS':{")
    assert list(pairs(reply["MM ID0:Summary"])) == list(pairs(recorded["MM ID0:Summary"]))
    assert list(pairs(reply["HBinfo"])) == list(pairs(recorded["HBinfo"]))
    lite = (await command(miner, "litestats"))["STATS"][0]["MM ID0:Summary"]
    assert list(pairs(lite)) == list(
        pairs(real(real_fixtures, "litestats")["STATS"][0]["MM ID0:Summary"])
    )
    assert len(pairs(reply["HBinfo"])["PVT_T0"].split()) == 160


async def test_check_and_ascset_replies_are_worded_as_recorded(
    sim: Simulator, real_fixtures: Path
) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    assert shape(await command(miner, "check", "summary")) == shape(real(real_fixtures, "check"))
    help_reply = (await command(miner, "ascset", "0,help"))["STATUS"][0]
    recorded = real(real_fixtures, "ascset_help")["STATUS"][0]
    assert {k: help_reply[k] for k in ("STATUS", "Code", "Msg")} == {
        k: recorded[k] for k in ("STATUS", "Code", "Msg")
    }
    stamp = int(time.time()) + 60
    for option in ("softoff", "softon"):
        got = (await command(miner, "ascset", f"0,{option},1:{stamp}"))["STATUS"][0]
        want = real(real_fixtures, f"ascset_{option}")["STATUS"][0]
        assert (got["STATUS"], got["Code"]) == (want["STATUS"], want["Code"])
        assert got["Msg"] == f"ASC 0 set info: success {option}:{stamp}"
        assert shape(got) == shape(want)
    got = (await command(miner, "ascset", "0,workmode,set,2"))["STATUS"][0]
    want = real(real_fixtures, "ascset_workmode")["STATUS"][0]
    assert {k: got[k] for k in ("STATUS", "Code", "Msg")} == {
        k: want[k] for k in ("STATUS", "Code", "Msg")
    }


async def test_a1566_mm_id0_has_the_keys_of_a_real_one(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon A1566"))
    for name in ("stats", "estats"):
        entry = (await command(miner, name))["STATS"][0]
        assert entry["ID"] == "AVA100"
        assert list(pairs(entry["MM ID0"])) == A1566_KEYS
        assert entry["MM Count"] == 1
    mm = await estats(miner)
    assert len(mm["MGHS"].split()) == 3
    assert len(mm["PVT_T2"].split()) == 160
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["PROD"] == "AvalonMiner 15-194"
    assert version["MAC"] == miner.mac.replace(":", "").lower()
    assert (await command(miner, "litestats"))["STATUS"][0]["Code"] == 14


# --- identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [model.name for model in AVALON_MODELS])
async def test_identity(sim: Simulator, model: str) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model=model))
    board = next(entry for entry in AVALON_MODELS if entry.name == model)
    version = await command(miner, "version")
    assert "AVALON" in json.dumps(version).upper()
    assert version["VERSION"][0]["PROD"] == board.prod
    assert version["VERSION"][0]["MODEL"] == board.model
    details = (await command(miner, "devdetails"))["DEVDETAILS"][0]
    assert details["Name"].startswith("AVA")
    status, text = await get(miner, "/", None)
    assert status == 200
    assert "Avalon" in text
    assert miner.as_json()["family"] == "avalon"
    assert miner.credentials() == {"username": "root", "password": "root"}


# --- state that behaves -----------------------------------------------------------------------


async def test_work_levels_change_hashrate_power_and_heat(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Nano 3"))
    high = await estats(miner)
    assert high["WORKLEVEL"] == "2"
    assert 3700 < float(high["GHSspd"]) < 4200
    assert 125 < int(high["WALLPOWER"]) < 150
    reply = await command(miner, "ascset", "0,worklevel,set,0")
    assert reply["STATUS"][0]["Msg"] == "ASC 0 set OK"
    low = await estats(miner)
    assert low["WORKLEVEL"] == "0"
    assert float(low["GHSspd"]) < 2200
    assert int(low["WALLPOWER"]) < 70
    assert int(low["MPO"]) < int(high["MPO"])
    assert int(low["Fan1"]) < int(high["Fan1"])
    assert int(low["TMax"]) < int(high["TMax"])
    bad = (await command(miner, "ascset", "0,worklevel,set,7"))["STATUS"][0]
    assert (bad["STATUS"], bad["Code"]) == ("E", 120)


async def test_q_work_modes(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    await command(miner, "ascset", "0,workmode,set,2")
    assert 1600 < miner.state.power < 1700
    assert miner.state.hashrate > 85_000
    await command(miner, "ascset", "0,workmode,set,0")
    assert 750 < miner.state.power < 820
    assert (await estats(miner))["WORKMODE"] == "0"


async def test_softoff_stops_hashing_and_softon_resumes(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    later = int(time.time()) + 3600
    await command(miner, "ascset", f"0,softoff,1:{later}")
    assert miner.state.hashrate > 0  # not yet: it was asked for in an hour
    await command(miner, "ascset", f"0,softoff,1:{int(time.time())}")
    mm = await estats(miner)
    assert mm["SYSTEMSTATU"] == "Work: In Idle, Hash Board: 1"
    assert float(mm["GHSspd"]) == 0
    assert int(mm["WALLPOWER"]) < 20
    assert mm["Fan1"] == "0"
    assert mm["SoftOFF"] != "0"
    devs = (await command(miner, "devs"))["DEVS"][0]
    assert devs["MHS 5s"] == 0
    await command(miner, "ascset", f"0,softon,1:{int(time.time())}")
    mm = await estats(miner)
    assert mm["SYSTEMSTATU"] == "Work: In Work, Hash Board: 1"
    assert float(mm["GHSspd"]) > 50_000
    assert int(mm["WALLPOWER"]) > 1000


async def test_led(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon A1566"))
    assert (await command(miner, "ascset", "0,led,1-1"))["STATUS"][0]["Msg"] == "ASC 0 set OK"
    assert (await estats(miner))["Led"] == "1"
    query = (await command(miner, "ascset", "0,led,1-255"))["STATUS"][0]
    assert query["Msg"] == "ASC 0 set info: LED[1]"
    await command(miner, "ascset", "0,led,1-0")
    assert (await estats(miner))["Led"] == "0"


async def test_pools_three_slots_and_setpool(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Mini 3"))
    pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["POOL"] for pool in pools] == [0, 1, 2]
    assert [pool["Stratum Active"] for pool in pools] == [True, False, False]
    url = "stratum+tcp://pool.example.org:3333"
    reply = await command(miner, "setpool", f"root,root,1,{url},me.worker,x")
    assert reply["STATUS"][0]["Code"] == 133
    assert (await command(miner, "pools"))["POOLS"][1]["URL"] == url
    wrong = (await command(miner, "setpool", f"root,nope,1,{url},me.worker,x"))["STATUS"][0]
    assert (wrong["STATUS"], wrong["Code"]) == ("E", 132)


async def test_restart_answers_then_reboots(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Nano 3S"))
    await asyncio.sleep(0.3)
    assert miner.state.uptime > 0.25
    raw = await exchange(miner, b'{"command":"restart"}')
    assert json.loads(raw.rstrip(b"\x00")) == {"STATUS": "RESTART", "id": 1}
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.uptime < 0.25
    assert miner.state.reboot_count == 1


async def test_joined_requests_and_errors(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Nano 3"))
    joined = await command(miner, "summary+ascset")
    assert joined["summary"][0]["STATUS"][0]["Code"] == 11
    assert joined["ascset"][0]["STATUS"][0]["Msg"] == "Access denied to 'ascset' command"
    assert (await command(miner, "ascset"))["STATUS"][0]["Code"] == 15
    assert (await command(miner, "ascset", "0"))["STATUS"][0]["Code"] == 116
    assert (await command(miner, "ascset", "1,led,1-1"))["STATUS"][0]["Msg"] == (
        "Invalid ASC id 1 - range is 0 - 0"
    )
    assert (await command(miner, "nonsense"))["STATUS"][0]["Msg"] == "Invalid command"


# --- web and its login ------------------------------------------------------------------------


def cookie(password: str) -> str:
    return "ff0000ff" + hashlib.sha256(password.encode()).hexdigest()[:24]


async def get(miner: SimulatedMiner, path: str, auth: str | None) -> tuple[int, str]:
    cookies = {"auth": auth} if auth is not None else None
    async with aiohttp.ClientSession(cookies=cookies) as session:
        url = f"http://{miner.host}:{miner.port}{path}"
        async with session.get(url, allow_redirects=False) as response:
            return response.status, await response.text()


async def test_web_cookie_login_default_and_custom_password(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Nano 3"))
    status, text = await get(miner, "/get_minerinfo.cgi", cookie("root"))
    assert status == 200
    info = json.loads(text.removeprefix("minerinfoCallback(").removesuffix(");"))
    assert info["mac"].upper() == miner.mac
    assert (await get(miner, "/get_home.cgi", None))[0] == 302
    custom = await sim.start(MinerSpec(family="avalon", model="Avalon Q", password="s3cret"))
    assert (await get(custom, "/get_home.cgi", cookie("root")))[0] == 302
    status, text = await get(custom, "/get_home.cgi", cookie("s3cret"))
    assert status == 200
    assert json.loads(text)["workmode"] == 1
    assert custom.credentials() == {"username": "root", "password": "s3cret"}
    assert (await get(custom, "/no_such.cgi", cookie("s3cret")))[0] == 404


# --- faults -----------------------------------------------------------------------------------


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="avalon", model="Avalon Q"))
    miner.set_fault(Fault.INF_NAN, path="summary")
    raw = await exchange(miner, b'{"command":"summary"}')
    assert b'"inf"' in raw
    assert b'"nan"' in raw
    assert (await command(miner, "version"))["VERSION"][0]["MODEL"] == "Q"
    miner.clear_fault()
    miner.set_fault(Fault.HTTP_500)
    assert (await get(miner, "/", None))[0] == 500
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(OSError):
        await exchange(miner, b'{"command":"version"}')
    miner.clear_fault()
    assert (await command(miner, "version"))["STATUS"][0]["Code"] == 22


async def test_fleet_preset() -> None:
    specs = load_fleet("avalon")
    assert {spec.model for spec in specs} == {model.name for model in AVALON_MODELS}
    assert any(spec.family == "avalon" for spec in load_fleet("demo"))
    assert AvalonMiner.family == "avalon"
