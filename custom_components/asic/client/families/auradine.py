"""Auradine Teraflux (FluxOS): a REST API on port 8080 with a ``Token`` header, GCMiner RPC on 4028.

The REST replies are CGMiner-shaped (``{"STATUS": [...], "<Section>": [...]}``). ``POST /token``
with ``{"command": "token", "user", "password"}`` (admin/admin by default) gives
``Token[0].Token``, sent as the ``Token`` header with every other request. A 401 (the token
expired, or the miner rebooted and forgot it) costs one new login and the request again; a 401
to the login itself is a wrong user or password.

Requests:

- at connect, once (again after GCMiner restarted, seen as ``Elapsed`` going back): the login
  and ``GET /ipreport`` (model, firmware, MAC, serial, hostname, hashboard serials).
- each poll: 5 requests sent at the same time — one joined RPC request
  ``summary+pools+devs`` (hashrate, watts, shares, uptime, pools, boards; one by one, 3, once
  the firmware has refused a joined request) and the REST GETs ``mode`` (sleep, mode, power
  and hashrate targets), ``led`` (the locate light), ``fan`` and ``temperature`` (board and chip
  temperatures).

Controls (REST POSTs carrying ``command``): mining off/on ``mode`` ``sleep`` on|off; power modes
``mode`` normal|eco|turbo; power limit in W ``mode`` custom with ``tune`` power and ``power``
(the range per model); fault light ``led`` code 3 (locate) or 2 (normal); reboot ``restart``;
restart mining ``restart`` with ``parameter`` gcminer; pools ``updatepools`` (the pool list is
all that command carries, so nothing else is touched).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
from typing import Any

from ..errors import MinerAuthError, MinerCommandError, MinerError, MinerProtocolError
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
from ..transport.http import HttpTransport, decode_json
from ..transport.rpc import RpcTransport
from ..units import as_float, as_int, as_str, positive
from .antminer import parse_pools

API_PORT = 8080
WEB_PORT = 80
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"  # noqa: S105 (the factory default, documented by the maker)
RPC_POLL = ("summary", "pools", "devs")
REST_POLL = ("mode", "led", "fan", "temperature")
POWER_MODES = ("eco", "normal", "turbo")
LED_NORMAL, LED_LOCATE = 2, 3
POOL_SLOTS = 3
RPC_MARKERS = ("GCMINER", "FLUXOS")


@dataclass(frozen=True, slots=True)
class AuradineModel:
    """One row of the model table (the maker's figures)."""

    name: str
    boards: int
    chips_per_board: int
    min_power: float  # W, the power-limit range
    max_power: float


MODELS: dict[str, AuradineModel] = {
    row.name: row
    for row in (
        AuradineModel("AT1500", 3, 132, 1500.0, 3600.0),
        AuradineModel("AT2860", 3, 132, 2000.0, 4800.0),
        AuradineModel("AT2880", 3, 132, 2000.0, 4800.0),
        AuradineModel("AI2500", 3, 132, 2000.0, 5000.0),
        AuradineModel("AI3680", 3, 176, 3000.0, 8000.0),
        AuradineModel("AD3500", 3, 176, 3000.0, 8000.0),
    )
}


def find_model(name: str | None) -> AuradineModel | None:
    return MODELS.get((name or "").strip().upper())


def capabilities_for(model_name: str | None, connected: bool = True) -> Capabilities:
    if not connected:
        return Capabilities()
    model = find_model(model_name)
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=NumberRange(model.min_power, model.max_power, 1.0) if model else None,
        power_modes=POWER_MODES,
    )


# --- parsers ------------------------------------------------------------------------------


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(reply: Any, section: str) -> list[Mapping[str, Any]]:
    listed = _obj(reply).get(section)
    if not isinstance(listed, list):
        return []
    return [item for item in listed if isinstance(item, Mapping)]


def _first(reply: Any, section: str) -> Mapping[str, Any]:
    items = _items(reply, section)
    return items[0] if items else {}


def status_error(reply: Any) -> str | None:
    """The ``Msg`` of a reply whose ``STATUS`` is an error, else None."""
    statuses = _obj(reply).get("STATUS")
    status = _obj(statuses[0] if isinstance(statuses, list) and statuses else statuses)
    if str(status.get("STATUS", "S")).upper() in ("E", "F"):
        return as_str(status.get("Msg")) or "the firmware refused it without saying why"
    return None


