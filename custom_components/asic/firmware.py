"""Firmware catalogs: where each family's latest firmware comes from (HA side of updates)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .client import Family
from .const import DOMAIN


class FirmwareCatalogs:
    """The catalogs shared by every miner of the integration, one per source."""

    def __init__(self, hass: HomeAssistant, *, esp_miner_releases_url: str) -> None:
        self.hass = hass
        self.esp_miner_releases_url = esp_miner_releases_url

    def for_family(self, family: Family) -> object | None:
        """The catalog that knows this family's firmware, if any."""
        return None


DATA_FIRMWARE: HassKey[FirmwareCatalogs] = HassKey(f"{DOMAIN}_firmware")
