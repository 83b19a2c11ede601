"""The ``asic.set_pools`` action, against the simulated Bitaxe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import DOMAIN, SERVICE_SET_POOLS
from custom_components.asic.services import has_port
from tests.simulator import Fault, PoolState, SimulatedMiner

PRIMARY = "stratum+tcp://pool.example.org:3333"
FALLBACK = "stratum+tcp://backup.example.org:4444"


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert (DOMAIN, entry.unique_id) in device.identifiers
    return device.id


async def set_pools(hass: HomeAssistant, device_id: str, **fields: str) -> None:
    data: dict[str, Any] = {ATTR_DEVICE_ID: device_id, **fields}
    await hass.services.async_call(DOMAIN, SERVICE_SET_POOLS, data, blocking=True)


async def test_set_pools_writes_primary_and_fallback(
    hass: HomeAssistant, init_integration: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    state = axeos_miner.state
    untouched = (state.frequency, state.core_voltage, state.fan_auto, state.hostname)

    await set_pools(
        hass,
        device_id_of(hass, init_integration),
        url_1=PRIMARY,
        user_1="bc1qexample.gamma",
        password_1="secret",
        url_2=FALLBACK,
        user_2="bc1qexample.backup",
    )

    state = axeos_miner.state
    assert state.pools == [
        PoolState("pool.example.org", 3333, "bc1qexample.gamma", "secret"),
        PoolState("backup.example.org", 4444, "bc1qexample.backup", "x"),
    ]
    assert (state.frequency, state.core_voltage, state.fan_auto, state.hostname) == untouched
    # The miner was read again afterwards: what HA shows is what the miner now holds.
    pools = init_integration.runtime_data.coordinator.data.pools
    assert [(pool.url, pool.user) for pool in pools] == [
        (PRIMARY, "bc1qexample.gamma"),
        (FALLBACK, "bc1qexample.backup"),
    ]


async def test_set_pools_primary_only_keeps_fallback(
    hass: HomeAssistant, init_integration: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    fallback_before = replace(axeos_miner.state.fallback_pool)  # a copy: the miner edits in place

    await set_pools(hass, device_id_of(hass, init_integration), url_1=PRIMARY, user_1="worker")

    assert axeos_miner.state.primary_pool == PoolState("pool.example.org", 3333, "worker", "x")
    assert axeos_miner.state.fallback_pool == fallback_before


@pytest.mark.usefixtures("init_integration")
async def test_unknown_device(hass: HomeAssistant) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await set_pools(hass, "no-such-device", url_1=PRIMARY, user_1="worker")

    assert raised.value.translation_key == "unknown_device"


@pytest.mark.usefixtures("init_integration")
async def test_device_of_another_integration(hass: HomeAssistant) -> None:
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "lamp")}
    )

    with pytest.raises(ServiceValidationError) as raised:
        await set_pools(hass, device.id, url_1=PRIMARY, user_1="worker")

    assert raised.value.translation_key == "unknown_device"


async def test_entry_not_loaded(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    device_id = device_id_of(hass, init_integration)
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as raised:
        await set_pools(hass, device_id, url_1=PRIMARY, user_1="worker")

    assert raised.value.translation_key == "miner_not_loaded"
    assert raised.value.translation_placeholders == {"name": "gamma"}


@pytest.mark.parametrize(
    ("fields", "key", "placeholders"),
    [
        ({"url_1": PRIMARY}, "pool_user_missing", {"slot": "1"}),
        (
            {"url_1": PRIMARY, "user_1": "worker", "url_2": FALLBACK, "user_2": "  "},
            "pool_user_missing",
            {"slot": "2"},
        ),
        (
            {"url_1": "stratum+tcp://pool.example.org", "user_1": "worker"},
            "pool_url_no_port",
            {"slot": "1", "url": "stratum+tcp://pool.example.org"},
        ),
    ],
)
async def test_bad_input_is_refused_before_the_miner_is_asked(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    axeos_miner: SimulatedMiner,
    fields: dict[str, str],
    key: str,
    placeholders: dict[str, str],
) -> None:
    pools_before = [replace(pool) for pool in axeos_miner.state.pools]

    with pytest.raises(ServiceValidationError) as raised:
        await set_pools(hass, device_id_of(hass, init_integration), **fields)

    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders
    assert axeos_miner.state.pools == pools_before


@pytest.mark.parametrize(
    ("fields", "fault", "key"),
    [
        # The firmware checks the port against its u16 setting: 400 "Wrong API input".
        ({"url_1": "stratum+tcp://pool.example.org:70000", "user_1": "w"}, None, "command_refused"),
        # AxeOS boards hold a primary and one fallback pool only.
        (
            {
                "url_1": PRIMARY,
                "user_1": "w",
                "url_2": FALLBACK,
                "user_2": "w",
                "url_3": "stratum+tcp://third.example.org:5555",
                "user_3": "w",
            },
            None,
            "command_refused",
        ),
        ({"url_1": PRIMARY, "user_1": "w"}, Fault.OFFLINE, "command_unreachable"),
    ],
)
async def test_miner_refusal_is_translated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    axeos_miner: SimulatedMiner,
    fields: dict[str, str],
    fault: Fault | None,
    key: str,
) -> None:
    device_id = device_id_of(hass, init_integration)
    if fault is not None:
        axeos_miner.set_fault(fault)

    with pytest.raises(HomeAssistantError) as raised:
        await set_pools(hass, device_id, **fields)

    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == key
    assert axeos_miner.state.primary_pool.url == "public-pool.io"


def test_has_port() -> None:
    assert has_port("stratum+tcp://pool.example.org:3333")
    assert has_port("pool.example.org:3333/")
    assert has_port("stratum+tcp://[2001:db8::1]:3333")
    assert not has_port("stratum+tcp://pool.example.org")
    assert not has_port("stratum+tcp://:3333")
    assert not has_port("pool.example.org:port")
