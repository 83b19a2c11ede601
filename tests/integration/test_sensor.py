"""Sensors of a simulated Bitaxe: what exists, what they read, the boot time and the energy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.asic.const import CONF_FIRMWARE_FEED, DOMAIN
from tests.integration.entity_snapshots import snapshot_entities
from tests.simulator import Fault, MinerState, SimulatedMiner

POLL = timedelta(seconds=10)  # the AxeOS poll interval
FROZEN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=dt_util.UTC)
ENERGY = "sensor.gamma_energy"
LAST_RESTART = "sensor.gamma_last_restart"


# --- fixtures and helpers, also used by the other platforms' tests ---------------------------


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


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
    """Home Assistant's and the simulator's clocks stand still at a fixed time until ticked."""
    freezer.move_to(FROZEN_NOW)
    return freezer


def only_platform(platform: Platform) -> Iterator[None]:
    """Set up one platform only: ``snapshot_entities`` compares one platform at a time."""
    with patch("custom_components.asic.PLATFORMS", [platform]):
        yield


@pytest.fixture
def sensor_platform_only() -> Iterator[None]:
    yield from only_platform(Platform.SENSOR)


def pin_readings(miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch) -> MinerState:
    """Stop the simulated board's physics and give its counters fixed values.

    Its readings then keep the values of the board's first (seeded) tick, so a snapshot is the
    same on every run, while everything still travels over the board's real HTTP API.
    """
    state = miner.state
    monkeypatch.setattr(miner.physics, "tick", lambda _state, _elapsed: None)
    state.uptime = 3600.0
    state.shares_accepted = 1234
    state.shares_rejected = 5
    state.best_diff = 4_250_000.0
    state.best_session_diff = 1_500_000.0
    return state


@pytest.fixture
def pinned_state(axeos_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch) -> MinerState:
    """The simulated Bitaxe with steady readings (request before ``init_integration``)."""
    return pin_readings(axeos_miner, monkeypatch)


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, times: int = 1) -> None:
    """Let the poll interval pass ``times`` times; each time the coordinator polls the miner."""
    for _ in range(times):
        freezer.tick(POLL)
        async_fire_time_changed(hass)
        # The coordinator polls in a background task of the config entry.
        await hass.async_block_till_done(wait_background_tasks=True)


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll the miner now, as the coordinator does on its schedule."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def number_state(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return float(state.state)


def change_reply(
    miner: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    """Alter the board's ``/api/system/info`` reply, for what its simulated state cannot say."""
    original: Callable[[], dict[str, Any]] = miner.system_info  # type: ignore[attr-defined]
    monkeypatch.setattr(miner, "system_info", lambda: change(original()))


