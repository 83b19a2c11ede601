"""Binary sensors: is the miner hashing, does it report a problem, is it on its fallback pool."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import Family, MinerData, ReportedError
from .coordinator import AsicConfigEntry
from .entity import MinerEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MinerBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor read from ``MinerData``."""

    is_on_fn: Callable[[MinerData], bool | None]
    exists_fn: Callable[[MinerData], bool]
    attributes_fn: Callable[[MinerData], Mapping[str, Any]] | None = None


def _stopped_on_purpose(data: MinerData, error: ReportedError) -> bool:
    """Whether ``error`` only says that the miner was put to sleep, which is how Home Assistant
    stops it: stock Antminer lists its hashrate as failing ("rate", "sleep mode") while it
    sleeps, LuxOS reports a ``SLEEP`` event while curtailed."""
    if data.power_mode == "sleep" and error.code.split(":")[0] == "rate":
        return True
    return data.family is Family.LUXOS and data.is_mining is False and error.code == "SLEEP"


def reported_problems(data: MinerData) -> tuple[ReportedError, ...]:
    """The errors the miner reports, less those of a miner put to sleep on purpose."""
    return tuple(error for error in data.errors if not _stopped_on_purpose(data, error))


def _error_attributes(data: MinerData) -> Mapping[str, Any]:
    return {
        "errors": [
            {"code": error.code, "message": error.message} for error in reported_problems(data)
        ]
    }


BINARY_SENSORS: tuple[MinerBinarySensorEntityDescription, ...] = (
    MinerBinarySensorEntityDescription(
        key="mining",
        translation_key="mining",
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda data: data.is_mining,
        exists_fn=lambda data: data.is_mining is not None,
    ),
    MinerBinarySensorEntityDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: bool(reported_problems(data)),
        # ``errors`` is always known: an empty list is a miner that reports no error.
        exists_fn=lambda data: True,
        attributes_fn=_error_attributes,
    ),
    MinerBinarySensorEntityDescription(
        key="using_fallback_pool",
        translation_key="using_fallback_pool",
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda data: data.using_fallback_pool,
        exists_fn=lambda data: data.using_fallback_pool is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the binary sensors of what this miner reports."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        MinerBinarySensor(coordinator, description)
        for description in BINARY_SENSORS
        if description.exists_fn(coordinator.data)
    )


class MinerBinarySensor(MinerEntity, BinarySensorEntity):
    """A binary sensor whose state is one fact of the latest poll."""

    entity_description: MinerBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)
