"""A simulated stock Antminer S21 in Home Assistant: the login flow, its entities, its controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.select import (
    ATTR_OPTION,
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
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.client import create_miner
from custom_components.asic.config_flow import entry_address
from custom_components.asic.const import CONF_FAMILY, CONF_RPC_PORT, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .family_flow import state_of
from .test_sensor import number_state, pin_readings, refresh, set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")

S21_MAC = "02:A1:B2:C3:D4:E5"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)
MODE_NORMAL, MODE_SLEEP, MODE_LOW_POWER = 0, 1, 3  # the firmware's work modes

MINING = "switch.s21_mining"
FAULT_LIGHT = "switch.s21_fault_light"
POWER_MODE = "select.s21_power_mode"
RESTART = "button.s21_restart"
HASHRATE = "sensor.s21_hashrate"
ACTIVE_POOL = "sensor.s21_active_pool"
MINING_SENSOR = "binary_sensor.s21_mining"


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
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Home Assistant's and the simulator's clocks stand still (the boot time is then steady)."""
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture
async def s21(simulator: Simulator) -> SimulatedMiner:
    """An Antminer S21 with the factory login root/root, on random web and RPC ports."""
    return await simulator.start(
        MinerSpec(family="antminer", model="Antminer S21", mac=S21_MAC, hostname="s21")
    )


def entry_for(miner: SimulatedMiner, password: str = "root") -> MockConfigEntry:
    """The entry the config flow creates for ``miner`` after a login with ``password``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="s21",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.port,
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: "antminer",
            CONF_USERNAME: "root",
            CONF_PASSWORD: password,
        },
    )


@pytest.fixture
async def s21_entry(hass: HomeAssistant, s21: SimulatedMiner) -> MockConfigEntry:
    """The S21 set up in Home Assistant."""
    entry = entry_for(s21)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def simulated_pools(miner: SimulatedMiner) -> list[dict[str, str]]:
    conf: dict[str, Any] = miner.conf  # type: ignore[attr-defined]
    return [dict(pool) for pool in conf["pools"]]


def work_mode(miner: SimulatedMiner) -> int:
    mode: int = miner.work_mode  # type: ignore[attr-defined]
    return mode


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow --------------------------------------------------------------------------


async def test_user_flow_with_login(hass: HomeAssistant, simulator: Simulator) -> None:
    """Web port typed, RPC port in its optional field, a wrong password, then the right one."""
    miner = await simulator.start(
        MinerSpec(family="antminer", model="Antminer S21", mac=S21_MAC, password="hunter2")
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["data_schema"] is not None
    assert CONF_RPC_PORT in result["data_schema"].schema

    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["rpc"])},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {
            "model": "Antminer S21",
            "host": f"127.0.0.1:{miner.port}",
        }

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "root"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["errors"] == {"base": "invalid_auth"}

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Antminer"  # the firmware's default hostname
    assert result["result"].unique_id == format_mac(S21_MAC)
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.port,
        CONF_RPC_PORT: miner.ports["rpc"],
        CONF_FAMILY: "antminer",
        CONF_USERNAME: "root",
        CONF_PASSWORD: "hunter2",
    }


async def test_rpc_port_stored_only_when_not_4028(hass: HomeAssistant) -> None:
    session = async_get_clientsession(hass)
    miner = create_miner("antminer", "192.0.2.7", session)
    assert entry_address(miner, 4028) == {CONF_HOST: "192.0.2.7"}
    assert entry_address(miner, None) == {CONF_HOST: "192.0.2.7"}
    assert entry_address(miner, 14028) == {CONF_HOST: "192.0.2.7", CONF_RPC_PORT: 14028}


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: MockConfigEntry
) -> None:
    """The password changed on the miner: reauth, a wrong try, the new one, the entry reloads."""
    s21.auth.password = "changed"  # type: ignore[attr-defined]
    await refresh(hass, s21_entry)
    assert state_of(hass, HASHRATE) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["step_id"] == "reauth_confirm"
    flow_id = flows[0]["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: "root", CONF_PASSWORD: "root"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: "root", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert s21_entry.data[CONF_PASSWORD] == "changed"
    assert s21_entry.data[CONF_RPC_PORT] == s21.ports["rpc"]
    assert s21_entry.state is ConfigEntryState.LOADED
    assert float(state_of(hass, HASHRATE)) > 0


# --- entities -----------------------------------------------------------------------------


@pytest.fixture
def pinned_s21(s21: SimulatedMiner, monkeypatch: pytest.MonkeyPatch) -> SimulatedMiner:
    """The S21 with steady readings (before set-up)."""
    pin_readings(s21, monkeypatch)
    return s21


@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
    ],
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_antminer_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    pinned_s21: SimulatedMiner,
    platform: Platform,
) -> None:
    """Every entity of an S21, one platform at a time: registry entry and state."""
    entry = entry_for(pinned_s21)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize("platform", [Platform.NUMBER, Platform.UPDATE])
async def test_antminer_has_no_entities_of(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    s21: SimulatedMiner,
    platform: Platform,
) -> None:
    """Stock firmware has no power limit, fan, clock or voltage setting, nor a release catalog."""
    entry = entry_for(s21)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id) == []


# --- controls -----------------------------------------------------------------------------


async def test_mining_switch_sleeps_and_wakes(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: MockConfigEntry
) -> None:
    pools = simulated_pools(s21)
    assert state_of(hass, MINING) == STATE_ON
    assert float(state_of(hass, HASHRATE)) > 0

    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert work_mode(s21) == MODE_SLEEP
    assert state_of(hass, MINING) == STATE_OFF
    assert state_of(hass, MINING_SENSOR) == STATE_OFF
    # The firmware lists its hashrate as failing while it sleeps: no problem when asked for.
    assert state_of(hass, "binary_sensor.s21_problem") == STATE_OFF
    assert state_of(hass, "sensor.s21_errors") == "0"
    assert number_state(hass, HASHRATE) == 0
    assert state_of(hass, POWER_MODE) == "sleep"
    assert simulated_pools(s21) == pools
    assert state_of(hass, ACTIVE_POOL) == pools[0]["url"]

    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert work_mode(s21) == MODE_NORMAL
    assert state_of(hass, MINING) == STATE_ON
    assert number_state(hass, HASHRATE) > 0
    assert simulated_pools(s21) == pools


async def test_mining_switch_wakes_to_the_mode_it_slept_from(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: MockConfigEntry
) -> None:
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, POWER_MODE, **{ATTR_OPTION: "low"})
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert work_mode(s21) == MODE_SLEEP
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert work_mode(s21) == MODE_LOW_POWER
    assert state_of(hass, POWER_MODE) == "low"


async def test_fault_light_switch(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: MockConfigEntry
) -> None:
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, FAULT_LIGHT)
    assert s21.blinking  # type: ignore[attr-defined]
    assert state_of(hass, FAULT_LIGHT) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, FAULT_LIGHT)
    assert not s21.blinking  # type: ignore[attr-defined]
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF


async def test_restart_button_reboots(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: MockConfigEntry
) -> None:
    assert s21.state.reboot_count == 0
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART)
    await s21.wait_until_down()
    assert s21.state.reboot_count == 1
    await s21.wait_until_up()
    await refresh(hass, s21_entry)
    assert state_of(hass, MINING) == STATE_ON


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    s21: SimulatedMiner,
    s21_entry: MockConfigEntry,
) -> None:
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, s21_entry.entry_id)
    ]
    assert len(entity_ids) > 15
    s21.set_fault(Fault.OFFLINE)
    await refresh(hass, s21_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    s21.clear_fault()
    await refresh(hass, s21_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
