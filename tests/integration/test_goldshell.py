"""A simulated Goldshell KD Box II in Home Assistant: the login flow, its entities, its controls."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest.mock import patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
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
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import CONF_FAMILY, CONF_RPC_PORT, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import state_of
from .test_sensor import pin_readings, refresh, set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAC = "28:E2:97:0A:0B:0C"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)

MINING = "switch.kd_box_mining"
FAULT_LIGHT = "switch.kd_box_fault_light"
POWER_MODE = "select.kd_box_power_mode"
RESTART = "button.kd_box_restart"
HASHRATE = "sensor.kd_box_hashrate"


@pytest.fixture
async def box(simulator: Simulator) -> SimulatedMiner:
    """A KD Box II with the factory login admin/123456789, on random web and RPC ports."""
    return await simulator.start(MinerSpec(family="goldshell", model="KD Box II", mac=MAC))


def entry_for(miner: SimulatedMiner, password: str = "123456789") -> MockConfigEntry:
    """The entry the config flow creates for ``miner`` after a login with ``password``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="KD Box",
        unique_id=format_mac(MAC),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.port,
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: "goldshell",
            CONF_USERNAME: "admin",
            CONF_PASSWORD: password,
        },
    )


@pytest.fixture
async def box_entry(hass: HomeAssistant, box: SimulatedMiner) -> MockConfigEntry:
    entry = entry_for(box)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def setting(miner: SimulatedMiner) -> dict[str, Any]:
    value: dict[str, Any] = miner.setting  # type: ignore[attr-defined]
    return value


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow --------------------------------------------------------------------------


async def test_user_flow_with_login(hass: HomeAssistant, simulator: Simulator) -> None:
    """Web and RPC ports typed, a wrong password, then the right one."""
    miner = await simulator.start(
        MinerSpec(family="goldshell", model="KD Max", mac=MAC, password="hunter2")
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["rpc"])},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {
            "model": "Goldshell KD Max",
            "host": f"127.0.0.1:{miner.port}",
        }
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "123456789"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Goldshell KD Max"
    assert result["result"].unique_id == format_mac(MAC)
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.port,
        CONF_RPC_PORT: miner.ports["rpc"],
        CONF_FAMILY: "goldshell",
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "hunter2",
    }


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    box.password = "changed"  # type: ignore[attr-defined]
    await refresh(hass, box_entry)
    assert state_of(hass, HASHRATE) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert box_entry.data[CONF_PASSWORD] == "changed"
    assert float(state_of(hass, HASHRATE)) > 0


# --- entities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SELECT, Platform.SENSOR, Platform.SWITCH],
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_goldshell_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    box: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    """Every entity of a KD Box II, one platform at a time: registry entry and state."""
    pin_readings(box, monkeypatch)
    entry = entry_for(box)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


async def test_device_and_absent_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    box_entry: MockConfigEntry,
) -> None:
    """Goldshell has no power limit in W and no restart of mining alone."""
    device = device_with_id(hass, format_mac(MAC))
    assert device is not None
    assert (device.manufacturer, device.model, device.sw_version) == (
        "Goldshell",
        "Goldshell KD Box II",
        "2.2.5",
    )
    domains = {
        entry.domain
        for entry in er.async_entries_for_config_entry(entity_registry, box_entry.entry_id)
    }
    assert Platform.NUMBER not in domains
    assert hass.states.get("button.kd_box_restart_mining") is None


# --- controls -----------------------------------------------------------------------------


async def test_mining_switch_sleeps_and_wakes(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    assert state_of(hass, MINING) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert setting(box)["select"] == 2  # the level-3 plan: 0 MHz
    assert state_of(hass, MINING) == STATE_OFF
    assert float(state_of(hass, HASHRATE)) == 0
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert setting(box)["select"] == 0
    assert state_of(hass, MINING) == STATE_ON
    assert float(state_of(hass, HASHRATE)) > 0


async def test_power_mode_select(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    state = hass.states.get(POWER_MODE)
    assert state is not None
    assert state.attributes[ATTR_OPTIONS] == ["normal", "eco"]
    assert state.state == "normal"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, POWER_MODE, **{ATTR_OPTION: "eco"})
    assert setting(box)["select"] == 1
    assert state_of(hass, POWER_MODE) == "eco"


async def test_fault_light_switch(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, FAULT_LIGHT)
    assert setting(box)["ledcontrol"] is True
    assert state_of(hass, FAULT_LIGHT) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, FAULT_LIGHT)
    assert setting(box)["ledcontrol"] is False
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF


async def test_restart_button_reboots(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART)
    await box.wait_until_down()
    assert box.state.reboot_count == 1
    await box.wait_until_up()
    await refresh(hass, box_entry)
    assert state_of(hass, MINING) == STATE_ON


async def test_set_pools_service(
    hass: HomeAssistant, box: SimulatedMiner, box_entry: MockConfigEntry
) -> None:
    before = dict(setting(box))
    device = device_with_id(hass, format_mac(MAC))
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_pools",
        {"device_id": device.id, "url_1": "stratum+tcp://kda.example.com:3333", "user_1": "me.1"},
        blocking=True,
    )
    assert box.pools == [  # type: ignore[attr-defined]
        {"url": "stratum+tcp://kda.example.com:3333", "user": "me.1", "pass": "x"}
    ]
    assert setting(box) == before


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    box: SimulatedMiner,
    box_entry: MockConfigEntry,
) -> None:
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, box_entry.entry_id)
    ]
    assert len(entity_ids) > 10
    box.set_fault(Fault.OFFLINE)
    await refresh(hass, box_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    box.clear_fault()
    await refresh(hass, box_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