async def set_up(hass: HomeAssistant, entry: MockConfigEntry, feed_url: str) -> None:
    """What ``init_integration`` does, for tests that change the miner before set-up."""
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: feed_url}})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.usefixtures(
    "all_entities_enabled", "frozen_clock", "pinned_state", "sensor_platform_only"
)
async def test_sensor_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every sensor of a Bitaxe Gamma: registry entry and state."""
    await snapshot_entities(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.usefixtures("all_entities_enabled")
async def test_sensors_read_the_miner(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each sensor shows what the board reports, in the integration's units."""
    monkeypatch.setattr(axeos_miner.physics, "tick", lambda _state, _elapsed: None)
    await refresh(hass, init_integration)
    true = axeos_miner.state  # what the board served in that poll: its physics stand still

    def reads(entity_id: str) -> float:
        return number_state(hass, f"sensor.gamma_{entity_id}")

    # The board reports GH/s, mV and mA rounded as ESP-Miner prints them.
    hashrate = round(true.hashrate, 2) / 1000
    power = round(true.power, 3)
    assert reads("hashrate") == pytest.approx(hashrate)
    assert reads("expected_hashrate") == pytest.approx(round(true.expected_hashrate, 2) / 1000)
    assert reads("power") == pytest.approx(power)
    assert reads("efficiency") == pytest.approx(round(power / hashrate, 2))
    assert reads("chip_temperature") == pytest.approx(round(true.temp, 3))
    assert reads("voltage_regulator_temperature") == pytest.approx(round(true.vr_temp, 1))
    assert reads("input_voltage") == pytest.approx(round(true.input_voltage, 1) / 1000)
    assert reads("input_current") == pytest.approx(round(true.current, 1) / 1000)
    assert reads("fan_duty") == true.fan_percent
    assert reads("fan_speed") == true.fan_rpm
    assert reads("frequency") == true.frequency
    assert reads("core_voltage") == true.core_voltage
    assert reads("measured_core_voltage") == true.core_voltage_actual
    assert reads("accepted_shares") == true.shares_accepted
    assert reads("rejected_shares") == true.shares_rejected
    assert reads("best_difficulty") == round(true.best_diff)
    assert reads("best_difficulty_since_restart") == round(true.best_session_diff)
    assert reads("errors") == 0
    pool = true.primary_pool
    active_pool = hass.states.get("sensor.gamma_active_pool")
    assert active_pool is not None
    assert active_pool.state == f"stratum+tcp://{pool.url}:{pool.port}"
    last_restart = hass.states.get(LAST_RESTART)
    assert last_restart is not None
    booted = dt_util.parse_datetime(last_restart.state)
    assert booted is not None
    expected_boot = dt_util.utcnow() - timedelta(seconds=int(true.uptime))
    assert abs(booted - expected_boot) < timedelta(seconds=5)


async def test_no_sensor_for_what_the_miner_does_not_report(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    mock_config_entry: MockConfigEntry,
    firmware_feed_url: str,
    entity_registry: er.EntityRegistry,
) -> None:
    """A board without a reading gets no entity for it, never one stuck at 0."""
    missing = ("power", "vrTemp", "current", "coreVoltageActual", "uptimeSeconds", "fanrpm")
    change_reply(
        axeos_miner,
        monkeypatch,
        lambda info: {key: item for key, item in info.items() if key not in missing},
    )
    await set_up(hass, mock_config_entry, firmware_feed_url)

    created = {
        entry.translation_key
        for entry in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
        if entry.domain == "sensor"
    }
    assert "hashrate" in created
    for absent in (
        "power",
        "efficiency",
        "energy",
        "vr_temperature",
        "input_current",
        "core_voltage_measured",
        "last_restart",
        "fan_speed",
        "power_limit",
        "board_temperature",
    ):
        assert absent not in created


async def test_efficiency_unknown_while_paused(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
) -> None:
    """A paused board hashes at 0 TH/s; J/TH is then unknown, not infinite or 0."""
    axeos_miner.state.paused = True
    await refresh(hass, init_integration)

    assert number_state(hass, "sensor.gamma_hashrate") == 0
    efficiency = hass.states.get("sensor.gamma_efficiency")
    assert efficiency is not None
    assert efficiency.state == STATE_UNKNOWN


def boot_time(hass: HomeAssistant) -> datetime:
    state = hass.states.get(LAST_RESTART)
    assert state is not None
    booted = dt_util.parse_datetime(state.state)
    assert booted is not None
    return booted


async def test_last_restart_steady_between_polls(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    init_integration: MockConfigEntry,
) -> None:
    """The boot time does not wobble with poll latency; it moves after a real change."""
    assert boot_time(hass) == FROZEN_NOW - timedelta(hours=1)

    # The board's uptime stands still while time passes: a skew of 10 s, then 70 s.
    await poll(hass, frozen_clock)
    assert boot_time(hass) == FROZEN_NOW - timedelta(hours=1)
    await poll(hass, frozen_clock, times=6)
    assert boot_time(hass) == FROZEN_NOW + 7 * POLL - timedelta(hours=1)

    # A reboot is seen from the uptime going back, even when the boot time moved less than
    # the tolerance (40 s of uptime, then 5 s of uptime one poll later).
    pinned_state.uptime = 40
    await poll(hass, frozen_clock)
    before_reboot = boot_time(hass)
    assert before_reboot == FROZEN_NOW + 8 * POLL - timedelta(seconds=40)
    pinned_state.uptime = 5
    await poll(hass, frozen_clock)
    assert boot_time(hass) == FROZEN_NOW + 9 * POLL - timedelta(seconds=5)
    assert boot_time(hass) - before_reboot < timedelta(minutes=1)


