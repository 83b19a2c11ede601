"""Buttons: restart the miner, restart mining, make the miner show itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import Miner, MinerData
from .coordinator import AsicConfigEntry
from .entity import MinerEntity

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class MinerButtonEntityDescription(ButtonEntityDescription):
    """A button that sends one miner command."""

    exists_fn: Callable[[MinerData], bool]
    press_fn: Callable[[Miner], Awaitable[None]]


BUTTONS: tuple[MinerButtonEntityDescription, ...] = (
    MinerButtonEntityDescription(
        key="restart",
        translation_key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        exists_fn=lambda data: data.capabilities.reboot,
        press_fn=lambda miner: miner.reboot(),
    ),
    MinerButtonEntityDescription(
        key="restart_mining",
        translation_key="restart_mining",
        entity_category=EntityCategory.CONFIG,
        exists_fn=lambda data: data.capabilities.restart_mining,
        press_fn=lambda miner: miner.restart_mining(),
    ),
    MinerButtonEntityDescription(
        key="identify",
        translation_key="identify",
        device_class=ButtonDeviceClass.IDENTIFY,
        entity_category=EntityCategory.CONFIG,
        exists_fn=lambda data: data.capabilities.identify,
        press_fn=lambda miner: miner.identify(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the buttons this miner has."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        MinerButton(coordinator, description)
        for description in BUTTONS
        if description.exists_fn(coordinator.data)
    )


class MinerButton(MinerEntity, ButtonEntity):
    """A button; a refused press is an error in the user's language."""

    entity_description: MinerButtonEntityDescription

    async def async_press(self) -> None:
        # No poll right after: a restarting miner does not answer and would only show as
        # unavailable, and identify changes nothing a poll reads. The next poll sees the result.
        await self._async_command(
            self.entity_description.press_fn(self.coordinator.miner), refresh=False
        )
