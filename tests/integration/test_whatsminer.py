"""Simulated Whatsminers in Home Assistant: a v2 M30S+ and a v3 M60S, added through the
config flow; their entities, every control through HA's services, the locked control API."""

from __future__ import annotations

from collections.abc import Iterator
import dataclasses
from typing import Any
from unittest.mock import PropertyMock, patch

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
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
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
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.client.families import whatsminer as whatsminer_family
from custom_components.asic.const import DOMAIN, SERVICE_SET_POOLS
from custom_components.asic.issues import controls_locked_issue_id
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import add_through_flow, attribute_of, call, next_poll, refresh, sim, state_of
from .test_sensor import pin_readings

pytestmark = pytest.mark.usefixtures("socket_enabled")

FROZEN_NOW = dt_util.parse_datetime("2026-01-15T12:00:00+00:00")
V2_PASSWORD = "hunter2"  # changed once from the default "admin": the control API is open
FLAVOURS = ("v2", "v3")


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
    assert FROZEN_NOW is not None
    freezer.move_to(FROZEN_NOW)
    return freezer


def spec_of(flavour: str, **changes: Any) -> MinerSpec:
    if flavour == "v2":
        spec = MinerSpec(
            family="whatsminer",
            model="M30S+",
            mac="C6:10:00:A1:B2:01",
            hostname="m30",
            password=V2_PASSWORD,
        )
    else:
        spec = MinerSpec(
            family="whatsminer", model="M60S", api="v3", mac="C6:10:00:A1:B2:02", hostname="m60"
        )
    return dataclasses.replace(spec, **changes)


async def start(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch, spec: MinerSpec
) -> SimulatedMiner:
    miner = await simulator.start(spec)
    if "rpc_v3" in miner.ports:
        # API v3 has a fixed port the entry does not store; the simulator's is a free one.
        monkeypatch.setattr(whatsminer_family, "V3_PORT", miner.ports["rpc_v3"])
    return miner


async def add(hass: HomeAssistant, miner: SimulatedMiner, flavour: str) -> ConfigEntry:
    # v2: the changed admin password; v3: blank fields, the default login super/super.
    return await add_through_flow(hass, miner, password=V2_PASSWORD if flavour == "v2" else None)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
async def miner(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch, flavour: str
) -> SimulatedMiner:
    return await start(simulator, monkeypatch, spec_of(flavour))


@pytest.fixture
async def entry(hass: HomeAssistant, miner: SimulatedMiner, flavour: str) -> ConfigEntry:
    return await add(hass, miner, flavour)


def name_of(flavour: str) -> str:
    return "m30" if flavour == "v2" else "m60"


# --- set-up and entities --------------------------------------------------------------------


async def test_flow_stores_the_login_only_where_given(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    assert entry.unique_id == miner.mac.lower()
    assert entry.data.get(CONF_PASSWORD) == (V2_PASSWORD if flavour == "v2" else None)


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
async def test_whatsminer_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    flavour: str,
    platform: Platform,
) -> None:
    """Every entity of each API flavour, one platform at a time: registry entry and state."""
    miner = await start(simulator, monkeypatch, spec_of(flavour))
    pin_readings(miner, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add(hass, miner, flavour)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


# --- controls -------------------------------------------------------------------------------


async def test_mining_switch(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    switch = f"switch.{name_of(flavour)}_mining"
    assert state_of(hass, switch) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, switch)
    assert sim(miner, "wm_physics").mining is False
    assert state_of(hass, switch) == STATE_OFF
    assert state_of(hass, f"binary_sensor.{name_of(flavour)}_mining") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, switch)
    assert sim(miner, "wm_physics").mining is True
    assert state_of(hass, switch) == STATE_ON


async def test_power_limit_number(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    number = f"number.{name_of(flavour)}_power_limit"
    limits = entry.runtime_data.miner.capabilities.power_limit
    assert limits is not None
    assert attribute_of(hass, number, "min") == limits.min
    assert attribute_of(hass, number, "max") == limits.max
    assert attribute_of(hass, number, "step") == limits.step
    low, high = sim(miner, "board").limit_range
    assert (limits.min, limits.max) == (low, high)

    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, number, **{ATTR_VALUE: low + 300})
    assert sim(miner, "wm_physics").power_limit == low + 300
    assert float(state_of(hass, number)) == low + 300


async def test_power_mode_select(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    select = f"select.{name_of(flavour)}_power_mode"
    assert attribute_of(hass, select, "options") == ["low", "normal", "high"]
    assert state_of(hass, select) == "normal"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, select, **{ATTR_OPTION: "low"})
    assert sim(miner, "wm_physics").mode == "low"
    assert state_of(hass, select) == "low"


async def test_fault_light_switch(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    switch = f"switch.{name_of(flavour)}_fault_light"
    assert state_of(hass, switch) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, switch)
    assert sim(miner, "led") != "auto"
    assert state_of(hass, switch) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, switch)
    assert sim(miner, "led") == "auto"
    assert state_of(hass, switch) == STATE_OFF