@pytest.mark.usefixtures("frozen_clock", "pinned_state")
async def test_last_restart_unknown_when_uptime_is_not_reported(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change_reply(
        axeos_miner,
        monkeypatch,
        lambda info: {key: item for key, item in info.items() if key != "uptimeSeconds"},
    )
    await refresh(hass, init_integration)
    state = hass.states.get(LAST_RESTART)
    assert state is not None
    assert state.state == STATE_UNKNOWN


def kwh(watts: float, duration: timedelta) -> float:
    return watts * duration.total_seconds() / 3600 / 1000


async def test_energy_integrates_power_between_polls(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    init_integration: MockConfigEntry,
) -> None:
    """kWh grow by the trapezoid of power between two polls."""
    assert number_state(hass, ENERGY) == 0
    watts = round(pinned_state.power, 3)

    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, POLL))
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, 2 * POLL))

    # The power rises to 30 W: the next interval counts the mean of both readings.
    pinned_state.power = 30.0
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(
        kwh(watts, 2 * POLL) + kwh((watts + 30.0) / 2, POLL)
    )


async def test_energy_bridges_a_short_outage_but_not_a_long_one(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
) -> None:
    watts = round(pinned_state.power, 3)

    # One missed poll: the miner was surely running; both intervals count.
    axeos_miner.set_fault(Fault.OFFLINE)
    await poll(hass, frozen_clock)
    axeos_miner.clear_fault()
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, 2 * POLL))

    # Gone for five polls: what it drew meanwhile is unknown and is not counted.
    axeos_miner.set_fault(Fault.OFFLINE)
    await poll(hass, frozen_clock, times=4)
    axeos_miner.clear_fault()
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, 2 * POLL))

    # Counting resumes from the first poll after the outage.
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, 3 * POLL))


async def test_energy_restarts_counting_after_a_poll_without_power(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    axeos_miner: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    init_integration: MockConfigEntry,
) -> None:
    watts = round(pinned_state.power, 3)
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, POLL))

    with monkeypatch.context() as patched:
        change_reply(
            axeos_miner,
            patched,
            lambda info: {key: item for key, item in info.items() if key != "power"},
        )
        await poll(hass, frozen_clock)
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, POLL))

    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(watts, 2 * POLL))


async def test_energy_restored_after_restart(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    mock_config_entry: MockConfigEntry,
    firmware_feed_url: str,
) -> None:
    """The kWh total survives a Home Assistant restart and keeps growing from there."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ENERGY, "12.5"),
                {"native_value": 12.5, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    await set_up(hass, mock_config_entry, firmware_feed_url)
    assert number_state(hass, ENERGY) == 12.5

    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(
        12.5 + kwh(round(pinned_state.power, 3), POLL)
    )


async def test_input_current_disabled_by_default(
    entity_registry: er.EntityRegistry, init_integration: MockConfigEntry
) -> None:
    entry = entity_registry.async_get("sensor.gamma_input_current")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_nothing_counted_while_polling_is_paused(
    hass: HomeAssistant,
    frozen_clock: FrozenDateTimeFactory,
    pinned_state: MinerState,
    init_integration: MockConfigEntry,
) -> None:
    """A firmware install pauses polling: the last poll's data is no reading of energy or time."""
    coordinator = init_integration.runtime_data.coordinator
    booted = boot_time(hass)
    async with coordinator.paused():
        await poll(hass, frozen_clock, times=7)
        assert number_state(hass, ENERGY) == 0
        assert boot_time(hass) == booted

    # Polling resumed with a fresh poll; counting starts again from it.
    assert number_state(hass, ENERGY) == 0
    await poll(hass, frozen_clock)
    assert number_state(hass, ENERGY) == pytest.approx(kwh(round(pinned_state.power, 3), POLL))
