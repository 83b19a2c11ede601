"""The simulator's Antminer family and its re-brands, spoken to over plain sockets and aiohttp
with its own digest middleware (not the project's client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.antminer_models import find_model
from tests.simulator.fleet import parse_fleet

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REPO_ROOT = Path(__file__).resolve().parents[1]
REBOOT_SECONDS = 0.2
QUICK = aiohttp.ClientTimeout(total=3)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


def session(username: str = "root", password: str = "root") -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True),
        timeout=QUICK,
        middlewares=(aiohttp.DigestAuthMiddleware(username, password),),
    )


def url(miner: SimulatedMiner, path: str) -> str:
    return f"http://{miner.host}:{miner.port}{path}"


async def get_json(miner: SimulatedMiner, path: str, **login: str) -> Any:
    async with session(**login) as http, http.get(url(miner, path)) as response:
        assert response.status == 200, await response.text()
        return json.loads(await response.text())


async def post(miner: SimulatedMiner, path: str, **kwargs: Any) -> tuple[int, str]:
    async with session() as http, http.post(url(miner, path), **kwargs) as response:
        return response.status, await response.text()


async def command(miner: SimulatedMiner, name: str, **extra: Any) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": name, **extra}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.endswith(b"\x00")
    reply = json.loads(raw[:-1])
    assert isinstance(reply, dict)
    return reply


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively (ints and floats apart, as cgminer prints them)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


# --- shapes against the recorded replies ------------------------------------------------------


@pytest.mark.parametrize("name", ["version", "summary", "pools", "devs", "stats"])
async def test_rpc_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    real = json.loads((real_fixtures / "antminer" / "v2020" / f"{name}.json").read_text())
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))
    reply = await command(miner, name)
    assert shape(reply) == shape(real)
    if name == "version":
        assert reply["VERSION"][0]["Type"] == "Antminer S19 Pro"
        assert reply["STATUS"][0]["Msg"] == real["STATUS"][0]["Msg"]
    if name == "stats":
        boards = reply["STATS"][1]
        assert boards["chain_acn1"] == 114
        assert boards["chain_acn4"] == 0
        assert boards["total_rateideal"] == 110000.0
        assert boards["rate_unit"] == "GH"
    for key in ("Code", "Msg", "Description"):
        assert reply["STATUS"][0][key] == real["STATUS"][0][key]


async def test_system_info_has_the_keys_and_types_of_a_real_one(
    sim: Simulator, real_fixtures: Path
) -> None:
    real = json.loads((real_fixtures / "antminer" / "v2020" / "system_info.json").read_text())
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S21"))
    info = await get_json(miner, "/cgi-bin/get_system_info.cgi")
    assert shape(info) == shape(real)
    assert info["minertype"] == "Antminer S21"
    assert info["macaddr"] == miner.mac
    assert len(info["serinum"]) == 17


async def test_new_api_stats_has_chains(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="S21 Pro"))
    stats = (await command(miner, "stats", new_api=True))["STATS"][0]
    assert [chain["index"] for chain in stats["chain"]] == [0, 1, 2]
    for chain in stats["chain"]:
        assert chain["asic_num"] == 65
        assert isinstance(chain["rate_real"], float)
        assert len(chain["temp_pcb"]) == len(chain["temp_chip"]) == 4
        assert chain["sn"]
    assert sum(chain["rate_real"] for chain in stats["chain"]) == pytest.approx(
        stats["rate_5s"], rel=0.1
    )
    old = await sim.start(MinerSpec(family="antminer", model="S9"))
    assert len((await command(old, "stats", new_api=True))["STATS"]) == 2  # no new API


async def test_old_models_use_their_chain_and_fan_slots(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S9"))
    stats = (await command(miner, "stats"))["STATS"][1]
    assert [stats[f"chain_acn{index}"] for index in (1, 6, 7, 8)] == [0, 63, 63, 63]
    assert stats["fan3"] > 0
    assert stats["fan6"] > 0
    assert stats["fan1"] == 0
    assert isinstance((await command(miner, "summary"))["SUMMARY"][0]["GHS 5s"], str)
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["Type"] == "Antminer S9"
    assert version["BMMiner"] == "2.0.0"


# --- digest auth ------------------------------------------------------------------------------


async def test_digest_login(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="S19j Pro"))
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=QUICK) as plain:
        for path in ("/", "/cgi-bin/get_system_info.cgi"):
            async with plain.get(url(miner, path)) as response:
                assert response.status == 401
                challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Digest realm="antMiner Configuration", nonce="')
        assert challenge.endswith('qop="auth"')
    assert miner.credentials() == {"username": "root", "password": "root"}
    assert (await get_json(miner, "/cgi-bin/get_system_info.cgi"))["minertype"]
    async with (
        session("root", "wrong") as http,
        http.get(url(miner, "/cgi-bin/get_system_info.cgi")) as response,
    ):
        assert response.status == 401
    async with session() as http, http.get(url(miner, "/")) as response:
        assert response.status == 200
        assert "Antminer S19j Pro" in await response.text()


async def test_custom_credentials(sim: Simulator) -> None:
    miner = await sim.start(
        MinerSpec(family="antminer", model="S19 XP", username="admin", password="s3cret")
    )
    assert miner.credentials() == {"username": "admin", "password": "s3cret"}
    info = await get_json(
        miner, "/cgi-bin/get_system_info.cgi", username="admin", password="s3cret"
    )
    assert info["minertype"] == "Antminer S19 XP"
    async with (
        session() as http,
        http.get(url(miner, "/cgi-bin/get_system_info.cgi")) as response,
    ):
        assert response.status == 401


# --- settings and state -----------------------------------------------------------------------


async def test_sleep_mode_stops_hashing_and_low_power_lowers_it(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))
    normal_power = miner.state.power
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert conf["bitmain-work-mode"] == "0"
    assert len(conf["pools"]) == 3
    conf_body = {
        "bitmain-fan-ctrl": False,
        "bitmain-fan-pwm": "100",
        "freq-level": "100",
        "miner-mode": 1,
        "pools": conf["pools"],
    }
    status, text = await post(miner, "/cgi-bin/set_miner_conf.cgi", json=conf_body)
    assert status == 200
    assert json.loads(text) == {"stats": "success", "code": "M000", "msg": "OK!"}
    assert (await get_json(miner, "/cgi-bin/get_miner_conf.cgi"))["bitmain-work-mode"] == "1"
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert summary["GHS 5s"] == 0.0
    assert miner.state.power < normal_power / 20
    assert miner.state.fan_percent == 0
    errors = (await get_json(miner, "/cgi-bin/summary.cgi"))["SUMMARY"][0]["status"]
    assert [item["type"] for item in errors if item["status"] != "s"] == ["rate"]
    # Some firmwares want the mode as a string; low power (3) keeps hashing, slower.
    status, _text = await post(
        miner, "/cgi-bin/set_miner_conf.cgi", json=conf_body | {"miner-mode": "3"}
    )
    assert status == 200
    stats = (await command(miner, "stats"))["STATS"][1]
    assert stats["total_rateideal"] == pytest.approx(110000.0 * 0.7)
    assert 0 < miner.state.power < normal_power
    status, text = await post(
        miner, "/cgi-bin/set_miner_conf.cgi", json=conf_body | {"miner-mode": "sleepy"}
    )
    assert json.loads(text)["stats"] == "error"


async def test_a_pools_only_write_wipes_the_rest(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S21"))
    body = {"bitmain-fan-ctrl": True, "bitmain-fan-pwm": "60", "miner-mode": 1, "pools": []}
    await post(miner, "/cgi-bin/set_miner_conf.cgi", json=body)
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert conf["bitmain-work-mode"] == "1"
    assert conf["bitmain-fan-ctrl"] is True
    pools = [{"url": "stratum+tcp://pool.example:3333", "user": "me.1", "pass": "x"}]
    status, _text = await post(miner, "/cgi-bin/set_miner_conf.cgi", json={"pools": pools})
    assert status == 200
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert conf["pools"][0] == pools[0]
    assert conf["pools"][1] == conf["pools"][2] == {"url": "", "user": "", "pass": ""}
    assert conf["bitmain-work-mode"] == "0"  # the sleep setting is gone: it mines again
    assert conf["bitmain-fan-ctrl"] is False
    assert (await command(miner, "summary"))["SUMMARY"][0]["GHS 5s"] > 0
    rpc_pools = (await command(miner, "pools"))["POOLS"]
    assert rpc_pools[0]["URL"] == "stratum+tcp://pool.example:3333"
    assert rpc_pools[0]["User"] == "me.1"


async def test_old_firmware_takes_the_web_form(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S9"))
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert "bitmain-work-mode" not in conf
    form = {
        "_ant_pool1url": "stratum+tcp://old.example:3333",
        "_ant_pool1user": "s9.1",
        "_ant_pool1pw": "x",
        "_ant_nobeeper": "false",
        "_ant_fan_customize_switch": "true",
        "_ant_fan_customize_value": "80",
    }
    status, text = await post(miner, "/cgi-bin/set_miner_conf.cgi", data=form)
    assert (status, text) == (200, "ok")
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert conf["pools"][0]["url"] == "stratum+tcp://old.example:3333"
    assert conf["pools"][1]["url"] == ""
    assert conf["bitmain-fan-pwm"] == "80"
    assert miner.state.fan_percent == 80
    status, text = await post(miner, "/cgi-bin/blink.cgi", data={"action": "startBlink"})
    assert json.loads(text) == {"isBlinking": True}
    status, text = await post(miner, "/cgi-bin/blink.cgi", data={"action": "onPageLoaded"})
    assert json.loads(text) == {"isBlinking": True}


async def test_blink(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="T21"))
    assert await get_json(miner, "/cgi-bin/get_blink_status.cgi") == {"blink": False}
    status, text = await post(miner, "/cgi-bin/blink.cgi", json={"blink": "true"})
    assert (status, json.loads(text)) == (200, {"code": "B000"})
    assert await get_json(miner, "/cgi-bin/get_blink_status.cgi") == {"blink": True}
    status, text = await post(miner, "/cgi-bin/blink.cgi", json={"blink": "false"})
    assert json.loads(text) == {"code": "B100"}
    assert await get_json(miner, "/cgi-bin/get_blink_status.cgi") == {"blink": False}


async def test_reboot_is_down_then_back_with_uptime_reset(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="S19"))
    await asyncio.sleep(1.1)
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] >= 1
    async with session() as http, http.get(url(miner, "/cgi-bin/reboot.cgi")) as response:
        assert response.status == 200
    await miner.wait_until_down()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(miner.host, miner.ports["rpc"])
    await miner.wait_until_up()
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] == 0
    assert miner.state.reboot_count == 1


def firmware_form(filename: str, *, keep: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", b"\x1f\x8b" + b"\0" * 4096, filename=filename)
    if keep is not None:
        form.add_field("keep_settings", keep)
    return form


async def test_upgrade(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))
    status, text = await post(miner, "/cgi-bin/upgrade.cgi", data=firmware_form("notes.txt"))
    assert json.loads(text)["stats"] == "error"
    name = "Antminer-S19-Pro-merge-release-20240115123000.bmu"
    status, text = await post(miner, "/cgi-bin/upgrade.cgi", data=firmware_form(name))
    assert status == 200
    assert json.loads(text)["stats"] == "success"
    await miner.wait_until_down()
    await miner.wait_until_up()
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["CompileTime"] == "Mon Jan 15 12:30:00 CST 2024"
    info = await get_json(miner, "/cgi-bin/get_system_info.cgi")
    assert info["system_filesystem_version"] == "Mon Jan 15 12:30:00 CST 2024"
    assert miner.as_json()["firmware"] == "Mon Jan 15 12:30:00 CST 2024"
    miner.set_fault(Fault.FIRMWARE_REJECTED)
    status, text = await post(miner, "/cgi-bin/upgrade.cgi", data=firmware_form(name))
    assert json.loads(text)["stats"] == "error"
    assert miner.is_up


# --- re-brands --------------------------------------------------------------------------------


async def test_rebrands_tell_themselves_apart(sim: Simulator) -> None:
    realms = {}
    for family in ("hiveon", "marafw", "elphapex", "hammer", "volcminer"):
        miner = await sim.start(MinerSpec(family=family))
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector, timeout=QUICK) as plain,
            plain.get(url(miner, "/")) as response,
        ):
            assert response.status == 401
            realms[family] = response.headers["WWW-Authenticate"].split('"')[1]
        version = (await command(miner, "version"))["VERSION"][0]
        login = miner.credentials() or {}
        info = await get_json(miner, "/cgi-bin/get_system_info.cgi", **login)
        assert info["minertype"] == miner.model_name
        if family == "hiveon":
            assert "HIVEON" in version["Type"].upper()
        if family == "marafw":
            brief = await get_json(miner, "/kaonsu/v1/brief")
            assert brief["hashrate_realtime"] > 0
        if family == "volcminer":
            assert "HAMMER" not in info["minertype"].upper()
        if family == "hammer":
            assert "HAMMER" in info["minertype"].upper()
    assert realms["elphapex"].startswith("Daoge")
    assert realms["hammer"].startswith("blackMiner")
    assert realms["volcminer"].startswith("blackMiner")
    assert realms["hiveon"].startswith("antMiner")
    assert realms["marafw"].startswith("antMiner")


async def test_network_info_has_the_fields_of_bitmains_script(sim: Simulator) -> None:
    # Hiveon (and clients of the old web UI) read the MAC from get_network_info.cgi.
    for family in ("antminer", "hiveon"):
        miner = await sim.start(MinerSpec(family=family, model="Antminer S19j Pro"))
        info = await get_json(miner, "/cgi-bin/get_network_info.cgi")
        assert list(info) == [
            "nettype",
            "netdevice",
            "macaddr",
            "ipaddress",
            "netmask",
            "conf_nettype",
            "conf_hostname",
            "conf_ipaddress",
            "conf_netmask",
            "conf_gateway",
            "conf_dnsservers",
        ]
        assert info["macaddr"] == miner.state.mac
        assert info["ipaddress"] == miner.host


async def test_marafw_names_kaonsu_in_the_rpc_and_serves_its_config(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="marafw"))
    for name in ("version", "summary", "pools"):
        reply = await command(miner, name)
        assert reply["STATUS"][0]["Description"].startswith("kaonsu ")
    stock = await sim.start(MinerSpec(family="antminer"))
    assert "KAONSU" not in json.dumps(await command(stock, "version")).upper()
    overview = await get_json(miner, "/kaonsu/v1/overview")
    assert overview["version_firmware"] == overview["firmware"]
    assert overview["mac"] == miner.state.mac
    config = await get_json(miner, "/kaonsu/v1/miner_config")
    assert config["pools"][0]["url"].startswith("stratum+tcp://")
    assert config["mode"]["work-mode-selector"] == "Stock"


# --- fleets and the command line --------------------------------------------------------------


def test_fleets_know_the_antminer_families() -> None:
    demo = load_fleet("demo")
    assert ("antminer", "Antminer S21") in [(spec.family, spec.model) for spec in demo]
    assert ("antminer", "Antminer S9") in [(spec.family, spec.model) for spec in demo]
    specs = parse_fleet(
        "- {family: antminer, model: S19j Pro, username: root, password: hunter2, count: 2}\n"
        "- {family: hammer}\n",
        yaml_syntax=True,
    )
    assert [spec.password for spec in specs] == ["hunter2", "hunter2", None]
    with pytest.raises(ValueError, match="unknown model"):
        find_model("S99")


def test_command_line_prints_antminers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.simulator", "--fleet", "demo", "--no-real-ports"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        lines = [json.loads(process.stdout.readline()) for _ in load_fleet("demo")]
        antminers = [line for line in lines if line["family"] == "antminer"]
        assert [line["model"] for line in antminers] == ["Antminer S21", "Antminer S9"]
        for line in antminers:
            assert line["credentials"] == {"username": "root", "password": "root"}
            assert set(line["ports"]) == {"web", "rpc"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
