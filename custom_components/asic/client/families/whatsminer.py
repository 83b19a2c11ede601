"""Whatsminer (MicroBT BTMiner): API v2 on TCP 4028, the cgminer-style RPC and its API daemon.

Requests:

- at connect, once (again after the miner rebooted, seen as ``Uptime`` going back):
  ``devdetails`` (the model, e.g. ``M30S_VE10``) and ``get_version`` (firmware, API version).
- each poll, API 2.0.1 and newer: 4 requests — ``summary+pools+edevs`` joined (hashrate,
  factory hashrate, power, limit, mode, temperatures, fans, uptime, shares; pools; boards),
  then the daemon's ``status`` (mining on or off), ``get_miner_info`` (MAC, hostname, serial,
  LED) and ``get_error_code`` (the firmware's error report). The daemon cannot join its
  ``get_*`` and ``status`` commands ("command join err"), so they go one by one.
- each poll, older firmware (API "whatsminer v1.4.0"): 3 requests; its errors are the
  ``Error Code N`` keys of ``summary``.
- a firmware that refuses joined BTMiner commands gets them one by one, once refused.

Controls are the privileged API's commands: ``get_token`` (one request, kept 25 minutes and
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
from dataclasses import dataclass
import re
from typing import Any, ClassVar

import aiohttp

from ..errors import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerLockedError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from ..miner import Credentials, Miner
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
from ..transport import btminer
from ..transport.rpc import RpcTransport, status_of
from ..units import as_bool, as_float, as_int, as_str, positive

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"  # noqa: S105 (the factory default, documented by the vendor)
V2 = "v2"
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
    530: "SM0 hashboard not found",
    531: "SM1 hashboard not found",
    532: "SM2 hashboard not found",
    600: "Environment temperature too high",
    610: "Environment temperature too high for high performance mode",
    2010: "All pools are disabled",
    2020: "Pool 1 connection failed",
    2021: "Pool 2 connection failed",
    2022: "Pool 3 connection failed",
    2030: "High rejection rate on the pool",
    2310: "Hashrate too low",
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


# --- identification -----------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    """The LuCI page the web port redirects to (vendor-protocols.md §7)."""
    return "/cgi-bin/luci" in page.body.lower() and "whatsminer" in page.body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """A BTMiner API on the RPC port: ``devdetails`` names a Whatsminer model."""
    rpc = RpcTransport(probe.host, probe.rpc_port, timeout=probe.timeout)
    try:
        type_name = parse_devdetails(await rpc.command("devdetails"))
        if not type_name or not re.match(r"^M\d", type_name):
            return None
        firmware, api = parse_version(await rpc.command("get_version"))
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
        api_flavour=V2 if api_version(api) < (3,) else "v3",
    )


# --- the miner ----------------------------------------------------------------------------


class WhatsminerMiner(Miner):
    """A Whatsminer on stock BTMiner firmware, API v2."""

    family = Family.WHATSMINER
    default_port = 80
    uses_rpc: ClassVar[bool] = True

    def __init__(
        self,
        host: str,
        session: aiohttp.ClientSession,
        *,
        port: int | None = None,
        credentials: Credentials | None = None,
        timeout: float = 10.0,
        rpc_port: int | None = None,
    ) -> None:
        super().__init__(host, session, port=port, credentials=credentials, timeout=timeout)
        self.rpc = RpcTransport(host, rpc_port, timeout=timeout)
        self._facts: StaticFacts | None = None
        self._last_uptime: int | None = None
        self._token: btminer.Token | None = None
        self.api_flavour = V2

    @property
    def _password(self) -> str:
        password = self.credentials.password
        return DEFAULT_PASSWORD if password is None else password

    @property
    def capabilities(self) -> Capabilities:
        if self._facts is None:
            return Capabilities()
        return capabilities_for(self._facts.model, self._facts.api)

    # --- reading ------------------------------------------------------------------------

    async def _connect(self) -> StaticFacts:
        type_name = parse_devdetails(await self.rpc.command("devdetails"))
        firmware, api = parse_version(await self.rpc.command("get_version"))
        self._facts = StaticFacts(type_name=type_name, firmware=firmware, api=api_version(api))
        return self._facts

    async def _facts_now(self) -> StaticFacts:
        return self._facts if self._facts is not None else await self._connect()

    async def read(self) -> MinerData:
        async with self.lock:
            facts = await self._facts_now()
            replies = await self.rpc.commands("summary", "pools", "edevs")
            summary = parse_summary(replies["summary"])
            last = self._last_uptime
            if summary.uptime is not None and last is not None and summary.uptime < last:
                facts = await self._connect()  # rebooted: maybe into new firmware
                self._token = None
            self._last_uptime = summary.uptime
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

    # --- writing ------------------------------------------------------------------------

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
            if enabled:
                await self._privileged("power_on")
            else:
                await self._privileged("power_off", {"respbefore": "true"})

    async def set_power_mode(self, mode: str) -> None:
        if mode not in POWER_MODES:
            raise MinerCommandError(
                f"Unknown power mode {mode!r}; Whatsminers have {', '.join(POWER_MODES)}"
            )
        async with self.lock:
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
            await self._privileged("adjust_power_limit", {"power_limit": str(round(watts))})

    async def set_fault_light(self, on: bool) -> None:
        params: dict[str, Any] = (
            {"color": "red", "period": 1000, "duration": 500, "start": 0}
            if on
            else {"param": "auto"}
        )
        async with self.lock:
            await self._privileged("set_led", params)

    async def reboot(self) -> None:
        async with self.lock:
            await self._privileged("reboot", no_reply=True)
            self._token = None  # the token table is lost with the reboot

    async def restart_mining(self) -> None:
        async with self.lock:
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
            await self._privileged("update_pools", params)
