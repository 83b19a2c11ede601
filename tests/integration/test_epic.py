"""A simulated ePIC UMC (S19 XP) in Home Assistant: the login flow, its entities, its controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number import ATTR_MAX, ATTR_MIN, ATTR_STEP, ATTR_VALUE
from homeassistant.components.number.const import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
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
from .test_sensor import number_state, pin_readings, refresh, set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")

EPIC_MAC = "06:A1:B2:C3:D4:E5"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)

MINING = "switch.epic_mining"
FAULT_LIGHT = "switch.epic_fault_light"
POWER_LIMIT = "number.epic_power_limit"
RESTART = "button.epic_restart"
RESTART_MINING = "button.epic_restart_mining"
HASHRATE = "sensor.epic_hashrate"


@pytest.fixture
def all_entities_enabled() -> Iterator[None]:
    """Entities disabled by default are created enabled, so that they are checked too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def epic(simulator: Simulator) -> SimulatedMiner:
    """An S19 XP on ePIC with the factory password, on random web and API ports."""
    return await simulator.start(
        MinerSpec(family="epic", model="Antminer S19 XP", mac=EPIC_MAC, hostname="epic")
    )


def entry_for(miner: SimulatedMiner, password: str = "letmein") -> MockConfigEntry:
    """The entry the config flow creates for ``miner`` (its API port is the entry's port)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="epic",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.ports["api"],
            CONF_FAMILY: "epic",
            CONF_PASSWORD: password,
        },
    )


@pytest.fixture
async def epic_entry(hass: HomeAssistant, epic: SimulatedMiner) -> MockConfigEntry:
    entry = entry_for(epic)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.attributes[name]


def mining_of(miner: SimulatedMiner) -> bool:
    return bool(miner.epic_physics.mining)  # type: ignore[attr-defined]


def locating(miner: SimulatedMiner) -> bool:
    return bool(miner.locate)  # type: ignore[attr-defined]


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow --------------------------------------------------------------------------


async def test_user_flow_with_password(hass: HomeAssistant, simulator: Simulator) -> None:
    """The dashboard's address typed, the API port in the RPC field; a wrong password first."""
    miner = await simulator.start(
        MinerSpec(family="epic", model="Antminer S21", mac=EPIC_MAC, password="hunter2")
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["api"])},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {
            "model": "AntMiner S21",
            "host": f"127.0.0.1:{miner.ports['api']}",
        }
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: "letmein"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(EPIC_MAC)
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.ports["api"],
        CONF_FAMILY: "epic",
        CONF_PASSWORD: "hunter2",
    }


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    """The password changed and the miner restarted: reauth, then the new password works."""
    epic.state.uptime = 5000.0  # up for a while, so that the restart shows
    await refresh(hass, epic_entry)
    epic.password = "changed"  # type: ignore[attr-defined]
    epic.reboot()
    await epic.wait_until_up()
    await refresh(hass, epic_entry)
    assert state_of(hass, HASHRATE) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert epic_entry.data[CONF_PASSWORD] == "changed"
    assert epic_entry.state is ConfigEntryState.LOADED
    assert float(state_of(hass, HASHRATE)) > 0


# --- entities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH],
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_epic_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    epic: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    """Every entity of an S19 XP on ePIC, one platform at a time: registry entry and state."""
    pin_readings(epic, monkeypatch)
    entry = entry_for(epic)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize("platform", [Platform.SELECT, Platform.UPDATE])
async def test_epic_has_no_entities_of(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    epic: SimulatedMiner,
    platform: Platform,
) -> None:
    """ePIC has no power modes here, and no release catalog."""
    entry = entry_for(epic)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id) == []


async def test_device_links_to_the_dashboard(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    device = device_with_id(hass, format_mac(EPIC_MAC))
    assert device is not None
    assert device.configuration_url == f"http://{epic.host}"
    assert device.manufacturer == "Bitmain"
    assert (device.model, device.sw_version) == ("AntMiner S19 XP", "1.5.13")


# --- controls -----------------------------------------------------------------------------


async def test_mining_switch(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    assert state_of(hass, MINING) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert not mining_of(epic)
    assert state_of(hass, MINING) == STATE_OFF
    assert number_state(hass, HASHRATE) == 0
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert mining_of(epic)
    assert state_of(hass, MINING) == STATE_ON
    assert number_state(hass, HASHRATE) > 0


async def test_power_limit_number(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    assert (
        attribute(hass, POWER_LIMIT, ATTR_MIN),
        attribute(hass, POWER_LIMIT, ATTR_MAX),
        attribute(hass, POWER_LIMIT, ATTR_STEP),
    ) == (1700, 4400, 1)
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, POWER_LIMIT, **{ATTR_VALUE: 2200})
    physics: Any = epic.epic_physics  # type: ignore[attr-defined]
    assert (physics.algorithm, physics.target) == ("PowerTune", 2200)
    assert number_state(hass, POWER_LIMIT) == 2200
    assert number_state(hass, "sensor.epic_power") == pytest.approx(2200, rel=0.02)


async def test_power_limit_refused_says_why(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    """Out of the presets' range: HA refuses it before the miner is asked."""
    with pytest.raises(ServiceValidationError, match="4400"):
        await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, POWER_LIMIT, **{ATTR_VALUE: 5000})
    assert epic.epic_physics.algorithm == "VoltageOptimizer"  # type: ignore[attr-defined]


async def test_fault_light_switch(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, FAULT_LIGHT)
    assert locating(epic)
    assert state_of(hass, FAULT_LIGHT) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, FAULT_LIGHT)
    assert not locating(epic)
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF


async def test_restart_buttons(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART_MINING)
    assert mining_of(epic)
    assert epic.state.reboot_count == 0
    await refresh(hass, epic_entry)  # a button is not followed by a poll
    assert state_of(hass, MINING) == STATE_ON
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART)
    await epic.wait_until_down()
    assert epic.state.reboot_count == 1
    await epic.wait_until_up()
    await refresh(hass, epic_entry)
    assert state_of(hass, MINING) == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    device = device_with_id(hass, format_mac(EPIC_MAC))
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_pools",
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://a.example:3333",
            "user_1": "me.1",
            "url_2": "stratum+tcp://b.example:3333",
            "user_2": "me.2",
        },
        blocking=True,
    )
    stratum: list[dict[str, str]] = epic.stratum  # type: ignore[attr-defined]
    assert [(entry["pool"], entry["login"]) for entry in stratum] == [
        ("stratum+tcp://a.example:3333", "me.1"),
        ("stratum+tcp://b.example:3333", "me.2"),
    ]
    assert state_of(hass, "sensor.epic_active_pool") == "stratum+tcp://a.example:3333"


async def test_refused_write_is_a_translated_error(
    hass: HomeAssistant, epic: SimulatedMiner, epic_entry: MockConfigEntry
) -> None:
    """The password changed under a running entry: the switch says the login was refused."""
    epic.password = "changed"  # type: ignore[attr-defined]
    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert refused.value.translation_key == "command_auth_failed"
    assert mining_of(epic)


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    epic: SimulatedMiner,
    epic_entry: MockConfigEntry,
) -> None:
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, epic_entry.entry_id)
    ]
    assert len(entity_ids) > 10
    epic.set_fault(Fault.OFFLINE)
    await refresh(hass, epic_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    epic.clear_fault()
    await refresh(hass, epic_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
