"""Auradine Teraflux (FluxOS): the "Miner UI" page on 80, the REST API on 8080, GCMiner RPC on 4028.

The REST API answers cgminer-shaped JSON (``{"STATUS": [...], "<Section>": [...], "id": 1}``).
``POST /token`` with ``{"command": "token", "user", "password"}`` gives
``Token[0].Token``, sent as a ``Token`` header with every other request; reads are GETs
(``summary``, ``pools``, ``devs``, ``fan``, ``temperature``, ``mode``, ``led``, ``psu``,
``ipreport``, ``network``), writes are POSTs of JSON carrying ``"command"``: ``mode`` (normal,
eco, turbo, or custom with ``tune`` power|ths and ``power``/``ths``; ``sleep`` on|off), ``led``
(code 2 normal, 3 locate), ``restart`` (the whole miner, or ``parameter`` gcminer),
``updatepools``, ``password`` and ``firmware-upgrade`` (``url`` or ``version``: the miner
downloads the image itself, then reboots).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import hashlib
import json
import math
import re
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from .. import rpc
from ..faults import Fault
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .auradine_models import AURADINE_MODELS, AuradineModel, find_model

API = "api"
Writer = Callable[[web.BaseRequest, dict[str, Any]], Awaitable[web.StreamResponse]]
DEFAULT_USER = "admin"
DEFAULT_PASSWORD = "admin"
TOKEN_LIFETIME = 3600.0  # seconds (assumed)
GCMINER_VERSION = "1.0.0"
RPC_DESCRIPTION = f"gcminer {GCMINER_VERSION}"
API_DESCRIPTION = "FluxOS"
DEFAULT_FIRMWARE = "FluxOS_v2024.12.1"
LATEST_FIRMWARE = "FluxOS_v2025.3.2"
FIRMWARE_URL = re.compile(r"(FluxOS_v\d{4}\.\d+\.\d+)[^/]*\.(swu|tar\.gz)$")
MODES = {"eco": (0.8, 0.68), "normal": (1.0, 1.0), "turbo": (1.12, 1.28)}
POWER_EXPONENT = 0.85  # hashrate ∝ power^0.85 along the tuning curve (assumed)
STANDBY_POWER = 40.0
LED_NORMAL, LED_LOCATE = 2, 3
LED_CODES = {1, 2, 3, 4, 5, 6, 7, 8, 101, 102}
POOL_DIFFICULTY = 65536.0
AMBIENT = 25.0
PRIVILEGED_COMMANDS = frozenset(
    {"addpool", "removepool", "switchpool", "enablepool", "disablepool", "restart", "quit",
     "ascset", "setconfig", "zero", "save"}
)  # fmt: skip
ROOT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Miner UI</title>
<link rel="stylesheet" href="/static/css/main.css"></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
<script src="/static/js/main.js"></script></body></html>
"""


