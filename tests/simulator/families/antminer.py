"""Stock Antminer (S9 … S21): BMMiner's RPC on 4028 and digest-protected CGI on 80. The
firmwares that keep its shapes (Hiveon, MaraFW, Elphapex, Hammer, VolcMiner) subclass it in
``antminer_rebrands.py``.

RPC replies have the keys and JSON types of replies recorded from a real S19 Pro / S21;
``get_system_info.cgi`` those of a real S21. Modern firmware (S19 and newer) takes JSON on
``set_miner_conf.cgi`` and has work modes (0 normal, 1 sleep, 3 low power); old firmware
(S17, S9) takes the web form's ``_ant_*`` fields. A write replaces the whole configuration,
as the firmware rewrites its config file from what it was sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import datetime
import hashlib
import json
import math
import re
import time
from typing import Any, ClassVar
from urllib.parse import parse_qs

from aiohttp import BodyPartReader, web

from .. import rpc
from ..digest import DigestAuth
from ..faults import Fault
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .antminer_models import ANTMINER_MODELS, AntminerModel, find_model

RPC_DESCRIPTION = "cgminer 1.0.0"
CgiHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
API_VERSION = "3.1"
DEFAULT_USER = "root"
DEFAULT_PASSWORD = "root"
MODE_NORMAL, MODE_SLEEP, MODE_LOW_POWER = 0, 1, 3
LOW_POWER_HASHRATE = 0.7  # share of the nominal hashrate in low-power mode (assumed)
LOW_POWER_POWER = 0.6
POOL_DIFFICULTY = 524_288.0  # the recorded S19 Pro's pool difficulty
REJECT_RATIO = 0.003
AMBIENT = 25.0
UPLOAD_CHUNK = 64 * 1024
FIRMWARE_DATE = re.compile(r"(20\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Commands cgminer keeps for a privileged ("W:") API client; the stock firmware's API
# answers them with "Access denied".
PRIVILEGED_COMMANDS = frozenset(
    {
        "addpool",
        "ascset",
        "disablepool",
        "enablepool",
        "poolpriority",
        "poolquota",
        "quit",
        "removepool",
        "restart",
        "save",
        "switchpool",
        "pgaset",
        "setconfig",
        "zero",
    }
)

ROOT_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{title}</title></head>
<body><div id="app"></div><script src="/js/app.js"></script></body>
</html>
"""


def _digits(seed: str, count: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:count])


def compile_time_from(text: str) -> str | None:
    """``…-20240115…`` in a firmware file's name → ``Mon Jan 15 00:00:00 CST 2024``."""
    match = FIRMWARE_DATE.search(text)
    if match is None:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        date = datetime.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=datetime.UTC
        )
    except ValueError:
        return None
    return (
        f"{DAYS[date.weekday()]} {MONTHS[date.month - 1]} {date.day:2d} "
        f"{date.hour:02d}:{date.minute:02d}:00 CST {date.year}"
    )


class AntminerPhysics(Physics):
    """Hashrate, power, fans and temperatures of a chain-based miner, following the work mode."""

    def __init__(self, model: AntminerModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.frequency,
            default_voltage=1,
            nominal_power=model.nominal_power,
            idle_power=model.idle_power,
            input_voltage=12_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.mode = MODE_NORMAL
        self.power_target: float | None = None  # W, where the firmware tunes to one (MaraFW)
        self.chain_rates: list[float] = [0.0] * model.boards
        self.board_temps: list[float] = [AMBIENT] * model.boards
        self.fan_rpms: list[int] = [0] * model.fans
        self._share_credit_pool = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        sleeping = self.mode == MODE_SLEEP
        low = self.mode == MODE_LOW_POWER
        state.paused = sleeping
        share = LOW_POWER_POWER if low else 1.0
        if self.power_target is not None:
            share = min(1.0, self.power_target / model.nominal_power)
        state.expected_hashrate = (
            0.0 if sleeping else model.nominal_hashrate * (LOW_POWER_HASHRATE if low else share)
        )
        state.frequency = model.frequency * (LOW_POWER_HASHRATE if low else 1.0)
        if sleeping:
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        else:
            state.hashrate = state.expected_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = state.expected_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = state.expected_hashrate * rng.uniform(0.995, 1.005)
            state.hashrate_1h = state.expected_hashrate * rng.uniform(0.997, 1.003)
            state.power = model.nominal_power * share * rng.uniform(0.99, 1.01)
        load = state.power / model.nominal_power
        if state.fan_auto:
            fan = 0.0 if sleeping else min(100.0, 35 + 65 * load)
        else:
            fan = float(state.manual_fan_percent)
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        board = AMBIENT + 32 * load / factor * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9)
        self.board_temps = [board + rng.uniform(-2.0, 2.0) for _ in range(model.boards)]
        state.vr_temp = max(self.board_temps)
        state.temp = state.vr_temp + 8 * load  # the hottest chip
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.97, 1.03) / 60) * 60
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

    def _shares(self, state: MinerState, elapsed: float) -> None:
        unit = 1e6 if self.model.rate_unit == "MH" else 1e9
        per_second = state.hashrate * unit / (POOL_DIFFICULTY * 2**32)
        self._share_credit_pool += per_second * elapsed
        found = math.floor(self._share_credit_pool)
        if found <= 0:
            return
        self._share_credit_pool -= found
        rejected = round(found * REJECT_RATIO * self.rng.uniform(0, 2))
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        best = POOL_DIFFICULTY / max(1 - self.rng.random() ** (1 / found), 1e-12)
        state.best_session_diff = max(state.best_session_diff, best)
        state.best_diff = max(state.best_diff, best)

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self._share_credit_pool = 0.0


