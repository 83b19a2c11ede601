"""``PATCH /api/system`` of ESP-Miner: which keys exist and how each is checked.

Newer firmware (2.11 and later) checks every known key against a table of types and limits
before storing any, and answers 400 "Wrong API input" if one fails. Keys are looked up
case-insensitively (cJSON's ``GetObjectItem``); unknown keys are ignored. Older firmware stores
what it recognises without checks.

2.15 keeps its pools in eight slots: the table loses the ``stratum…``/``fallbackStratum…`` rows
(those keys are then ignored like any unknown key) and gains the slot selectors; slot contents
arrive as a ``pools`` list (or ``PUT /api/system/pools/{n}``) and are checked per slot.
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

# 2.15: the pool rows are gone (pools live in slots), the slot selectors and useCustomWWW are new.
MAX_POOLS = 8
_POOL_ROWS = ("stratum", "fallbackStratum", "useFallbackStratum")
SETTINGS_POOL_SLOTS: tuple[Setting, ...] = (
    *SETTINGS[:3],
    _i("primaryPoolIndex", 0, MAX_POOLS - 1),
    _i("secondaryPoolIndex", 0, MAX_POOLS - 1),
    _b("useFallbackStratum"),
    *(setting for setting in SETTINGS[3:] if not setting.name.startswith(_POOL_ROWS)),
    _b("useCustomWWW"),
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


def validate(
    body: Mapping[str, Any], table: tuple[Setting, ...] = SETTINGS
) -> dict[str, Any] | None:
    """The settings a PATCH body changes (by REST name), or None if any value is wrong."""
    changes: dict[str, Any] = {}
    for setting in table:
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


# --- 2.15 pool slots --------------------------------------------------------------------------

MASKED_PASSWORD = "*****"  # what info shows for a slot's password; sent back, it keeps the old one
SV1, SV2 = "SV1", "SV2"
CHANNEL_TYPES = ("extended", "standard")
POOL_STRING_LIMIT = 255


def _item(body: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    key = find_key(body, name)
    return (False, None) if key is None else (True, body[key])


def _string_ok(body: Mapping[str, Any], name: str, limit: int) -> bool:
    present, value = _item(body, name)
    return not present or (isinstance(value, str) and len(value.encode("utf-8")) <= limit)


def _number_ok(body: Mapping[str, Any], name: str, minimum: float, maximum: float) -> bool:
    present, value = _item(body, name)
    return not present or (is_number(value) and minimum <= value <= maximum)


def _flag_ok(body: Mapping[str, Any], name: str) -> bool:
    present, value = _item(body, name)
    return not present or isinstance(value, bool) or is_number(value)


def _required_text(body: Mapping[str, Any], name: str) -> bool:
    _present, value = _item(body, name)
    return isinstance(value, str) and value != ""


def _one_of(body: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> bool:
    """Optional; when present a string spelled exactly as one of ``allowed``."""
    present, value = _item(body, name)
    return not present or (isinstance(value, str) and value in allowed)


def pool_is_valid(body: Any) -> bool:
    """One slot's settings as 2.15 checks them (a ``pools`` item or a ``PUT`` body).

    URL, port and user must be there (URL and user not empty); every other field is optional
    but, when present, of the right type and within its limits.
    """
    if not isinstance(body, Mapping):
        return False
    _present, port = _item(body, "stratumPort")
    return (
        _required_text(body, "stratumURL")
        and is_number(port)
        and _required_text(body, "stratumUser")
        and _one_of(body, "stratumProtocol", (SV1, SV2))
        and _string_ok(body, "stratumURL", POOL_STRING_LIMIT)
        and _number_ok(body, "stratumPort", 1, UINT16_MAX)
        and _string_ok(body, "stratumUser", POOL_STRING_LIMIT)
        and _string_ok(body, "stratumPassword", POOL_STRING_LIMIT)
        and _number_ok(body, "stratumSuggestedDifficulty", 0, 1e18)
        and _flag_ok(body, "stratumExtranonceSubscribe")
        and _number_ok(body, "stratumTLS", 0, 2)
        and _string_ok(body, "stratumCert", 3000)
        and _flag_ok(body, "stratumDecodeCoinbase")
        and _one_of(body, "stratumV2ChannelType", CHANNEL_TYPES)
        and _string_ok(body, "stratumV2AuthorityPubkey", 128)
        and _flag_ok(body, "stratumV2RequireAuth")
    )


def pool_list_is_valid(value: Any) -> bool:
    """A PATCH ``pools`` value: a list of slot objects, each with a numeric ``id`` 0..7."""
    if not isinstance(value, list):
        return False
    for item in value:
        if not isinstance(item, Mapping):
            return False  # cJSON finds no "id" in what is not an object
        _present, slot = _item(item, "id")
        if not is_number(slot) or not 0 <= c_int(slot) < MAX_POOLS or not pool_is_valid(item):
            return False
    return True


def slot_id(item: Mapping[str, Any]) -> int:
    """The slot a (checked) ``pools`` item is for."""
    _present, value = _item(item, "id")
    return c_int(value)


def _flag(body: Mapping[str, Any], name: str, default: bool) -> bool:
    present, value = _item(body, name)
    if not present:
        return default
    return value is True or (is_number(value) and c_int(value) != 0)


def stored_pool(body: Mapping[str, Any], old_password: str | None) -> dict[str, Any]:
    """What 2.15 keeps for a slot from a checked body: a whole new record, not a merge.

    Fields left out fall back to their defaults; a password of ``*****`` keeps the slot's
    stored one (``x`` when there is none), a missing password becomes ``x``.
    """

    def text(name: str, default: str) -> str:
        _present, value = _item(body, name)
        return value if isinstance(value, str) else default

    def number(name: str, default: float) -> float:
        _present, value = _item(body, name)
        return float(value) if is_number(value) else default

    password = text("stratumPassword", "x")
    if password == MASKED_PASSWORD:
        password = old_password if old_password is not None else "x"
    return {
        "stratumProtocol": text("stratumProtocol", SV1),
        "stratumURL": text("stratumURL", ""),
        "stratumPort": number("stratumPort", 3333),
        "stratumUser": text("stratumUser", ""),
        "stratumPassword": password,
        "stratumSuggestedDifficulty": number("stratumSuggestedDifficulty", 0),
        "stratumExtranonceSubscribe": _flag(body, "stratumExtranonceSubscribe", False),
        "stratumTLS": number("stratumTLS", 0),
        "stratumCert": text("stratumCert", ""),
        "stratumDecodeCoinbase": _flag(body, "stratumDecodeCoinbase", True),
        "stratumV2ChannelType": text("stratumV2ChannelType", CHANNEL_TYPES[0]),
        "stratumV2AuthorityPubkey": text("stratumV2AuthorityPubkey", ""),
        "stratumV2RequireAuth": _flag(body, "stratumV2RequireAuth", False),
    }


def live_pool(index: int, record: Mapping[str, Any] | None) -> dict[str, Any]:
    """A slot as the running firmware holds it: the stored record over the slot's defaults.

    An empty slot 0 takes the build's default pool; other empty slots have no URL (and are
    left out of ``info``'s ``pools``).
    """
    first = index == 0
    pool: dict[str, Any] = {
        "stratumProtocol": SV1,
        "stratumURL": DEFAULT_POOL_URL if first else "",
        "stratumPort": DEFAULT_POOL_PORT if first else 3333,
        "stratumUser": DEFAULT_POOL_USER if first else "",
        "stratumPassword": "x",
        "stratumSuggestedDifficulty": 1000 if first else 0,
        "stratumExtranonceSubscribe": False,
        "stratumTLS": 0,
        "stratumCert": "",
        "stratumDecodeCoinbase": True,
        "stratumV2ChannelType": CHANNEL_TYPES[0],
        "stratumV2AuthorityPubkey": "",
        "stratumV2RequireAuth": False,
    }
    choices = {"stratumProtocol": (SV1, SV2), "stratumV2ChannelType": CHANNEL_TYPES}
    for name, value in (record or {}).items():
        if name in ("stratumPort", "stratumSuggestedDifficulty", "stratumTLS"):
            pool[name] = c_int(value)
        elif value in choices.get(name, (value,)):
            pool[name] = value  # an unknown protocol or channel type keeps the default
    return pool


# The build's default primary pool (ESP-Miner's Kconfig).
DEFAULT_POOL_URL = "public-pool.io"
DEFAULT_POOL_PORT = 21496
DEFAULT_POOL_USER = "replace-this-with-your-btc-address.bitaxe"
