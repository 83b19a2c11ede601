"""Numbers of a simulated Bitaxe: manual fan speed, frequency and core voltage."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.components.number import ATTR_MAX, ATTR_MIN, ATTR_STEP, ATTR_VALUE
from homeassistant.components.number.const import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerState, SimulatedMiner

from .test_sensor import number_state, only_platform, pin_readings

FAN = "number.gamma_manual_fan_speed"
FREQUENCY = "number.gamma_frequency"
CORE_VOLTAGE = "number.gamma_core_voltage"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


@pytest.fixture
def number_platform_only() -> Iterator[None]:
    yield from only_platform(Platform.NUMBER)


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


@pytest.fixture
def pinned_state(axeos_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch) -> MinerState:
    return pin_readings(axeos_miner, monkeypatch)


@pytest.mark.usefixtures("number_platform_only", "pinned_state")
async def test_number_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every number of a Bitaxe Gamma: registry entry and state."""
    await snapshot_entities(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_ranges_are_the_boards_limits(hass: HomeAssistant) -> None:
    """Min and max come from the board's own frequency and voltage choices (BM1370, Gamma)."""
    expected = {
        FAN: (0, 100, 1),
        FREQUENCY: (400, 625, 1),
        CORE_VOLTAGE: (1000, 1250, 1),
    }
    for entity_id, (low, high, step) in expected.items():
        state = hass.states.get(entity_id)
        assert state is not None
        assert (state.attributes[ATTR_MIN], state.attributes[ATTR_MAX]) == (low, high)
        assert state.attributes[ATTR_STEP] == step


@pytest.mark.usefixtures("init_integration")
async def test_manual_fan_speed(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    """Setting a speed takes the fan off automatic control and runs it at that speed."""
    await set_value(hass, FAN, 40)

    assert not axeos_miner.state.fan_auto
    assert axeos_miner.state.manual_fan_percent == 40
    assert number_state(hass, FAN) == 40
    assert number_state(hass, "sensor.gamma_fan_duty") == 40
    fan_auto = hass.states.get("switch.gamma_automatic_fan_control")
    assert fan_auto is not None
    assert fan_auto.state == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_frequency(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    await set_value(hass, FREQUENCY, 600)

    assert axeos_miner.state.frequency == 600
    assert number_state(hass, FREQUENCY) == 600
    assert number_state(hass, "sensor.gamma_frequency") == 600
    # ESP-Miner's expected hashrate follows the clock: 600 MHz × 2040 cores × 1 chip.
    assert number_state(hass, "sensor.gamma_expected_hashrate") == pytest.approx(1.224)


@pytest.mark.usefixtures("init_integration")
async def test_core_voltage(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    await set_value(hass, CORE_VOLTAGE, 1200)

    assert axeos_miner.state.core_voltage == 1200
    assert number_state(hass, CORE_VOLTAGE) == 1200
    assert number_state(hass, "sensor.gamma_core_voltage") == 1200


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("entity_id", "value"),
    [(FREQUENCY, 700), (FREQUENCY, 350), (CORE_VOLTAGE, 1400), (FAN, 101)],
)
async def test_out_of_range_value_refused(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, entity_id: str, value: float
) -> None:
    """A value outside the board's range never reaches it."""
    before = (
        axeos_miner.state.frequency,
        axeos_miner.state.core_voltage,
        axeos_miner.state.fan_auto,
        axeos_miner.state.manual_fan_percent,
    )
    with pytest.raises(ServiceValidationError):
        await set_value(hass, entity_id, value)
    after = (
        axeos_miner.state.frequency,
        axeos_miner.state.core_voltage,
        axeos_miner.state.fan_auto,
        axeos_miner.state.manual_fan_percent,
    )
    assert after == before


@pytest.mark.usefixtures("init_integration")
async def test_write_refused_by_the_miner(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    """The board answers the write with an error: the user sees why; the shown value stays."""
    axeos_miner.set_fault(Fault.HTTP_500, path="/api/system")
    with pytest.raises(HomeAssistantError) as raised:
        await set_value(hass, FREQUENCY, 600)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_refused"
    assert axeos_miner.state.frequency == 525
    assert number_state(hass, FREQUENCY) == 525


@pytest.mark.usefixtures("init_integration")
async def test_set_on_an_offline_miner(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    axeos_miner.set_fault(Fault.OFFLINE)
    with pytest.raises(HomeAssistantError) as raised:
        await set_value(hass, CORE_VOLTAGE, 1200)
    assert raised.value.translation_key == "command_unreachable"
    assert axeos_miner.state.core_voltage == 1150
