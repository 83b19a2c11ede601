"""Lenient conversions of what firmwares report into the client's fixed units."""

from __future__ import annotations

import math
import re
from typing import Any

_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18}
_SUFFIXED = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE]?)\s*$")

_HASHRATE_TO_TH = {"h": 1e-12, "kh": 1e-9, "mh": 1e-6, "gh": 1e-3, "th": 1.0, "ph": 1e3, "eh": 1e6}


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string; anything else is unknown."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    number = as_float(value)
    return None if number is None else int(number)


def as_str(value: Any) -> str | None:
    """A non-empty stripped string, else unknown."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        # JSON from some firmwares carries NaN; that says nothing either way.
        return value != 0 if math.isfinite(value) else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "1", "enabled"):
            return True
        if lowered in ("false", "no", "off", "0", "disabled"):
            return False
    return None


def positive(value: float | None) -> float | None:
    """Readings where 0 or less means "no sensor" rather than a real value."""
    return value if value is not None and value > 0 else None


def parse_difficulty(value: Any) -> float | None:
    """Share difficulty as ESP-Miner prints it: ``483k``, ``1.2M``, ``4.29G``, or a number."""
    if isinstance(value, str):
        match = _SUFFIXED.match(value)
        if match is None:
            return None
        # A long run of digits parses to infinity rather than failing.
        number = float(match.group(1)) * _SUFFIXES[match.group(2).lower()]
        return number if math.isfinite(number) else None
    return as_float(value)


def hashrate_to_th(value: Any, unit: str = "GH") -> float | None:
    """Convert a hashrate in ``unit`` (H, KH, MH, GH, TH, PH, EH; ``/s`` optional) to TH/s."""
    number = as_float(value)
    if number is None:
        return None
    key = unit.strip().lower().removesuffix("/s").removesuffix("s")
    factor = _HASHRATE_TO_TH.get(key)
    if factor is None:
        raise ValueError(f"unknown hashrate unit {unit!r}")
    return number * factor