class AuradinePhysics(Physics):
    """Hashrate and power from the mode or the power/hashrate target; fans and boards follow."""

    def __init__(self, model: AuradineModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=1,
            default_voltage=1,
            nominal_power=model.nominal_power,
            idle_power=STANDBY_POWER,
            input_voltage=240_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.target_ths = model.nominal_ths
        self.target_power = model.nominal_power
        self.sleeping = False
        self.board_rates: list[float] = [0.0] * model.boards  # GH/s
        self.board_temps: list[float] = [AMBIENT] * model.boards
        self.fan_rpms: list[int] = [0] * model.fans
        self._credit = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        state.paused = self.sleeping
        if self.sleeping:
            state.expected_hashrate = 0.0
            state.hashrate = state.hashrate_1m = state.hashrate_10m = 0.0
            state.power = STANDBY_POWER * rng.uniform(0.95, 1.05)
        else:
            state.expected_hashrate = self.target_ths * 1000
            state.hashrate = state.expected_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = state.expected_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = state.expected_hashrate * rng.uniform(0.995, 1.005)
            state.power = self.target_power * rng.uniform(0.99, 1.01)
        load = state.power / model.nominal_power
        fan = 0.0 if not model.fans else (20.0 if self.sleeping else min(100.0, 30 + 60 * load))
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * (fan if model.fans else 70) / 100
        board = AMBIENT + 30 * load / factor * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.8)
        self.board_temps = [board + rng.uniform(-1.5, 1.5) for _ in range(model.boards)]
        state.vr_temp = max(self.board_temps)
        state.temp = state.vr_temp + 10 * load
        self.fan_rpms = [
            round(7000 * fan / 100 * rng.uniform(0.98, 1.02)) for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0] if self.fan_rpms else 0
        per_board = state.hashrate / model.boards
        self.board_rates = [
            0.0 if self.sleeping else per_board * rng.uniform(0.98, 1.02)
            for _ in range(model.boards)
        ]
        state.uptime += elapsed
        if not self.sleeping and elapsed > 0:
            self._credit += state.hashrate * 1e9 * elapsed / (POOL_DIFFICULTY * 2**32)
            found = math.floor(self._credit)
            if found > 0:
                self._credit -= found
                state.shares_accepted += found

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self._credit = 0.0


