"""Raw conversations with the simulated re-brands (no project client): the shapes public
evidence shows for Hiveon, MaraFW's kaonsu API, Elphapex's own CGI scripts and the blackMiner
firmware of Hammer and VolcMiner (see tests/simulator/README.md for what is verified)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.antminer_rebrands import BlackMiner

from .test_simulator_antminer import command, get_json, session, sim, url

pytestmark = pytest.mark.usefixtures("socket_enabled")
__all__ = ["sim"]

# Keys of a recorded Elphapex DG1+ (firmware DG1+_SW_V1.0.2), as published in pyasic's tests.
ELPHAPEX_CHAIN_KEYS = {
    "freq_avg", "index", "sn", "temp_chip", "eeprom_loaded", "rate_15m", "hw", "temp_pcb",
    "failrate", "asic", "rate_real", "asic_num", "temp_pic", "rate_ideal", "hashrate",
}  # fmt: skip
ELPHAPEX_STATS_KEYS = {
    "rate_unit", "elapsed", "rate_30m", "rate_5s", "hwp_total", "rate_ideal", "chain",
    "rate_15m", "chain_num", "fan", "rate_avg", "fan_num",
}  # fmt: skip
ELPHAPEX_POOL_KEYS = {
    "diffs", "diffr", "index", "user", "lsdiff", "lstime", "diffa", "accepted", "diff1",
    "stale", "diff", "rejected", "status", "getworks", "priority", "url",
}  # fmt: skip
ELPHAPEX_CONF_KEYS = {
    "pools", "fc-voltage", "fc-fan-ctrl", "fc-freq-level", "fc-fan-pwm", "algo",
    "fc-work-mode", "fc-freq",
}  # fmt: skip
# Keys of a recorded Hammer D10's RPC replies (ccminer 2.3.3), likewise.
BLACKMINER_SUMMARY_KEYS = {
    "Elapsed", "MHS 5s", "MHS av", "Found Blocks", "Getworks", "Accepted", "Rejected",
    "Hardware Errors", "Utility", "Discarded", "Stale", "Get Failures", "Local Work",
    "Remote Failures", "Network Blocks", "Total MH", "Work Utility", "Difficulty Accepted",
    "Difficulty Rejected", "Difficulty Stale", "Best Share", "Device Hardware%",
    "Device Rejected%", "Pool Rejected%", "Pool Stale%", "Last getwork",
}  # fmt: skip


async def post_json(miner: SimulatedMiner, path: str, body: Any) -> tuple[int, Any]:
    async with session() as http, http.post(url(miner, path), json=body) as response:
        return response.status, json.loads(await response.text())


async def test_hiveon_names_the_model_as_real_hiveon_does(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="hiveon", model="Antminer S19j Pro"))
    version = (await command(miner, "version"))["VERSION"][0]
    assert version["Type"] == "Antminer S19JPRO Hiveon"
    assert version["CompileTime"] == "Fri Apr 19 10:58:21 UTC 2024"


async def test_elphapex_cgi_shapes(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="elphapex"))
    stats = await get_json(miner, "/cgi-bin/stats.cgi")
    assert set(stats) == {"STATUS", "INFO", "STATS"}
    assert stats["STATUS"]["api_version"] == "1.0.0"
    entry = stats["STATS"][0]
    assert set(entry) == ELPHAPEX_STATS_KEYS
    assert entry["rate_unit"] == "MH/s"
    assert all(isinstance(rpm, str) for rpm in entry["fan"])
    chain = entry["chain"][0]
    assert set(chain) == ELPHAPEX_CHAIN_KEYS
    assert [type(value) for value in chain["temp_chip"]] == [str] * 4
    assert 30_000 < int(chain["temp_chip"][0]) < 120_000  # thousandths of a degree
    assert len(entry["chain"]) == 4
    pools = await get_json(miner, "/cgi-bin/pools.cgi")
    assert set(pools["POOLS"][0]) == ELPHAPEX_POOL_KEYS
    summary = await get_json(miner, "/cgi-bin/summary.cgi")
    assert summary["SUMMARY"][0]["rate_unit"] == "MH/s"
    assert {item["type"] for item in summary["SUMMARY"][0]["status"]} == {
        "rate", "network", "fans", "temp",
    }  # fmt: skip
    info = await get_json(miner, "/cgi-bin/get_system_info.cgi")
    assert (info["minertype"], info["system_filesystem_version"]) == ("DG1+", "DG1+_SW_V1.0.2")
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert set(conf) == ELPHAPEX_CONF_KEYS


async def test_elphapex_configuration_writes_take_fc_keys(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="elphapex"))
    status, reply = await post_json(
        miner,
        "/cgi-bin/set_miner_conf.cgi",
        {
            "fc-fan-ctrl": True,
            "fc-fan-pwm": "60",
            "fc-freq-level": "100",
            "miner-mode": 1,
            "pools": [{"url": "stratum+tcp://p:1", "user": "u", "pass": "x"}],
        },
    )
    assert (status, reply["stats"]) == (200, "success")
    conf = await get_json(miner, "/cgi-bin/get_miner_conf.cgi")
    assert (conf["fc-work-mode"], conf["fc-fan-ctrl"], conf["fc-fan-pwm"]) == (1, True, "60")
    assert miner.state.paused
    status, reply = await post_json(miner, "/cgi-bin/set_miner_conf.cgi", {"miner-mode": 9})
    assert reply["code"] == "M001"


@pytest.mark.parametrize("family", ["hammer", "volcminer"])
async def test_blackminer_rpc_is_ccminer_in_mh(sim: Simulator, family: str) -> None:
    miner = await sim.start(MinerSpec(family=family))
    assert BlackMiner.real_ports["rpc"] == 8359
    version = await command(miner, "version")
    assert version["STATUS"][0]["Description"] == "ccminer 2.3.3"
    assert set(version["VERSION"][0]) == {"CGMiner", "API", "Miner", "CompileTime", "Type"}
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert set(summary) == BLACKMINER_SUMMARY_KEYS
    assert float(summary["MHS 5s"]) > 1000  # MH/s of a scrypt box
    stats = (await command(miner, "stats", new_api=True))["STATS"]
    assert len(stats) == 2  # never the new_api shape
    assert "rate_unit" not in stats[1]
    assert "total_rateideal" not in stats[1]
    assert stats[1]["chain_acn4"] == 0
    assert stats[1]["chain_rate4"] == ""
    assert float(stats[1]["chain_rate1"]) > 0


async def test_volcminer_default_password(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="volcminer"))
    assert miner.credentials() == {"username": "root", "password": "ltc@dog"}
    info = await get_json(
        miner, "/cgi-bin/get_system_info.cgi", username="root", password="ltc@dog"
    )
    assert info["minertype"] == "VolcMiner D1"


async def test_marafw_rest_api_controls(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="marafw"))
    config = await get_json(miner, "/kaonsu/v1/miner_config")
    config["mode"] = {
        "work-mode-selector": "Auto",
        "concorde": {"mode-select": "PowerTarget", "power-target": 2000},
    }
    status, reply = await post_json(miner, "/kaonsu/v1/miner_config", config)
    assert status == 200
    assert reply["mode"]["concorde"]["power-target"] == 2000
    assert miner.state.power == pytest.approx(2000, rel=0.02)
    config["mode"]["concorde"]["power-target"] = 99_999
    status, reply = await post_json(miner, "/kaonsu/v1/miner_config", config)
    assert (status, reply) == (400, {"error": "power target must be 1000-4000 W"})
    status, reply = await post_json(miner, "/kaonsu/v1/miner_config", {"mode": "x"})
    assert status == 400
    config["mode"] = {"work-mode-selector": "Turbo"}
    assert (await post_json(miner, "/kaonsu/v1/miner_config", config))[0] == 400

    assert (await post_json(miner, "/kaonsu/v1/locate_miner", {"blinking": True}))[1] == {
        "blinking": True
    }
    assert (await post_json(miner, "/kaonsu/v1/locate_miner", {"blinking": "on"}))[0] == 400
    assert (await get_json(miner, "/kaonsu/v1/locate_miner")) == {"blinking": True}
    assert (await post_json(miner, "/kaonsu/v1/maintenance", {"type": "reload"}))[0] == 200
    assert miner.restarts == 1  # type: ignore[attr-defined]
    assert (await post_json(miner, "/kaonsu/v1/maintenance", {"type": "x"}))[0] == 400

    pools = await get_json(miner, "/kaonsu/v1/pools")
    assert [pool["priority"] for pool in pools] == [0, 1]
    boards = (await get_json(miner, "/kaonsu/v1/hashboards"))["hashboards"]
    assert [board["asic_num"] for board in boards] == [110] * 3
    fans = (await get_json(miner, "/kaonsu/v1/fans"))["fans"]
    assert len(fans) == 4
    assert (await get_json(miner, "/kaonsu/v1/network_config"))["hostname"] == "Antminer"
