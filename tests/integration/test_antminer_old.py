"""Stock Antminers of the older generations (S9, S17: the web form's form-encoded writes) in
Home Assistant, and the writes every stock Antminer shares: restart mining and pools, which
must keep the rest of the configuration (the firmware replaces it whole)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from aiohttp import web
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
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import DOMAIN, SERVICE_SET_POOLS
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import add_through_flow, call, next_poll, refresh, sim, state_of
from .test_sensor import pin_readings

pytestmark = pytest.mark.usefixtures("socket_enabled")

FROZEN_NOW = dt_util.parse_datetime("2026-01-15T12:00:00+00:00")
PASSWORD = "antpw"
OLD_MODELS = {"Antminer S9": "s9", "Antminer S17": "s17"}
MODE_LOW_POWER = 3


@pytest.fixture
def frozen_clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    assert FROZEN_NOW is not None
    freezer.move_to(FROZEN_NOW)
    return freezer


def spec_of(model: str) -> MinerSpec:
    index = list(OLD_MODELS).index(model) if model in OLD_MODELS else 9
    return MinerSpec(
        family="antminer",
        model=model,
        mac=f"02:A1:B2:C3:D4:{index:02X}",
        hostname=OLD_MODELS.get(model, "s21"),
        password=PASSWORD,
    )


@pytest.fixture(params=list(OLD_MODELS))
def model(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
async def miner(simulator: Simulator, model: str) -> SimulatedMiner:
    return await simulator.start(spec_of(model))


@pytest.fixture
async def entry(hass: HomeAssistant, miner: SimulatedMiner) -> ConfigEntry:
    return await add_through_flow(hass, miner, username="root", password=PASSWORD)


def conf(miner: SimulatedMiner) -> dict[str, Any]:
    """The configuration the simulated firmware holds (what ``set_miner_conf.cgi`` replaces)."""
    value: dict[str, Any] = sim(miner, "conf")
    return value


async def set_pools(hass: HomeAssistant, entry: ConfigEntry, **fields: str) -> None:
    device = device_with_id(hass, entry.unique_id or "")
    assert device is not None
    await hass.services.async_call(
        DOMAIN, SERVICE_SET_POOLS, {ATTR_DEVICE_ID: device.id, **fields}, blocking=True
    )


# --- old generations ------------------------------------------------------------------------


async def test_flow_with_login(miner: SimulatedMiner, entry: ConfigEntry) -> None:
    assert entry.unique_id == miner.mac.lower()
    assert entry.data[CONF_USERNAME] == "root"
    assert entry.data[CONF_PASSWORD] == PASSWORD


@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]
)
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_old_antminer_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    miner: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    pin_readings(miner, monkeypatch)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_through_flow(hass, miner, username="root", password=PASSWORD)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.parametrize("platform", [Platform.NUMBER, Platform.SELECT])
async def test_old_antminer_has_no_entities_of(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    miner: SimulatedMiner,
    platform: Platform,
) -> None:
    """No work modes on these firmwares: no power mode select (nor any setting number)."""
    with patch("custom_components.asic.PLATFORMS", [platform]):
        entry = await add_through_flow(hass, miner, username="root", password=PASSWORD)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id) == []
    assert hass.states.get(f"switch.{miner.state.hostname}_mining") is None


async def test_fault_light_switch(
    hass: HomeAssistant, miner: SimulatedMiner, entry: ConfigEntry
) -> None:
    switch = f"switch.{miner.state.hostname}_fault_light"
    assert state_of(hass, switch) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, switch)
    assert sim(miner, "blinking") is True
    assert state_of(hass, switch) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, switch)
    assert sim(miner, "blinking") is False
    assert state_of(hass, switch) == STATE_OFF


async def test_restart_mining_button(
    hass: HomeAssistant, miner: SimulatedMiner, entry: ConfigEntry
) -> None:
    conf(miner).update(fan_ctrl=True, fan_pwm=70)
    before = dict(conf(miner))
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{miner.state.hostname}_restart_mining")
    assert sim(miner, "miner_restarts") == 1
    assert conf(miner) == before


async def test_restart_button_reboots(
    hass: HomeAssistant, miner: SimulatedMiner, entry: ConfigEntry
) -> None:
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, f"button.{miner.state.hostname}_restart")
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    await refresh(hass, entry)
    assert float(state_of(hass, f"sensor.{miner.state.hostname}_hashrate")) > 0


async def test_set_pools_keeps_the_fan_settings(
    hass: HomeAssistant, miner: SimulatedMiner, entry: ConfigEntry
) -> None:
    conf(miner).update(fan_ctrl=True, fan_pwm=65)
    await set_pools(
        hass,
        entry,
        url_1="stratum+tcp://pool.example:3333",
        user_1="old.1",
        password_1="p1",
        url_2="stratum+tcp://backup.example:443",
        user_2="old.2",
    )
    assert conf(miner)["pools"] == [
        {"url": "stratum+tcp://pool.example:3333", "user": "old.1", "pass": "p1"},
        {"url": "stratum+tcp://backup.example:443", "user": "old.2", "pass": "x"},
        {"url": "", "user": "", "pass": ""},
    ]
    assert conf(miner)["fan_ctrl"] is True
    assert conf(miner)["fan_pwm"] == 65
    assert state_of(hass, f"sensor.{miner.state.hostname}_active_pool") == (
        "stratum+tcp://pool.example:3333"
    )


async def test_refused_pools_are_a_translated_error(
    hass: HomeAssistant,
    miner: SimulatedMiner,
    entry: ConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A firmware that answers the form with anything but "ok" did not take it."""

    async def refuse(_request: web.BaseRequest) -> web.Response:
        return web.Response(text="invalid pool", content_type="text/html")

    routes = sim(miner, "cgi_routes")()
    routes["/cgi-bin/set_miner_conf.cgi"] = refuse
    monkeypatch.setattr(miner, "cgi_routes", lambda: routes)
    pools_before = list(conf(miner)["pools"])
    with pytest.raises(HomeAssistantError) as raised:
        await set_pools(hass, entry, url_1="stratum+tcp://pool.example:3333", user_1="x.1")
    assert raised.value.translation_key == "command_refused"
    assert "invalid pool" in str(raised.value)
    assert conf(miner)["pools"] == pools_before


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, miner: SimulatedMiner, entry: ConfigEntry
) -> None:
    sim(miner, "auth").password = "changed"
    await refresh(hass, entry)
    assert state_of(hass, f"sensor.{miner.state.hostname}_hashrate") == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert float(state_of(hass, f"sensor.{miner.state.hostname}_hashrate")) > 0


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


