"""Setting up and unloading a miner's entry against the simulator."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.asic.client import Family
from custom_components.asic.client.families.axeos import AxeOSMiner
from custom_components.asic.const import CONF_FAMILY, CONF_FIRMWARE_FEED, DOMAIN
from tests.simulator import Fault, SimulatedMiner

UNREACHABLE_FEED = "http://127.0.0.1:9/releases"


def state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state now (a function, so that type checkers do not narrow it)."""
    state: ConfigEntryState = entry.state
    return state


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_and_unload(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    await _set_up(hass, mock_config_entry)

    assert state_of(mock_config_entry) is ConfigEntryState.LOADED
    runtime = mock_config_entry.runtime_data
    assert isinstance(runtime.miner, AxeOSMiner)
    assert runtime.miner.port == axeos_miner.port
    assert runtime.coordinator.data.family is Family.AXEOS
    assert format_mac(runtime.coordinator.data.mac or "") == mock_config_entry.unique_id
    assert runtime.coordinator.update_interval == timedelta(seconds=10)
    assert hass.states.async_entity_ids()  # the platforms created entities

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(mock_config_entry) is ConfigEntryState.NOT_LOADED


async def test_setup_uses_poll_interval_option(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="gamma",
        unique_id=format_mac(axeos_miner.state.mac),
        data={CONF_HOST: axeos_miner.host, CONF_PORT: axeos_miner.port, CONF_FAMILY: "axeos"},
        options={"scan_interval": 42},
    )
    await _set_up(hass, entry)

    assert entry.runtime_data.coordinator.update_interval == timedelta(seconds=42)


async def test_setup_retries_while_miner_offline(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    axeos_miner.set_fault(Fault.OFFLINE)
    await _set_up(hass, mock_config_entry)

    assert state_of(mock_config_entry) is ConfigEntryState.SETUP_RETRY

    axeos_miner.clear_fault()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(mock_config_entry) is ConfigEntryState.LOADED


async def test_setup_waits_when_another_miner_answers(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """The entry's address now belongs to a different miner: do not adopt it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="gamma",
        unique_id="02:00:00:00:00:01",
        data={CONF_HOST: axeos_miner.host, CONF_PORT: axeos_miner.port, CONF_FAMILY: "axeos"},
    )
    await _set_up(hass, entry)

    assert state_of(entry) is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "other_miner_at_host"
    assert format_mac(axeos_miner.state.mac) in (entry.reason or "")


async def test_setup_of_unsupported_family(hass: HomeAssistant) -> None:
    """An entry of a family this version cannot talk to (e.g. after a downgrade)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="s19",
        unique_id="02:00:00:00:00:01",
        data={CONF_HOST: "127.0.0.1", CONF_FAMILY: "no-such-family"},
    )
    await _set_up(hass, entry)

    assert state_of(entry) is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "family_unsupported"
