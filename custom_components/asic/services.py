"""Actions of the integration: what a user needs and an entity cannot express."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .client import PoolConfig
from .const import DOMAIN, SERVICE_SET_POOLS
from .coordinator import AsicConfigEntry
from .entity import async_miner_command

POOL_SLOTS = 3

_SET_POOLS_FIELDS: dict[vol.Marker, object] = {vol.Required(ATTR_DEVICE_ID): cv.string}
for _slot in range(1, POOL_SLOTS + 1):
    _SET_POOLS_FIELDS[vol.Required("url_1") if _slot == 1 else vol.Optional(f"url_{_slot}")] = (
        cv.string
    )
    _SET_POOLS_FIELDS[vol.Optional(f"user_{_slot}")] = cv.string
    _SET_POOLS_FIELDS[vol.Optional(f"password_{_slot}")] = cv.string
SET_POOLS_SCHEMA = vol.Schema(_SET_POOLS_FIELDS)


def _entry_for_device(hass: HomeAssistant, device_id: str) -> AsicConfigEntry:
    """The loaded entry of a miner's device; its identifier is the entry's MAC."""
    device = dr.async_get(hass).async_get(device_id)
    identifiers = device.identifiers if device is not None else set()
    # By identifier rather than through DeviceEntry.config_entries, which newer HA replaces.
    entry = next(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if (DOMAIN, entry.unique_id) in identifiers
        ),
        None,
    )
    if entry is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_device",
            translation_placeholders={"device_id": device_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="miner_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    loaded: AsicConfigEntry = entry
    return loaded


def has_port(url: str) -> bool:
    """Whether a stratum URL ends in ``:port`` (miners have no default pool port)."""
    rest = url.split("://", 1)[-1].rstrip("/")
    host, separator, port = rest.rpartition(":")
    return bool(separator and host and port.isdigit())


def pools_from_call(data: dict[str, str]) -> list[PoolConfig]:
    """The filled pool slots of a ``set_pools`` call, in slot order."""
    pools: list[PoolConfig] = []
    for slot in range(1, POOL_SLOTS + 1):
        url = data.get(f"url_{slot}", "").strip()
        if not url:
            continue
        if not has_port(url):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="pool_url_no_port",
                translation_placeholders={"slot": str(slot), "url": url},
            )
        user = data.get(f"user_{slot}", "").strip()
        if not user:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="pool_user_missing",
                translation_placeholders={"slot": str(slot)},
            )
        pools.append(PoolConfig(url=url, user=user, password=data.get(f"password_{slot}") or "x"))
    return pools


async def _async_set_pools(call: ServiceCall) -> None:
    entry = _entry_for_device(call.hass, call.data[ATTR_DEVICE_ID])
    pools = pools_from_call(dict(call.data))
    coordinator = entry.runtime_data.coordinator
    await async_miner_command(coordinator, coordinator.miner.set_pools(pools))


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, at integration set-up)."""
    hass.services.async_register(
        DOMAIN, SERVICE_SET_POOLS, _async_set_pools, schema=SET_POOLS_SCHEMA
    )
