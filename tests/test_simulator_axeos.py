"""The simulator's AxeOS boards, spoken to with plain aiohttp (not the project's client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from tests.simulator import (
    Fault,
    MinerSpec,
    SimulatedMiner,
    Simulator,
    build_app_image,
    build_www_image,
    load_fleet,
    read_app_version,
)
from tests.simulator.control import ControlServer
from tests.simulator.fleet import parse_fleet

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "real"
REBOOT_SECONDS = 0.2
QUICK = aiohttp.ClientTimeout(total=2)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # A new connection per request, as after a reboot a kept-alive one would be stale.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=QUICK) as session:
        yield session


def url(miner: SimulatedMiner, path: str) -> str:
    return f"http://{miner.host}:{miner.port}{path}"


async def get_info(http: aiohttp.ClientSession, miner: SimulatedMiner) -> dict[str, Any]:
    async with http.get(url(miner, "/api/system/info")) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        info = await response.json()
    assert isinstance(info, dict)
    return info


async def patch(http: aiohttp.ClientSession, miner: SimulatedMiner, body: Any) -> tuple[int, str]:
    async with http.patch(url(miner, "/api/system"), json=body) as response:
        return response.status, await response.text()


async def post(
    http: aiohttp.ClientSession, miner: SimulatedMiner, path: str, data: bytes | None = None
) -> tuple[int, str]:
    headers = {"Content-Type": "application/octet-stream"} if data is not None else None
    async with http.post(url(miner, path), data=data, headers=headers) as response:
        return response.status, await response.text()


def json_kind(value: Any) -> str:
    """The JSON type of a value: cJSON prints whole numbers without a decimal point."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def real_reply(relative: str) -> dict[str, Any]:
    path = REAL_FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"recorded real replies not found at {path} (they live beside the repository)")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


async def connection_refused(miner: SimulatedMiner) -> bool:
    try:
        _reader, writer = await asyncio.open_connection(miner.host, miner.port)
    except ConnectionRefusedError:
        return True
    writer.close()
    await writer.wait_closed()
    return False


# --- reply shapes ---------------------------------------------------------------------------


