"""``PATCH /api/system`` of ESP-Miner: which keys exist and how each is checked.

Newer firmware (2.11 and later) checks every known key against a table of types and limits
before storing any, and answers 400 "Wrong API input" if one fails. Keys are looked up
case-insensitively (cJSON's ``GetObjectItem``); unknown keys are ignored. Older firmware stores
what it recognises without checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

STRING_LIMIT = 3999
UINT16_MAX = 65535


class Kind(Enum):
    STRING = auto()
    INTEGER = auto()  # u16 and i32 settings: the value is truncated to an int, then checked
    FLOAT = auto()
    BOOL = auto()  # a number or true/false


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    kind: Kind
    minimum: float
    maximum: float
    allowed: tuple[Any, ...] = ()  # further restriction to these values, where the firmware has one


def _s(name: str, minimum: int = 0, maximum: int = STRING_LIMIT) -> Setting:
    return Setting(name, Kind.STRING, minimum, maximum)


def _i(name: str, minimum: int = 0, maximum: int = UINT16_MAX) -> Setting:
    return Setting(name, Kind.INTEGER, minimum, maximum)


def _b(name: str, maximum: int = 1) -> Setting:
    return Setting(name, Kind.BOOL, 0, maximum)


# As in ESP-Miner 2.14's settings table (the REST names, types and limits).
SETTINGS: tuple[Setting, ...] = (
    _s("ssid", 1, 32),
    _s("wifiPass", 0, 63),
    _s("hostname", 1, 32),
    Setting("stratumProtocol", Kind.STRING, 3, 3),
    _s("stratumURL"),
    _i("stratumPort"),
    _s("stratumUser"),
    _s("stratumPassword"),
    _i("stratumSuggestedDifficulty"),
    _b("stratumExtranonceSubscribe"),
    _i("stratumTLS", 0, 3),
    _s("stratumCert"),
    Setting("stratumV2ChannelType", Kind.STRING, 8, 8),
    _s("stratumV2AuthorityPubkey", 0, 52),
    _b("stratumDecodeCoinbase"),
    Setting("fallbackStratumProtocol", Kind.STRING, 3, 3),
    _s("fallbackStratumURL"),
    _i("fallbackStratumPort"),
    _s("fallbackStratumUser"),
    _s("fallbackStratumPassword"),
    _i("fallbackStratumSuggestedDifficulty"),
    _b("fallbackStratumExtranonceSubscribe"),
    _i("fallbackStratumTLS", 0, 3),
    _s("fallbackStratumCert"),
    Setting("fallbackStratumV2ChannelType", Kind.STRING, 8, 8),
    _s("fallbackStratumV2AuthorityPubkey", 0, 52),
    _b("fallbackStratumDecodeCoinbase"),
    _b("useFallbackStratum"),
    Setting("frequency", Kind.FLOAT, 1, UINT16_MAX),
    _i("coreVoltage", 1),
    _b("overclockEnabled"),
    _s("display"),
    Setting("rotation", Kind.INTEGER, 0, 270, allowed=(0, 90, 180, 270)),
    _b("invertscreen"),
    _i("displayOffset", 0, 255),
    Setting("displayTimeout", Kind.INTEGER, -1, UINT16_MAX),
    _b("autofanspeed"),
    _i("manualFanSpeed", 0, 100),
    _i("minFanSpeed", 0, 99),
    _i("temptarget", 35, 66),
    _b("overheat_mode", 0),
    _i("statsFrequency"),
)

# Older firmware (2.4): the keys it reads, each stored as given (no checks).
LEGACY_KEYS: tuple[str, ...] = (
    "stratumURL",
    "fallbackStratumURL",
    "stratumUser",
    "stratumPassword",
    "fallbackStratumUser",
    "fallbackStratumPassword",
    "stratumPort",
    "fallbackStratumPort",
    "ssid",
    "wifiPass",
    "hostname",
    "coreVoltage",
    "frequency",
    "flipscreen",
    "overheat_mode",
    "invertscreen",
    "invertfanpolarity",
    "autofanspeed",
    "fanspeed",
)


def find_key(body: Mapping[str, Any], name: str) -> str | None:
    """The first key of ``body`` equal to ``name`` ignoring case, as cJSON finds it."""
    wanted = name.casefold()
    for key in body:
        if key.casefold() == wanted:
            return key
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def c_int(value: float) -> int:
    """cJSON's ``valueint``: the double truncated and saturated to a C int."""
    if value != value:  # NaN
        return 0
    return int(max(-(2**31), min(2**31 - 1, value)))


def is_valid(setting: Setting, value: Any) -> bool:
    if setting.kind is Kind.STRING:
        if not isinstance(value, str):
            return False
        length = len(value.encode("utf-8"))
        return setting.minimum <= length <= setting.maximum
    if setting.kind is Kind.BOOL:
        if isinstance(value, bool):
            return True  # cJSON leaves valueint at 0 for true/false
        return is_number(value) and setting.minimum <= c_int(value) <= setting.maximum
    if not is_number(value):
        return False
    checked = value if setting.kind is Kind.FLOAT else c_int(value)
    if not setting.minimum <= checked <= setting.maximum:
        return False
    return not setting.allowed or checked in setting.allowed


def stored_value(setting: Setting, value: Any) -> Any:
    """What the firmware writes to its settings store for a valid ``value``."""
    if setting.kind is Kind.STRING:
        return value
    if setting.kind is Kind.BOOL:
        return value is True or (is_number(value) and c_int(value) != 0)
    if setting.kind is Kind.FLOAT:
        return float(value)
    return c_int(value)


def validate(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The settings a PATCH body changes (by REST name), or None if any value is wrong."""
    changes: dict[str, Any] = {}
    for setting in SETTINGS:
        key = find_key(body, setting.name)
        if key is None:
            continue
        value = body[key]
        if not is_valid(setting, value):
            return None
        changes[setting.name] = stored_value(setting, value)
    return changes


def legacy_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """What 2.4-era firmware stores from a PATCH body: known keys, unchecked, by REST name."""
    changes: dict[str, Any] = {}
    for name in LEGACY_KEYS:
        key = find_key(body, name)
        if key is None:
            continue
        value = body[key]
        if name in ("coreVoltage", "frequency"):
            if is_number(value) and c_int(value) > 0:
                changes[name] = c_int(value)
        elif name.endswith(("URL", "User", "Password")) or name in ("ssid", "wifiPass", "hostname"):
            if isinstance(value, str):
                changes[name] = value
        elif name == "overheat_mode":
            changes[name] = 0  # the firmware only ever clears it
        elif is_number(value) or isinstance(value, bool):
            changes[name] = c_int(float(value))
    return changes
