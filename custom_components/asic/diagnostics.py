"""Diagnostics: what support needs to see about one miner, with personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import AsicConfigEntry

# Keys of entry data and MinerData that identify a person, a device or an account.
TO_REDACT = frozenset(
    {
        CONF_PASSWORD,
        CONF_USERNAME,
        "mac",
        "serial",
        "hostname",
        "user",  # a pool user is a worker name or a payout address
        "token",
        "access_token",
        "api_key",
        "secret",
    }
)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: AsicConfigEntry
) -> dict[str, Any]:
    """The entry, the last poll, the miner's capabilities and the coordinator's health."""
    coordinator = entry.runtime_data.coordinator
    error = coordinator.last_exception
    interval = coordinator.update_interval
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        # The last poll; its "capabilities" say which controls the miner offers.
        "data": async_redact_data(coordinator.data.as_dict(), TO_REDACT),
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval": interval.total_seconds() if interval is not None else None,
            "last_exception": str(error) if error is not None else None,
        },
    }
