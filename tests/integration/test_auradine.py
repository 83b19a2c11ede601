"""A simulated Auradine AT1500 (FluxOS) in Home Assistant: the login flow, its entities, its
controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
import time
from typing import Any
from unittest.mock import PropertyMock, patch

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
    CONF_USERNAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.client.families import auradine as family
from custom_components.asic.const import CONF_FAMILY, CONF_RPC_PORT, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.auradine import _api

from .devices import device_with_id
from .family_flow import state_of
from .test_sensor import number_state, pin_readings, refresh, set_up

pytestmark = pytest.mark.usefixtures("socket_enabled")

AURADINE_MAC = "02:AD:B2:C3:D4:E5"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)

MINING = "switch.flux_mining"
FAULT_LIGHT = "switch.flux_fault_light"
POWER_LIMIT = "number.flux_power_limit"
POWER_MODE = "select.flux_power_mode"
RESTART = "button.flux_restart"
RESTART_MINING = "button.flux_restart_mining"
HASHRATE = "sensor.flux_hashrate"


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
async def flux(simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> SimulatedMiner:
    """An AT1500 with the factory login admin/admin on random ports; identification looks for
    its REST API there (8080 on a real one)."""
    miner = await simulator.start(
        MinerSpec(family="auradine", model="AT1500", mac=AURADINE_MAC, hostname="flux")
    )
    monkeypatch.setattr(family, "API_PORT", miner.ports["api"])
    return miner


def entry_for(miner: SimulatedMiner, password: str = "admin") -> MockConfigEntry:
    """The entry the config flow creates for ``miner``: REST port as the port, and the RPC's."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="flux",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.ports["api"],
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: "auradine",
            CONF_USERNAME: "admin",
            CONF_PASSWORD: password,
        },
    )


@pytest.fixture
async def flux_entry(hass: HomeAssistant, flux: SimulatedMiner) -> MockConfigEntry:
    entry = entry_for(flux)
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    return entry


def attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.attributes[name]


def sleeping(miner: SimulatedMiner) -> bool:
    return bool(miner.sleep)  # type: ignore[attr-defined]


def mode_of(miner: SimulatedMiner) -> dict[str, Any]:
    return dict(miner.mode)  # type: ignore[attr-defined]


def led_code(miner: SimulatedMiner) -> int:
    return int(miner.led_code)  # type: ignore[attr-defined]


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


# --- config flow --------------------------------------------------------------------------


async def test_user_flow_with_login(
    hass: HomeAssistant, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The UI's address typed, the RPC port in its field; a wrong password, then the right one."""
    miner = await simulator.start(
        MinerSpec(family="auradine", model="AI3680", mac=AURADINE_MAC, password="hunter2")
    )
    monkeypatch.setattr(family, "API_PORT", miner.ports["api"])
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("custom_components.asic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: f"127.0.0.1:{miner.port}", CONF_RPC_PORT: float(miner.ports["rpc"])},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "credentials"
        assert result["description_placeholders"] == {
            "model": "AI3680",
            "host": f"127.0.0.1:{miner.ports['api']}",
        }
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "admin"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "hunter2"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(AURADINE_MAC)
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: miner.ports["api"],
        CONF_RPC_PORT: miner.ports["rpc"],
        CONF_FAMILY: "auradine",
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "hunter2",
    }


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    """The password changed and the token ran out: reauth, then the new password works."""
    flux.password = "changed"  # type: ignore[attr-defined]
    flux.tokens.clear()  # type: ignore[attr-defined]
    await refresh(hass, flux_entry)
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
    assert flux_entry.data[CONF_PASSWORD] == "changed"
    assert flux_entry.data[CONF_RPC_PORT] == flux.ports["rpc"]
    assert flux_entry.state is ConfigEntryState.LOADED
    assert float(state_of(hass, HASHRATE)) > 0


async def test_expired_token_is_invisible(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    flux.tokens.clear()  # type: ignore[attr-defined]
    await refresh(hass, flux_entry)
    assert float(state_of(hass, HASHRATE)) > 0
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


# --- entities -----------------------------------------------------------------------------


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
async def test_auradine_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    flux: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
) -> None:
    """Every entity of an AT1500, one platform at a time: registry entry and state."""
    pin_readings(flux, monkeypatch)
    flux.gcminer_started = time.monotonic() - 3600  # type: ignore[attr-defined]
    entry = entry_for(flux)
    with patch("custom_components.asic.PLATFORMS", [platform]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    await snapshot_entities(hass, entity_registry, snapshot, entry.entry_id)


async def test_auradine_has_no_firmware_entity(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, flux: SimulatedMiner
) -> None:
    entry = entry_for(flux)
    with patch("custom_components.asic.PLATFORMS", [Platform.UPDATE]):
        await set_up(hass, entry, UNREACHABLE_FEED)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id) == []


async def test_device_links_to_the_miner_ui(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    device = device_with_id(hass, format_mac(AURADINE_MAC))
    assert device is not None
    assert device.configuration_url == f"http://{flux.host}"
    assert (device.manufacturer, device.model) == ("Auradine", "AT1500")
    assert device.serial_number == flux.serial  # type: ignore[attr-defined]


# --- controls -----------------------------------------------------------------------------


async def test_mining_switch_sleeps_and_wakes(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    pools = [dict(pool) for pool in flux.pools]  # type: ignore[attr-defined]
    assert state_of(hass, MINING) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, MINING)
    assert sleeping(flux)
    assert state_of(hass, MINING) == STATE_OFF
    assert number_state(hass, HASHRATE) == 0
    assert state_of(hass, "binary_sensor.flux_problem") == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, MINING)
    assert not sleeping(flux)
    assert state_of(hass, MINING) == STATE_ON
    assert number_state(hass, HASHRATE) > 0
    assert flux.pools == pools  # type: ignore[attr-defined]


async def test_power_mode_select(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    assert attribute(hass, POWER_MODE, ATTR_OPTIONS) == ["eco", "normal", "turbo"]
    assert state_of(hass, POWER_MODE) == "normal"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, POWER_MODE, **{ATTR_OPTION: "eco"})
    assert mode_of(flux)["mode"] == "eco"
    assert state_of(hass, POWER_MODE) == "eco"
    assert number_state(hass, POWER_LIMIT) == pytest.approx(3240 * 0.68, abs=1)


async def test_power_limit_number(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    assert (
        attribute(hass, POWER_LIMIT, ATTR_MIN),
        attribute(hass, POWER_LIMIT, ATTR_MAX),
        attribute(hass, POWER_LIMIT, ATTR_STEP),
    ) == (1500, 3600, 1)
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, POWER_LIMIT, **{ATTR_VALUE: 2400})
    assert mode_of(flux) == {**mode_of(flux), "mode": "custom", "tune": "power", "power": 2400}
    assert number_state(hass, POWER_LIMIT) == 2400
    assert number_state(hass, "sensor.flux_power") == pytest.approx(2400, rel=0.02)
    # Custom watts are no preset: the select then shows no option.
    assert state_of(hass, POWER_MODE) == STATE_UNKNOWN


async def test_fault_light_switch(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, FAULT_LIGHT)
    assert led_code(flux) == family.LED_LOCATE
    assert state_of(hass, FAULT_LIGHT) == STATE_ON
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, FAULT_LIGHT)
    assert led_code(flux) == family.LED_NORMAL
    assert state_of(hass, FAULT_LIGHT) == STATE_OFF


