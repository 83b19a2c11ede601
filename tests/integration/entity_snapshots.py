"""Snapshots of a platform's entities that read the same on every supported Home Assistant.

The test plugin's ``snapshot_platform`` snapshots whole registry entries and states, whose
representation changes between Home Assistant releases (an entry's ``aliases`` is ``set()`` on
2026.2 and ``[None]`` on 2026.10, which also adds fields) although nothing this integration
decides changed. So each entity is snapshotted as a fixed selection: every registry field the
integration sets or influences, its device's identifiers, and its full state (value and
attributes). Fields only a user or Home Assistant itself sets (aliases, area, labels, internal
ids, timestamps) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from syrupy.assertion import SnapshotAssertion

ENTRY_FIELDS = (
    "entity_id",
    "domain",
    "unique_id",
    "previous_unique_id",
    "platform",
    "translation_key",
    "has_entity_name",
    "original_name",
    "object_id_base",
    "suggested_object_id",
    "original_icon",
    "original_device_class",
    "device_class",
    "entity_category",
    "disabled_by",
    "hidden_by",
    "unit_of_measurement",
    "capabilities",
    "supported_features",
)


def plain_keys(value: Any) -> Any:
    """``value`` with the keys of its mappings as plain strings, at every depth.

    2026.10 names state attributes and capabilities with StrEnum members: equal to the strings
    2026.2 uses, but serialized differently.
    """
    if isinstance(value, Mapping):
        return {
            str(key) if isinstance(key, str) else key: plain_keys(item)
            for key, item in value.items()
        }
    return value


def entity_view(hass: HomeAssistant, entry: er.RegistryEntry) -> dict[str, Any]:
    """What the integration controls of one registry entry, in a stable form."""
    view: dict[str, Any] = {field: plain_keys(getattr(entry, field)) for field in ENTRY_FIELDS}
    # Options hold e.g. the sensor's suggested display precision and unit.
    view["options"] = plain_keys(entry.options)
    device = dr.async_get(hass).async_get(entry.device_id) if entry.device_id else None
    view["device_identifiers"] = sorted(device.identifiers) if device is not None else None
    return view


def state_view(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """An entity's state and all its attributes."""
    state = hass.states.get(entity_id)
    assert state is not None, f"State not found for {entity_id}"
    return {"state": state.state, "attributes": plain_keys(state.attributes)}


async def snapshot_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    config_entry_id: str,
) -> None:
    """Compare every entity of one platform of a config entry with the snapshot.

    Like the test plugin's ``snapshot_platform``: one platform at a time, every entity enabled.
    """
    entries = er.async_entries_for_config_entry(entity_registry, config_entry_id)
    assert entries
    assert len({entry.domain for entry in entries}) == 1, "Set up one platform only."
    for entry in entries:
        assert entry.disabled_by is None, "Enable all entities (all_entities_enabled)."
        assert entity_view(hass, entry) == snapshot(name=f"{entry.entity_id}-entry")
        assert state_view(hass, entry.entity_id) == snapshot(name=f"{entry.entity_id}-state")
