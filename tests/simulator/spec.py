"""What a fleet file or a test asks for: one ``MinerSpec`` per miner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

BOOLEAN_KEYS = frozenset({"legacy", "password_changed"})


@dataclass(frozen=True, slots=True)
class MinerSpec:
    """A miner to simulate. Only ``family`` and ``model`` matter; the rest has defaults.

    ``legacy`` asks for the older reply shapes of a family (for AxeOS: firmware 2.4.x) when
    no ``firmware`` is given. ``host`` pins the bind address; ``seed`` changes the MAC and
    the random stream without naming a MAC. ``username``/``password`` replace the family's
    default login (Antminer: root/root).
    """

    family: str = "axeos"
    model: str = "Bitaxe Gamma"
    firmware: str | None = None
    www_version: str | None = None
    mac: str | None = None
    hostname: str | None = None
    legacy: bool | None = None
    asic_model: str | None = None
    host: str | None = None
    seed: str | None = None
    username: str | None = None  # the web login, where the family has one (default: its own)
    password: str | None = None
    api: str | None = None  # Whatsminer: "v2" or "v3" (default: from the firmware date)
    password_changed: bool | None = None  # Whatsminer: admin password changed once (unlocks v2)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MinerSpec:
        """Build from a fleet file entry; unknown keys are an error, so typos are caught."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown miner spec keys {unknown}; known keys: {sorted(known)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in BOOLEAN_KEYS:
                if value is not None and not isinstance(value, bool):
                    raise ValueError(f"{key!r} must be true or false, not {value!r}")
                values[key] = value
            elif value is not None:
                values[key] = str(value)
        return cls(**values)
