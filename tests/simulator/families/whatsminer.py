"""MicroBT Whatsminer (M30S … M66S): BTMiner's API v2 on 4028 and, on firmware after 2024-11,
API v3 on 4433; the web UI only redirects to https.

API v2 (port 4028, JSON in, JSON and a NUL out, one request per connection). ``summary``,
``pools``, ``devs``/``edevs`` and ``devdetails`` are BTMiner's cgminer-style replies (a
``STATUS`` list, ``Description`` "cgminer 4.9.2"); ``get_*`` and ``status`` are answered by the
API daemon in a flat shape (``{"STATUS": "S", "When", "Code": 131, "Msg": {...},
"Description"}``) and cannot be joined with ``+``. Privileged commands need a token from
``get_token`` and travel AES-256-ECB encrypted (``whatsminer_crypto``); they are refused until
the admin password was changed once from the default.

API v3 (port 4433): 4-byte little-endian length, then JSON, both ways; replies
``{"code", "when", "msg", "desc"}``; ``set.*`` writes carry ``ts``, ``account`` and an 8-character
token, and ``set.miner.pools`` an AES-encrypted ``param``.

Replies have the keys and JSON types of replies recorded from real miners on firmware
20210322 (API "whatsminer v1.4.0", ``legacy``) and 20230803 (API 2.0.5); see the README for
what is checked and what is assumed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Mapping
import contextvars
from dataclasses import dataclass
import hashlib
import json
import math
import re
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from .. import rpc, tls
from ..endpoint import Endpoint, HttpEndpoint
from ..faults import Fault
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from . import whatsminer_crypto as crypto, whatsminer_upgrade as upgrade
from .whatsminer_models import AIR, WhatsminerModel, find_model

RPC_V3 = "rpc_v3"
HTTPS = "https"
LUCI_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WhatsMiner - LuCI</title></head>
<body><form method="post" action="/cgi-bin/luci">
<input type="hidden" name="luci_username" value="admin">
<label>Password <input type="password" name="luci_password"></label>
<input type="submit" value="Login"></form></body></html>
"""
DEFAULT_MODEL = "M30S"
# Firmware builds: the two recorded generations of API v2, and one after the switch to v3.
FIRMWARE_V2 = "20230803.11.REL"
FIRMWARE_V2_LEGACY = "20210322.22.REL"
FIRMWARE_V3 = "20250321.14.Rel"
V3_SINCE = 20241101  # firmware built from this date on speaks API v3 on 4433
LEGACY_BEFORE = 20220101  # firmware built before this answers in the "whatsminer v1.4.0" shapes
API_V2 = "2.0.5"
API_V2_LEGACY = "whatsminer v1.4.0"
API_V3 = "3.0.1"
BTMINER_DESCRIPTION = "cgminer 4.9.2"
DEFAULT_PASSWORD_V2 = "admin"
DEFAULT_PASSWORD_V3 = "super"
V3_ACCOUNT = "super"
HOSTNAME = "WhatsMiner"
SALT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
TOKEN_LIFETIME = 1800.0  # s: "a token keepalive time is 30 minutes"
MAX_TOKENS_PER_CLIENT = 32  # "one IP can get 32 tokens"
V3_TS_WINDOW = 60  # s a set.* `ts` may differ from the miner's clock (assumed)
MAX_V3_FRAME = 1024 * 1024
POOL_DIFFICULTY = 65536.0  # the recorded miners' stratum difficulty
REJECT_RATIO = 0.002
AMBIENT = 26.0
IDLE_POWER = 55.0  # W with the hash boards off: control board, PSU and slow fans
MODE_POWER = {"low": 0.8, "normal": 1.0, "high": 1.12}
MODE_HASH = {"low": 0.84, "normal": 1.0, "high": 1.08}
MODE_WORD = {"low": "Low", "normal": "Normal", "high": "High"}
LED_COLORS = frozenset({"red", "green"})
PASSWORD_RULE = re.compile(r"[A-Za-z0-9_]{1,8}")

# Codes and texts of the API daemon (vendor document v2.0.5; texts as the firmware words them
# where a real reply was seen, see the README).
CODE_INVALID = 14
CODE_JSON = 23
CODE_DENIED = 45
CODE_OK = 131
CODE_ERROR = 132
CODE_TOKEN_OK = 134
CODE_TOKEN_CHECK = 135
CODE_TOKEN_MAX = 136
CODE_BASE64 = 137
CODE_DEVDETAILS = 69
MSG_OK = "API command OK"
MSG_ERROR = "API command ERROR"
MSG_INVALID = "invalid cmd"
MSG_JSON = "invalid JSON message"
MSG_ENC_JSON = "enc json load err"
MSG_WRITE_LOCKED = "can't access write cmd"
MSG_JOIN = "command join err"
MSG_TOKEN_CHECK = "check token err"
MSG_TOKEN_MAX = "token over max times"
MSG_BASE64 = "base64 decode err"
V3_OK, V3_FAIL, V3_INVALID_COMMAND, V3_NO_PERMISSION = 0, -1, -2, -4

BTMINER_COMMANDS = frozenset({"summary", "pools", "devs", "edevs", "devdetails"})
PRIVILEGED_COMMANDS = frozenset(
    {
        "update_pools",
        "restart_btminer",
        "reboot",
        "power_off",
        "power_on",
        "set_led",
        "set_low_power",
        "set_normal_power",
        "set_high_power",
        "adjust_power_limit",
        "update_pwd",
        "factory_reset",
        "upgrade_firmware",
        "net_config",
        "set_target_freq",
        "set_power_pct",
        "set_hostname",
        "set_zone",
        "enable_web_pools",
        "disable_web_pools",
    }
)
V3_SENSITIVE = frozenset({"set.miner.pools", "set.user.change_passwd"})

FlatReply = dict[str, Any]
# The peer of the connection being answered: tokens are kept per client address.
_client_address: contextvars.ContextVar[str] = contextvars.ContextVar("client", default="")


@dataclass
class _Connection:
    """One API v2 connection: whether ``upgrade_firmware`` was answered ``ready`` on it."""

    upload_ready: bool = False


_connection: contextvars.ContextVar[_Connection | None] = contextvars.ContextVar(
    "connection", default=None
)


def firmware_date(firmware: str) -> int:
    """``20230803.11.REL`` → 20230803 (0 when the build has no date)."""
    match = re.match(r"\s*'?(\d{8})", firmware)
    return int(match.group(1)) if match else 0


def _digits(seed: str, count: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:count])


@dataclass(slots=True)
class Token:
    sign: str
    issued: float  # time.monotonic()


