"""ePIC UMC (PowerPlay-BMS, umcOS) on Antminer hashboards: an HTTP JSON API on port 4028 (not
the CGMiner socket) and the "Miner Web Dashboard" page on 80.

Reads are plain GETs without a login; writes are POSTs of ``{"param": …, "password": …}``
answered ``{"result": true, "error": null}`` or ``{"result": false, "error": "BadPassword"}``
(the error names of the firmware's OpenAPI document, ePIC UMC API 1.22.5/1.30.0 as published in
asic-rs's ``meta/epic``). The read replies have the keys and JSON types of replies recorded
from a real S19 XP on PowerPlay-BMS 1.5.13. A firmware update is a multipart POST to
``/systemupdate`` with the file part ``update.zip`` and the fields ``checksum`` (sha256 hex),
``keepsettings`` and ``password``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import email.utils
import hashlib
import itertools
import json
import math
import re
import tempfile
import time
from typing import Any, ClassVar
import zipfile

from aiohttp import BodyPartReader, web

from ..faults import Fault
from ..miner import WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .epic_models import EPIC_MODELS, EpicModel, find_epic_model

API = "api"
DEFAULT_FIRMWARE = "1.5.13"
DEFAULT_PASSWORD = "letmein"
SOFTWARE_PREFIX = "PowerPlay-BMS v"
POOL_DIFFICULTY = 262_144.0  # the recorded miner's
AMBIENT = 25.0
MAX_POOLS = 3
FAN_SLOTS = 12
UPLOAD_CHUNK = 64 * 1024
SPOOL_LIMIT = 8 * 1024 * 1024  # uploads beyond this go to a temporary file
TH_ALGORITHMS = ("VoltageOptimizer", "BoardTune", "ChipTune")
POWER_ALGORITHM = "PowerTune"  # the watts target (asic-rs's ePIC PowerPlay client)
ALGORITHMS = (*TH_ALGORITHMS, POWER_ALGORITHM)
SWU_VERSION = re.compile(r"(\d+\.\d+\.\d+)")
OK = {"result": True, "error": None}
Writer = Callable[[web.BaseRequest, Any], Awaitable[web.StreamResponse]]
DASHBOARD = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Miner Web Dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><div id="app">Miner Web Dashboard</div><script src="/static/js/main.js"></script></body>
</html>
"""


