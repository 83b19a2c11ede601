"""The simulator's ePIC UMC family, spoken to over plain aiohttp (not the project's client): the
HTTP API on 4028 against the recorded real replies, password-in-body writes, the firmware
update with its checksum, and faults on both HTTP ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
import hashlib
import io
import json
from pathlib import Path
from typing import Any
import zipfile

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.epic import EpicMiner
from tests.simulator.families.epic_models import EPIC_MODELS

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)
READS = {
    "summary": "/summary",
    "capabilities": "/capabilities",
    "network": "/network",
    "temps": "/temps",
    "chip_hashrates": "/hashrate",
    "chip_clocks": "/clocks",
    "chip_voltages": "/voltages",
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


async def start(sim: Simulator, **spec: Any) -> EpicMiner:
    miner = await sim.start(MinerSpec(family="epic", **spec))
    assert isinstance(miner, EpicMiner)
    return miner


def api(miner: SimulatedMiner, path: str) -> str:
    return f"http://{miner.host}:{miner.ports['api']}{path}"


async def get(miner: SimulatedMiner, path: str) -> Any:
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(api(miner, path)) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return json.loads(await reply.text())


async def post(miner: SimulatedMiner, path: str, param: Any, password: str = "letmein") -> Any:
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.post(api(miner, path), json={"param": param, "password": password}) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return json.loads(await reply.text())


def shape(value: Any) -> Any:
    """Keys and JSON types; lists by their first element (chip lists differ in length)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


async def test_identity(sim: Simulator) -> None:
    miner = await start(sim, model="Antminer S19 XP")
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(f"http://{miner.host}:{miner.port}/") as page,
    ):
        assert "Miner Web Dashboard" in await page.text()
    capabilities = await get(miner, "/capabilities")
    assert capabilities["Model"] == "AntMiner S19 XP"
    summary = await get(miner, "/summary")
    assert summary["Software"] == "PowerPlay-BMS v1.5.13"
    assert summary["Status"]["Operating State"] == "Mining"
    network = await get(miner, "/network")
    assert network["dhcp"]["mac_address"] == miner.mac
    assert miner.as_json()["credentials"] == {"username": "root", "password": "letmein"}
    # port 4028 speaks HTTP, not the CGMiner socket protocol
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(api(miner, "/nothing")) as missing,
    ):
        assert missing.status == 404


async def test_replies_have_the_real_keys_and_types(sim: Simulator, real_fixtures: Path) -> None:
    miner = await start(sim, model="Antminer S19 XP")
    for name, path in READS.items():
        real = json.loads((real_fixtures / "epic" / "v1" / f"{name}.json").read_text())
        ours = await get(miner, path)
        if name == "summary":
            # The recording has one board disabled and no tuner-set command yet; the
            # shapes of what is there must match, key for key.
            assert set(ours) == set(real), name
            for key in real:
                if key in ("Fans Rpm",):
                    assert set(ours[key]) == set(real[key])
                    continue
                assert shape(ours[key]) == shape(real[key]), key
        elif name == "capabilities":
            assert set(ours) == set(real)
            for key in real:
                if key == "PerpetualTune":
                    assert shape(ours[key][0]) == shape(real[key][0])
                else:
                    assert shape(ours[key]) == shape(real[key]), key
        else:
            assert shape(ours) == shape(real), name


@pytest.mark.parametrize("model", [model.name for model in EPIC_MODELS])
async def test_every_model_mines(sim: Simulator, model: str) -> None:
    miner = await start(sim, model=model)
    summary = await get(miner, "/summary")
    total = sum(board["Hashrate"][0] for board in summary["HBs"])
    assert total > 0
    assert summary["Power Supply Stats"]["Input Power"] > 0
    assert any(rpm for rpm in summary["Fans Rpm"].values())


async def test_wrong_password_and_custom_password(sim: Simulator) -> None:
    miner = await start(sim, password="hunter2")
    assert await post(miner, "/miner", "Stop") == {"result": False, "error": "BadPassword"}
    assert miner.state.hashrate > 0
    assert await post(miner, "/miner", "Stop", "hunter2") == {"result": True, "error": None}
    assert miner.state.hashrate == 0
    assert await post(miner, "/password", "newpass", "hunter2") == {"result": True, "error": None}
    assert (await post(miner, "/miner", "Autostart", "hunter2"))["error"] == "BadPassword"
    assert (await post(miner, "/miner", "Autostart", "newpass"))["result"] is True


