"""Buttons of a simulated Bitaxe: restart and identify."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, SimulatedMiner

from .test_sensor import LAST_RESTART, only_platform, refresh

RESTART = "button.gamma_restart"
IDENTIFY = "button.gamma_identify"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


@pytest.fixture
def button_platform_only() -> Iterator[None]:
    yield from only_platform(Platform.BUTTON)


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def last_restart(hass: HomeAssistant) -> float:
    state = hass.states.get(LAST_RESTART)
    assert state is not None
    booted = dt_util.parse_datetime(state.state)
    assert booted is not None
    return booted.timestamp()


@pytest.mark.usefixtures("button_platform_only")
async def test_button_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every button of a Bitaxe Gamma: registry entry and state."""
    await snapshot_entities(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_restart(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, init_integration: MockConfigEntry
) -> None:
    """The board reboots; once back, its uptime starts again and the boot time moves."""
    axeos_miner.state.uptime = 3600
    await refresh(hass, init_integration)
    booted_before = last_restart(hass)
    assert booted_before == pytest.approx(dt_util.utcnow().timestamp() - 3600, abs=5)

    await press(hass, RESTART)
    assert axeos_miner.state.reboot_count == 1
    await axeos_miner.wait_until_up()
    await refresh(hass, init_integration)

    assert axeos_miner.state.uptime < 60
    assert last_restart(hass) - booted_before == pytest.approx(3600, abs=60)
    pressed = hass.states.get(RESTART)
    assert pressed is not None
    assert pressed.state != STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_identify(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    await press(hass, IDENTIFY)
    assert axeos_miner.state.identify_count == 1
    assert axeos_miner.state.reboot_count == 0


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("entity_id", [RESTART, IDENTIFY])
async def test_press_on_an_offline_miner(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, entity_id: str
) -> None:
    axeos_miner.set_fault(Fault.OFFLINE)
    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, entity_id)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_unreachable"
    assert axeos_miner.state.reboot_count == 0
    assert axeos_miner.state.identify_count == 0


async def test_restart_refused_while_the_miner_fails(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, init_integration: MockConfigEntry
) -> None:
    """The board answers 500: the user is told it refused, and it did not restart."""
    axeos_miner.set_fault(Fault.HTTP_500, path="/api/system/restart")
    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, RESTART)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_refused"
    assert axeos_miner.state.reboot_count == 0
