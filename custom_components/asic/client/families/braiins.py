"""Braiins OS (BOSer) on Antminer hardware: REST under ``/api/v1`` (25.07+) or RPC on 4028.

Two API flavours, chosen at connect: ``rest`` where ``POST /api/v1/auth/login`` exists (25.07
and newer), else ``rpc`` (older releases: reads and pause/resume only).

Requests (REST):

- at connect, once (again after a reboot, seen as a token the miner forgot): ``auth/login``
  (``root`` with an empty password unless credentials are given) and
  ``configuration/constraints`` (the power-target range).
- each poll: 8 GETs sent at the same time — ``miner/details`` (model, firmware, MAC,
  hostname, uptime, paused or mining), ``miner/stats`` (hashrate, power, efficiency, shares),
  ``miner/hw/hashboards``, ``cooling/state``, ``performance/tuner-state`` (the power target),
  ``pools``, ``miner/errors`` and ``actions/locate`` (the fault light).
- a 401 (the token timed out, or the miner rebooted and forgot it) costs one new login and the
  request again; a token is also renewed before its ``timeout_s`` runs out.

Requests (RPC): at connect ``version`` (the BOSer build); each poll one joined request
``summary+devs+devdetails+temps+fans+tunerstatus+pools`` (7 single requests where the firmware
refuses joined commands).

Controls: pause/resume (REST ``actions/pause``/``actions/resume``, RPC ``pause``/``resume``);
the power target in W (``performance/power-target`` ``{"watt": N}``, range from the
constraints); the locate LED (``actions/locate``); reboot (``actions/reboot``); pools
(``pools/batch`` replaces every group, so the first group's pools are replaced and every other
group, name, uid and load-balance strategy is sent back as read from ``configuration/miner``).
Braiins OS has no power modes; restarting only the mining service is not in its REST API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
import time
from typing import Any, ClassVar

from ..errors import (
    MinerAuthError,
    MinerCommandError,
    MinerError,
    MinerProtocolError,
    MinerUnsupportedError,
)
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
from ..rpc_miner import RpcMiner
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, positive
from .antminer import parse_pools as parse_rpc_pools

DEFAULT_USERNAME = "root"
DEFAULT_PASSWORD = ""  # the factory default of Braiins OS: root with no password
REST, RPC = "rest", "rpc"
API = "/api/v1/"
POOL_SLOTS = 3
RENEW_MARGIN_S = 30.0  # log in again this long before the token would time out
RPC_POLL = ("summary", "devs", "devdetails", "temps", "fans", "tunerstatus", "pools")

# BOSer's MinerStatus: 1 not started, 2 normal, 3 paused, 4 suspended, 5 restricted.
MINING_BY_STATUS = {1: False, 2: True, 3: False, 4: False, 5: True}


@dataclass(frozen=True, slots=True)
class BraiinsModel:
    """One row of the model table: the Antminer hardware Braiins OS runs on."""

    name: str
    boards: int
    chips_per_board: int
    nominal_hashrate: float  # TH/s, stock


MODELS: tuple[BraiinsModel, ...] = (
    BraiinsModel("Antminer S9", 3, 63, 13.5),
    BraiinsModel("Antminer S17", 3, 48, 56.0),
    BraiinsModel("Antminer S19", 3, 76, 95.0),
    BraiinsModel("Antminer S19 Pro", 3, 114, 110.0),
    BraiinsModel("Antminer S19j Pro", 3, 126, 104.0),
    BraiinsModel("Antminer S19 XP", 3, 110, 140.0),
    BraiinsModel("Antminer S21", 3, 108, 200.0),
    BraiinsModel("Antminer S21 Pro", 3, 65, 234.0),
    BraiinsModel("Antminer T21", 3, 108, 190.0),
)


def _key(name: str) -> str:
    return name.lower().removeprefix("bitmain ").removeprefix("antminer ").replace(" ", "")


def find_model(name: str | None) -> BraiinsModel | None:
    """A row by name: "Antminer S19 XP", "Bitmain Antminer S19XP" and "S19XP" are one model."""
    if not name:
        return None
    wanted = _key(name.strip())
    return next((row for row in MODELS if _key(row.name) == wanted), None)


def model_name(name: str | None) -> str | None:
    """The table's spelling of a model, else the name as the miner gives it."""
    if not name:
        return None
    row = find_model(name)
    return row.name if row else name.strip().removeprefix("Bitmain ")


