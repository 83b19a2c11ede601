"""Switches of a simulated Bitaxe: mining on/off and automatic fan control."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PORT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import CONF_FAMILY, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

from .family_flow import state_of
from .test_sensor import number_state, only_platform, set_up

MINING = "switch.gamma_mining"
FAN_AUTO = "switch.gamma_automatic_fan_control"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


@pytest.fixture
def switch_platform_only() -> Iterator[None]:
    yield from only_platform(Platform.SWITCH)


def paused(miner: SimulatedMiner) -> bool:
    return miner.state.paused


def fan_auto(miner: SimulatedMiner) -> bool:
    return miner.state.fan_auto


async def switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


@pytest.mark.usefixtures("switch_platform_only")
async def test_switch_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every switch of a Bitaxe Gamma: registry entry and state."""
    await snapshot_entities(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_mining_switch_pauses_and_resumes(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """Pausing stops the board hashing; what is shown is what the board then reports."""
    assert state_of(hass, MINING) == STATE_ON

    await switch(hass, MINING, on=False)
    assert paused(axeos_miner)
    assert state_of(hass, MINING) == STATE_OFF
    assert state_of(hass, "binary_sensor.gamma_mining") == STATE_OFF
    assert number_state(hass, "sensor.gamma_hashrate") == 0

    await switch(hass, MINING, on=True)
    assert not paused(axeos_miner)
    assert state_of(hass, MINING) == STATE_ON
    assert number_state(hass, "sensor.gamma_hashrate") > 0


@pytest.mark.usefixtures("init_integration")
async def test_automatic_fan_switch(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    """Off hands the fan to the manual speed the board has stored; on gives it back."""
    assert state_of(hass, FAN_AUTO) == STATE_ON
    manual = axeos_miner.state.manual_fan_percent

    await switch(hass, FAN_AUTO, on=False)
    assert not fan_auto(axeos_miner)
    assert state_of(hass, FAN_AUTO) == STATE_OFF
    assert number_state(hass, "sensor.gamma_fan_duty") == manual

    await switch(hass, FAN_AUTO, on=True)
    assert fan_auto(axeos_miner)
    assert state_of(hass, FAN_AUTO) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_switch_on_an_offline_miner(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    """A command that cannot reach the miner is an error in the user's language."""
    axeos_miner.set_fault(Fault.OFFLINE)
    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, MINING, on=False)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_unreachable"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["host"] == axeos_miner.host
    assert not paused(axeos_miner)


async def test_no_mining_switch_on_firmware_without_pause(
    hass: HomeAssistant,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
    firmware_feed_url: str,
) -> None:
    """ESP-Miner before 2.14 cannot pause: no mining switch, the fan switch is still there."""
    legacy = await simulator.start(
        MinerSpec(family="axeos", model="Bitaxe Supra", legacy=True, hostname="supra")
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="supra",
        unique_id=format_mac(legacy.state.mac),
        data={CONF_HOST: legacy.host, CONF_PORT: legacy.port, CONF_FAMILY: "axeos"},
    )
    await set_up(hass, entry, firmware_feed_url)

    switches = {
        registered.translation_key
        for registered in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if registered.domain == SWITCH_DOMAIN
    }
    assert switches == {"fan_auto"}
