"""AvalonMiner (Canaan): Canaan's CGMiner 4.11.1 RPC on TCP 4028.

Two firmware generations: the home line (Avalon Nano 3, Nano 3S, Mini 3, Q) and the A-series
(A1566). Both describe themselves in one ``MM ID0`` string of ``Key[value]`` pairs inside
``estats`` (the home line's ``stats``/``litestats`` carry a shorter ``MM ID0:Summary``, read
too when ``MM ID0`` is missing).

Requests:

- at connect, once (again after the miner restarted, seen as the uptime going back): RPC
  ``version`` (PROD/MODEL, firmware, MAC, hardware type).
- each poll: 1 request — RPC ``summary+estats+pools`` (hashrate, uptime, shares; the
  ``MM ID0`` string with temperatures, fans, wall power, power target ``MPO``, LED, work
  mode/level, ``SoftOFF``; the pools). A firmware that refuses joined commands gets them one
  by one (3) once it has refused them a first time.

Controls through ``ascset`` as Canaan's own app uses it: mining off/on with
``softoff``/``softon`` ``1:<unix time>`` (now), the fault light with ``led,1-1``/``1-0``, power
modes as the model's ``workmode``/``worklevel`` values, reboot with ``ascset 0,reboot,0``,
restart mining with ``restart``. Pools: ``setpool`` ``user,password,slot,url,worker,password``
per slot (the web login authorises it: the family default root/root or the given one; a wrong
one is ``MinerAuthError``). Reads need no login.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import math
import re
import time
from typing import Any

from ..errors import MinerAuthError, MinerCommandError, MinerProtocolError
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    PoolConfig,
    ReportedError,
    efficiency,
)
from ..probe import Probe, WebPage
from ..rpc_miner import RpcMiner
from ..units import as_float, as_int, as_str, positive
from .antminer import parse_pools

DEFAULT_USERNAME = "root"
DEFAULT_PASSWORD = "root"  # noqa: S105 (the factory default of the web login)
HOME, CLASSIC = "home", "classic"
POOL_SLOTS = 3
CODE_POOL_SET_ERROR = 132

# A power mode: the ascset values it sets, (option, value) pairs, in order.
type ModeSettings = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class AvalonModel:
    """One row of the model table."""

    name: str
    model: str  # ``version`` MODEL
    line: str  # HOME or CLASSIC
    boards: int
    chips_per_board: int
    fans: int
    power_modes: tuple[tuple[str, ModeSettings], ...]


def _levels(option: str, *names: str) -> tuple[tuple[str, ModeSettings], ...]:
    return tuple((name, ((option, number),)) for number, name in enumerate(names))


MODELS: dict[str, AvalonModel] = {
    row.model.lower(): row
    for row in (
        AvalonModel(
            "Avalon Nano 3", "Nano3", HOME, 1, 10, 1, _levels("worklevel", "low", "mid", "high")
        ),
        AvalonModel(
            "Avalon Nano 3S", "Nano3s", HOME, 1, 12, 1, _levels("workmode", "low", "mid", "high")
        ),
        AvalonModel(
            "Avalon Mini 3",
            "Mini3",
            HOME,
            1,
            66,
            1,
            (
                ("heating", (("workmode", 0),)),
                ("mining", (("workmode", 1), ("worklevel", 0))),
                ("mining eco", (("workmode", 1), ("worklevel", -1))),
                ("night", (("workmode", 2),)),
            ),
        ),
        AvalonModel(
            "Avalon Q", "Q", HOME, 1, 160, 4, _levels("workmode", "eco", "standard", "super")
        ),
        AvalonModel(
            "Avalon A1566", "15-194", CLASSIC, 3, 160, 2, _levels("workmode", "normal", "high")
        ),
    )
}


def find_model(model: str | None) -> AvalonModel | None:
    return MODELS.get(model.strip().lower()) if model else None


# --- parsers ------------------------------------------------------------------------------

_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_ ]*?)\[([^\[\]]*)\]")


def parse_mm(text: Any) -> dict[str, str]:
    """An ``MM ID0`` string → {key: raw value}; ``'STATS':{…}`` wrappers are ignored."""
    if not isinstance(text, str):
        return {}
    return {match.group(1).strip(): match.group(2).strip() for match in _PAIR.finditer(text)}


def _number(text: str | None) -> float | None:
    """A number of the string (``"72%"``, ``"inf"`` and ``"nan"`` are unknown)."""
    if text is None:
        return None
    value = as_float(text.strip().rstrip("%"))
    return value if value is not None and math.isfinite(value) else None


def _numbers(text: str | None) -> list[float | None]:
    return [_number(part) for part in (text or "").split()]


def mm_of(reply: Mapping[str, Any]) -> dict[str, str]:
    """The ``MM ID0`` pairs of an ``estats``/``stats``/``litestats`` reply."""
    items = reply.get("STATS")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        for key in ("MM ID0", "MM ID0:Summary"):
            if isinstance(item.get(key), str):
                return parse_mm(item[key])
    return {}


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """The static facts of RPC ``version``."""

    prod: str | None = None
    model: str | None = None
    firmware: str | None = None
    mac: str | None = None
    hwtype: str | None = None


def _first(reply: Mapping[str, Any] | None, section: str) -> Mapping[str, Any]:
    items = (reply or {}).get(section)
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        return items[0]
    return {}


def _mac(value: Any) -> str | None:
    text = (as_str(value) or "").replace(":", "").replace("-", "").upper()
    if len(text) != 12 or not re.fullmatch(r"[0-9A-F]{12}", text):
        return None
    return ":".join(text[index : index + 2] for index in range(0, 12, 2))


def parse_version(reply: Mapping[str, Any]) -> VersionInfo:
    version = _first(reply, "VERSION")
    firmware = next(
        (
            text
            for key in ("LVERSION", "VERSION", "CGVERSION")
            if (text := as_str(version.get(key)))
        ),
        None,
    )
    return VersionInfo(
        prod=as_str(version.get("PROD")),
        model=as_str(version.get("MODEL")),
        firmware=firmware,
        mac=_mac(version.get("MAC")),
        hwtype=as_str(version.get("HWTYPE")),
    )


def is_avalon(version: VersionInfo) -> bool:
    return "AVALON" in (version.prod or "").upper()


def model_name(version: VersionInfo) -> str | None:
    """The table's name, else what the miner calls itself (its PROD)."""
    row = find_model(version.model)
    return row.name if row else version.prod or version.model