def _digits(seed: str, count: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:count])


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    """y at x on the polyline through ``points`` (sorted by x), clamped at both ends."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


class EpicPhysics(Physics):
    """Hashrate from the tuner's target, power from the tune presets, heat from power."""

    def __init__(self, model: EpicModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.default_clock,
            default_voltage=model.default_millivolts,
            nominal_power=model.nominal_power,
            idle_power=model.idle_power,
            input_voltage=12_600.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.mining = True
        self.algorithm = "VoltageOptimizer"
        self.target = model.default_terahash  # TH/s, or W for PowerTune
        self.tuning = True
        self.fan_manual: int | None = None
        self.target_temp = 60
        self.idle_speed = 20
        self.board_rates: list[float] = [0.0] * model.boards  # MH/s
        self.board_temps: list[float] = [AMBIENT] * model.boards
        self.fan_rpms: list[int] = [0] * model.fans
        self.clock = float(model.default_clock)
        self._credit = 0.0

    def operating_point(self) -> tuple[float, float]:
        """(TH/s, W) the tuner settles at."""
        by_hashrate = [(p.terahash, float(p.watts)) for p in self.model.presets]
        if not self.tuning:
            terahash = float(self.model.default_terahash)
            return terahash, _interpolate(by_hashrate, terahash)
        if self.algorithm == POWER_ALGORITHM:
            by_power = [(float(p.watts), p.terahash) for p in self.model.presets]
            watts = max(float(self.target), by_power[0][0])
            watts = min(watts, by_power[-1][0])
            return _interpolate(by_power, watts), watts
        terahash = min(max(float(self.target), by_hashrate[0][0]), by_hashrate[-1][0])
        return terahash, _interpolate(by_hashrate, terahash)

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        terahash, watts = self.operating_point()
        state.paused = not self.mining
        clocks = [(p.terahash, float(p.clock)) for p in model.presets]
        self.clock = _interpolate(clocks, terahash)
        state.frequency = self.clock
        if self.mining:
            state.expected_hashrate = terahash * 1000
            state.hashrate = state.expected_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = state.expected_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = state.expected_hashrate * rng.uniform(0.995, 1.005)
            state.hashrate_1h = state.expected_hashrate * rng.uniform(0.997, 1.003)
            state.power = watts * rng.uniform(0.99, 1.01)
        else:
            state.expected_hashrate = 0.0
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        load = state.power / model.nominal_power
        if self.fan_manual is not None:
            fan = float(self.fan_manual)
        elif self.mining:
            fan = min(100.0, max(float(self.idle_speed), 30 + 55 * load))
        else:
            fan = float(self.idle_speed)
        state.fan_percent = round(fan)
        state.fan_auto = self.fan_manual is None
        cooling = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        board = AMBIENT + 30 * load / cooling * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9)
        self.board_temps = [board + rng.uniform(-2.0, 2.0) for _ in range(model.boards)]
        state.vr_temp = max(self.board_temps)
        state.temp = state.vr_temp + 6 * load
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.97, 1.03))
            for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0] if self.fan_rpms else 0
        per_board = state.hashrate * 1000 / model.boards  # MH/s
        self.board_rates = [
            per_board * rng.uniform(0.97, 1.03) if self.mining else 0.0 for _ in range(model.boards)
        ]
        state.uptime += elapsed
        if self.mining and elapsed > 0:
            rate = state.hashrate * 1e9 / (POOL_DIFFICULTY * 2**32)
            self._credit += rate * elapsed
            found = math.floor(self._credit)
            if found > 0:
                self._credit -= found
                rejected = 1 if rng.random() < 0.002 * found else 0
                state.shares_accepted += found - rejected
                state.shares_rejected += rejected

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self._credit = 0.0


