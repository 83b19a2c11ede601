"""A simulated LuxOS S19k Pro in Home Assistant: added through the config flow (LuxOS has no
login), its entities, and every control through HA's services, sessions included."""

from __future__ import annotations

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number.const import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_PASSWORD,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import DOMAIN, SERVICE_SET_POOLS
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import add_through_flow, attribute_of, call, next_poll, refresh, sim, state_of
from .test_sensor import pin_readings

pytestmark = pytest.mark.usefixtures("socket_enabled")

FROZEN_NOW = dt_util.parse_datetime("2026-01-15T12:00:00+00:00")
SPEC = MinerSpec(family="luxos", model="Antminer S19k Pro", mac="02:1C:05:00:00:01", hostname="lux")


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    assert FROZEN_NOW is not None
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture
async def lux(simulator: Simulator) -> SimulatedMiner:
    return await simulator.start(SPEC)


@pytest.fixture
async def lux_entry(hass: HomeAssistant, lux: SimulatedMiner) -> ConfigEntry:
    return await add_through_flow(hass, lux)


def profile_watts(miner: SimulatedMiner) -> dict[str, int]:
    return {profile.name: profile.watts for profile in sim(miner, "profile_table")}


async def test_flow_asks_no_login(lux_entry: ConfigEntry) -> None:
    assert CONF_PASSWORD not in lux_entry.data


@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
    ],
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_luxos_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    lux: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    pin_readings(lux, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_through_flow(hass, lux)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


# --- controls -------------------------------------------------------------------------------


async def test_mining_switch_curtails(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.lux_mining")
    assert sim(lux, "curtailed") is True
    assert state_of(hass, "switch.lux_mining") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.lux_mining")
    assert sim(lux, "curtailed") is False
    assert state_of(hass, "switch.lux_mining") == STATE_ON


async def test_profile_select_turns_atm_off(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    select = "select.lux_power_mode"
    assert attribute_of(hass, select, "options") == list(profile_watts(lux))
    assert state_of(hass, select) == "default"
    assert sim(lux, "atm_enabled") is True
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, select, **{ATTR_OPTION: "415MHz"})
    assert sim(lux, "profile").name == "415MHz"
    assert sim(lux, "atm_enabled") is False  # ATM would move it off the chosen profile
    assert state_of(hass, select) == "415MHz"


async def test_power_limit_picks_the_highest_profile_below(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    watts = profile_watts(lux)
    number = "number.lux_power_limit"
    assert attribute_of(hass, number, "min") == min(watts.values())
    assert attribute_of(hass, number, "max") == max(watts.values())
    assert attribute_of(hass, number, "step") == 1
    wanted = watts["415MHz"] + 10  # between 415MHz and the next profile up
    assert watts["440MHz"] > wanted
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, number, **{ATTR_VALUE: wanted})
    assert sim(lux, "profile").name == "415MHz"
    assert sim(lux, "atm_enabled") is False
    assert float(state_of(hass, number)) == watts["415MHz"]  # what the miner runs at
    assert state_of(hass, "select.lux_power_mode") == "415MHz"


async def test_refused_profile_is_a_translated_error(
    hass: HomeAssistant,
    lux: SimulatedMiner,
    lux_entry: ConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A profile gone from the miner since set-up (deleted on its web page) is refused."""
    table = [p for p in sim(lux, "profile_table") if p.name != "415MHz"]
    monkeypatch.setattr(lux, "profile_table", tuple(table))
    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            SELECT_DOMAIN,
            SERVICE_SELECT_OPTION,
            "select.lux_power_mode",
            **{ATTR_OPTION: "415MHz"},
        )
    assert raised.value.translation_key == "command_refused"
    assert "not found" in str(raised.value)
    assert sim(lux, "profile").name == "default"


async def test_fault_light_switch(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    assert state_of(hass, "switch.lux_fault_light") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.lux_fault_light")
    assert sim(lux, "red_led") == "blink"
    assert state_of(hass, "switch.lux_fault_light") == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.lux_fault_light")
    assert sim(lux, "red_led") == "off"
    assert state_of(hass, "switch.lux_fault_light") == STATE_OFF


async def test_restart_mining_button(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    lux.state.uptime += 600
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.lux_restart_mining")
    assert lux.state.uptime < 600  # LUXminer started again
    assert lux.state.reboot_count == 0


async def test_restart_button_reboots(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.lux_restart")
    await lux.wait_until_down()
    assert lux.state.reboot_count == 1
    await lux.wait_until_up()
    await refresh(hass, lux_entry)
    assert state_of(hass, "switch.lux_mining") == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    lux: SimulatedMiner,
    lux_entry: ConfigEntry,
) -> None:
    device = device_with_id(hass, lux_entry.unique_id or "")
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://pool.example:3333",
            "user_1": "me.lux",
            "url_2": "stratum+tcp://backup.example:443",
            "user_2": "me.lux2",
            "password_2": "p2",
        },
        blocking=True,
    )
    assert sim(lux, "pools") == [
        {"url": "stratum+tcp://pool.example:3333", "user": "me.lux", "pass": "x"},
        {"url": "stratum+tcp://backup.example:443", "user": "me.lux2", "pass": "p2"},
    ]
    assert sim(lux, "active_pool") == 0
    assert state_of(hass, "sensor.lux_active_pool") == "stratum+tcp://pool.example:3333"


# --- sessions, availability -----------------------------------------------------------------


async def test_expired_session_is_renewed(
    hass: HomeAssistant, lux: SimulatedMiner, lux_entry: ConfigEntry
) -> None:
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.lux_fault_light")
    first = sim(lux, "session_id")
    sim(lux, "expire_session")()
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.lux_fault_light")
    assert sim(lux, "red_led") == "off"
    assert sim(lux, "session_id") not in ("", first)


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    lux: SimulatedMiner,
    lux_entry: ConfigEntry,
) -> None:
    """Unplugged: unavailable at the next scheduled poll, back at the first one after."""
    entity_ids = [
        item.entity_id
        for item in er.async_entries_for_config_entry(entity_registry, lux_entry.entry_id)
    ]
    lux.set_fault(Fault.OFFLINE)
    await next_poll(hass, lux_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    lux.clear_fault()
    await next_poll(hass, lux_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