async def test_older_info_has_the_keys_and_types_of_a_real_reply(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    real = real_reply("bitaxe/v2_0_0/system_info.json")
    miner = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    info = await get_info(http, miner)
    assert sorted(info) == sorted(real)
    kinds = {key: json_kind(value) for key, value in info.items()}
    assert kinds == {key: json_kind(value) for key, value in real.items()}
    assert info["ASICModel"] == "BM1368"
    assert info["boardVersion"] == real["boardVersion"]
    assert info["smallCoreCount"] == real["smallCoreCount"]
    assert info["version"] == "v2.4.5"


async def test_newer_info_keeps_the_common_fields_and_adds_newer_ones(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    real = real_reply("bitaxe/v2_0_0/system_info.json")
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    info = await get_info(http, miner)
    # Fields that newer firmware dropped or renamed since 2.4.
    dropped = {"asicCount", "stratumDiff", "flipscreen", "invertfanpolarity"}
    assert set(real) - set(info) == dropped
    for key in set(real) - dropped - {"bestDiff", "bestSessionDiff"}:
        assert json_kind(info[key]) == json_kind(real[key]), key
    assert json_kind(info["bestDiff"]) == "number"  # a string ("483k") in 2.4
    for key in ("expectedHashrate", "hashRate_1m", "hashRate_10m", "hashRate_1h"):
        assert json_kind(info[key]) == "number"
    assert info["miningPaused"] is False
    assert info["axeOSVersion"] == info["version"] == "v2.14.2"
    assert json_kind(info["errorPercentage"]) == "number"
    assert info["ASICModel"] == "BM1370"
    assert info["macAddr"] == miner.mac


async def test_asic_route_exists_on_newer_firmware_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    newer = await sim.start(MinerSpec(model="Bitaxe GT"))
    async with http.get(url(newer, "/api/system/asic")) as response:
        assert response.status == 200
        asic = await response.json()
    assert asic["ASICModel"] == "BM1370"
    assert asic["deviceModel"] == "GammaTurbo"
    assert asic["asicCount"] == 2
    assert 525 in asic["frequencyOptions"]
    assert 1150 in asic["voltageOptions"]

    older = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    async with http.get(url(older, "/api/system/asic"), allow_redirects=False) as response:
        assert response.status == 302  # the firmware's captive-portal redirect for unknown files
        assert response.headers["Location"] == "/"

    async with http.get(url(newer, "/api/system/nothing")) as response:
        assert response.status == 404
        assert await response.json() == {"error": "unknown route"}


async def test_root_page_is_axeos(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="NerdQAxe++"))
    async with http.get(url(miner, "/")) as response:
        assert response.status == 200
        assert "<title>AxeOS</title>" in await response.text()


async def test_models_have_their_chips_and_identity(sim: Simulator) -> None:
    gamma = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    nerd = await sim.start(MinerSpec(model="NerdQAxe++", mac="aa-bb-cc-dd-ee-ff"))
    assert (gamma.state.asic_model, gamma.state.asic_count) == ("BM1370", 1)
    assert (nerd.state.asic_model, nerd.state.asic_count) == ("BM1370", 4)
    assert nerd.mac == "AA:BB:CC:DD:EE:FF"
    assert gamma.state.hostname.startswith("bitaxe-")
    again = Simulator()
    assert (await again.start(MinerSpec(model="Bitaxe Gamma"))).mac == gamma.mac
    await again.stop()
    with pytest.raises(ValueError, match="unknown AxeOS model"):
        await sim.start(MinerSpec(model="Bitaxe Omega"))


async def test_readings_follow_settings(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    state = miner.state
    assert state.expected_hashrate == pytest.approx(525 * 2040 * 1 / 1000)
    assert 0.97 <= state.hashrate / state.expected_hashrate <= 1.03
    power_before, temp_before = state.power, state.temp
    state.frequency = 625
    state.core_voltage = 1250
    state = miner.state
    assert state.expected_hashrate == pytest.approx(625 * 2040 / 1000)
    assert state.power > power_before * 1.3
    assert state.temp >= temp_before - 1
    uptime = state.uptime
    await asyncio.sleep(0.05)
    assert miner.state.uptime > uptime


# --- settings -------------------------------------------------------------------------------


async def test_patch_changes_settings_and_the_next_read_shows_them(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    status, text = await patch(
        http,
        miner,
        {
            "FREQUENCY": 600,  # keys match whatever their case
            "coreVoltage": 1200,
            "autofanspeed": 0,
            "manualFanSpeed": 80,
            "fanspeed": 80,  # unknown to this firmware: ignored
            "hostname": "rack-7",
            "stratumURL": "pool.example.org",
            "stratumPort": 4334,
            "stratumUser": "bc1qexample.worker",
            "stratumPassword": "secret",
            "fallbackStratumURL": "backup.example.org",
            "fallbackStratumPort": 3333,
            "temptarget": 55,
        },
    )
    assert (status, text) == (200, "")
    info = await get_info(http, miner)
    assert info["frequency"] == 600
    assert info["coreVoltage"] == 1200
    assert info["autofanspeed"] == 0
    assert info["manualFanSpeed"] == info["fanspeed"] == 80
    assert info["hostname"] == "rack-7"
    assert (info["stratumURL"], info["stratumPort"]) == ("pool.example.org", 4334)
    assert info["stratumUser"] == "bc1qexample.worker"
    assert "stratumPassword" not in info
    assert miner.state.primary_pool.password == "secret"
    assert (info["fallbackStratumURL"], info["fallbackStratumPort"]) == ("backup.example.org", 3333)
    assert info["temptarget"] == 55
    assert info["expectedHashrate"] == pytest.approx(600 * 2040 / 1000)


@pytest.mark.parametrize(
    "body",
    [
        {"temptarget": 99},
        {"frequency": "fast"},
        {"frequency": 0},
        {"coreVoltage": 70000},
        {"hostname": "x" * 33},
        {"hostname": ""},
        {"manualFanSpeed": 101},
        {"autofanspeed": 2},
        {"stratumPort": -1},
        {"rotation": 45},
        {"stratumURL": 7},
        {"frequency": 600, "temptarget": 20},  # one bad value refuses the whole request
    ],
)
async def test_patch_refuses_wrong_input(
    sim: Simulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    assert await patch(http, miner, body) == (400, "Wrong API input")
    assert miner.state.frequency == 525
    assert miner.state.temp_target == 60


async def test_patch_refuses_what_is_not_json(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    async with http.patch(url(miner, "/api/system"), data=b"{frequency") as response:
        assert (response.status, await response.text()) == (400, "Invalid JSON")
    assert await patch(http, miner, {"nonsense": 1}) == (200, "")


async def test_older_firmware_stores_without_checks(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    assert await patch(http, miner, {"fanspeed": 70, "autofanspeed": 0, "temptarget": 99}) == (
        200,
        "",
    )
    info = await get_info(http, miner)
    assert (info["autofanspeed"], info["fanspeed"]) == (0, 70)


# --- ESP-Miner 2.15: pool slots -------------------------------------------------------------

SLOT_KEYS = [
    "id",
    "stratumProtocol",
    "stratumURL",
    "stratumPort",
    "stratumUser",
    "stratumPassword",
    "stratumSuggestedDifficulty",
    "stratumExtranonceSubscribe",
    "stratumTLS",
    "stratumCert",
    "stratumDecodeCoinbase",
    "stratumV2ChannelType",
    "stratumV2AuthorityPubkey",
    "stratumV2RequireAuth",
]


def slot_body(slot: int | None = None, **fields: Any) -> dict[str, Any]:
    """A valid slot record (URL, port and user are required), with ``fields`` over it."""
    tag = "" if slot is None else str(slot)
    body: dict[str, Any] = {
        "stratumURL": f"pool{tag}.example.org",
        "stratumPort": 3000 + (slot or 0),
        "stratumUser": f"bc1qslot{tag}",
    }
    if slot is not None:
        body = {"id": slot} | body
    return body | fields


def slots_of(info: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {pool["id"]: pool for pool in info["pools"]}


async def send(
    http: aiohttp.ClientSession,
    miner: SimulatedMiner,
    method: str,
    path: str,
    body: Any = None,
    data: bytes | None = None,
) -> tuple[int, str]:
    async with http.request(method, url(miner, path), json=body, data=data) as response:
        return response.status, await response.text()


async def reboot(miner: SimulatedMiner) -> None:
    miner.reboot()
    await miner.wait_until_down()
    await miner.wait_until_up()


async def board_215(sim: Simulator) -> SimulatedMiner:
    return await sim.start(MinerSpec(model="Bitaxe GT", firmware="v2.15.0"))


async def test_215_info_lists_the_slots_and_keeps_the_flat_keys(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await board_215(sim)
    info = await get_info(http, miner)
    assert (info["primaryPoolIndex"], info["secondaryPoolIndex"]) == (0, 1)
    slots = slots_of(info)
    assert sorted(slots) == [0, 1]
    assert all(list(pool) == SLOT_KEYS for pool in info["pools"])
    assert {pool["stratumPassword"] for pool in info["pools"]} == {"*****"}
    primary, fallback = miner.state.pools
    assert (info["stratumURL"], info["stratumPort"], info["stratumUser"]) == (
        slots[0]["stratumURL"],
        slots[0]["stratumPort"],
        slots[0]["stratumUser"],
    )
    assert (primary.url, primary.port) == (slots[0]["stratumURL"], slots[0]["stratumPort"])
    assert (info["fallbackStratumURL"], fallback.url) == (slots[1]["stratumURL"],) * 2
    assert "stratumPassword" not in info
    keys = list(info)
    # 2.15's order: selectors and slots after isUsingFallbackStratum, then the flat keys.
    order = [
        "isUsingFallbackStratum",
        "primaryPoolIndex",
        "secondaryPoolIndex",
        "useFallbackStratum",
        "pools",
        "stratumURL",
        "stratumV2ChannelType",
        "fallbackStratumURL",
        "fallbackStratumV2ChannelType",
        "useCustomWWW",
        "overclockEnabled",
        "hashrateMonitor",
        "partitions",
        "sharesRejectedReasons",
    ]
    assert [keys.index(key) for key in order] == sorted(keys.index(key) for key in order)
    for key in ("sharesPending", "workReceived", "minFreeHeap", "maxAllocHeap", "totalHashes"):
        assert key in info
    assert [part["label"] for part in info["partitions"]] == ["factory", "ota_0", "ota_1"]
    older = await get_info(http, await sim.start(MinerSpec(model="Bitaxe GT")))
    assert not {"pools", "primaryPoolIndex", "partitions", "useCustomWWW"} & set(older)


async def test_215_patch_writes_slots_as_whole_records(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await board_215(sim)
    first = slot_body(0, stratumPassword="s3cret", stratumTLS=1, stratumSuggestedDifficulty=2048)
    assert await patch(http, miner, {"pools": [first, slot_body(6)]}) == (200, "")
    slots = slots_of(await get_info(http, miner))
    assert sorted(slots) == [0, 1, 6]
    assert (slots[0]["stratumURL"], slots[0]["stratumTLS"]) == ("pool0.example.org", 1)
    assert slots[0]["stratumSuggestedDifficulty"] == 2048
    assert miner.state.primary_pool.password == "s3cret"
    # "*****" (what info shows) keeps the stored password; fields left out take defaults.
    again = slot_body(0, stratumPassword="*****", stratumURL="other.example.org")
    assert await patch(http, miner, {"pools": [again]}) == (200, "")
    slot = slots_of(await get_info(http, miner))[0]
    assert (slot["stratumURL"], slot["stratumTLS"], slot["stratumSuggestedDifficulty"]) == (
        "other.example.org",
        0,
        0,
    )
    assert miner.state.primary_pool.password == "s3cret"
    # No password at all stores "x"; key names match whatever their case.
    body = {"ID": 0, "StratumUrl": "case.example.org", "STRATUMPORT": 1, "stratumuser": "u"}
    assert await patch(http, miner, {"Pools": [body]}) == (200, "")
    assert (await get_info(http, miner))["stratumURL"] == "case.example.org"
    assert miner.state.primary_pool.password == "x"


async def test_215_ignores_the_old_pool_keys(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await board_215(sim)
    before = await get_info(http, miner)
    body = {
        "stratumURL": "legacy.example.org",
        "stratumPort": 99999,  # 2.14 would refuse it; 2.15 does not look at the key
        "stratumUser": "legacy",
        "fallbackStratumURL": "legacy-fallback.example.org",
        "stratumTLS": 7,
        "frequency": 550,
    }
    assert await patch(http, miner, body) == (200, "")
    after = await get_info(http, miner)
    assert after["pools"] == before["pools"]
    assert (after["stratumURL"], after["fallbackStratumURL"]) == (
        before["stratumURL"],
        before["fallbackStratumURL"],
    )
    assert after["frequency"] == 550


@pytest.mark.parametrize(
    "body",
    [
        {"pools": {"id": 0}},  # not a list
        {"pools": [["not", "an", "object"]]},
        {"pools": [slot_body()]},  # no id
        {"pools": [slot_body(8)]},
        {"pools": [slot_body(-1)]},
        {"pools": [slot_body() | {"id": "1"}]},
        {"pools": [slot_body(0, stratumURL="")]},
        {"pools": [{"id": 0, "stratumURL": "pool.example.org", "stratumPort": 3333}]},
        {"pools": [slot_body(0, stratumUser="")]},
        {"pools": [slot_body(0, stratumPort=0)]},
        {"pools": [slot_body(0, stratumPort=65536)]},
        {"pools": [slot_body(0, stratumPort="3333")]},
        {"pools": [slot_body(0, stratumPassword=None)]},
        {"pools": [slot_body(0, stratumProtocol="sv1")]},
        {"pools": [slot_body(0, stratumTLS=3)]},
        {"pools": [slot_body(0, stratumSuggestedDifficulty=-1)]},
        {"pools": [slot_body(0, stratumExtranonceSubscribe="yes")]},
        {"pools": [slot_body(0, stratumV2ChannelType="Extended")]},
        {"pools": [slot_body(0, stratumV2AuthorityPubkey="k" * 129)]},
        {"pools": [slot_body(0, stratumURL="u" * 256)]},
        {"pools": [slot_body(0, stratumCert="c" * 3001)]},
        {"primaryPoolIndex": 8},
        {"secondaryPoolIndex": -1},
        {"pools": [slot_body(2), slot_body(3, stratumPort=0)], "frequency": 550},
        {"pools": [slot_body(2)], "temptarget": 99},
    ],
)
async def test_215_patch_refuses_a_bad_slot_and_stores_nothing(
    sim: Simulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    miner = await board_215(sim)
    before = await get_info(http, miner)
    assert await patch(http, miner, body) == (400, "Wrong API input")
    after = await get_info(http, miner)
    assert after["pools"] == before["pools"]
    assert after["frequency"] == before["frequency"]


async def test_215_selectors_apply_at_the_next_boot(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await board_215(sim)
    body = {"pools": [slot_body(3), slot_body(4)], "primaryPoolIndex": 3, "secondaryPoolIndex": 4}
    assert await patch(http, miner, body) == (200, "")
    info = await get_info(http, miner)
    assert (info["primaryPoolIndex"], info["stratumURL"]) == (0, "public-pool.io")
    await reboot(miner)
    info = await get_info(http, miner)
    assert (info["primaryPoolIndex"], info["secondaryPoolIndex"]) == (3, 4)
    assert (info["stratumURL"], info["stratumPort"]) == ("pool3.example.org", 3003)
    assert info["fallbackStratumURL"] == "pool4.example.org"
    assert (miner.state.primary_pool.url, miner.state.fallback_pool.url) == (
        "pool3.example.org",
        "pool4.example.org",
    )


async def test_215_put_pool(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await board_215(sim)
    path = "/api/system/pools/5"
    assert await send(http, miner, "PUT", path, slot_body(stratumTLS=2)) == (
        200,
        '{"message": "Pool updated successfully"}',
    )
    slot = slots_of(await get_info(http, miner))[5]
    assert (slot["stratumURL"], slot["stratumTLS"]) == ("pool.example.org", 2)
    # The index comes from the URI only; C's atoi reads "abc" as 0.
    assert (await send(http, miner, "PUT", "/api/system/pools/abc", slot_body(9)))[0] == 200
    assert slots_of(await get_info(http, miner))[0]["stratumURL"] == "pool9.example.org"
    assert miner.state.primary_pool.url == "pool9.example.org"
    for bad in ("/api/system/pools/8", "/api/system/pools/-1"):
        assert await send(http, miner, "PUT", bad, slot_body()) == (400, "Invalid pool index")
    assert await send(http, miner, "PUT", path, data=b"{not json") == (400, "Invalid JSON")
    assert await send(http, miner, "PUT", path, data=b"") == (400, "Invalid request length")
    assert await send(http, miner, "PUT", path, slot_body(stratumUser="")) == (
        400,
        "Invalid pool configuration payload",
    )
    assert await send(http, miner, "PUT", path, [slot_body()]) == (
        400,
        "Invalid pool configuration payload",
    )


async def test_215_delete_pool(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await board_215(sim)
    selected = "Cannot delete a pool that is currently selected as primary or fallback"
    assert await send(http, miner, "DELETE", "/api/system/pools/0") == (400, selected)
    assert await send(http, miner, "DELETE", "/api/system/pools/1") == (400, selected)
    assert await send(http, miner, "DELETE", "/api/system/pools/8") == (400, "Invalid pool index")
    assert await patch(http, miner, {"pools": [slot_body(6), slot_body(7)]}) == (200, "")
    assert await send(http, miner, "DELETE", "/api/system/pools/6") == (
        200,
        '{"message": "Pool cleared successfully"}',
    )
    assert sorted(slots_of(await get_info(http, miner))) == [0, 1, 7]
    # The check reads the stored selectors: a slot chosen for the next boot is kept too.
    assert await patch(http, miner, {"secondaryPoolIndex": 7, "primaryPoolIndex": 1}) == (200, "")
    assert await send(http, miner, "DELETE", "/api/system/pools/7") == (400, selected)
    # Slot 0 is no longer selected: cleared, it falls back to the build's default pool.
    assert await send(http, miner, "DELETE", "/api/system/pools/0") == (
        200,
        '{"message": "Pool cleared successfully"}',
    )
    slot = slots_of(await get_info(http, miner))[0]
    assert (slot["stratumURL"], slot["stratumPort"], slot["stratumUser"]) == (
        "public-pool.io",
        21496,
        "replace-this-with-your-btc-address.bitaxe",
    )


async def test_215_hostname_change_answers_with_a_redirect(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await board_215(sim)
    status, text = await patch(http, miner, {"hostname": "rack-9.local"})
    assert status == 200
    assert json.loads(text) == {
        "status": "success",
        "redirect": {
            "url": "http://rack-9.local",
            "delay": 2000,
            "message": "Hostname updated. Redirecting to new address...",
        },
    }
    assert (await get_info(http, miner))["hostname"] == "rack-9"
    assert await patch(http, miner, {"hostname": "rack-9"}) == (200, "")


async def test_pool_routes_need_215(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe GT"))
    assert await send(http, miner, "PUT", "/api/system/pools/2", slot_body()) == (
        404,
        '{"error": "unknown route"}',
    )
    assert (await send(http, miner, "DELETE", "/api/system/pools/2"))[0] == 404


async def test_update_to_215_moves_the_two_pools_into_slots(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    body = {
        "stratumURL": "mine.example.org",
        "stratumPort": 4333,
        "stratumUser": "bc1qmine",
        "stratumTLS": 1,
        "fallbackStratumURL": "spare.example.org",
        "fallbackStratumPort": 3334,
        "fallbackStratumUser": "bc1qspare",
    }
    assert await patch(http, miner, body) == (200, "")
    assert (await post(http, miner, "/api/system/OTA", build_app_image("v2.15.0")))[0] == 200
    await miner.wait_until_down()
    await miner.wait_until_up()
    info = await get_info(http, miner)
    slots = slots_of(info)
    assert (info["version"], sorted(slots)) == ("v2.15.0", [0, 1])
    assert (slots[0]["stratumURL"], slots[0]["stratumPort"], slots[0]["stratumTLS"]) == (
        "mine.example.org",
        4333,
        1,
    )
    assert (slots[1]["stratumURL"], slots[1]["stratumUser"]) == ("spare.example.org", "bc1qspare")
    assert (info["stratumURL"], info["fallbackStratumURL"]) == (
        "mine.example.org",
        "spare.example.org",
    )


# --- actions --------------------------------------------------------------------------------


async def test_restart_answers_then_is_down_then_back_with_uptime_reset(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    await asyncio.sleep(0.1)
    assert miner.state.uptime >= 0.1
    status, text = await post(http, miner, "/api/system/restart")
    assert status == 200
    assert json.loads(text) == {"message": "System will restart shortly."}
    assert await connection_refused(miner)
    started = time.monotonic()
    await miner.wait_until_up()
    assert time.monotonic() - started >= REBOOT_SECONDS * 0.5
    info = await get_info(http, miner)
    assert info["uptimeSeconds"] == 0
    assert info["resetReason"] == "Software reset via esp_restart"
    assert miner.state.reboot_count == 1


async def test_older_firmware_answers_restart_in_text(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    assert await post(http, miner, "/api/system/restart") == (200, "System will restart shortly.")
    await miner.wait_until_up()


async def test_pause_and_resume(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    mining_power = miner.state.power
    status, text = await post(http, miner, "/api/system/pause")
    assert (status, json.loads(text)) == (200, {"message": "Mining paused"})
    info = await get_info(http, miner)
    assert info["miningPaused"] is True
    assert info["hashRate"] == 0
    assert info["power"] < mining_power / 2
    status, text = await post(http, miner, "/api/system/resume")
    assert (status, json.loads(text)) == (200, {"message": "Mining resumed"})
    info = await get_info(http, miner)
    assert info["miningPaused"] is False
    assert info["hashRate"] > 0


async def test_identify_and_routes_older_firmware_lacks(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    status, text = await post(http, miner, "/api/system/identify")
    assert (status, json.loads(text)) == (200, {"message": 'The device says "Hi!" for 30 seconds.'})
    assert miner.state.identify_count == 1

    older = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    for path in ("/api/system/identify", "/api/system/pause"):
        status, _ = await post(http, older, path)
        assert status == 405
    assert "miningPaused" not in await get_info(http, older)


# --- faults ---------------------------------------------------------------------------------


async def test_offline_refuses_connections_until_cleared(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    port = miner.port
    miner.set_fault(Fault.OFFLINE)
    assert not miner.is_up
    with pytest.raises(aiohttp.ClientConnectorError):
        await get_info(http, miner)
    miner.clear_fault()
    await miner.wait_until_up()
    assert miner.port == port
    assert (await get_info(http, miner))["macAddr"] == miner.mac


async def test_hang_accepts_and_never_answers(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    miner.set_fault(Fault.HANG)
    with pytest.raises(TimeoutError):
        async with http.get(
            url(miner, "/api/system/info"), timeout=aiohttp.ClientTimeout(total=0.3)
        ):
            pass
    assert not await connection_refused(miner)


async def test_slow_answers_late(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    miner.set_fault(Fault.SLOW, delay=0.3)
    started = time.monotonic()
    await get_info(http, miner)
    assert time.monotonic() - started >= 0.3


async def test_http_500_truncated_reset_and_bad_json(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    info_url = url(miner, "/api/system/info")

    miner.set_fault(Fault.HTTP_500)
    async with http.get(info_url) as response:
        assert response.status == 500
    miner.clear_fault()

    miner.set_fault(Fault.TRUNCATED)
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get(info_url) as response:
            await response.read()
    miner.clear_fault(Fault.TRUNCATED)

    miner.set_fault(Fault.RESET)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.get(info_url):
            pass
    miner.clear_fault()

    miner.set_fault(Fault.BAD_JSON)
    async with http.get(info_url) as response:
        assert response.status == 200
        with pytest.raises(ValueError):
            json.loads(await response.text())
    miner.clear_fault()
    await get_info(http, miner)


async def test_a_fault_can_be_limited_to_one_path(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    miner.set_fault(Fault.HTTP_500, path="/api/system/asic")
    await get_info(http, miner)
    async with http.get(url(miner, "/api/system/asic")) as response:
        assert response.status == 500


# --- firmware -------------------------------------------------------------------------------


async def test_ota_accepts_an_app_image_and_comes_back_with_its_version(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    image = build_app_image("v2.15.0", size=300_000)
    status, text = await post(http, miner, "/api/system/OTA", image)
    assert (status, text) == (200, "Firmware update complete, rebooting now!\n")
    assert await connection_refused(miner)
    await miner.wait_until_up()
    info = await get_info(http, miner)
    assert info["version"] == "v2.15.0"
    assert info["uptimeSeconds"] == 0


async def test_ota_refuses_what_is_not_an_app_image(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    assert await post(http, miner, "/api/system/OTA", b"PK\x03\x04" + bytes(5000)) == (
        500,
        "Write Error",
    )
    assert await post(http, miner, "/api/system/OTA", b"") == (500, "Validation / Activation Error")
    older = await sim.start(MinerSpec(model="Bitaxe Supra", legacy=True))
    assert await post(http, older, "/api/system/OTA", b"\x00" * 100) == (500, "Flash Error")
    assert miner.state.reboot_count == older.state.reboot_count == 0


async def test_ota_faults(sim: Simulator, http: aiohttp.ClientSession) -> None:
    image = build_app_image("v2.15.0")
    rejected = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    rejected.set_fault(Fault.FIRMWARE_REJECTED)
    assert await post(http, rejected, "/api/system/OTA", image) == (
        500,
        "Validation / Activation Error",
    )

    stale = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    stale.set_fault(Fault.WRONG_VERSION_AFTER_OTA)
    assert (await post(http, stale, "/api/system/OTA", image))[0] == 200
    await stale.wait_until_down()
    await stale.wait_until_up()
    assert (await get_info(http, stale))["version"] == "v2.14.2"

    lost = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    lost.set_fault(Fault.NEVER_RETURNS)
    assert (await post(http, lost, "/api/system/OTA", image))[0] == 200
    await asyncio.sleep(REBOOT_SECONDS * 2)
    assert await connection_refused(lost)
    lost.clear_fault(Fault.NEVER_RETURNS)
    await lost.wait_until_up()
    assert (await get_info(http, lost))["version"] == "v2.15.0"


async def test_www_update_on_older_and_newer_firmware(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    www = build_www_image("v2.15.0")
    # 2.14 answers without rebooting; the new web UI shows its version after the next boot.
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    assert await post(http, miner, "/api/system/OTAWWW", www) == (200, "WWW update complete\n")
    assert (await get_info(http, miner))["axeOSVersion"] == "v2.14.2"
    assert await post(http, miner, "/api/system/OTA", build_app_image("v2.15.0")) == (
        200,
        "Firmware update complete, rebooting now!\n",
    )
    await miner.wait_until_down()
    await miner.wait_until_up()
    info = await get_info(http, miner)
    assert (info["version"], info["axeOSVersion"]) == ("v2.15.0", "v2.15.0")
    # From 2.15 the web UI update reboots by itself.
    assert await post(http, miner, "/api/system/OTAWWW", build_www_image("v2.15.1")) == (
        200,
        "WWW update complete, rebooting now!\n",
    )
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert (await get_info(http, miner))["axeOSVersion"] == "v2.15.1"


def test_app_image_round_trip() -> None:
    image = build_app_image("v2.9.0", size=4096)
    assert len(image) == 4096
    assert image[0] == 0xE9
    assert image[32:36] == bytes.fromhex("3254cdab")
    assert read_app_version(image[:80]) == "v2.9.0"
    assert read_app_version(image[:60]) is None
    assert read_app_version(b"\xe9" + bytes(100)) is None
    assert read_app_version(b"PK" + bytes(100)) is None


# --- fleets, control endpoint, command line -------------------------------------------------


def test_fleets() -> None:
    assert [spec.model for spec in load_fleet("demo")][:2] == ["Bitaxe Gamma", "Bitaxe Supra"]
    assert any(spec.firmware == "v2.15.0" for spec in load_fleet("demo"))  # a pool-slot board
    assert len(load_fleet("scale:12")) == 12
    assert {spec.model for spec in load_fleet("axeos")} >= {"Bitaxe Ultra", "LuckyMiner LV07"}
    specs = parse_fleet(
        "- {family: axeos, model: Bitaxe Ultra, count: 2}\n- {model: NerdAxe, legacy: true}\n",
        yaml_syntax=True,
    )
    assert [spec.model for spec in specs] == ["Bitaxe Ultra", "Bitaxe Ultra", "NerdAxe"]
    assert specs[2].legacy is True
    specs = parse_fleet(
        '{"miners": [{"model": "Bitaxe GT", "firmware": "v2.12.0"}]}', yaml_syntax=False
    )
    assert specs[0].firmware == "v2.12.0"
    with pytest.raises(ValueError, match="unknown miner spec keys"):
        parse_fleet('[{"modle": "Bitaxe GT"}]', yaml_syntax=False)
    with pytest.raises(ValueError, match="neither a fleet preset"):
        load_fleet("no-such-fleet")


async def test_control_endpoint(sim: Simulator, http: aiohttp.ClientSession) -> None:
    miner = await sim.start(MinerSpec(model="Bitaxe Gamma"))
    control = ControlServer(sim, 0)
    await control.start()
    base = f"http://127.0.0.1:{control.port}/miners"
    try:
        async with http.get(base) as response:
            listed = await response.json()
        assert [entry["mac"] for entry in listed] == [miner.mac]
        assert listed[0]["up"] is True
        async with http.post(f"{base}/{miner.mac}/fault", json={"fault": "offline"}) as response:
            assert response.status == 200
        assert await connection_refused(miner)
        async with http.post(f"{base}/{miner.mac}/fault", json={"fault": "melted"}) as response:
            assert response.status == 400
        async with http.delete(f"{base}/{miner.host}:{miner.port}/fault") as response:
            assert response.status == 200
        await miner.wait_until_up()
        async with http.get(f"{base}/00:00:00:00:00:00") as response:
            assert response.status == 404
    finally:
        await control.stop()


def test_command_line_prints_one_line_per_miner() -> None:
    command = [
        sys.executable,
        "-m",
        "tests.simulator",
        "--fleet",
        "scale:3",
        "--no-real-ports",
        "--reboot-seconds",
        "0.2",
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        miners = [json.loads(line) for line in lines]
        for miner in miners:
            assert set(miner) == {
                "host",
                "ports",
                "family",
                "model",
                "firmware",
                "mac",
                "credentials",
            }
            assert miner["host"] == "127.0.0.1"
            assert miner["family"] == "axeos"
            assert miner["credentials"] is None
            assert isinstance(miner["ports"]["web"], int)
        assert len({miner["mac"] for miner in miners}) == 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


async def test_stopping_leaves_nothing_running() -> None:
    before = asyncio.all_tasks()
    simulator = Simulator(reboot_seconds=5)
    miner = await simulator.start(MinerSpec(model="Bitaxe Gamma"))
    other = await simulator.start(MinerSpec(model="Bitaxe Ultra"))
    miner.set_fault(Fault.HANG)
    other.reboot()  # a reboot still pending when the simulator stops
    await simulator.stop_miner(miner)
    assert simulator.miners == [other]
    await simulator.stop()
    assert asyncio.all_tasks() == before
    assert await connection_refused(miner)