def current_mode(row: AvalonModel | None, mm: Mapping[str, str]) -> str | None:
    """The first power mode whose every setting the miner reports."""
    if row is None:
        return None
    values = {"workmode": as_int(mm.get("WORKMODE")), "worklevel": as_int(mm.get("WORKLEVEL"))}
    for name, settings in row.power_modes:
        if all(values[option] == value for option, value in settings):
            return name
    return None


# The bits of the MM error words (``ECMM`` for the controller, ``ECHU`` one per hash board,
# 32 bits each), as Canaan's management tools name them. Bit 0 only says the unit is idle
# (soft-off), which is no error.
IDLE_BIT = 1
WORD_MASK = 0xFFFFFFFF
ERROR_BITS: dict[int, str] = {
    1: "CRC check of the controller failed",
    2: "no fan detected",
    3: "locked",
    4: "API FIFO overflow",
    5: "ring buffer overflow",
    6: "too hot",
    7: "was too hot before",
    8: "loop test failed",
    9: "core test failed",
    10: "no power management unit found",
    11: "power good signal failed",
    12: "temperature sensor of the power unit failed",
    13: "input voltage out of range",
    14: "core voltage out of range",
    15: "CRC check of the power unit failed",
    16: "invalid PLL setting",
}


def flag_names(code: int) -> str:
    """The set bits of an error word, named; bits without a name by their number."""
    names = [
        ERROR_BITS.get(bit, f"error bit {bit}")
        for bit in range(code.bit_length())
        if code >> bit & 1
    ]
    return ", ".join(names)


def _flag_error(code_prefix: str, subject: str, value: float | None) -> ReportedError | None:
    word = int(value) & WORD_MASK if value is not None and value > 0 else 0
    if not word & ~IDLE_BIT:
        return None
    return ReportedError(
        f"{code_prefix}:{word}", f"{subject}: {flag_names(word & ~IDLE_BIT)} (code {word})"
    )


