"""The ASIC Miners integration: Bitcoin ASIC miners on the local network."""

from __future__ import annotations

from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_USERNAME,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .client import Credentials, MinerUnsupportedError, create_miner
from .const import (
    CONF_FAMILY,
    CONF_FIRMWARE_FEED,
    CONF_RPC_PORT,
    DEFAULT_ESP_MINER_RELEASES_URL,
    DOMAIN,
    scan_interval_for,
)
from .coordinator import AsicConfigEntry, AsicRuntime, MinerCoordinator
from .firmware import DATA_FIRMWARE, FirmwareCatalogs
from .issues import async_clear_controls_locked
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

# Miners are set up from the UI only; the YAML key exists so that tests and the demo can
# point the firmware catalog at a feed served on loopback.
CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(DOMAIN): vol.Schema(
            {vol.Optional(CONF_FIRMWARE_FEED, default=DEFAULT_ESP_MINER_RELEASES_URL): cv.url}
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions and the firmware catalogs shared by every miner."""
    feed_url = config.get(DOMAIN, {}).get(CONF_FIRMWARE_FEED, DEFAULT_ESP_MINER_RELEASES_URL)
    hass.data[DATA_FIRMWARE] = FirmwareCatalogs(hass, esp_miner_releases_url=feed_url)
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: AsicConfigEntry) -> bool:
    """Connect to one miner and create its entities."""
    try:
        miner = create_miner(
            entry.data[CONF_FAMILY],
            entry.data[CONF_HOST],
            async_get_clientsession(hass),
            port=entry.data.get(CONF_PORT),
            credentials=Credentials(entry.data.get(CONF_USERNAME), entry.data.get(CONF_PASSWORD)),
            rpc_port=entry.data.get(CONF_RPC_PORT),
        )
    except MinerUnsupportedError as err:
        # Retrying cannot help; only an update of the integration can.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="family_unsupported",
            translation_placeholders={"family": str(entry.data[CONF_FAMILY])},
        ) from err
    interval = entry.options.get(CONF_SCAN_INTERVAL)
    coordinator = MinerCoordinator(
        hass,
        entry,
        miner,
        scan_interval_for(entry.data[CONF_FAMILY])
        if interval is None
        else cv.time_period_seconds(interval),
    )
    await coordinator.async_config_entry_first_refresh()

    # Another miner now answers at this address (DHCP gave it away): wait until ours is found.
    found_mac = coordinator.data.mac
    if found_mac and entry.unique_id and format_mac(found_mac) != entry.unique_id:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="other_miner_at_host",
            translation_placeholders={"host": miner.host, "mac": format_mac(found_mac)},
        )

    entry.runtime_data = AsicRuntime(
        miner=miner,
        coordinator=coordinator,
        firmware=hass.data[DATA_FIRMWARE].for_family(miner.family),
    )
    # No update listener: the options flow reloads the entry itself (OptionsFlowWithReload),
    # and address changes from discovery reload it through the config flow.
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: AsicConfigEntry) -> bool:
    """Remove a miner's entities; nothing else holds the miner."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: AsicConfigEntry) -> None:
    """A removed miner leaves no repair issue behind."""
    async_clear_controls_locked(hass, entry)
