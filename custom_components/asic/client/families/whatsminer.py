"""Whatsminer (MicroBT BTMiner): API v2 on TCP 4028 (the cgminer-style RPC and its API
daemon) and, on firmware after 2024-11, API v3 on TCP 4433 (length-prefixed JSON).

The flavour (``api_flavour`` "v2" or "v3", as identify reports it) is found at connect when not
given: ``get_version`` on 4028 names the firmware; API 3.x or a build from 2024-11-01 on is v3.

Requests, API v2:

- at connect, once (again after the miner rebooted, seen as ``Uptime`` going back):
  ``get_version`` (firmware, API version) and ``devdetails`` (the model, e.g. ``M30S_VE10``).
- each poll, API 2.0.1 and newer: 4 requests — ``summary+pools+edevs`` joined (hashrate,
  factory hashrate, power, limit, mode, temperatures, fans, uptime, shares; pools; boards),
  then the daemon's ``status`` (mining on or off), ``get_miner_info`` (MAC, hostname, serial,
  LED) and ``get_error_code`` (the firmware's error report). The daemon cannot join its
  ``get_*`` and ``status`` commands ("command join err"), so they go one by one.
- each poll, older firmware (API "whatsminer v1.4.0"): 3 requests; its errors are the
  ``Error Code N`` keys of ``summary``.
- a firmware that refuses joined BTMiner commands gets them one by one, once refused.

Requests, API v3: at connect ``get_version`` on 4028 (skipped when the flavour is given) and
``get.device.info`` (model, firmware, MAC, hostname, serial, the salt); each poll 3 requests:
``get.miner.status`` ``summary+pools+edevs``, ``get.device.info`` ``miner+system+error-code``
(mining, LED, board serials, errors) and ``get.miner.setting`` (power mode). Writes are signed
``set.*`` requests (account ``super``, password ``super`` unless given; ``token`` = 8 characters
of base64(sha256(cmd + password + salt + ts))): ``set.miner.service`` start/stop/restart,
``set.miner.power_limit``, ``set.miner.power_mode``, ``set.system.led``, ``set.system.reboot``
and ``set.miner.pools`` (its list AES-encrypted under the same digest). Code -4 (no permission)
is a wrong password → ``MinerAuthError``.

API v2 controls are the privileged API's commands: ``get_token`` (one request, kept 25 minutes and
renewed when the miner answers 135 "check token err"), then one AES-encrypted request each:
``power_off``/``power_on``, ``adjust_power_limit`` (API 2.0.5), ``set_low_power`` /
``set_normal_power`` / ``set_high_power``, ``set_led``, ``reboot``, ``restart_btminer`` and
``update_pools`` (the three slots; the miner keeps nothing else with them).

Errors: a wrong password makes the request undecryptable for the miner (23 "enc json load
err") → ``MinerAuthError``. The privileged API stays locked until the admin password was changed
once from the default (45 "can't access write cmd") → ``MinerLockedError`` (a
``MinerAuthError``): the user must change the password with MicroBT's tool, then give it here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
import json
import re
import time
from typing import Any

import aiohttp

from ..errors import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerLockedError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from ..jsonrepair import loads
from ..miner import Credentials
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    NumberRange,
    Pool,
    PoolConfig,
    ReportedError,
    efficiency,
)
from ..probe import Probe, WebPage
from ..rpc_miner import RpcMiner
from ..transport import btminer
from ..transport.rpc import RpcTransport, status_of
from ..units import as_bool, as_float, as_int, as_str, positive

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"  # noqa: S105 (the factory default, documented by the vendor)
V2, V3 = "v2", "v3"
V3_PORT = 4433
V3_ACCOUNT = "super"
V3_DEFAULT_PASSWORD = "super"  # noqa: S105 (the factory default of API v3)
V3_SINCE = 20241101  # firmware built from this date on speaks API v3 on 4433
V3_OK, V3_BAD_PARAM, V3_UNKNOWN, V3_NO_PERMISSION = 0, -1, -2, -4
POWER_MODES = ("low", "normal", "high")
POOL_SLOTS = 3

CODE_OK = 131
CODE_FAILED = 132
CODE_INVALID = 14
CODE_BAD_JSON = 23
CODE_DENIED = 45
CODE_TOKEN = 135


@dataclass(frozen=True, slots=True)
class WhatsminerModel:
    """One row of the model table (MicroBT's figures)."""

    name: str
    boards: int
    chips_per_board: int
    fans: int
    nominal_hashrate: float  # TH/s
    power_limit: NumberRange  # W, what ``adjust_power_limit`` takes


MODELS: dict[str, WhatsminerModel] = {
    row.name: row
    for row in (
        WhatsminerModel("M30S", 3, 148, 2, 88.0, NumberRange(1700, 3600)),
        WhatsminerModel("M30S+", 3, 111, 2, 100.0, NumberRange(1700, 3600)),
        WhatsminerModel("M50S", 3, 135, 2, 126.0, NumberRange(1600, 3600)),
        WhatsminerModel("M60S", 3, 111, 2, 172.0, NumberRange(1700, 3800)),
        WhatsminerModel("M63S", 4, 160, 0, 390.0, NumberRange(3600, 8200)),
        WhatsminerModel("M66S", 4, 144, 0, 298.0, NumberRange(2800, 6500)),
    )
}

# MicroBT's error codes: exact ones first, then by range (first digits).
ERROR_MESSAGES: dict[int, str] = {
    110: "Intake fan speed error",
    111: "Exhaust fan speed error",
    120: "Intake fan speed too low",
    121: "Exhaust fan speed too low",
    200: "Power supply not detected",
    201: "Power supply does not match the configuration",
    202: "Power supply output voltage error",
    203: "Power supply protecting: environment temperature too high",
    204: "Power supply current protection",
    205: "Power supply current error",
    206: "Power supply input voltage too low",
    207: "Power supply input current protection",
    213: "Power supply input voltage and current do not match",
    218: "Input voltage below 230 V for high power mode",
    300: "SM0 temperature sensor detection error",
    301: "SM1 temperature sensor detection error",
    302: "SM2 temperature sensor detection error",
    350: "SM0 over-temperature protection",
    351: "SM1 over-temperature protection",
    352: "SM2 over-temperature protection",
    410: "SM0 hashboard EEPROM read error",
    411: "SM1 hashboard EEPROM read error",
    412: "SM2 hashboard EEPROM read error",
    530: "SM0 hashboard not found",
    531: "SM1 hashboard not found",
    532: "SM2 hashboard not found",
    600: "Environment temperature too high",
    610: "Environment temperature too high for high performance mode",
    710: "Control board restarted after an exception",
    810: "Firmware does not match the cooling (air or hydro)",
    2010: "All pools are disabled",
    2020: "Pool 1 connection failed",
    2021: "Pool 2 connection failed",
    2022: "Pool 3 connection failed",
    2030: "High rejection rate on the pool",
    2310: "Hashrate too low",
    8410: "Firmware does not match the miner model",
}
ERROR_RANGES: tuple[tuple[int, int, str], ...] = (
    (100, 199, "Fan error"),
    (200, 299, "Power supply error"),
    (300, 399, "Temperature error"),
    (400, 599, "Hashboard error"),
    (600, 699, "Environment temperature error"),
    (700, 999, "Control board error"),
    (2000, 2099, "Pool error"),
    (2300, 2399, "Hashrate error"),
    (5000, 5999, "Hashboard chip error"),
    (8000, 8999, "Firmware error"),
)


def error_message(code: int) -> str:
    if code in ERROR_MESSAGES:
        return ERROR_MESSAGES[code]
    for low, high, text in ERROR_RANGES:
        if low <= code <= high:
            return f"{text} (code {code})"
    return f"Error code {code}"


def model_name(type_name: str | None) -> str | None:
    """``M30S_VE10`` → ``M30S`` (the variant is the board revision)."""
    if not type_name:
        return None
    return type_name.split("_", 1)[0].strip() or None


def find_model(name: str | None) -> WhatsminerModel | None:
    return MODELS.get(model_name(name) or "")


def api_version(text: str | None) -> tuple[int, ...]:
    """``2.0.5`` → (2, 0, 5); ``whatsminer v1.4.0`` → (1, 4, 0); unknown → ()."""
    match = re.search(r"(\d+(?:\.\d+)*)", text or "")
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


def capabilities_for(model: WhatsminerModel | None, api: tuple[int, ...]) -> Capabilities:
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=model.power_limit if model and api >= (2, 0, 5) else None,
        power_modes=POWER_MODES,
    )


