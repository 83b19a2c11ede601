"""IceRiver (KS0 … KS5M, Kaspa): the stock web UI's form posts to ``/user/*`` on port 80.

Every call is ``POST /user/<page>`` with a form whose ``post`` field picks the action; replies are
``{"error": 0, "data": {…}, "message": ""}``. Reads need no login; writes need the cookie session
that ``loginpost`` (``post=6``, ``user``, ``pwd``) opens. The cookie is kept by this client itself
(shared client sessions drop cookies set by IP addresses). A write refused with ``error`` -1
("not login": the session timed out or the miner rebooted) costs one new login and the write
again. There is no RPC port.

Requests:

- at connect, once (again after a reboot, seen as the uptime going back): ``loginpost``. Reads
  would do without it, but it proves the login (a wrong password is ``MinerAuthError`` at once,
  not at the first write) and opens the session that writes use.
- each poll: 1 — ``userpanel`` ``post=4``: identity (``softver1`` names the model, the MAC),
  hashrate, uptime, fans, per-board rates and temperatures, the pools with their counters, the
  locate LED and the health flags.

Controls, as the stock page does them: mining off/on is the machine config's ``fanmode``
sleep/normal; the machine config is written whole (pools, fan floor, mode), read first with
``machineconfig`` ``post=1`` so the rest stays as it was; pools the same way (three slots);
the fault light is the locate LED (``userpanel`` ``post=5``); reboot is ``userpanel`` ``post=3``.
IceRiver has no power limit, no power modes beyond sleep and no restart of mining alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
import re
from typing import Any
from urllib.parse import urlencode

from ..errors import MinerAuthError, MinerCommandError, MinerProtocolError
from ..miner import Miner
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    Pool,
    PoolConfig,
    ReportedError,
)
from ..probe import Probe, WebPage
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, hashrate_to_th, positive

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "12345678"  # noqa: S105 (the factory default of the web login)
SESSION_COOKIE = "sessionid"
POOL_SLOTS = 3
ERROR_NOT_LOGGED_IN = -1
MODE_SLEEP, MODE_NORMAL = 0, 1
READS = frozenset({("userpanel", "4"), ("machineconfig", "1")})
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAGE_TITLE = "用户界面"  # "user interface": the stock page's title
RATE_PREFIXES = frozenset("KMGTPE")
_RATE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([KMGTPE]?)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class IceRiverModel:
    """One row of the model table: what differs by model."""

    name: str
    boards: int
    chips_per_board: int
    fans: int


# Keyed by the model part of ``softver1``, lower-cased.
MODELS: dict[str, IceRiverModel] = {
    "ks0": IceRiverModel("IceRiver KS0", 1, 4, 2),
    "ks0pro": IceRiverModel("IceRiver KS0 Pro", 1, 8, 2),
    "ks0ultra": IceRiverModel("IceRiver KS0 Ultra", 1, 8, 2),
    "ks1": IceRiverModel("IceRiver KS1", 1, 12, 2),
    "ks2": IceRiverModel("IceRiver KS2", 1, 24, 2),
    "ks3": IceRiverModel("IceRiver KS3", 3, 12, 4),
    "ks3l": IceRiverModel("IceRiver KS3L", 3, 12, 4),
    "ks3m": IceRiverModel("IceRiver KS3M", 3, 12, 4),
    "ks5l": IceRiverModel("IceRiver KS5L", 3, 18, 4),
    "ks5m": IceRiverModel("IceRiver KS5M", 3, 18, 4),
}


def split_softver(softver: str | None) -> tuple[str | None, str | None]:
    """``ICM168_3_2_10_ks5L_miner`` → (build ``ICM168_3_2_10``, model part ``ks5L``)."""
    if not softver:
        return None, None
    parts = softver.removesuffix("_miner").removesuffix("_bg").split("_")
    if len(parts) < 2:
        return softver, None
    return "_".join(parts[:-1]) or None, parts[-1] or None


def model_name(slug: str | None) -> str | None:
    if not slug:
        return None
    row = MODELS.get(slug.lower())
    return row.name if row else f"IceRiver {slug.upper()}"


# --- parsers ------------------------------------------------------------------------------


def parse_reply(reply: Any, where: str) -> Mapping[str, Any]:
    """The ``data`` of a successful reply; a refusal is ``MinerCommandError`` with its code."""
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"{where} answered something other than an object")
    code = as_int(reply.get("error"))
    if code is None:
        raise MinerProtocolError(f"{where} answered without an error code")
    if code != 0:
        message = as_str(reply.get("message")) or f"error {code}"
        raise MinerCommandError(f"{where} refused: {message}", code=code)
    data = reply.get("data")
    return data if isinstance(data, Mapping) else {}


def parse_rate(value: Any, unit: Any = "G") -> float | None:
    """``"12034G"``, ``"4012.37G"`` or a number in ``unit`` → TH/s."""
    if isinstance(value, str):
        match = _RATE.match(value)
        if match is None:
            return None
        number, letter = match.group(1), match.group(2)
    else:
        number, letter = value, ""
    prefix = (letter or as_str(unit) or "G").upper()
    return hashrate_to_th(number, f"{prefix}H" if prefix in RATE_PREFIXES else "GH")


def parse_runtime(value: Any) -> int | None:
    """``DD:HH:MM:SS`` → seconds."""
    text = as_str(value)
    parts = text.split(":") if text else []
    if len(parts) != 4 or not all(part.isdigit() for part in parts):
        return None
    days, hours, minutes, seconds = (int(part) for part in parts)
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_mac(value: Any) -> str | None:
    text = (as_str(value) or "").replace("-", ":").upper()
    return text if re.fullmatch(r"[0-9A-F]{2}(:[0-9A-F]{2}){5}", text) else None


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def parse_boards(panel: Mapping[str, Any], row: IceRiverModel | None) -> tuple[Board, ...]:
    unit = panel.get("unit")
    boards = []
    for position, item in enumerate(_list(panel.get("boards"))):
        number = as_int(item.get("no"))
        intake, outlet = as_float(item.get("intmp")), as_float(item.get("outtmp"))
        boards.append(
            Board(
                index=position if number is None else number - 1,
                hashrate=parse_rate(item.get("rtpow"), unit),
                expected_hashrate=parse_rate(item.get("idealpow"), unit),
                chip_temp=positive(outlet),
                board_temp=positive(intake),
                chips=as_int(item.get("chipsuc")),
                expected_chips=as_int(item.get("chipnum"))
                or (row.chips_per_board if row else None),
            )
        )
    return tuple(boards)


def parse_pools(panel: Mapping[str, Any]) -> tuple[Pool, ...]:
    pools = []
    for position, item in enumerate(_list(panel.get("pools"))):
        url = as_str(item.get("addr"))
        if url is None:
            continue
        number = as_int(item.get("no"))
        connected = as_float(item.get("connect"))
        pools.append(
            Pool(
                index=position if number is None else number - 1,
                url=url,
                user=as_str(item.get("user")),
                active=None if item.get("state") is None else as_float(item.get("state")) == 1,
                alive=None if connected is None else connected > 0,
                accepted=as_int(item.get("accepted")),
                rejected=as_int(item.get("rejected")),
            )
        )
    return tuple(pools)


# The health flags of ``userpanel`` (false is a fault) and what each means.
HEALTH_FLAGS = {
    "fanstate": "A fan has failed or runs too slowly",
    "tempstate": "The temperature is out of the safe range",
    "netstate": "The network connection is down",
}


def parse_errors(panel: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    errors = [
        ReportedError(flag, message)
        for flag, message in HEALTH_FLAGS.items()
        if as_bool(panel.get(flag)) is False
    ]
    for position, item in enumerate(_list(panel.get("boards"))):
        count = as_int(item.get("error"))
        if count:
            number = as_int(item.get("no")) or position + 1
            errors.append(
                ReportedError(f"board{number}", f"Hash board {number} reports {count} errors")
            )
    return tuple(errors)


CAPABILITIES = Capabilities(mining_switch=True, fault_light=True, reboot=True, pools=True)


def build_miner_data(panel: Mapping[str, Any]) -> MinerData:
    """``userpanel`` ``post=4`` → ``MinerData``."""
    build, slug = split_softver(as_str(panel.get("softver1")))
    if slug is None and build is None:
        raise MinerProtocolError("The IceRiver status has no software version (cut short?)")
    row = MODELS.get((slug or "").lower())
    boards = parse_boards(panel, row)
    pools = parse_pools(panel)
    active = next((pool for pool in pools if pool.active), None)
    fans = panel.get("fans")
    expected = [board.expected_hashrate for board in boards]
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    board_temps = [board.board_temp for board in boards if board.board_temp is not None]
    return MinerData(
        family=Family.ICERIVER,
        model=model_name(slug),
        firmware_version=build,
        mac=parse_mac(panel.get("mac")),
        hostname=as_str(panel.get("host")),
        hashrate=parse_rate(panel.get("rtpow"), panel.get("unit")),
        expected_hashrate=(
            sum(value for value in expected if value is not None)
            if any(value is not None for value in expected)
            else None
        ),
        chip_temp_max=max(chip_temps, default=None),
        board_temp_max=max(board_temps, default=None),
        uptime=parse_runtime(panel.get("runtime")),
        is_mining=as_bool(panel.get("powstate")),
        fault_light=as_bool(panel.get("locate")),
        shares_accepted=active.accepted if active else None,
        shares_rejected=active.rejected if active else None,
        board_version=as_str(panel.get("firmver1")),
        web_version=as_str(panel.get("softver2")),
        fans=tuple(Fan(index, rpm=as_int(rpm)) for index, rpm in enumerate(fans))
        if isinstance(fans, list)
        else (),
        boards=boards,
        pools=pools,
        errors=parse_errors(panel),
        capabilities=CAPABILITIES,
    )


def session_cookie(header: str | None) -> str | None:
    """The session id of a ``Set-Cookie`` header."""
    if not header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(header)  # what it cannot read, it leaves out
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


# --- identification -------------------------------------------------------------------------


def page_matches(page: WebPage) -> bool:
    return PAGE_TITLE in page.body


async def confirm(probe: Probe) -> Identity | None:
    """``userpanel`` answers without a login and names the model in ``softver1``."""
    miner = IceRiverMiner(
        probe.host,
        probe.session,
        port=probe.port,
        credentials=probe.credentials,
        timeout=probe.timeout,
    )
    try:
        data = build_miner_data(await miner.post("userpanel", post="4"))
    except (MinerProtocolError, MinerCommandError):
        return None
    if data.model is None:
        return None
    return Identity(
        host=probe.host,
        port=probe.port,
        family=Family.ICERIVER,
        model=data.model,
        firmware_version=data.firmware_version,
        mac=data.mac,
        api_flavour="user",
    )


# --- the miner ----------------------------------------------------------------------------


class IceRiverMiner(Miner):
    """An IceRiver KS miner on its stock firmware."""

    family = Family.ICERIVER
    default_port = 80

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._session_id: str | None = None
        self._connected = False
        self._last_uptime: int | None = None

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    async def _send(
        self, page: str, fields: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        headers = dict(FORM)
        if self._session_id:
            headers["Cookie"] = f"{SESSION_COOKIE}={self._session_id}"
        path = f"/user/{page}"
        status, reply_headers, body = await self.http.request(
            "POST", path, data=urlencode(fields).encode(), headers=headers, allow_redirects=False
        )
        reading = (page, fields.get("post")) in READS
        self.http.raise_for_status(status, path, body, write=not reading)
        return status, reply_headers, body

    async def post(self, page: str, **fields: str) -> Mapping[str, Any]:
        """One read: its ``data``."""
        _, _, body = await self._send(page, fields)
        return parse_reply(decode_json(body, f"{self.host}/user/{page}"), f"{self.host} {page}")

    async def _login(self) -> None:
        password = self.credentials.password
        fields = {
            "post": "6",
            "user": self.credentials.username or DEFAULT_USERNAME,
            "pwd": DEFAULT_PASSWORD if password is None else password,
        }
        self._session_id = None
        _, headers, body = await self._send("loginpost", fields)
        try:
            parse_reply(decode_json(body, f"{self.host}/user/loginpost"), f"{self.host} login")
        except MinerCommandError as err:
            raise MinerAuthError(f"{self.host} refused the web login: {err}") from None
        self._session_id = session_cookie(headers.get("Set-Cookie"))
        if self._session_id is None:
            raise MinerProtocolError(f"{self.host} opened no session at its login")

    async def write(self, page: str, **fields: str) -> Mapping[str, Any]:
        """One write in the session; "not login" costs one new login and the write again."""
        if self._session_id is None:
            await self._login()
        try:
            return await self.post(page, **fields)
        except MinerCommandError as err:
            if err.code != ERROR_NOT_LOGGED_IN:
                raise
        await self._login()
        return await self.post(page, **fields)

    async def read(self) -> MinerData:
        async with self.lock:
            if not self._connected:
                await self._login()
                self._connected = True
            panel = await self.post("userpanel", post="4")
            uptime = parse_runtime(panel.get("runtime"))
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                await self._login()  # rebooted: the session is gone, the login may be new
            self._last_uptime = uptime
        return build_miner_data(panel)

    async def _write_machine_config(
        self, *, mode: int | None = None, pools: Sequence[PoolConfig] | None = None
    ) -> None:
        """Read the machine config, change what is asked, send all of it back."""
        config = await self.post("machineconfig", post="1")
        slots = _list(config.get("pools"))
        current_mode = as_int(config.get("mode"))
        mode = current_mode if mode is None else mode
        fields = {
            "post": "2",
            "fanratio": str(as_int(config.get("ratio")) or 0),
            "fanmode": "sleep" if mode == MODE_SLEEP else "normal",
        }
        for index in range(POOL_SLOTS):
            values: tuple[str, ...]
            if pools is not None:
                pool = pools[index] if index < len(pools) else None
                values = (pool.url.strip(), pool.user, pool.password) if pool else ("", "", "")
            else:
                slot = slots[index] if index < len(slots) else {}
                values = tuple(as_str(slot.get(key)) or "" for key in ("addr", "user", "pass"))
            number = index + 1
            fields |= {
                f"pool{number}address": values[0],
                f"pool{number}miner": values[1],
                f"pool{number}pwd": values[2],
            }
        await self.write("machineconfig", **fields)

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            await self._write_machine_config(mode=MODE_NORMAL if enabled else MODE_SLEEP)

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            await self.write("userpanel", post="5", locate="1" if on else "0")

    async def reboot(self) -> None:
        async with self.lock:
            await self.write("userpanel", post="3")
            self._session_id = None  # a reboot ends every session

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > POOL_SLOTS:
            raise MinerCommandError("IceRiver miners take three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        async with self.lock:
            await self._write_machine_config(pools=pools)