def capabilities_for(flavour: str | None, power_range: NumberRange | None) -> Capabilities:
    if flavour == REST:
        return Capabilities(
            mining_switch=True,
            fault_light=True,
            reboot=True,
            pools=True,
            power_limit=power_range,
        )
    if flavour == RPC:
        return Capabilities(mining_switch=True)
    return Capabilities()


# --- REST parsers ---------------------------------------------------------------------------


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _gh_to_th(value: Any) -> float | None:
    number = as_float(_get(value, "gigahash_per_second"))
    return number / 1000 if number is not None else None


def _obj(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"Braiins OS answered {what} with no JSON object")
    return reply


@dataclass(frozen=True, slots=True)
class Details:
    model: str | None = None
    firmware_version: str | None = None
    mac: str | None = None
    hostname: str | None = None
    serial: str | None = None
    uptime: int | None = None
    is_mining: bool | None = None


def parse_details(reply: Any) -> Details:
    details = _obj(reply, "miner/details")
    identity = details.get("miner_identity")
    name = as_str(_get(identity, "name")) or as_str(_get(identity, "miner_model"))
    mac = as_str(details.get("mac_address"))
    status = as_int(details.get("status"))
    return Details(
        model=model_name(name),
        firmware_version=as_str(_get(details, "bos_version", "current")),
        mac=mac.upper() if mac else None,
        hostname=as_str(details.get("hostname")),
        serial=as_str(details.get("serial_number")),
        uptime=as_int(details.get("bosminer_uptime_s")),
        is_mining=MINING_BY_STATUS.get(status) if status is not None else None,
    )


def parse_power_range(reply: Any) -> NumberRange | None:
    """``configuration/constraints`` → the power-target range in W, or None if it has none."""
    target = _get(reply, "tuner_constraints", "power_target")
    low = as_float(_get(target, "min", "watt"))
    high = as_float(_get(target, "max", "watt"))
    if low is None or high is None or high < low:
        return None
    return NumberRange(min=low, max=high, step=1.0)


@dataclass(frozen=True, slots=True)
class Stats:
    hashrate: float | None = None
    expected_hashrate: float | None = None
    power: float | None = None
    efficiency: float | None = None
    accepted: int | None = None
    rejected: int | None = None
    best_share: float | None = None


def parse_stats(reply: Any) -> Stats:
    stats = _obj(reply, "miner/stats")
    miner = stats.get("miner_stats")
    pool = stats.get("pool_stats")
    return Stats(
        hashrate=_gh_to_th(_get(miner, "real_hashrate", "last_5s")),
        expected_hashrate=_gh_to_th(_get(miner, "nominal_hashrate")),
        power=positive(as_float(_get(stats, "power_stats", "approximated_consumption", "watt"))),
        efficiency=positive(
            as_float(_get(stats, "power_stats", "efficiency", "joule_per_terahash"))
        ),
        accepted=as_int(_get(pool, "accepted_shares")),
        rejected=as_int(_get(pool, "rejected_shares")),
        best_share=positive(as_float(_get(miner, "best_share"))),
    )


@dataclass(frozen=True, slots=True)
class Hashboards:
    boards: tuple[Board, ...] = ()
    frequency: float | None = None  # MHz, the mean of the boards
    inlet_temp: float | None = None
    outlet_temp: float | None = None
    asic_model: str | None = None
    board_version: str | None = None


def parse_hashboards(reply: Any, model: BraiinsModel | None = None) -> Hashboards:
    listed = _obj(reply, "miner/hw/hashboards").get("hashboards")
    boards: list[Board] = []
    clocks: list[float] = []
    inlets: list[float] = []
    outlets: list[float] = []
    chips: str | None = None
    board_name: str | None = None
    for position, item in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(item, Mapping):
            continue
        index = as_int(item.get("id"))
        stats = item.get("stats")
        boards.append(
            Board(
                index=position if index is None else index,
                hashrate=_gh_to_th(_get(stats, "real_hashrate", "last_5s")),
                expected_hashrate=_gh_to_th(_get(stats, "nominal_hashrate")),
                chip_temp=positive(
                    as_float(_get(item, "highest_chip_temp", "temperature", "degree_c"))
                ),
                board_temp=positive(as_float(_get(item, "board_temp", "degree_c"))),
                chips=as_int(item.get("chips_count")),
                expected_chips=model.chips_per_board if model else None,
                serial=as_str(item.get("serial_number")),
            )
        )
        if (hertz := positive(as_float(_get(item, "current_frequency", "hertz")))) is not None:
            clocks.append(hertz / 1e6)
        if (inlet := positive(as_float(_get(item, "lowest_inlet_temp", "degree_c")))) is not None:
            inlets.append(inlet)
        outlet = positive(as_float(_get(item, "highest_outlet_temp", "degree_c")))
        if outlet is not None:
            outlets.append(outlet)
        chips = chips or as_str(item.get("chip_type"))
        board_name = board_name or as_str(item.get("board_name")) or as_str(item.get("model"))
    return Hashboards(
        boards=tuple(boards),
        frequency=round(sum(clocks) / len(clocks), 2) if clocks else None,
        inlet_temp=min(inlets) if inlets else None,
        outlet_temp=max(outlets) if outlets else None,
        asic_model=chips,
        board_version=board_name,
    )


