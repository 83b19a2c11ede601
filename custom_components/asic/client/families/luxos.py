"""LuxOS (LUXminer) on Antminer hardware: the CGMiner-style RPC on TCP 4028 is its whole API.

Requests:

- at connect, once (again after the miner rebooted, seen as the uptime going back): one joined
  RPC request ``version+profiles`` (the LUXminer version, and the profile table that gives the
  power modes and the power-limit range).
- each poll: 1 request — ``summary+pools+stats+devs+config+power+fans+events`` (hashrate,
  shares, pools, boards, per-board serials, the active profile, curtailment, the red LED, MAC,
  hostname, serial, watts, fans, and the firmware's own event list as errors). A firmware that
  refuses joined commands gets them one by one (8), once it has refused them a first time.

Controls: commands that change the miner need a session. ``logon`` creates the one session
there can be (``SESSION[0].SessionID``); while another is live it answers Code 402 "Another
session is active", and the live id is then taken from ``session``. The id goes first in the
parameter (``curtail`` ``<sid>,sleep``); an expired id (Code 403 "Invalid session id") is
renewed once and the command sent again. The RPC has no password, so no login can be wrong.

- mining off/on: ``curtail sleep|wakeup``; reboot: ``rebootdevice``; restart mining:
  ``resetminer``; fault light: ``ledset red,blink|off``;
- power modes are the profiles: ``profileset <name>``, with ATM turned off first
  (``atmset enabled=false``), since the firmware refuses profile changes while ATM is on;
- power limit in W: the highest profile whose watts are at or below the target;
- pools: ``addpool`` each new pool, ``switchpool`` to the first, ``removepool`` the old ones
  (highest index first; the active one cannot be removed), then ``switchpool 0`` (the first new
  pool, renumbered); nothing else of the configuration is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MinerCommandError, MinerProtocolError
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    NumberRange,
    PoolConfig,
    ReportedError,
    efficiency,
)
from ..probe import Probe
from ..rpc_miner import RpcMiner
from ..transport.rpc import RpcTransport
from ..units import as_float, as_int, as_str, positive
from .antminer import parse_pools, parse_stats, parse_summary

POLL_COMMANDS = ("summary", "pools", "stats", "devs", "config", "power", "fans", "events")
STATIC_COMMANDS = ("version", "profiles")
POOL_SLOTS = 3
CODE_SESSION_BUSY = 402  # "Another session is active" (luxos-tooling)
CODE_SESSION_INVALID = 403  # "Invalid session id"
CODE_ATM_BLOCKS_PROFILE = 341
LED_ON_STATES = frozenset({"blink", "on"})


@dataclass(frozen=True, slots=True)
class LuxosModel:
    """One row of the model table: the Antminer hardware LuxOS runs on."""

    name: str
    boards: int
    chips_per_board: int
    fans: int


MODELS: dict[str, LuxosModel] = {
    row.name.lower(): row
    for row in (
        LuxosModel("Antminer S19k Pro", 3, 77, 4),
        LuxosModel("Antminer S19j Pro", 3, 126, 4),
        LuxosModel("Antminer S19 XP", 3, 110, 4),
        LuxosModel("Antminer S21", 3, 108, 4),
        LuxosModel("Antminer S21 Pro", 3, 65, 4),
    )
}


def find_model(name: str | None) -> LuxosModel | None:
    return MODELS.get((name or "").strip().lower())


# --- parsers ------------------------------------------------------------------------------


def _items(reply: Mapping[str, Any] | None, section: str) -> list[Mapping[str, Any]]:
    listed = (reply or {}).get(section)
    return (
        [item for item in listed if isinstance(item, Mapping)] if isinstance(listed, list) else []
    )


def _first(reply: Mapping[str, Any] | None, section: str) -> Mapping[str, Any]:
    items = _items(reply, section)
    return items[0] if items else {}


def is_luxos_version(reply: Mapping[str, Any] | None) -> bool:
    """Whether an RPC ``version`` reply is LUXminer's."""
    version = _first(reply, "VERSION")
    if "LUXminer" in version:
        return True
    status = _first(reply, "STATUS")
    return "LUXMINER" in str(status.get("Description", "")).upper()