class WhatsminerPhysics(Physics):
    """Hashrate follows mining state, power mode and power limit; heat and fans follow power."""

    def __init__(self, model: WhatsminerModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.frequency,
            default_voltage=1,
            nominal_power=model.power,
            idle_power=IDLE_POWER,
            input_voltage=230_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.mining = True
        self.mode = "normal"
        self.power_limit = model.limit_range[1]
        self.board_rates: list[float] = [0.0] * model.boards  # GH/s
        self.board_temps: list[float] = [AMBIENT] * model.boards
        self.chip_temps: list[tuple[float, float, float]] = [(AMBIENT,) * 3] * model.boards
        self.fan_in = 0
        self.fan_out = 0
        self.psu_fan = 0
        self.env_temp = AMBIENT
        self.target_power = float(model.power)
        self._credit = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        state.paused = not self.mining
        self.target_power = model.power * MODE_POWER[self.mode]
        if self.mining:
            power = min(self.target_power, float(self.power_limit))
            scale = (power / self.target_power) ** 0.85
            state.expected_hashrate = model.hashrate * 1000 * MODE_HASH[self.mode] * scale
            state.frequency = model.frequency * MODE_HASH[self.mode] * scale
            state.hashrate = state.expected_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = state.expected_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = state.expected_hashrate * rng.uniform(0.995, 1.005)
            state.hashrate_1h = state.expected_hashrate * rng.uniform(0.997, 1.003)
            state.power = power * rng.uniform(0.985, 1.005)
        else:
            state.expected_hashrate = 0.0
            state.frequency = 0.0
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.power = IDLE_POWER * rng.uniform(0.95, 1.05)
        load = state.power / model.power
        self.env_temp = AMBIENT + rng.uniform(-0.6, 0.6)
        if model.cooling == AIR:
            fan = 0.2 if not self.mining else min(1.0, 0.3 + 0.62 * load)
            self.fan_in = round(model.max_fan_rpm * fan * rng.uniform(0.98, 1.02) / 10) * 10
            self.fan_out = round(model.max_fan_rpm * fan * rng.uniform(0.97, 1.01) / 10) * 10
            factor = (FAN_FLOOR + (1 - FAN_FLOOR) * fan) / (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9)
            rise = 44 * load / factor
        else:
            self.fan_in = self.fan_out = 0
            rise = 30 * load  # the coolant carries the heat away
        state.fan_percent = round(100 * self.fan_in / model.max_fan_rpm) if model.fans else 0
        state.fan_rpm = self.fan_in
        self.psu_fan = round(6000 + 1800 * min(load, 1.2) * rng.uniform(0.98, 1.02))
        self.board_temps = [
            round(self.env_temp + rise + rng.uniform(-1.5, 1.5), 2) for _ in range(model.boards)
        ]
        self.chip_temps = [
            (
                round(board + 2 * load + rng.uniform(0, 1), 2),
                round(board + 12 * load + rng.uniform(-0.5, 0.5), 2),
                round(board + 19 * load + rng.uniform(0, 1.5), 2),
            )
            for board in self.board_temps
        ]
        state.vr_temp = max(self.board_temps)
        state.temp = max(high for _low, _avg, high in self.chip_temps)
        per_board = state.hashrate / model.boards
        self.board_rates = [
            per_board * rng.uniform(0.98, 1.02) if self.mining else 0.0 for _ in self.board_temps
        ]
        state.uptime += elapsed
        if self.mining and elapsed > 0:
            self._shares(state, elapsed)

    def _shares(self, state: MinerState, elapsed: float) -> None:
        self._credit += state.hashrate * 1e9 / (POOL_DIFFICULTY * 2**32) * elapsed
        found = math.floor(self._credit)
        if found <= 0:
            return
        self._credit -= found
        rejected = round(found * REJECT_RATIO * self.rng.uniform(0, 2))
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        best = POOL_DIFFICULTY / max(1 - self.rng.random() ** (1 / found), 1e-12)
        state.best_session_diff = max(state.best_session_diff, best)
        state.best_diff = max(state.best_diff, best)

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self._credit = 0.0


class WhatsminerMiner(SimulatedMiner):
    """A Whatsminer on stock firmware, API v2 (and v3 on firmware after 2024-11)."""

    family = "whatsminer"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028, RPC_V3: 4433, HTTPS: 443}
    rpc_ports: ClassVar[frozenset[str]] = frozenset({RPC, RPC_V3})

    def __init__(self, spec: MinerSpec, **kwargs: Any) -> None:
        self.board = find_model(DEFAULT_MODEL if spec.model == MinerSpec().model else spec.model)
        api = (spec.api or "").strip().lower().removeprefix("v")
        if api not in ("", "2", "3"):
            raise ValueError(f"Whatsminer 'api' is v2 or v3, not {spec.api!r}")
        if api:
            self.api_v3 = api == "3"
        else:
            self.api_v3 = spec.firmware is not None and firmware_date(spec.firmware) >= V3_SINCE
        if spec.firmware:
            self.firmware = spec.firmware
        elif self.api_v3:
            self.firmware = FIRMWARE_V3
        else:
            self.firmware = FIRMWARE_V2_LEGACY if spec.legacy else FIRMWARE_V2
        date = firmware_date(self.firmware)
        self.legacy = not self.api_v3 and (
            spec.legacy if spec.legacy is not None else 0 < date < LEGACY_BEFORE
        )
        default_password = DEFAULT_PASSWORD_V3 if self.api_v3 else DEFAULT_PASSWORD_V2
        self.password = spec.password or default_password
        if spec.password_changed is not None:
            self.password_changed = spec.password_changed
        else:  # a password other than the default can only have come from changing it
            self.password_changed = self.password != DEFAULT_PASSWORD_V2
        self.token_lifetime = TOKEN_LIFETIME
        super().__init__(spec, **kwargs)
        if not self.api_v3:
            self._endpoints.pop(RPC_V3)  # v2-only firmware has nothing on 4433

    # --- construction -----------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        # The shape of the recorded MACs (C4:08:28:00:A4:19); the OUI is not verified.
        return seeded_mac("C4:08:28:00", seed)

    def initial_state(self, mac: str) -> MinerState:
        model = self.board
        self.salt = _digits(f"salt:{self.seed}", 8, SALT_ALPHABET)  # of the shadow entry
        self._set_password(self.password)
        self.v3_salt = _digits(f"v3salt:{self.seed}", 8, SALT_ALPHABET)
        self.tokens: dict[str, list[Token]] = {}
        self.serial = model.serial_prefix + _digits(
            f"sn:{self.seed}", 16, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
        )
        self.psu_serial = "P" + _digits(f"psu:{self.seed}", 19, "0123456789ABCDEFGHJKLMNP")
        self.board_serials = [
            model.serial_prefix + _digits(f"pcb{index}:{self.seed}", 16, "0123456789ABCDEFGHJK")
            for index in range(model.boards)
        ]
        self.pools: list[dict[str, str]] = [
            {"url": url, "user": f"simulated.{mac.replace(':', '')[-4:].lower()}", "passwd": "x"}
            for url in (
                "stratum+tcp://btc.f2pool.com:1314",
                "stratum+tcp://btc-asia.f2pool.com:1314",
                "stratum+tcp://btc-euro.f2pool.com:1314",
            )
        ]
        self.led: str | dict[str, Any] = "auto"
        self.error_codes: list[tuple[int, str]] = []  # (code, "YYYY-MM-DD HH:MM:SS")
        self.btminer_since = 0.0  # system uptime when BTMiner last started
        self.mineroff_time = ""
        self.last_action: dict[str, Any] | None = None
        self.upload_waiting: set[str] = set()  # clients answered "ready" by upgrade_firmware
        self.last_upload: dict[str, Any] | None = None
        return MinerState(
            mac=mac,
            hostname=self.spec.hostname or HOSTNAME,
            model=model.type_name,
            version=self.firmware,
            www_version=self.firmware,
            board_version=model.platform,
            asic_model="",
            asic_count=model.boards * model.chips_per_board,
            small_core_count=0,
            frequency=float(model.frequency),
            core_voltage=0,
            pools=[],
        )

    def _set_password(self, password: str) -> None:
        self.password = password
        self.passwd_md5 = crypto.host_passwd_md5(password, self.salt)
        self.key = crypto.aes_key(self.passwd_md5)

    def make_physics(self) -> Physics:
        return WhatsminerPhysics(self.board, self.seed)

    @property
    def wm_physics(self) -> WhatsminerPhysics:
        assert isinstance(self.physics, WhatsminerPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": V3_ACCOUNT if self.api_v3 else "admin", "password": self.password}

    @property
    def rpc_description(self) -> str:
        return BTMINER_DESCRIPTION

    @property
    def daemon_description(self) -> str:
        """``Description`` of the API daemon's flat replies: the API name on old firmware."""
        return API_V2_LEGACY if self.legacy else ""

    @property
    def api_version(self) -> str:
        if self.api_v3:
            return API_V3
        return API_V2_LEGACY if self.legacy else API_V2

    @property
    def elapsed(self) -> int:
        """Seconds since BTMiner (re)started: `Elapsed`; `Uptime` counts from boot."""
        return max(0, int(self._state.uptime - self.btminer_since))

    def _endpoint_handler(self, name: str) -> rpc.ConnectionHandler:
        return self._serve_v3 if name == RPC_V3 else self._serve_v2

    def _make_endpoint(self, name: str, host: str, port: int) -> Endpoint:
        if name in self.rpc_ports:
            return rpc.TcpEndpoint(host, port, self._endpoint_handler(name))
        if name == HTTPS:  # LuCI, with a self-signed certificate as the firmware has
            return HttpEndpoint(host, port, self._serve_http, tls=tls.server_context())
        return super()._make_endpoint(name, host, port)

    def tick(self) -> None:
        self._state.pools = [_pool_state(pool) for pool in self.pools if pool["url"]]
        super().tick()

    def on_boot(self) -> None:
        self.led = "auto"
        self.tokens.clear()  # the token table lives in RAM
        self.upload_waiting.clear()
        self.btminer_since = 0.0
        self.wm_physics.mining = True
        self.mineroff_time = ""

    def restart_btminer(self) -> None:
        """BTMiner starts again: `Elapsed`, shares and averages start from zero."""
        state = self._state
        self.btminer_since = state.uptime
        state.shares_accepted = state.shares_rejected = 0
        state.best_session_diff = 0.0

    def _reboot_soon(self, *, stay_down: bool = False) -> None:
        """Reboot once the current reply is on its way (rebooting closes every connection)."""

        async def later() -> None:
            await asyncio.sleep(0.05)
            self.reboot(stay_down=stay_down)

        self.spawn(later(), "reboot-after-reply")

    def _privileged_locked(self) -> bool:
        return not self.password_changed or self.has_fault(Fault.PRIVILEGED_LOCKED)

    # --- API v2: transport ------------------------------------------------------------------

    async def _serve_v2(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if peer else ""
        token = _client_address.set(client)
        connection = _Connection()
        connection_token = _connection.set(connection)
        try:
            if client in self.upload_waiting:  # the file may come on a new connection
                self.upload_waiting.discard(client)
                head = await reader.read(rpc.READ_CHUNK)
                if head and not head.lstrip().startswith(b"{"):
                    await self._receive_firmware(head, reader, writer)
                    return
                reader = await _replayed(head, reader)
            await self._serve_rpc(reader, writer)
            if connection.upload_ready:
                head = await reader.read(rpc.READ_CHUNK)
                if head:  # the file follows on this connection
                    self.upload_waiting.discard(client)
                    await self._receive_firmware(head, reader, writer)
        finally:
            _connection.reset(connection_token)
            _client_address.reset(token)

    async def _receive_firmware(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Read the size-prefixed image; install it and reboot, or answer an error."""
        try:
            image = await upgrade.read_image(head, reader)
            build = upgrade.build_of(image)
        except (upgrade.BadImageError, asyncio.IncompleteReadError):
            build = None
            image = b""
        self.last_upload = {"size": len(image), "build": build}
        if build is None or self.has_fault(Fault.FIRMWARE_REJECTED):
            writer.write(rpc.encode(self._error(CODE_ERROR, MSG_ERROR)))
            await writer.drain()
            return
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.firmware = build
            self._state.version = self._state.www_version = build
        # No reply (assumed): the miner closes the connection and flashes, then reboots.
        self._reboot_soon(stay_down=self.has_fault(Fault.NEVER_RETURNS))

    def _flat(self, msg: Any, code: int = CODE_OK, *, error: bool = False) -> FlatReply:
        """The API daemon's own reply shape."""
        return {
            "STATUS": "E" if error else "S",
            "When": int(time.time()),
            "Code": code,
            "Msg": msg,
            "Description": self.daemon_description,
        }

    def _error(self, code: int, message: str) -> FlatReply:
        return self._flat(message, code, error=True)

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        payload = request.payload
        if request.error == rpc.CODE_INVALID_JSON:
            return self._error(CODE_JSON, MSG_JSON)
        if "enc" in payload:
            return self._privileged(payload)
        name = request.command or str(payload.get("cmd") or "").strip()
        if not name:
            return self._error(CODE_INVALID, MSG_INVALID)
        names = name.split("+")
        if len(names) > 1:
            if not all(part in self._btminer_commands() for part in names):
                return self._error(CODE_DENIED, MSG_JOIN)
            return self._btminer_api().answer(rpc.RpcRequest(name, payload=payload))
        if name in self._btminer_commands():
            return self._btminer_api().answer(rpc.RpcRequest(name, payload=payload))
        handler = self._daemon_commands().get(name)
        if handler is not None:
            return handler(payload)
        if name in PRIVILEGED_COMMANDS:  # a write sent in plain text
            return self._error(CODE_DENIED, MSG_WRITE_LOCKED)
        return self._error(CODE_INVALID, MSG_INVALID)

    def _btminer_commands(self) -> frozenset[str]:
        if self.api_v3:  # what is left of BTMiner's v2 API on v3 firmware (assumed)
            return frozenset({"summary", "pools"})
        return BTMINER_COMMANDS

    def _btminer_api(self) -> rpc.CgminerApi:
        return rpc.CgminerApi(
            BTMINER_DESCRIPTION,
            {
                "summary": self.rpc_summary,
                "pools": self.rpc_pools,
                "devs": self.rpc_devs,
                "edevs": self.rpc_devs,
                "devdetails": self.rpc_devdetails,
            },
        )

    def _daemon_commands(self) -> dict[str, Callable[[Mapping[str, Any]], FlatReply]]:
        commands: dict[str, Callable[[Mapping[str, Any]], FlatReply]] = {
            "get_version": self.get_version,
            "get_psu": self.get_psu,
            "status": self.get_status,
            "get_miner_info": self.get_miner_info,
            "get_token": self.get_token,
        }
        if not self.legacy:  # API 2.0.1 and newer
            commands["get_error_code"] = self.get_error_code
        return commands

    # --- API v2: BTMiner's replies ----------------------------------------------------------

    def _mhs(self, ghs: float) -> float:
        return round(ghs * 1000, 2)

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, model, physics = self._state, self.board, self.wm_physics
        elapsed = self.elapsed
        accepted, rejected = state.shares_accepted, state.shares_rejected
        total = max(accepted + rejected, 1)
        low, avg, high = (
            min(temps[0] for temps in physics.chip_temps),
            sum(temps[1] for temps in physics.chip_temps) / model.boards,
            max(temps[2] for temps in physics.chip_temps),
        )
        mining = physics.mining
        summary: dict[str, Any] = {
            "Elapsed": elapsed,
            "MHS av": self._mhs(state.hashrate_1h),
            "MHS 5s": self._mhs(state.hashrate),
            "MHS 1m": self._mhs(state.hashrate_1m),
            "MHS 5m": self._mhs(state.hashrate_10m),
            "MHS 15m": self._mhs(state.hashrate_1h),
            "HS RT": self._mhs(state.hashrate_10m),
            "Found Blocks": 0,
            "Getworks": elapsed // 11,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": elapsed // 150,
            "Utility": round(accepted / max(elapsed / 60, 1 / 60), 2),
            "Discarded": elapsed * 60,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 7800,
            "Remote Failures": 0,
            "Network Blocks": elapsed // 600,
            "Total MH": float(round(state.hashrate_1h * 1000 * elapsed)),
            "Work Utility": round(state.hashrate_1h * 60 / 4.295, 2),
            "Difficulty Accepted": accepted * POOL_DIFFICULTY,
            "Difficulty Rejected": rejected * POOL_DIFFICULTY,
            "Difficulty Stale": 0.0,
            "Best Share": round(state.best_session_diff),
            "Temperature": round(max(physics.board_temps), 2),
            "freq_avg": round(state.frequency),
            "Fan Speed In": physics.fan_in,
            "Fan Speed Out": physics.fan_out,
            "Voltage": 1180 if mining else 0,
            "Power": round(state.power),
            "Power_RT": round(state.power * 1.003),
            "Device Hardware%": round(0.011 if mining else 0.0, 4),
            "Device Rejected%": round(100 * rejected / total, 4),
            "Pool Rejected%": round(100 * rejected / total, 4),
            "Pool Stale%": 0.0,
            "Last getwork": 0,
            "Uptime": int(state.uptime),
            "Security Mode": 0,
            "Hash Stable": mining and elapsed > 600,
            "Hash Stable Cost Seconds": min(elapsed, 600),
            "Hash Deviation%": round(
                100 * (state.hashrate_10m / state.expected_hashrate - 1)
                if state.expected_hashrate
                else 0.0,
                4,
            ),
            "Target Freq": round(state.frequency),
            "Target MHS": round(state.expected_hashrate * 1000),
            "Env Temp": round(physics.env_temp, 2),
            "Power Mode": MODE_WORD[physics.mode],
            "Factory Error Code Count": 0,
            "Factory GHS": round(model.hashrate * 1000),
            "Power Limit": physics.power_limit,
            "Chip Temp Min": round(low, 2),
            "Chip Temp Max": round(high, 2),
            "Chip Temp Avg": round(avg, 2),
            "Liquid Cooling": model.cooling != AIR,
            "Power Current": round(state.power / 13.1),
            "Power Fanspeed": physics.psu_fan,
            "Error Code Count": len(self.error_codes),
            "Firmware Version": f"'{self.firmware}'",
            "MAC": state.mac,
            "CB Platform": f"ALLWINNER_{model.platform}",
            "CB Version": "V8" if model.platform == "H3" else "V10",
            "Chip Data": "HP5A01-19101436   BINV04-192101D",
        }
        if self.legacy:  # error codes moved from summary to get_error_code with API 2.0.4
            summary.pop("Env Temp")
            for index, (code, _when) in enumerate(self.error_codes):
                summary[f"Error Code {index}"] = code
        if self.api_v3:  # v3 firmware's leftover v2 summary lacks the power and heat readings
            for key in V3_COMPAT_DROPPED:
                summary.pop(key, None)
        return rpc.reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary", BTMINER_DESCRIPTION)

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        mining = self.wm_physics.mining
        entries = []
        configured = [pool for pool in self.pools if pool["url"]]
        for index, pool in enumerate(configured):
            active = index == 0 and mining
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            total = max(accepted + rejected, 1)
            entries.append(
                {
                    "POOL": index + 1,
                    "URL": pool["url"],
                    "Status": "Alive",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": self.elapsed // 11 if active else 0,
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Works": self.elapsed * 7800 if active else 0,
                    "Discarded": self.elapsed * 60 if active else 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool["user"],
                    "Last Share Time": int(time.time()) - 3 if active and accepted else 0,
                    "Diff1 Shares": accepted * 256 if active else 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": accepted * POOL_DIFFICULTY,
                    "Difficulty Rejected": rejected * POOL_DIFFICULTY,
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": POOL_DIFFICULTY if active and accepted else 0.0,
                    "Work Difficulty": 0.0,
                    "Has Stratum": True,
                    "Stratum Active": active,
                    "Stratum URL": _host_of(pool["url"]),
                    "Stratum Difficulty": POOL_DIFFICULTY if active else 0.0,
                    "Has GBT": False,
                    "Best Share": round(state.best_session_diff) if active else 0,
                    "Pool Rejected%": round(100 * rejected / total, 4),
                    "Pool Stale%": 0.0,
                    "Bad Work": self.elapsed // 500 if active else 0,
                    "Current Block Height": 920_000 + int(time.time()) // 600 % 1000
                    if active
                    else 0,
                    "Current Block Version": 536870912 if active else 0,
                }
            )
        return rpc.reply(
            "POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)", BTMINER_DESCRIPTION
        )

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, model, physics = self._state, self.board, self.wm_physics
        elapsed = self.elapsed
        now = int(time.time())
        devices = []
        for index in range(model.boards):
            share = 1 / model.boards
            accepted = int(state.shares_accepted * share)
            rejected = int(state.shares_rejected * share)
            rate = physics.board_rates[index]
            low, avg, high = physics.chip_temps[index]
            device: dict[str, Any] = {
                "ASC": index,
                "Name": "SM",
                "ID": index,
                "Slot": index,
                "Enabled": "Y",
                "Status": "Alive",
                "Temperature": round(physics.board_temps[index], 2),
                "Chip Frequency": round(state.frequency),
                "Fan Speed In": physics.fan_in,
                "Fan Speed Out": physics.fan_out,
                "MHS av": self._mhs(rate * 0.999),
                "MHS 5s": self._mhs(rate * 1.01),
                "MHS 1m": self._mhs(rate),
                "MHS 5m": self._mhs(rate * 0.998),
                "MHS 15m": self._mhs(rate * 0.999),
                "Accepted": accepted,
                "Rejected": rejected,
                "Hardware Errors": elapsed // 450,
                "Utility": round(accepted / max(elapsed / 60, 1 / 60), 2),
                "Last Share Pool": 0,
                "Last Share Time": now - 2 if accepted else 0,
                "Total MH": float(round(rate * 1000 * elapsed)),
                "Diff1 Work": accepted * 256,
                "Difficulty Accepted": accepted * POOL_DIFFICULTY,
                "Difficulty Rejected": rejected * POOL_DIFFICULTY,
                "Last Share Difficulty": POOL_DIFFICULTY if accepted else 0.0,
                "Last Valid Work": now if physics.mining else 0,
                "Device Hardware%": round(0.011 if physics.mining else 0.0, 4),
                "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                "Device Elapsed": elapsed,
                "Upfreq Complete": 1 if elapsed > 300 else 0,
                "Effective Chips": model.chips_per_board,
                "PCB SN": self.board_serials[index],
                "Chip Temp Min": low,
                "Chip Temp Max": high,
                "Chip Temp Avg": avg,
            }
            if not self.legacy:
                device["Factory GHS"] = round(model.hashrate * 1000 / model.boards)
                device["Frequency"] = float(round(state.frequency, 1))
            devices.append(device)
        return rpc.reply(
            "DEVS", devices, rpc.CODE_DEVS, f"{len(devices)} ASC(s)", BTMINER_DESCRIPTION
        )

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model = self.board
        details = [
            {
                "DEVDETAILS": index,
                "Name": "SM",
                "ID": index,
                "Driver": "bitmicro",
                "Kernel": "",
                "Model": model.type_name,
            }
            for index in range(model.boards)
        ]
        return rpc.reply(
            "DEVDETAILS", details, CODE_DEVDETAILS, "Device Details", BTMINER_DESCRIPTION
        )

    # --- API v2: the daemon's read commands -------------------------------------------------

    def get_version(self, _payload: Mapping[str, Any]) -> FlatReply:
        if self.api_v3:  # v2-compat on v3 firmware: no api_ver (assumed from pyasic reports)
            return self._flat({"fw_ver": self.firmware, "platform": self.board.platform})
        if self.legacy:
            return self._flat({"api_ver": API_V2_LEGACY, "fw_ver": self.firmware})
        return self._flat(
            {"api_ver": API_V2, "fw_ver": self.firmware, "platform": self.board.platform}
        )

    def get_psu(self, _payload: Mapping[str, Any]) -> FlatReply:
        model = self.board
        msg = {
            "name": model.psu_model.split("-", 1)[0],
            "hw_version": "",
            "sw_version": "102220.009" if self.legacy else "230208.220429",
            "model": model.psu_model,
        }
        if not self.legacy:
            msg["fan_speed"] = str(self.wm_physics.psu_fan)
        return self._flat(msg)

    def get_status(self, _payload: Mapping[str, Any]) -> FlatReply:
        physics = self.wm_physics
        off = "false" if physics.mining else "true"
        if self.legacy:
            return self._flat({"btmineroff": off, "Firmware Version": f"'{self.firmware}'"})
        return self._flat(
            {
                "mineroff": off,
                "mineroff_reason": "" if physics.mining else "by whatsminer API",
                "mineroff_time": self.mineroff_time,
                "FirmwareVersion": self.firmware,
                "power_mode": physics.mode,
                "power_limit_set": str(physics.power_limit),
                "hash_percent": "0",
            }
        )

    def miner_info(self) -> dict[str, str]:
        return {
            "ip": self.host,
            "proto": "dhcp",
            "netmask": "255.255.255.0",
            "gateway": "",
            "dns": "",
            "hostname": self._state.hostname,
            "mac": self._state.mac,
            "ledstat": "auto" if self.led == "auto" else "manual",
            "minersn": self.serial,
            "powersn": self.psu_serial,
        }

    def get_miner_info(self, payload: Mapping[str, Any]) -> FlatReply:
        info = self.miner_info()
        wanted = payload.get("info") or payload.get("parameter")
        if isinstance(wanted, str) and wanted.strip():
            names = [name.strip() for name in wanted.split(",")]
            info = {name: info[name] for name in names if name in info}
        return self._flat(info)

    def get_error_code(self, _payload: Mapping[str, Any]) -> FlatReply:
        return self._flat({"error_code": [{str(code): when} for code, when in self.error_codes]})

    def get_token(self, _payload: Mapping[str, Any]) -> FlatReply:
        client = _client_address.get()
        live = self._live_tokens(client)
        if len(live) >= MAX_TOKENS_PER_CLIENT:
            return self._error(CODE_TOKEN_MAX, MSG_TOKEN_MAX)
        token_time = f"{int(time.time()) % 10000:04d}"
        newsalt = "".join(secrets.choice(SALT_ALPHABET) for _ in range(8))
        live.append(Token(crypto.host_sign(self.passwd_md5, token_time, newsalt), time.monotonic()))
        return self._flat(
            {"time": token_time, "salt": self.salt, "newsalt": newsalt}, CODE_TOKEN_OK
        )

    def _live_tokens(self, client: str) -> list[Token]:
        now = time.monotonic()
        live = [
            token
            for token in self.tokens.get(client, [])
            if now - token.issued < self.token_lifetime
        ]
        self.tokens[client] = live
        return live

    # --- API v2: privileged commands --------------------------------------------------------

    def _privileged(self, payload: Mapping[str, Any]) -> rpc.RpcReply:
        """``{"enc": 1, "data": b64(AES(json))}`` → ``{"enc": b64(AES(reply))}``."""
        if self.api_v3 or self._privileged_locked():
            return self._error(CODE_DENIED, MSG_WRITE_LOCKED)
        data = payload.get("data")
        if not isinstance(data, str):
            return self._error(CODE_JSON, MSG_ENC_JSON)
        try:
            raw = base64.b64decode(data)
        except (binascii.Error, ValueError):
            return self._error(CODE_BASE64, MSG_BASE64)
        try:
            plain = crypto.strip_padding(crypto.aes_decrypt(self.key, raw))
            body = json.loads(plain.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            # A wrong password gives a wrong key, and the JSON does not decrypt.
            return self._error(CODE_JSON, MSG_ENC_JSON)
        if not isinstance(body, dict):
            return self._error(CODE_JSON, MSG_ENC_JSON)
        sign = body.get("token")
        if not any(token.sign == sign for token in self._live_tokens(_client_address.get())):
            return self._error(CODE_TOKEN_CHECK, MSG_TOKEN_CHECK)
        name = str(body.get("cmd") or body.get("command") or "")
        self.last_action = dict(body)
        if name == "reboot":  # reboots at once; the connection closes without a reply
            self._reboot_soon()
            return b""
        key = self.key  # the reply goes out under the key the request came with
        handler = self._privileged_commands().get(name)
        reply = handler(body) if handler is not None else self._error(CODE_INVALID, MSG_INVALID)
        return {"enc": crypto.aes_encrypt(key, json.dumps(reply).encode())}

    def _privileged_commands(self) -> dict[str, Callable[[dict[str, Any]], FlatReply]]:
        commands: dict[str, Callable[[dict[str, Any]], FlatReply]] = {
            "update_pools": self.cmd_update_pools,
            "restart_btminer": self.cmd_restart_btminer,
            "power_off": self.cmd_power_off,
            "power_on": self.cmd_power_on,
            "set_led": self.cmd_set_led,
            "set_low_power": lambda _body: self._set_mode("low"),
            "set_normal_power": lambda _body: self._set_mode("normal"),
            "set_high_power": lambda _body: self._set_mode("high"),
            "update_pwd": self.cmd_update_pwd,
            "upgrade_firmware": self.cmd_upgrade_firmware,
        }
        if not self.legacy:  # API 2.0.5
            commands["adjust_power_limit"] = self.cmd_adjust_power_limit
        return commands

    def _ok(self) -> FlatReply:
        return self._flat(MSG_OK)

    def _failed(self) -> FlatReply:
        return self._error(CODE_ERROR, MSG_ERROR)

    def cmd_upgrade_firmware(self, _body: dict[str, Any]) -> FlatReply:
        """``ready``: the size-prefixed image is awaited on this connection or the next one."""
        connection = _connection.get()
        if connection is not None:
            connection.upload_ready = True
        self.upload_waiting.add(_client_address.get())
        return self._flat("ready")

    def cmd_update_pools(self, body: dict[str, Any]) -> FlatReply:
        pools = [
            {
                "url": str(body.get(f"pool{slot}") or ""),
                "user": str(body.get(f"worker{slot}") or ""),
                "passwd": str(body.get(f"passwd{slot}") or ""),
            }
            for slot in (1, 2, 3)
        ]
        if not pools[0]["url"]:
            return self._failed()
        self.pools = pools
        self.tick()
        return self._ok()

    def cmd_restart_btminer(self, _body: dict[str, Any]) -> FlatReply:
        self.restart_btminer()
        return self._ok()

    def cmd_power_off(self, _body: dict[str, Any]) -> FlatReply:
        self._mining(False)
        return self._ok()

    def cmd_power_on(self, _body: dict[str, Any]) -> FlatReply:
        self._mining(True)
        return self._ok()

    def _mining(self, on: bool) -> None:
        physics = self.wm_physics
        if physics.mining == on:
            return
        physics.mining = on
        self.mineroff_time = "" if on else time.strftime("%Y-%m-%d %H:%M:%S")
        if on:
            self.restart_btminer()
        self.tick()

    def cmd_set_led(self, body: dict[str, Any]) -> FlatReply:
        led = _led_setting(body.get("param", body))
        if led is None:
            return self._failed()
        self.led = led
        self._state.identify_active = led != "auto"
        return self._ok()

    def _set_mode(self, mode: str) -> FlatReply:
        self.wm_physics.mode = mode
        self.tick()
        return self._ok()

    def cmd_adjust_power_limit(self, body: dict[str, Any]) -> FlatReply:
        limit = self._power_limit(body.get("power_limit"))
        if limit is None:
            return self._failed()
        self.wm_physics.power_limit = limit
        self.restart_btminer()  # BTMiner restarts to apply the limit
        self.tick()
        return self._ok()

    def _power_limit(self, value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        try:
            limit = int(str(value).strip())
        except ValueError:
            return None
        low, high = self.board.limit_range
        return limit if low <= limit <= high else None

    def cmd_update_pwd(self, body: dict[str, Any]) -> FlatReply:
        old, new = body.get("old"), body.get("new")
        if old != self.password or not isinstance(new, str) or not PASSWORD_RULE.fullmatch(new):
            return self._failed()
        self._set_password(new)
        self.password_changed = True
        self.tokens.clear()
        return self._ok()

    # --- API v3 (port 4433) -----------------------------------------------------------------

    async def _serve_v3(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(rpc.READ_TIMEOUT):
                length = int.from_bytes(await reader.readexactly(4), "little")
                if not 0 < length <= MAX_V3_FRAME:
                    return  # the firmware drops a connection with a nonsense length
                body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return
        try:
            request = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            request = None
        command = str(request.get("cmd") or "") if isinstance(request, dict) else ""
        probe = rpc.RpcRequest(command)
        slow = self._rpc_fault(Fault.SLOW, probe)
        fault = next(
            (
                active
                for kind in (Fault.RESET, Fault.HANG, Fault.TRUNCATED, Fault.BAD_JSON)
                if (active := self._rpc_fault(kind, probe)) is not None
            ),
            None,
        )
        kind = fault.fault if fault is not None else None
        if kind is Fault.RESET:
            writer.transport.abort()
            return
        if kind is Fault.HANG:
            await asyncio.Event().wait()
        if slow is not None:
            await asyncio.sleep(slow.delay)
        self.tick()
        reply, after = self.answer_v3(request)
        data = json.dumps(reply, separators=(",", ":")).encode()
        if kind is Fault.BAD_JSON:  # a whole frame whose JSON stops half way
            data = data[: max(1, len(data) // 2)]
        frame = len(data).to_bytes(4, "little") + data
        if kind is Fault.TRUNCATED:  # the full length announced, half the JSON sent
            frame = frame[: 4 + len(data) // 2]
        writer.write(frame)
        await writer.drain()
        if after is not None and kind is None:
            after()

    def _v3(self, msg: Any, command: str, code: int = V3_OK) -> dict[str, Any]:
        return {"code": code, "when": int(time.time()), "msg": msg, "desc": command}

    def answer_v3(self, request: Any) -> tuple[dict[str, Any], Callable[[], None] | None]:
        """The reply to one v3 request, and what to do once it is sent."""
        if not isinstance(request, dict):
            return self._v3("invalid json", "", V3_FAIL), None
        command = request.get("cmd")
        if not isinstance(command, str) or not command:
            return self._v3("invalid command", "", V3_INVALID_COMMAND), None
        param = request.get("param")
        reads: dict[str, Callable[[Any], Any]] = {
            "get.device.info": self.v3_device_info,
            "get.miner.status": self.v3_miner_status,
            "get.miner.setting": lambda _param: self.v3_setting(),
        }
        if command in reads:
            msg = reads[command](param)
            if msg is None:
                return self._v3("invalid param", command, V3_FAIL), None
            return self._v3(msg, command), None
        if not command.startswith("set."):
            return self._v3("invalid command", command, V3_INVALID_COMMAND), None
        if not self._v3_authorized(command, request):
            return self._v3("no permission", command, V3_NO_PERMISSION), None
        if command in V3_SENSITIVE and isinstance(param, str):
            key = crypto.v3_digest(command, self.password, self.v3_salt, request["ts"])
            try:
                plain = crypto.aes_decrypt(key, base64.b64decode(param))
                param = json.loads(crypto.strip_padding(plain).decode("utf-8"))
            except (ValueError, UnicodeDecodeError, binascii.Error):
                return self._v3("invalid param", command, V3_FAIL), None
        self.last_action = {"cmd": command, "param": param}
        return self.v3_write(command, param)

    def _v3_authorized(self, command: str, request: dict[str, Any]) -> bool:
        ts, token, account = request.get("ts"), request.get("token"), request.get("account")
        if account != V3_ACCOUNT or not isinstance(token, str) or isinstance(ts, bool):
            return False
        try:
            stamp = int(str(ts))
        except ValueError:
            return False
        if abs(time.time() - stamp) > V3_TS_WINDOW:
            return False
        return token == crypto.v3_token(command, self.password, self.v3_salt, str(ts))

    def v3_device_info(self, param: Any) -> dict[str, Any] | None:
        state, model, physics = self._state, self.board, self.wm_physics
        info: dict[str, Any] = {
            "network": {
                "ip": self.host,
                "proto": "dhcp",
                "netmask": "255.255.255.0",
                "dns": "",
                "gateway": "",
                "hostname": state.hostname,
                "mac": state.mac,
            },
            "miner": {
                "type": model.type_name,
                "working": "true" if physics.mining else "false",
                "miner-sn": self.serial,
                "hash-board": model.boards,
                "pcbsn": list(self.board_serials),
            },
            "system": {
                "api": API_V3,
                "platform": model.platform,
                "fwversion": self.firmware,
                "control-board-version": "CB6V10",
                "ledstatus": "auto" if self.led == "auto" else "manual",
            },
            "power": {
                "type": model.psu_model.split("-", 1)[0],
                "hwversion": "R00033",
                "swversion": "P00031",
                "model": model.psu_model,
                "fanspeed": physics.psu_fan,
                "iin": round(state.power / 230, 2),
                "vin": 230.0,
                "sn": self.psu_serial,
                "vendor": "1",
            },
            "error-code": [{str(code): when} for code, when in self.error_codes],
            "salt": self.v3_salt,
        }
        if param is None:
            return info
        if not isinstance(param, str):
            return None
        parts = [part.strip() for part in param.split("+")]
        if not all(part in info for part in parts):
            return None
        return {part: info[part] for part in parts}

    def v3_miner_status(self, param: Any) -> dict[str, Any] | None:
        if not isinstance(param, str):
            return None
        sections = {
            "summary": self.v3_summary,
            "pools": self.v3_pools,
            "edevs": self.v3_edevs,
        }
        parts = [part.strip() for part in param.split("+")]
        if not parts or not all(part in sections for part in parts):
            return None
        return {part: sections[part]() for part in parts}

    def v3_summary(self) -> dict[str, Any]:
        state, model, physics = self._state, self.board, self.wm_physics
        ths = 1 / 1000  # GH/s → TH/s
        hashrate = state.hashrate_10m * ths
        return {
            "elapsed": self.elapsed,
            "bootup-time": int(state.uptime),
            "freq-avg": round(state.frequency),
            "target-freq": round(state.frequency),
            "factory-hash": round(model.hashrate, 3),
            "hash-average": round(state.hashrate_1h * ths, 3),
            "hash-1min": round(state.hashrate_1m * ths, 3),
            "hash-15min": round(state.hashrate_1h * ths, 3),
            "hash-realtime": round(state.hashrate * ths, 3),
            "power-rate": round(state.power / hashrate, 3) if hashrate else 0.0,
            "power-5min": round(state.power, 3),
            "power-realtime": round(state.power),
            "environment-temperature": round(physics.env_temp, 2),
            "board-temperature": [round(temp, 2) for temp in physics.board_temps],
            "chip-temp-min": min(temps[0] for temps in physics.chip_temps),
            "chip-temp-avg": round(sum(temps[1] for temps in physics.chip_temps) / model.boards, 2),
            "chip-temp-max": max(temps[2] for temps in physics.chip_temps),
            "power-limit": physics.power_limit,
            "up-freq-finish": 1 if self.elapsed > 300 else 0,
            "fan-speed-in": physics.fan_in,
            "fan-speed-out": physics.fan_out,
        }

    def v3_pools(self) -> list[dict[str, Any]]:
        state = self._state
        entries = []
        for index, pool in enumerate(pool for pool in self.pools if pool["url"]):
            active = index == 0 and self.wm_physics.mining
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            entries.append(
                {
                    "id": index + 1,
                    "url": pool["url"],
                    "status": "alive",
                    "account": pool["user"],
                    "stratum-active": active,
                    "stratum-diff": POOL_DIFFICULTY if active else 0.0,
                    "accepted": accepted,
                    "rejected": rejected,
                    "stale": 0,
                    "reject-percent": round(100 * rejected / max(accepted + rejected, 1), 3),
                    "last-share-time": int(time.time()) - 3 if active and accepted else 0,
                }
            )
        return entries

    def v3_edevs(self) -> list[dict[str, Any]]:
        model, physics = self.board, self.wm_physics
        return [
            {
                "id": index,
                "slot": index,
                "hash-average": round(physics.board_rates[index] / 1000, 3),
                "factory-hash": round(model.hashrate / model.boards, 3),
                "freq": round(self._state.frequency),
                "effective-chips": model.chips_per_board,
                "chip-temp-min": physics.chip_temps[index][0],
                "chip-temp-avg": physics.chip_temps[index][1],
                "chip-temp-max": physics.chip_temps[index][2],
            }
            for index in range(model.boards)
        ]

    def v3_setting(self) -> dict[str, Any]:
        physics = self.wm_physics
        return {
            "power-mode": physics.mode,
            "power-limit": physics.power_limit,
            "upfreq-speed": 0,
            "target-freq": 0,
            "power-percent": 100,
            "fast-hash": "disable",
        }

    def v3_write(
        self, command: str, param: Any
    ) -> tuple[dict[str, Any], Callable[[], None] | None]:
        ok = self._v3("ok", command)
        failed = self._v3("invalid param", command, V3_FAIL)
        if command == "set.system.reboot":
            return ok, self._reboot_soon
        if command == "set.miner.service":
            if param not in ("start", "stop", "restart"):
                return failed, None
            if param == "restart":
                self.restart_btminer()
            self._mining(param != "stop")
            return ok, None
        if command == "set.miner.power_limit":
            limit = self._power_limit(param)
            if limit is None:
                return failed, None
            self.wm_physics.power_limit = limit
            self.tick()
            return ok, None
        if command == "set.system.led":
            led = _led_setting(param)
            if led is None:
                return failed, None
            self.led = led
            return ok, None
        if command == "set.miner.pools":
            pools = _v3_pools(param)
            if pools is None:
                return failed, None
            self.pools = pools
            self.tick()
            return ok, None
        if command == "set.miner.power_mode":
            if param not in MODE_POWER:
                return failed, None
            self._set_mode(str(param))
            return ok, None
        return self._v3("invalid command", command, V3_INVALID_COMMAND), None

    # --- web --------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        """LuCI over https (its login page); plain http redirects every path there with 307."""
        if request.secure:
            if request.path.startswith("/cgi-bin/luci"):
                return web.Response(text=LUCI_PAGE, content_type="text/html")
            if request.path in ("/", "/index.html"):
                return web.Response(status=302, headers={"Location": "/cgi-bin/luci"})
            return web.Response(status=404, text="Not Found")
        host = request.url.host or self.host
        https_port = self.ports[HTTPS]
        where = host if https_port == 443 else f"{host}:{https_port}"
        return web.Response(
            status=307,
            headers={"Location": f"https://{where}/cgi-bin/luci"},
            text="",
            content_type="text/html",
        )


# Readings missing from the v2 `summary` that firmware after 2024-11 still answers on 4028.
V3_COMPAT_DROPPED = (
    "Temperature",
    "Fan Speed In",
    "Fan Speed Out",
    "Power",
    "Power_RT",
    "Env Temp",
    "Power Mode",
    "Factory GHS",
    "Power Limit",
    "Chip Temp Min",
    "Chip Temp Max",
    "Chip Temp Avg",
    "Power Current",
    "Power Fanspeed",
    "Target Freq",
    "Target MHS",
    "Voltage",
)


# --- helpers ----------------------------------------------------------------------------------


def _led_setting(value: Any) -> str | dict[str, Any] | None:
    """``"auto"``, or a manual blink (color red/green, period, duration, start in ms)."""
    if value == "auto":
        return "auto"
    entries = value if isinstance(value, list) else [value]
    settings = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("color") not in LED_COLORS:
            return None
        try:
            timing = {key: int(str(entry.get(key, 0))) for key in ("period", "duration", "start")}
        except ValueError:
            return None
        if timing["period"] <= 0 or not 0 <= timing["duration"] <= timing["period"]:
            return None
        settings.append({"color": entry["color"], **timing})
    return {"manual": settings} if settings else None


def _v3_pools(value: Any) -> list[dict[str, str]] | None:
    """``[{"pool", "worker", "passwd"}, …]`` (up to three) as the miner stores them."""
    if not isinstance(value, list) or not value or len(value) > 3:
        return None
    pools = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("pool"), str):
            return None
        pools.append(
            {
                "url": entry["pool"],
                "user": str(entry.get("worker") or ""),
                "passwd": str(entry.get("passwd") or ""),
            }
        )
    while len(pools) < 3:
        pools.append({"url": "", "user": "", "passwd": ""})
    return pools


def _host_of(url: str) -> str:
    host = url.split("://", 1)[-1]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _pool_state(pool: dict[str, str]) -> PoolState:
    host = pool["url"].split("://", 1)[-1]
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit():
        return PoolState(host, 0, pool["user"], pool["passwd"])
    return PoolState(name, int(port), pool["user"], pool["passwd"])


async def _replayed(head: bytes, reader: asyncio.StreamReader) -> asyncio.StreamReader:
    """A reader that gives ``head`` and the rest of the request, for a peeked connection."""
    data = head
    while data and rpc.parse_request(data, complete=False) is None:
        chunk = await reader.read(rpc.READ_CHUNK)
        if not chunk:
            break
        data += chunk
    replay = asyncio.StreamReader()
    replay.feed_data(data)
    replay.feed_eof()
    return replay
