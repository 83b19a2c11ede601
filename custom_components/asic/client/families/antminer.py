"""Stock Antminer firmware: BMMiner's RPC on TCP 4028 and digest-protected CGI on port 80.

Two flavours: "modern" (S19, S21, T21 and newer: JSON writes to ``set_miner_conf.cgi``, work
modes 0 normal / 1 sleep / 3 low power, ``stats`` with ``new_api``) and "old" (S9, S17, T17:
the web form's ``_ant_*`` fields, no work modes).

Requests:

- at connect, once (again after the miner rebooted, seen as the uptime going back):
  ``get_system_info.cgi`` (model, MAC, hostname, serial, firmware) and ``get_miner_conf.cgi``
  (work mode; whether the firmware has work modes at all). The first web request pays one 401
  for the digest challenge; its nonce is reused afterwards.
- each poll, modern: 3 requests — one RPC ``summary+stats+pools`` with ``new_api`` (hashrate,
  expected hashrate, chains, fans, pools, uptime, and the work mode as ``miner-mode``),
  ``get_blink_status.cgi`` (fault light) and ``summary.cgi`` (the firmware's own error report).
  Where the ``new_api`` stats lack ``miner-mode``, ``get_miner_conf.cgi`` is read as well (4).
- each poll, old: 2 requests — RPC ``summary+stats+pools`` and ``blink.cgi`` with
  ``action=onPageLoaded`` (the old page's way to read the blink state; it changes nothing).
- a firmware that refuses joined RPC commands gets them one by one (RPC requests: 3), once
  it has refused them a first time.

Controls go through what the firmware's own web page does. ``set_miner_conf.cgi`` replaces the
whole configuration, so every write is a read-modify-write of ``get_miner_conf.cgi``: a mode
change sends the pools back, a pool change sends the mode back. The firmware restarts its
mining program after every configuration it takes; restart mining sends the current one back.
Stock firmware has no power target: sleep mode is how mining stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
import json
import re
from typing import Any, ClassVar
from urllib.parse import urlencode

from ..errors import MinerCommandError, MinerError, MinerProtocolError, MinerUnsupportedError
from ..jsonrepair import loads
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    MinerData,
    Pool,
    PoolConfig,
    ReportedError,
)
from ..probe import Probe
from ..rpc_miner import RpcMiner
from ..transport.digest import DigestAuth
from ..transport.http import HttpTransport
from ..units import as_bool, as_float, as_int, as_str, hashrate_to_th, positive

DEFAULT_USERNAME = "root"
DEFAULT_PASSWORD = "root"  # noqa: S105 (the factory default, documented by the vendor)
MODERN, OLD = "modern", "old"

SYSTEM_INFO = "/cgi-bin/get_system_info.cgi"
GET_CONF = "/cgi-bin/get_miner_conf.cgi"
SET_CONF = "/cgi-bin/set_miner_conf.cgi"
BLINK = "/cgi-bin/blink.cgi"
BLINK_STATUS = "/cgi-bin/get_blink_status.cgi"
REBOOT = "/cgi-bin/reboot.cgi"
SUMMARY_CGI = "/cgi-bin/summary.cgi"

# Work modes of modern firmware (``miner-mode`` / ``bitmain-work-mode``).
POWER_MODES: dict[str, int] = {"normal": 0, "low": 3, "sleep": 1}
MODE_NAMES = {number: name for name, number in POWER_MODES.items()}
SLEEP = POWER_MODES["sleep"]
NORMAL = POWER_MODES["normal"]
POOL_SLOTS = 3


@dataclass(frozen=True, slots=True)
class AntminerModel:
    """One row of the model table: what the box is built with."""

    name: str
    flavour: str  # MODERN or OLD
    boards: int
    chips_per_board: int
    fans: int
    nominal_hashrate: float  # TH/s at the normal work mode


# Makers' figures. Key: the model as the firmware names it, lower case, without "antminer ".
MODELS: dict[str, AntminerModel] = {
    row.name.lower().removeprefix("antminer "): row
    for row in (
        AntminerModel("Antminer S9", OLD, 3, 63, 2, 13.5),
        AntminerModel("Antminer S17", OLD, 3, 48, 4, 56.0),
        AntminerModel("Antminer S17 Pro", OLD, 3, 48, 4, 53.0),
        AntminerModel("Antminer T17", OLD, 3, 30, 4, 40.0),
        AntminerModel("Antminer S19", MODERN, 3, 76, 4, 95.0),
        AntminerModel("Antminer S19 Pro", MODERN, 3, 114, 4, 110.0),
        AntminerModel("Antminer S19j Pro", MODERN, 3, 126, 4, 104.0),
        AntminerModel("Antminer S19 XP", MODERN, 3, 110, 4, 140.0),
        AntminerModel("Antminer T19", MODERN, 3, 76, 4, 84.0),
        AntminerModel("Antminer S21", MODERN, 3, 108, 4, 200.0),
        AntminerModel("Antminer S21 Pro", MODERN, 3, 65, 4, 234.0),
        AntminerModel("Antminer T21", MODERN, 3, 108, 4, 190.0),
    )
}
# Names of older generations, for models missing from the table.
_OLD_GENERATION = re.compile(r"\b[a-z]?(?:[1-9]|1[0-7])\b", re.IGNORECASE)


def find_model(name: str | None) -> AntminerModel | None:
    if not name:
        return None
    return MODELS.get(name.strip().lower().removeprefix("antminer ").strip())


def flavour_for(model: str | None) -> str:
    """``old`` for S9/S17-era models, ``modern`` otherwise (unknown new models are modern)."""
    row = find_model(model)
    if row is not None:
        return row.flavour
    series = (model or "").lower().removeprefix("antminer ").split(" ")[0]
    return OLD if series and _OLD_GENERATION.fullmatch(series) else MODERN


def capabilities_for(flavour: str) -> Capabilities:
    modern = flavour == MODERN
    return Capabilities(
        mining_switch=modern,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_modes=tuple(POWER_MODES) if modern else (),
    )


# --- parsers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """The static facts of ``get_system_info.cgi``."""

    model: str | None = None
    mac: str | None = None
    hostname: str | None = None
    serial: str | None = None
    firmware_version: str | None = None


def parse_system_info(info: Any) -> SystemInfo:
    if not isinstance(info, Mapping):
        raise MinerProtocolError("get_system_info.cgi did not answer a JSON object")
    mac = as_str(info.get("macaddr"))
    return SystemInfo(
        model=as_str(info.get("minertype")),
        mac=mac.upper() if mac else None,
        hostname=as_str(info.get("hostname")),
        serial=as_str(info.get("serinum")),
        firmware_version=as_str(info.get("system_filesystem_version")),
    )


def _first(reply: Mapping[str, Any] | None, section: str) -> Mapping[str, Any]:
    items = (reply or {}).get(section)
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return items[0]
    return {}


def _to_th(value: Any, unit: Any) -> float | None:
    try:
        return hashrate_to_th(value, as_str(unit) or "GH")
    except ValueError:
        return None


def parse_version(reply: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """RPC ``version`` → (``Type``, ``CompileTime``)."""
    version = _first(reply, "VERSION")
    return as_str(version.get("Type")), as_str(version.get("CompileTime"))


@dataclass(frozen=True, slots=True)
class Summary:
    hashrate: float | None = None
    uptime: int | None = None
    accepted: int | None = None
    rejected: int | None = None
    best_share: float | None = None


# (key, TH/s per unit) in the order a summary's hashrate is looked for; ccminer-based
# firmwares (Hammer, VolcMiner) count in MH/s.
_SUMMARY_RATES = (("GHS 5s", 1e-3), ("GHS av", 1e-3), ("MHS 5s", 1e-6), ("MHS av", 1e-6))


def parse_summary(reply: Mapping[str, Any]) -> Summary:
    """RPC ``summary``: ``GHS 5s`` (number or string), else ``GHS av``, else the MH/s ones."""
    summary = _first(reply, "SUMMARY")
    if not summary:
        raise MinerProtocolError("The RPC summary reply has no SUMMARY (cut short?)")
    hashrate = next(
        (
            number * factor
            for key, factor in _SUMMARY_RATES
            if (number := as_float(summary.get(key))) is not None
        ),
        None,
    )
    return Summary(
        hashrate=hashrate,
        uptime=as_int(summary.get("Elapsed")),
        accepted=as_int(summary.get("Accepted")),
        rejected=as_int(summary.get("Rejected")),
        best_share=positive(as_float(summary.get("Best Share"))),
    )


@dataclass(frozen=True, slots=True)
class Stats:
    expected_hashrate: float | None = None
    boards: tuple[Board, ...] = ()
    fans: tuple[Fan, ...] = ()
    mode: int | None = None
    model: str | None = None
    firmware: str | None = None
    hashrate: float | None = None
    uptime: int | None = None


def _max_of(values: Any) -> float | None:
    """The hottest of a sensor list: ``[78, 50, 69, 70]`` or ``"78-50-69-70"``; 0 is no sensor."""
    if isinstance(values, str):
        values = values.split("-")
    if not isinstance(values, list):
        return positive(as_float(values))
    readings = [number for item in values if (number := positive(as_float(item))) is not None]
    return max(readings) if readings else None


def parse_stats(
    reply: Mapping[str, Any], model: AntminerModel | None = None, *, default_unit: str = "GH"
) -> Stats:
    """RPC ``stats``: the ``new_api`` shape (``STATS[0].chain``) or BMMiner's ``STATS[1]`` keys.

    ``default_unit``: the rate unit where the reply names none (MH on scrypt firmwares).
    """
    listed = reply.get("STATS")
    items: list[Mapping[str, Any]] = [
        item for item in (listed if isinstance(listed, list) else []) if isinstance(item, Mapping)
    ]
    for item in items:
        if isinstance(item.get("chain"), list):
            return _parse_new_api(item, model)
    header: Mapping[str, Any] = items[0] if items else {}
    data: Mapping[str, Any] = next(
        (item for item in items if any(_CHAIN_KEY.match(str(key)) for key in item)),
        items[1] if len(items) > 1 else {},
    )
    return replace(
        _parse_old_stats(data, model, default_unit),
        model=as_str(header.get("Type")),
        firmware=as_str(header.get("CompileTime")),
    )


def _parse_new_api(stats: Mapping[str, Any], model: AntminerModel | None) -> Stats:
    unit = stats.get("rate_unit")
    boards: list[Board] = []
    for position, chain in enumerate(stats["chain"]):
        if not isinstance(chain, Mapping):
            continue
        index = as_int(chain.get("index"))
        boards.append(
            Board(
                index=position if index is None else index,
                hashrate=_to_th(chain.get("rate_real"), unit),
                expected_hashrate=_to_th(chain.get("rate_ideal"), unit),
                chip_temp=_max_of(chain.get("temp_chip")),
                board_temp=_max_of(chain.get("temp_pcb")),
                chips=as_int(chain.get("asic_num")),
                expected_chips=model.chips_per_board if model else None,
                serial=as_str(chain.get("sn")),
            )
        )
    fan_rpms = stats.get("fan")
    fans = (
        tuple(Fan(index, rpm=as_int(rpm)) for index, rpm in enumerate(fan_rpms))
        if isinstance(fan_rpms, list)
        else ()
    )
    rate_5s = _to_th(stats.get("rate_5s"), unit)
    return Stats(
        expected_hashrate=_to_th(stats.get("rate_ideal"), unit),
        boards=tuple(boards),
        fans=fans,
        mode=as_int(stats.get("miner-mode")),
        hashrate=rate_5s,
        uptime=as_int(stats.get("elapsed")),
    )


_CHAIN_KEY = re.compile(r"^chain_(?:acn|rate)(\d+)$")
_FAN_KEY = re.compile(r"^fan(\d+)$")


def _parse_old_stats(
    stats: Mapping[str, Any], model: AntminerModel | None, default_unit: str = "GH"
) -> Stats:
    unit = stats.get("rate_unit") or default_unit
    slots = sorted({int(match.group(1)) for key in stats if (match := _CHAIN_KEY.match(key))})
    boards: list[Board] = []
    for slot in slots:
        chips = as_int(stats.get(f"chain_acn{slot}"))
        rate = as_str(stats.get(f"chain_rate{slot}"))
        if not chips and rate is None:
            continue  # an empty slot
        boards.append(
            Board(
                index=len(boards),
                hashrate=_to_th(rate, unit),
                chip_temp=_max_of(stats.get(f"temp_chip{slot}"))
                or positive(as_float(stats.get(f"temp2_{slot}"))),
                board_temp=_max_of(stats.get(f"temp_pcb{slot}"))
                or positive(as_float(stats.get(f"temp{slot}"))),
                chips=chips,
                expected_chips=model.chips_per_board if model else None,
            )
        )
    fan_slots = sorted(int(match.group(1)) for key in stats if (match := _FAN_KEY.match(key)))
    rpms = [as_int(stats.get(f"fan{slot}")) for slot in fan_slots]
    fan_count = as_int(stats.get("fan_num"))
    if fan_count is not None and len(rpms) > fan_count:
        # S9-era firmware prints every fan socket; only the plugged ones turn.
        rpms = [rpm for rpm in rpms if rpm]
    hashrate_gh = as_float(stats.get("GHS 5s"))
    if hashrate_gh is None and (hashrate_mh := as_float(stats.get("MHS 5s"))) is not None:
        hashrate_gh = hashrate_mh / 1000
    return Stats(
        expected_hashrate=_to_th(stats.get("total_rateideal"), unit),
        boards=tuple(boards),
        fans=tuple(Fan(index, rpm=rpm) for index, rpm in enumerate(rpms)),
        hashrate=hashrate_gh / 1000 if hashrate_gh is not None else None,
        uptime=as_int(stats.get("Elapsed")),
    )


def parse_pools(reply: Mapping[str, Any]) -> tuple[Pool, ...]:
    items = reply.get("POOLS")
    pools = []
    for position, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping) or not (url := as_str(item.get("URL"))):
            continue
        index = as_int(item.get("POOL"))
        status = as_str(item.get("Status"))
        pools.append(
            Pool(
                index=position if index is None else index,
                url=url,
                user=as_str(item.get("User")),
                active=as_bool(item.get("Stratum Active")),
                alive=None if status is None else status.lower() == "alive",
                accepted=as_int(item.get("Accepted")),
                rejected=as_int(item.get("Rejected")),
            )
        )
    return tuple(pools)


# What each item of the web status report watches, for a message when the firmware gives none.
STATUS_SUBJECTS = {"rate": "hashrate", "network": "network", "fans": "fans", "temp": "temperature"}


def parse_status_report(reply: Any) -> tuple[ReportedError, ...]:
    """``summary.cgi``: each ``SUMMARY[0].status[]`` item whose ``status`` is not "s"."""
    summary = _first(reply if isinstance(reply, Mapping) else {}, "SUMMARY")
    items = summary.get("status")
    errors = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or as_str(item.get("status")) in (None, "s"):
            continue
        kind = as_str(item.get("type")) or "status"
        code = as_int(item.get("code"))
        subject = STATUS_SUBJECTS.get(kind, kind)
        message = as_str(item.get("msg")) or f"The miner reports a problem with its {subject}"
        errors.append(ReportedError(f"{kind}:{code}" if code else kind, message))
    return tuple(errors)


def mode_of(conf: Mapping[str, Any]) -> int | None:
    return as_int(conf.get("bitmain-work-mode"))


def build_miner_data(
    info: SystemInfo,
    flavour: str,
    summary: Summary,
    stats: Stats,
    pools: tuple[Pool, ...],
    *,
    mode: int | None = None,
    fault_light: bool | None = None,
    errors: tuple[ReportedError, ...] = (),
) -> MinerData:
    """One poll's parsed replies → ``MinerData``."""
    model_name = info.model or stats.model
    hashrate = summary.hashrate if summary.hashrate is not None else stats.hashrate
    chip_temps = [board.chip_temp for board in stats.boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in stats.boards if board.board_temp is not None]
    modern = flavour == MODERN
    if modern and mode is not None:
        is_mining: bool | None = mode != SLEEP
    else:
        is_mining = None if hashrate is None else hashrate > 0
    return MinerData(
        family=Family.ANTMINER,
        model=model_name,
        firmware_version=info.firmware_version or stats.firmware,
        mac=info.mac,
        serial=info.serial,
        hostname=info.hostname,
        hashrate=hashrate,
        expected_hashrate=stats.expected_hashrate,
        chip_temp_max=max(chip_temps) if chip_temps else None,
        chip_temp_avg=round(sum(chip_temps) / len(chip_temps), 1) if chip_temps else None,
        board_temp_max=max(board_temps) if board_temps else None,
        uptime=summary.uptime if summary.uptime is not None else stats.uptime,
        is_mining=is_mining,
        fault_light=fault_light,
        power_mode=MODE_NAMES.get(mode) if modern and mode is not None else None,
        shares_accepted=summary.accepted,
        shares_rejected=summary.rejected,
        best_session_difficulty=summary.best_share,
        fans=stats.fans,
        boards=stats.boards,
        pools=pools,
        errors=errors,
        capabilities=capabilities_for(flavour),
    )


