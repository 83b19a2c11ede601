"""Innosilicon (T3H+, T3+ Pro, A10 Pro, A11 Pro): the DragonMint web API on 80 and RPC on 4028.

The web API is ``POST /api/<command>``: ``/api/auth`` takes ``username``/``password`` (a form)
and answers ``{"success": true, "jwt": …}``; every other command carries ``Authorization: Bearer
<jwt>`` and answers an object with ``success`` (``message`` says why when false). A token expires
(401 ``{"token": "expired"}``) and ends at a reboot: that costs one new login and the request
again. The RPC (the firmware's cgminer fork, "innominer") reads without a login.

Requests:

- at connect, once (again after a reboot, seen as the uptime going back): ``auth``,
  ``overview`` (type, build, MAC, hostname, hardware) and ``getAutoFreq`` (the power modes).
- each poll: 3 requests sent at the same time — ``getAll`` (power, fans, the power mode,
  per-board rates, chips and temperatures, uptime, running or not), ``getErrorDetail`` (the
  firmware's error code) and RPC ``summary+pools`` (hashrate in MH/s on every model, shares;
  the pools with their state; 2 single requests once the firmware refused a joined one).

Controls, as the stock page does them: mining off is ``poweroff`` (the controller stays up),
mining on and restart mining are ``restartCgMiner``; power modes are ``setAutoFreq``
(low/normal/high); reboot is ``reboot``; pools are ``updatePools`` with all three slots. There is
no fault light and no power limit in W on this firmware.

Units: ``getAll`` per-board rates are H/s (``Hash Rate H``) on the SHA-256 T3 series and MH/s
(``Hash Rate``) on the Ethash A10/A11 series; both become TH/s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import json
import re
from typing import Any
from urllib.parse import urlencode

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
    efficiency,
)
from ..probe import Probe, WebPage
from ..rpc_miner import RpcMiner
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, positive
from .antminer import parse_pools

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"  # noqa: S105 (the factory default of the web login)
POOL_SLOTS = 3
DEFAULT_MODES = ("low", "normal", "high")
MHS_PER_THS = 1e6
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# ``getErrorDetail`` codes, as Innosilicon's manuals list them (0 is no error).
ERROR_MESSAGES = {
    21: "No hash board detected (its PLUG signal is missing)",
    22: "The power supply's I2C link is failing",
    23: "The SPI link of every hash board is blocked",
    24: "Some hash boards cannot connect over SPI",
    25: "A hash board failed to set its frequency",
    26: "A hash board failed to set its voltage",
    27: "The chips' self test (BIST) failed",
    28: "A hash board's SPI link is failing",
    29: "The power supply's I2C link is failing",
    30: "The pool connection failed",
    31: "Some chips are damaged",
    32: "Over-temperature protection stopped mining",
    33: "A hash board is faulty",
    34: "The data cables are connected in the wrong order",
    35: "The power supply gives no output",
    36: "A hash board is faulty",
    37: "The control board and the hash boards do not match",
    40: "The power supply's output is abnormal",
    41: "The power supply's output is abnormal",
    42: "A hash board is faulty",
}


@dataclass(frozen=True, slots=True)
class InnosiliconModel:
    """One row of the model table: what differs by model."""

    name: str
    boards: int
    chips_per_board: int
    fans: int
    sha256: bool = True  # J/TH means something only for SHA-256 models


# Keyed by ``/api/type`` (the RPC ``Type``) without spaces, lower-cased.
MODELS: dict[str, InnosiliconModel] = {
    "t3h+": InnosiliconModel("Innosilicon T3H+", 3, 114, 4),
    "t3+pro": InnosiliconModel("Innosilicon T3+ Pro", 3, 114, 4),
    "t3+": InnosiliconModel("Innosilicon T3+", 3, 114, 4),
    "a10x": InnosiliconModel("Innosilicon A10 Pro", 3, 8, 2, sha256=False),
    "a11": InnosiliconModel("Innosilicon A11 Pro", 4, 8, 2, sha256=False),
}


def find_model(type_name: str | None) -> InnosiliconModel | None:
    return MODELS.get(re.sub(r"\s", "", type_name).lower()) if type_name else None


def model_name(type_name: str | None) -> str | None:
    row = find_model(type_name)
    if row is not None:
        return row.name
    return f"Innosilicon {type_name}" if type_name else None


# --- parsers ------------------------------------------------------------------------------


def parse_reply(reply: Any, where: str) -> Mapping[str, Any]:
    """A successful reply; ``success`` false is ``MinerCommandError`` with the firmware's words."""
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"{where} answered something other than an object")
    success = as_bool(reply.get("success"))
    if success is None:
        raise MinerProtocolError(f"{where} answered without saying whether it succeeded")
    if not success:
        message = as_str(reply.get("message")) or as_str(reply.get("msg")) or "refused"
        raise MinerCommandError(f"{where}: {message}")
    return reply


