"""A simulated Avalon Nano 3S in Home Assistant: added through the config flow with its web
login, its entities, and every control through HA's services."""

from __future__ import annotations

import dataclasses
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_PASSWORD,
    CONF_USERNAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
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
PASSWORD = "nano-pw"
SPEC = MinerSpec(
    family="avalon", model="Avalon Nano 3S", mac="E0:AB:CD:00:00:01", password=PASSWORD
)
NAME = "avalon_nano_3s"  # the firmware tells no hostname: the entry is named by its model
WORKMODES = {"low": 0, "mid": 1, "high": 2}  # the Nano 3S's ``workmode`` values


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    assert FROZEN_NOW is not None
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture
async def nano(simulator: Simulator) -> SimulatedMiner:
    return await simulator.start(SPEC)


@pytest.fixture
async def nano_entry(hass: HomeAssistant, nano: SimulatedMiner) -> ConfigEntry:
    return await add_through_flow(hass, nano, password=PASSWORD)


async def test_flow_stores_the_web_login(nano: SimulatedMiner, nano_entry: ConfigEntry) -> None:
    assert nano_entry.unique_id == nano.mac.lower()
    assert nano_entry.data[CONF_PASSWORD] == PASSWORD
    assert CONF_USERNAME not in nano_entry.data  # blank: the family default (root)


@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SELECT, Platform.SENSOR, Platform.SWITCH],
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_avalon_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    nano: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    pin_readings(nano, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_through_flow(hass, nano, password=PASSWORD)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


# --- controls -------------------------------------------------------------------------------


async def test_mining_switch_soft_off_and_on(
    hass: HomeAssistant, nano: SimulatedMiner, nano_entry: ConfigEntry
) -> None:
    switch = f"switch.{NAME}_mining"
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, switch)
    assert sim(nano, "av_physics").mining is False  # soft-off at "now" took effect at once
    assert state_of(hass, switch) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, switch)
    assert sim(nano, "av_physics").mining is True
    assert state_of(hass, switch) == STATE_ON


async def test_work_mode_select(
    hass: HomeAssistant, nano: SimulatedMiner, nano_entry: ConfigEntry
) -> None:
    select = f"select.{NAME}_power_mode"
    assert attribute_of(hass, select, "options") == list(WORKMODES)
    assert state_of(hass, select) == "high"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, select, **{ATTR_OPTION: "low"})
    assert sim(nano, "av_physics").workmode == WORKMODES["low"]
    assert state_of(hass, select) == "low"


async def test_refused_work_mode_is_a_translated_error(
    hass: HomeAssistant,
    nano: SimulatedMiner,
    nano_entry: ConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A firmware without the low work mode refuses it with its own reason."""
    board = sim(nano, "board")
    kept = {number: setting for number, setting in board.workmodes.items() if number != 0}
    monkeypatch.setattr(nano, "board", dataclasses.replace(board, workmodes=kept))
    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            SELECT_DOMAIN,
            SERVICE_SELECT_OPTION,
            f"select.{NAME}_power_mode",
            **{ATTR_OPTION: "low"},
        )
    assert raised.value.translation_key == "command_refused"
    assert "invalid workmode value" in str(raised.value)
    assert sim(nano, "av_physics").workmode == WORKMODES["high"]


async def test_fault_light_switch(
    hass: HomeAssistant, nano: SimulatedMiner, nano_entry: ConfigEntry
) -> None:
    switch = f"switch.{NAME}_fault_light"
    assert state_of(hass, switch) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, switch)
    assert sim(nano, "led") == 1
    assert state_of(hass, switch) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, switch)
    assert sim(nano, "led") == 0
    assert state_of(hass, switch) == STATE_OFF


@pytest.mark.parametrize(
    ("button", "action"), [("restart", "reboot"), ("restart_mining", "restart")]
)
async def test_restart_buttons(
    hass: HomeAssistant,
    nano: SimulatedMiner,
    nano_entry: ConfigEntry,
    button: str,
    action: str,
) -> None:
    """Reboot is ``ascset 0,reboot,0``, restart mining CGMiner's ``restart``."""
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{NAME}_{button}")
    assert sim(nano, "last_action") == {"command": action}
    await nano.wait_until_down()
    await nano.wait_until_up()
    await refresh(hass, nano_entry)
    assert state_of(hass, f"switch.{NAME}_mining") == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    nano: SimulatedMiner,
    nano_entry: ConfigEntry,
) -> None:
    device = device_with_id(hass, nano_entry.unique_id or "")
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://pool.example:3333",
            "user_1": "me.nano",
            "password_1": "p1",
        },
        blocking=True,
    )
    assert sim(nano, "pools") == [
        {"url": "stratum+tcp://pool.example:3333", "user": "me.nano", "passwd": "p1"},
        {"url": "", "user": "", "passwd": "x"},
        {"url": "", "user": "", "passwd": "x"},
    ]
    assert state_of(hass, f"sensor.{NAME}_active_pool") == "stratum+tcp://pool.example:3333"


# --- login, availability --------------------------------------------------------------------


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, nano: SimulatedMiner, nano_entry: ConfigEntry
) -> None:
    """Reads need no login: the pool write finds the changed web password out."""
    nano.password = "changed"  # type: ignore[attr-defined]
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SET_POOLS,
            {
                ATTR_DEVICE_ID: device_with_id(hass, nano_entry.unique_id or "").id,
                "url_1": "stratum+tcp://pool.example:3333",
                "user_1": "me.nano",
            },
            blocking=True,
        )
    assert raised.value.translation_key == "command_auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert nano_entry.data[CONF_PASSWORD] == "changed"


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    nano: SimulatedMiner,
    nano_entry: ConfigEntry,
) -> None:
    """Unplugged: unavailable at the next scheduled poll, back at the first one after."""
    entity_ids = [
        item.entity_id
        for item in er.async_entries_for_config_entry(entity_registry, nano_entry.entry_id)
    ]
    nano.set_fault(Fault.OFFLINE)
    await next_poll(hass, nano_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    nano.clear_fault()
    await next_poll(hass, nano_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
