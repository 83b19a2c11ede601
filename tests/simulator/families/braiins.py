"""Braiins OS (BOSer) on Antminer hardware: the CGMiner-style RPC on 4028 and, from 25.07, the
public REST API under ``/api/v1`` on port 80 with a login token.

REST replies have the keys and JSON types of replies recorded from a real S19 XP on 25.07
(``miner/details``, ``miner/stats``, ``miner/hw/hashboards``, ``cooling/state``,
``performance/tuner-state``, ``configuration/miner``, ``miner/errors``, ``pools``, ``network``,
``version``, ``actions/locate``); routes, request bodies and the login reply follow Braiins'
OpenAPI document of 25.07. RPC replies follow the BOSminer API documentation (``temps``,
``fans``, ``tunerstatus``, ``devdetails``, ``pause``/``resume``) and a recorded BOSer
``version``. The tuner follows the power target: hashrate, clocks, heat and fans with it.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime
import hashlib
import json
import math
import re
import secrets
import time
from typing import Any, ClassVar

from aiohttp import BodyPartReader, web

from .. import rpc
from ..endpoint import Endpoint
from ..faults import ActiveFault, Fault
from ..grpc_endpoint import GRPC_AVAILABLE, GrpcEndpoint
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .antminer import AntminerPhysics
from .antminer_models import AntminerModel
from .braiins_grpc import GRPC, GRPC_PORT, BraiinsGrpcApi
from .braiins_models import BRAIINS_MODELS, BraiinsModel, find_braiins_model
from .braiins_upgrade import UPGRADE_SINCE, ImageCheck, UpgradeMetadata

DEFAULT_USER = "root"
DEFAULT_PASSWORD = ""  # Braiins OS ships without a root password
TOKEN_TIMEOUT_S = 3600  # `timeout_s` of the login reply; refreshed by every request (assumed value)
DEFAULT_MODEL = "Antminer S19 XP"
AMBIENT = 25.0
POOL_DIFFICULTY = 262_144  # the recorded S19 XP's pool difficulty
REJECT_RATIO = 0.002
HASH_EXPONENT = 0.8  # hashrate ∝ power^0.8 around the nominal point (assumed tuner curve)
MHS_PER_GHS = 1000.0
SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# Releases: `bos_version.current`, the BOSer build hash, the REST API version (None: no REST).
FIRMWARES: dict[str, tuple[str, str, tuple[int, int, int] | None]] = {
    "24.09": ("2024-09-23-0-75912fc7-24.09-plus", "75912fc7", None),
    "25.03": ("2025-03-26-0-75912fc7-25.03-plus", "75912fc7", None),
    "25.05": ("2025-06-02-0-45f356ea-25.05-plus", "45f356ea", None),
    "25.07": ("2025-08-06-0-3881c51d-25.07-plus", "3881c51d", (1, 0, 0)),
    "25.11": ("2025-11-20-0-5d0c1a7e-25.11-plus", "5d0c1a7e", (1, 1, 0)),
    "26.04": ("2026-04-14-0-9b2e64f1-26.04-plus", "9b2e64f1", (1, 3, 0)),
}
DEFAULT_FIRMWARE = "25.07"
MAJOR_VERSION = "2022-09-13-0-11012d53-22.08-plus"  # `bos_version.major` as recorded
RELEASE = re.compile(r"(\d{2})\.(\d{2})")

ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Braiins OS</title></head>
<body><div id="root">Braiins OS</div><script src="/assets/index.js"></script></body>
</html>
"""

# BOSer's miner status enum in miner/details (2 = normal as recorded; 3 = paused assumed).
STATUS_NORMAL, STATUS_PAUSED = 2, 3


def _digits(seed: str, count: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:count])


def locally_administered_mac(seed: str) -> str:
    """``02:…``: which OUIs the control boards carry is not checked (the recording is 02:…)."""
    return seeded_mac("02", seed)


def release_of(firmware: str) -> str:
    """``25.07`` from ``25.07``, ``25.07.1`` or ``2025-08-06-0-3881c51d-25.07-plus``."""
    matches = RELEASE.findall(firmware)
    if not matches:
        raise ValueError(f"{firmware!r} names no Braiins OS release (like 25.07)")
    year, month = matches[-1]
    return f"{year}.{month}"