@dataclass(frozen=True, slots=True)
class VersionInfo:
    model: str | None = None
    firmware_version: str | None = None


def parse_version(reply: Mapping[str, Any]) -> VersionInfo:
    version = _first(reply, "VERSION")
    return VersionInfo(
        model=as_str(version.get("Type")),
        firmware_version=as_str(version.get("LUXminer")) or as_str(version.get("Miner")),
    )


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    watts: float | None
    hashrate: float | None  # TH/s
    frequency: float | None


def parse_profiles(reply: Mapping[str, Any]) -> tuple[Profile, ...]:
    """``profiles``: the table, in the firmware's order (lowest step first)."""
    profiles = []
    for item in _items(reply, "PROFILES"):
        name = as_str(item.get("Profile Name"))
        if name is None:
            continue
        profiles.append(
            Profile(
                name=name,
                watts=positive(as_float(item.get("Watts"))),
                hashrate=positive(as_float(item.get("Hashrate"))),
                frequency=positive(as_float(item.get("Frequency"))),
            )
        )
    return tuple(profiles)


def power_range(profiles: Sequence[Profile]) -> NumberRange | None:
    watts = [profile.watts for profile in profiles if profile.watts is not None]
    return NumberRange(min(watts), max(watts), 1.0) if watts else None


def profile_for_watts(profiles: Sequence[Profile], watts: float) -> Profile | None:
    """The highest profile whose watts are at or below ``watts``."""
    fitting = [p for p in profiles if p.watts is not None and p.watts <= watts]
    return max(fitting, key=lambda profile: profile.watts or 0.0) if fitting else None


def capabilities_for(profiles: Sequence[Profile]) -> Capabilities:
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=power_range(profiles),
        power_modes=tuple(profile.name for profile in profiles),
    )


def parse_fans(reply: Mapping[str, Any]) -> tuple[Fan, ...]:
    return tuple(
        Fan(
            index=position,
            rpm=as_int(item.get("RPM")),
            percent=as_float(item.get("Speed")),
        )
        for position, item in enumerate(_items(reply, "FANS"))
    )