class EpicMiner(SimulatedMiner):
    """A miner with an ePIC UMC control board."""

    family = "epic"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, API: 4028}
    rpc_ports: ClassVar[frozenset[str]] = frozenset()

    @property
    def board(self) -> EpicModel:
        if self.spec.model == MinerSpec().model:
            return find_epic_model("Antminer S19 XP")
        return find_epic_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        # The recorded board's MAC (E6:D4:41:…) is locally administered; so are these.
        digest = hashlib.sha256(f"epic-mac:{seed}".encode()).digest()
        first = (digest[0] | 0x02) & 0xFE
        return ":".join(f"{byte:02X}" for byte in (first, *digest[1:6]))

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.password = spec.password or DEFAULT_PASSWORD
        self.serials = [
            model.serial_prefix
            + _digits(f"hb{index}:{self.seed}", 13, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
            for index in range(model.boards)
        ]
        self.cpu_serial = _digits(f"cpu:{self.seed}", 24, "0123456789abcdef")
        self.locate = False
        self.unique_id = True
        self.coin = "BTC"
        self.operating_state = "Mining"
        self.last_work = time.time()
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        self.stratum: list[dict[str, str]] = [
            {"login": worker, "password": "x", "pool": "stratum+tcp://mine.ocean.xyz:3334"},
            {"login": worker, "password": "x", "pool": "stratum+tcp://stratum.braiins.com:3333"},
        ]
        self.last_upload: dict[str, Any] | None = None
        hostname = spec.hostname or "cminer" + _digits(f"host:{self.seed}", 8, "0123456789")
        version = (spec.firmware or DEFAULT_FIRMWARE).removeprefix(SOFTWARE_PREFIX).lstrip("v")
        return MinerState(
            mac=mac,
            hostname=hostname,
            model=model.name,
            version=version,
            www_version=version,
            board_version=model.subtype,
            asic_model=model.chip,
            asic_count=model.boards * model.chips_per_board,
            small_core_count=0,
            frequency=float(model.default_clock),
            core_voltage=model.default_millivolts,
            pools=[],
        )

    def make_physics(self) -> Physics:
        return EpicPhysics(self.board, self.seed)

    @property
    def epic_physics(self) -> EpicPhysics:
        assert isinstance(self.physics, EpicPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": "root", "password": self.password}

    def tick(self) -> None:
        self._state.pools = [_pool_state(entry) for entry in self.stratum]
        super().tick()

    # --- dispatch ---------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        if self._local_port(request) != self._endpoints[API].port:
            return web.Response(text=DASHBOARD, content_type="text/html")
        route = request.path.rstrip("/") or "/"
        if request.method == "GET":
            reader = self.reads().get(route)
            if reader is None:
                return web.Response(status=404, text="Not Found")
            return _json(reader())
        if request.method == "POST":
            if route == "/systemupdate":
                return await self.system_update(request)
            writer = self.writes().get(route)
            if writer is None:
                return web.Response(status=404, text="Not Found")
            try:
                body = json.loads((await request.read()).decode("utf-8", "replace"))
            except ValueError:
                return web.Response(status=400, text="Json deserialize error: invalid JSON body")
            if not isinstance(body, dict) or "password" not in body:
                return _json({"result": False, "error": "MissingParam"})
            if body["password"] != self.password:
                return _json({"result": False, "error": "BadPassword"})
            if "param" not in body and route not in ("/softreboot", "/authenticate"):
                return _json({"result": False, "error": "MissingParam"})
            return await writer(request, body.get("param"))
        return web.Response(status=405, text="Method Not Allowed")

    @staticmethod
    def _local_port(request: web.BaseRequest) -> int | None:
        transport = request.transport
        name = transport.get_extra_info("sockname") if transport is not None else None
        return int(name[1]) if name else None

    def reads(self) -> dict[str, Any]:
        return {
            "/summary": self.summary,
            "/capabilities": self.capabilities,
            "/network": self.network,
            "/temps": self.temps,
            "/hashrate": self.chip_hashrates,
            "/clocks": self.chip_clocks,
            "/voltages": self.chip_voltages,
            "/perpetualtune": self.perpetualtune_info,
        }

    def writes(self) -> dict[str, Writer]:
        return {
            "/authenticate": self.w_authenticate,
            "/reboot": self.w_reboot,
            "/softreboot": self.w_softreboot,
            "/miner": self.w_miner,
            "/coin": self.w_coin,
            "/fanspeed": self.w_fanspeed,
            "/perpetualtune": self.w_perpetualtune,
            "/perpetualtune/algo": self.w_perpetualtune_algo,
            "/identify": self.w_identify,
            "/password": self.w_password,
        }

    # --- reads ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        state, model, physics = self._state, self.board, self.epic_physics
        now = int(time.time())
        uptime = int(state.uptime)
        started = now - uptime
        hbs = []
        for index in range(model.boards):
            rate = physics.board_rates[index]
            ideal = state.expected_hashrate * 1000 / model.boards
            hbs.append(
                {
                    "Core Clock": [],
                    "Core Clock Avg": round(physics.clock, 1),
                    "Hashrate": [
                        round(rate, 1),
                        round(100 * rate / ideal, 1) if ideal else 0.0,
                        round(physics.rng.uniform(0.2, 1.2), 1) if rate else 0.0,
                    ],
                    "Index": index,
                    "Input Current": 0.0,
                    "Input Power": 0.0,
                    "Input Voltage": 12.6,
                    "Output Current": 0.0,
                    "Output Power": 0.0,
                    "Output Voltage": 0.0,
                    "Temperature": round(physics.board_temps[index], 3),
                }
            )
        fans: dict[str, int | None] = {}
        for slot in range(1, FAN_SLOTS + 1):
            fans[f"Fans Speed {slot}"] = (
                physics.fan_rpms[slot - 1] if slot <= len(physics.fan_rpms) else None
            )
        fan_mode: dict[str, Any] = (
            {"Manual": physics.fan_manual}
            if physics.fan_manual is not None
            else {
                "Auto": {
                    "Idle Speed": physics.idle_speed,
                    "Target Temperature": physics.target_temp,
                }
            }
        )
        algorithm = physics.algorithm
        _terahash, watts = physics.operating_point()
        pool = self.stratum[0] if self.stratum else {"pool": "", "login": ""}
        connected = bool(self.stratum) and physics.mining
        user = pool["login"] + (self._unique_suffix() if self.unique_id else "")
        mining = physics.mining
        return {
            "Disable Board On Failure": True,
            "Enable Boards On Idle": False,
            "Fans": {
                "Fan Mode": fan_mode,
                "Fans Speed": state.fan_percent,
                "Minimum Working Fans": 0,
            },
            "Fans Rpm": fans,
            "HBStatus": [
                {"Detected": True, "Enabled": True, "Index": index} for index in range(model.boards)
            ],
            "HBs": hbs,
            "Hostname": state.hostname,
            "HwConfig": {
                "Boards Target Clock": [
                    {"Data": float(round(physics.clock)), "Index": index}
                    for index in range(model.boards)
                ]
            },
            "IdleOnConnectionLost": True,
            "Last License Error": None,
            "Mining": {"Algorithm": "SHA-256", "Coin": self.coin},
            "Misc": {
                "Critical Temp": 100.0,
                "Locate Miner State": self.locate,
                "Shutdown Temp": 85.0,
            },
            "OS Type": "umcOS",
            "Overdrive": False,
            "PerpetualTune": {
                "Algorithm": {algorithm: self._algorithm_stats()},
                "Running": physics.tuning and mining,
            },
            "Power Supply Stats": {
                "Input Current": 0.0,
                "Input Power": round(state.power, 4),
                "Input Voltage": 0.0,
                "Output Current": 0.0,
                "Output Power": 0.0,
                "Output Voltage": round(12.6 * physics.rng.uniform(0.998, 1.0), 3),
                "Target Voltage": 12600,
            },
            "PresetInfo": {"Target Power": round(watts)},
            "Session": {
                "Accepted": state.shares_accepted,
                "Active HBs": model.boards if mining else 0,
                "Average MHs": round(state.hashrate_10m * 1000, 1),
                "Difficulty": POOL_DIFFICULTY,
                "Last Accepted Share Timer": 25 if state.shares_accepted else 0,
                "Last Accepted Share Timestamp": now - 25 if state.shares_accepted else started,
                "Last Work Timer": 4,
                "Last Work Timestamp": now - 4,
                "LastAverageMHs": {
                    "Hashrate": round(state.hashrate_1h * 1000, 1),
                    "Timestamp": now - now % 3600,
                },
                "Rejected": state.shares_rejected,
                "Startup String": email.utils.formatdate(started, usegmt=False).replace(
                    "-0000", "+0000"
                ),
                "Startup Timestamp": started,
                "Submitted": state.shares_accepted + state.shares_rejected,
                "Uptime": uptime,
                "WorkReceived": uptime // 36,
            },
            "Software": SOFTWARE_PREFIX + state.version,
            "Status": {
                "Last Command": None,
                "Last Command Result": None,
                "Last Error": None,
                "Operating State": self.operating_state,
            },
            "Stratum": {
                "Average Latency": round(physics.rng.uniform(0.03, 0.05), 9),
                "Config Id": 0,
                "Current Pool": pool["pool"].split("://", 1)[-1],
                "Current User": user,
                "IsPoolConnected": connected,
                "Worker Unique Id": self.unique_id,
                "Worker Unique Id Variant": "IpAddress",
            },
            "StratumConfigs": [dict(entry) for entry in self.stratum],
        }

    def _algorithm_stats(self) -> dict[str, Any]:
        physics = self.epic_physics
        return {
            "Min Throttle Target": 50,
            "Optimized": physics.mining and physics.tuning and self._state.uptime > 600,
            "Target": int(physics.target),
            "Throttle Step": 5,
            "Throttle Target": None,
            "Unit": "W" if physics.algorithm == POWER_ALGORITHM else "TH/s",
        }

    def _unique_suffix(self) -> str:
        octets = self.host.split(".")
        return f"-0x{octets[-2]}x{octets[-1]}" if len(octets) == 4 else ""

    def capabilities(self) -> dict[str, Any]:
        model = self.board
        return {
            "Board Serial Numbers": list(self.serials),
            "Chip Type": model.chip,
            "Chips Per Bank": model.chips_per_bank,
            "Coins": ["BTC"],
            "Control Board Version": {
                "carrierBoardVersion": "4.1.0",
                "cpuHardware": "STM32 (Device Tree Support)",
                "cpuSerial": self.cpu_serial,
                "somBoardVersion": "7.1.0",
            },
            "Default Clock": model.default_clock,
            "Default Hashrate": model.default_terahash,
            "Default Voltage": model.default_millivolts,
            "Display": ["ClksAndVoltage", "ShutdownTemp", "PerpetualTune"],
            "Max Clock Configs": 1,
            "Max HBs": model.boards,
            "Model": model.capability_model,
            "Model Subtype": model.subtype,
            "Performance Estimator": {
                "Chip Count": model.chips_per_board,
                "Hashes Per Second Per Chip": model.hashes_per_chip,
            },
            "PerpetualTune": [
                {
                    "algorithm": algorithm,
                    "description": description,
                    "max": model.max_target,
                    "min": model.min_target,
                    "name": name,
                }
                for algorithm, name, description in (
                    (
                        "VoltageOptimizer",
                        "Voltage Optimizer",
                        "Holds the target hashrate, adjusting voltage for efficiency.",
                    ),
                    (
                        "ChipTune",
                        "Chip Tune",
                        "Holds the target hashrate, tuning each chip's clock.",
                    ),
                    (
                        "BoardTune",
                        "Board Tune",
                        "Holds the target hashrate, tuning each board's clock.",
                    ),
                )
            ],
            "Psu Info": {"FW": 25, "Max Vout": 15182, "Min Vout": 11877, "PSU Type": 118},
            "Temp Sensor Info": {"Count": 2, "Type": "Board"},
            "Tune Presets": [
                {
                    "clk": preset.clock,
                    "hashrate": float(preset.terahash),
                    "power": preset.watts,
                    "voltage": preset.millivolts,
                }
                for preset in model.presets
            ],
            "Voltage Estimator": {"Slope": 0.0041, "Y Intercept": 11.0},
        }

    def network(self) -> dict[str, Any]:
        return {
            "dhcp": {
                "address": self.host,
                "dns": "8.8.8.8",
                "gateway": "",
                "mac_address": self._state.mac,
                "netmask": "255.0.0.0",
            }
        }

    def temps(self) -> list[dict[str, Any]]:
        physics = self.epic_physics
        return [
            {
                "Data": [round(temp - 12, 3), round(temp, 3)],
                "Index": index,
                "Total": 0.0,
            }
            for index, temp in enumerate(physics.board_temps)
        ]

    def chip_hashrates(self) -> list[dict[str, Any]]:
        model, physics = self.board, self.epic_physics
        rng = physics.rng
        boards = []
        for index, rate in enumerate(physics.board_rates):
            per_chip = rate / model.chips_per_board
            ideal = per_chip if per_chip else 1.0
            chips = []
            for _ in range(model.chips_per_board):
                chip = per_chip * rng.uniform(0.8, 1.25)
                chips.append(
                    [
                        round(chip, 2),
                        round(100 * chip / ideal, 1),
                        round(rng.uniform(3, 6), 1) if chip else 0.0,
                    ]
                )
            boards.append(
                {
                    "Data": chips,
                    "Index": index,
                    "Total": [round(rate, 1), 100.0 if rate else 0.0, 4.1 if rate else 0.0],
                }
            )
        return boards

    def chip_clocks(self) -> list[dict[str, Any]]:
        model, physics = self.board, self.epic_physics
        clock = round(physics.clock * 2) / 2
        return [
            {"Data": [clock] * model.chips_per_board, "Index": index, "Total": 0.0}
            for index in range(model.boards)
        ]

    def chip_voltages(self) -> list[dict[str, Any]]:
        # The recorded firmware reports zeros here (no per-chip voltage sensing).
        model = self.board
        return [
            {"Data": [0.0] * model.chips_per_board, "Index": index, "Total": 0.0}
            for index in range(model.boards)
        ]

    def perpetualtune_info(self) -> dict[str, Any]:
        physics = self.epic_physics
        return {
            "Algorithms": {physics.algorithm: self._algorithm_stats()},
            "Current Algorithm": physics.algorithm,
            "Enable": physics.tuning,
            "Running": physics.tuning and physics.mining,
        }

    # --- writes -----------------------------------------------------------------------------

    async def w_authenticate(self, _request: web.BaseRequest, _param: Any) -> web.StreamResponse:
        return _json(OK)

    async def w_reboot(self, request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if isinstance(param, bool) or not isinstance(param, int) or param < 0:
            return _json({"result": False, "error": "MissingParam"})
        if param == 0:
            return await self.respond_then_reboot(request, _json(OK))
        self.spawn(self._reboot_later(param), "delayed-reboot")
        return _json(OK)

    async def _reboot_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.reboot()

    async def w_softreboot(self, _request: web.BaseRequest, _param: Any) -> web.StreamResponse:
        """The mining program starts again: the session (uptime, shares) restarts."""
        self.tick()
        self.physics.reset_session(self._state)
        self.epic_physics.mining = True
        self.operating_state = "Mining"
        self.tick()
        return _json(OK)

    async def w_miner(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if param not in ("Stop", "Autostart"):
            return _json({"result": False, "error": "MissingParam"})
        self.tick()
        mining = param == "Autostart"
        self.epic_physics.mining = mining
        self.operating_state = "Mining" if mining else "Idling"
        self.tick()
        return _json(OK)

    async def w_coin(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if not isinstance(param, dict) or not isinstance(param.get("stratum_configs"), list):
            return _json({"result": False, "error": "MissingParam"})
        configs = param["stratum_configs"]
        if not configs or len(configs) > MAX_POOLS:
            return _json({"result": False, "error": "InvalidPoolConfig"})
        coin = str(param.get("coin", "BTC")).upper()
        if coin not in ("BTC", "LTC"):
            return _json({"result": False, "error": "InvalidPoolConfig"})
        stored = []
        for entry in configs:
            if not isinstance(entry, dict):
                return _json({"result": False, "error": "InvalidPoolConfig"})
            pool, login = entry.get("pool"), entry.get("login")
            if not isinstance(pool, str) or not isinstance(login, str):
                return _json({"result": False, "error": "MissingParam"})
            if "://" not in pool or not pool.split("://", 1)[1]:
                return _json({"result": False, "error": {"InvalidPoolAddr": pool}})
            password = entry.get("password")
            stored.append({"login": login, "password": password or "", "pool": pool})
        self.stratum = stored
        self.coin = coin
        if isinstance(param.get("unique_id"), bool):
            self.unique_id = param["unique_id"]
        self.tick()
        return _json(OK)

    async def w_fanspeed(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        physics = self.epic_physics
        if isinstance(param, dict) and isinstance(param.get("Manual"), int):
            physics.fan_manual = max(1, min(100, int(param["Manual"])))
        elif isinstance(param, dict) and isinstance(param.get("Auto"), dict):
            auto = param["Auto"]
            idle, target = auto.get("Idle Speed"), auto.get("Target Temperature")
            if not isinstance(idle, int) or not isinstance(target, int):
                return _json({"result": False, "error": "MissingParam"})
            physics.fan_manual = None
            physics.idle_speed = max(1, min(100, idle))
            physics.target_temp = target
        else:
            return _json({"result": False, "error": "MissingParam"})
        self.tick()
        return _json(OK)

    async def w_perpetualtune(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if not isinstance(param, bool):
            return _json({"result": False, "error": "MissingParam"})
        self.epic_physics.tuning = param
        self.tick()
        return _json(OK)

    async def w_perpetualtune_algo(
        self, _request: web.BaseRequest, param: Any
    ) -> web.StreamResponse:
        if (
            not isinstance(param, dict)
            or param.get("algo") not in ALGORITHMS
            or isinstance(param.get("target"), bool)
            or not isinstance(param.get("target"), int)
        ):
            return _json({"result": False, "error": "MissingParam"})
        model, physics = self.board, self.epic_physics
        target = int(param["target"])
        if param["algo"] in TH_ALGORITHMS:
            target = max(model.min_target, min(model.max_target, target))
        physics.algorithm = str(param["algo"])
        physics.target = target
        physics.tuning = True
        self.tick()
        return _json(OK)

    async def w_identify(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if not isinstance(param, bool):
            return _json({"result": False, "error": "MissingParam"})
        self.locate = param
        self._state.identify_active = param
        if param:
            self._state.identify_count += 1
        return _json(OK)

    async def w_password(self, _request: web.BaseRequest, param: Any) -> web.StreamResponse:
        if not isinstance(param, str) or not param:
            return _json({"result": False, "error": {"PasswdChangeFailed": "empty password"}})
        self.password = param
        return _json(OK)

    async def system_update(self, request: web.BaseRequest) -> web.StreamResponse:
        """Multipart ``update.zip`` + ``checksum`` + ``keepsettings`` + ``password``.

        The file is hashed as it arrives; the password may come after it, so it is checked once
        the whole form is read. A zip holding a ``*.swu`` image whose name carries a version
        (``UMC-1.6.0.swu``) is installed: the miner reboots and reports that version.
        """
        if not request.content_type.startswith("multipart/"):
            return _json({"result": False, "error": "InvalidMultipart"})
        reader = await request.multipart()
        fields: dict[str, str] = {}
        digest = hashlib.sha256()
        files = 0
        size = 0
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT) as upload:
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename is not None:
                    files += 1
                    if part.name != "update.zip":
                        continue
                    while chunk := await part.read_chunk(UPLOAD_CHUNK):
                        digest.update(chunk)
                        upload.write(chunk)
                        size += len(chunk)
                elif part.name:
                    fields[part.name] = (await part.text()).strip()
            self.last_upload = {"size": size, "fields": sorted(fields)}
            if fields.get("password") != self.password:
                return _json({"result": False, "error": "BadPassword"})
            if files != 1:
                return _json({"result": False, "error": "InvalidNumberOfFiles"})
            if size == 0 or "checksum" not in fields:
                return _json({"result": False, "error": "MissingParam"})
            if fields["checksum"].lower() != digest.hexdigest():
                return _json({"result": False, "error": "InvalidChecksum"})
            upload.seek(0)
            version, error = _swu_version(upload)
        if error is not None or self.has_fault(Fault.FIRMWARE_REJECTED):
            return _json({"result": False, "error": error or "BadUpdateFile"})
        assert version is not None
        if fields.get("keepsettings", "true").lower() == "false":
            self._reset_settings()
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self._state.version = self._state.www_version = version
        self.operating_state = "UpdatingFirmware"
        return await self.respond_then_reboot(
            request, _json(OK), stay_down=self.has_fault(Fault.NEVER_RETURNS)
        )

    def _reset_settings(self) -> None:
        physics = self.epic_physics
        physics.algorithm = "VoltageOptimizer"
        physics.target = self.board.default_terahash
        physics.tuning = True
        physics.fan_manual = None
        physics.idle_speed = 20
        physics.target_temp = 60
        self.unique_id = True
        self.password = self.spec.password or DEFAULT_PASSWORD

    def on_boot(self) -> None:
        self.locate = False
        self.epic_physics.mining = True
        self.operating_state = "Mining"


# --- helpers ----------------------------------------------------------------------------------


def _json(payload: Any) -> web.Response:
    return web.Response(text=json.dumps(payload), content_type="application/json")


def _swu_version(upload: Any) -> tuple[str | None, str | None]:
    """(version, None) from the ``*.swu`` inside the zip, or (None, the firmware's error)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None, "BadUpdateFile"
    images = [name for name in names if name.lower().endswith(".swu")]
    if not images:
        return None, "MissingSwuFile"
    match = SWU_VERSION.search(images[0].rsplit("/", 1)[-1])
    if match is None:
        return None, "BadUpdateFile"
    return match.group(1), None


def _pool_state(entry: dict[str, str]) -> PoolState:
    address = entry["pool"].split("://", 1)[-1]
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return PoolState(address, 0, entry["login"], entry.get("password", ""))
    return PoolState(host, int(port), entry["login"], entry.get("password", ""))


__all__ = ["EPIC_MODELS", "EpicMiner"]