@dataclass(frozen=True, slots=True)
class IpReport:
    model: str | None = None
    firmware_version: str | None = None
    mac: str | None = None
    serial: str | None = None
    hostname: str | None = None
    board_serials: tuple[str, ...] = ()


def parse_ipreport(reply: Any) -> IpReport:
    report = _first(reply, "IPReport")
    serials = report.get("HBSerialNo")
    serials = serials if isinstance(serials, list) else []
    mac = as_str(report.get("mac"))
    return IpReport(
        model=as_str(report.get("model")),
        firmware_version=as_str(report.get("version")),
        mac=mac.upper() if mac else None,
        serial=as_str(report.get("SerialNo")),
        hostname=as_str(report.get("hostname")),
        board_serials=tuple(serial for item in serials if (serial := as_str(item))),
    )


def parse_rpc_identity(version: Any, devdetails: Any) -> tuple[str | None, str | None]:
    """(model, firmware) from RPC ``version`` and ``devdetails``."""
    return (
        as_str(_first(devdetails, "DEVDETAILS").get("Model")),
        as_str(_first(version, "VERSION").get("FluxOS")),
    )


def is_auradine_version(reply: Any) -> bool:
    text = json.dumps(reply, default=str).upper() if isinstance(reply, Mapping) else ""
    return any(marker in text for marker in RPC_MARKERS)


@dataclass(frozen=True, slots=True)
class Mode:
    name: str | None = None
    sleeping: bool | None = None
    power: float | None = None
    terahash: float | None = None


def parse_mode(reply: Any) -> Mode:
    mode = _first(reply, "Mode")
    sleep = (as_str(mode.get("Sleep")) or "").lower()
    return Mode(
        name=as_str(mode.get("Mode")),
        sleeping={"on": True, "off": False}.get(sleep),
        power=positive(as_float(mode.get("Power"))),
        terahash=positive(as_float(mode.get("Ths"))),
    )


def parse_led(reply: Any) -> bool | None:
    code = as_int(_first(reply, "LED").get("Code"))
    return None if code is None else code == LED_LOCATE


def parse_fans(reply: Any) -> tuple[Fan, ...]:
    fans = []
    for position, item in enumerate(_items(reply, "Fan")):
        index = as_int(item.get("Index"))
        fans.append(
            Fan(
                index=position if index is None else index,
                rpm=as_int(item.get("Speed")),
                percent=as_float(item.get("Percentage")),
            )
        )
    return tuple(fans)


@dataclass(frozen=True, slots=True)
class BoardTemps:
    board: float | None = None
    chip_max: float | None = None
    chip_avg: float | None = None


def parse_temperatures(reply: Any) -> dict[int, BoardTemps]:
    """``temperature``: by board ``ID`` (from 1)."""
    temps = {}
    for item in _items(reply, "Temperature"):
        board_id = as_int(item.get("ID"))
        if board_id is None:
            continue
        temps[board_id] = BoardTemps(
            board=positive(as_float(item.get("Temperature"))),
            chip_max=positive(as_float(item.get("ChipTempMax"))),
            chip_avg=positive(as_float(item.get("ChipTempAvg"))),
        )
    return temps


def parse_boards(
    devs: Any, temps: Mapping[int, BoardTemps], report: IpReport, mining: bool | None
) -> tuple[tuple[Board, ...], tuple[ReportedError, ...]]:
    """``devs`` (``ID`` from 1, ``MHS 5s``) with the temperatures → boards, and sick boards."""
    model = find_model(report.model)
    boards, errors = [], []
    for position, item in enumerate(_items(devs, "DEVS")):
        board_id = as_int(item.get("ID"))
        index = board_id - 1 if board_id is not None else position
        mhs = as_float(item.get("MHS 5s"))
        temp = temps.get(index + 1, BoardTemps())
        serials = report.board_serials
        boards.append(
            Board(
                index=index,
                hashrate=round(mhs / 1e6, 6) if mhs is not None else None,
                chip_temp=temp.chip_max,
                board_temp=temp.board or positive(as_float(item.get("Temperature"))),
                expected_chips=model.chips_per_board if model else None,
                serial=serials[index] if 0 <= index < len(serials) else None,
            )
        )
        status = as_str(item.get("Status"))
        if mining and status is not None and status.lower() != "alive":
            errors.append(ReportedError(f"board_{index}", f"Hashboard {index} is {status.lower()}"))
    return tuple(boards), tuple(errors)


