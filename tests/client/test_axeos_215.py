"""The AxeOS client against a simulated ESP-Miner 2.15 board, whose pools live in slots.

2.15 reports ``pools`` (up to eight slots) with ``primaryPoolIndex``/``secondaryPoolIndex``
and still reports the old flat ``stratumURL``… keys, read from the selected slots; it takes
pool changes only as slot records and ignores the flat keys in a PATCH.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.asic.client import PoolConfig, create_miner
from custom_components.asic.client.families.axeos import AxeOSMiner
from tests.simulator import MinerSpec, SimulatedMiner, Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

FIRMWARE = "v2.15.0"


@pytest.fixture
async def board(simulator: Simulator) -> SimulatedMiner:
    """A Bitaxe GT on 2.15 whose primary and fallback are slots 2 and 5 (slots 0 and 1 idle)."""
    miner = await simulator.start(
        MinerSpec(model="Bitaxe GT", firmware=FIRMWARE, hostname="gt-215")
    )
    async with aiohttp.ClientSession() as http:
        base = f"http://{miner.host}:{miner.port}"
        body = {
            "pools": [
                {
                    "id": 2,
                    "stratumURL": "primary.example.org",
                    "stratumPort": 3333,
                    "stratumUser": "bc1qprimary.gt",
                    "stratumPassword": "p-secret",
                    "stratumSuggestedDifficulty": 2048,
                    "stratumTLS": 1,
                },
                {
                    "id": 5,
                    "stratumURL": "fallback.example.org",
                    "stratumPort": 4444,
                    "stratumUser": "bc1qfallback.gt",
                },
            ],
            "primaryPoolIndex": 2,
            "secondaryPoolIndex": 5,
        }
        async with http.patch(f"{base}/api/system", json=body) as response:
            assert response.status == 200
    # The firmware reads the selectors at boot.
    miner.reboot()
    await miner.wait_until_down()
    await miner.wait_until_up()
    return miner


def client_for(miner: SimulatedMiner, session: aiohttp.ClientSession) -> AxeOSMiner:
    client = create_miner("axeos", miner.host, session, port=miner.port)
    assert isinstance(client, AxeOSMiner)
    return client


async def raw_info(miner: SimulatedMiner, session: aiohttp.ClientSession) -> dict[str, Any]:
    async with session.get(f"http://{miner.host}:{miner.port}/api/system/info") as response:
        info = await response.json()
    assert isinstance(info, dict)
    return info


def slot(info: dict[str, Any], index: int) -> dict[str, Any]:
    found: list[dict[str, Any]] = [pool for pool in info["pools"] if pool["id"] == index]
    assert len(found) == 1, f"slot {index} not reported"
    return found[0]


async def test_read_reports_the_selected_slots(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    data = await client_for(board, session).read()
    assert data.firmware_version == FIRMWARE
    assert data.model == "Bitaxe GT"
    assert [(pool.index, pool.url, pool.user) for pool in data.pools] == [
        (0, "stratum+tcp://primary.example.org:3333", "bc1qprimary.gt"),
        (1, "stratum+tcp://fallback.example.org:4444", "bc1qfallback.gt"),
    ]
    primary, fallback = data.pools
    assert (primary.active, fallback.active) == (True, False)
    assert data.active_pool is primary
    assert primary.accepted is not None


async def test_read_follows_a_switch_to_the_fallback_slot(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    board.state.using_fallback = True
    data = await client_for(board, session).read()
    primary, fallback = data.pools
    assert (primary.active, fallback.active) == (False, True)
    assert data.using_fallback_pool is True


async def test_set_pools_writes_the_selected_slots_and_nothing_else(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = client_for(board, session)
    await client.read()
    await client.set_fan(auto=False, percent=65)
    before = board.state
    frequency, voltage = before.frequency, before.core_voltage
    idle = await raw_info(board, session)

    await client.set_pools(
        [
            PoolConfig("stratum+tcp://new-primary.example.org:5555", "bc1qnew.gt", "n-secret"),
            PoolConfig("new-fallback.example.org:6666", "bc1qnew.backup"),
        ]
    )

    state = board.state
    primary, fallback = state.pools
    assert (primary.url, primary.port, primary.user, primary.password) == (
        "new-primary.example.org",
        5555,
        "bc1qnew.gt",
        "n-secret",
    )
    assert (fallback.url, fallback.port, fallback.user, fallback.password) == (
        "new-fallback.example.org",
        6666,
        "bc1qnew.backup",
        "x",
    )
    # Untouched: clock, voltage, fan, hostname, the slot selection and the idle slots.
    assert (state.frequency, state.core_voltage) == (frequency, voltage)
    assert (state.fan_auto, state.manual_fan_percent) == (False, 65)
    assert state.hostname == "gt-215"
    info = await raw_info(board, session)
    assert (info["primaryPoolIndex"], info["secondaryPoolIndex"]) == (2, 5)
    assert (info["stratumURL"], info["fallbackStratumURL"]) == (
        "new-primary.example.org",
        "new-fallback.example.org",
    )
    assert slot(info, 0) == slot(idle, 0)
    assert slot(info, 1) == slot(idle, 1)
    # The slot's other settings survive the write (2.15 replaces a slot record whole).
    assert slot(info, 2)["stratumSuggestedDifficulty"] == 2048
    assert slot(info, 2)["stratumTLS"] == 1
    assert info["hostname"] == "gt-215"

    data = await client.read()
    assert [pool.url for pool in data.pools] == [
        "stratum+tcp://new-primary.example.org:5555",
        "stratum+tcp://new-fallback.example.org:6666",
    ]


async def test_set_one_pool_keeps_the_fallback_slot(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = client_for(board, session)
    await client.read()
    await client.set_pools([PoolConfig("solo.example.org:3333", "bc1qsolo")])
    primary, fallback = board.state.pools
    assert (primary.url, primary.user) == ("solo.example.org", "bc1qsolo")
    assert (fallback.url, fallback.port) == ("fallback.example.org", 4444)


async def test_set_pools_works_without_a_read_first(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    """A fresh client (e.g. right after the board was updated to 2.15) still writes slots."""
    await client_for(board, session).set_pools([PoolConfig("first.example.org:1234", "me")])
    assert board.state.primary_pool.url == "first.example.org"


async def test_a_legacy_only_write_would_not_have_worked(
    board: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    """What the client did for 2.14 (flat keys in a PATCH) is accepted by 2.15 and ignored."""
    before = await raw_info(board, session)
    legacy = {
        "stratumURL": "legacy.example.org",
        "stratumPort": 3333,
        "stratumUser": "legacy-user",
        "stratumPassword": "legacy",
        "fallbackStratumURL": "legacy-fallback.example.org",
        "fallbackStratumPort": 4444,
        "fallbackStratumUser": "legacy-fallback",
    }
    url = f"http://{board.host}:{board.port}/api/system"
    async with session.patch(url, json=legacy) as response:
        assert response.status == 200  # no error: the keys are simply not in 2.15's table
    after = await raw_info(board, session)
    for key in ("stratumURL", "stratumUser", "fallbackStratumURL", "fallbackStratumUser"):
        assert after[key] == before[key]
    assert after["pools"] == before["pools"]
    assert board.state.primary_pool.url == "primary.example.org"
    # The client's write, by contrast, lands.
    await client_for(board, session).set_pools([PoolConfig("slot.example.org:3333", "me")])
    assert (await raw_info(board, session))["stratumURL"] == "slot.example.org"
