"""Firmware update entity: the newest release of the miner's catalog, installed on request."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .client import (
    FirmwarePart,
    MinerCommandError,
    MinerData,
    MinerError,
    MinerFirmwareError,
)
from .coordinator import AsicConfigEntry, MinerCoordinator
from .entity import MinerEntity
from .firmware import FirmwareCatalog, FirmwareRelease, firmware_error, same_version

PARALLEL_UPDATES = 1

FIRMWARE = UpdateEntityDescription(
    key="firmware", translation_key="firmware", device_class=UpdateDeviceClass.FIRMWARE
)

# How long a miner may take to come back after the firmware was sent, and how often it is
# asked meanwhile. Module constants so that tests can shorten them.
REBOOT_TIMEOUT: float = 240.0
REBOOT_POLL_INTERVAL: float = 3.0

# Percent of the progress bar for sending the files; the rest is the wait for the reboot.
UPLOAD_SHARE: Final = 90


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AsicConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One firmware entity per miner whose family has a catalog and a remote install."""
    runtime = entry.runtime_data
    catalog = runtime.firmware
    if catalog is None or not runtime.coordinator.data.capabilities.firmware_update:
        return
    async_add_entities([MinerFirmwareUpdate(runtime.coordinator, catalog)])


class MinerFirmwareUpdate(MinerEntity, UpdateEntity):
    """The miner's firmware against its catalog's releases."""

    _attr_supported_features = (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
        | UpdateEntityFeature.SPECIFIC_VERSION
    )

    def __init__(self, coordinator: MinerCoordinator, catalog: FirmwareCatalog) -> None:
        super().__init__(coordinator, FIRMWARE)
        self._catalog = catalog
        self._attr_title = catalog.title

    @property
    def installed_version(self) -> str | None:
        return self.coordinator.data.firmware_version

    @property
    def latest_version(self) -> str | None:
        latest = self._catalog.latest
        if latest is None:
            return None
        # Same release written another way ("2.9.0" vs "v2.9.0"): show it as installed.
        if same_version(latest.version, self.installed_version):
            return self.installed_version
        return latest.version

    @property
    def release_url(self) -> str | None:
        latest = self._catalog.latest
        return latest.url if latest else None

    async def async_release_notes(self) -> str | None:
        latest = self._catalog.latest
        return latest.notes if latest else None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._catalog.async_add_listener(self.async_write_ha_state))

    @callback
    def _handle_coordinator_update(self) -> None:
        self._sync_device_version()
        super()._handle_coordinator_update()

    def _sync_device_version(self) -> None:
        """Keep the device page's firmware version current, however the firmware changed."""
        version, device = self.installed_version, self.device_entry
        if device is not None and version is not None and device.sw_version != version:
            self.device_entry = dr.async_get(self.hass).async_update_device(
                device.id, sw_version=version
            )

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Download, check, send, and wait until the miner runs the new version."""
        release = await self._catalog.async_release(version)
        self._attr_in_progress = True
        self._attr_update_percentage = None  # unknown while the files download
        self.async_write_ha_state()
        try:
            # Leaving paused() polls the miner at once, so entities show what it runs now.
            async with (
                self._catalog.async_prepare(release) as parts,
                self.coordinator.paused(),
            ):
                await self._async_send(parts)
                await self._async_wait_for_version(release)
        finally:
            self._attr_in_progress = False
            self._attr_update_percentage = None

    def _set_percentage(self, percent: int | None) -> None:
        if percent == self._attr_update_percentage:
            return
        self._attr_update_percentage = percent
        self.async_write_ha_state()

    async def _async_send(self, parts: Sequence[FirmwarePart]) -> None:
        miner = self.coordinator.miner
        self._set_percentage(0)

        def progress(sent: int, total: int) -> None:
            self._set_percentage(UPLOAD_SHARE * sent // total if total else 0)

        try:
            await miner.install_firmware(parts, progress)
        except (MinerFirmwareError, MinerCommandError) as err:
            raise firmware_error("firmware_rejected", host=miner.host, error=err) from err
        except MinerError as err:
            raise firmware_error("firmware_upload_failed", host=miner.host, error=err) from err

    async def _async_wait_for_version(self, release: FirmwareRelease) -> MinerData:
        """Ask the miner until it answers after its reboot; it must run ``release`` then.

        A miner still answering with the old version before it restarts is not a failure:
        only an answer after it was seen down (or with its uptime reset) counts.
        """
        miner = self.coordinator.miner
        uptime_before = self.coordinator.data.uptime
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REBOOT_TIMEOUT
        seen_down = False
        answered: MinerData | None = None
        while (remaining := deadline - loop.time()) > 0:
            waited = REBOOT_TIMEOUT - remaining
            self._set_percentage(
                UPLOAD_SHARE + int((100 - UPLOAD_SHARE - 1) * waited / REBOOT_TIMEOUT)
            )
            try:
                async with asyncio.timeout(remaining):
                    data = await miner.read()
            except TimeoutError:
                break  # our own deadline cut the read short: that says nothing new
            except MinerError:
                seen_down, answered = True, None
            else:
                if same_version(data.firmware_version, release.version):
                    self._set_percentage(100)
                    return data
                answered = data
                restarted = seen_down or (
                    uptime_before is not None
                    and data.uptime is not None
                    and data.uptime < uptime_before
                )
                if restarted:
                    break
            await asyncio.sleep(max(0.0, min(REBOOT_POLL_INTERVAL, deadline - loop.time())))
        if answered is not None:
            raise firmware_error(
                "firmware_wrong_version",
                host=miner.host,
                version=release.version,
                found=answered.firmware_version or "unknown",
            )
        raise firmware_error("firmware_no_return", host=miner.host, timeout=round(REBOOT_TIMEOUT))
