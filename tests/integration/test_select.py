"""The power mode select: on a simulated Antminer S21, and absent from a Bitaxe."""

from __future__ import annotations

from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import DOMAIN
from tests.simulator import Fault, SimulatedMiner

from .family_flow import state_of
from .test_antminer import (
    MODE_LOW_POWER,
    MODE_NORMAL,
    MODE_SLEEP,
    POWER_MODE,
    UNREACHABLE_FEED,
    entry_for,
    s21,  # noqa: F401 (a fixture)
    s21_entry,  # noqa: F401 (a fixture)
    simulated_pools,
    work_mode,
)
from .test_sensor import set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def select(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: POWER_MODE, ATTR_OPTION: option},
        blocking=True,
    )


async def test_options_are_the_miners_power_modes(
    hass: HomeAssistant,
    s21_entry: MockConfigEntry,  # noqa: F811
) -> None:
    state = hass.states.get(POWER_MODE)
    assert state is not None
    assert state.state == "normal"
    assert state.attributes[ATTR_OPTIONS] == ["normal", "low", "sleep"]


@pytest.mark.parametrize(
    ("option", "mode"),
    [("low", MODE_LOW_POWER), ("sleep", MODE_SLEEP), ("normal", MODE_NORMAL)],
)
async def test_select_writes_and_reads_back(
    hass: HomeAssistant,
    s21: SimulatedMiner,  # noqa: F811
    s21_entry: MockConfigEntry,  # noqa: F811
    option: str,
    mode: int,
) -> None:
    """Each mode reaches the miner, the state is what the miner then reports, pools stay."""
    pools = simulated_pools(s21)
    if option == "normal":
        await select(hass, "low")
    await select(hass, option)
    assert work_mode(s21) == mode
    assert state_of(hass, POWER_MODE) == option
    assert simulated_pools(s21) == pools


async def test_refused_write_says_why(
    hass: HomeAssistant,
    s21: SimulatedMiner,  # noqa: F811
    s21_entry: MockConfigEntry,  # noqa: F811
) -> None:
    s21.set_fault(Fault.HTTP_500, path="/cgi-bin/set_miner_conf.cgi")
    with pytest.raises(HomeAssistantError) as raised:
        await select(hass, "low")
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_refused"
    assert work_mode(s21) == MODE_NORMAL
    assert state_of(hass, POWER_MODE) == "normal"


async def test_unknown_option_is_refused_before_the_miner(
    hass: HomeAssistant,
    s21: SimulatedMiner,  # noqa: F811
    s21_entry: MockConfigEntry,  # noqa: F811
) -> None:
    with pytest.raises(ServiceValidationError):
        await select(hass, "high")
    assert work_mode(s21) == MODE_NORMAL


async def test_unknown_mode_reported(
    hass: HomeAssistant,
    s21: SimulatedMiner,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A work mode the firmware reports but the client does not know shows as unknown."""
    entry = entry_for(s21)
    await set_up(hass, entry, UNREACHABLE_FEED)
    monkeypatch.setattr(s21, "work_mode", 7)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, POWER_MODE) == STATE_UNKNOWN


async def test_no_select_without_power_modes(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    axeos_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A Bitaxe has no power modes: no select."""
    await set_up(hass, mock_config_entry, UNREACHABLE_FEED)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert not [
        entry
        for entry in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
        if entry.domain == Platform.SELECT
    ]
