"""A simulated Vnish (AnthillOS) S19j Pro in Home Assistant: the password flow, its entities,
every control through Home Assistant's services, reauth, and a miner that goes away and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
import time
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number import ATTR_MAX, ATTR_MIN, ATTR_STEP, ATTR_VALUE
from homeassistant.components.number.const import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
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
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import (
    CONF_FAMILY,
    CONF_FIRMWARE_FEED,
    DOMAIN,
    SERVICE_SET_POOLS,
)
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import state_of
from .test_sensor import number_state, pin_readings, refresh, set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAC = "02:56:4E:15:48:01"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)

MINING = "switch.s19jpro_mining"
FAULT_LIGHT = "switch.s19jpro_fault_light"
POWER_LIMIT = "number.s19jpro_power_limit"
POWER_MODE = "select.s19jpro_power_mode"
REBOOT = "button.s19jpro_restart"
RESTART_MINING = "button.s19jpro_restart_mining"
HASHRATE = "sensor.s19jpro_hashrate"
ACTIVE_POOL = "sensor.s19jpro_active_pool"


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
async def s19jpro(simulator: Simulator) -> Any:
    """An S19j Pro on Vnish 1.2.6 with the factory password, on random ports."""
    return await simulator.start(
        MinerSpec(family="vnish", model="Antminer S19j Pro", mac=MAC, hostname="s19jpro")
    )


def entry_for(miner: SimulatedMiner, password: str | None = None) -> MockConfigEntry:
    """The entry the config flow creates (a password only when one was typed)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="s19jpro",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.port,
            CONF_FAMILY: "vnish",
            **({CONF_PASSWORD: password} if password else {}),
        },
    )


@pytest.fixture
async def vnish_entry(hass: HomeAssistant, s19jpro: Any) -> MockConfigEntry:
    entry = entry_for(s19jpro)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def entry_state(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state, read afresh (a flow changes it behind the test's back)."""
    state: ConfigEntryState = entry.state
    return state


def attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.attributes[name]


def preset(miner: Any) -> str:
    return str(miner.settings["miner"]["overclock"]["preset"])


def locating(miner: Any) -> bool:
    return bool(miner.find_miner_on)


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow ----------------------------------------------------------------------------


async def test_user_flow_asks_for_the_password(hass: HomeAssistant, simulator: Simulator) -> None:
    miner = await simulator.start(
        MinerSpec(family="vnish", model="Antminer S19j Pro", mac=MAC, password="hunter2")
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: f"127.0.0.1:{miner.port}"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {
            "model": "Antminer S19j Pro",
            "host": f"127.0.0.1:{miner.port}",
        }
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}  # the default "admin" is refused
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Antminer"  # the firmware's default hostname
    assert result["result"].unique_id == format_mac(MAC)
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.port,
        CONF_FAMILY: "vnish",
        CONF_PASSWORD: "hunter2",
    }


async def test_wrong_password_starts_reauth(hass: HomeAssistant, s19jpro: Any) -> None:
    """The miner's password changed (and it rebooted): reauth, then the entry works again."""
    s19jpro.password = "changed"
    entry = entry_for(s19jpro)
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PASSWORD: "admin"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PASSWORD: "changed"})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "changed"
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert number_state(hass, HASHRATE) > 0