def parse_errors(mm: Mapping[str, str]) -> tuple[ReportedError, ...]:
    """The error flags of ``MM ID0``: ``ECMM`` (controller), ``ECHU`` (per hash board),
    ``FanErr`` and the power supply's status (``PS[0]``)."""
    found = [_flag_error("ECMM", "Controller", _number(mm.get("ECMM")))]
    found += [
        _flag_error(f"ECHU{board}", f"Hash board {board}", value)
        for board, value in enumerate(_numbers(mm.get("ECHU")))
    ]
    errors = [error for error in found if error is not None]
    fan_error = as_int(_number(mm.get("FanErr")))
    if fan_error:
        errors.append(ReportedError(f"FanErr:{fan_error}", f"Fan error {fan_error}"))
    supply = _numbers(mm.get("PS"))
    if supply and supply[0]:
        code = int(supply[0])
        errors.append(ReportedError(f"PS:{code}", f"The power supply reports status {code}"))
    return tuple(errors)


def _is_mining(mm: Mapping[str, str], hashrate: float | None) -> bool | None:
    soft_off = as_int(_number(mm.get("SoftOFF")))
    if soft_off is not None:
        return soft_off == 0
    status = mm.get("SYSTEMSTATU", "")
    if "In Idle" in status:
        return False
    if "In Work" in status:
        return True
    return None if hashrate is None else hashrate > 0


def _fans(mm: Mapping[str, str], row: AvalonModel | None) -> tuple[Fan, ...]:
    numbers = sorted(int(key[3:]) for key in mm if re.fullmatch(r"Fan\d+", key))
    if row is not None:
        numbers = numbers[: row.fans]
    percent = _number(mm.get("FanR"))
    return tuple(
        Fan(index, rpm=as_int(_number(mm.get(f"Fan{number}"))), percent=percent)
        for index, number in enumerate(numbers)
    )


def _boards(mm: Mapping[str, str], row: AvalonModel | None) -> tuple[Board, ...]:
    rates = _numbers(mm.get("MGHS"))
    temps = _numbers(mm.get("MTmax"))
    return tuple(
        Board(
            index=index,
            hashrate=rate / 1000 if rate is not None else None,
            chip_temp=positive(temps[index]) if index < len(temps) else None,
            expected_chips=row.chips_per_board if row else None,
        )
        for index, rate in enumerate(rates)
    )


def capabilities_for(row: AvalonModel | None) -> Capabilities:
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_modes=tuple(name for name, _ in row.power_modes) if row else (),
    )


def build_miner_data(
    version: VersionInfo,
    summary_reply: Mapping[str, Any],
    stats_reply: Mapping[str, Any],
    pools_reply: Mapping[str, Any],
) -> MinerData:
    """One poll's replies → ``MinerData``."""
    summary = _first(summary_reply, "SUMMARY")
    if not summary:
        raise MinerProtocolError("The RPC summary reply has no SUMMARY (cut short?)")
    mm = mm_of(stats_reply)
    row = find_model(version.model)
    mhs = _number(as_str(summary.get("MHS 5s")))
    hashrate = mhs / 1e6 if mhs is not None else None
    if hashrate is None and (ghs := _number(mm.get("GHSspd"))) is not None:
        hashrate = ghs / 1000
    expected = _number(mm.get("GHSmm"))
    power = _number(mm.get("WALLPOWER"))
    if power is None:
        supply = _numbers(mm.get("PS"))
        power = supply[6] if len(supply) > 6 else None
    led = as_int(_number(mm.get("Led")))
    return MinerData(
        family=Family.AVALON,
        model=model_name(version),
        firmware_version=version.firmware,
        mac=version.mac,
        hashrate=hashrate,
        expected_hashrate=expected / 1000 if expected is not None else None,
        power=power,
        power_limit=positive(_number(mm.get("MPO"))),
        efficiency=efficiency(power, hashrate),
        chip_temp_max=positive(_number(mm.get("TMax"))),
        chip_temp_avg=positive(_number(mm.get("TAvg"))),
        inlet_temp=positive(_number(mm.get("ITemp") or mm.get("Temp"))),
        outlet_temp=positive(_number(mm.get("HBOTemp"))),
        frequency=positive(_number(mm.get("Freq"))),
        uptime=as_int(summary.get("Elapsed")),
        is_mining=_is_mining(mm, hashrate),
        fault_light=None if led is None else led != 0,
        power_mode=current_mode(row, mm),
        shares_accepted=as_int(summary.get("Accepted")),
        shares_rejected=as_int(summary.get("Rejected")),
        best_session_difficulty=positive(as_float(summary.get("Best Share"))),
        asic_model=mm.get("Core") or None,
        board_version=version.hwtype,
        fans=_fans(mm, row),
        boards=_boards(mm, row),
        pools=parse_pools(pools_reply),
        errors=parse_errors(mm),
        capabilities=capabilities_for(row),
    )


