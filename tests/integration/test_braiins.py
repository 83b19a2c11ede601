"""Simulated Braiins OS miners in Home Assistant: 25.07 with its REST API, added through the
config flow, and an older release whose only API is the RPC; entities and every control."""

from __future__ import annotations

import dataclasses
import importlib
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number.const import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.const import (
    ATTR_DEVICE_ID,
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
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.asic import config_flow
from custom_components.asic.const import (
    CONF_FAMILY,
    CONF_FIRMWARE_FEED,
    CONF_RPC_PORT,
    DOMAIN,
    SERVICE_SET_POOLS,
)
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.braiins import BraiinsMiner as SimulatedBraiins

from .devices import device_with_id
from .family_flow import (
    UNREACHABLE_FEED,
    add_through_flow,
    attribute_of,
    call,
    next_poll,
    refresh,
    sim,
    state_of,
)
from .test_sensor import pin_readings

pytestmark = pytest.mark.usefixtures("socket_enabled")

# The module, not the function of the same name that the client package exports.
identify_module = importlib.import_module("custom_components.asic.client.identify")

FROZEN_NOW = dt_util.parse_datetime("2026-01-15T12:00:00+00:00")
PASSWORD = "bos-pass"
REST_SPEC = MinerSpec(
    family="braiins",
    model="Antminer S19 XP",
    mac="02:B0:5A:00:00:01",
    hostname="bos",
    password=PASSWORD,
)
# Braiins OS before 25.07: no REST API, so reads and mining on/off go through the RPC only.
RPC_SPEC = MinerSpec(
    family="braiins",
    model="Antminer S19 XP",
    firmware="24.09",
    mac="02:B0:5A:00:00:02",
)


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    assert FROZEN_NOW is not None
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture
async def bos(simulator: Simulator) -> SimulatedMiner:
    return await simulator.start(REST_SPEC)


@pytest.fixture
async def bos_entry(hass: HomeAssistant, bos: SimulatedMiner) -> ConfigEntry:
    return await add_through_flow(hass, bos, username="root", password=PASSWORD)


async def add_rpc_only_through_dhcp(
    hass: HomeAssistant, miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
) -> ConfigEntry:
    """An RPC-only Braiins OS tells its MAC on no API the client reads: DHCP tells it.

    DHCP gives only the address, so discovery probes the family's usual ports; here they are
    pointed at the simulator's free ones (its web page and its RPC).
    """
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    monkeypatch.setattr(config_flow, "DHCP_PROBE_PORT", miner.port)
    monkeypatch.setattr(identify_module, "DEFAULT_RPC_PORT", miner.ports["rpc"])
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(
            ip=miner.host, hostname="bos-rpc", macaddress=miner.mac.replace(":", "").lower()
        ),
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "credentials"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


# --- set-up and entities --------------------------------------------------------------------


async def test_flow_with_login(hass: HomeAssistant, bos: SimulatedMiner) -> None:
    """The login is asked for and stored with the RPC port typed in the flow."""
    entry = await add_through_flow(hass, bos, username="root", password=PASSWORD)
    assert entry.unique_id == format_mac(bos.mac)
    assert entry.data[CONF_USERNAME] == "root"
    assert entry.data[CONF_PASSWORD] == PASSWORD
    assert entry.data[CONF_RPC_PORT] == bos.ports["rpc"]


async def test_user_flow_cannot_add_rpc_only_release(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Identified and read, but without a MAC address there is nothing to tell it apart by."""
    miner = await simulator.start(RPC_SPEC)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["rpc"])},
    )
    assert result["step_id"] == "credentials"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_mac"


PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_braiins_rest_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    bos: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    pin_readings(bos, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_through_flow(hass, bos, username="root", password=PASSWORD)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize("platform", [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH])
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_braiins_rpc_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    miner = await simulator.start(RPC_SPEC)
    pin_readings(miner, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_rpc_only_through_dhcp(hass, miner, monkeypatch)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize("platform", [Platform.BUTTON, Platform.NUMBER, Platform.SELECT])
async def test_braiins_rpc_has_no_entities_of(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    """The RPC of older releases has no power target, LED, reboot or modes."""
    miner = await simulator.start(RPC_SPEC)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_rpc_only_through_dhcp(hass, miner, monkeypatch)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id) == []


# --- controls -------------------------------------------------------------------------------


async def test_mining_switch_rest(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    assert state_of(hass, "switch.bos_mining") == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.bos_mining")
    assert sim(bos, "tuned").sleeping is True
    assert state_of(hass, "switch.bos_mining") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.bos_mining")
    assert sim(bos, "tuned").sleeping is False
    assert state_of(hass, "switch.bos_mining") == STATE_ON


async def test_dhcp_adds_rpc_only_release(
    hass: HomeAssistant, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MAC comes from DHCP; the RPC port found is stored; the entry reads the miner."""
    miner = await simulator.start(RPC_SPEC)
    entry = await add_rpc_only_through_dhcp(hass, miner, monkeypatch)
    assert entry.unique_id == format_mac(miner.mac)
    assert entry.data == {
        CONF_HOST: miner.host,
        CONF_PORT: miner.port,
        CONF_RPC_PORT: miner.ports["rpc"],
        CONF_FAMILY: "braiins",
    }
    assert float(state_of(hass, "sensor.antminer_s19_xp_hashrate")) > 0


async def test_mining_switch_rpc(
    hass: HomeAssistant, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await simulator.start(RPC_SPEC)
    await add_rpc_only_through_dhcp(hass, miner, monkeypatch)
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.antminer_s19_xp_mining")
    assert sim(miner, "tuned").sleeping is True
    assert state_of(hass, "switch.antminer_s19_xp_mining") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.antminer_s19_xp_mining")
    assert sim(miner, "tuned").sleeping is False
    assert state_of(hass, "switch.antminer_s19_xp_mining") == STATE_ON


async def test_power_limit_number(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    board = sim(bos, "board")
    number = "number.bos_power_limit"
    assert attribute_of(hass, number, "min") == board.min_power_target
    assert attribute_of(hass, number, "max") == board.max_power_target
    assert attribute_of(hass, number, "step") == 1
    target = board.min_power_target + 250
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, number, **{ATTR_VALUE: target})
    assert sim(bos, "power_target") == target
    assert float(state_of(hass, number)) == target


async def test_refused_power_target_is_a_translated_error(
    hass: HomeAssistant,
    bos: SimulatedMiner,
    bos_entry: ConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The miner's limits shrank after set-up (e.g. another PSU): it refuses with its reason."""
    board = sim(bos, "board")
    narrower = dataclasses.replace(board, max_power_target=board.min_power_target + 100)
    monkeypatch.setattr(SimulatedBraiins, "board", property(lambda _self: narrower))
    before = sim(bos, "power_target")
    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            "number.bos_power_limit",
            **{ATTR_VALUE: board.min_power_target + 500},
        )
    assert raised.value.translation_key == "command_refused"
    assert "out of range" in str(raised.value)
    assert sim(bos, "power_target") == before


async def test_fault_light_switch(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    assert state_of(hass, "switch.bos_fault_light") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.bos_fault_light")
    assert sim(bos, "locate") is True
    assert state_of(hass, "switch.bos_fault_light") == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.bos_fault_light")
    assert sim(bos, "locate") is False
    assert state_of(hass, "switch.bos_fault_light") == STATE_OFF


async def test_restart_button_reboots(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.bos_restart")
    await bos.wait_until_down()
    assert bos.state.reboot_count == 1
    await bos.wait_until_up()
    await refresh(hass, bos_entry)
    assert state_of(hass, "switch.bos_mining") == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    bos: SimulatedMiner,
    bos_entry: ConfigEntry,
) -> None:
    device = device_with_id(hass, bos_entry.unique_id or "")
    assert device is not None
    group_name = sim(bos, "groups")[0].name
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://pool.example:3333",
            "user_1": "me.bos",
            "password_1": "p1",
        },
        blocking=True,
    )
    groups = sim(bos, "groups")
    assert [group.name for group in groups] == [group_name]  # the group itself is kept
    assert [(pool.url, pool.user, pool.password) for pool in groups[0].pools] == [
        ("stratum+tcp://pool.example:3333", "me.bos", "p1")
    ]
    assert state_of(hass, "sensor.bos_active_pool") == "stratum+tcp://pool.example:3333"


# --- login, tokens, availability ------------------------------------------------------------


async def test_expired_token_is_renewed_silently(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    sim(bos, "expire_tokens")()
    await refresh(hass, bos_entry)
    assert float(state_of(hass, "sensor.bos_hashrate")) > 0
    assert len(sim(bos, "tokens")) == 1  # one new login
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, bos: SimulatedMiner, bos_entry: ConfigEntry
) -> None:
    bos.password = "changed"  # type: ignore[attr-defined]
    sim(bos, "expire_tokens")()
    await refresh(hass, bos_entry)
    assert state_of(hass, "sensor.bos_hashrate") == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert bos_entry.data[CONF_PASSWORD] == "changed"
    assert float(state_of(hass, "sensor.bos_hashrate")) > 0


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    bos: SimulatedMiner,
    bos_entry: ConfigEntry,
) -> None:
    """Unplugged: unavailable at the next scheduled poll, back at the first one after."""
    entity_ids = [
        item.entity_id
        for item in er.async_entries_for_config_entry(entity_registry, bos_entry.entry_id)
    ]
    bos.set_fault(Fault.OFFLINE)
    await next_poll(hass, bos_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    bos.clear_fault()
    await next_poll(hass, bos_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
