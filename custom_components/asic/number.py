"""Numbers: manual fan speed, clock, core voltage and power limit, within the board's limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricPotential,
    UnitOfFrequency,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import Capabilities, Miner, MinerData, NumberRange
from .coordinator import AsicConfigEntry, MinerCoordinator
from .entity import MinerEntity

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class MinerNumberEntityDescription(NumberEntityDescription):
    """A setting whose range comes from the miner's ``Capabilities``."""

    range_fn: Callable[[Capabilities], NumberRange | None]
    value_fn: Callable[[MinerData], float | None]
    exists_fn: Callable[[MinerData], bool]
    set_fn: Callable[[Miner, float], Awaitable[None]]


def _first_fan_percent(data: MinerData) -> float | None:
    return next((fan.percent for fan in data.fans if fan.percent is not None), None)


NUMBERS: tuple[MinerNumberEntityDescription, ...] = (
    MinerNumberEntityDescription(
        key="manual_fan_speed",
        translation_key="manual_fan_speed",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.SLIDER,
        range_fn=lambda capabilities: capabilities.fan_control,
        value_fn=_first_fan_percent,
        exists_fn=lambda data: (
            data.capabilities.fan_control is not None and _first_fan_percent(data) is not None
        ),
        # Setting a speed is asking for manual control: the miner's fan leaves auto mode.
        set_fn=lambda miner, percent: miner.set_fan(auto=False, percent=percent),
    ),
    MinerNumberEntityDescription(
        key="frequency",
        translation_key="frequency",
        device_class=NumberDeviceClass.FREQUENCY,
        native_unit_of_measurement=UnitOfFrequency.MEGAHERTZ,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        range_fn=lambda capabilities: capabilities.frequency,
        value_fn=lambda data: data.frequency,
        exists_fn=lambda data: (
            data.capabilities.frequency is not None and data.frequency is not None
        ),
        set_fn=lambda miner, mhz: miner.set_frequency(mhz),
    ),
    MinerNumberEntityDescription(
        key="core_voltage",
        translation_key="core_voltage",
        device_class=NumberDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        range_fn=lambda capabilities: capabilities.core_voltage,
        value_fn=lambda data: data.core_voltage,
        exists_fn=lambda data: (
            data.capabilities.core_voltage is not None and data.core_voltage is not None
        ),
        set_fn=lambda miner, millivolts: miner.set_core_voltage(millivolts),
    ),
    MinerNumberEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        range_fn=lambda capabilities: capabilities.power_limit,
        value_fn=lambda data: data.power_limit,
        exists_fn=lambda data: (
            data.capabilities.power_limit is not None and data.power_limit is not None
        ),
        set_fn=lambda miner, watts: miner.set_power_limit(watts),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the settings this miner lets us change."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        MinerNumber(coordinator, description)
        for description in NUMBERS
        if description.exists_fn(coordinator.data)
    )


class MinerNumber(MinerEntity, NumberEntity):
    """A setting that shows what the miner reports after each write, never a guess."""

    entity_description: MinerNumberEntityDescription

    def __init__(
        self, coordinator: MinerCoordinator, description: MinerNumberEntityDescription
    ) -> None:
        super().__init__(coordinator, description)
        setup_range = description.range_fn(coordinator.data.capabilities)
        assert setup_range is not None  # exists_fn checked it
        self._setup_range = setup_range

    @property
    def _range(self) -> NumberRange:
        # A reply that lacks the facts the range comes from keeps the range known at setup.
        return (
            self.entity_description.range_fn(self.coordinator.data.capabilities)
            or self._setup_range
        )

    @property
    def native_min_value(self) -> float:
        return self._range.min

    @property
    def native_max_value(self) -> float:
        return self._range.max

    @property
    def native_step(self) -> float:
        return self._range.step

    @property
    def native_value(self) -> float | None:
        return self.entity_description.value_fn(self.coordinator.data)

    async def async_set_native_value(self, value: float) -> None:
        await self._async_command(self.entity_description.set_fn(self.coordinator.miner, value))