def build_miner_data(
    report: IpReport, rpc: Mapping[str, Any], rest: Mapping[str, Any]
) -> MinerData:
    """The poll's RPC replies (by command) and REST replies (by command) → ``MinerData``."""
    summary = _first(rpc.get("summary"), "SUMMARY")
    if not summary:
        raise MinerProtocolError("The Auradine summary reply has no SUMMARY (cut short?)")
    mode = parse_mode(rest.get("mode"))
    mining = None if mode.sleeping is None else not mode.sleeping
    temps = parse_temperatures(rest.get("temperature"))
    boards, errors = parse_boards(rpc.get("devs"), temps, report, mining)
    mhs = as_float(summary.get("MHS 5s"))
    hashrate = round(mhs / 1e6, 6) if mhs is not None else None
    power = positive(as_float(summary.get("Wattage")))
    chip_max = [t.chip_max for t in temps.values() if t.chip_max is not None]
    chip_avg = [t.chip_avg for t in temps.values() if t.chip_avg is not None]
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    return MinerData(
        family=Family.AURADINE,
        model=report.model,
        firmware_version=report.firmware_version,
        mac=report.mac,
        serial=report.serial,
        hostname=report.hostname,
        hashrate=hashrate,
        expected_hashrate=mode.terahash if mining else None,
        power=power,
        power_limit=mode.power,
        efficiency=efficiency(power, hashrate),
        chip_temp_max=max(chip_max) if chip_max else None,
        chip_temp_avg=round(sum(chip_avg) / len(chip_avg), 1) if chip_avg else None,
        board_temp_max=max(board_temps) if board_temps else None,
        uptime=as_int(summary.get("Elapsed")),
        is_mining=mining,
        fault_light=parse_led(rest.get("led")),
        power_mode=mode.name,
        shares_accepted=as_int(summary.get("Accepted")),
        shares_rejected=as_int(summary.get("Rejected")),
        best_session_difficulty=positive(as_float(summary.get("Best Share"))),
        fans=parse_fans(rest.get("fan")),
        boards=boards,
        pools=parse_pools(_obj(rpc.get("pools"))),
        errors=errors,
        capabilities=capabilities_for(report.model),
    )


# --- the REST client ----------------------------------------------------------------------


class AuradineRest:
    """The REST API on 8080: a login for a token, then requests that carry it."""

    def __init__(self, http: HttpTransport, host: str, username: str, password: str) -> None:
        self.http = http
        self.host = host
        self._username = username
        self._password = password
        self.token: str | None = None
        self._login_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AuradineRest({self.host}, user={self._username!r})"

    async def login(self) -> str:
        body = {"command": "token", "user": self._username, "password": self._password}
        status, _, reply = await self.http.request(
            "POST", "/token", json_body=body, allow_redirects=False
        )
        if status in (401, 403):
            raise MinerAuthError(
                f"{self.host} refused the login of {self._username!r}; "
                "enter the user and password of the miner's web interface"
            )
        self.http.raise_for_status(status, "/token", reply, write=True)
        token = as_str(_first(decode_json(reply, f"{self.host}/token"), "Token").get("Token"))
        if not token:
            raise MinerProtocolError(f"{self.host} logged us in but gave no token")
        self.token = token
        return token

    async def _token(self, stale: str | None) -> str:
        """The current token; a new one when there is none or it is the one refused.

        Requests of one poll run together: the first to meet a 401 logs in, the others
        then find the new token instead of logging in again.
        """
        async with self._login_lock:
            if self.token is None or self.token == stale:
                return await self.login()
            return self.token

    async def _send(self, method: str, command: str, payload: Any, token: str) -> tuple[int, bytes]:
        status, _, reply = await self.http.request(
            method,
            f"/{command}",
            json_body=payload,
            headers={"Token": token},
            allow_redirects=False,
        )
        return status, reply

    async def call(self, command: str, body: Mapping[str, Any] | None = None) -> Any:
        """GET ``command`` (no body) or POST it; a token the miner forgot is renewed once."""
        method = "GET" if body is None else "POST"
        payload = None if body is None else {"command": command, **body}
        token = await self._token(None)
        status, reply = await self._send(method, command, payload, token)
        if status == 401:
            status, reply = await self._send(method, command, payload, await self._token(token))
            if status == 401:
                raise MinerAuthError(f"{self.host} keeps refusing a fresh token for {command}")
        where = f"{self.host}/{command}"
        try:
            answer = decode_json(reply, where)
        except MinerProtocolError:
            self.http.raise_for_status(status, f"/{command}", reply, write=body is not None)
            raise
        if (error := status_error(answer)) is not None:
            raise MinerCommandError(f"{self.host} refused {command}: {error}", code=status)
        self.http.raise_for_status(status, f"/{command}", reply, write=body is not None)
        return answer


