"""Selects: the power mode (work mode, preset) of miners that have several."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AsicConfigEntry, MinerCoordinator
from .entity import MinerEntity

PARALLEL_UPDATES = 1

POWER_MODE = SelectEntityDescription(
    key="power_mode",
    translation_key="power_mode",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the power mode select where the miner has power modes."""
    coordinator = entry.runtime_data.coordinator
    if coordinator.data.capabilities.power_modes:
        async_add_entities([MinerPowerModeSelect(coordinator)])


class MinerPowerModeSelect(MinerEntity, SelectEntity):
    """The miner's power mode as it reports it; a choice is written, then read back."""

    def __init__(self, coordinator: MinerCoordinator) -> None:
        super().__init__(coordinator, POWER_MODE)
        # The modes known at setup stay offered if a later reply lacks the facts they come from.
        self._setup_modes = list(coordinator.data.capabilities.power_modes)

    @property
    def options(self) -> list[str]:
        return list(self.coordinator.data.capabilities.power_modes) or self._setup_modes

    @property
    def current_option(self) -> str | None:
        mode = self.coordinator.data.power_mode
        # A mode the firmware reports but does not let us choose cannot be shown as selected.
        return mode if mode in self.options else None

    async def async_select_option(self, option: str) -> None:
        await self._async_command(self.coordinator.miner.set_power_mode(option))