class TunedPhysics(AntminerPhysics):
    """An Antminer whose firmware sets its power (a tuner target, a profile): hashrate, clocks,
    heat and fans follow ``hash_share`` and ``power``; ``sleeping`` stops the boards."""

    def __init__(self, model: AntminerModel, seed: str) -> None:
        super().__init__(model, seed)
        self.hash_share = 1.0  # of the nominal hashrate
        self.power = model.nominal_power  # W at the wall while hashing
        self.frequency = float(model.frequency)
        self.sleeping = False
        self.fan_percent_override: int | None = None

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        sleeping = self.sleeping
        state.paused = sleeping
        state.expected_hashrate = 0.0 if sleeping else model.nominal_hashrate * self.hash_share
        state.frequency = 0.0 if sleeping else self.frequency
        if sleeping:
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        else:
            expected = state.expected_hashrate
            state.hashrate = expected * rng.uniform(0.97, 1.03)
            state.hashrate_1m = expected * rng.uniform(0.99, 1.01)
            state.hashrate_10m = expected * rng.uniform(0.995, 1.005)
            state.hashrate_1h = expected * rng.uniform(0.997, 1.003)
            state.power = self.power * rng.uniform(0.98, 1.01)
        load = state.power / model.nominal_power
        if self.fan_percent_override is not None:
            fan = float(self.fan_percent_override)
        else:
            fan = 0.0 if sleeping else min(100.0, 30 + 60 * load)
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        board = AMBIENT + 30 * load / max(factor, FAN_FLOOR) * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9)
        self.board_temps = [board + rng.uniform(-2.0, 2.0) for _ in range(model.boards)]
        state.vr_temp = max(self.board_temps)
        state.temp = state.vr_temp + 15 * load  # the hottest chip
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.97, 1.03) / 30) * 30
            for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0] if self.fan_rpms else 0
        per_board = state.hashrate / model.boards
        self.chain_rates = [
            0.0 if sleeping else per_board * rng.uniform(0.97, 1.03) for _ in range(model.boards)
        ]
        state.uptime += elapsed
        if not sleeping and elapsed > 0:
            self._shares(state, elapsed)


@dataclass(slots=True)
class BosPool:
    uid: str
    url: str
    user: str
    password: str | None
    enabled: bool = True


@dataclass(slots=True)
class BosPoolGroup:
    uid: str
    name: str
    pools: list[BosPool]
    quota: int = 1