class AuradineMiner(SimulatedMiner):
    """An Auradine Teraflux miner on FluxOS."""

    family = "auradine"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, API: 8080, RPC: 4028}
    default_model: ClassVar[str] = "AT1500"
    token_lifetime: float = TOKEN_LIFETIME

    @property
    def board(self) -> AuradineModel:
        if self.spec.model == MinerSpec().model:
            return find_model(self.default_model)
        return find_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return seeded_mac("02", seed, salt="auradine-mac")

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password or DEFAULT_PASSWORD
        self.tokens: dict[str, float] = {}  # token -> issued (monotonic)
        self.firmware = spec.firmware or DEFAULT_FIRMWARE
        self.mode: dict[str, Any] = {"mode": "normal", "tune": "power", "power": 0, "ths": 0.0}
        self.sleep = False
        self.led_code = LED_NORMAL
        self.led_custom: dict[str, Any] = {}
        self.gcminer_started = time.monotonic()
        self.last_firmware_request: dict[str, Any] | None = None
        digest = hashlib.sha256(f"sn:{self.seed}".encode()).hexdigest().upper()
        self.serial = f"AT{digest[:12]}"
        self.board_serials = [f"HB{digest[12 + 4 * i : 16 + 4 * i]}{i}" for i in range(3)]
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        self.pools: list[dict[str, str]] = [
            {"url": "stratum+tcp://btc.global.luxor.tech:700", "user": worker, "pass": "x"},
            {"url": "stratum+tcp://stratum.braiins.com:3333", "user": worker, "pass": "x"},
        ]
        return MinerState(
            mac=mac,
            hostname=spec.hostname or f"auradine-{mac.replace(':', '')[-6:].lower()}",
            model=model.name,
            version=self.firmware,
            www_version=self.firmware,
            board_version="",
            asic_model="",
            asic_count=model.chips,
            small_core_count=0,
            frequency=0.0,
            core_voltage=0,
            pools=[],
        )

    def make_physics(self) -> Physics:
        return AuradinePhysics(self.board, self.seed)

    @property
    def auradine_physics(self) -> AuradinePhysics:
        assert isinstance(self.physics, AuradinePhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    @property
    def rpc_description(self) -> str:
        return RPC_DESCRIPTION

    def tick(self) -> None:
        if isinstance(self.physics, AuradinePhysics):
            self._apply_mode(self.physics)
        self._state.pools = [_pool_state(pool) for pool in self.pools]
        super().tick()

    def _apply_mode(self, physics: AuradinePhysics) -> None:
        model = self.board
        physics.sleeping = self.sleep
        name = self.mode["mode"]
        if name in MODES:
            hash_share, power_share = MODES[name]
            physics.target_ths = model.nominal_ths * hash_share
            physics.target_power = model.nominal_power * power_share
        elif self.mode["tune"] == "power":
            power = float(self.mode["power"])
            physics.target_power = power
            physics.target_ths = model.nominal_ths * (power / model.nominal_power) ** POWER_EXPONENT
        else:
            ths = float(self.mode["ths"])
            physics.target_ths = ths
            physics.target_power = model.nominal_power * (ths / model.nominal_ths) ** (
                1 / POWER_EXPONENT
            )

    def on_boot(self) -> None:
        self.tokens.clear()
        self.led_code = LED_NORMAL
        self.gcminer_started = time.monotonic()

    # --- HTTP ---------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        if not sockname or sockname[1] != self.ports[API]:
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        command = request.path.strip("/")
        body: dict[str, Any] = {}
        if request.method == "POST":
            try:
                loaded = json.loads(await request.read() or b"{}")
            except ValueError:
                return _api(self._error(23, "Invalid JSON"), status=400)
            if not isinstance(loaded, dict):
                return _api(self._error(23, "Invalid JSON"), status=400)
            body = loaded
        if command == "token":
            return self.api_token(body)
        if not self._token_ok(request.headers.get("Token", "")):
            return _api(self._error(401, "Invalid or expired token"), status=401)
        reader = self.readers().get(command)
        if reader is not None and (request.method == "GET" or set(body) <= {"command"}):
            return _api(reader())
        writer = self.writers().get(command)
        if writer is None or request.method != "POST":
            return _api(self._error(14, f"Invalid command '{command}'"), status=404)
        return await writer(request, body)

    def readers(self) -> dict[str, Callable[[], dict[str, Any]]]:
        return {
            "summary": lambda: self._section("SUMMARY", [self.summary_entry()], 11, "Summary"),
            "pools": lambda: self._section("POOLS", self.pool_entries(), 7, "Pools"),
            "devs": lambda: self._section("DEVS", self.dev_entries(), 9, "Devs"),
            "fan": self.api_fan,
            "temperature": self.api_temperature,
            "mode": lambda: self._section("Mode", [self.mode_entry()], 0, "Mode"),
            "led": self.api_led,
            "psu": self.api_psu,
            "ipreport": self.api_ipreport,
            "ipreport2": self.api_ipreport,
            "network": self.api_network,
        }

    def writers(self) -> dict[str, Writer]:
        return {
            "mode": self.api_set_mode,
            "led": self.api_set_led,
            "restart": self.api_restart,
            "updatepools": self.api_update_pools,
            "password": self.api_password,
            "firmware-upgrade": self.api_firmware_upgrade,
        }

    def _status(self, code: int, message: str, kind: str = "S") -> dict[str, Any]:
        return {
            "STATUS": kind,
            "When": int(time.time()),
            "Code": code,
            "Msg": message,
            "Description": API_DESCRIPTION,
        }

    def _section(
        self, section: str, items: list[dict[str, Any]], code: int, message: str
    ) -> dict[str, Any]:
        return {"STATUS": [self._status(code, message)], section: items, "id": 1}

    def _error(self, code: int, message: str) -> dict[str, Any]:
        return {"STATUS": [self._status(code, message, "E")], "id": 1}

    def _token_ok(self, token: str) -> bool:
        issued = self.tokens.get(token)
        if issued is None:
            return False
        if time.monotonic() - issued > self.token_lifetime:
            del self.tokens[token]
            return False
        return True

    def api_token(self, body: dict[str, Any]) -> web.Response:
        if body.get("user") != self.username or body.get("password") != self.password:
            return _api(self._error(401, "Invalid username or password"), status=401)
        token = secrets.token_hex(16)
        self.tokens[token] = time.monotonic()
        entry = {"Name": self.username, "When": int(time.time()), "Token": token}
        return _api(self._section("Token", [entry], 0, "Token"))

    # --- readings ---------------------------------------------------------------------------

    def summary_entry(self) -> dict[str, Any]:
        state = self._state
        elapsed = int(time.monotonic() - self.gcminer_started)
        accepted, rejected = state.shares_accepted, state.shares_rejected
        mhs = state.hashrate * 1000
        minutes = max(elapsed / 60, 1 / 60)
        return {
            "Elapsed": elapsed,
            "MHS av": round(state.hashrate_10m * 1000, 2),
            "MHS 5s": round(mhs, 2),
            "MHS 1m": round(state.hashrate_1m * 1000, 2),
            "MHS 5m": round(state.hashrate_10m * 1000, 2),
            "MHS 15m": round(state.hashrate_10m * 1000, 2),
            "MHS 24h": round(state.hashrate_10m * 1000, 2),
            "GMHS av": round(state.hashrate_10m, 2),
            "GMHS 5s": round(state.hashrate, 2),
            "GMHS 1m": round(state.hashrate_1m, 2),
            "GMHS 5m": round(state.hashrate_10m, 2),
            "GMHS 15m": round(state.hashrate_10m, 2),
            "GMHS 24h": round(state.hashrate_10m, 2),
            "Pool MHS 30m": round(state.hashrate_10m * 1000),
            "Pool MHS 60m": round(state.hashrate_10m * 1000),
            "Pool MHS 24h": round(state.hashrate_10m * 1000),
            "Getworks": 1 + elapsed // 30,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": 0,
            "Utility": round(accepted / minutes, 2),
            "Discarded": elapsed * 2,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 40,
            "Remote Failures": 0,
            "Total MH": round(state.hashrate_10m * 1000 * elapsed),
            "Total GMH": round(state.hashrate_10m * elapsed),
            "Work Utility": round(accepted * POOL_DIFFICULTY / minutes),
            "Difficulty Accepted": round(accepted * POOL_DIFFICULTY),
            "Difficulty Rejected": round(rejected * POOL_DIFFICULTY),
            "Difficulty Stale": 0,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0,
            "Device Rejected%": 0,
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0,
            "Last getwork": int(time.time()),
            "Wattage": round(state.power),
            "ThsThrottle": 0.0,
            "JTHS 1m": round(state.power / max(state.hashrate / 1000, 1e-9), 2)
            if state.hashrate
            else 0.0,
        }

    def pool_entries(self) -> list[dict[str, Any]]:
        state = self._state
        entries = []
        for index, pool in enumerate(self.pools):
            active = index == 0 and not state.paused
            accepted = state.shares_accepted if active else 0
            entries.append(
                {
                    "POOL": index,
                    "URL": pool["url"],
                    "Status": "Alive",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": 1 + int(state.uptime) // 30 if active else 0,
                    "Accepted": accepted,
                    "Rejected": 0,
                    "Works": accepted,
                    "Discarded": 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool["user"],
                    "Pass": pool["pass"],
                    "Last Share Time": int(time.time()) if accepted else 0,
                    "Diff1 Shares": 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": round(accepted * POOL_DIFFICULTY),
                    "Difficulty Rejected": 0,
                    "Difficulty Stale": 0,
                    "Last Share Difficulty": round(POOL_DIFFICULTY) if accepted else 0,
                    "Work Difficulty": round(POOL_DIFFICULTY) if active else 0,
                    "Has Stratum": True,
                    "Stratum Active": active,
                    "Stratum URL": _host_of(pool["url"]) if active else "",
                    "Stratum Difficulty": round(POOL_DIFFICULTY) if active else 0,
                    "Has Vmask": True,
                    "Has GBT": False,
                    "Best Share": round(state.best_session_diff) if active else 0,
                    "Pool Rejected%": 0.0,
                    "Pool Stale%": 0.0,
                    "Bad Work": 0,
                    "Current Block Height": 880000 + int(time.time() // 600) % 1000,
                    "Current Block Version": 536870912,
                    "Protocol": "Stratum V1",
                }
            )
        return entries

    def dev_entries(self) -> list[dict[str, Any]]:
        state, physics = self._state, self.auradine_physics
        now = int(time.time())
        devices = []
        for index, rate in enumerate(physics.board_rates):
            accepted = state.shares_accepted // self.board.boards
            devices.append(
                {
                    "ASC": index,
                    "Name": "GCM",
                    "ID": index + 1,
                    "Enabled": "Y",
                    "Status": "Alive" if rate > 0 else "Sick",
                    "Temperature": round(physics.board_temps[index], 2),
                    "MHS av": round(rate * 1000, 2),
                    "MHS 5s": round(rate * 1000, 2),
                    "MHS 1m": round(rate * 1000, 2),
                    "MHS 5m": round(rate * 1000, 2),
                    "MHS 15m": round(rate * 1000, 2),
                    "Accepted": accepted,
                    "Rejected": 0,
                    "Hardware Errors": 0,
                    "Utility": round(accepted / max(state.uptime / 60, 1 / 60), 2),
                    "Last Share Pool": 0 if accepted else -1,
                    "Last Share Time": now if accepted else 0,
                    "Total MH": round(rate * 1000 * state.uptime),
                    "Diff1 Work": 0,
                    "Difficulty Accepted": round(accepted * POOL_DIFFICULTY),
                    "Difficulty Rejected": 0,
                    "Last Share Difficulty": round(POOL_DIFFICULTY) if accepted else 0,
                    "Last Valid Work": now,
                    "Device Hardware%": 0.0,
                    "Device Rejected%": 0.0,
                    "Device Elapsed": int(state.uptime),
                }
            )
        return devices

    def mode_entry(self) -> dict[str, Any]:
        physics = self.auradine_physics
        return {
            "Mode": self.mode["mode"],
            "Sleep": "on" if self.sleep else "off",
            "Tune": self.mode["tune"],
            "Ths": round(physics.target_ths, 1),
            "Power": round(physics.target_power),
            "FansInStandby": "on",
            "reTuneTime": 120,
            "reTuneCount": 0,
            "optimizeEco": "off",
            "miningIfNetDown": "off",
            "persistStandby": "off",
        }

    def api_fan(self) -> dict[str, Any]:
        fans = [
            {"Index": index, "Speed": rpm, "Max": 7000, "Percentage": self._state.fan_percent}
            for index, rpm in enumerate(self.auradine_physics.fan_rpms)
        ]
        return self._section("Fan", fans, 0, "Fan")

    def api_temperature(self) -> dict[str, Any]:
        physics = self.auradine_physics
        boards = [
            {
                "ID": index + 1,
                "Temperature": round(temp, 2),
                "ChipTempMax": round(temp + 10, 2),
                "ChipTempAvg": round(temp + 6, 2),
            }
            for index, temp in enumerate(physics.board_temps)
        ]
        return self._section("Temperature", boards, 0, "Temperature")

    def api_led(self) -> dict[str, Any]:
        led1, led2 = (4, 4) if self.led_code == LED_LOCATE else (1, 1)
        entry = {
            "Code": self.led_code,
            "LED1": self.led_custom.get("led1", led1),
            "LED2": self.led_custom.get("led2", led2),
            "Msg": self.led_custom.get("msg", "Locate miner" if self.led_code == 3 else "Normal"),
        }
        return self._section("LED", [entry], 0, "LED")

    def api_psu(self) -> dict[str, Any]:
        state = self._state
        entry = {
            "PowerIn": f"{state.power:.0f}W",
            "PowerOut": f"{state.power * 0.96:.0f}W",
            "PoutMax": f"{self.board.max_power:.0f}W",
            "VoltageIn": "240.0V",
            "VoltageOut": "12.5V",
        }
        return self._section("PSU", [entry], 0, "PSU")

    def api_ipreport(self) -> dict[str, Any]:
        state = self._state
        entry = {
            "command": "ipreport",
            "SerialNo": self.serial,
            "ip": self.host,
            "mac": state.mac.lower(),
            "model": self.board.name,
            "gateway": "",
            "mask": "255.255.255.0",
            "version": self.firmware,
            "hostname": state.hostname,
            "pubKey": "",
            "tpmPubKey": "",
            "CBSerialNo": f"CB{self.serial[2:]}",
            "ChassisSerialNo": f"CH{self.serial[2:]}",
            "HBSerialNo": self.board_serials,
        }
        return self._section("IPReport", [entry], 0, "IPReport")

    def api_network(self) -> dict[str, Any]:
        entry = {
            "command": "network",
            "protocol": "dhcp",
            "ip": self.host,
            "mask": "255.255.255.0",
            "gateway": "",
            "dns": "",
            "hostname": self._state.hostname,
        }
        return self._section("Network", [entry], 0, "Network")

    # --- writes -----------------------------------------------------------------------------

    async def api_set_mode(self, _request: web.BaseRequest, body: dict[str, Any]) -> web.Response:
        model = self.board
        mode = dict(self.mode)
        if "sleep" in body and body["sleep"] not in ("on", "off"):
            return _api(self._error(400, "Invalid sleep value"), status=400)
        if "mode" in body:
            if body["mode"] not in ("normal", "eco", "turbo", "custom"):
                return _api(self._error(400, "Invalid mode"), status=400)
            mode["mode"] = body["mode"]
        if mode["mode"] == "custom":
            tune = body.get("tune", mode["tune"])
            if tune not in ("power", "ths"):
                return _api(self._error(400, "Invalid tune"), status=400)
            mode["tune"] = tune
            if tune == "power":
                power = body.get("power", mode["power"] or model.nominal_power)
                if not isinstance(power, (int, float)) or not (
                    model.min_power <= power <= model.max_power
                ):
                    return _api(self._error(400, "Power out of range"), status=400)
                mode["power"] = int(power)
            else:
                ths = body.get("ths", mode["ths"] or model.nominal_ths)
                if not isinstance(ths, (int, float)) or not 0 < ths <= model.nominal_ths * 1.2:
                    return _api(self._error(400, "Ths out of range"), status=400)
                mode["ths"] = float(ths)
        self.mode = mode
        if "sleep" in body:
            self.sleep = body["sleep"] == "on"
        self.tick()
        return _api(self._section("Mode", [self.mode_entry()], 0, "Mode"))

    async def api_set_led(self, _request: web.BaseRequest, body: dict[str, Any]) -> web.Response:
        code = body.get("code")
        if code not in LED_CODES:
            return _api(self._error(400, "Invalid LED code"), status=400)
        self.led_code = int(code)
        self.led_custom = (
            {key: body[key] for key in ("led1", "led2", "msg") if key in body}
            if code in (101, 102)
            else {}
        )
        return _api(self.api_led())

    async def api_restart(
        self, request: web.BaseRequest, body: dict[str, Any]
    ) -> web.StreamResponse:
        if body.get("parameter") == "gcminer":
            self.gcminer_started = time.monotonic()
            self.physics.reset_session(self._state)
            return _api(self._section("RESTART", [{"msg": "gcminer restarted"}], 0, "Restart"))
        reply = _api(self._section("RESTART", [{"msg": "Rebooting"}], 0, "Restart"))
        return await self.respond_then_reboot(request, reply)

    async def api_update_pools(
        self, _request: web.BaseRequest, body: dict[str, Any]
    ) -> web.Response:
        pools = body.get("pools")
        if not isinstance(pools, list) or not 1 <= len(pools) <= 3:
            return _api(self._error(400, "Invalid pools"), status=400)
        parsed = []
        for pool in pools:
            if not isinstance(pool, dict) or not isinstance(pool.get("url"), str):
                return _api(self._error(400, "Invalid pools"), status=400)
            parsed.append(
                {
                    "url": pool["url"],
                    "user": str(pool.get("user", "")),
                    "pass": str(pool.get("pass", "")),
                }
            )
        self.pools = parsed
        return _api(self._section("UPDATEPOOLS", [{"msg": "Pools updated"}], 0, "UpdatePools"))

    async def api_password(self, _request: web.BaseRequest, body: dict[str, Any]) -> web.Response:
        new = body.get("new")
        if body.get("old") != self.password or not isinstance(new, str) or not new:
            return _api(self._error(400, "Invalid password"), status=400)
        self.password = new
        return _api(self._section("Password", [{"msg": "Password changed"}], 0, "Password"))

    async def api_firmware_upgrade(
        self, request: web.BaseRequest, body: dict[str, Any]
    ) -> web.StreamResponse:
        """The miner fetches the image itself; here the URL's file name gives the version."""
        self.last_firmware_request = dict(body)
        url, version = body.get("url"), body.get("version")
        new_version: str | None = None
        if isinstance(url, str):
            match = FIRMWARE_URL.search(url)
            new_version = match.group(1) if match else None
        elif version == "latest":
            new_version = LATEST_FIRMWARE
        elif isinstance(version, str) and re.fullmatch(r"FluxOS_v\d{4}\.\d+\.\d+", version):
            new_version = version
        if new_version is None or self.has_fault(Fault.FIRMWARE_REJECTED):
            return _api(self._error(400, "Firmware upgrade failed: invalid image"), status=400)
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.firmware = new_version
            self._state.version = new_version
        reply = _api(self._section("FirmwareUpgrade", [{"msg": "Upgrade started"}], 0, "Upgrade"))
        return await self.respond_then_reboot(
            request, reply, stay_down=self.has_fault(Fault.NEVER_RETURNS)
        )

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        api = rpc.CgminerApi(
            RPC_DESCRIPTION,
            {
                "version": self.rpc_version,
                "summary": lambda _r: rpc.reply(
                    "SUMMARY", [self.summary_entry()], rpc.CODE_SUMMARY, "Summary", RPC_DESCRIPTION
                ),
                "pools": lambda _r: rpc.reply(
                    "POOLS", self.pool_entries(), rpc.CODE_POOLS, "Pools", RPC_DESCRIPTION
                ),
                "devs": lambda _r: rpc.reply(
                    "DEVS", self.dev_entries(), rpc.CODE_DEVS, "Devs", RPC_DESCRIPTION
                ),
                "devdetails": self.rpc_devdetails,
            },
            privileged=PRIVILEGED_COMMANDS,
        )
        return api.answer(request)

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        info = {"GCMiner": GCMINER_VERSION, "API": "3.7", "FluxOS": self.firmware}
        return rpc.reply("VERSION", [info], rpc.CODE_VERSION, "GCMiner versions", RPC_DESCRIPTION)

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        details = [
            {
                "DEVDETAILS": index,
                "Name": "GCM",
                "ID": index + 1,
                "Driver": "gcminer",
                "Kernel": "",
                "Model": self.board.name,
                "Device Path": "",
            }
            for index in range(self.board.boards)
        ]
        return rpc.reply("DEVDETAILS", details, 69, "Device Details", RPC_DESCRIPTION)


def _api(payload: dict[str, Any], *, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split(":", 1)[0]


def _pool_state(pool: dict[str, str]) -> PoolState:
    address = pool["url"].split("://", 1)[-1]
    host, _, port = address.partition(":")
    return PoolState(
        url=host, port=int(port) if port.isdigit() else 0, user=pool["user"], password=pool["pass"]
    )


AURADINE_MODEL_NAMES = tuple(model.name for model in AURADINE_MODELS)