class AntminerMiner(SimulatedMiner):
    """A stock Antminer; the re-brands below change a few table rows of it."""

    family = "antminer"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}
    realm: ClassVar[str] = "antMiner Configuration"
    models: ClassVar[tuple[AntminerModel, ...]] = ANTMINER_MODELS
    default_model: ClassVar[str] = "Antminer S19 Pro"
    type_suffix: ClassVar[str] = ""  # appended to the RPC `Type` (Hiveon: " Hiveon")
    default_password: ClassVar[str] = DEFAULT_PASSWORD
    default_hostname: ClassVar[str] = "Antminer"

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> AntminerModel:
        if self.spec.model == MinerSpec().model:  # a spec that names no model
            return find_model(self.default_model, self.models)
        return find_model(self.spec.model, self.models)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        # Locally administered (02:…): which OUIs Bitmain's control boards use is not checked.
        return seeded_mac("02", seed)

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.auth = DigestAuth(
            self.realm, spec.username or DEFAULT_USER, spec.password or self.default_password
        )
        self.blinking = False
        self.work_mode = MODE_NORMAL
        # status items a test makes fail: type ("rate", "network", "fans", "temp") → (code, msg)
        self.failing_status: dict[str, tuple[int, str]] = {}
        self.serial = (
            model.serial_prefix
            + _digits(f"sn:{self.seed}", 17, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
        )[:17]
        self.chain_serials = [
            model.serial_prefix
            + _digits(f"chain{index}:{self.seed}", 13, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
            for index in range(model.boards)
        ]
        self.miner_id = _digits(f"id:{self.seed}", 16, "0123456789abcdef")
        self.compile_time = spec.firmware or model.compile_time
        self.filesystem_version = spec.firmware or model.filesystem_version
        self.conf: dict[str, Any] = self.default_conf(mac)
        self.miner_restarts = 0  # the mining program restarts after every configuration write
        self.last_upload: dict[str, Any] | None = None
        return MinerState(
            mac=mac,
            hostname=spec.hostname or self.default_hostname,
            model=model.name,
            version=self.filesystem_version,
            www_version=self.filesystem_version,
            board_version="",
            asic_model=model.chip,
            asic_count=model.boards * model.chips_per_board,
            small_core_count=0,
            frequency=float(model.frequency),
            core_voltage=0,
            pools=[],
        )

    def default_conf(self, mac: str) -> dict[str, Any]:
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        pools = [
            {"url": "stratum+tcp://btc.global.luxor.tech:700", "user": worker, "pass": "x"},
            {"url": "stratum+tcp://stratum.braiins.com:3333", "user": worker, "pass": "x"},
            {"url": "", "user": "", "pass": ""},
        ]
        return {"pools": pools, "fan_ctrl": False, "fan_pwm": 100, "freq_level": 100}

    def make_physics(self) -> Physics:
        return AntminerPhysics(self.board, self.seed)

    @property
    def antminer_physics(self) -> AntminerPhysics:
        assert isinstance(self.physics, AntminerPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.auth.username, "password": self.auth.password}

    @property
    def rpc_description(self) -> str:
        return RPC_DESCRIPTION

    def tick(self) -> None:
        self._sync_settings()
        super().tick()

    def _sync_settings(self) -> None:
        """Carry the stored configuration into the state the physics reads."""
        state = self._state
        state.fan_auto = not self.conf["fan_ctrl"]
        state.manual_fan_percent = int(self.conf["fan_pwm"])
        state.pools = [_pool_state(pool) for pool in self.conf["pools"] if pool["url"]]
        if isinstance(self.physics, AntminerPhysics):
            self.physics.mode = self.work_mode

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        api = rpc.CgminerApi(
            self.rpc_description,
            {
                "version": self.rpc_version,
                "summary": self.rpc_summary,
                "pools": self.rpc_pools,
                "devs": self.rpc_devs,
                "stats": self.rpc_stats,
            },
            privileged=PRIVILEGED_COMMANDS,
        )
        return api.answer(request)

    @property
    def type_name(self) -> str:
        return self.board.name + self.type_suffix

    def version_info(self) -> dict[str, Any]:
        model = self.board
        return {
            "BMMiner": model.bmminer_version,
            "API": API_VERSION,
            "Miner": model.miner_version,
            "CompileTime": self.compile_time,
            "Type": self.type_name,
        }

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        return rpc.reply(
            "VERSION",
            [self.version_info()],
            rpc.CODE_VERSION,
            "CGMiner versions",
            self.rpc_description,
        )

    def _rate(self, value: float) -> float:
        return round(value, 2)

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        elapsed = int(state.uptime)
        accepted, rejected = state.shares_accepted, state.shares_rejected
        diff_accepted = float(accepted * POOL_DIFFICULTY)
        minutes = max(state.uptime / 60, 1 / 60)
        ghs_5s: float | str = self._rate(state.hashrate)
        if not self.board.modern:
            ghs_5s = f"{state.hashrate:.2f}"  # BMMiner 2.x prints it as a string
        summary = {
            "Elapsed": elapsed,
            "GHS 5s": ghs_5s,
            "GHS av": self._rate(state.hashrate_10m),
            "GHS 30m": self._rate(state.hashrate_1h),
            "Found Blocks": 0,
            "Getwork": 3 + elapsed // 13,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": elapsed // 90,
            "Utility": round(accepted / minutes, 2),
            "Discarded": elapsed * 89,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 90,
            "Remote Failures": 0,
            "Network Blocks": 1 + elapsed // 600,
            "Total MH": float(round(state.hashrate_10m * 1000 * state.uptime)),
            "Work Utility": round(state.hashrate_10m * 60 / 4.295, 2),
            "Difficulty Accepted": diff_accepted,
            "Difficulty Rejected": float(rejected * POOL_DIFFICULTY),
            "Difficulty Stale": 0.0,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0.0,
            "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0.0,
            "Last getwork": self._now(),
        }
        return rpc.reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary", self.rpc_description)

    def _now(self) -> int:
        return int(time.time())

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        entries = []
        for index, pool in enumerate(self.conf["pools"]):
            active = index == 0 and bool(pool["url"]) and not state.paused
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            host = _host_of(pool["url"])
            entries.append(
                {
                    "POOL": index,
                    "URL": pool["url"],
                    "Status": "Alive" if pool["url"] else "Dead",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": (3 + int(state.uptime) // 13) if active else 3,
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Discarded": int(state.uptime) * 89 if active else 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool["user"],
                    "Last Share Time": "0:00:03" if active and accepted else "0",
                    "Diff": "524K" if active else "",
                    "Diff1 Shares": 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": float(accepted * POOL_DIFFICULTY),
                    "Difficulty Rejected": float(rejected * POOL_DIFFICULTY),
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": POOL_DIFFICULTY if active and accepted else 0.0,
                    "Has Stratum": True,
                    "Stratum Active": active,
                    "Stratum URL": host if active else "",
                    "Has GBT": False,
                    "Best Share": float(round(state.best_session_diff)) if active else 0.0,
                    "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                    "Pool Stale%%": 0.0,
                }
            )
        return rpc.reply(
            "POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)", self.rpc_description
        )

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        # What the recorded S19 Pro answers: one pseudo-device with zero rates.
        state = self._state
        now = self._now()
        device = {
            "ASC": 0,
            "Name": "BTM_SOC",
            "ID": 0,
            "Enabled": "Y",
            "Status": "Alive",
            "Tenperature": 0.0,  # sic: the firmware's spelling
            "MHS av": 0.0,
            "MHS 5s": 0.0,
            "Accepted": state.shares_accepted,
            "Rejected": state.shares_rejected,
            "Hardware Errors": 0,
            "Utility": 0.0,
            "Last Share Pool": 0,
            "Last Share Time": now,
            "Total MH": 0.0,
            "Diff1 Work": 0,
            "Difficulty Accepted": int(state.shares_accepted * POOL_DIFFICULTY),
            "Difficulty Rejected": int(state.shares_rejected * POOL_DIFFICULTY),
            "Last Share Difficulty": now,
            "Last Valid Work": now,
            "Device Hardware%": 0.0,
            "Device Rejected%": 0.0,
            "Device Elapsed": int(state.uptime),
        }
        return rpc.reply("DEVS", [device], rpc.CODE_DEVS, "1 ASC(s)", self.rpc_description)

    def rpc_stats(self, request: rpc.RpcRequest) -> dict[str, Any]:
        if request.payload.get("new_api") is True and self.board.modern:
            return rpc.reply(
                "STATS",
                [self.new_api_stats()],
                rpc.CODE_STATS,
                "CGMiner stats",
                self.rpc_description,
            )
        header = {key: value for key, value in self.version_info().items() if key != "API"}
        return rpc.reply(
            "STATS",
            [header, self.old_style_stats()],
            rpc.CODE_STATS,
            "CGMiner stats",
            self.rpc_description,
        )

    def old_style_stats(self) -> dict[str, Any]:
        """``STATS[1]``: one key per chain slot and fan slot, as BMMiner prints them."""
        state, model, physics = self._state, self.board, self.antminer_physics
        slots = dict(zip(model.board_slots, range(model.boards), strict=True))
        stats: dict[str, Any] = {
            "STATS": 0,
            "ID": "BTM_SOC0",
            "Elapsed": int(state.uptime),
            "Calls": 0,
            "Wait": 0,
            "Max": 0,
            "Min": 99999999,
            "GHS 5s": self._rate(state.hashrate),
            "GHS av": self._rate(state.hashrate_10m),
            "rate_30m": self._rate(state.hashrate_1h),
            "Mode": 2,
            "miner_count": model.boards,
            "frequency": int(state.frequency),
            "fan_num": model.fans,
        }
        fans = dict(zip(model.fan_positions, physics.fan_rpms, strict=True))
        for slot in model.fan_slots:
            stats[f"fan{slot}"] = fans.get(slot, 0)
        stats["temp_num"] = model.boards
        for slot, board in slots.items():
            pcb = round(physics.board_temps[board])
            stats[f"temp{slot}"] = pcb
        for slot, board in slots.items():
            stats[f"temp2_{slot}"] = round(physics.board_temps[board] + 5)
        stats["temp_max"] = 0
        for slot in model.chain_slots:
            board_index = slots.get(slot)
            if board_index is None:
                stats[f"temp_pcb{slot}"] = "0-0-0-0"
                stats[f"temp_chip{slot}"] = "0-0-0-0"
                stats[f"temp_pic{slot}"] = "0-0-0-0"
                continue
            pcb = round(physics.board_temps[board_index])
            stats[f"temp_pcb{slot}"] = f"{pcb}-{pcb - 28}-{pcb - 9}-{pcb - 8}"
            stats[f"temp_chip{slot}"] = f"{pcb + 5}-{pcb - 23}-{pcb - 4}-{pcb - 3}"
            stats[f"temp_pic{slot}"] = f"{pcb - 10}-{pcb - 38}-{pcb - 19}-{pcb - 18}"
        stats["total_rateideal"] = float(round(state.expected_hashrate, 2))
        stats["rate_unit"] = model.rate_unit
        stats["total_freqavg"] = int(state.frequency)
        stats["total_acn"] = model.boards * model.chips_per_board
        stats["total rate"] = self._rate(state.hashrate_10m)
        for slot in model.chain_slots:
            board_index = slots.get(slot)
            present = board_index is not None
            stats[f"chain_acn{slot}"] = model.chips_per_board if present else 0
            stats[f"chain_acs{slot}"] = " ooo" * (model.chips_per_board // 3) if present else ""
            stats[f"chain_hw{slot}"] = int(state.uptime) // 270 if present else 0
            rate = physics.chain_rates[board_index] if board_index is not None else None
            stats[f"chain_rate{slot}"] = f"{rate:.2f}" if rate is not None else ""
            stats[f"freq{slot}"] = int(state.frequency) if present else 0
        stats["miner_version"] = model.miner_version
        stats["miner_id"] = self.miner_id
        stats["no_matching_work"] = int(state.uptime) // 90
        return stats

    def new_api_stats(self) -> dict[str, Any]:
        """``stats`` with ``new_api``: one object with a ``chain`` list (modern firmware)."""
        state, model, physics = self._state, self.board, self.antminer_physics
        ideal = state.expected_hashrate / model.boards
        chains = []
        for index in range(model.boards):
            pcb = round(physics.board_temps[index])
            chains.append(
                {
                    "index": index,
                    "freq_avg": int(state.frequency),
                    "rate_ideal": round(ideal, 2),
                    "rate_real": round(physics.chain_rates[index], 2),
                    "asic_num": model.chips_per_board,
                    "temp_pic": [pcb - 10, pcb - 38, pcb - 19, pcb - 18],
                    "temp_pcb": [pcb, pcb - 28, pcb - 9, pcb - 8],
                    "temp_chip": [pcb + 5, pcb - 23, pcb - 4, pcb - 3],
                    "hw": int(state.uptime) // 270,
                    "eeprom_loaded": True,
                    "sn": self.chain_serials[index],
                }
            )
        return {
            "elapsed": int(state.uptime),
            "rate_5s": self._rate(state.hashrate),
            "rate_30m": self._rate(state.hashrate_1h),
            "rate_avg": self._rate(state.hashrate_10m),
            "rate_ideal": round(state.expected_hashrate, 2),
            "rate_unit": model.rate_unit,
            "chain_num": model.boards,
            "fan_num": model.fans,
            "fan": list(physics.fan_rpms),
            "hwp_total": 0.0,
            "miner-mode": self.work_mode,
            "freq-level": int(self.conf["freq_level"]),
            "chain": chains,
        }

    # --- web --------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        if not self.auth.is_authorized(request):
            return self.auth.challenge()
        route = request.path
        if route in ("/", "/index.html"):
            return web.Response(
                text=ROOT_PAGE.format(title=self.board.name), content_type="text/html"
            )
        handler = self.cgi_routes().get(route)
        if handler is None:
            return web.Response(status=404, text="404 Not Found", content_type="text/html")
        return await handler(request)

    def cgi_routes(self) -> dict[str, CgiHandler]:
        routes: dict[str, CgiHandler] = {
            "/cgi-bin/get_system_info.cgi": self.cgi_system_info,
            "/cgi-bin/get_network_info.cgi": self.cgi_network_info,
            "/cgi-bin/get_miner_conf.cgi": self.cgi_get_conf,
            "/cgi-bin/set_miner_conf.cgi": self.cgi_set_conf,
            "/cgi-bin/blink.cgi": self.cgi_blink,
            "/cgi-bin/reboot.cgi": self.cgi_reboot,
            "/cgi-bin/upgrade.cgi": self.cgi_upgrade,
        }
        if self.board.modern:
            routes |= {
                "/cgi-bin/get_blink_status.cgi": self.cgi_blink_status,
                "/cgi-bin/summary.cgi": self.cgi_summary,
            }
        return routes

    async def cgi_system_info(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.system_info())

    def system_info(self) -> dict[str, Any]:
        state = self._state
        info = {
            "minertype": self.board.name,
            "nettype": "DHCP",
            "netdevice": "eth0",
            "macaddr": state.mac,
            "hostname": state.hostname,
            "ipaddress": self.host,
            "netmask": "255.0.0.0",
            "gateway": "",
            "dnsservers": "",
            "system_mode": "GNU/Linux",
            "system_kernel_version": "Linux 4.9.113 #1 SMP PREEMPT " + self.compile_time,
            "system_filesystem_version": self.filesystem_version,
            "firmware_type": "Release",
            "serinum": self.serial,
        }
        if not self.board.modern:
            info.pop("serinum")
            info.pop("firmware_type")
            info["system_kernel_version"] = "Linux 3.14.0-xilinx-ge8a2f71-dirty #82 SMP PREEMPT"
        return info

    async def cgi_network_info(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.network_info())

    def network_info(self) -> dict[str, Any]:
        """``get_network_info.cgi``: the fields of Bitmain's own script, in its order."""
        state = self._state
        return {
            "nettype": "DHCP",
            "netdevice": "eth0",
            "macaddr": state.mac,
            "ipaddress": self.host,
            "netmask": "255.0.0.0",
            "conf_nettype": "DHCP",
            "conf_hostname": state.hostname,
            "conf_ipaddress": "",
            "conf_netmask": "",
            "conf_gateway": "",
            "conf_dnsservers": "",
        }

    async def cgi_get_conf(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.miner_conf())

    def miner_conf(self) -> dict[str, Any]:
        model = self.board
        conf: dict[str, Any] = {
            "pools": [dict(pool) for pool in self.conf["pools"]],
            "api-listen": True,
            "api-network": True,
            "api-groups": "A:stats:pools:devs:summary:version",
            "api-allow": "A:0/0,W:*",
            "bitmain-fan-ctrl": bool(self.conf["fan_ctrl"]),
            "bitmain-fan-pwm": str(self.conf["fan_pwm"]),
            "bitmain-use-vil": True,
            "bitmain-freq": str(model.frequency),
            "bitmain-voltage": "1360",
        }
        if model.modern:
            conf |= {
                "bitmain-ccdelay": "0",
                "bitmain-pwth": "0",
                "bitmain-work-mode": str(self.work_mode),
                "bitmain-freq-level": str(self.conf["freq_level"]),
            }
        return conf

    async def cgi_set_conf(self, request: web.BaseRequest) -> web.Response:
        raw = await request.read()
        if not self.board.modern:
            return self._set_conf_form(raw)
        try:
            body = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _json({"stats": "error", "code": "M001", "msg": "Invalid configuration"})
        mode = _mode(body.get("miner-mode", MODE_NORMAL))
        if mode is None:
            return _json({"stats": "error", "code": "M001", "msg": "Invalid configuration"})
        # The firmware writes a new config from the body: what the body lacks is lost.
        self.work_mode = mode
        self.conf = {
            "pools": _pools_from_json(body.get("pools")),
            "fan_ctrl": _truthy(body.get("bitmain-fan-ctrl", False)),
            "fan_pwm": _percent(body.get("bitmain-fan-pwm", 100)),
            "freq_level": _percent(body.get("freq-level", 100)),
        }
        self._restart_mining_program()
        return _json({"stats": "success", "code": "M000", "msg": "OK!"})

    def _set_conf_form(self, raw: bytes) -> web.Response:
        fields = {
            key: values[-1]
            for key, values in parse_qs(
                raw.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }
        self.conf = {
            "pools": [
                {
                    "url": fields.get(f"_ant_pool{index}url", ""),
                    "user": fields.get(f"_ant_pool{index}user", ""),
                    "pass": fields.get(f"_ant_pool{index}pw", ""),
                }
                for index in (1, 2, 3)
            ],
            "fan_ctrl": _truthy(fields.get("_ant_fan_customize_switch", "false")),
            "fan_pwm": _percent(fields.get("_ant_fan_customize_value") or 100),
            "freq_level": 100,
        }
        self._restart_mining_program()
        return web.Response(text="ok", content_type="text/html")

    def _restart_mining_program(self) -> None:
        """The firmware's script restarts BMMiner after writing a configuration."""
        self.tick()
        self.miner_restarts += 1

    async def cgi_blink(self, request: web.BaseRequest) -> web.Response:
        raw = (await request.read()).decode("utf-8", "replace")
        if not self.board.modern:
            action = parse_qs(raw).get("action", [""])[-1]
            if action == "startBlink":
                self.blinking = True
            elif action == "stopBlink":
                self.blinking = False
            return _json({"isBlinking": self.blinking})
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        wanted = body.get("blink")
        if wanted is None:  # some clients post it as a form
            wanted = parse_qs(raw).get("blink", [""])[-1]
        self.blinking = _truthy(wanted)
        self._state.identify_active = self.blinking
        if self.blinking:
            self._state.identify_count += 1
        return _json({"code": "B000" if self.blinking else "B100"})

    async def cgi_blink_status(self, _request: web.BaseRequest) -> web.Response:
        return _json({"blink": self.blinking})

    async def cgi_reboot(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self.respond_then_reboot(
            request, web.Response(text="", content_type="text/html")
        )

    async def cgi_summary(self, _request: web.BaseRequest) -> web.Response:
        state = self._state
        items = []
        for kind in ("rate", "network", "fans", "temp"):
            code, message = self.failing_status.get(kind, (0, ""))
            if kind == "rate" and state.paused:
                code, message = 0, "sleep mode"
            items.append(
                {
                    "type": kind,
                    "status": "e" if message or code else "s",
                    "code": code,
                    "msg": message,
                }
            )
        return _json(
            {
                "STATUS": {
                    "STATUS": "S",
                    "when": self._now(),
                    "Msg": "summary",
                    "api_version": "1.0.0",
                },
                "INFO": {
                    "miner_version": self.board.miner_version,
                    "CompileTime": self.compile_time,
                    "type": self.type_name,
                },
                "SUMMARY": [
                    {
                        "elapsed": int(state.uptime),
                        "rate_5s": self._rate(state.hashrate),
                        "rate_30m": self._rate(state.hashrate_1h),
                        "rate_avg": self._rate(state.hashrate_10m),
                        "rate_ideal": round(state.expected_hashrate, 2),
                        "rate_unit": f"{self.board.rate_unit}/s",
                        "hw_all": int(state.uptime) // 90,
                        "bestshare": round(state.best_session_diff),
                        "status": items,
                    }
                ],
            }
        )

    async def cgi_upgrade(self, request: web.BaseRequest) -> web.StreamResponse:
        """A multipart upload; the file's name carries the build date the miner comes back with.

        The form field's name and the keep-settings flag are not verified: any file field is
        taken, and ``keep_settings`` (or ``keep-settings``) "0"/"false" resets the settings.
        """
        if not request.content_type.startswith("multipart/"):
            return _json({"stats": "error", "code": "U001", "msg": "6"})
        reader = await request.multipart()
        filename: str | None = None
        size = 0
        head = b""
        fields: dict[str, str] = {}
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is not None:
                filename = part.filename
                while chunk := await part.read_chunk(UPLOAD_CHUNK):
                    if len(head) < 512:
                        head += chunk[: 512 - len(head)]
                    size += len(chunk)
                self.last_upload = {"field": part.name, "filename": filename, "size": size}
            elif part.name:
                fields[part.name] = (await part.text()).strip()
        if filename is None or size == 0:
            return _json({"stats": "error", "code": "U001", "msg": "6"})
        new_version = compile_time_from(filename)
        suffix_ok = (
            filename.endswith((".bmu", ".tar.gz"))
            if self.board.modern
            else (filename.endswith(".tar.gz"))
        )
        if not suffix_ok or new_version is None or self.has_fault(Fault.FIRMWARE_REJECTED):
            return _json({"stats": "error", "code": "U002", "msg": "Invalid firmware"})
        keep = fields.get("keep_settings", fields.get("keep-settings", "1")).lower()
        if keep in ("0", "false", "off"):
            self.conf = self.default_conf(self._state.mac)
            self.work_mode = MODE_NORMAL
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.compile_time = new_version
            self.filesystem_version = new_version
            self._state.version = new_version
        return await self.respond_then_reboot(
            request,
            _json({"stats": "success", "code": "U000", "msg": "OK!"}),
            stay_down=self.has_fault(Fault.NEVER_RETURNS),
        )

    def on_boot(self) -> None:
        self.blinking = False


# --- helpers ----------------------------------------------------------------------------------


def _json(payload: Any) -> web.Response:
    return web.Response(text=json.dumps(payload), content_type="application/json")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    return bool(value)


def _percent(value: Any) -> int:
    try:
        return max(0, min(100, int(float(value))))
    except (TypeError, ValueError):
        return 100


def _mode(value: Any) -> int | None:
    """``miner-mode`` as a number or as a string ("1"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value in (MODE_NORMAL, MODE_SLEEP, MODE_LOW_POWER):
        return value
    return None


def _pools_from_json(value: Any) -> list[dict[str, str]]:
    entries = value[:3] if isinstance(value, list) else []
    pools = [
        {
            "url": str(entry.get("url", "")),
            "user": str(entry.get("user", "")),
            "pass": str(entry.get("pass", "")),
        }
        for entry in entries
        if isinstance(entry, dict)
    ]
    while len(pools) < 3:
        pools.append({"url": "", "user": "", "pass": ""})
    return pools


def _host_of(url: str) -> str:
    host = url.split("://", 1)[-1]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _pool_state(pool: dict[str, str]) -> PoolState:
    host = pool["url"].split("://", 1)[-1]
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit():
        return PoolState(host, 0, pool["user"], pool["pass"])
    return PoolState(name, int(port), pool["user"], pool["pass"])