class BraiinsMiner(SimulatedMiner):
    """A miner on Braiins OS (BOSer)."""

    family = "braiins"
    # gRPC (every release here has it) where grpcio is installed.
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028} | (
        {GRPC: GRPC_PORT} if GRPC_AVAILABLE else {}
    )

    def _make_endpoint(self, name: str, host: str, port: int) -> Endpoint:
        if name == GRPC:
            api = BraiinsGrpcApi(self)
            return GrpcEndpoint(host, port, api.methods(), api.streams())
        return super()._make_endpoint(name, host, port)

    def grpc_fault(self, method: str) -> ActiveFault | None:
        """The transport fault that applies to a gRPC call (``path`` is the method path)."""
        return self._transport_fault(method)

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> BraiinsModel:
        if self.spec.model == MinerSpec().model:  # a spec that names no model
            return find_braiins_model(DEFAULT_MODEL)
        return find_braiins_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return locally_administered_mac(seed)

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password if spec.password is not None else DEFAULT_PASSWORD
        self.token_timeout: float = TOKEN_TIMEOUT_S
        self.tokens: dict[str, float] = {}  # token → monotonic time of its last use
        self.release = release_of(spec.firmware or DEFAULT_FIRMWARE)
        known = FIRMWARES.get(self.release)
        if known is None:
            raise ValueError(
                f"unknown Braiins OS release {self.release}; known: {', '.join(FIRMWARES)}"
            )
        self.firmware_string, self.boser_hash, self.api_version = known
        self.uid = _digits(f"uid:{self.seed}", 16, TOKEN_ALPHABET)
        self.board_serials = [
            model.serial_prefix + _digits(f"board{index}:{self.seed}", 13, SERIAL_ALPHABET)
            for index in range(model.hardware.boards)
        ]
        self.locate = False
        self.reported_errors: list[tuple[str, list[str]]] = []  # (message, error codes) to add
        self.power_target = model.default_power_target
        self.tuned_at = int(time.time()) - 3600
        self.groups = self.default_groups(mac)
        return MinerState(
            mac=mac,
            hostname=spec.hostname or "Antminer",
            model=model.name,
            version=self.firmware_string,
            www_version=self.firmware_string,
            board_version=model.board_name,
            asic_model=model.hardware.chip,
            asic_count=model.hardware.boards * model.hardware.chips_per_board,
            small_core_count=0,
            frequency=float(model.hardware.frequency),
            core_voltage=0,
            pools=[],
        )

    def default_groups(self, mac: str) -> list[BosPoolGroup]:
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        return [
            BosPoolGroup(
                uid=_digits(f"group:{self.seed}", 16, TOKEN_ALPHABET),
                name="Default",
                pools=[
                    BosPool(
                        self._new_uid("pool0"), "stratum+tcp://stratum.braiins.com:3333", worker, ""
                    ),
                    BosPool(
                        self._new_uid("pool1"),
                        "stratum+tcp://eu.stratum.braiins.com:3333",
                        worker,
                        "",
                    ),
                ],
            )
        ]

    def _new_uid(self, salt: str) -> str:
        return _digits(f"{salt}:{self.seed}:{time.monotonic_ns()}", 16, TOKEN_ALPHABET)

    def make_physics(self) -> TunedPhysics:
        return TunedPhysics(self.board.hardware, self.seed)

    @property
    def tuned(self) -> TunedPhysics:
        assert isinstance(self.physics, TunedPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    @property
    def has_rest(self) -> bool:
        return self.api_version is not None

    @property
    def rpc_description(self) -> str:
        return f"BOSer boser-buildroot 0.1.0-{self.boser_hash}"

    def tick(self) -> None:
        self._sync()
        super().tick()

    def _sync(self) -> None:
        """Carry the tuner target and the pools into what the physics and the state read."""
        hardware = self.board.hardware
        physics = self.physics
        if isinstance(physics, TunedPhysics):
            share = (self.power_target / hardware.nominal_power) ** HASH_EXPONENT
            physics.hash_share = share
            physics.power = float(self.power_target)
            physics.frequency = hardware.frequency * share
        self._state.pools = [
            _pool_state(pool) for group in self.groups for pool in group.pools if pool.url
        ]

    def on_boot(self) -> None:
        self.tokens.clear()
        self.locate = False
        self._state.identify_active = False

    # --- what both APIs read ----------------------------------------------------------------

    def _all_pools(self) -> list[tuple[BosPoolGroup, BosPool]]:
        return [(group, pool) for group in self.groups for pool in group.pools]

    def _active_pool(self) -> BosPool | None:
        for _group, pool in self._all_pools():
            if pool.enabled and pool.url:
                return pool
        return None

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        api = rpc.CgminerApi(
            self.rpc_description,
            {
                "version": self.rpc_version,
                "summary": self.rpc_summary,
                "pools": self.rpc_pools,
                "devs": self.rpc_devs,
                "edevs": self.rpc_devs,
                "devdetails": self.rpc_devdetails,
                "temps": self.rpc_temps,
                "fans": self.rpc_fans,
                "tunerstatus": self.rpc_tunerstatus,
                "tempctrl": self.rpc_tempctrl,
                "pause": self.rpc_pause,
                "resume": self.rpc_resume,
            },
        )
        return api.answer(request)

    def _reply(self, section: str, items: list[Any], code: int, message: str) -> dict[str, Any]:
        return rpc.reply(section, items, code, message, self.rpc_description)

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        boser = f"boser-buildroot 0.1.0-{self.boser_hash}"
        return self._reply(
            "VERSION", [{"API": "3.7", "BOSer": boser}], rpc.CODE_VERSION, "BOSer versions"
        )

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        elapsed = int(state.uptime)
        accepted, rejected = state.shares_accepted, state.shares_rejected
        minutes = max(state.uptime / 60, 1 / 60)
        summary = {
            "Elapsed": elapsed,
            "MHS av": round(state.hashrate_10m * MHS_PER_GHS, 3),
            "MHS 5s": round(state.hashrate * MHS_PER_GHS, 3),
            "MHS 1m": round(state.hashrate_1m * MHS_PER_GHS, 3),
            "MHS 5m": round(state.hashrate_10m * MHS_PER_GHS, 3),
            "MHS 15m": round(state.hashrate_10m * MHS_PER_GHS, 3),
            "Found Blocks": 0,
            "Getworks": elapsed // 30,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": 0,
            "Utility": round(accepted / minutes, 3),
            "Discarded": 0,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 12,
            "Remote Failures": 0,
            "Network Blocks": 1 + elapsed // 600,
            "Total MH": round(state.hashrate_10m * MHS_PER_GHS * state.uptime, 1),
            "Work Utility": round(state.hashrate_10m * 60 / 4.295, 3),
            "Difficulty Accepted": float(accepted * POOL_DIFFICULTY),
            "Difficulty Rejected": float(rejected * POOL_DIFFICULTY),
            "Difficulty Stale": 0.0,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0.0,
            "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0.0,
            "Last getwork": int(time.time()),
        }
        return self._reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary")

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        active = self._active_pool()
        entries = []
        for index, (_group, pool) in enumerate(self._all_pools()):
            is_active = pool is active and not state.paused
            accepted = state.shares_accepted if is_active else 0
            rejected = state.shares_rejected if is_active else 0
            entries.append(
                {
                    "POOL": index,
                    "URL": pool.url,
                    "Status": "Alive" if pool.enabled else "Disabled",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": int(state.uptime) // 30 if is_active else 0,
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Works": 0,
                    "Discarded": 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool.user,
                    "Last Share Time": int(time.time()) if is_active and accepted else 0,
                    "Diff1 Shares": 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": float(accepted * POOL_DIFFICULTY),
                    "Difficulty Rejected": float(rejected * POOL_DIFFICULTY),
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": float(POOL_DIFFICULTY) if is_active else 0.0,
                    "Work Difficulty": float(POOL_DIFFICULTY) if is_active else 0.0,
                    "Has Stratum": True,
                    "Stratum Active": is_active,
                    "Stratum URL": _host_of(pool.url) if is_active else "",
                    "Stratum Difficulty": float(POOL_DIFFICULTY) if is_active else 0.0,
                    "Has Vmask": True,
                    "Has GBT": False,
                    "Best Share": round(state.best_session_diff) if is_active else 0,
                    "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                    "Pool Stale%": 0.0,
                    "Bad Work": 0,
                    "Current Block Height": 0,
                    "Current Block Version": 536870912,
                    "AsicBoost": True,
                }
            )
        return self._reply("POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)")

    def _board_ids(self) -> range:
        return range(1, self.board.hardware.boards + 1)  # hash chains 1…3 on X19/X21 boards

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics, hardware = self._state, self.tuned, self.board.hardware
        nominal = hardware.nominal_hashrate * physics.hash_share / hardware.boards
        devices = []
        for index, chain_id in enumerate(self._board_ids()):
            rate = physics.chain_rates[index] * MHS_PER_GHS
            devices.append(
                {
                    "ASC": index,
                    "Name": "",
                    "ID": chain_id,
                    "Enabled": "Y",
                    "Status": "Alive",
                    "Temperature": round(physics.board_temps[index], 1),
                    "MHS av": round(rate, 3),
                    "MHS 5s": round(rate, 3),
                    "MHS 1m": round(rate, 3),
                    "MHS 5m": round(rate, 3),
                    "MHS 15m": round(rate, 3),
                    "Nominal MHS": round(0.0 if state.paused else nominal * MHS_PER_GHS, 3),
                    "Accepted": state.shares_accepted // hardware.boards,
                    "Rejected": state.shares_rejected // hardware.boards,
                    "Hardware Errors": 0,
                    "Utility": 0.0,
                    "Last Share Pool": 0,
                    "Last Share Time": int(time.time()),
                    "Total MH": round(rate * state.uptime, 1),
                    "Diff1 Work": 0,
                    "Difficulty Accepted": float(
                        state.shares_accepted // hardware.boards * POOL_DIFFICULTY
                    ),
                    "Difficulty Rejected": 0.0,
                    "Last Share Difficulty": float(POOL_DIFFICULTY),
                    "Last Valid Work": int(time.time()),
                    "Device Hardware%": 0.0,
                    "Device Rejected%": 0.0,
                    "Device Elapsed": int(state.uptime),
                }
            )
        return self._reply("DEVS", devices, rpc.CODE_DEVS, f"{len(devices)} ASC(s)")

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model, physics = self.board, self.tuned
        hardware = model.hardware
        details = [
            {
                "DEVDETAILS": index,
                "Name": f"Hash Chain {chain_id}",
                "ID": chain_id,
                "Driver": "",
                "Kernel": "",
                "Model": model.devdetails_model,
                "Device Path": "",
                "Chips": hardware.chips_per_board,
                "Cores": hardware.chips_per_board * 894,
                "Frequency": int(physics.frequency * 1_000_000),
                "Voltage": round(12.6 + 0.8 * physics.hash_share, 6),
            }
            for index, chain_id in enumerate(self._board_ids())
        ]
        return self._reply("DEVDETAILS", details, 69, "Device Details")

    def rpc_temps(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics = self._state, self.tuned
        temps = [
            {
                "TEMP": index,
                "ID": chain_id,
                "Board": round(physics.board_temps[index], 3),
                "Chip": round(physics.board_temps[index] + (state.temp - state.vr_temp), 3),
            }
            for index, chain_id in enumerate(self._board_ids())
        ]
        return self._reply("TEMPS", temps, 201, f"{len(temps)} Temp(s)")

    def rpc_fans(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics = self._state, self.tuned
        fans = [
            {"FAN": index, "ID": index, "RPM": rpm, "Speed": int(state.fan_percent)}
            for index, rpm in enumerate(physics.fan_rpms)
        ]
        return self._reply("FANS", fans, 202, f"{len(fans)} Fan(s)")

    def rpc_tunerstatus(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, hardware = self._state, self.board.hardware
        miner_power = round(state.power)
        chain_power = max(0, miner_power - 60) if not state.paused else 0
        per_chain = chain_power // hardware.boards
        chains = [
            {
                "HashchainIndex": chain_id,
                "Iteration": 0,
                "LoadedProfileCreatedOn": self.tuned_at,
                "PowerLimitWatt": self.power_target // hardware.boards,
                "ApproximatePowerConsumptionWatt": per_chain,
                "StageElapsed": int(state.uptime),
                "Status": "Paused" if state.paused else "Stable",
                "TunerRunning": False,
                "TuningElapsed": 0,
            }
            for chain_id in self._board_ids()
        ]
        status = {
            "PowerLimit": self.power_target,
            "DynamicPowerScaling": "Disabled",
            "ApproximateChainPowerConsumption": chain_power,
            "ApproximateMinerPowerConsumption": miner_power,
            "TunerChainStatus": chains,
        }
        return self._reply("TUNERSTATUS", [status], 203, "Tuner Status")

    def rpc_tempctrl(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        control = {"Mode": "Automatic", "Target": 75, "Hot": 90, "Dangerous": 95}
        return self._reply("TEMPCTRL", [control], 200, "Temperature control")

    def rpc_pause(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        self.tuned.sleeping = True
        self.tick()
        return self._reply("PAUSE", [True], 204, "Pause")

    def rpc_resume(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        self.tuned.sleeping = False
        self.tick()
        return self._reply("RESUME", [True], 205, "Resume")

    # --- web: the page and the REST API -----------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path in ("/", "/index.html"):
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        if not path.startswith("/api/v1/") or not self.has_rest:
            return web.Response(status=404, text="Not Found")
        route = path.removeprefix("/api/v1/").rstrip("/")
        if route == "auth/login":
            if request.method != "POST":
                return _method_not_allowed()
            return await self.rest_login(request)
        if not self._authorized(request):
            return _json({"message": "Unauthorized"}, status=401)
        getters = {
            "miner/details": self.rest_details,
            "miner/stats": self.rest_stats,
            "miner/hw/hashboards": self.rest_hashboards,
            "miner/errors": self.rest_errors,
            "cooling/state": self.rest_cooling,
            "performance/tuner-state": self.rest_tuner_state,
            "configuration/miner": self.rest_configuration,
            "configuration/constraints": self.rest_constraints,
            "pools": self.rest_pools,
            "network": self.rest_network,
            "version": self.rest_version,
            "actions/locate": self.rest_locate_status,
        }
        if request.method == "GET" and route in getters:
            return _json(getters[route]())
        if request.method == "PUT":
            body = await request.read()
            if route == "actions/locate":
                return self.rest_set_locate(body)
            if route == "actions/pause":
                return _json(self.set_sleeping(True))
            if route == "actions/resume":
                return _json(not self.set_sleeping(False))
            if route == "actions/reboot":
                return await self.respond_then_reboot(request, web.Response(status=204))
            if route == "performance/power-target":
                return self.rest_power_target(body)
            if route == "pools/batch":
                return self.rest_pools_batch(body)
        if (request.method, route) == ("POST", UPGRADE_ROUTE) and self.can_upgrade:
            return await self.rest_system_upgrade(request)
        if route in getters or route in _WRITE_ROUTES:
            return _method_not_allowed()
        return web.Response(status=404, text="Not Found")

    # --- auth -------------------------------------------------------------------------------

    async def rest_login(self, request: web.BaseRequest) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="Failed to parse the request body as JSON")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(key), str) for key in ("username", "password")
        ):
            return web.Response(
                status=422, text="Failed to deserialize the JSON body into the target type"
            )
        if body["username"] != self.username or body["password"] != self.password:
            return _json({"message": "Invalid username or password"}, status=401)
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(16))
        self.tokens[token] = time.monotonic()
        return _json({"token": token, "timeout_s": int(self.token_timeout)})

    def _authorized(self, request: web.BaseRequest) -> bool:
        header = request.headers.get("Authorization", "").strip()
        token = header.removeprefix("Bearer ").strip()
        last_used = self.tokens.get(token)
        now = time.monotonic()
        if last_used is None:
            return False
        if now - last_used > self.token_timeout:
            del self.tokens[token]
            return False
        self.tokens[token] = now
        return True

    def expire_tokens(self) -> None:
        """Forget every login, as if each token had timed out."""
        self.tokens.clear()

    # --- reads ------------------------------------------------------------------------------

    def rest_details(self) -> dict[str, Any]:
        model, state = self.board, self._state
        return {
            "bos_mode": 4,
            "bos_version": {
                "bos_plus": True,
                "current": self.firmware_string,
                "major": MAJOR_VERSION,
            },
            "bosminer_uptime_s": int(state.uptime),
            "control_board_soc_family": 3,
            "hostname": state.hostname,
            "kernel_version": "4.9.113",
            "mac_address": state.mac.lower(),
            "miner_identity": {
                "brand": 1,
                "miner_model": model.name,
                "model": model.model_id,
                "name": model.name,
            },
            "platform": 4,
            "psu_info": {
                "fw_version": None,
                "max_voltage": {"volt": 15.2},
                "min_voltage": {"volt": 11.96},
                "model_name": model.psu_model,
                "serial_number": None,
                "version": 117,
            },
            "serial_number": None,
            "status": STATUS_PAUSED if state.paused else STATUS_NORMAL,
            "sticker_hashrate": {"gigahash_per_second": float(model.sticker_hashrate)},
            "system_uptime": int(state.uptime) + 40,
            "system_uptime_s": int(state.uptime) + 40,
            "uid": self.uid,
        }

    def _windows(self, scale: float) -> dict[str, dict[str, float]]:
        state, rng = self._state, self.physics.rng
        day_share = min(1.0, state.uptime / 86_400)

        def rate(value: float) -> dict[str, float]:
            return {"gigahash_per_second": float(value * scale)}

        return {
            "last_15m": rate(state.hashrate_10m),
            "last_15s": rate(state.hashrate * rng.uniform(0.99, 1.01)),
            "last_1h": rate(state.hashrate_1h),
            "last_1m": rate(state.hashrate_1m),
            "last_24h": rate(state.hashrate_1h * day_share),
            "last_30m": rate(state.hashrate_10m),
            "last_30s": rate(state.hashrate * rng.uniform(0.99, 1.01)),
            "last_5m": rate(state.hashrate_10m),
            "last_5s": rate(state.hashrate),
            "since_restart": rate(state.hashrate_10m),
        }

    def _miner_stats(self, scale: float, best: int) -> dict[str, Any]:
        return {
            "best_share": best,
            "error_hashrate": {"megahash_per_second": 0.0},
            "found_blocks": 0,
            "nominal_hashrate": {
                "gigahash_per_second": float(self._state.expected_hashrate * scale)
            },
            "real_hashrate": self._windows(scale),
        }

    def _pool_stats(self, active: bool) -> dict[str, Any]:
        state = self._state
        now = time.time()
        accepted = state.shares_accepted if active else 0
        return {
            "accepted_shares": accepted,
            "best_share": round(state.best_session_diff) if active else 0,
            "generated_work": int(state.hashrate_10m * state.uptime * 4) if active else 0,
            "last_difficulty": POOL_DIFFICULTY if active else 0,
            "last_share_time": {"nanos": int(now % 1 * 1e9), "seconds": int(now)},
            "rejected_shares": state.shares_rejected if active else 0,
            "stale_shares": 0,
        }

    def rest_stats(self) -> dict[str, Any]:
        state = self._state
        terahash = state.hashrate / 1000
        return {
            "miner_stats": self._miner_stats(1.0, round(state.best_session_diff)),
            "pool_stats": self._pool_stats(self._active_pool() is not None and not state.paused),
            "power_stats": {
                "approximated_consumption": {"watt": round(state.power)},
                "efficiency": {
                    "joule_per_terahash": float(state.power / terahash) if terahash else 0.0
                },
            },
        }

    def rest_hashboards(self) -> dict[str, Any]:
        state, physics, model = self._state, self.tuned, self.board
        hardware = model.hardware
        share = 1 / hardware.boards
        boards = []
        for index, chain_id in enumerate(self._board_ids()):
            pcb = physics.board_temps[index]
            chip = pcb + (state.temp - state.vr_temp)
            boards.append(
                {
                    "board_name": model.board_name,
                    "board_temp": {"degree_c": round(pcb, 1)},
                    "chip_type": hardware.chip,
                    "chips_count": hardware.chips_per_board,
                    "current_frequency": {"hertz": float(round(physics.frequency * 1e6))},
                    "current_voltage": {"volt": 12.6 + 0.8 * physics.hash_share},
                    "enabled": True,
                    "highest_chip_temp": {
                        "id": chain_id,
                        "location": 1,
                        "temperature": {"degree_c": round(chip, 1)},
                    },
                    "highest_outlet_temp": {"degree_c": round(pcb, 1)},
                    "id": str(chain_id),
                    "lowest_inlet_temp": {"degree_c": round(pcb - 14, 1)},
                    "model": model.board_name,
                    "serial_number": self.board_serials[index],
                    "stats": self._miner_stats(share, round(state.best_session_diff)),
                }
            )
        return {"hashboards": boards}

    def rest_errors(self) -> dict[str, Any]:
        listed: list[tuple[str, list[str]]] = list(self.reported_errors)
        if self._active_pool() is None:
            listed.append(("No pool configured", []))
        stamp = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
        return {
            "errors": [
                {"components": [], "error_codes": codes, "message": message, "timestamp": stamp}
                for message, codes in listed
            ]
        }

    def rest_cooling(self) -> dict[str, Any]:
        state, physics = self._state, self.tuned
        return {
            "fans": [
                {
                    "position": index,
                    "rpm": rpm,
                    "target_speed_ratio": round(state.fan_percent / 100, 2),
                }
                for index, rpm in enumerate(physics.fan_rpms)
            ],
            "highest_temperature": {
                "id": None,
                "location": 1,
                "temperature": {"degree_c": round(state.temp, 1)},
            },
        }

    def rest_tuner_state(self) -> dict[str, Any]:
        state, hardware = self._state, self.board.hardware
        measured = hardware.nominal_hashrate * self.tuned.hash_share
        return {
            "mode_state": {
                "powertargetmodestate": {
                    "current_target": {"watt": self.power_target},
                    "profile": {
                        "created": {"nanos": 0, "seconds": self.tuned_at},
                        "estimated_power_consumption": {"watt": self.power_target},
                        "measured_hashrate": {"gigahash_per_second": float(measured)},
                        "target": {"watt": self.power_target},
                    },
                }
            },
            "overall_tuner_state": 3 if state.paused else 2,
        }

    def _group_configuration(self, group: BosPoolGroup) -> dict[str, Any]:
        return {
            "load_balance_strategy": {"quota": {"value": group.quota}},
            "name": group.name,
            "pools": [
                {
                    "enabled": pool.enabled,
                    "password": pool.password,
                    "uid": pool.uid,
                    "url": pool.url,
                    "user": pool.user,
                }
                for pool in group.pools
            ],
            "uid": group.uid,
        }

    def rest_configuration(self) -> dict[str, Any]:
        return {
            "pool_groups": [self._group_configuration(group) for group in self.groups],
            "tuner": {
                "enabled": True,
                "hashrate_target": None,
                "power_target": {"watt": self.power_target},
                "tuner_mode": 1,
            },
        }

    def rest_constraints(self) -> dict[str, Any]:
        model = self.board
        return {
            "cooling_constraints": None,
            "dps_constraints": None,
            "hashboards_constraints": None,
            "tuner_constraints": {
                "default_mode": 1,
                "enabled": {"default": True},
                "hashrate_target": None,
                "power_target": {
                    "default": {"watt": model.default_power_target},
                    "max": {"watt": model.max_power_target},
                    "min": {"watt": model.min_power_target},
                },
            },
        }

    def rest_pools(self) -> list[dict[str, Any]]:
        active = self._active_pool()
        paused = self._state.paused
        return [
            {
                "name": group.name,
                "pools": [
                    {
                        "active": pool is active and not paused,
                        "alive": bool(pool.url) and pool.enabled,
                        "enabled": pool.enabled,
                        "stats": self._pool_stats(pool is active and not paused),
                        "uid": pool.uid,
                        "url": pool.url,
                        "user": pool.user,
                    }
                    for pool in group.pools
                ],
                "strategy": {"quota": {"value": group.quota}},
            }
            for group in self.groups
        ]

    def rest_network(self) -> dict[str, Any]:
        state = self._state
        return {
            "default_gateway": "127.0.0.1",
            "dns_servers": ["127.0.0.1"],
            "hostname": state.hostname,
            "mac_address": state.mac.lower(),
            "name": "eth0",
            "networks": [{"address": self.host, "netmask": "255.255.255.0"}],
            "protocol": 1,
        }

    def rest_version(self) -> dict[str, Any]:
        major, minor, patch = self.api_version or (0, 0, 0)
        return {"major": major, "minor": minor, "patch": patch}

    def rest_locate_status(self) -> bool:
        return self.locate

    # --- writes -----------------------------------------------------------------------------

    def set_locate(self, enable: bool) -> None:
        if enable and not self.locate:
            self._state.identify_count += 1
        self.locate = enable
        self._state.identify_active = enable

    def set_sleeping(self, sleeping: bool) -> bool:
        """Pause or resume mining; True when it was paused before."""
        was_sleeping = self.tuned.sleeping
        self.tuned.sleeping = sleeping
        self.tick()
        return was_sleeping

    def power_target_problem(self, watt: int | None) -> str | None:
        """Why ``watt`` cannot be the power target, or None when it can."""
        model = self.board
        if watt is None or not model.min_power_target <= watt <= model.max_power_target:
            return (
                f"Power target {watt} W is out of range "
                f"({model.min_power_target}-{model.max_power_target} W)"
            )
        return None

    def set_power_target(self, watt: int) -> None:
        self.power_target = watt
        self.tuned_at = int(time.time())
        self.tick()

    @property
    def can_upgrade(self) -> bool:
        return self.api_version is not None and self.api_version >= UPGRADE_SINCE

    def upgrade_problem(self, check: ImageCheck) -> str | None:
        problem = check.problem(tuple(FIRMWARES))
        if problem is None and self.has_fault(Fault.FIRMWARE_REJECTED):
            return "System upgrade failed"
        return problem

    def install_upgrade(self, check: ImageCheck) -> bool:
        """Take the checked image: the release it holds runs after the reboot (the caller's).
        ``discard_settings`` brings back the defaults. True when the miner is to stay down."""
        release = check.release(tuple(FIRMWARES))
        assert release is not None
        self._state.firmware_updates += 1
        if check.metadata.discard_settings:
            self.groups = self.default_groups(self._state.mac)
            self.power_target = self.board.default_power_target
            self.password = self.spec.password if self.spec.password is not None else ""
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.release = release
            self.firmware_string, self.boser_hash, self.api_version = FIRMWARES[release]
            self._state.version = self._state.www_version = self.firmware_string
        return self.has_fault(Fault.NEVER_RETURNS)

    async def rest_system_upgrade(self, request: web.BaseRequest) -> web.StreamResponse:
        """Multipart ``metadata`` (JSON ``SystemUpgradeMetadata``) first, then ``data``."""
        if not request.content_type.startswith("multipart/"):
            return _deserialize_error()
        reader = await request.multipart()
        check: ImageCheck | None = None
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "metadata" and check is None:
                metadata = _upgrade_metadata(_parse((await part.read()) or b""))
                if metadata is None:
                    return _deserialize_error()
                check = ImageCheck(metadata)
            elif part.name == "data" and check is not None:
                while chunk := await part.read_chunk(UPLOAD_CHUNK):
                    check.add(chunk)
            else:
                return _deserialize_error()
        if check is None:
            return _deserialize_error()
        problem = self.upgrade_problem(check)
        if problem is not None:
            return _json({"message": problem}, status=500)
        stay_down = self.install_upgrade(check)
        done = web.Response(status=204)
        return await self.respond_then_reboot(request, done, stay_down=stay_down)

    def rest_set_locate(self, raw: bytes) -> web.Response:
        body = _parse(raw)
        if not isinstance(body, bool):
            return _deserialize_error()
        self.set_locate(body)
        return _json(body)

    def rest_power_target(self, raw: bytes) -> web.Response:
        body = _parse(raw)
        watt = body.get("watt") if isinstance(body, dict) else None
        if not isinstance(watt, int) or isinstance(watt, bool) or watt < 0:
            return _deserialize_error()
        problem = self.power_target_problem(watt)
        if problem is not None:
            return _json({"message": problem}, status=400)
        self.set_power_target(watt)
        return _json({"watt": watt})

    def rest_pools_batch(self, raw: bytes) -> web.Response:
        body = _parse(raw)
        if not isinstance(body, list):
            return _deserialize_error()
        groups: list[BosPoolGroup] = []
        for number, entry in enumerate(body):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                return _deserialize_error()
            pools_raw = entry.get("pools")
            if not isinstance(pools_raw, list):
                return _deserialize_error()
            pools = []
            for pool_number, pool in enumerate(pools_raw):
                if not isinstance(pool, dict) or not all(
                    isinstance(pool.get(key), str) for key in ("url", "user")
                ):
                    return _deserialize_error()
                password = pool.get("password")
                pools.append(
                    BosPool(
                        uid=str(pool.get("uid") or self._new_uid(f"p{number}.{pool_number}")),
                        url=pool["url"],
                        user=pool["user"],
                        password=password if isinstance(password, str) else None,
                        enabled=pool.get("enabled") is not False,
                    )
                )
            strategy = entry.get("load_balance_strategy")
            quota = 1
            if isinstance(strategy, dict) and isinstance(strategy.get("quota"), dict):
                value = strategy["quota"].get("value")
                quota = value if isinstance(value, int) and value > 0 else 1
            groups.append(
                BosPoolGroup(
                    uid=str(entry.get("uid") or self._new_uid(f"g{number}")),
                    name=entry["name"],
                    pools=pools,
                    quota=quota,
                )
            )
        self.groups = groups
        self.tick()
        return _json([self._group_configuration(group) for group in groups])


UPGRADE_ROUTE = "upgrade/system-upgrade"
UPLOAD_CHUNK = 64 * 1024


def _upgrade_metadata(body: Any) -> UpgradeMetadata | None:
    if not isinstance(body, dict):
        return None
    size, digest, discard = body.get("size"), body.get("hash"), body.get("discard_settings")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    if not isinstance(digest, str) or not isinstance(discard, bool):
        return None
    return UpgradeMetadata(size=size, sha256=digest, discard_settings=discard)


_WRITE_ROUTES = frozenset(
    {
        "actions/pause",
        "actions/resume",
        "actions/reboot",
        "performance/power-target",
        "pools/batch",
    }
)


def _json(payload: Any, *, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return math.nan  # neither a dict, a list nor a bool: every caller refuses it


def _deserialize_error() -> web.Response:
    return web.Response(status=422, text="Failed to deserialize the JSON body into the target type")


def _method_not_allowed() -> web.Response:
    return web.Response(status=405, text="Method Not Allowed")


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1]


def _pool_state(pool: BosPool) -> PoolState:
    host = pool.url.split("://", 1)[-1]
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit():
        return PoolState(host, 0, pool.user, pool.password or "")
    return PoolState(name, int(port), pool.user, pool.password or "")


BRAIINS_MODEL_NAMES = tuple(model.name for model in BRAIINS_MODELS)
