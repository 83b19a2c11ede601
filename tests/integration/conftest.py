"""Fixtures of the Home Assistant tests: a simulated miner and a config entry for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import CONF_FAMILY, CONF_FIRMWARE_FEED, DOMAIN
from tests.simulator import MinerSpec, SimulatedMiner, Simulator

# Nothing listens here: the firmware feed fails fast unless a test serves one.
UNREACHABLE_FEED = "http://127.0.0.1:9/repos/bitaxeorg/ESP-Miner/releases"


# The instant the tests that freeze the clock are frozen at.
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)


@pytest.fixture
def all_entities_enabled() -> Iterator[None]:
    """Every entity enabled, also those the integration leaves disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this repository."""


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Simulated miners on 127.0.0.1, served from the test's own event loop.

    The test plugin forbids creating sockets unless a test asks for ``socket_enabled``.
    """
    async with Simulator(reboot_seconds=0.2) as sim:
        yield sim


@pytest.fixture
async def axeos_miner(simulator: Simulator) -> SimulatedMiner:
    """A Bitaxe Gamma with a fixed MAC and hostname, so snapshots are stable."""
    return await simulator.start(
        MinerSpec(family="axeos", model="Bitaxe Gamma", mac="24:58:7C:A1:B2:C3", hostname="gamma")
    )


@pytest.fixture
def firmware_feed_url() -> str:
    """The ESP-Miner releases feed the integration reads; tests that need one override this."""
    return UNREACHABLE_FEED


@pytest.fixture
def mock_config_entry(axeos_miner: SimulatedMiner) -> MockConfigEntry:
    """A config entry for the simulated Bitaxe, as the config flow would create it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="gamma",
        unique_id=format_mac(axeos_miner.state.mac),
        data={CONF_HOST: axeos_miner.host, CONF_PORT: axeos_miner.port, CONF_FAMILY: "axeos"},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, firmware_feed_url: str
) -> MockConfigEntry:
    """The integration set up with the simulated miner's entry."""
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: firmware_feed_url}}
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
