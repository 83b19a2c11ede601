"""The base of every ASIC miner entity, and the one way entities send commands."""

from __future__ import annotations

from collections.abc import Awaitable

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from yarl import URL

from .client import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerError,
    MinerLockedError,
    MinerUnsupportedError,
)
from .const import CREDENTIAL_FAMILIES, DOMAIN, manufacturer_for
from .coordinator import MinerCoordinator
from .issues import async_clear_controls_locked, async_report_controls_locked

# Which translated message a failed command shows, by the client's error.
_COMMAND_ERRORS: tuple[tuple[type[MinerError], str], ...] = (
    (MinerLockedError, "command_locked"),  # a MinerAuthError: checked before it
    (MinerCommandError, "command_refused"),
    (MinerUnsupportedError, "command_unsupported"),
    (MinerConnectionError, "command_unreachable"),
    (MinerAuthError, "command_auth_failed"),
    (MinerError, "command_failed"),
)


async def async_miner_command(
    coordinator: MinerCoordinator, command: Awaitable[None], *, refresh: bool = True
) -> None:
    """Run a command; say why in the user's language when the miner refuses it.

    Afterwards the miner is polled so entities show what it really did (no optimistic state).
    A locked control API opens a repair issue that the next accepted command closes; a refused
    login starts the reauth flow (some firmwares check the password only on writes).
    """
    hass, entry = coordinator.hass, coordinator.config_entry
    try:
        await command
    except MinerError as err:
        if isinstance(err, MinerLockedError):
            async_report_controls_locked(hass, entry, coordinator.miner.host)
        elif isinstance(err, MinerAuthError) and coordinator.miner.family in CREDENTIAL_FAMILIES:
            entry.async_start_reauth(hass)
        key = next(key for kind, key in _COMMAND_ERRORS if isinstance(err, kind))
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"host": coordinator.miner.host, "error": str(err)},
        ) from err
    async_clear_controls_locked(hass, entry)
    if refresh:
        await coordinator.async_refresh()


def configuration_url(host: str, port: int) -> str:
    """The miner's own web page."""
    return str(URL.build(scheme="http", host=host, port=None if port == 80 else port))


class MinerEntity(CoordinatorEntity[MinerCoordinator]):
    """One entity of one miner; its unique id is ``{mac}_{key}``."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MinerCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        mac = entry.unique_id
        assert mac is not None  # the config flow always sets the MAC as unique id
        data = coordinator.data
        miner = coordinator.miner
        self._attr_unique_id = f"{mac}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, mac)},
            connections={(CONNECTION_NETWORK_MAC, mac)},
            name=entry.title,
            manufacturer=manufacturer_for(data.family, data.model),
            model=data.model,
            sw_version=data.firmware_version,
            hw_version=data.board_version,
            serial_number=data.serial,
            configuration_url=configuration_url(miner.host, miner.web_port),
        )

    async def _async_command(self, command: Awaitable[None], *, refresh: bool = True) -> None:
        await async_miner_command(self.coordinator, command, refresh=refresh)