def parse_cooling(reply: Any) -> tuple[Fan, ...]:
    listed = _obj(reply, "cooling/state").get("fans")
    fans = []
    for position, item in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(item, Mapping):
            continue
        index = as_int(item.get("position"))
        ratio = as_float(item.get("target_speed_ratio"))
        fans.append(
            Fan(
                index=position if index is None else index,
                rpm=as_int(item.get("rpm")),
                percent=round(ratio * 100, 1) if ratio is not None else None,
            )
        )
    return tuple(fans)


def parse_power_target(reply: Any) -> float | None:
    """``performance/tuner-state`` → the power target the tuner follows (W)."""
    state = _get(reply, "mode_state", "powertargetmodestate")
    return positive(as_float(_get(state, "current_target", "watt")))


def parse_pools(reply: Any) -> tuple[Pool, ...]:
    """``pools``: the groups' pools, flattened in order."""
    if not isinstance(reply, list):
        raise MinerProtocolError("Braiins OS answered pools with no JSON list")
    pools: list[Pool] = []
    for group in reply:
        listed = _get(group, "pools")
        for item in listed if isinstance(listed, list) else []:
            if not isinstance(item, Mapping) or not (url := as_str(item.get("url"))):
                continue
            stats = item.get("stats")
            pools.append(
                Pool(
                    index=len(pools),
                    url=url,
                    user=as_str(item.get("user")),
                    active=as_bool(item.get("active")),
                    alive=as_bool(item.get("alive")),
                    accepted=as_int(_get(stats, "accepted_shares")),
                    rejected=as_int(_get(stats, "rejected_shares")),
                )
            )
    return tuple(pools)


def parse_errors(reply: Any) -> tuple[ReportedError, ...]:
    """``miner/errors``: each distinct message once (the firmware repeats them)."""
    listed = _obj(reply, "miner/errors").get("errors")
    errors: dict[str, ReportedError] = {}
    for item in listed if isinstance(listed, list) else []:
        message = as_str(_get(item, "message"))
        if not message or message in errors:
            continue
        codes = _get(item, "error_codes")
        first = codes[0] if isinstance(codes, list) and codes else None
        code = as_str(first) if isinstance(first, (str, int)) else None
        errors[message] = ReportedError(code or "braiins", message)
    return tuple(errors.values())


def _fallback(pools: Sequence[Pool]) -> bool | None:
    active = [pool.index for pool in pools if pool.active]
    return active[0] > 0 if active else None


def build_rest_data(
    details: Details,
    stats: Stats,
    boards: Hashboards,
    *,
    fans: tuple[Fan, ...],
    power_limit: float | None,
    pools: tuple[Pool, ...],
    errors: tuple[ReportedError, ...],
    fault_light: bool | None,
    capabilities: Capabilities,
) -> MinerData:
    chip_temps = [board.chip_temp for board in boards.boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in boards.boards if board.board_temp is not None]
    return MinerData(
        family=Family.BRAIINS,
        model=details.model,
        firmware_version=details.firmware_version,
        mac=details.mac,
        serial=details.serial,
        hostname=details.hostname,
        hashrate=stats.hashrate,
        expected_hashrate=stats.expected_hashrate,
        power=stats.power,
        power_limit=power_limit,
        efficiency=stats.efficiency or efficiency(stats.power, stats.hashrate),
        chip_temp_max=max(chip_temps) if chip_temps else None,
        board_temp_max=max(board_temps) if board_temps else None,
        inlet_temp=boards.inlet_temp,
        outlet_temp=boards.outlet_temp,
        frequency=boards.frequency,
        uptime=details.uptime,
        is_mining=details.is_mining,
        fault_light=fault_light,
        shares_accepted=stats.accepted,
        shares_rejected=stats.rejected,
        best_difficulty=stats.best_share,
        using_fallback_pool=_fallback(pools),
        asic_model=boards.asic_model,
        board_version=boards.board_version,
        fans=fans,
        boards=boards.boards,
        pools=pools,
        errors=errors,
        capabilities=capabilities,
    )