async def test_restart_mining_button(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    miner.state.uptime += 600  # BTMiner has run for a while
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{name_of(flavour)}_restart_mining")
    assert sim(miner, "btminer_since") >= 600  # BTMiner started again just now
    assert miner.state.reboot_count == 0


async def test_restart_button_reboots(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{name_of(flavour)}_restart")
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    await refresh(hass, entry)
    assert state_of(hass, f"switch.{name_of(flavour)}_mining") == STATE_ON


async def test_set_pools_action(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    miner: SimulatedMiner,
    flavour: str,
    entry: ConfigEntry,
) -> None:
    device = device_with_id(hass, entry.unique_id or "")
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://pool.example:3333",
            "user_1": "me.m1",
            "password_1": "p1",
            "url_2": "stratum+tcp://backup.example:443",
            "user_2": "me.m2",
        },
        blocking=True,
    )
    pools = sim(miner, "pools")
    assert [(pool["url"], pool["user"], pool["passwd"]) for pool in pools[:2]] == [
        ("stratum+tcp://pool.example:3333", "me.m1", "p1"),
        ("stratum+tcp://backup.example:443", "me.m2", "x"),
    ]
    assert state_of(hass, f"sensor.{name_of(flavour)}_active_pool") == (
        "stratum+tcp://pool.example:3333"
    )


async def test_refused_write_is_a_translated_error(
    hass: HomeAssistant,
    miner: SimulatedMiner,
    flavour: str,
    entry: ConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A firmware whose range is narrower than its model's refuses the limit with its reason."""
    board = sim(miner, "board")
    monkeypatch.setattr(
        miner, "board", dataclasses.replace(board, power_limit_max=board.limit_range[0] + 10)
    )
    with pytest.raises(HomeAssistantError) as raised:
        await call(
            hass,
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            f"number.{name_of(flavour)}_power_limit",
            **{ATTR_VALUE: board.limit_range[0] + 500},
        )
    assert raised.value.translation_key == "command_refused"
    assert str(raised.value).startswith(f"The miner at {miner.host} refused the command")
    assert sim(miner, "wm_physics").power_limit == board.limit_range[1]


# --- login, lock, availability --------------------------------------------------------------


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, miner: SimulatedMiner, flavour: str, entry: ConfigEntry
) -> None:
    """The readings need no login: the first write finds out, and reauth takes the new one."""
    new_password = "newpass1"
    sim(miner, "_set_password")(new_password)
    with pytest.raises(HomeAssistantError) as raised:
        await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, f"switch.{name_of(flavour)}_mining")
    assert raised.value.translation_key == "command_auth_failed"
    assert sim(miner, "wm_physics").mining is True
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PASSWORD: new_password}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == new_password
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, f"switch.{name_of(flavour)}_mining")
    assert sim(miner, "wm_physics").mining is False


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    miner: SimulatedMiner,
    entry: ConfigEntry,
) -> None:
    """Unplugged: unavailable at the next scheduled poll, back at the first one after."""
    entity_ids = [
        item.entity_id
        for item in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    ]
    miner.set_fault(Fault.OFFLINE)
    await next_poll(hass, entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    miner.clear_fault()
    await next_poll(hass, entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}


async def test_locked_control_api_is_a_repair_issue(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Factory password: readings work, every control is refused until it is changed."""
    miner = await start(simulator, monkeypatch, spec_of("v2", password=None))
    entry = await add_through_flow(hass, miner)
    issue_id = controls_locked_issue_id(entry)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert float(state_of(hass, "sensor.m30_hashrate")) > 0

    with pytest.raises(HomeAssistantError) as raised:
        await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.m30_mining")
    assert raised.value.translation_key == "command_locked"
    assert "default admin password" in str(raised.value)
    assert sim(miner, "wm_physics").mining is True
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "controls_locked"
    assert issue.translation_placeholders == {"name": entry.title, "host": miner.host}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)  # not a reauth

    # The owner changes the admin password in MicroBT's tool; the first command then works.
    sim(miner, "cmd_update_pwd")({"old": "admin", "new": "admin"})
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.m30_mining")
    assert sim(miner, "wm_physics").mining is False
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_lock_fault_on_an_unlocked_miner(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """API v2 locks its control API again (the API switch turned off in MicroBT's tool).

    API v3 has no such state: a refusal there is a wrong password (see the reauth test).
    """
    miner = await start(simulator, monkeypatch, spec_of("v2"))
    entry = await add(hass, miner, "v2")
    miner.set_fault(Fault.PRIVILEGED_LOCKED)
    with pytest.raises(HomeAssistantError):
        await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.m30_restart_mining")
    assert issue_registry.async_get_issue(DOMAIN, controls_locked_issue_id(entry)) is not None
    miner.clear_fault()
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.m30_restart_mining")
    assert issue_registry.async_get_issue(DOMAIN, controls_locked_issue_id(entry)) is None


async def test_removed_entry_leaves_no_issue(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    miner = await start(simulator, monkeypatch, spec_of("v2", password=None))
    entry = await add_through_flow(hass, miner)
    with pytest.raises(HomeAssistantError):
        await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.m30_fault_light")
    assert issue_registry.async_get_issue(DOMAIN, controls_locked_issue_id(entry)) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, controls_locked_issue_id(entry)) is None