# --- identification -------------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    """The web UI's login page is titled with the model ("Avalon …")."""
    return "avalon" in page.body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """An Avalon names itself in the RPC ``version`` PROD."""
    reply = await probe.rpc_version
    if reply is None:
        return None
    version = parse_version(reply)
    if not is_avalon(version):
        return None
    row = find_model(version.model)
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.AVALON,
        model=model_name(version),
        firmware_version=version.firmware,
        mac=version.mac,
        api_flavour=row.line if row else HOME,
    )


# --- the miner ----------------------------------------------------------------------------


class AvalonMiner(RpcMiner):
    """An AvalonMiner on Canaan's firmware, through its RPC."""

    family = Family.AVALON
    default_port = 80

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._version: VersionInfo | None = None
        self._last_uptime: int | None = None

    @property
    def capabilities(self) -> Capabilities:
        if self._version is None:
            return Capabilities()
        return capabilities_for(find_model(self._version.model))

    async def _connect(self) -> VersionInfo:
        version = parse_version(await self.rpc.command("version"))
        if not is_avalon(version):
            raise MinerProtocolError(f"{self.host} does not answer as an AvalonMiner")
        self._version = version
        return version

    async def _ensure_connected(self) -> VersionInfo:
        return self._version or await self._connect()

    async def read(self) -> MinerData:
        async with self.lock:
            version = await self._ensure_connected()
            replies = await self.rpc.commands("summary", "estats", "pools")
            uptime = as_int(_first(replies["summary"], "SUMMARY").get("Elapsed"))
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                version = await self._connect()  # restarted: the firmware may be a new one
            self._last_uptime = uptime
        return build_miner_data(version, replies["summary"], replies["estats"], replies["pools"])

    async def _ascset(self, parameter: str) -> str:
        reply = await self.rpc.command("ascset", f"0,{parameter}")
        status = _first(reply, "STATUS")
        return as_str(status.get("Msg")) or ""

    async def set_mining(self, enabled: bool) -> None:
        """``softon``/``softoff`` at the present time: the firmware acts at that time."""
        option = "softon" if enabled else "softoff"
        async with self.lock:
            await self._ensure_connected()
            message = await self._ascset(f"{option},1:{int(time.time())}")
            if "success" not in message.lower():
                raise MinerCommandError(f"{self.host} did not take {option}: {message[:100]}")

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            await self._ascset(f"led,1-{1 if on else 0}")

    async def set_power_mode(self, mode: str) -> None:
        async with self.lock:
            row = find_model((await self._ensure_connected()).model)
            modes = dict(row.power_modes) if row else {}
            if mode not in modes:
                known = ", ".join(modes) or "none known for this model"
                raise MinerCommandError(f"Unknown power mode {mode!r}; this miner has {known}")
            for option, value in modes[mode]:
                await self._ascset(f"{option},set,{value}")

    async def reboot(self) -> None:
        async with self.lock:
            await self._ascset("reboot,0")

    async def restart_mining(self) -> None:
        async with self.lock:
            await self.rpc.command("restart")

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("AvalonMiners take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        username = self.credentials.username or DEFAULT_USERNAME
        password = self.credentials.password
        password = DEFAULT_PASSWORD if password is None else password
        slots = [(pool.url.strip(), pool.user, pool.password) for pool in pools]
        slots += [("", "", "")] * (POOL_SLOTS - len(slots))
        if any("," in field for slot in slots for field in slot) or "," in username + password:
            raise MinerCommandError("The firmware's pool command cannot take a comma in a field")
        async with self.lock:
            for index, (url, user, worker_password) in enumerate(slots):
                parameter = f"{username},{password},{index},{url},{user},{worker_password}"
                try:
                    await self.rpc.command("setpool", parameter)
                except MinerCommandError as err:
                    # The message carries no parameter; the password never reaches it.
                    if err.code == CODE_POOL_SET_ERROR and "password" in str(err).lower():
                        raise MinerAuthError(
                            f"{self.host} refused the web login for its pool settings"
                        ) from None
                    raise