async def test_password_changed_while_running(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    """Reads need no login; the change shows at the reboot, when the token must be renewed."""
    s19jpro.booted_at = time.monotonic() - 7200
    await refresh(hass, vnish_entry)
    s19jpro.password = "changed"
    s19jpro.on_boot()  # tokens die, uptime starts again
    await refresh(hass, vnish_entry)
    assert state_of(hass, HASHRATE) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


# --- entities -------------------------------------------------------------------------------


@pytest.fixture
def pinned(
    s19jpro: Any, frozen_clock: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Steady readings and a steady uptime (before set-up)."""
    pin_readings(s19jpro, monkeypatch)
    s19jpro.booted_at = time.monotonic() - 3600
    return s19jpro


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
@pytest.mark.usefixtures("all_entities_enabled")
async def test_vnish_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    pinned: Any,
    platform: Platform,
) -> None:
    """Every entity of the S19j Pro, one platform at a time: registry entry and state."""
    entry = entry_for(pinned)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


async def test_device(hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry) -> None:
    device = device_with_id(hass, format_mac(MAC))
    assert device is not None
    assert (device.manufacturer, device.model, device.sw_version) == (
        "Bitmain",
        "Antminer S19j Pro",
        "1.2.6",
    )
    assert device.serial_number == s19jpro.serial


# --- controls -------------------------------------------------------------------------------


async def test_mining_switch_pauses_and_resumes(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    assert state_of(hass, MINING) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert (s19jpro.miner_state, s19jpro.paused_only) == ("stopped", True)
    assert state_of(hass, MINING) == STATE_OFF
    assert number_state(hass, HASHRATE) == 0
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert s19jpro.miner_state == "mining"
    assert state_of(hass, MINING) == STATE_ON
    assert number_state(hass, HASHRATE) > 0


async def test_power_limit_number_selects_a_preset(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    assert number_state(hass, POWER_LIMIT) == 3100
    tuned = [p.watts for p in s19jpro.vnish_model.presets if p.tuned]
    assert attribute(hass, POWER_LIMIT, ATTR_MIN) == min(tuned)
    assert attribute(hass, POWER_LIMIT, ATTR_MAX) == max(tuned)
    assert attribute(hass, POWER_LIMIT, ATTR_STEP) == 1
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, POWER_LIMIT, **{ATTR_VALUE: 2800})
    assert preset(s19jpro) == "2700"  # the highest tuned preset at or below 2800 W
    assert number_state(hass, POWER_LIMIT) == 2700  # read back, not the value asked for
    assert state_of(hass, POWER_MODE) == "2700"


async def test_preset_select(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    assert attribute(hass, POWER_MODE, ATTR_OPTIONS) == ["2100", "2400", "2700", "3100", "3300"]
    assert state_of(hass, POWER_MODE) == "3100"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, POWER_MODE, **{ATTR_OPTION: "2400"})
    assert preset(s19jpro) == "2400"
    assert s19jpro.vnish_physics.target_power == 2400
    assert state_of(hass, POWER_MODE) == "2400"
    assert number_state(hass, POWER_LIMIT) == 2400


async def test_fault_light_switch(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, FAULT_LIGHT)
    assert locating(s19jpro) is True
    assert state_of(hass, FAULT_LIGHT) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, FAULT_LIGHT)
    assert locating(s19jpro) is False
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF


async def test_buttons(hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART_MINING)
    assert s19jpro.restart_count == 1
    assert s19jpro.state.reboot_count == 0
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, REBOOT)
    await s19jpro.wait_until_down()
    assert s19jpro.state.reboot_count == 1
    await s19jpro.wait_until_up()
    await refresh(hass, vnish_entry)
    assert state_of(hass, MINING) == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant, s19jpro: Any, vnish_entry: MockConfigEntry
) -> None:
    device = device_with_id(hass, format_mac(MAC))
    assert device is not None
    cooling = dict(s19jpro.settings["miner"]["cooling"])
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {ATTR_DEVICE_ID: device.id, "url_1": "stratum+tcp://a.example:3333", "user_1": "me.1"},
        blocking=True,
    )
    assert s19jpro.settings["miner"]["pools"][0]["url"] == "stratum+tcp://a.example:3333"
    assert s19jpro.settings["miner"]["pools"][1] == {"url": "", "user": "", "pass": ""}
    assert s19jpro.settings["miner"]["cooling"] == cooling
    assert preset(s19jpro) == "3100"
    await refresh(hass, vnish_entry)
    assert state_of(hass, ACTIVE_POOL) == "stratum+tcp://a.example:3333"


async def test_a_refused_write_says_why(
    hass: HomeAssistant,
    s19jpro: Any,
    vnish_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiohttp import web

    async def refuse(_request: web.BaseRequest) -> web.Response:
        return web.json_response({"err": "Autotune is running"}, status=500)

    monkeypatch.setattr(s19jpro, "rest_mining_restart", refuse)
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART_MINING)
    assert "Autotune is running" in str(caught.value)


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    s19jpro: Any,
    vnish_entry: MockConfigEntry,
) -> None:
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, vnish_entry.entry_id)
    ]
    assert len(entity_ids) > 15
    s19jpro.set_fault(Fault.OFFLINE)
    await refresh(hass, vnish_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    s19jpro.clear_fault()
    await refresh(hass, vnish_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