# --- identification -----------------------------------------------------------------------


def page_matches(page: Any) -> bool:
    return "<title>miner ui</title>" in page.body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """Auradine when the RPC names GCMiner/FluxOS; the REST API (if the login works) adds the
    MAC, else the RPC ``devdetails`` gives the model."""
    version = await probe.rpc_version
    if version is None or not is_auradine_version(version):
        return None
    credentials = probe.credentials
    rest = AuradineRest(
        HttpTransport(probe.session, probe.host, API_PORT, timeout=probe.timeout),
        probe.host,
        credentials.username or DEFAULT_USERNAME,
        DEFAULT_PASSWORD if credentials.password is None else credentials.password,
    )
    try:
        report = parse_ipreport(await rest.call("ipreport"))
    except MinerError:
        report = IpReport()
    model, firmware = report.model, report.firmware_version
    if model is None:
        try:
            devdetails = await RpcTransport(
                probe.host, probe.rpc_port, timeout=probe.timeout
            ).command("devdetails")
        except MinerError:
            devdetails = {}
        model, rpc_firmware = parse_rpc_identity(version, devdetails)
        firmware = firmware or rpc_firmware
    return Identity(
        host=probe.host,
        port=API_PORT,
        rpc_port=probe.rpc_port,
        family=Family.AURADINE,
        model=model,
        firmware_version=firmware or parse_rpc_identity(version, {})[1],
        mac=report.mac,
        api_flavour="rest",
    )


# --- the miner ----------------------------------------------------------------------------


class AuradineMiner(RpcMiner):
    """An Auradine miner; ``port`` is its REST API (8080), ``rpc`` its GCMiner RPC."""

    family = Family.AURADINE
    default_port = API_PORT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        credentials = self.credentials
        self.rest = AuradineRest(
            HttpTransport(self.session, self.host, self.port, timeout=self.timeout),
            self.host,
            credentials.username or DEFAULT_USERNAME,
            DEFAULT_PASSWORD if credentials.password is None else credentials.password,
        )
        self._report: IpReport | None = None
        self._last_uptime: int | None = None

    @property
    def web_port(self) -> int:
        return WEB_PORT  # the dashboard; the API has a port of its own

    @property
    def capabilities(self) -> Capabilities:
        report = self._report
        return capabilities_for(report.model if report else None, connected=report is not None)

    async def _connect(self) -> None:
        self._report = parse_ipreport(await self.rest.call("ipreport"))

    async def read(self) -> MinerData:
        async with self.lock:
            if self._report is None:
                await self._connect()
            rpc, *rest = await asyncio.gather(
                self.rpc.commands(*RPC_POLL), *(self.rest.call(name) for name in REST_POLL)
            )
            uptime = as_int(_first(rpc.get("summary"), "SUMMARY").get("Elapsed"))
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                await self._connect()  # restarted, maybe into a new release
            self._last_uptime = uptime
            assert self._report is not None
            return build_miner_data(self._report, rpc, dict(zip(REST_POLL, rest, strict=True)))

    async def _post(self, command: str, **body: Any) -> None:
        async with self.lock:
            await self.rest.call(command, body)

    async def set_mining(self, enabled: bool) -> None:
        await self._post("mode", sleep="off" if enabled else "on")

    async def set_power_mode(self, mode: str) -> None:
        if mode not in POWER_MODES:
            raise MinerCommandError(
                f"Unknown power mode {mode!r}; Auradine has {', '.join(POWER_MODES)}"
            )
        await self._post("mode", mode=mode)

    async def set_power_limit(self, watts: float) -> None:
        await self._post("mode", mode="custom", tune="power", power=round(watts))

    async def set_fault_light(self, on: bool) -> None:
        await self._post("led", code=LED_LOCATE if on else LED_NORMAL)

    async def reboot(self) -> None:
        await self._post("restart")
        self.rest.token = None  # a reboot ends every token

    async def restart_mining(self) -> None:
        await self._post("restart", parameter="gcminer")

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not 1 <= len(pools) <= POOL_SLOTS:
            raise MinerCommandError("Auradine takes one to three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        await self._post(
            "updatepools",
            pools=[
                {"url": pool.url.strip(), "user": pool.user, "pass": pool.password}
                for pool in pools
            ],
        )