# --- RPC parsers ----------------------------------------------------------------------------


def _items(reply: Mapping[str, Any] | None, section: str) -> list[Mapping[str, Any]]:
    listed = (reply or {}).get(section)
    return [
        item for item in (listed if isinstance(listed, list) else []) if isinstance(item, Mapping)
    ]


def _mhs_to_th(value: Any) -> float | None:
    number = as_float(value)
    return number / 1e6 if number is not None else None


def parse_rpc_version(reply: Mapping[str, Any] | None) -> str | None:
    """``version`` → the BOSer build ("boser-buildroot 0.1.0-3881c51d")."""
    items = _items(reply, "VERSION")
    return as_str(items[0].get("BOSer")) or as_str(items[0].get("BOSminer")) if items else None


def parse_rpc_model(reply: Mapping[str, Any] | None) -> str | None:
    """``devdetails`` → the model ("Bitmain Antminer S19XP" → "Antminer S19 XP")."""
    for item in _items(reply, "DEVDETAILS"):
        if name := as_str(item.get("Model")):
            return model_name(name)
    return None


def build_rpc_data(
    replies: Mapping[str, Mapping[str, Any]],
    firmware: str | None,
    capabilities: Capabilities,
) -> MinerData:
    summaries = _items(replies.get("summary"), "SUMMARY")
    if not summaries:
        raise MinerProtocolError("The RPC summary reply has no SUMMARY (cut short?)")
    summary = summaries[0]
    hashrate = _mhs_to_th(summary.get("MHS 5s"))
    if hashrate is None:
        hashrate = _mhs_to_th(summary.get("MHS 1m"))
    model = parse_rpc_model(replies.get("devdetails"))
    row = find_model(model)
    details = {
        as_int(item.get("ID")): item for item in _items(replies.get("devdetails"), "DEVDETAILS")
    }
    temps = {as_int(item.get("ID")): item for item in _items(replies.get("temps"), "TEMPS")}
    boards: list[Board] = []
    expected: list[float] = []
    clocks: list[float] = []
    for position, dev in enumerate(_items(replies.get("devs"), "DEVS")):
        chain = as_int(dev.get("ID"))
        index = position if chain is None else chain
        detail = details.get(chain, {})
        temp = temps.get(chain, {})
        nominal = positive(_mhs_to_th(dev.get("Nominal MHS")))
        if nominal is not None:
            expected.append(nominal)
        if (hertz := positive(as_float(detail.get("Frequency")))) is not None:
            clocks.append(hertz / 1e6)
        boards.append(
            Board(
                index=index,
                hashrate=_mhs_to_th(dev.get("MHS 5s")),
                expected_hashrate=nominal,
                chip_temp=positive(as_float(temp.get("Chip"))),
                board_temp=positive(as_float(temp.get("Board")))
                or positive(as_float(dev.get("Temperature"))),
                chips=as_int(detail.get("Chips")),
                expected_chips=row.chips_per_board if row else None,
            )
        )
    fans = tuple(
        Fan(
            index=position if (fan_id := as_int(item.get("ID"))) is None else fan_id,
            rpm=as_int(item.get("RPM")),
            percent=as_float(item.get("Speed")),
        )
        for position, item in enumerate(_items(replies.get("fans"), "FANS"))
    )
    tuners = _items(replies.get("tunerstatus"), "TUNERSTATUS")
    tuner = tuners[0] if tuners else {}
    power = positive(as_float(tuner.get("ApproximateMinerPowerConsumption")))
    chains = tuner.get("TunerChainStatus")
    chain_states = [
        as_str(item.get("Status"))
        for item in (chains if isinstance(chains, list) else [])
        if isinstance(item, Mapping)
    ]
    is_mining: bool | None = None
    if chain_states:
        is_mining = not all((state or "").lower() == "paused" for state in chain_states)
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    pools = parse_rpc_pools(replies.get("pools") or {})
    return MinerData(
        family=Family.BRAIINS,
        model=model,
        firmware_version=firmware,
        hashrate=hashrate,
        expected_hashrate=round(sum(expected), 6) if expected else None,
        power=power,
        power_limit=positive(as_float(tuner.get("PowerLimit"))),
        efficiency=efficiency(power, hashrate),
        chip_temp_max=max(chip_temps) if chip_temps else None,
        board_temp_max=max(board_temps) if board_temps else None,
        frequency=round(sum(clocks) / len(clocks), 2) if clocks else None,
        uptime=as_int(summary.get("Elapsed")),
        is_mining=is_mining,
        shares_accepted=as_int(summary.get("Accepted")),
        shares_rejected=as_int(summary.get("Rejected")),
        best_difficulty=positive(as_float(summary.get("Best Share"))),
        using_fallback_pool=_fallback(pools),
        fans=fans,
        boards=tuple(boards),
        pools=pools,
        capabilities=capabilities,
    )