# --- parsers ------------------------------------------------------------------------------


def _first(reply: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    items = reply.get(section)
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return items[0]
    return {}


def _items(reply: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    items = reply.get(section)
    return [
        item for item in (items if isinstance(items, list) else []) if isinstance(item, Mapping)
    ]


def _msg(reply: Mapping[str, Any]) -> Mapping[str, Any]:
    msg = reply.get("Msg")
    return msg if isinstance(msg, Mapping) else {}


def _mhs_to_th(value: Any) -> float | None:
    number = as_float(value)
    return None if number is None else number / 1e6


def _firmware(value: Any) -> str | None:
    text = as_str(value)
    return text.strip("'\"") or None if text else None


def parse_devdetails(reply: Mapping[str, Any]) -> str | None:
    """``devdetails`` → the model as the firmware names it (``M30S_VE10``)."""
    return as_str(_first(reply, "DEVDETAILS").get("Model"))


def parse_version(reply: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``get_version`` → (firmware, API version)."""
    msg = _msg(reply)
    return _firmware(msg.get("fw_ver")), as_str(msg.get("api_ver"))


@dataclass(frozen=True, slots=True)
class Summary:
    hashrate: float | None = None
    expected_hashrate: float | None = None
    power: float | None = None
    power_limit: float | None = None
    power_mode: str | None = None
    env_temp: float | None = None
    board_temp: float | None = None
    chip_temp_max: float | None = None
    chip_temp_avg: float | None = None
    frequency: float | None = None
    fans: tuple[Fan, ...] = ()
    uptime: int | None = None
    accepted: int | None = None
    rejected: int | None = None
    best_share: float | None = None
    mac: str | None = None
    firmware: str | None = None
    errors: tuple[ReportedError, ...] = ()


def _uptime(summary: Mapping[str, Any]) -> int | None:
    """``Uptime`` counts from boot; ``Elapsed`` (older replies) from BTMiner's start."""
    uptime = as_int(summary.get("Uptime"))
    return as_int(summary.get("Elapsed")) if uptime is None else uptime


_ERROR_KEY = re.compile(r"^Error Code (\d+)$")


def parse_summary(reply: Mapping[str, Any]) -> Summary:
    """``summary``: MH/s rates, W, °C, RPM; ``Error Code N`` keys on firmware before API 2.0.4."""
    summary = _first(reply, "SUMMARY")
    if not summary:
        raise MinerProtocolError("The Whatsminer summary reply has no SUMMARY (cut short?)")
    hashrate = None
    for key in ("MHS 1m", "MHS 5s", "MHS av"):
        if (hashrate := _mhs_to_th(summary.get(key))) is not None:
            break
    factory = as_float(summary.get("Factory GHS"))
    fans = tuple(
        Fan(index, rpm=rpm)
        for index, key in enumerate(("Fan Speed In", "Fan Speed Out"))
        if (rpm := as_int(summary.get(key))) is not None
    )
    numbered = sorted(
        (int(match.group(1)), code)
        for key, value in summary.items()
        if (match := _ERROR_KEY.match(str(key))) and (code := as_int(value)) is not None
    )
    mode = as_str(summary.get("Power Mode"))
    mac = as_str(summary.get("MAC"))
    return Summary(
        hashrate=hashrate,
        expected_hashrate=factory / 1000 if factory else None,
        power=positive(as_float(summary.get("Power"))),
        power_limit=positive(as_float(summary.get("Power Limit"))),
        power_mode=mode.lower() if mode else None,
        env_temp=as_float(summary.get("Env Temp")),
        board_temp=positive(as_float(summary.get("Temperature"))),
        chip_temp_max=positive(as_float(summary.get("Chip Temp Max"))),
        chip_temp_avg=positive(as_float(summary.get("Chip Temp Avg"))),
        frequency=positive(as_float(summary.get("freq_avg"))),
        fans=fans if any(fan.rpm for fan in fans) else (),
        uptime=_uptime(summary),
        accepted=as_int(summary.get("Accepted")),
        rejected=as_int(summary.get("Rejected")),
        best_share=positive(as_float(summary.get("Best Share"))),
        mac=mac.upper() if mac else None,
        firmware=_firmware(summary.get("Firmware Version")),
        errors=tuple(ReportedError(str(code), error_message(code)) for _, code in numbered),
    )


def parse_devs(reply: Mapping[str, Any], model: WhatsminerModel | None) -> tuple[Board, ...]:
    """``edevs``/``devs``: one entry per hashboard."""
    boards = []
    for position, item in enumerate(_items(reply, "DEVS")):
        index = as_int(item.get("ASC"))
        if index is None:
            index = as_int(item.get("Slot"))
        hashrate = _mhs_to_th(item.get("MHS 1m"))
        if hashrate is None:
            hashrate = _mhs_to_th(item.get("MHS av"))
        factory = as_float(item.get("Factory GHS"))
        chip_temp = positive(as_float(item.get("Chip Temp Max")))
        boards.append(
            Board(
                index=position if index is None else index,
                hashrate=hashrate,
                expected_hashrate=factory / 1000 if factory else None,
                chip_temp=chip_temp or positive(as_float(item.get("Chip Temp Avg"))),
                board_temp=positive(as_float(item.get("Temperature"))),
                chips=as_int(item.get("Effective Chips")),
                expected_chips=model.chips_per_board if model else None,
                serial=as_str(item.get("PCB SN")),
            )
        )
    return tuple(boards)


def parse_pools(reply: Mapping[str, Any]) -> tuple[Pool, ...]:
    pools = []
    for position, item in enumerate(_items(reply, "POOLS")):
        if not (url := as_str(item.get("URL"))):
            continue
        index = as_int(item.get("POOL"))
        status = as_str(item.get("Status"))
        pools.append(
            Pool(
                index=position if index is None else index - 1,
                url=url,
                user=as_str(item.get("User")),
                active=as_bool(item.get("Stratum Active")),
                alive=None if status is None else status.lower() == "alive",
                accepted=as_int(item.get("Accepted")),
                rejected=as_int(item.get("Rejected")),
            )
        )
    return tuple(pools)


@dataclass(frozen=True, slots=True)
class Status:
    mining: bool | None = None
    power_mode: str | None = None
    power_limit: float | None = None


def parse_status(reply: Mapping[str, Any]) -> Status:
    """The daemon's ``status``: ``mineroff`` (``btmineroff`` on old firmware), mode, limit."""
    msg = _msg(reply)
    off = as_bool(msg.get("mineroff", msg.get("btmineroff")))
    mode = as_str(msg.get("power_mode"))
    return Status(
        mining=None if off is None else not off,
        power_mode=mode.lower() if mode else None,
        power_limit=positive(as_float(msg.get("power_limit_set"))),
    )


@dataclass(frozen=True, slots=True)
class MinerInfo:
    mac: str | None = None
    hostname: str | None = None
    serial: str | None = None
    led_manual: bool | None = None


def parse_miner_info(reply: Mapping[str, Any]) -> MinerInfo:
    msg = _msg(reply)
    mac, led = as_str(msg.get("mac")), as_str(msg.get("ledstat"))
    return MinerInfo(
        mac=mac.upper() if mac else None,
        hostname=as_str(msg.get("hostname")),
        serial=as_str(msg.get("minersn")),
        led_manual=None if led is None else led.lower() != "auto",
    )


def parse_error_codes(reply: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    """``get_error_code``: ``[{"218": "2024-06-15 10:30:00"}, …]`` or bare codes (API 2.0.4)."""
    listed = _msg(reply).get("error_code")
    errors = []
    for item in listed if isinstance(listed, list) else []:
        entries = item.items() if isinstance(item, Mapping) else [(item, None)]
        for key, when in entries:
            code = as_int(key)
            if code is None:
                continue
            message = error_message(code)
            if since := as_str(when):
                message = f"{message} (since {since})"
            errors.append(ReportedError(str(code), message))
    return tuple(errors)


@dataclass(frozen=True, slots=True)
class StaticFacts:
    type_name: str | None = None
    firmware: str | None = None
    api: tuple[int, ...] = ()

    @property
    def model(self) -> WhatsminerModel | None:
        return find_model(self.type_name)


def build_miner_data(  # noqa: PLR0917 (one poll's parsed replies, each its own)
    facts: StaticFacts,
    summary: Summary,
    boards: tuple[Board, ...],
    pools: tuple[Pool, ...],
    status: Status,
    info: MinerInfo,
    errors: tuple[ReportedError, ...],
) -> MinerData:
    model = facts.model
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    board_temp_max = max(board_temps) if board_temps else summary.board_temp
    return MinerData(
        family=Family.WHATSMINER,
        model=model_name(facts.type_name),
        firmware_version=facts.firmware or summary.firmware,
        mac=info.mac or summary.mac,
        serial=info.serial,
        hostname=info.hostname,
        hashrate=summary.hashrate,
        expected_hashrate=summary.expected_hashrate,
        power=summary.power,
        power_limit=summary.power_limit or status.power_limit,
        efficiency=efficiency(summary.power, summary.hashrate),
        chip_temp_max=summary.chip_temp_max,
        chip_temp_avg=summary.chip_temp_avg,
        board_temp_max=board_temp_max,
        inlet_temp=summary.env_temp,
        frequency=summary.frequency,
        uptime=summary.uptime,
        is_mining=status.mining,
        fault_light=info.led_manual,
        power_mode=summary.power_mode or status.power_mode,
        shares_accepted=summary.accepted,
        shares_rejected=summary.rejected,
        best_session_difficulty=summary.best_share,
        fans=summary.fans,
        boards=boards,
        pools=pools,
        errors=errors,
        capabilities=capabilities_for(model, facts.api),
    )


# --- API v3 parsers -----------------------------------------------------------------------


def firmware_date(firmware: str | None) -> int:
    """``20250321.14.Rel`` → 20250321; 0 when it has no date."""
    match = re.match(r"^\D*(\d{8})", firmware or "")
    return int(match.group(1)) if match else 0


def is_v3(firmware: str | None, api: str | None) -> bool:
    """Firmware after 2024-11 (API 3.x) answers its full API on 4433 only."""
    version = api_version(api)
    return (bool(version) and version >= (3,)) or firmware_date(firmware) >= V3_SINCE


def _section(msg: Any, name: str) -> Mapping[str, Any]:
    value = msg.get(name) if isinstance(msg, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _list(msg: Any, name: str) -> list[Mapping[str, Any]]:
    value = msg.get(name) if isinstance(msg, Mapping) else None
    return [
        item for item in (value if isinstance(value, list) else []) if isinstance(item, Mapping)
    ]


def parse_v3_device(msg: Any) -> tuple[StaticFacts, MinerInfo, str | None, bool | None]:
    """``get.device.info`` → (static facts, identity facts, v3 salt, mining)."""
    network, miner, system = (_section(msg, name) for name in ("network", "miner", "system"))
    mac, led = as_str(network.get("mac")), as_str(system.get("ledstatus"))
    working = as_bool(miner.get("working"))
    facts = StaticFacts(
        type_name=as_str(miner.get("type")),
        firmware=_firmware(system.get("fwversion")),
        api=api_version(as_str(system.get("api"))),
    )
    info = MinerInfo(
        mac=mac.upper() if mac else None,
        hostname=as_str(network.get("hostname")),
        serial=as_str(miner.get("miner-sn")),
        led_manual=None if led is None else led.lower() != "auto",
    )
    salt = as_str(msg.get("salt")) if isinstance(msg, Mapping) else None
    return facts, info, salt, working


def parse_v3_status(
    msg: Any, model: WhatsminerModel | None, serials: Sequence[str | None] = ()
) -> tuple[Summary, tuple[Board, ...], tuple[Pool, ...]]:
    """``get.miner.status`` ``summary+pools+edevs``: TH/s, W, °C, RPM."""
    summary = _section(msg, "summary")
    if not summary:
        raise MinerProtocolError("The Whatsminer v3 status has no summary")
    board_temps = summary.get("board-temperature")
    temps = [
        temp
        for value in (board_temps if isinstance(board_temps, list) else [])
        if (temp := positive(as_float(value))) is not None
    ]
    fans = tuple(
        Fan(index, rpm=rpm)
        for index, key in enumerate(("fan-speed-in", "fan-speed-out"))
        if (rpm := as_int(summary.get(key))) is not None
    )
    pools = tuple(
        Pool(
            index=(as_int(item.get("id")) or position + 1) - 1,
            url=url,
            user=as_str(item.get("account")),
            active=as_bool(item.get("stratum-active")),
            alive=(as_str(item.get("status")) or "").lower() == "alive",
            accepted=as_int(item.get("accepted")),
            rejected=as_int(item.get("rejected")),
        )
        for position, item in enumerate(_list(msg, "pools"))
        if (url := as_str(item.get("url")))
    )
    boards = tuple(
        Board(
            index=index,
            hashrate=as_float(item.get("hash-average")),
            expected_hashrate=positive(as_float(item.get("factory-hash"))),
            chip_temp=positive(as_float(item.get("chip-temp-max"))),
            board_temp=temps[index] if index < len(temps) else None,
            chips=as_int(item.get("effective-chips")),
            expected_chips=model.chips_per_board if model else None,
            serial=serials[index] if index < len(serials) else None,
        )
        for position, item in enumerate(_list(msg, "edevs"))
        if (index := _index(item, position)) is not None
    )
    accepted = [pool.accepted for pool in pools if pool.accepted is not None]
    rejected = [pool.rejected for pool in pools if pool.rejected is not None]
    parsed = Summary(
        hashrate=as_float(summary.get("hash-1min", summary.get("hash-realtime"))),
        expected_hashrate=positive(as_float(summary.get("factory-hash"))),
        power=positive(as_float(summary.get("power-realtime"))),
        power_limit=positive(as_float(summary.get("power-limit"))),
        env_temp=as_float(summary.get("environment-temperature")),
        board_temp=max(temps) if temps else None,
        chip_temp_max=positive(as_float(summary.get("chip-temp-max"))),
        chip_temp_avg=positive(as_float(summary.get("chip-temp-avg"))),
        frequency=positive(as_float(summary.get("freq-avg"))),
        fans=fans if any(fan.rpm for fan in fans) else (),
        uptime=as_int(summary.get("bootup-time")),
        accepted=sum(accepted) if accepted else None,
        rejected=sum(rejected) if rejected else None,
    )
    return parsed, boards, pools


def _index(item: Mapping[str, Any], position: int) -> int:
    """The board's slot; a missing or negative one is its place in the list."""
    index = as_int(item.get("slot"))
    return position if index is None or index < 0 else index


def parse_v3_errors(msg: Any) -> tuple[ReportedError, ...]:
    listed = msg.get("error-code") if isinstance(msg, Mapping) else None
    return parse_error_codes({"Msg": {"error_code": listed}})


# --- identification -----------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    """The LuCI page the web port redirects to (vendor-protocols.md §7)."""
    return "/cgi-bin/luci" in page.body.lower() and "whatsminer" in page.body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """BTMiner's API daemon on the RPC port: ``get_version`` names a Whatsminer firmware; the
    model then comes from ``devdetails`` (API v2) or ``get.device.info`` on 4433 (API v3)."""
    rpc = RpcTransport(probe.host, probe.rpc_port, timeout=probe.timeout)
    try:
        firmware, api = parse_version(await rpc.command("get_version"))
        if firmware is None:
            return None
        if is_v3(firmware, api):
            return await _confirm_v3(probe, firmware)
        type_name = parse_devdetails(await rpc.command("devdetails"))
        if not type_name or not re.match(r"^M\d", type_name):
            return None
        mac = parse_miner_info(await rpc.command("get_miner_info", info="mac")).mac
    except (MinerCommandError, MinerProtocolError, MinerConnectionError):
        return None
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.WHATSMINER,
        model=model_name(type_name),
        firmware_version=firmware,
        mac=mac,
        api_flavour=V2,
    )


async def _confirm_v3(probe: Probe, firmware: str) -> Identity:
    facts, info = StaticFacts(firmware=firmware), MinerInfo()
    request = {"cmd": "get.device.info", "param": "network+miner+system"}
    try:
        reply = await btminer.v3_exchange(probe.host, V3_PORT, request, probe.timeout)
        facts, info, _, _ = parse_v3_device(_v3_msg(reply, probe.host, "get.device.info"))
    except (MinerCommandError, MinerProtocolError, MinerConnectionError, MinerAuthError):
        pass  # the leftover v2 API named the firmware; the model stays unknown
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.WHATSMINER,
        model=model_name(facts.type_name),
        firmware_version=facts.firmware or firmware,
        mac=info.mac,
        api_flavour=V3,
    )


def _v3_msg(data: bytes, host: str, command: str) -> Any:
    """A v3 reply frame → its ``msg`` once ``code`` says it succeeded."""
    where = f"{host} (API v3 {command})"
    reply = loads(data.decode("utf-8", "replace"), where=where)
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"{where} answered something other than a JSON object")
    code, msg = as_int(reply.get("code")), reply.get("msg")
    if code == V3_OK:
        return msg
    text = as_str(msg) or "no reason given"
    if code == V3_NO_PERMISSION:
        raise MinerAuthError(f"{host} refused the Whatsminer API v3 password ({text})")
    if code == V3_UNKNOWN:
        raise MinerUnsupportedError(f"{host}'s firmware has no {command!r} command")
    raise MinerCommandError(f"{host} refused {command!r}: {text}", code=code)


# --- the miner ----------------------------------------------------------------------------


class WhatsminerMiner(RpcMiner):
    """A Whatsminer on stock BTMiner firmware, API v2 or (after 2024-11) v3."""

    family = Family.WHATSMINER
    default_port = 80

    def __init__(
        self,
        host: str,
        session: aiohttp.ClientSession,
        *,
        port: int | None = None,
        credentials: Credentials | None = None,
        timeout: float = 10.0,
        rpc_port: int | None = None,
        v3_port: int | None = None,
        api_flavour: str | None = None,
    ) -> None:
        super().__init__(
            host, session, port=port, credentials=credentials, timeout=timeout, rpc_port=rpc_port
        )
        self.v3_port = v3_port or V3_PORT
        self.v3_requests = 0  # sent so far (tests count them)
        self.api_flavour = api_flavour  # "v2" or "v3"; found at connect when not given
        self._facts: StaticFacts | None = None
        self._info = MinerInfo()
        self._v3_salt: str | None = None
        self._last_uptime: int | None = None
        self._token: btminer.Token | None = None

    @property
    def _password(self) -> str:
        password = self.credentials.password
        if password is not None:
            return password
        return V3_DEFAULT_PASSWORD if self.api_flavour == V3 else DEFAULT_PASSWORD

    @property
    def capabilities(self) -> Capabilities:
        if self._facts is None:
            return Capabilities()
        return capabilities_for(self._facts.model, self._facts.api)

    # --- reading ------------------------------------------------------------------------

    async def _connect(self) -> StaticFacts:
        if self.api_flavour != V3:
            firmware, api = parse_version(await self.rpc.command("get_version"))
            if not is_v3(firmware, api):
                type_name = parse_devdetails(await self.rpc.command("devdetails"))
                self.api_flavour = V2
                self._facts = StaticFacts(type_name, firmware, api_version(api))
                return self._facts
            self.api_flavour = V3
        facts, self._info, self._v3_salt, _ = parse_v3_device(
            await self._v3_read("get.device.info")
        )
        self._facts = facts
        return facts

    async def _facts_now(self) -> StaticFacts:
        return self._facts if self._facts is not None else await self._connect()

    async def read(self) -> MinerData:
        async with self.lock:
            facts = await self._facts_now()
            if self.api_flavour == V3:
                return await self._read_v3(facts)
            replies = await self.rpc.commands("summary", "pools", "edevs")
            summary = parse_summary(replies["summary"])
            facts = await self._after_reboot(facts, summary.uptime)
            status = parse_status(await self.rpc.command("status"))
            info = parse_miner_info(await self.rpc.command("get_miner_info"))
            if facts.api >= (2, 0, 1):
                errors = parse_error_codes(await self.rpc.command("get_error_code"))
            else:
                errors = summary.errors
        return build_miner_data(
            facts,
            summary,
            parse_devs(replies["edevs"], facts.model),
            parse_pools(replies["pools"]),
            status,
            info,
            errors,
        )

    async def _after_reboot(self, facts: StaticFacts, uptime: int | None) -> StaticFacts:
        last, self._last_uptime = self._last_uptime, uptime
        if uptime is not None and last is not None and uptime < last:
            self._token = None
            return await self._connect()  # rebooted: maybe into new firmware
        return facts

    async def _read_v3(self, facts: StaticFacts) -> MinerData:
        """3 requests: ``get.miner.status`` (summary+pools+edevs), ``get.device.info``
        (miner+system+error-code: mining, LED, board serials, errors), ``get.miner.setting``."""
        status_msg = await self._v3_read("get.miner.status", "summary+pools+edevs")
        device = await self._v3_read("get.device.info", "miner+system+error-code")
        setting = await self._v3_read("get.miner.setting")
        serials = _section(device, "miner").get("pcbsn")
        summary, boards, pools = parse_v3_status(
            status_msg,
            facts.model,
            [as_str(item) for item in serials] if isinstance(serials, list) else [],
        )
        facts = await self._after_reboot(facts, summary.uptime)
        _, polled, _, working = parse_v3_device(device)
        mode = as_str(setting.get("power-mode")) if isinstance(setting, Mapping) else None
        limit = as_float(setting.get("power-limit")) if isinstance(setting, Mapping) else None
        return build_miner_data(
            facts,
            summary,
            boards,
            pools,
            Status(mining=working, power_mode=mode.lower() if mode else None, power_limit=limit),
            replace(self._info, led_manual=polled.led_manual),
            parse_v3_errors(device),
        )

    async def _v3_read(self, command: str, param: str | None = None) -> Any:
        request: dict[str, Any] = {"cmd": command}
        if param is not None:
            request["param"] = param
        return await self._v3_request(request)

    async def _v3_request(self, request: dict[str, Any]) -> Any:
        self.v3_requests += 1
        command = str(request["cmd"])
        data = await btminer.v3_exchange(self.host, self.v3_port, request, self.timeout)
        return _v3_msg(data, self.host, command)

    async def _v3_write(self, command: str, param: Any) -> None:
        """A signed ``set.*``; refused as unauthorised with a salt read earlier, the salt is
        read again (the firmware renews it, e.g. after a password change) and the write sent
        once more. Refused with the salt just read, the password is wrong."""
        fresh_salt = self._v3_salt is None
        if fresh_salt:
            await self._connect()
        try:
            await self._v3_signed(command, param)
        except MinerAuthError:
            if fresh_salt:
                raise
            await self._connect()
            await self._v3_signed(command, param)

    async def _v3_signed(self, command: str, param: Any) -> None:
        """Pools travel AES-encrypted under the same digest that signs the write."""
        salt = self._v3_salt or ""
        ts = int(time.time())
        password = self._password
        if command == "set.miner.pools":
            key = btminer.v3_digest(command, password, salt, ts)
            param = btminer.aes_encrypt(key, json.dumps(param).encode())
        await self._v3_request(
            {
                "cmd": command,
                "param": param,
                "ts": ts,
                "account": V3_ACCOUNT,
                "token": btminer.v3_token(command, password, salt, ts),
            }
        )

    async def _is_v3(self) -> bool:
        await self._facts_now()
        return self.api_flavour == V3

    # --- writing (API v2) ---------------------------------------------------------------

    async def _get_token(self) -> btminer.Token:
        if self._token is not None and self._token.fresh():
            return self._token
        msg = _msg(await self.rpc.command("get_token"))
        parts = [as_str(msg.get(key)) for key in ("salt", "time", "newsalt")]
        salt, token_time, newsalt = parts
        if salt is None or token_time is None or newsalt is None:
            raise MinerProtocolError(f"{self.host} answered get_token without salt and time")
        self._token = btminer.make_token(self._password, salt, token_time, newsalt)
        return self._token

    async def _privileged(
        self, command: str, params: dict[str, Any] | None = None, *, no_reply: bool = False
    ) -> None:
        """One privileged command; a stale token is renewed once."""
        renewed = False
        while True:
            token = await self._get_token()
            request = btminer.encrypted_request(token, command, params or {})
            data = await self.rpc.raw(request)
            if no_reply and not data.strip(b"\x00 \r\n"):
                return  # reboot closes the connection without answering
            reply = btminer.decrypt_reply(
                token, self.rpc.decode(data, command), f"{self.host} ({command})"
            )
            status = status_of(reply) or reply
            code = as_int(status.get("Code", reply.get("Code")))
            letter = str(status.get("STATUS", reply.get("STATUS", ""))).upper()
            message = as_str(reply.get("Msg")) or as_str(status.get("Msg")) or ""
            if code == CODE_TOKEN and not renewed:
                self._token, renewed = None, True
                continue
            self._check_privileged(command, code, letter, message)
            return

    def _check_privileged(self, command: str, code: int | None, letter: str, message: str) -> None:
        if letter == "S" or code == CODE_OK:
            return
        if code == CODE_DENIED and "write" in message.lower():
            raise MinerLockedError(
                f"{self.host} keeps its control API locked: the Whatsminer admin password was "
                "never changed from the default. Change it once with MicroBT's WhatsMinerTool, "
                "then enter the new password here"
            )
        if code == CODE_BAD_JSON:
            self._token = None
            raise MinerAuthError(f"{self.host} refused the Whatsminer admin password")
        if code == CODE_INVALID:
            raise MinerUnsupportedError(f"{self.host}'s firmware has no {command!r} command")
        raise MinerCommandError(
            f"{self.host} refused {command!r}: {message or 'no reason given'}", code=code
        )

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            if await self._is_v3():
                await self._v3_write("set.miner.service", "start" if enabled else "stop")
            elif enabled:
                await self._privileged("power_on")
            else:
                await self._privileged("power_off", {"respbefore": "true"})

    async def set_power_mode(self, mode: str) -> None:
        if mode not in POWER_MODES:
            raise MinerCommandError(
                f"Unknown power mode {mode!r}; Whatsminers have {', '.join(POWER_MODES)}"
            )
        async with self.lock:
            if await self._is_v3():
                await self._v3_write("set.miner.power_mode", mode)
            else:
                await self._privileged(f"set_{mode}_power")

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            facts = await self._facts_now()
            limits = capabilities_for(facts.model, facts.api).power_limit
            if facts.api and facts.api < (2, 0, 5):
                raise MinerUnsupportedError(
                    f"{self.host} runs Whatsminer API {'.'.join(map(str, facts.api))}; "
                    "a power limit needs API 2.0.5 or newer"
                )
            if limits is not None and not limits.contains(watts):
                raise MinerCommandError(
                    f"{watts:g} W is outside this miner's {limits.min:g}–{limits.max:g} W"
                )
            if self.api_flavour == V3:
                await self._v3_write("set.miner.power_limit", round(watts))
            else:
                await self._privileged("adjust_power_limit", {"power_limit": str(round(watts))})

    async def set_fault_light(self, on: bool) -> None:
        params: dict[str, Any] = (
            {"color": "red", "period": 1000, "duration": 500, "start": 0}
            if on
            else {"param": "auto"}
        )
        async with self.lock:
            if await self._is_v3():
                await self._v3_write("set.system.led", [params] if on else "auto")
            else:
                await self._privileged("set_led", params)

    async def reboot(self) -> None:
        async with self.lock:
            if await self._is_v3():
                await self._v3_write("set.system.reboot", None)
                return
            await self._privileged("reboot", no_reply=True)
            self._token = None  # the token table is lost with the reboot

    async def restart_mining(self) -> None:
        async with self.lock:
            if await self._is_v3():
                await self._v3_write("set.miner.service", "restart")
            else:
                await self._privileged("restart_btminer")

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("Whatsminers take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        params: dict[str, Any] = {}
        for slot in range(1, POOL_SLOTS + 1):
            pool = pools[slot - 1] if slot <= len(pools) else None
            params[f"pool{slot}"] = pool.url.strip() if pool else ""
            params[f"worker{slot}"] = pool.user if pool else ""
            params[f"passwd{slot}"] = pool.password if pool else ""
        async with self.lock:
            if await self._is_v3():
                await self._v3_write(
                    "set.miner.pools",
                    [
                        {"pool": pool.url.strip(), "worker": pool.user, "passwd": pool.password}
                        for pool in pools
                    ],
                )
            else:
                await self._privileged("update_pools", params)
