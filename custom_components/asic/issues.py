"""Repair issues: problems only the user can fix on the miner itself."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def controls_locked_issue_id(entry: ConfigEntry) -> str:
    """One issue per miner, so that each one says which miner to unlock."""
    return f"controls_locked_{entry.entry_id}"


@callback
def async_report_controls_locked(hass: HomeAssistant, entry: ConfigEntry, host: str) -> None:
    """The miner refuses every control until its default admin password is changed."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        controls_locked_issue_id(entry),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="controls_locked",
        translation_placeholders={"name": entry.title, "host": host},
    )


@callback
def async_clear_controls_locked(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The miner took a command: its controls are no longer locked."""
    ir.async_delete_issue(hass, DOMAIN, controls_locked_issue_id(entry))