async def test_restart_buttons(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    flux.gcminer_started -= 600  # type: ignore[attr-defined]
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART_MINING)
    assert time.monotonic() - flux.gcminer_started < 5  # type: ignore[attr-defined]
    assert flux.state.reboot_count == 0
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, RESTART)
    await flux.wait_until_down()
    assert flux.state.reboot_count == 1
    await flux.wait_until_up()
    await refresh(hass, flux_entry)  # the token ended with the reboot: a new one, no reauth
    assert state_of(hass, MINING) == STATE_ON
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_set_pools_action(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    device = device_with_id(hass, format_mac(AURADINE_MAC))
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_pools",
        {
            ATTR_DEVICE_ID: device.id,
            "url_1": "stratum+tcp://a.example:3333",
            "user_1": "me.1",
            "password_1": "p",
        },
        blocking=True,
    )
    assert flux.pools == [  # type: ignore[attr-defined]
        {"url": "stratum+tcp://a.example:3333", "user": "me.1", "pass": "p"}
    ]
    assert state_of(hass, "sensor.flux_active_pool") == "stratum+tcp://a.example:3333"


async def test_refused_write_says_why(
    hass: HomeAssistant, flux: SimulatedMiner, flux_entry: MockConfigEntry
) -> None:
    """The firmware refuses a power mode change while its API is in a bad mood: the reason
    reaches the user as a translated error."""
    original = flux.api_set_mode  # type: ignore[attr-defined]

    async def refuse(_request: Any, _body: dict[str, Any]) -> Any:
        return family_error(flux, "Tuning in progress")

    flux.api_set_mode = refuse  # type: ignore[attr-defined]
    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, POWER_MODE, **{ATTR_OPTION: "eco"})
    assert refused.value.translation_key == "command_refused"
    assert "Tuning in progress" in str(refused.value.translation_placeholders)
    flux.api_set_mode = original  # type: ignore[attr-defined]
    assert mode_of(flux)["mode"] == "normal"


def family_error(miner: SimulatedMiner, message: str) -> Any:
    return _api(miner._error(400, message), status=400)  # type: ignore[attr-defined]


async def test_offline_then_back(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    flux: SimulatedMiner,
    flux_entry: MockConfigEntry,
) -> None:
    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, flux_entry.entry_id)
    ]
    assert len(entity_ids) > 15
    flux.set_fault(Fault.OFFLINE)
    await refresh(hass, flux_entry)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    flux.clear_fault()
    await refresh(hass, flux_entry)
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
