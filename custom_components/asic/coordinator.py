"""One coordinator per miner: polls it and pauses while its firmware is replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
import logging
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .client import (
    Miner,
    MinerAuthError,
    MinerConnectionError,
    MinerData,
    MinerError,
    MinerLockedError,
)
from .const import CREDENTIAL_FAMILIES, DOMAIN, LOGGER
from .issues import async_clear_controls_locked, async_report_controls_locked

if TYPE_CHECKING:
    from .firmware import FirmwareCatalog


@dataclass(slots=True)
class AsicRuntime:
    """What a loaded config entry keeps in ``runtime_data``."""

    miner: Miner
    coordinator: MinerCoordinator
    # Where this miner's firmware releases come from; ``None`` for families without a catalog.
    firmware: FirmwareCatalog | None = None


type AsicConfigEntry = ConfigEntry[AsicRuntime]

COORDINATOR_LOGGER = LOGGER.getChild("coordinator")


class _LostMinerAtInfo(logging.Filter):
    """Home Assistant's coordinator reports the first failed poll at ERROR.

    A miner that is switched off or unplugged is an everyday event for its owner (a heater
    turned off for the night), not an error: it is logged once at INFO, as is its return.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith(
            ("Error fetching", "Timeout fetching")
        ):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            return COORDINATOR_LOGGER.isEnabledFor(logging.INFO)
        return True


COORDINATOR_LOGGER.addFilter(_LostMinerAtInfo())


class MinerCoordinator(DataUpdateCoordinator[MinerData]):
    """Polls one miner; HA's coordinator logs once when it is lost and once when it is back."""

    config_entry: AsicConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: AsicConfigEntry,
        miner: Miner,
        update_interval: timedelta,
    ) -> None:
        super().__init__(
            hass,
            COORDINATOR_LOGGER,
            config_entry=entry,
            name=f"{entry.title} ({miner.host})",
            update_interval=update_interval,
        )
        self.miner = miner
        self._pauses = 0
        # Whether the last poll was refused by a locked control API (its repair issue is open).
        self._poll_locked = False

    @property
    def is_paused(self) -> bool:
        """Whether polling is paused (a firmware install holds the miner)."""
        return self._pauses > 0

    def pause(self) -> None:
        """Stop polling until :meth:`resume`; entities keep the last known state."""
        self._pauses += 1

    async def resume(self) -> None:
        """Undo one :meth:`pause`; the last one polls at once."""
        self._pauses = max(self._pauses - 1, 0)
        if not self._pauses:
            await self.async_refresh()

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """``async with coordinator.paused():`` no polls reach the miner inside the block."""
        self.pause()
        try:
            yield
        finally:
            await self.resume()

    async def _async_update_data(self) -> MinerData:
        if self.is_paused and self.data is not None:
            return self.data
        try:
            data = await self.miner.read()
        except MinerLockedError as err:
            # Not a wrong password: a new login cannot help, the user must unlock the miner.
            self._poll_locked = True
            async_report_controls_locked(self.hass, self.config_entry, self.miner.host)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="controls_locked",
                translation_placeholders={"host": self.miner.host},
            ) from err
        except MinerAuthError as err:
            if self.miner.family not in CREDENTIAL_FAMILIES:
                # No login exists to fix this (AxeOS refuses hosts outside private ranges):
                # a reauth flow would only confuse; say what is wrong instead.
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="access_refused",
                    translation_placeholders={"host": self.miner.host, "error": str(err)},
                ) from err
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"host": self.miner.host},
            ) from err
        except MinerConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="connection_lost",
                translation_placeholders={"host": self.miner.host, "error": str(err)},
            ) from err
        except MinerError as err:  # a reply we cannot read, or anything else the client raises
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bad_reply",
                translation_placeholders={"host": self.miner.host, "error": str(err)},
            ) from err
        if self._poll_locked:
            self._poll_locked = False
            async_clear_controls_locked(self.hass, self.config_entry)
        return data