# --- the miner ----------------------------------------------------------------------------


class AntminerMiner(RpcMiner):
    """A stock Antminer: RPC for readings, digest CGI for facts and controls."""

    family = Family.ANTMINER
    default_port = 80
    default_username: ClassVar[str] = DEFAULT_USERNAME
    default_password: ClassVar[str] = DEFAULT_PASSWORD
    rate_unit: ClassVar[str] = "GH"  # of RPC rates that name no unit
    # Stock firmware restarts its mining program after every configuration save; not known
    # of the firmwares that re-brand it, which then offer no restart-mining operation.
    restarts_mining_on_save: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.credentials.username or self.default_username
        password = self.credentials.password
        auth = DigestAuth(username, self.default_password if password is None else password)
        self.http = HttpTransport(
            self.session, self.host, self.port, timeout=self.timeout, auth=auth
        )
        self._info: SystemInfo | None = None
        self._flavour: str | None = None
        self._last_uptime: int | None = None
        self._mode_as_text = False
        self._mode_before_sleep = NORMAL

    def model_row(self, name: str | None) -> AntminerModel | None:
        """This firmware's table row for a model name (re-brands have tables of their own)."""
        return find_model(name)

    def _conf_mode(self, conf: Mapping[str, Any]) -> int | None:
        """The work mode a ``get_miner_conf.cgi`` reply holds."""
        return mode_of(conf)

    @property
    def flavour(self) -> str | None:
        """``modern`` or ``old`` once connected."""
        return self._flavour

    @property
    def capabilities(self) -> Capabilities:
        if not self._flavour:
            return Capabilities()
        capabilities = capabilities_for(self._flavour)
        if not self.restarts_mining_on_save:
            capabilities = replace(capabilities, restart_mining=False)
        return capabilities

    # --- reading ------------------------------------------------------------------------

    async def _connect(self) -> None:
        """The static facts; called with the lock held."""
        info = parse_system_info(await self.http.get_json(SYSTEM_INFO))
        conf = await self._read_conf()
        flavour = flavour_for(info.model)
        if find_model(info.model) is None:
            # A model missing from the table: the configuration tells the generations apart.
            flavour = MODERN if "bitmain-work-mode" in conf else OLD
        self._info, self._flavour = info, flavour

    async def _read_conf(self) -> dict[str, Any]:
        conf = await self.http.get_json(GET_CONF)
        if not isinstance(conf, dict):
            raise MinerProtocolError(f"{self.host} answered get_miner_conf.cgi with no object")
        return conf

    async def read(self) -> MinerData:
        async with self.lock:
            if self._info is None:
                await self._connect()
            modern = self._flavour == MODERN
            extra = {"new_api": True} if modern else {}
            replies = await self.rpc.commands("summary", "stats", "pools", **extra)
            summary = parse_summary(replies["summary"])
            last = self._last_uptime
            if summary.uptime is not None and last is not None and summary.uptime < last:
                await self._connect()  # it rebooted: the firmware may be a new one
            self._last_uptime = summary.uptime
            info = self._info
            assert info is not None
            assert self._flavour is not None
            model = self.model_row(info.model)
            stats = parse_stats(replies["stats"], model, default_unit=self.rate_unit)
            mode = stats.mode
            if modern and mode is None:
                mode = self._conf_mode(await self._read_conf())
            fault_light = await self._blink_state()
            errors = await self._status_report() if modern else ()
        data = build_miner_data(
            info,
            self._flavour,
            summary,
            stats,
            parse_pools(replies["pools"]),
            mode=mode,
            fault_light=fault_light,
            errors=errors,
        )
        return replace(data, capabilities=self.capabilities)

    async def _blink_state(self) -> bool | None:
        try:
            if self._flavour == MODERN:
                reply = await self.http.get_json(BLINK_STATUS)
                key = "blink"
            else:
                reply = await self._post_form(BLINK, {"action": "onPageLoaded"})
                key = "isBlinking"
        except (MinerUnsupportedError, MinerProtocolError):
            return None
        return as_bool(reply.get(key)) if isinstance(reply, Mapping) else None

    async def _status_report(self) -> tuple[ReportedError, ...]:
        try:
            return parse_status_report(await self.http.get_json(SUMMARY_CGI))
        except (MinerUnsupportedError, MinerProtocolError):
            return ()

    # --- writing ------------------------------------------------------------------------

    async def _post_form(self, path: str, fields: Mapping[str, str]) -> Any:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, reply = await self.http.request(
            "POST", path, data=body, headers=headers, allow_redirects=False
        )
        self.http.raise_for_status(status, path, reply, write=True)
        text = reply.decode("utf-8", "replace").strip()
        return loads(text, where=f"{self.host}{path}") if text[:1] in ("{", "[") else text

    async def _post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        reply = await self.http.send("POST", path, dict(body))
        text = reply.decode("utf-8", "replace").strip()
        return loads(text, where=f"{self.host}{path}") if text else {}

    async def _ensure_connected(self) -> str:
        if self._info is None:
            await self._connect()
        assert self._flavour is not None
        return self._flavour

    def _require_modern(self, flavour: str, what: str) -> None:
        if flavour != MODERN:
            raise MinerUnsupportedError(
                f"{self.host} runs older Antminer firmware, which has no {what}"
            )

    async def _write_conf(
        self, conf: Mapping[str, Any], *, mode: int | None = None, pools: list[dict[str, str]]
    ) -> None:
        """``set_miner_conf.cgi`` with everything ``conf`` holds, ``mode`` and ``pools`` changed."""
        wanted = self._conf_mode(conf) if mode is None else mode
        body: dict[str, Any] = {
            "bitmain-fan-ctrl": bool(as_bool(conf.get("bitmain-fan-ctrl"))),
            "bitmain-fan-pwm": as_str(conf.get("bitmain-fan-pwm")) or "100",
            "freq-level": as_str(conf.get("bitmain-freq-level")) or "100",
            "miner-mode": NORMAL if wanted is None else wanted,
            "pools": pools,
        }
        # Some firmwares want the mode as a string: tried once after a refusal, then kept.
        for as_text in (True,) if self._mode_as_text else (False, True):
            if as_text:
                body["miner-mode"] = str(body["miner-mode"])
            reply = await self._post_json(SET_CONF, body)
            if _conf_written(reply):
                self._mode_as_text = as_text
                return
        code = reply.get("code") if isinstance(reply, Mapping) else None
        message = as_str(reply.get("msg")) if isinstance(reply, Mapping) else as_str(reply)
        raise MinerCommandError(
            f"{self.host} refused the configuration: {message or 'no reason given'}", code=code
        )

    async def set_power_mode(self, mode: str) -> None:
        if mode not in POWER_MODES:
            raise MinerCommandError(
                f"Unknown power mode {mode!r}; stock Antminers have {', '.join(POWER_MODES)}"
            )
        async with self.lock:
            self._require_modern(await self._ensure_connected(), "power modes")
            conf = await self._read_conf()
            current = self._conf_mode(conf)
            if current is not None and current != SLEEP:
                self._mode_before_sleep = current
            await self._write_conf(conf, mode=POWER_MODES[mode], pools=_conf_pools(conf))

    async def set_mining(self, enabled: bool) -> None:
        """Sleep mode off or on; waking returns to the mode the miner slept from."""
        async with self.lock:
            self._require_modern(await self._ensure_connected(), "sleep mode to stop mining")
            conf = await self._read_conf()
            current = self._conf_mode(conf)
            if enabled and current is not None and current != SLEEP:
                return  # mining already
            if not enabled and current is not None and current != SLEEP:
                self._mode_before_sleep = current
            mode = self._mode_before_sleep if enabled else SLEEP
            await self._write_conf(conf, mode=mode, pools=_conf_pools(conf))

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("Antminers take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        slots = [{"url": pool.url, "user": pool.user, "pass": pool.password} for pool in pools]
        slots += [{"url": "", "user": "", "pass": ""}] * (POOL_SLOTS - len(slots))
        async with self.lock:
            flavour = await self._ensure_connected()
            conf = await self._read_conf()
            if flavour == MODERN:
                await self._write_conf(conf, pools=slots)
            else:
                await self._write_old_conf(conf, slots)

    async def _write_old_conf(self, conf: Mapping[str, Any], pools: list[dict[str, str]]) -> None:
        """The old web form's ``set_miner_conf.cgi``: what ``conf`` holds, with ``pools``."""
        fields = {
            "_ant_fan_customize_switch": "true"
            if as_bool(conf.get("bitmain-fan-ctrl"))
            else "false",
            "_ant_fan_customize_value": as_str(conf.get("bitmain-fan-pwm")) or "100",
            "_ant_freq": as_str(conf.get("bitmain-freq")) or "",
            "_ant_voltage": as_str(conf.get("bitmain-voltage")) or "",
        }
        for number, slot in enumerate(pools, start=1):
            fields |= {
                f"_ant_pool{number}url": slot["url"],
                f"_ant_pool{number}user": slot["user"],
                f"_ant_pool{number}pw": slot["pass"],
            }
        reply = await self._post_form(SET_CONF, fields)
        if reply != "ok":
            raise MinerCommandError(
                f"{self.host} did not take the configuration: {str(reply)[:100]}"
            )

    async def restart_mining(self) -> None:
        """Send the configuration back unchanged: the firmware restarts its mining program
        after every ``set_miner_conf.cgi`` (its own page's "Save & Apply" does the same).
        The RPC ``restart`` command would be simpler, but stock firmware denies it."""
        if not self.restarts_mining_on_save:
            await super().restart_mining()
        async with self.lock:
            flavour = await self._ensure_connected()
            conf = await self._read_conf()
            if flavour == MODERN:
                await self._write_conf(conf, pools=_conf_pools(conf))
            else:
                await self._write_old_conf(conf, _conf_pools(conf))

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            if await self._ensure_connected() == MODERN:
                reply = await self._post_json(BLINK, {"blink": "true" if on else "false"})
                wanted = "B000" if on else "B100"
                if not isinstance(reply, Mapping) or reply.get("code") != wanted:
                    raise MinerCommandError(
                        f"{self.host} did not {'start' if on else 'stop'} blinking: "
                        f"{json.dumps(reply)[:100]}"
                    )
                return
            reply = await self._post_form(BLINK, {"action": "startBlink" if on else "stopBlink"})
            if not isinstance(reply, Mapping) or as_bool(reply.get("isBlinking")) is not on:
                raise MinerCommandError(
                    f"{self.host} did not {'start' if on else 'stop'} blinking: {str(reply)[:100]}"
                )

    async def reboot(self) -> None:
        async with self.lock:
            status, _, body = await self.http.request("GET", REBOOT, allow_redirects=False)
            self.http.raise_for_status(status, REBOOT, body, write=True)


def _conf_written(reply: Any) -> bool:
    return isinstance(reply, Mapping) and str(reply.get("stats", "")).lower() == "success"


def _conf_pools(conf: Mapping[str, Any]) -> list[dict[str, str]]:
    """The pools of ``get_miner_conf.cgi`` as ``set_miner_conf.cgi`` takes them back."""
    stored = conf.get("pools")
    pools = [
        {
            "url": as_str(item.get("url")) or "",
            "user": as_str(item.get("user")) or "",
            "pass": as_str(item.get("pass")) or "",
        }
        for item in (stored if isinstance(stored, list) else [])[:POOL_SLOTS]
        if isinstance(item, Mapping)
    ]
    pools += [{"url": "", "user": "", "pass": ""}] * (POOL_SLOTS - len(pools))
    return pools


def probe_http(
    probe: Probe, default_username: str = DEFAULT_USERNAME, default_password: str = DEFAULT_PASSWORD
) -> HttpTransport:
    """The identification's digest login: the user's, else the firmware's own default."""
    credentials = probe.credentials
    password = default_password if credentials.password is None else credentials.password
    return HttpTransport(
        probe.session,
        probe.host,
        probe.port,
        timeout=probe.timeout,
        auth=DigestAuth(credentials.username or default_username, password),
    )


async def probe_system_info(
    probe: Probe, default_username: str = DEFAULT_USERNAME, default_password: str = DEFAULT_PASSWORD
) -> SystemInfo | None:
    """``get_system_info.cgi`` through ``probe_http``; None when the web server is down,
    refuses the login or has no such page."""
    if probe.web_down:
        return None
    try:
        http = probe_http(probe, default_username, default_password)
        return parse_system_info(await http.get_json(SYSTEM_INFO))
    except MinerError:
        return None
