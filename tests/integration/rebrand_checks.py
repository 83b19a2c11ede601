"""Home Assistant checks shared by the Antminer-shaped re-brands (Hiveon, MaraFW, Elphapex,
Hammer, VolcMiner): the login flow, entity snapshots, every control through Home Assistant's
services, reauth and availability. Each family's module (``test_hiveon.py`` …) defines the
``family`` fixture and collects the checks that apply to it, so its snapshots are its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number.const import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_STEP,
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
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import CONF_FAMILY, CONF_RPC_PORT, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .family_flow import state_of
from .test_sensor import number_state, pin_readings, refresh, set_up

UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)
MACS = {
    "hiveon": "02:10:00:00:00:01",
    "marafw": "02:10:00:00:00:02",
    "elphapex": "02:10:00:00:00:03",
    "hammer": "02:10:00:00:00:04",
    "volcminer": "02:10:00:00:00:05",
}
MODE_NORMAL, MODE_SLEEP, MODE_LOW_POWER = 0, 1, 3


@pytest.fixture
def all_entities_enabled() -> Iterator[None]:
    """Entities disabled by default are created enabled, so that they are checked too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


async def start(simulator: Simulator, family: str, password: str | None = None) -> SimulatedMiner:
    return await simulator.start(
        MinerSpec(family=family, mac=MACS[family], hostname=family, password=password)
    )


def entry_for(miner: SimulatedMiner) -> MockConfigEntry:
    """The entry the config flow creates for ``miner`` after a login with its password."""
    login = miner.credentials() or {}
    return MockConfigEntry(
        domain=DOMAIN,
        title=miner.family,
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.port,
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: miner.family,
            CONF_USERNAME: login["username"],
            CONF_PASSWORD: login["password"],
        },
    )


async def set_up_miner(
    hass: HomeAssistant, simulator: Simulator, family: str
) -> tuple[SimulatedMiner, MockConfigEntry]:
    miner = await start(simulator, family)
    entry = entry_for(miner)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return miner, entry


def simulated(miner: SimulatedMiner, name: str) -> Any:
    """An attribute of the simulated firmware (its configuration, work mode, light...)."""
    return getattr(miner, name)


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow --------------------------------------------------------------------------------


async def test_user_flow_with_login(hass: HomeAssistant, simulator: Simulator, family: str) -> None:
    """Address and RPC port, a wrong password, then the right one: an entry of the family."""
    miner = await start(simulator, family, password="hunter2")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["rpc"])},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "wrong"}
        )
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == family  # the miner's hostname
    assert result["result"].unique_id == format_mac(MACS[family])
    rpc = {} if family == "elphapex" else {CONF_RPC_PORT: miner.ports["rpc"]}
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.port,
        **rpc,
        CONF_FAMILY: family,
        CONF_USERNAME: "root",
        CONF_PASSWORD: "hunter2",
    }


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, simulator: Simulator, family: str
) -> None:
    miner, entry = await set_up_miner(hass, simulator, family)
    simulated(miner, "auth").password = "changed"
    await refresh(hass, entry)
    assert state_of(hass, f"sensor.{family}_hashrate") == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert number_state(hass, f"sensor.{family}_hashrate") > 0


# --- entities -----------------------------------------------------------------------------------


PLATFORMS = (Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH)


async def snapshot_platform(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    family: str,
    platform: Platform,
) -> None:
    """Every entity of one platform of ``family``: registry entry and state, readings pinned."""
    miner = await start(simulator, family)
    pin_readings(miner, monkeypatch)
    entry = entry_for(miner)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


# --- controls -----------------------------------------------------------------------------------


async def test_mining_switch_and_power_modes(
    hass: HomeAssistant, simulator: Simulator, family: str
) -> None:
    miner, _entry = await set_up_miner(hass, simulator, family)
    pools = [dict(pool) for pool in simulated(miner, "conf")["pools"]]
    mining, mode = f"switch.{family}_mining", f"select.{family}_power_mode"
    assert state_of(hass, mining) == STATE_ON

    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, mode, **{ATTR_OPTION: "low"})
    assert simulated(miner, "work_mode") == MODE_LOW_POWER
    assert state_of(hass, mode) == "low"

    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, mining)
    assert simulated(miner, "work_mode") == MODE_SLEEP
    assert state_of(hass, mining) == STATE_OFF
    assert state_of(hass, f"binary_sensor.{family}_mining") == STATE_OFF
    assert state_of(hass, mode) == "sleep"

    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, mining)
    assert simulated(miner, "work_mode") == MODE_LOW_POWER  # the mode it slept from
    assert state_of(hass, mining) == STATE_ON
    assert [dict(pool) for pool in simulated(miner, "conf")["pools"]] == pools


async def test_power_limit_and_mining_switch(hass: HomeAssistant, simulator: Simulator) -> None:
    """MaraFW: a power target through the number entity; sleep and back to it."""
    miner, _entry = await set_up_miner(hass, simulator, "marafw")
    limit, mining = "number.marafw_power_limit", "switch.marafw_mining"
    state = hass.states.get(limit)
    assert state is not None
    assert (state.attributes[ATTR_MIN], state.attributes[ATTR_MAX]) == (1000, 3500)
    assert state.attributes[ATTR_STEP] == 50

    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, limit, **{ATTR_VALUE: 2500})
    assert simulated(miner, "mode_selector") == "Auto"
    assert simulated(miner, "concorde")["power-target"] == 2500
    assert number_state(hass, limit) == 2500
    assert number_state(hass, "sensor.marafw_power") == pytest.approx(2500, rel=0.02)

    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, mining)
    assert simulated(miner, "mode_selector") == "Sleep"
    assert state_of(hass, mining) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, mining)
    assert simulated(miner, "mode_selector") == "Auto"
    assert state_of(hass, mining) == STATE_ON
    assert hass.states.get("select.marafw_power_mode") is None  # no modes: a power target


async def test_fault_light_and_restart_buttons(
    hass: HomeAssistant, simulator: Simulator, family: str
) -> None:
    miner, entry = await set_up_miner(hass, simulator, family)
    light = f"switch.{family}_fault_light"
    assert state_of(hass, light) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, light)
    assert simulated(miner, "blinking")
    assert state_of(hass, light) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, light)
    assert not simulated(miner, "blinking")
    assert state_of(hass, light) == STATE_OFF

    if family == "marafw":
        await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.marafw_restart_mining")
        assert simulated(miner, "restarts") == 1
    else:
        assert hass.states.get(f"button.{family}_restart_mining") is None

    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{family}_restart")
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    await refresh(hass, entry)
    assert state_of(hass, f"switch.{family}_mining") == STATE_ON


async def test_offline_then_back(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, simulator: Simulator, family: str
) -> None:
    miner, entry = await set_up_miner(hass, simulator, family)
    entity_ids = [
        registered.entity_id
        for registered in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    ]
    assert len(entity_ids) > 10
    miner.set_fault(Fault.OFFLINE)
    await refresh(hass, entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    miner.clear_fault()
    await refresh(hass, entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