async def test_controls_change_the_state(sim: Simulator) -> None:
    miner = await start(sim, model="Antminer S19 XP")
    assert (await post(miner, "/miner", "Stop"))["result"] is True
    summary = await get(miner, "/summary")
    assert summary["Status"]["Operating State"] == "Idling"
    assert sum(board["Hashrate"][0] for board in summary["HBs"]) == 0
    assert (await post(miner, "/miner", "Autostart"))["result"] is True
    assert (await get(miner, "/summary"))["Status"]["Operating State"] == "Mining"
    # power target through the tuner
    before = miner.state.power
    reply = await post(miner, "/perpetualtune/algo", {"algo": "PowerTune", "target": 2200})
    assert reply["result"] is True
    assert miner.state.power < before * 0.8
    summary = await get(miner, "/summary")
    assert summary["PerpetualTune"]["Algorithm"]["PowerTune"]["Target"] == 2200
    assert summary["PresetInfo"]["Target Power"] == 2200
    reply = await post(miner, "/perpetualtune/algo", {"algo": "VoltageOptimizer", "target": 100})
    assert reply["result"] is True
    assert 95_000 < miner.state.expected_hashrate < 105_000
    assert (await post(miner, "/perpetualtune", False))["result"] is True
    assert (await get(miner, "/perpetualtune"))["Enable"] is False
    # fans
    assert (await post(miner, "/fanspeed", {"Manual": 70}))["result"] is True
    summary = await get(miner, "/summary")
    assert summary["Fans"]["Fan Mode"] == {"Manual": 70}
    assert miner.state.fan_percent == 70
    auto = {"Auto": {"Idle Speed": 30, "Target Temperature": 65}}
    assert (await post(miner, "/fanspeed", auto))["result"] is True
    assert (await get(miner, "/summary"))["Fans"]["Fan Mode"] == auto
    # LED
    assert (await post(miner, "/identify", True))["result"] is True
    assert (await get(miner, "/summary"))["Misc"]["Locate Miner State"] is True
    # pools
    pools = [
        {"pool": "stratum+tcp://pool.example:3333", "login": "me.1", "password": "x"},
        {"pool": "stratum+tcp://backup.example:443", "login": "me.2", "password": "x"},
        {"pool": "stratum+tcp://third.example:700", "login": "me.3", "password": "x"},
    ]
    reply = await post(
        miner, "/coin", {"coin": "BTC", "stratum_configs": pools, "unique_id": False}
    )
    assert reply == {"result": True, "error": None}
    summary = await get(miner, "/summary")
    assert summary["StratumConfigs"] == pools
    assert summary["Stratum"]["Current Pool"] == "pool.example:3333"
    assert summary["Stratum"]["Current User"] == "me.1"
    reply = await post(miner, "/coin", {"coin": "BTC", "stratum_configs": pools * 2})
    assert reply == {"result": False, "error": "InvalidPoolConfig"}


async def test_reboot_and_softreboot(sim: Simulator) -> None:
    miner = await start(sim)
    miner.state.uptime = 500.0
    assert (await post(miner, "/softreboot", None))["result"] is True
    assert miner.state.uptime < 5
    assert miner.is_up
    assert (await post(miner, "/reboot", 0)) == {"result": True, "error": None}
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert (await get(miner, "/summary"))["Session"]["Uptime"] < 2


def firmware_zip(swu: str = "UMC-1.6.0.swu") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(swu, b"swu image" * 100)
    return buffer.getvalue()


async def upload(miner: SimulatedMiner, body: bytes, checksum: str, password: str) -> Any:
    form = aiohttp.FormData()
    form.add_field("checksum", checksum)
    form.add_field("keepsettings", "true")
    form.add_field("update.zip", body, filename="update.zip", content_type="application/zip")
    form.add_field("password", password)
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.post(api(miner, "/systemupdate"), data=form) as reply,
    ):
        assert reply.status == 200
        return json.loads(await reply.text())


async def test_firmware_update(sim: Simulator) -> None:
    miner = await start(sim)
    good = firmware_zip()
    digest = hashlib.sha256(good).hexdigest()
    assert await upload(miner, good, digest, "wrong") == {"result": False, "error": "BadPassword"}
    assert await upload(miner, good, "0" * 64, "letmein") == {
        "result": False,
        "error": "InvalidChecksum",
    }
    junk = b"not a zip at all"
    reply = await upload(miner, junk, hashlib.sha256(junk).hexdigest(), "letmein")
    assert reply == {"result": False, "error": "BadUpdateFile"}
    empty = firmware_zip("readme.txt")
    reply = await upload(miner, empty, hashlib.sha256(empty).hexdigest(), "letmein")
    assert reply == {"result": False, "error": "MissingSwuFile"}
    assert await upload(miner, good, digest, "letmein") == {"result": True, "error": None}
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert (await get(miner, "/summary"))["Software"] == "PowerPlay-BMS v1.6.0"


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await start(sim)
    miner.set_fault(Fault.BAD_JSON, path="/summary")
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(api(miner, "/summary")) as reply,
    ):
        with pytest.raises(ValueError):
            json.loads(await reply.text())
    assert (await get(miner, "/capabilities"))["Model"]
    miner.clear_fault()
    miner.set_fault(Fault.HTTP_500)
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(f"http://{miner.host}:{miner.port}/") as page,
    ):
        assert page.status == 500
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(miner, "/summary")