# --- identification -------------------------------------------------------------------------

BOSER_MARKERS = ("BOSER", "BOSMINER", "BRAIINS")


def is_braiins_page(page_body: str) -> bool:
    return "braiins os" in page_body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """Braiins OS: its page ("Braiins OS") or BOSer/BOSminer in the RPC ``version``."""
    by_page = not probe.web_down and is_braiins_page(probe.page.body)
    version = None if by_page else await probe.rpc_version
    if not by_page and not (
        version is not None and any(mark in json.dumps(version).upper() for mark in BOSER_MARKERS)
    ):
        return None
    miner = BraiinsMiner(
        probe.host,
        probe.session,
        port=probe.port,
        credentials=probe.credentials,
        timeout=probe.timeout,
        rpc_port=probe.rpc_port,
    )
    try:
        details = await miner.facts()
    except MinerError:
        if not by_page:
            return None
        # Braiins OS all the same (e.g. a login we do not know): the user gives the password.
        details = Details()
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.BRAIINS,
        model=details.model,
        firmware_version=details.firmware_version,
        mac=details.mac,
        api_flavour=miner.flavour or REST,
    )


# --- the miner ------------------------------------------------------------------------------


class BraiinsMiner(RpcMiner):
    """A miner running Braiins OS."""

    family: ClassVar[Family] = Family.BRAIINS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._flavour: str | None = None
        self._token: str | None = None
        self._token_deadline = 0.0
        self._token_timeout: float | None = None
        self._login_lock = asyncio.Lock()
        self._power_range: NumberRange | None = None
        self._details = Details()

    @property
    def flavour(self) -> str | None:
        """``rest`` or ``rpc`` once connected."""
        return self._flavour

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._flavour, self._power_range)

    async def facts(self) -> Details:
        """Connect and return model, firmware and MAC (what identification reports)."""
        async with self.lock:
            await self._connect(details=True)
            return self._details

    # --- REST session -------------------------------------------------------------------

    async def _login(self) -> None:
        username = self.credentials.username or DEFAULT_USERNAME
        password = self.credentials.password
        body = {
            "username": username,
            "password": DEFAULT_PASSWORD if password is None else password,
        }
        path = API + "auth/login"
        status, _, reply = await self.http.request(
            "POST", path, json_body=body, allow_redirects=False
        )
        if status == 401:
            raise MinerAuthError(
                f"{self.host} refused the login of {username!r}; check the Braiins OS password"
            )
        self.http.raise_for_status(status, path, reply, write=True)
        answer = decode_json(reply, f"{self.host}{path}")
        token = as_str(_get(answer, "token"))
        if not token:
            raise MinerProtocolError(f"{self.host} answered its login without a token")
        self._token = token
        self._token_timeout = positive(as_float(_get(answer, "timeout_s")))
        self._touch()

    def _touch(self) -> None:
        if self._token_timeout is not None:
            self._token_deadline = time.monotonic() + self._token_timeout - RENEW_MARGIN_S
        else:
            self._token_deadline = float("inf")

    async def _fresh_token(self, stale: str | None) -> str:
        async with self._login_lock:
            if (
                self._token is None
                or self._token == stale
                or time.monotonic() > self._token_deadline
            ):
                await self._login()
            assert self._token is not None
            return self._token

    async def _send(self, method: str, path: str, body: Any, token: str) -> tuple[int, bytes]:
        status, _, reply = await self.http.request(
            method,
            path,
            json_body=body,
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
        )
        return status, reply

    async def _rest(self, method: str, route: str, body: Any = None) -> Any:
        """One REST request with the session token; a 401 costs one new login and a retry."""
        path = API + route
        token = await self._fresh_token(None)
        status, reply = await self._send(method, path, body, token)
        if status == 401:
            token = await self._fresh_token(token)
            status, reply = await self._send(method, path, body, token)
        self.http.raise_for_status(status, path, reply, write=method != "GET")
        self._touch()
        text = reply.decode("utf-8", "replace").strip()
        return decode_json(reply, f"{self.host}{path}") if text else None

    # --- reading ------------------------------------------------------------------------

    async def _connect(self, *, details: bool = False) -> None:
        """The flavour and static facts; called with the lock held."""
        try:
            await self._login()
        except MinerUnsupportedError:
            self._flavour = RPC
            version = await self.rpc.command("version")
            firmware = parse_rpc_version(version)
            model = None
            if details:
                model = parse_rpc_model(await self.rpc.command("devdetails"))
            self._details = Details(model=model, firmware_version=firmware)
            return
        self._flavour = REST
        self._power_range = parse_power_range(await self._rest("GET", "configuration/constraints"))
        if details:
            self._details = parse_details(await self._rest("GET", "miner/details"))

    async def read(self) -> MinerData:
        async with self.lock:
            if self._flavour is None:
                await self._connect()
            if self._flavour == RPC:
                replies = await self.rpc.commands(*RPC_POLL)
                return build_rpc_data(replies, self._details.firmware_version, self.capabilities)
            routes = (
                "miner/details",
                "miner/stats",
                "miner/hw/hashboards",
                "cooling/state",
                "performance/tuner-state",
                "pools",
                "miner/errors",
                "actions/locate",
            )
            (
                details,
                stats,
                hashboards,
                cooling,
                tuner,
                pools,
                errors,
                locate,
            ) = await asyncio.gather(*(self._rest("GET", route) for route in routes))
        self._details = parse_details(details)
        return build_rest_data(
            self._details,
            parse_stats(stats),
            parse_hashboards(hashboards, find_model(self._details.model)),
            fans=parse_cooling(cooling),
            power_limit=parse_power_target(tuner),
            pools=parse_pools(pools),
            errors=parse_errors(errors),
            fault_light=as_bool(locate),
            capabilities=self.capabilities,
        )

    # --- writing ------------------------------------------------------------------------

    async def _ensure_rest(self, what: str) -> None:
        if self._flavour is None:
            await self._connect()
        if self._flavour != REST:
            raise MinerUnsupportedError(
                f"{self.host} runs Braiins OS older than 25.07, whose API has no {what}"
            )

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            if self._flavour is None:
                await self._connect()
            if self._flavour == RPC:
                await self.rpc.command("resume" if enabled else "pause")
                return
            await self._rest("PUT", "actions/resume" if enabled else "actions/pause")

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            await self._ensure_rest("power target")
            target = round(watts)
            limits = self._power_range
            if limits is not None and not limits.contains(target):
                raise MinerCommandError(
                    f"{self.host} takes a power target from {limits.min:g} to {limits.max:g} W, "
                    f"not {watts:g} W"
                )
            reply = await self._rest("PUT", "performance/power-target", {"watt": target})
            if as_int(_get(reply, "watt")) != target:
                raise MinerCommandError(
                    f"{self.host} did not take the power target of {target} W: {str(reply)[:100]}"
                )

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            await self._ensure_rest("locate LED")
            reply = await self._rest("PUT", "actions/locate", on)
            if as_bool(reply) is not on:
                raise MinerCommandError(
                    f"{self.host} did not turn its locate LED {'on' if on else 'off'}"
                )

    async def reboot(self) -> None:
        async with self.lock:
            await self._ensure_rest("reboot")
            await self._rest("PUT", "actions/reboot")
            self._token = None  # a reboot forgets every token

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not 1 <= len(pools) <= POOL_SLOTS:
            raise MinerCommandError(f"Braiins OS takes 1 to {POOL_SLOTS} pools, not {len(pools)}")
        async with self.lock:
            await self._ensure_rest("pool writes")
            config = await self._rest("GET", "configuration/miner")
            groups = _get(config, "pool_groups")
            kept: list[dict[str, Any]] = [
                dict(group)
                for group in (groups if isinstance(groups, list) else [])
                if isinstance(group, Mapping)
            ]
            first: dict[str, Any] = kept[0] if kept else {"name": "Default"}
            first["pools"] = [
                {"url": pool.url, "user": pool.user, "password": pool.password, "enabled": True}
                for pool in pools
            ]
            await self._rest("PUT", "pools/batch", [first, *kept[1:]])
