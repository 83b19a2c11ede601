"""Sensors: what a miner measures and counts, its boot time, and the energy it has used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .binary_sensor import reported_problems
from .client import Board, Fan, MinerData
from .coordinator import AsicConfigEntry, MinerCoordinator
from .entity import MinerEntity

PARALLEL_UPDATES = 0

UNIT_HASHRATE = "TH/s"
UNIT_EFFICIENCY = "J/TH"

# The boot time is now − uptime; poll latency makes that wobble by a second or two, so it
# only moves when it is off by more than this (or when the miner rebooted).
BOOT_TIME_TOLERANCE = timedelta(minutes=1)
# Energy is not integrated across a gap longer than this many poll intervals: what the
# miner drew while it could not be reached is unknown.
ENERGY_MAX_GAP_POLLS = 3
SECONDS_PER_HOUR = 3600
WATTS_PER_KILOWATT = 1000


@dataclass(frozen=True, kw_only=True)
class MinerSensorEntityDescription(SensorEntityDescription):
    """A sensor read from one field of ``MinerData``."""

    value_fn: Callable[[MinerData], StateType]
    exists_fn: Callable[[MinerData], bool]


def _hashrate(
    key: str, value_fn: Callable[[MinerData], float | None]
) -> MinerSensorEntityDescription:
    return MinerSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=UNIT_HASHRATE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=value_fn,
        exists_fn=lambda data: value_fn(data) is not None,
    )


def _temperature(
    key: str,
    value_fn: Callable[[MinerData], float | None],
    entity_category: EntityCategory | None = None,
) -> MinerSensorEntityDescription:
    return MinerSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=entity_category,
        value_fn=value_fn,
        exists_fn=lambda data: value_fn(data) is not None,
    )


def _first_fan_percent(data: MinerData) -> float | None:
    return next((fan.percent for fan in data.fans if fan.percent is not None), None)


def _active_pool_url(data: MinerData) -> str | None:
    pool = data.active_pool
    return pool.url if pool else None


SENSORS: tuple[MinerSensorEntityDescription, ...] = (
    _hashrate("hashrate", lambda data: data.hashrate),
    _hashrate("expected_hashrate", lambda data: data.expected_hashrate),
    MinerSensorEntityDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.power,
        exists_fn=lambda data: data.power is not None,
    ),
    MinerSensorEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.power_limit,
        exists_fn=lambda data: data.power_limit is not None,
    ),
    MinerSensorEntityDescription(
        key="efficiency",
        translation_key="efficiency",
        native_unit_of_measurement=UNIT_EFFICIENCY,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.efficiency,
        # Unknown while the miner does not hash; the entity exists when both inputs do.
        exists_fn=lambda data: data.power is not None and data.hashrate is not None,
    ),
    _temperature("chip_temperature", lambda data: data.chip_temp_max),
    _temperature("board_temperature", lambda data: data.board_temp_max),
    _temperature("inlet_temperature", lambda data: data.inlet_temp),
    _temperature("outlet_temperature", lambda data: data.outlet_temp),
    _temperature("vr_temperature", lambda data: data.vr_temp, EntityCategory.DIAGNOSTIC),
    MinerSensorEntityDescription(
        key="input_voltage",
        translation_key="input_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=2,
        value_fn=lambda data: data.input_voltage,
        exists_fn=lambda data: data.input_voltage is not None,
    ),
    MinerSensorEntityDescription(
        key="input_current",
        translation_key="input_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=2,
        value_fn=lambda data: data.input_current,
        exists_fn=lambda data: data.input_current is not None,
    ),
    MinerSensorEntityDescription(
        key="fan_duty",
        translation_key="fan_duty",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_first_fan_percent,
        exists_fn=lambda data: _first_fan_percent(data) is not None,
    ),
    MinerSensorEntityDescription(
        key="frequency",
        translation_key="frequency",
        device_class=SensorDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.MEGAHERTZ,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.frequency,
        exists_fn=lambda data: data.frequency is not None,
    ),
    MinerSensorEntityDescription(
        key="core_voltage",
        translation_key="core_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.core_voltage,
        exists_fn=lambda data: data.core_voltage is not None,
    ),
    MinerSensorEntityDescription(
        key="core_voltage_measured",
        translation_key="core_voltage_measured",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.core_voltage_actual,
        exists_fn=lambda data: data.core_voltage_actual is not None,
    ),
    MinerSensorEntityDescription(
        key="shares_accepted",
        translation_key="shares_accepted",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.shares_accepted,
        exists_fn=lambda data: data.shares_accepted is not None,
    ),
    MinerSensorEntityDescription(
        key="shares_rejected",
        translation_key="shares_rejected",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.shares_rejected,
        exists_fn=lambda data: data.shares_rejected is not None,
    ),
    MinerSensorEntityDescription(
        key="best_difficulty",
        translation_key="best_difficulty",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.best_difficulty,
        exists_fn=lambda data: data.best_difficulty is not None,
    ),
    MinerSensorEntityDescription(
        key="session_best_difficulty",
        translation_key="session_best_difficulty",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda data: data.best_session_difficulty,
        exists_fn=lambda data: data.best_session_difficulty is not None,
    ),
    MinerSensorEntityDescription(
        key="active_pool",
        translation_key="active_pool",
        value_fn=_active_pool_url,
        exists_fn=lambda data: bool(data.pools),
    ),
    MinerSensorEntityDescription(
        key="error_count",
        translation_key="error_count",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: len(reported_problems(data)),
        # ``errors`` is always known: an empty list is a miner that reports no error.
        exists_fn=lambda data: True,
    ),
)

LAST_RESTART = SensorEntityDescription(
    key="last_restart",
    translation_key="last_restart",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)

ENERGY = SensorEntityDescription(
    key="energy",
    translation_key="energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=3,
)


def _fan_rpm(index: int) -> Callable[[MinerData], int | None]:
    def rpm(data: MinerData) -> int | None:
        fan = next((fan for fan in data.fans if fan.index == index), None)
        return fan.rpm if fan else None

    return rpm


def fan_speed_description(fan: Fan) -> MinerSensorEntityDescription:
    """The RPM sensor of one fan; the first fan keeps the plain name most miners need."""
    rpm = _fan_rpm(fan.index)
    first = fan.index == 0
    return MinerSensorEntityDescription(
        key="fan_speed" if first else f"fan_{fan.index + 1}_speed",
        translation_key="fan_speed" if first else "fan_speed_numbered",
        translation_placeholders=None if first else {"number": str(fan.index + 1)},
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=rpm,
        exists_fn=lambda data: rpm(data) is not None,
    )


def _board_value(
    index: int, read: Callable[[Board], float | None]
) -> Callable[[MinerData], float | None]:
    def value(data: MinerData) -> float | None:
        board = next((board for board in data.boards if board.index == index), None)
        return read(board) if board else None

    return value


def _board_sensor(
    key: str, number: str, value_fn: Callable[[MinerData], float | None], **fields: Any
) -> MinerSensorEntityDescription:
    return MinerSensorEntityDescription(
        key=f"board_{number}_{key}",
        translation_key=key,
        translation_placeholders={"number": number},
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=value_fn,
        exists_fn=lambda data: value_fn(data) is not None,
        **fields,
    )


def board_descriptions(board: Board) -> list[MinerSensorEntityDescription]:
    """Hashrate and temperatures of one hashboard of a miner that has several."""
    number = str(board.index + 1)
    temperature = {
        "device_class": SensorDeviceClass.TEMPERATURE,
        "native_unit_of_measurement": UnitOfTemperature.CELSIUS,
        "suggested_display_precision": 1,
    }
    return [
        _board_sensor(
            "board_hashrate",
            number,
            _board_value(board.index, lambda board: board.hashrate),
            native_unit_of_measurement=UNIT_HASHRATE,
            suggested_display_precision=2,
        ),
        _board_sensor(
            "board_chip_temperature",
            number,
            _board_value(board.index, lambda board: board.chip_temp),
            **temperature,
        ),
        _board_sensor(
            "board_temperature_numbered",
            number,
            _board_value(board.index, lambda board: board.board_temp),
            **temperature,
        ),
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the sensors of what this miner reports."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    descriptions = [*SENSORS, *(fan_speed_description(fan) for fan in data.fans)]
    if len(data.boards) > 1:  # one board's figures are the miner's own
        descriptions += [
            description for board in data.boards for description in board_descriptions(board)
        ]
    entities: list[SensorEntity] = [
        MinerSensor(coordinator, description)
        for description in descriptions
        if description.exists_fn(data)
    ]
    if data.uptime is not None:
        entities.append(MinerLastRestartSensor(coordinator))
    if data.power is not None:
        entities.append(MinerEnergySensor(coordinator))
    async_add_entities(entities)


class MinerSensor(MinerEntity, SensorEntity):
    """A sensor whose state is one value of the latest poll."""

    entity_description: MinerSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data)


class MinerLastRestartSensor(MinerEntity, SensorEntity):
    """When the miner last booted, from its uptime; steady between polls."""

    entity_description: SensorEntityDescription

    def __init__(self, coordinator: MinerCoordinator) -> None:
        super().__init__(coordinator, LAST_RESTART)
        self._boot_time: datetime | None = None
        self._last_uptime: int | None = None
        self._track_uptime()

    def _track_uptime(self) -> None:
        uptime = self.coordinator.data.uptime
        if uptime is None:
            self._boot_time = self._last_uptime = None
            return
        boot_time = (dt_util.utcnow() - timedelta(seconds=uptime)).replace(microsecond=0)
        rebooted = self._last_uptime is not None and uptime < self._last_uptime
        if (
            self._boot_time is None
            or rebooted
            or abs(boot_time - self._boot_time) > BOOT_TIME_TOLERANCE
        ):
            self._boot_time = boot_time
        self._last_uptime = uptime

    @callback
    def _handle_coordinator_update(self) -> None:
        # While a firmware install holds the miner, the data is the last poll's: its uptime
        # no longer matches the clock.
        if self.coordinator.last_update_success and not self.coordinator.is_paused:
            self._track_uptime()
        super()._handle_coordinator_update()

    @property
    def native_value(self) -> datetime | None:
        return self._boot_time


class MinerEnergySensor(MinerEntity, RestoreSensor):
    """kWh used, integrated from the power readings (trapezoids between polls).

    Kept across Home Assistant restarts; nothing is counted for a gap longer than a few poll
    intervals, since the miner's power during it is unknown.
    """

    entity_description: SensorEntityDescription

    def __init__(self, coordinator: MinerCoordinator) -> None:
        super().__init__(coordinator, ENERGY)
        self._energy_kwh = 0.0
        self._last_sample: tuple[datetime, float] | None = None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        restored = await self.async_get_last_sensor_data()
        if restored is not None and isinstance(restored.native_value, (int, float, Decimal)):
            self._energy_kwh = max(float(restored.native_value), 0.0)
        self._add_sample()

    @property
    def _max_gap(self) -> timedelta:
        interval = self.coordinator.update_interval or timedelta(seconds=60)
        return interval * ENERGY_MAX_GAP_POLLS

    def _add_sample(self) -> None:
        # While a firmware install holds the miner, the data is the last poll's, not a reading.
        power = None if self.coordinator.is_paused else self.coordinator.data.power
        now = dt_util.utcnow()
        if power is None:
            self._last_sample = None
            return
        if self._last_sample is not None:
            last_time, last_power = self._last_sample
            elapsed = now - last_time
            if timedelta(0) < elapsed <= self._max_gap:
                hours = elapsed.total_seconds() / SECONDS_PER_HOUR
                self._energy_kwh += (last_power + power) / 2 * hours / WATTS_PER_KILOWATT
        self._last_sample = (now, power)

    @callback
    def _handle_coordinator_update(self) -> None:
        if self.coordinator.last_update_success:
            self._add_sample()
        super()._handle_coordinator_update()

    @property
    def native_value(self) -> float:
        return self._energy_kwh