def parse_events(reply: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    """``events``: each one the firmware reports, e.g. ``NOPIC_PROTECTION``."""
    errors = []
    for item in _items(reply, "EVENTS"):
        code = as_str(item.get("Code"))
        if code is None:
            continue
        message = as_str(item.get("Description")) or code
        board = as_int(item.get("ID"))
        if as_str(item.get("Target")) == "BOARD" and board is not None:
            message = f"Board {board}: {message}"
        errors.append(ReportedError(code, message))
    return tuple(errors)


def parse_devs(reply: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
    """``devs`` by board index (``ASC``/``ID``); the firmware lists them in any order."""
    boards = {}
    for item in _items(reply, "DEVS"):
        index = as_int(item.get("ASC"))
        if index is None:
            index = as_int(item.get("ID"))
        if index is not None:
            boards[index] = item
    return boards


def build_miner_data(
    version: VersionInfo,
    profiles: Sequence[Profile],
    replies: Mapping[str, Mapping[str, Any]],
) -> MinerData:
    """One poll's replies (by command) → ``MinerData``."""
    summary = parse_summary(replies["summary"])
    config = _first(replies.get("config"), "CONFIG")
    model_name = as_str(config.get("Model")) or version.model
    model = find_model(model_name)
    stats = parse_stats(replies.get("stats") or {}, None)
    devs = parse_devs(replies.get("devs") or {})
    boards = []
    for board in stats.boards:
        if not board.chips and not board.hashrate:
            continue  # an empty chain slot (``chain_acn4`` 0 on three-board miners)
        dev = devs.get(board.index, {})
        nominal = positive(as_float(dev.get("Nominal MHS")))
        boards.append(
            Board(
                index=board.index,
                hashrate=board.hashrate,
                expected_hashrate=nominal / 1e6 if nominal is not None else None,
                chip_temp=board.chip_temp,
                board_temp=board.board_temp,
                chips=board.chips,
                expected_chips=model.chips_per_board if model else None,
                serial=as_str(dev.get("SerialNumber")),
            )
        )
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    power = as_float(_first(replies.get("power"), "POWER").get("Watts"))
    profile_name = as_str(config.get("Profile"))
    profile = next((p for p in profiles if p.name == profile_name), None)
    curtail = as_str(config.get("CurtailMode"))
    led = as_str(config.get("RedLed"))
    mac = as_str(config.get("MACAddr"))
    fans = parse_fans(replies["fans"]) if "fans" in replies else stats.fans
    hashrate = summary.hashrate if summary.hashrate is not None else stats.hashrate
    return MinerData(
        family=Family.LUXOS,
        model=model_name,
        firmware_version=version.firmware_version or stats.firmware,
        mac=mac.upper() if mac else None,
        serial=as_str(config.get("SerialNumber")),
        hostname=as_str(config.get("Hostname")),
        hashrate=hashrate,
        expected_hashrate=stats.expected_hashrate,
        power=power,
        power_limit=profile.watts if profile else None,
        efficiency=efficiency(power, hashrate),
        chip_temp_max=max(chip_temps) if chip_temps else None,
        chip_temp_avg=round(sum(chip_temps) / len(chip_temps), 1) if chip_temps else None,
        board_temp_max=max(board_temps) if board_temps else None,
        frequency=profile.frequency if profile else None,
        uptime=summary.uptime,
        is_mining=None if curtail is None else curtail.lower() == "none",
        fault_light=None if led is None else led.lower() in LED_ON_STATES,
        power_mode=profile_name,
        shares_accepted=summary.accepted,
        shares_rejected=summary.rejected,
        best_session_difficulty=summary.best_share,
        fans=fans,
        boards=tuple(boards),
        pools=parse_pools(replies.get("pools") or {}),
        errors=parse_events(replies["events"]) if "events" in replies else (),
        capabilities=capabilities_for(profiles),
    )


# --- identification -----------------------------------------------------------------------


def is_luxos_page(body: str) -> bool:
    return "luxor firmware" in body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """LuxOS when the RPC ``version`` is LUXminer's; the MAC comes from ``config``."""
    reply = await probe.rpc_version
    if reply is None or not is_luxos_version(reply):
        return None
    version = parse_version(reply)
    mac = None
    try:
        config = await RpcTransport(probe.host, probe.rpc_port, timeout=probe.timeout).command(
            "config"
        )
        mac = as_str(_first(config, "CONFIG").get("MACAddr"))
    except (MinerCommandError, MinerProtocolError):
        pass
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.LUXOS,
        model=version.model,
        firmware_version=version.firmware_version,
        mac=mac.upper() if mac else None,
        api_flavour="rpc",
    )


# --- the miner ----------------------------------------------------------------------------


class LuxOSMiner(RpcMiner):
    """A miner on LuxOS: everything through the RPC, writes inside a session."""

    family = Family.LUXOS
    default_port = 80

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._version: VersionInfo | None = None
        self._profiles: tuple[Profile, ...] = ()
        self._last_uptime: int | None = None
        self._session_id: str | None = None

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._profiles) if self._version else Capabilities()

    # --- reading ------------------------------------------------------------------------

    async def _connect(self) -> None:
        replies = await self.rpc.commands(*STATIC_COMMANDS)
        self._version = parse_version(replies["version"])
        self._profiles = parse_profiles(replies["profiles"])
        self._session_id = None

    async def read(self) -> MinerData:
        async with self.lock:
            if self._version is None:
                await self._connect()
            replies = await self.rpc.commands(*POLL_COMMANDS)
            uptime = as_int(_first(replies["summary"], "SUMMARY").get("Elapsed"))
            last = self._last_uptime
            if uptime is not None and last is not None and uptime < last:
                await self._connect()  # it rebooted, maybe into a new release
            self._last_uptime = uptime
            assert self._version is not None
            return build_miner_data(self._version, self._profiles, replies)

    # --- sessions -----------------------------------------------------------------------

    async def _new_session(self) -> str:
        try:
            reply = await self.rpc.command("logon")
        except MinerCommandError as err:
            if err.code != CODE_SESSION_BUSY:
                raise
            reply = await self.rpc.command("session")  # reuse the live one
        session_id = as_str(_first(reply, "SESSION").get("SessionID"))
        if not session_id:
            raise MinerCommandError(
                f"{self.host} gave no LuxOS session; another client may hold it, try again later"
            )
        return session_id

    async def _privileged(self, command: str, *params: str) -> dict[str, Any]:
        """``command`` with the session id first; a session that expired is renewed once."""
        for attempt in (1, 2):
            if self._session_id is None:
                self._session_id = await self._new_session()
            parameter = ",".join((self._session_id, *params))
            try:
                return await self.rpc.command(command, parameter)
            except MinerCommandError as err:
                if err.code != CODE_SESSION_INVALID or attempt == 2:
                    raise MinerCommandError(
                        f"{self.host} refused {command}: {_reason(err)}", code=err.code
                    ) from None
                self._session_id = None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _ensure_connected(self) -> None:
        if self._version is None:
            await self._connect()

    # --- controls -----------------------------------------------------------------------

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            await self._privileged("curtail", "wakeup" if enabled else "sleep")

    async def reboot(self) -> None:
        async with self.lock:
            await self._privileged("rebootdevice")
            self._session_id = None  # a reboot ends every session

    async def restart_mining(self) -> None:
        async with self.lock:
            await self._privileged("resetminer")

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            await self._privileged("ledset", "red", "blink" if on else "off")

    async def _set_profile(self, name: str) -> None:
        await self._privileged("atmset", "enabled=false")
        await self._privileged("profileset", name)

    async def set_power_mode(self, mode: str) -> None:
        async with self.lock:
            await self._ensure_connected()
            names = [profile.name for profile in self._profiles]
            if mode not in names:
                raise MinerCommandError(
                    f"Unknown power mode {mode!r}; this miner has the profiles {', '.join(names)}"
                )
            await self._set_profile(mode)

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            await self._ensure_connected()
            profile = profile_for_watts(self._profiles, watts)
            if profile is None:
                limits = power_range(self._profiles)
                lowest = f"; the lowest profile takes {limits.min:g} W" if limits else ""
                raise MinerCommandError(f"No LuxOS profile runs at or below {watts:g} W{lowest}")
            await self._set_profile(profile.name)

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("LuxOS takes three pools here")
        for pool in pools:
            if not pool.url.strip():
                raise MinerCommandError("A pool needs a URL")
            if any("," in part for part in (pool.url, pool.user, pool.password)):
                raise MinerCommandError("LuxOS cannot take a comma in a pool URL, user or password")
        async with self.lock:
            old = _items(await self.rpc.command("pools"), "POOLS")
            old_count = len(old)
            for pool in pools:
                await self.rpc.command("addpool", f"{pool.url},{pool.user},{pool.password}")
            await self.rpc.command("switchpool", str(old_count))
            for index in range(old_count - 1, -1, -1):
                await self.rpc.command("removepool", str(index))
            if old_count:
                # The first new pool is now number 0; naming it again keeps it the active one
                # on firmwares that track the active pool by number.
                await self.rpc.command("switchpool", "0")


def _reason(err: MinerCommandError) -> str:
    text = str(err)
    return text.split(": ", 1)[1] if ": " in text else text