# --- what every stock Antminer shares, on a modern S21 --------------------------------------


@pytest.fixture
async def s21(simulator: Simulator) -> SimulatedMiner:
    return await simulator.start(spec_of("Antminer S21"))


@pytest.fixture
async def s21_entry(hass: HomeAssistant, s21: SimulatedMiner) -> ConfigEntry:
    return await add_through_flow(hass, s21, username="root", password=PASSWORD)


async def test_s21_set_pools_keeps_mode_and_fans(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: ConfigEntry
) -> None:
    await call(
        hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, "select.s21_power_mode", **{ATTR_OPTION: "low"}
    )
    conf(s21).update(fan_ctrl=True, fan_pwm=80, freq_level=95)
    await set_pools(
        hass, s21_entry, url_1="stratum+tcp://pool.example:3333", user_1="s21.1", password_1="p"
    )
    assert conf(s21)["pools"][0] == {
        "url": "stratum+tcp://pool.example:3333",
        "user": "s21.1",
        "pass": "p",
    }
    assert sim(s21, "work_mode") == MODE_LOW_POWER
    assert (conf(s21)["fan_ctrl"], conf(s21)["fan_pwm"], conf(s21)["freq_level"]) == (True, 80, 95)
    assert state_of(hass, "select.s21_power_mode") == "low"
    assert state_of(hass, "switch.s21_mining") == STATE_ON


async def test_s21_restart_mining_keeps_sleep(
    hass: HomeAssistant, s21: SimulatedMiner, s21_entry: ConfigEntry
) -> None:
    """Restarting a sleeping miner's mining program leaves it asleep, as the user put it."""
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "switch.s21_mining")
    pools = list(conf(s21)["pools"])
    restarts = sim(s21, "miner_restarts")
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "button.s21_restart_mining")
    assert sim(s21, "miner_restarts") == restarts + 1
    assert conf(s21)["pools"] == pools
    await refresh(hass, s21_entry)
    assert state_of(hass, "switch.s21_mining") == STATE_OFF