@dataclass(frozen=True, slots=True)
class Overview:
    """``overview``: the facts read once at connect."""

    type: str | None = None
    firmware: str | None = None
    mac: str | None = None
    hostname: str | None = None
    hardware: str | None = None


def parse_mac(value: Any) -> str | None:
    text = (as_str(value) or "").replace("-", ":").upper()
    return text if re.fullmatch(r"[0-9A-F]{2}(:[0-9A-F]{2}){5}", text) else None


def parse_overview(reply: Mapping[str, Any]) -> Overview:
    version = reply.get("version")
    version = version if isinstance(version, Mapping) else {}
    return Overview(
        type=as_str(reply.get("type")),
        firmware=as_str(version.get("build")),
        mac=parse_mac(version.get("ethaddr")),
        hostname=as_str(reply.get("hostname")),
        hardware=as_str(version.get("hwver")),
    )


def parse_modes(reply: Mapping[str, Any]) -> tuple[str, ...]:
    modes = reply.get("modes")
    names = tuple(
        name
        for name in (as_str(mode) for mode in (modes if isinstance(modes, list) else []))
        if name
    )
    return names or DEFAULT_MODES


def parse_error_detail(reply: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    code = as_int(reply.get("code"))
    if not code:
        return ()
    message = ERROR_MESSAGES.get(code) or as_str(reply.get("message")) or f"Error code {code}"
    return (ReportedError(str(code), message),)


def _board_rate(chain: Mapping[str, Any]) -> float | None:
    hashes = as_float(chain.get("Hash Rate H"))  # H/s, SHA-256 models
    if hashes is not None:
        return hashes / 1e12
    mhs = as_float(chain.get("Hash Rate"))  # MH/s, Ethash models
    return None if mhs is None else mhs / MHS_PER_THS


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def parse_boards(everything: Mapping[str, Any], row: InnosiliconModel | None) -> tuple[Board, ...]:
    boards = []
    for position, chain in enumerate(_list(everything.get("chain"))):
        index = as_int(chain.get("ASC"))
        boards.append(
            Board(
                index=position if index is None else index,
                hashrate=_board_rate(chain),
                chip_temp=positive(as_float(chain.get("Temp max"))),
                chips=as_int(chain.get("Num active chips")),
                expected_chips=row.chips_per_board if row else None,
            )
        )
    return tuple(boards)


def capabilities_for(modes: tuple[str, ...] | None) -> Capabilities:
    if modes is None:
        return Capabilities()
    return Capabilities(
        mining_switch=True, reboot=True, restart_mining=True, pools=True, power_modes=modes
    )


def build_miner_data(
    overview: Overview,
    modes: tuple[str, ...],
    *,
    all_reply: Mapping[str, Any],
    error_reply: Mapping[str, Any],
    summary_reply: Mapping[str, Any],
    pools_reply: Mapping[str, Any],
) -> MinerData:
    """One poll's replies → ``MinerData``."""
    everything = all_reply.get("all")
    if not isinstance(everything, Mapping):
        raise MinerProtocolError("getAll answered without its data (cut short?)")
    summaries = _list(summary_reply.get("SUMMARY"))
    summary = summaries[0] if summaries else {}
    row = find_model(overview.type)
    boards = parse_boards(everything, row)
    mhs = as_float(summary.get("MHS 5s"))
    hashrate = None if mhs is None else mhs / MHS_PER_THS
    power = positive(as_float(everything.get("power")))
    mode = everything.get("running_mode")
    fans = everything.get("fans")
    fan_percent = as_float(everything.get("fansSpeed"))
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    frequencies = [
        positive(as_float(chain.get("Frequency"))) for chain in _list(everything.get("chain"))
    ]
    known_frequencies = [value for value in frequencies if value is not None]
    return MinerData(
        family=Family.INNOSILICON,
        model=model_name(overview.type),
        firmware_version=overview.firmware,
        mac=overview.mac or parse_mac(everything.get("mac")),
        hostname=as_str(everything.get("hostname")) or overview.hostname,
        hashrate=hashrate,
        power=power,
        efficiency=efficiency(power, hashrate) if row is None or row.sha256 else None,
        chip_temp_max=max(chip_temps, default=None),
        frequency=max(known_frequencies, default=None),
        uptime=as_int(everything.get("uptime")),
        is_mining=as_bool(everything.get("running")),
        power_mode=as_str(mode.get("mode")) if isinstance(mode, Mapping) else None,
        shares_accepted=as_int(summary.get("Accepted")),
        shares_rejected=as_int(summary.get("Rejected")),
        board_version=overview.hardware,
        fans=tuple(
            Fan(index, rpm=as_int(rpm), percent=fan_percent) for index, rpm in enumerate(fans)
        )
        if isinstance(fans, list)
        else (),
        boards=boards,
        pools=parse_pools(pools_reply),
        errors=parse_error_detail(error_reply),
        capabilities=capabilities_for(modes),
    )


# --- identification -------------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    """The stock page is titled ``DragonMint``."""
    return "dragonmint" in page.body.lower()


def parse_version(reply: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """RPC ``version`` → (``Type``, firmware from ``Miner`` "InnoMiner <type> <build>")."""
    items = _list((reply or {}).get("VERSION"))
    version = items[0] if items else {}
    miner = as_str(version.get("Miner")) or ""
    if "INNOMINER" not in miner.upper() and "INNOMINER" not in json.dumps(reply or {}).upper():
        return None, None
    type_name = as_str(version.get("Type"))
    build = miner.rsplit(" ", 1)[-1] if miner.count(" ") >= 2 else None
    return type_name, build


async def confirm(probe: Probe) -> Identity | None:
    """The RPC names an InnoMiner (or the page is DragonMint's); the login gives the MAC."""
    version = await probe.rpc_version
    type_name, build = parse_version(version)
    if type_name is None and not page_matches(probe.page):
        return None
    miner = InnosiliconMiner(
        probe.host,
        probe.session,
        port=probe.port,
        credentials=probe.credentials,
        timeout=probe.timeout,
        rpc_port=probe.rpc_port,
    )
    overview = Overview()
    if not probe.web_down:
        with contextlib.suppress(MinerError):  # an unknown login: the RPC's facts stand
            overview = parse_overview(await miner.api("overview"))
    model = overview.type or type_name
    if model is None:
        return None
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.INNOSILICON,
        model=model_name(model),
        firmware_version=overview.firmware or build,
        mac=overview.mac,
        api_flavour="api",
    )


# --- the miner ----------------------------------------------------------------------------


class InnosiliconMiner(RpcMiner):
    """An Innosilicon miner on its stock firmware: web API and RPC."""

    family = Family.INNOSILICON
    default_port = 80

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()
        self._overview: Overview | None = None
        self._modes: tuple[str, ...] | None = None
        self._last_uptime: int | None = None

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._modes)

    async def _login(self, stale: str | None) -> str:
        async with self._login_lock:  # concurrent requests share one new login
            if self._token is not None and self._token != stale:
                return self._token
            password = self.credentials.password
            form = {
                "username": self.credentials.username or DEFAULT_USERNAME,
                "password": DEFAULT_PASSWORD if password is None else password,
            }
            status, _, body = await self.http.request(
                "POST", "/api/auth", data=urlencode(form).encode(), headers=FORM
            )
            self.http.raise_for_status(status, "/api/auth", body, write=False)
            try:
                reply = parse_reply(decode_json(body, f"{self.host}/api/auth"), "login")
            except MinerCommandError as err:
                raise MinerAuthError(f"{self.host} refused the web login: {err}") from None
            token = as_str(reply.get("jwt"))
            if token is None:
                raise MinerProtocolError(f"{self.host} answered its login without a token")
            self._token = token
            return token

    async def api(self, command: str, body: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """One ``/api`` command with the token; a refused token costs one login and a retry."""
        path = f"/api/{command}"
        token = self._token or await self._login(None)
        status, reply = await self._send(path, body, token)
        if status == 401:
            status, reply = await self._send(path, body, await self._login(token))
        self.http.raise_for_status(status, path, reply, write=body is not None)
        return parse_reply(decode_json(reply, f"{self.host}{path}"), f"{self.host} {command}")

    async def _send(
        self, path: str, body: Mapping[str, Any] | None, token: str
    ) -> tuple[int, bytes]:
        status, _, reply = await self.http.request(
            "POST",
            path,
            json_body=dict(body or {}),
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
        )
        return status, reply

    async def _connect(self) -> Overview:
        self._overview = parse_overview(await self.api("overview"))
        self._modes = parse_modes(await self.api("getAutoFreq"))
        return self._overview

    async def read(self) -> MinerData:
        async with self.lock:
            overview = self._overview or await self._connect()
            all_reply, error_reply, rpc = await asyncio.gather(
                self.api("getAll"),
                self.api("getErrorDetail"),
                self.rpc.commands("summary", "pools"),
            )
            everything = all_reply.get("all")
            uptime = as_int(everything.get("uptime")) if isinstance(everything, Mapping) else None
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                overview = await self._connect()  # rebooted: the firmware may be a new one
            self._last_uptime = uptime
            modes = self._modes or DEFAULT_MODES
        return build_miner_data(
            overview,
            modes,
            all_reply=all_reply,
            error_reply=error_reply,
            summary_reply=rpc["summary"],
            pools_reply=rpc["pools"],
        )

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            await self.api("restartCgMiner" if enabled else "poweroff", {})

    async def restart_mining(self) -> None:
        async with self.lock:
            await self.api("restartCgMiner", {})

    async def reboot(self) -> None:
        async with self.lock:
            await self.api("reboot", {})
            self._token = None  # a reboot ends every token

    async def set_power_mode(self, mode: str) -> None:
        async with self.lock:
            if self._modes is None:
                await self._connect()
            modes = self._modes or DEFAULT_MODES
            if mode not in modes:
                raise MinerCommandError(
                    f"Unknown power mode {mode!r}; this miner has {', '.join(modes)}"
                )
            await self.api("setAutoFreq", {"mode": mode})

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("Innosilicon miners take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        body: dict[str, str] = {}
        for slot in range(1, POOL_SLOTS + 1):
            pool = pools[slot - 1] if slot <= len(pools) else None
            body[f"Pool{slot}"] = pool.url.strip() if pool else ""
            body[f"UserName{slot}"] = pool.user if pool else ""
            body[f"Password{slot}"] = pool.password if pool else ""
        async with self.lock:
            await self.api("updatePools", body)
