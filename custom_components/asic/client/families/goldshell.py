"""Goldshell (KD Box, KD Max, LT6, Mini DOGE…): the ``cloud-box`` web API on 80 and RPC on 4028.

The web API is the one the stock page calls: ``GET /user/login`` (user and password in the
query, as typed with ``cipher=false``, else AES-encrypted as the page does with ``cipher=true``)
answers ``{"JWT Token": …}``, sent as ``Authorization: Bearer`` to every ``/mcb/*`` path
but ``/mcb/status``. The token does not expire, but the firmware refuses it (401) once the
password changed or the controller forgot it: that costs one new login and the request again.
The RPC (the firmware's BFGMiner fork) reads without a login and refuses every write.

Requests:

- at connect, once (again after the miner restarted, seen as the uptime going back):
  ``GET /mcb/status`` (model, firmware, hardware; no login) and the login.
- each poll: 2 requests sent at the same time — RPC ``summary+devs+pools`` (hashrate, uptime,
  shares, per-board rates, chip and board temperatures, fans, clock; the pools; 3 single
  requests once the firmware refused a joined one) and ``GET /mcb/setting`` (power plans and the
  selected one, the LED, the name, which is the MAC until a user renames the miner).

Controls, as the stock page does them: power modes select one of the miner's own power plans
(``select`` of ``PUT /mcb/setting``); mining off selects the plan of level 3 (0 MHz, the boards
stop) and mining on the plan that ran before (else level 0); the fault light is ``ledcontrol``.
Settings are written whole: read, changed, sent back, so nothing else is lost. Reboot is
``PUT /mcb/restart``. Pools: ``delpool`` each configured one, then ``newpool`` each new one (up
to three). Goldshell has no power limit in W and no mining restart without a reboot.

Rates are MH/s throughout (whatever coin the model mines) and become TH/s here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import json
import re
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import MinerAuthError, MinerCommandError, MinerError, MinerProtocolError
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    PoolConfig,
    ReportedError,
)
from ..probe import Probe, WebPage
from ..rpc_miner import RpcMiner
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, positive
from .antminer import parse_pools

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "123456789"  # noqa: S105 (the factory default of the web login)
MAX_POOLS = 3
LEVEL_SLEEP = 3
PLAN_NAMES = {0: "normal", 1: "eco", 2: "performance", LEVEL_SLEEP: "sleep"}
MHS_PER_THS = 1e6
CIPHER_KEY = b"!" * 16  # the stock page's fixed key for ``cipher=true`` logins
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")


@dataclass(frozen=True, slots=True)
class GoldshellModel:
    """One row of the model table: what differs by model."""

    name: str
    boards: int
    chips_per_board: int
    fans: int


# Keyed by the ``model`` of ``/mcb/status`` without its dashes, lower-cased.
MODELS: dict[str, GoldshellModel] = {
    "goldshellkdbox": GoldshellModel("Goldshell KD Box", 1, 16, 2),
    "goldshellkdboxii": GoldshellModel("Goldshell KD Box II", 1, 36, 2),
    "goldshellkdboxpro": GoldshellModel("Goldshell KD Box Pro", 1, 16, 2),
    "goldshellkdmax": GoldshellModel("Goldshell KD Max", 3, 84, 4),
    "goldshelllt6": GoldshellModel("Goldshell LT6", 3, 72, 4),
    "goldshellminidoge": GoldshellModel("Goldshell Mini DOGE", 1, 40, 2),
    "goldshellscbox": GoldshellModel("Goldshell SC Box", 1, 4, 2),
}


def encrypt_password(password: str) -> str:
    """The password as the stock page sends it with ``cipher=true``: AES-128-CBC with the
    firmware's fixed key and a zero IV, zero-padded, in hex."""
    data = password.encode()
    data += b"\0" * (-len(data) % 16)
    encryptor = Cipher(algorithms.AES(CIPHER_KEY), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def find_model(status_model: str | None) -> GoldshellModel | None:
    if not status_model:
        return None
    return MODELS.get(re.sub(r"[\s_-]", "", status_model).lower())


def model_name(status_model: str | None) -> str | None:
    """The table's name, else the firmware's own (``Goldshell-XYZ`` → ``Goldshell XYZ``)."""
    row = find_model(status_model)
    if row is not None:
        return row.name
    return status_model.replace("-", " ").strip() or None if status_model else None


# --- parsers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """``GET /mcb/status``: the facts read once at connect."""

    model: str | None = None
    firmware: str | None = None
    hardware: str | None = None


def parse_status(reply: Any) -> StatusInfo:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError("/mcb/status answered something other than an object")
    return StatusInfo(
        model=as_str(reply.get("model")),
        firmware=as_str(reply.get("firmware")),
        hardware=as_str(reply.get("hardware")),
    )


def is_goldshell(status: StatusInfo) -> bool:
    return (status.model or "").lower().startswith("goldshell")


def parse_token(reply: Any) -> str:
    token = as_str(reply.get("JWT Token")) if isinstance(reply, Mapping) else None
    if token is None:
        raise MinerProtocolError("The Goldshell login answered without a token")
    return token


@dataclass(frozen=True, slots=True)
class PowerPlan:
    """One of the miner's stock power plans, by its position in ``powerplans``."""

    select: int
    level: int | None
    name: str


@dataclass(frozen=True, slots=True)
class Setting:
    """The parts of ``/mcb/setting`` the client reads; ``raw`` is sent back on writes."""

    raw: Mapping[str, Any]
    plans: tuple[PowerPlan, ...]
    select: int | None
    manual: bool | None
    led: bool | None
    name: str | None

    @property
    def plan(self) -> PowerPlan | None:
        if self.manual:
            return None
        return next((plan for plan in self.plans if plan.select == self.select), None)

    def plan_of_level(self, level: int) -> PowerPlan | None:
        return next((plan for plan in self.plans if plan.level == level), None)

    @property
    def mac(self) -> str | None:
        name = self.name or ""
        return name.replace("-", ":").upper() if _MAC.match(name) else None


def parse_setting(reply: Any) -> Setting:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError("/mcb/setting answered something other than an object")
    items = reply.get("powerplans")
    plans = []
    for select, item in enumerate(items if isinstance(items, list) else []):
        level = as_int(item.get("level")) if isinstance(item, Mapping) else None
        name = PLAN_NAMES.get(level, f"level {level}") if level is not None else f"plan {select}"
        plans.append(PowerPlan(select, level, name))
    return Setting(
        raw=reply,
        plans=tuple(plans),
        select=as_int(reply.get("select")),
        manual=as_bool(reply.get("manual")),
        led=as_bool(reply.get("ledcontrol")),
        name=as_str(reply.get("name")),
    )


def _rows(reply: Mapping[str, Any], section: str) -> list[Mapping[str, Any]]:
    items = reply.get(section)
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _ths(mhs: Any) -> float | None:
    value = as_float(mhs)
    return None if value is None else value / MHS_PER_THS


def _max(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def parse_boards(devs: Mapping[str, Any], row: GoldshellModel | None) -> tuple[Board, ...]:
    boards = []
    for position, dev in enumerate(_rows(devs, "DEVS")):
        index = as_int(dev.get("ID"))
        estimate = as_float(dev.get("estimate_hash_rate"))  # H/s
        boards.append(
            Board(
                index=position if index is None else index,
                hashrate=_ths(dev.get("MHS 20s")),
                expected_hashrate=positive(estimate / 1e12 if estimate is not None else None),
                chip_temp=positive(_max([as_float(dev.get(f"tstemp-{n}")) for n in (0, 1)])),
                board_temp=positive(as_float(dev.get("tstemp-2"))),
                expected_chips=row.chips_per_board if row else None,
            )
        )
    return tuple(boards)


def parse_fans(devs: Mapping[str, Any]) -> tuple[Fan, ...]:
    """The fans are shared: every board row repeats them as ``fan0``, ``fan1``…"""
    rows = _rows(devs, "DEVS")
    if not rows:
        return ()
    first = rows[0]
    numbers = sorted(int(key[3:]) for key in first if re.fullmatch(r"fan\d+", str(key)))
    return tuple(Fan(number, rpm=as_int(first.get(f"fan{number}"))) for number in numbers)


def parse_errors(devs: Mapping[str, Any], sleeping: bool) -> tuple[ReportedError, ...]:
    """Per board: the overheat flag, and a board that is not alive while it should mine."""
    errors = []
    for position, dev in enumerate(_rows(devs, "DEVS")):
        index = as_int(dev.get("ID"))
        board = position if index is None else index
        if as_int(dev.get("overheat")):
            errors.append(
                ReportedError(f"overheat:{board}", f"Hash board {board} stopped: overheated")
            )
        status = as_str(dev.get("Status"))
        if not sleeping and status is not None and status.lower() != "alive":
            errors.append(
                ReportedError(f"board:{board}", f"Hash board {board} is {status.lower()}")
            )
    return tuple(errors)


def capabilities_for(setting: Setting | None) -> Capabilities:
    if setting is None:
        return Capabilities()
    return Capabilities(
        mining_switch=setting.plan_of_level(LEVEL_SLEEP) is not None,
        fault_light=setting.led is not None,
        reboot=True,
        pools=True,
        power_modes=tuple(plan.name for plan in setting.plans if plan.level != LEVEL_SLEEP),
    )


def build_miner_data(
    status: StatusInfo,
    setting: Setting,
    summary_reply: Mapping[str, Any],
    devs_reply: Mapping[str, Any],
    pools_reply: Mapping[str, Any],
) -> MinerData:
    """One poll's replies → ``MinerData``."""
    summary = next(iter(_rows(summary_reply, "SUMMARY")), None)
    if summary is None:
        raise MinerProtocolError("The RPC summary reply has no SUMMARY (cut short?)")
    row = find_model(status.model)
    boards = parse_boards(devs_reply, row)
    plan = setting.plan
    sleeping = plan is not None and plan.level == LEVEL_SLEEP
    expected = [board.expected_hashrate for board in boards]
    frequencies = [positive(as_float(dev.get("clock"))) for dev in _rows(devs_reply, "DEVS")]
    return MinerData(
        family=Family.GOLDSHELL,
        model=model_name(status.model),
        firmware_version=status.firmware,
        mac=setting.mac,
        hostname=None if setting.mac else setting.name,
        hashrate=_ths(summary.get("MHS 20s")),
        expected_hashrate=(
            sum(value for value in expected if value is not None)
            if any(value is not None for value in expected)
            else None
        ),
        chip_temp_max=_max([board.chip_temp for board in boards]),
        board_temp_max=_max([board.board_temp for board in boards]),
        frequency=_max(frequencies),
        uptime=as_int(summary.get("Elapsed")),
        is_mining=None if setting.manual is None else not sleeping,
        fault_light=setting.led,
        power_mode=None if plan is None or sleeping else plan.name,
        shares_accepted=as_int(summary.get("Accepted")),
        shares_rejected=as_int(summary.get("Rejected")),
        best_session_difficulty=positive(as_float(summary.get("Best Share"))),
        board_version=status.hardware,
        fans=parse_fans(devs_reply),
        boards=boards,
        pools=parse_pools(pools_reply),
        errors=parse_errors(devs_reply, sleeping),
        capabilities=capabilities_for(setting),
    )


# --- identification -------------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    """The stock page is titled ``cloud-box``."""
    return "cloud-box" in page.body.lower()


async def _status_of(http: HttpTransport) -> StatusInfo | None:
    try:
        status, _, body = await http.request("GET", "/mcb/status", allow_redirects=False)
        if status != 200:
            return None
        return parse_status(decode_json(body, "/mcb/status"))
    except MinerProtocolError:
        return None


async def confirm(probe: Probe) -> Identity | None:
    """``/mcb/status`` names a Goldshell model; the login's setting gives the MAC."""
    if probe.web_down:
        return None
    if not page_matches(probe.page):
        version = await probe.rpc_version
        if "BFGMINER" not in json.dumps(version or {}).upper():
            return None
    status = await _status_of(probe.http)
    if status is None or not is_goldshell(status):
        return None
    miner = GoldshellMiner(
        probe.host,
        probe.session,
        port=probe.port,
        credentials=probe.credentials,
        timeout=probe.timeout,
        rpc_port=probe.rpc_port,
    )
    mac = None
    with contextlib.suppress(MinerError):  # an unknown login: the model and firmware stand
        mac = parse_setting(await miner.web("GET", "/mcb/setting")).mac
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.GOLDSHELL,
        model=model_name(status.model),
        firmware_version=status.firmware,
        mac=mac,
        api_flavour="mcb",
    )


# --- the miner ----------------------------------------------------------------------------


class GoldshellMiner(RpcMiner):
    """A Goldshell miner on its stock firmware: web API for settings, RPC for readings."""

    family = Family.GOLDSHELL
    default_port = 80

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._token: str | None = None
        self._status: StatusInfo | None = None
        self._setting: Setting | None = None
        self._last_uptime: int | None = None
        self._awake_select: int | None = None  # the plan to return to after sleeping

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._setting)

    async def _login(self) -> str:
        password = self.credentials.password
        password = DEFAULT_PASSWORD if password is None else password
        username = self.credentials.username or DEFAULT_USERNAME
        # The password as typed first; firmwares that want it as their page sends it refuse that.
        for cipher, sent in (("false", password), ("true", encrypt_password(password))):
            params = {"username": username, "password": sent, "cipher": cipher}
            status, _, body = await self.http.request(
                "GET", "/user/login", params=params, allow_redirects=False
            )
            if status not in (401, 403):
                break
        else:
            raise MinerAuthError(f"{self.host} refused the web login (wrong user or password)")
        self.http.raise_for_status(status, "/user/login", body, write=False)
        self._token = parse_token(decode_json(body, f"{self.host}/user/login"))
        return self._token

    async def web(self, method: str, path: str, body: Any = None) -> Any:
        """One ``/mcb/*`` request with the token; a refused token costs one login and a retry."""
        status, reply = await self._send(method, path, body, self._token or await self._login())
        if status == 401:
            status, reply = await self._send(method, path, body, await self._login())
        self.http.raise_for_status(status, path, reply, write=method != "GET")
        return decode_json(reply, f"{self.host}{path}") if reply.strip() else None

    async def _send(self, method: str, path: str, body: Any, token: str) -> tuple[int, bytes]:
        status, _, reply = await self.http.request(
            method,
            path,
            json_body=body,
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
        )
        return status, reply

    async def _connect(self) -> StatusInfo:
        status = parse_status(await self.http.get_json("/mcb/status"))
        if not is_goldshell(status):
            raise MinerProtocolError(f"{self.host} does not answer as a Goldshell miner")
        self._status = status
        if self._token is None:
            await self._login()
        return status

    async def read(self) -> MinerData:
        async with self.lock:
            status = self._status or await self._connect()
            replies, setting_reply = await asyncio.gather(
                self.rpc.commands("summary", "devs", "pools"), self.web("GET", "/mcb/setting")
            )
            setting = parse_setting(setting_reply)
            summary = next(iter(_rows(replies["summary"], "SUMMARY")), {})
            uptime = as_int(summary.get("Elapsed"))
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                status = await self._connect()  # restarted: the firmware may be a new one
            self._last_uptime = uptime
            self._setting = setting
            if setting.plan is not None and setting.plan.level != LEVEL_SLEEP:
                self._awake_select = setting.plan.select
        return build_miner_data(
            status, setting, replies["summary"], replies["devs"], replies["pools"]
        )

    async def _setting_now(self) -> Setting:
        setting = parse_setting(await self.web("GET", "/mcb/setting"))
        self._setting = setting
        return setting

    async def set_power_mode(self, mode: str) -> None:
        async with self.lock:
            setting = await self._setting_now()
            plans = {plan.name: plan for plan in setting.plans if plan.level != LEVEL_SLEEP}
            if mode not in plans:
                known = ", ".join(plans) or "none"
                raise MinerCommandError(f"Unknown power mode {mode!r}; this miner has {known}")
            await self.web(
                "PUT",
                "/mcb/setting",
                {**setting.raw, "select": plans[mode].select, "manual": False},
            )
            self._awake_select = plans[mode].select

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            setting = await self._setting_now()
            if enabled:
                awake = self._awake_select
                fallback = setting.plan_of_level(0) or next(
                    (plan for plan in setting.plans if plan.level != LEVEL_SLEEP), None
                )
                if awake is None and fallback is not None:
                    awake = fallback.select
                target = awake
            else:
                sleep = setting.plan_of_level(LEVEL_SLEEP)
                target = sleep.select if sleep else None
                current = setting.plan
                if current is not None and current.level != LEVEL_SLEEP:
                    self._awake_select = current.select
            if target is None:
                raise MinerCommandError(f"{self.host} has no power plan to do that with")
            await self.web(
                "PUT", "/mcb/setting", {**setting.raw, "select": target, "manual": False}
            )

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            setting = await self._setting_now()
            await self.web("PUT", "/mcb/setting", {**setting.raw, "ledcontrol": on})

    async def reboot(self) -> None:
        async with self.lock:
            await self.web("PUT", "/mcb/restart")

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > MAX_POOLS:
            raise MinerCommandError("Goldshell miners take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        async with self.lock:
            current = await self.web("GET", "/mcb/pools")
            listed = current if isinstance(current, list) else []
            configured = [item for item in listed if isinstance(item, Mapping)]
            # Last first, so that the positions (``dragid``) of the others stay as read.
            for position in reversed(range(len(configured))):
                item = configured[position]
                dragid = as_int(item.get("dragid"))
                await self.web(
                    "PUT",
                    "/mcb/delpool",
                    {
                        "url": item.get("url"),
                        "user": item.get("user"),
                        "pass": item.get("pass"),
                        "dragid": position if dragid is None else dragid,
                    },
                )
            for pool in pools:
                await self.web(
                    "PUT",
                    "/mcb/newpool",
                    {"url": pool.url.strip(), "user": pool.user, "pass": pool.password},
                )
