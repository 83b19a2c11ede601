"""Switches: mining on/off, automatic fan control, the fault light."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import Miner, MinerData
from .coordinator import AsicConfigEntry
from .entity import MinerEntity

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class MinerSwitchEntityDescription(SwitchEntityDescription):
    """A switch whose state comes from ``MinerData`` and which one miner command sets."""

    is_on_fn: Callable[[MinerData], bool | None]
    exists_fn: Callable[[MinerData], bool]
    set_fn: Callable[[Miner, bool], Awaitable[None]]


def _set_fan_auto(miner: Miner, auto: bool) -> Awaitable[None]:
    # Turning automatic control off leaves the fan at the manual speed the miner has stored.
    return miner.set_fan(auto=auto)


SWITCHES: tuple[MinerSwitchEntityDescription, ...] = (
    MinerSwitchEntityDescription(
        key="mining",
        translation_key="mining",
        is_on_fn=lambda data: data.is_mining,
        exists_fn=lambda data: data.capabilities.mining_switch and data.is_mining is not None,
        set_fn=lambda miner, on: miner.set_mining(on),
    ),
    MinerSwitchEntityDescription(
        key="fan_auto",
        translation_key="fan_auto",
        entity_category=EntityCategory.CONFIG,
        is_on_fn=lambda data: data.fan_auto,
        exists_fn=lambda data: (
            data.capabilities.fan_control is not None and data.fan_auto is not None
        ),
        set_fn=_set_fan_auto,
    ),
    MinerSwitchEntityDescription(
        key="fault_light",
        translation_key="fault_light",
        entity_category=EntityCategory.CONFIG,
        is_on_fn=lambda data: data.fault_light,
        exists_fn=lambda data: data.capabilities.fault_light and data.fault_light is not None,
        set_fn=lambda miner, on: miner.set_fault_light(on),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the switches this miner has."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        MinerSwitch(coordinator, description)
        for description in SWITCHES
        if description.exists_fn(coordinator.data)
    )


class MinerSwitch(MinerEntity, SwitchEntity):
    """A switch that shows what the miner reports after each command, never a guess."""

    entity_description: MinerSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.coordinator.data)

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._async_command(self.entity_description.set_fn(self.coordinator.miner, True))

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._async_command(self.entity_description.set_fn(self.coordinator.miner, False))
