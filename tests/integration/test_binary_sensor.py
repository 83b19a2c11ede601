"""Binary sensors of a simulated Bitaxe: mining, problem, fallback pool."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.binary_sensor import reported_problems
from custom_components.asic.client import Family, MinerData, ReportedError
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import SimulatedMiner

from .family_flow import state_of
from .test_sensor import change_reply, only_platform, refresh

MINING = "binary_sensor.gamma_mining"
PROBLEM = "binary_sensor.gamma_problem"
FALLBACK = "binary_sensor.gamma_fallback_pool_in_use"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


@pytest.fixture
def binary_sensor_platform_only() -> Iterator[None]:
    yield from only_platform(Platform.BINARY_SENSOR)


@pytest.mark.usefixtures("binary_sensor_platform_only")
async def test_binary_sensor_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every binary sensor of a Bitaxe Gamma: registry entry and state."""
    await snapshot_entities(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_mining_follows_the_miner(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, init_integration: MockConfigEntry
) -> None:
    assert state_of(hass, MINING) == STATE_ON

    axeos_miner.state.paused = True
    await refresh(hass, init_integration)
    assert state_of(hass, MINING) == STATE_OFF

    axeos_miner.state.paused = False
    await refresh(hass, init_integration)
    assert state_of(hass, MINING) == STATE_ON


async def test_problem_lists_the_errors_the_miner_reports(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = hass.states.get(PROBLEM)
    assert problem is not None
    assert problem.state == STATE_OFF
    assert problem.attributes["errors"] == []

    # The simulator has no switch for these; ESP-Miner reports them in the same reply.
    change_reply(
        axeos_miner,
        monkeypatch,
        lambda info: info | {"overheat_mode": 1, "power_fault": "Input voltage too low"},
    )
    await refresh(hass, init_integration)

    problem = hass.states.get(PROBLEM)
    assert problem is not None
    assert problem.state == STATE_ON
    assert problem.attributes["errors"] == [
        {"code": "power_fault", "message": "Input voltage too low"},
        {"code": "overheat", "message": "Overheat protection is active"},
    ]
    assert state_of(hass, "sensor.gamma_errors") == "2"


async def test_fallback_pool_in_use(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, init_integration: MockConfigEntry
) -> None:
    """The miner switched to its fallback pool: the sensor says so and the active pool follows."""
    assert state_of(hass, FALLBACK) == STATE_OFF
    primary = axeos_miner.state.primary_pool
    assert state_of(hass, "sensor.gamma_active_pool") == (
        f"stratum+tcp://{primary.url}:{primary.port}"
    )

    axeos_miner.state.using_fallback = True
    await refresh(hass, init_integration)

    assert state_of(hass, FALLBACK) == STATE_ON
    fallback = axeos_miner.state.fallback_pool
    assert state_of(hass, "sensor.gamma_active_pool") == (
        f"stratum+tcp://{fallback.url}:{fallback.port}"
    )


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        # a stock Antminer asleep lists its hashrate as failing; other items still count
        (
            MinerData(
                Family.ANTMINER,
                power_mode="sleep",
                errors=(ReportedError("rate", "sleep mode"), ReportedError("fans:2", "Fan lost")),
            ),
            ["fans:2"],
        ),
        (
            MinerData(Family.ANTMINER, power_mode="normal", errors=(ReportedError("rate", "x"),)),
            ["rate"],
        ),
        # LuxOS curtailed reports a SLEEP event; mining, the same event is a problem
        (
            MinerData(
                Family.LUXOS,
                is_mining=False,
                errors=(ReportedError("SLEEP", "Miner is in Sleep mode."),),
            ),
            [],
        ),
        (
            MinerData(Family.LUXOS, is_mining=True, errors=(ReportedError("SLEEP", "x"),)),
            ["SLEEP"],
        ),
        (
            MinerData(Family.WHATSMINER, is_mining=False, errors=(ReportedError("SLEEP", "x"),)),
            ["SLEEP"],
        ),
    ],
)
def test_a_miner_stopped_on_purpose_has_no_problem(data: MinerData, problems: list[str]) -> None:
    assert [error.code for error in reported_problems(data)] == problems
