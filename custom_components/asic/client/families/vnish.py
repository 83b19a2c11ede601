"""Vnish (AnthillOS) on Antminer hardware: the firmware's REST API under ``/api/v1`` on port 80.

Vnish keeps BMMiner's RPC on 4028, whose ``version`` ``Type`` names it ("Antminer S19j Pro
(Vnish 1.2.6)"); identification uses that, never the reads: the REST ``summary`` carries all
the RPC would add, and more.

Requests:

- at connect, once (again after the miner rebooted, seen as its uptime going back):
  ``POST unlock`` ``{"pw": …}`` (password ``admin`` unless given; there is no user name) for a
  token, and ``GET autotune/presets`` (the presets, named by their watts, and whether each is
  tuned: the power modes and the power-limit range); the presets again when ``perf-summary``
  names one the list lacked (a tuning run finished).
- each poll: 4 GETs sent together, none of which needs the token — ``info`` (model, firmware,
  MAC, hostname, serial, system uptime), ``summary`` (hashrate, power, boards, fans, pools,
  miner state, failures), ``status`` (``find_miner``: the locate LED) and ``perf-summary``
  (the current preset: power limit and mode).
- writes carry ``Authorization: Bearer <token>``; a 401 (the token expired, or the miner
  rebooted and forgot it) costs one new unlock and the request again.

Controls, as the firmware's own UI does them: mining pause/resume (``mining/pause``,
``mining/resume``, and ``mining/start`` where a resume is refused because the miner was stopped
rather than paused), ``mining/restart``, ``system/reboot``, the locate LED (``find-miner``
toggles it, so it is sent only when ``status`` says the LED is not already as wanted). Power
is chosen by autotune preset: a mode is a tuned preset, a power limit in W selects the highest
tuned preset at or below it. The firmware silently keeps its preset when asked for one it has
not tuned, so an untuned preset is refused here and every preset write is checked through
``perf-summary``. Preset and pools are written as a read-modify-write of the ``miner`` section
of ``settings`` (three pool slots), so everything else there is sent back as it was read; a
reply saying ``restart_required`` is followed by ``mining/restart``, so that the change applies.

What differs by model comes from the miner itself (its presets, its ``info``); chips per board
come from the stock Antminer table (``antminer.MODELS``), as Vnish runs on that hardware.
Reported errors: a ``failure`` miner state (its ``failure_code`` and ``description``), boards
in the ``failure`` or ``disconnected`` state, and fans whose status is ``lost``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import json
import re
from typing import Any, ClassVar

from ..errors import MinerAuthError, MinerCommandError, MinerError, MinerProtocolError
from ..miner import Miner
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
from ..probe import Probe
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, hashrate_to_th, positive
from .antminer import find_model

DEFAULT_PASSWORD = "admin"  # noqa: S105 (the factory default, documented by the vendor)
API = "/api/v1/"
REST = "rest"
POOL_SLOTS = 3
POLL_ROUTES = ("info", "summary", "status", "perf-summary")
MANUAL_PRESET = "disabled"  # overclock by hand: no preset, no wattage
MARKERS = ("VNISH", "ANTHILL")

# ``miner_status.miner_state``: whether the miner is (getting ready to be) hashing.
MINING_BY_STATE = {
    "mining": True,
    "auto-tuning": True,
    "initializing": True,
    "starting": True,
    "restarting": True,
    "stopped": False,
    "shutting-down": False,
    "failure": False,
}
# Board states (``chains[].status.state``) that are faults, and how to say them.
BOARD_PROBLEMS = {
    "failure": "has failed",
    "disconnected": "is not connected",
}
FAN_LOST = "lost"

_UPTIME_DAYS = re.compile(r"(\d+)\s*days?")
_UPTIME_CLOCK = re.compile(r"(\d+):(\d{2})")
_UPTIME_MINUTES = re.compile(r"(\d+)\s*min")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _obj(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"Vnish answered {what} with no JSON object")
    return reply


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


# --- parsers --------------------------------------------------------------------------------


def parse_uptime(text: Any) -> int | None:
    """The system uptime as ``info`` gives it ("10 days, 18:00", "3:04", "5 min") → seconds."""
    shown = as_str(text)
    if shown is None:
        return None
    days = _UPTIME_DAYS.search(shown)
    clock = _UPTIME_CLOCK.search(shown)
    minutes = _UPTIME_MINUTES.search(shown)
    if not (days or clock or minutes):
        return None
    seconds = int(days.group(1)) * 86400 if days else 0
    if clock:
        seconds += int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
    elif minutes:
        seconds += int(minutes.group(1)) * 60
    return seconds


def model_from_type(miner_type: Any) -> str | None:
    """``Antminer S19j Pro (Vnish 1.2.6)`` → ``Antminer S19j Pro``."""
    text = as_str(miner_type)
    return as_str(text.split(" (", 1)[0]) if text else None


def firmware_from_type(miner_type: Any) -> str | None:
    """``Antminer S19j Pro (Vnish 1.2.6)`` → ``1.2.6``."""
    match = re.search(r"\((?:vnish|anthillos)\s+([^)\s]+)\)", as_str(miner_type) or "", re.I)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Info:
    """``info``: who the miner is, and how long its system has been up."""

    model: str | None = None
    firmware_version: str | None = None
    mac: str | None = None
    hostname: str | None = None
    serial: str | None = None
    uptime: int | None = None
    hashrate_unit: str = "GH"


def parse_info(reply: Any) -> Info:
    info = _obj(reply, "info")
    system = info.get("system")
    network = _get(system, "network_status")
    mac = as_str(_get(network, "mac"))
    unit = (as_str(info.get("hr_measure")) or "GH/s").upper().removesuffix("/S")
    return Info(
        model=as_str(info.get("miner")) or as_str(_get(system, "miner_name")),
        firmware_version=as_str(info.get("fw_version")),
        mac=mac.upper() if mac else None,
        hostname=as_str(_get(network, "hostname")),
        serial=as_str(info.get("serial")),
        uptime=parse_uptime(_get(system, "uptime")),
        hashrate_unit=unit if unit in ("H", "KH", "MH", "GH", "TH", "PH") else "GH",
    )


@dataclass(frozen=True, slots=True)
class Preset:
    """One autotune preset: its name is its wattage ("3100"), or ``disabled``."""

    name: str
    tuned: bool

    @property
    def watts(self) -> int | None:
        return int(self.name) if self.name.isdigit() else None


def parse_presets(reply: Any) -> tuple[Preset, ...]:
    """``autotune/presets``: a list (as documented) or ``{"presets": [...]}`` (older builds)."""
    listed = reply.get("presets") if isinstance(reply, Mapping) else reply
    if not isinstance(listed, list):
        raise MinerProtocolError("Vnish answered autotune/presets with no list of presets")
    presets: dict[str, Preset] = {}
    for item in _list(listed):
        name = as_str(item.get("name"))
        if name and name != MANUAL_PRESET:
            presets[name] = Preset(name, as_str(item.get("status")) == "tuned")
    return tuple(presets.values())


def parse_current_preset(reply: Any) -> str | None:
    """``perf-summary`` → the name of the preset in use (``disabled`` when tuned by hand)."""
    return as_str(_get(_obj(reply, "perf-summary"), "current_preset", "name"))


def parse_find_miner(reply: Any) -> bool | None:
    """``status`` (or a ``find-miner`` reply) → whether the locate LED is on."""
    if not isinstance(reply, Mapping):
        return None
    return as_bool(reply.get("find_miner", reply.get("on")))


def capabilities_for(presets: Sequence[Preset]) -> Capabilities:
    tuned = [preset for preset in presets if preset.tuned and preset.watts is not None]
    watts = [preset.watts for preset in tuned if preset.watts is not None]
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=NumberRange(min(watts), max(watts), 1.0) if watts else None,
        power_modes=tuple(preset.name for preset in tuned),
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """``summary.miner``: everything that changes from poll to poll."""

    miner_type: str | None = None
    hashrate: float | None = None
    expected_hashrate: float | None = None
    power: float | None = None
    efficiency: float | None = None
    is_mining: bool | None = None
    best_share: float | None = None
    frequency: float | None = None
    core_voltage: float | None = None
    fan_auto: bool | None = None
    boards: tuple[Board, ...] = ()
    fans: tuple[Fan, ...] = ()
    pools: tuple[Pool, ...] = ()
    errors: tuple[ReportedError, ...] = ()


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _board(chain: Mapping[str, Any], position: int, unit: str, chips: int | None) -> Board:
    index = as_int(chain.get("id"))
    statuses = chain.get("chip_statuses")
    counts = statuses.values() if isinstance(statuses, Mapping) else ()
    found = [count for count in map(as_int, counts) if count is not None]
    return Board(
        index=position if index is None else index,
        hashrate=hashrate_to_th(chain.get("hashrate_rt"), unit),
        expected_hashrate=positive(hashrate_to_th(chain.get("hashrate_ideal"), unit)),
        chip_temp=positive(as_float(_get(chain, "chip_temp", "max"))),
        board_temp=positive(as_float(_get(chain, "pcb_temp", "max"))),
        chips=sum(found) if found else None,
        expected_chips=chips,
    )


def _pool(item: Mapping[str, Any], position: int) -> Pool | None:
    url = as_str(item.get("url"))
    if not url or as_str(item.get("pool_type")) == "DevFee":
        return None
    status = as_str(item.get("status"))
    index = as_int(item.get("id"))
    alive = {"active": True, "working": True, "rejecting": True, "offline": False}.get(status or "")
    return Pool(
        index=position if index is None else index,
        url=url,
        user=as_str(item.get("user")),
        active=status == "active" if status else None,
        alive=alive,
        accepted=as_int(item.get("accepted")),
        rejected=as_int(item.get("rejected")),
    )


def _errors(
    miner: Mapping[str, Any], chains: list[Mapping[str, Any]], fans: list[Mapping[str, Any]]
) -> tuple[ReportedError, ...]:
    errors: list[ReportedError] = []
    status = miner.get("miner_status")
    if as_str(_get(status, "miner_state")) == "failure":
        code = as_int(_get(status, "failure_code"))
        text = as_str(_get(status, "description")) or "The mining program stopped on a failure"
        errors.append(ReportedError("failure" if code is None else str(code), text))
    for position, chain in enumerate(chains):
        state = as_str(_get(chain, "status", "state"))
        if state in BOARD_PROBLEMS:
            number = as_int(chain.get("id"))
            detail = as_str(_get(chain, "status", "description"))
            board = position if number is None else number
            message = f"Hashboard {board} {BOARD_PROBLEMS[state]}"
            errors.append(
                ReportedError(f"board_{state}", f"{message}: {detail}" if detail else message)
            )
    for position, fan in enumerate(fans):
        if as_str(fan.get("status")) == FAN_LOST:
            number = as_int(fan.get("id"))
            errors.append(
                ReportedError(
                    "fan_lost",
                    f"Fan {position if number is None else number} gives no speed signal",
                )
            )
    return tuple(errors)


def parse_summary(reply: Any, unit: str = "GH", model: str | None = None) -> Summary:
    miner = _obj(_get(_obj(reply, "summary"), "miner"), "summary.miner")
    row = find_model(model or model_from_type(miner.get("miner_type")))
    chains = _list(miner.get("chains"))
    cooling = miner.get("cooling")
    fans = _list(_get(cooling, "fans"))
    duty = as_float(_get(cooling, "fan_duty"))
    mode = as_str(_get(cooling, "settings", "mode", "name"))
    clocks = [value for chain in chains if (value := positive(as_float(chain.get("frequency"))))]
    volts = [value for chain in chains if (value := positive(as_float(chain.get("voltage"))))]
    pools = [_pool(item, position) for position, item in enumerate(_list(miner.get("pools")))]
    state = as_str(_get(miner, "miner_status", "miner_state"))
    return Summary(
        miner_type=as_str(miner.get("miner_type")),
        hashrate=hashrate_to_th(miner.get("hr_realtime"), unit),
        expected_hashrate=positive(hashrate_to_th(miner.get("hr_nominal"), unit)),
        power=positive(as_float(miner.get("power_consumption"))),
        efficiency=positive(as_float(miner.get("power_efficiency"))),
        is_mining=MINING_BY_STATE.get(state or ""),
        best_share=positive(as_float(miner.get("best_share"))),
        frequency=_mean(clocks),
        core_voltage=round(sum(volts) / len(volts) / 1000, 3) if volts else None,
        fan_auto=mode == "auto" if mode else None,
        boards=tuple(
            _board(chain, position, unit, row.chips_per_board if row else None)
            for position, chain in enumerate(chains)
        ),
        fans=tuple(
            Fan(
                index=position if (number := as_int(fan.get("id"))) is None else number,
                rpm=as_int(fan.get("rpm")),
                percent=duty,
            )
            for position, fan in enumerate(fans)
        ),
        pools=tuple(pool for pool in pools if pool is not None),
        errors=_errors(miner, chains, fans),
    )


def build_miner_data(
    info: Info,
    summary: Summary,
    *,
    preset: str | None,
    fault_light: bool | None,
    capabilities: Capabilities,
) -> MinerData:
    boards = summary.boards
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    accepted = [pool.accepted for pool in summary.pools if pool.accepted is not None]
    rejected = [pool.rejected for pool in summary.pools if pool.rejected is not None]
    active = [pool.index for pool in summary.pools if pool.active]
    watts = Preset(preset, tuned=True).watts if preset else None
    return MinerData(
        family=Family.VNISH,
        model=info.model or model_from_type(summary.miner_type),
        firmware_version=info.firmware_version or firmware_from_type(summary.miner_type),
        mac=info.mac,
        serial=info.serial,
        hostname=info.hostname,
        hashrate=summary.hashrate,
        expected_hashrate=summary.expected_hashrate,
        power=summary.power,
        power_limit=float(watts) if watts is not None else None,
        efficiency=summary.efficiency or efficiency(summary.power, summary.hashrate),
        chip_temp_max=max(chip_temps) if chip_temps else None,
        board_temp_max=max(board_temps) if board_temps else None,
        frequency=summary.frequency,
        core_voltage=summary.core_voltage,
        fan_auto=summary.fan_auto,
        uptime=info.uptime,
        is_mining=summary.is_mining,
        fault_light=fault_light,
        power_mode=preset,
        shares_accepted=sum(accepted) if accepted else None,
        shares_rejected=sum(rejected) if rejected else None,
        best_difficulty=summary.best_share,
        using_fallback_pool=active[0] > 0 if active else None,
        fans=summary.fans,
        boards=boards,
        pools=summary.pools,
        errors=summary.errors,
        capabilities=capabilities,
    )


# --- identification -------------------------------------------------------------------------


def page_matches(body: str) -> bool:
    return "anthillos" in body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """Vnish: the AnthillOS page, or Vnish in the RPC ``version``; ``info`` (no login) names it."""
    by_page = not probe.web_down and page_matches(probe.page.body)
    info, by_info = Info(), False
    if not probe.web_down:
        # ``info`` needs no login; its ``fw_name`` says Vnish even behind a bare page.
        with contextlib.suppress(MinerError):
            reply = await probe.http.get_json(API + "info")
            info = parse_info(reply)
            by_info = any(mark in json.dumps(reply).upper() for mark in MARKERS)
    # Vnish 1.2.6 and later leave the RPC ``version`` unanswered; older builds name themselves.
    version = None if by_page or by_info else await probe.rpc_version
    if not (by_page or by_info) and not (
        version is not None and any(mark in json.dumps(version).upper() for mark in MARKERS)
    ):
        return None
    if version is not None and (info.model is None or info.firmware_version is None):
        rpc_version = _get(version, "VERSION")
        first = rpc_version[0] if isinstance(rpc_version, list) and rpc_version else {}
        miner_type = _get(first, "Type")
        info = Info(
            model=info.model or model_from_type(miner_type),
            firmware_version=info.firmware_version or firmware_from_type(miner_type),
            mac=info.mac,
        )
    return Identity(
        host=probe.host,
        port=probe.port,
        family=Family.VNISH,
        model=info.model,
        firmware_version=info.firmware_version,
        mac=info.mac,
        api_flavour=REST,
    )


# --- the miner ------------------------------------------------------------------------------


class VnishMiner(Miner):
    """An Antminer running Vnish (AnthillOS)."""

    family: ClassVar[Family] = Family.VNISH

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()
        self._presets: tuple[Preset, ...] | None = None
        self._last_uptime: int | None = None

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._presets or ())

    # --- session ------------------------------------------------------------------------

    async def _unlock(self) -> None:
        password = self.credentials.password
        path = API + "unlock"
        status, _, reply = await self.http.request(
            "POST",
            path,
            json_body={"pw": DEFAULT_PASSWORD if password is None else password},
            allow_redirects=False,
        )
        if status == 403:
            raise MinerAuthError(f"{self.host} refused the password; check the Vnish password")
        if status == 429:
            wait = as_int(_get(_json_or_none(reply), "unlock_timeout"))
            raise MinerAuthError(
                f"{self.host} locks its login after too many wrong passwords"
                + (f"; try again in {wait} s" if wait else "")
                + " with the right Vnish password"
            )
        self.http.raise_for_status(status, path, reply, write=True)
        token = as_str(_get(decode_json(reply, f"{self.host}{path}"), "token"))
        if not token:
            raise MinerProtocolError(f"{self.host} answered its unlock without a token")
        self._token = token

    async def _fresh_token(self, stale: str | None) -> str:
        async with self._login_lock:
            if self._token is None or self._token == stale:
                await self._unlock()
            assert self._token is not None
            return self._token

    async def _authed(self, method: str, route: str, body: Any = None) -> Any:
        """One request with the token; a 401 costs one new unlock and the request again."""
        path = API + route
        reply = b""
        status = 401
        stale: str | None = None
        for _attempt in range(2):
            token = await self._fresh_token(stale)
            status, _, reply = await self.http.request(
                method,
                path,
                json_body=body,
                headers={"Authorization": f"Bearer {token}"},
                allow_redirects=False,
            )
            if status != 401:
                break
            stale = token
        if status == 500 and (refusal := as_str(_get(_json_or_none(reply), "err"))):
            raise MinerCommandError(f"{self.host} refused {route}: {refusal}", code=status)
        self.http.raise_for_status(status, path, reply, write=method != "GET")
        return _json_or_none(reply) if reply.strip() else None

    # --- reading ------------------------------------------------------------------------

    async def _connect(self) -> None:
        """Unlock and read the presets; called with the lock held."""
        self._token = None
        self._presets = parse_presets(await self._authed("GET", "autotune/presets"))

    async def _open_get(self, route: str) -> Any:
        return await self.http.get_json(API + route)

    async def read(self) -> MinerData:
        async with self.lock:
            if self._presets is None:
                await self._connect()
            info_reply, summary_reply, status, perf = await asyncio.gather(
                *(self._open_get(route) for route in POLL_ROUTES)
            )
            info = parse_info(info_reply)
            last, self._last_uptime = self._last_uptime, info.uptime
            if info.uptime is not None and last is not None and info.uptime < last:
                await self._connect()  # it rebooted: new token, and the presets may differ
            summary = parse_summary(summary_reply, info.hashrate_unit, info.model)
            preset = parse_current_preset(perf)
            if preset is not None and preset != MANUAL_PRESET and not self._knows(preset):
                await self._connect()  # a preset we have not seen: the list changed
            capabilities = self.capabilities
        return build_miner_data(
            info,
            summary,
            preset=preset,
            fault_light=parse_find_miner(status),
            capabilities=capabilities,
        )

    def _knows(self, name: str) -> bool:
        return any(preset.name == name for preset in self._presets or ())

    # --- writing ------------------------------------------------------------------------

    async def _post(self, route: str, body: Any = None) -> Any:
        return await self._authed("POST", route, body)

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            if not enabled:
                await self._post("mining/pause")
                return
            try:
                await self._post("mining/resume")
            except MinerCommandError:
                # Stopped rather than paused (from the miner's own page): start it instead.
                await self._post("mining/start")

    async def restart_mining(self) -> None:
        async with self.lock:
            await self._post("mining/restart")

    async def reboot(self) -> None:
        async with self.lock:
            await self._post("system/reboot")
            self._token = None  # a reboot forgets every token

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            if parse_find_miner(await self._open_get("status")) is on:
                return
            # The firmware toggles the LED on every call; the reply says where it ended up.
            reply = await self._post("find-miner")
            if parse_find_miner(reply) is not on:
                raise MinerCommandError(
                    f"{self.host} did not turn its locate LED {'on' if on else 'off'}"
                )

    async def _set_preset(self, preset: Preset) -> None:
        settings = await self._authed("GET", "settings")
        overclock = _get(settings, "miner", "overclock")
        overclock = {**overclock} if isinstance(overclock, Mapping) else {}
        overclock["preset"] = preset.name
        await self._write_section(settings, "overclock", overclock)
        current = parse_current_preset(await self._open_get("perf-summary"))
        if current != preset.name:
            raise MinerCommandError(
                f"{self.host} kept the preset {current or 'it had'} instead of {preset.name}"
            )

    async def _write_section(self, settings: Any, key: str, value: Any) -> None:
        section = _get(settings, "miner")
        if not isinstance(section, Mapping):
            raise MinerProtocolError(f"{self.host} answered settings without a miner section")
        result = await self._post("settings", {"miner": {**section, key: value}})
        if as_bool(_get(result, "restart_required")):
            await self._post("mining/restart")  # the firmware applies the change on restart

    def _tuned(self) -> list[Preset]:
        return [preset for preset in self._presets or () if preset.tuned]

    async def set_power_mode(self, mode: str) -> None:
        async with self.lock:
            if self._presets is None:
                await self._connect()
            preset = next((item for item in self._presets or () if item.name == mode), None)
            if preset is None or not preset.tuned:
                offered = ", ".join(item.name for item in self._tuned()) or "none"
                reason = "is not tuned yet" if preset else "does not exist"
                raise MinerCommandError(
                    f"The Vnish preset {mode!r} {reason} on {self.host}; tuned presets: {offered}"
                )
            await self._set_preset(preset)

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            if self._presets is None:
                await self._connect()
            fitting = [
                preset
                for preset in self._tuned()
                if preset.watts is not None and preset.watts <= watts
            ]
            if not fitting:
                lowest = min((p.watts for p in self._tuned() if p.watts is not None), default=None)
                raise MinerCommandError(
                    f"{self.host} has no tuned Vnish preset at or below {watts:g} W"
                    + (f"; the lowest is {lowest} W" if lowest is not None else "")
                )
            await self._set_preset(max(fitting, key=lambda preset: preset.watts or 0))

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not 1 <= len(pools) <= POOL_SLOTS:
            raise MinerCommandError(f"Vnish takes 1 to {POOL_SLOTS} pools, not {len(pools)}")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        slots = [{"url": pool.url, "user": pool.user, "pass": pool.password} for pool in pools]
        slots += [{"url": "", "user": "", "pass": ""}] * (POOL_SLOTS - len(slots))
        async with self.lock:
            settings = await self._authed("GET", "settings")
            await self._write_section(settings, "pools", slots)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
