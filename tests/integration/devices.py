"""Finding a device in the registry the same way on every Home Assistant we test against.

``DeviceRegistry.async_get_device`` is deprecated (and refused in tests) on newer Home
Assistant, its replacements do not exist on older ones, and the registry's ``devices`` are a
mapping on one and an iterable of entries on the other; looking up by config entry works on all.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.asic.const import DOMAIN


def device_with_id(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry:
    """The one device of this integration with this identifier (the miner's MAC)."""
    registry = dr.async_get(hass)
    found = [
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    assert len(found) == 1, f"{len(found)} devices with the identifier {identifier!r}"
    return found[0]
