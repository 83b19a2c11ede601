"""AvalonMiner (Canaan): CGMiner 4.11.1 RPC on 4028 with Canaan's commands, web page on 80.

RPC: ``version``, ``summary``, ``pools``, ``devs``/``edevs``, ``devdetails``, ``stats``,
``estats``, ``litestats``, ``config``, ``coin``, ``check``, ``lcd``, ``ascset`` (help, led,
workmode, worklevel, softoff, softon, reboot, fan-spd, lcd, ledset…), ``setpool`` and
``restart``. Canaan's API has no access groups: every command is allowed, and a command that
cannot be joined (``ascset``, ``setpool``, ``restart``…) answers Code 45 inside a joined request.
The reply shapes are those recorded from a real Avalon Q (home line) and of a real A1566
(A-series, from pyasic's tests).

Web: the root page is a login form; the firmware's CGI pages need the cookie
``auth=ff0000ff`` + the first 24 hex digits of sha256(password), as pyasic sends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import hashlib
import html
import json
import math
import time
from typing import Any, ClassVar

from aiohttp import web

from .. import rpc
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .avalon_models import CLASSIC, DEFAULT_MODEL, HOME, AvalonModel, WorkSetting, find_model

CGMINER_VERSION = "4.11.1"
RPC_DESCRIPTION = f"cgminer {CGMINER_VERSION}"
API_VERSION = "3.7"
DEFAULT_USER = "root"
DEFAULT_PASSWORD = "root"
COOKIE_NAME = "auth"
COOKIE_PREFIX = "ff0000ff"
AMBIENT = 25.0
POOL_DIFFICULTY = 65_536.0
REJECT_RATIO = 0.003
TARGET_TEMP = 65  # `TarT[…]`
SOFTOFF_FLAG = 4  # `SoftOFF[…]` while soft-off, as recorded from an idle Avalon Q (meaning assumed)
SLOTS = 3  # pool slots
RESTART_DELAY = 0.05  # the reply goes out before the miner goes down

# cgminer api.c codes this family answers with (Canaan's copy).
CODE_MISSING_ID = 15
CODE_CONFIG = 33
CODE_DEVDETAILS = 69
CODE_MISSING_CHECK = 71
CODE_CHECK = 72
CODE_COIN = 78
CODE_INVALID_ASC = 107
CODE_MISSING_ASC_OPTION = 116
CODE_ASC_SET_INFO = 118
CODE_ASC_SET_OK = 119
CODE_ASC_SET_FAILED = 120
CODE_LCD = 125
CODE_POOL_SET_ERROR = 132
CODE_POOL_SET = 133

# `ascset 0,help`: the option list a recorded Avalon Q answers.
HOME_ASCSET_OPTIONS = (
    "help|voltage|fan-spd|lcd|hash-sn-read|hash-sn-write|volt-tuning|workmode|worklevel|"
    "work_mode_lvl|reboot|softon|softoff|filter-clean|facopts|faclock|activate|solo-allowed|"
    "frequency|loop|password|qr_auth|time|"
)
CLASSIC_ASCSET_OPTIONS = (
    "help|led|fan-spd|voltage|frequency|workmode|softon|softoff|reboot|facopts|faclock|"
    "hash-sn-read|hash-sn-write|"
)
# Options that are stored and acknowledged but do not change the simulation.
STORED_OPTIONS = frozenset(
    {
        "voltage",
        "lcd",
        "hash-sn-read",
        "hash-sn-write",
        "volt-tuning",
        "work_mode_lvl",
        "filter-clean",
        "facopts",
        "faclock",
        "activate",
        "solo-allowed",
        "frequency",
        "loop",
        "password",
        "qr_auth",
        "time",
        "ledset",
    }
)
# Commands of Canaan's api.c; those not joinable answer Code 45 inside a joined request.
NOT_JOINABLE = frozenset(
    {
        "ascset",
        "setpool",
        "restart",
        "quit",
        "switchpool",
        "enablepool",
        "disablepool",
        "poolpriority",
        "check",
        "time",
    }
)
DEFAULT_POOLS = (
    "stratum+tcp://btc.f2pool.com:1314",
    "stratum+tcp://btc.viabtc.io:3333",
    "stratum+tcp://stratum.braiins.com:3333",
)

AscsetReply = tuple[int, str]  # (code, the text after "ASC 0 ")


def cookie_for(password: str) -> str:
    """The ``auth`` cookie the web UI sets for ``password`` (as pyasic computes it)."""
    return COOKIE_PREFIX + hashlib.sha256(password.encode()).hexdigest()[:24]


def _hex(seed: str, count: int) -> str:
    digest = b""
    counter = 0
    while len(digest) * 2 < count:
        digest += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return digest.hex()[:count]


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def _ints(values: list[int], width: int = 0) -> str:
    if width:
        return " ".join(f"{value:{width}d}" for value in values)
    return " ".join(str(value) for value in values)


class AvalonPhysics(Physics):
    """Hashrate and power follow the work setting and soft-off; heat and fans follow power."""

    def __init__(self, model: AvalonModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.frequency,
            default_voltage=1,
            nominal_power=model.power,
            idle_power=model.standby_power,
            input_voltage=230_000.0 if model.power > 200 else 12_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.mining = True
        self.workmode = model.default_workmode
        self.worklevel = model.default_worklevel
        self.fan_override: int | None = None  # `fan-spd`: percent, None for automatic
        self.nominal_ghs = 0.0
        self.fans: list[int] = [0] * 4
        self.fan_percent = 0
        self.inlet = AMBIENT
        self.outlet = AMBIENT
        self.temp_max = 0.0
        self.temp_avg = 0.0
        self.board_max: list[float] = [0.0] * model.boards
        self.board_avg: list[float] = [0.0] * model.boards
        self.total_mh = 0.0
        self.averages = {60.0: 0.0, 300.0: 0.0, 900.0: 0.0}  # MH/s, exponential
        self.hardware_errors = 0
        self.uptime = 0.0
        self._credit = 0.0

    @property
    def setting(self) -> tuple[WorkSetting, WorkSetting]:
        model = self.model
        mode = model.workmodes.get(self.workmode) or next(iter(model.workmodes.values()))
        level = model.worklevels.get(self.worklevel) or next(iter(model.worklevels.values()))
        return mode, level

    @property
    def average_mhs(self) -> float:
        """`MHS av`: everything hashed since cgminer started, over the time it ran."""
        return self.total_mh / self.uptime if self.uptime > 0 else 0.0

    @property
    def power_target(self) -> int:
        """`MPO[…]`: the wall power the work setting aims at."""
        mode, level = self.setting
        return round(self.model.power * mode.power_factor * level.power_factor)

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        mode, level = self.setting
        state.paused = not self.mining
        self.nominal_ghs = model.hashrate * 1000 * mode.hash_factor * level.hash_factor
        state.expected_hashrate = self.nominal_ghs
        if self.mining:
            state.frequency = model.frequency * mode.hash_factor * level.hash_factor
            state.hashrate = self.nominal_ghs * rng.uniform(0.96, 1.03)
            state.hashrate_1m = self.nominal_ghs * rng.uniform(0.98, 1.01)
            state.power = self.power_target * rng.uniform(0.985, 1.01)
        else:
            state.frequency = 0.0
            state.hashrate = state.hashrate_1m = 0.0
            state.power = model.standby_power * rng.uniform(0.95, 1.05)
        load = state.power / model.power
        self.inlet = AMBIENT + rng.uniform(-0.5, 0.5)
        if not self.mining:
            fan = 0.0
        elif self.fan_override is not None:
            fan = self.fan_override / 100
        else:
            fan = min(1.0, 0.25 + 0.7 * load)
        self.fan_percent = round(fan * 100)
        state.fan_percent = self.fan_percent
        turning = [
            round(model.max_fan_rpm * fan * rng.uniform(0.98, 1.02)) for _ in range(model.fans)
        ]
        self.fans = turning + [0] * (4 - len(turning)) if model.generation == HOME else turning
        state.fan_rpm = turning[0] if turning else 0
        if self.mining:
            factor = (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9) / (FAN_FLOOR + (1 - FAN_FLOOR) * fan)
            rise = 42 * load * min(factor, 2.0)
            self.board_avg = [
                round(self.inlet + rise + rng.uniform(-1.5, 1.5), 1) for _ in range(model.boards)
            ]
            self.board_max = [avg + 7 + rng.uniform(0, 2) for avg in self.board_avg]
            self.temp_avg = sum(self.board_avg) / model.boards
            self.temp_max = max(self.board_max)
            self.outlet = self.inlet + rise * 0.3
        else:  # the recorded idle Q reports 0 for its chip temperatures
            self.board_avg = [0.0] * model.boards
            self.board_max = [0.0] * model.boards
            self.temp_avg = self.temp_max = 0.0
            self.outlet = self.inlet + 1
        state.temp = self.temp_max
        state.vr_temp = self.outlet
        state.uptime += elapsed
        self.uptime = state.uptime
        if elapsed > 0:
            mhs = state.hashrate * 1000
            self.total_mh += mhs * elapsed
            for window, value in self.averages.items():
                weight = 1 - math.exp(-elapsed / window)
                self.averages[window] = value + (mhs - value) * weight
            if self.mining:
                self._shares(state, elapsed)

    def _shares(self, state: MinerState, elapsed: float) -> None:
        self._credit += state.hashrate * 1e9 / (POOL_DIFFICULTY * 2**32) * elapsed
        found = math.floor(self._credit)
        if found <= 0:
            return
        self._credit -= found
        rejected = sum(1 for _ in range(found) if self.rng.random() < REJECT_RATIO)
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        best = POOL_DIFFICULTY / max(1 - self.rng.random() ** (1 / found), 1e-12)
        state.best_session_diff = max(state.best_session_diff, best)
        state.best_diff = max(state.best_diff, best)

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self.total_mh = 0.0
        self.uptime = 0.0
        self.averages = dict.fromkeys(self.averages, 0.0)
        self.hardware_errors = 0
        self._credit = 0.0


class AvalonMiner(SimulatedMiner):
    """An AvalonMiner on Canaan's stock firmware."""

    family = "avalon"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}

    def __init__(self, spec: MinerSpec, **kwargs: Any) -> None:
        self.board = find_model(DEFAULT_MODEL if spec.model == MinerSpec().model else spec.model)
        self.firmware = spec.firmware or self.board.firmware
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password or DEFAULT_PASSWORD
        super().__init__(spec, **kwargs)
        single = self._commands()
        self._api = rpc.CgminerApi(RPC_DESCRIPTION, single)
        self._joined_api = rpc.CgminerApi(RPC_DESCRIPTION, single, NOT_JOINABLE)

    # --- construction -----------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        # Locally administered: Canaan's OUIs are not verified here.
        return seeded_mac("02", seed, salt="avalon-mac")

    def initial_state(self, mac: str) -> MinerState:
        model = self.board
        dna_digits = 32 if model.generation == HOME else 16
        self.dna = "0201" + _hex(f"dna:{self.seed}", dna_digits - 4)
        self.pools: list[dict[str, str]] = [
            {"url": url, "user": f"simulated.{mac.replace(':', '')[-4:].lower()}", "passwd": "x"}
            for url in DEFAULT_POOLS
        ]
        self.led = 0
        self.led_user = "1-100-50-255-128-0"  # Nano 3S `ledset`: effect-bright-temp-r-g-b
        self.lcd_on = 1
        # error words a test sets: ECMM (controller), ECHU (one per hash board), FanErr, PS[0]
        self.ecmm = 0
        self.echu = [0] * model.boards
        self.fan_error = 0
        self.ps_status = 0
        self.stored: dict[str, str] = {}
        self.softoff_at: int | None = None
        self.softon_at: int | None = None
        self.softoff_time = 0  # `SoftOffTime[…]`: when the last soft-off took effect
        self.softon_time = 0
        self.boot_time = time.time()
        self.last_action: dict[str, Any] | None = None
        hostname = self.spec.hostname or f"Avalon{mac.replace(':', '')[-6:].lower()}"
        return MinerState(
            mac=mac,
            hostname=hostname,
            model=model.name,
            version=self.firmware,
            www_version=self.firmware,
            board_version=model.hwtype,
            asic_model=model.core,
            asic_count=model.boards * model.chips_per_board,
            small_core_count=0,
            frequency=model.frequency,
            core_voltage=0,
            pools=[],
        )

    def make_physics(self) -> Physics:
        return AvalonPhysics(self.board, self.seed)

    @property
    def av_physics(self) -> AvalonPhysics:
        assert isinstance(self.physics, AvalonPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    @property
    def rpc_description(self) -> str:
        return RPC_DESCRIPTION

    # --- state ------------------------------------------------------------------------------

    def tick(self) -> None:
        self._apply_schedule()
        self._state.pools = [_pool_state(pool) for pool in self.pools if pool["url"]]
        super().tick()

    def _apply_schedule(self) -> None:
        """Soft-off and soft-on take effect at the time the client asked for."""
        now = int(time.time())
        physics = self.av_physics
        if self.softoff_at is not None and now >= self.softoff_at:
            self.softoff_at = None
            if physics.mining:
                super().tick()  # account the time mined until now
                physics.mining = False
                self.softoff_time = now
        if self.softon_at is not None and now >= self.softon_at:
            self.softon_at = None
            if not physics.mining:
                super().tick()
                physics.mining = True
                self.softon_time = now

    def on_boot(self) -> None:
        self.led = 0
        self.softoff_at = self.softon_at = None
        self.boot_time = time.time()
        physics = self.av_physics
        physics.mining = True  # a power cycle or reboot starts hashing again (assumed)
        physics.fan_override = None

    @property
    def elapsed(self) -> int:
        return int(self._state.uptime)

    def _restart_soon(self) -> None:
        async def later() -> None:
            await asyncio.sleep(RESTART_DELAY)
            self.reboot()

        self.spawn(later(), "restart-after-reply")

    # --- RPC --------------------------------------------------------------------------------

    def _commands(self) -> dict[str, rpc.CommandHandler]:
        return {
            "version": self.rpc_version,
            "config": self.rpc_config,
            "summary": self.rpc_summary,
            "pools": self.rpc_pools,
            "devs": self.rpc_devs,
            "edevs": self.rpc_devs,
            "devdetails": self.rpc_devdetails,
            "stats": self.rpc_stats,
            "estats": self.rpc_estats,
            "litestats": self.rpc_litestats,
            "coin": self.rpc_coin,
            "check": self.rpc_check,
            "lcd": self.rpc_lcd,
            "ascset": self.rpc_ascset,
            "setpool": self.rpc_setpool,
            "restart": self.rpc_restart,
        }

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        api = self._joined_api if request.joined else self._api
        return api.answer(request)

    def _reply(
        self, section: str, items: list[dict[str, Any]], code: int, msg: str
    ) -> dict[str, Any]:
        return rpc.reply(section, items, code, msg, RPC_DESCRIPTION)

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model = self.board
        mac = self._state.mac
        if model.generation == HOME:
            item: dict[str, Any] = {
                "CGMiner": CGMINER_VERSION,
                "API": API_VERSION,
                "PROD": model.prod,
                "MODEL": model.model,
                "HWTYPE": model.hwtype,
                "SWTYPE": model.swtype,
                "LVERSION": self.firmware,
                "BVERSION": self.firmware,
                "CGVERSION": self.firmware,
                "HBMCUVERSION": model.hash_mcu,
                "FANMCUVERSION": model.fan_mcu,
                "DNA": self.dna,
                "MAC": mac,
            }
        else:
            item = {
                "CGMiner": CGMINER_VERSION,
                "API": API_VERSION,
                "STM8": "20.08.01",
                "PROD": model.prod,
                "MODEL": model.model,
                "HWTYPE": model.hwtype,
                "SWTYPE": model.swtype,
                "VERSION": self.firmware,
                "LOADER": "d0d779de.00",
                "DNA": self.dna,
                "MAC": mac.replace(":", "").lower(),
                "UPAPI": "2",
            }
        return self._reply("VERSION", [item], rpc.CODE_VERSION, "CGMiner versions")

    def rpc_config(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        item = {
            "ASC Count": 1,
            "PGA Count": 0,
            "Pool Count": sum(1 for pool in self.pools if pool["url"]),
            "Strategy": "Failover",
            "Log Interval": 5,
            "Device Code": "AVALON",
            "OS": "Linux",
            "Hotplug": "None",
        }
        return self._reply("CONFIG", [item], CODE_CONFIG, "CGMiner config")

    def _counts(self) -> dict[str, Any]:
        state = self._state
        accepted, rejected = state.shares_accepted, state.shares_rejected
        diff1 = int((accepted + rejected) * POOL_DIFFICULTY)
        total = accepted + rejected
        return {
            "accepted": accepted,
            "rejected": rejected,
            "diff1": diff1,
            "diff_accepted": accepted * POOL_DIFFICULTY,
            "diff_rejected": rejected * POOL_DIFFICULTY,
            "reject_pct": round(100 * rejected / total, 4) if total else 0.0,
            "utility": round(accepted / max(self.elapsed, 1) * 60, 2),
            "last_share": int(time.time()) - 7 if accepted else 0,
        }

    def _mhs(self) -> dict[str, float]:
        physics = self.av_physics
        state = self._state
        return {
            "av": round(physics.average_mhs, 2),
            "5s": round(state.hashrate * 1000, 2),
            "30s": round(state.hashrate_1m * 1000, 2),
            "1m": round(physics.averages[60.0], 2),
            "5m": round(physics.averages[300.0], 2),
            "15m": round(physics.averages[900.0], 2),
        }

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        counts, mhs = self._counts(), self._mhs()
        state = self._state
        item = {
            "Elapsed": self.elapsed,
            "MHS av": mhs["av"],
            "MHS 5s": mhs["5s"],
            "MHS 1m": mhs["1m"],
            "MHS 5m": mhs["5m"],
            "MHS 15m": mhs["15m"],
            "Found Blocks": 0,
            "Getworks": max(1, self.elapsed // 56),
            "Accepted": counts["accepted"],
            "Rejected": counts["rejected"],
            "Hardware Errors": self.av_physics.hardware_errors,
            "Utility": counts["utility"],
            "Discarded": 0,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": self.elapsed * 5,
            "Remote Failures": 0,
            "Network Blocks": max(1, self.elapsed // 600),
            "Total MH": round(self.av_physics.total_mh, 1),
            "Work Utility": round(counts["diff1"] / max(self.elapsed, 1) * 60, 2),
            "Difficulty Accepted": counts["diff_accepted"],
            "Difficulty Rejected": counts["diff_rejected"],
            "Difficulty Stale": 0.0,
            "Best Share": int(state.best_session_diff),
            "Device Hardware%": 0.0,
            "Device Rejected%": counts["reject_pct"],
            "Pool Rejected%": counts["reject_pct"],
            "Pool Stale%": 0.0,
            "Last getwork": 0,
        }
        return self._reply("SUMMARY", [item], rpc.CODE_SUMMARY, "Summary")

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        counts = self._counts()
        items = []
        filled = [pool for pool in self.pools if pool["url"]]
        for index, pool in enumerate(filled):
            active = index == 0
            url = pool["url"]
            stratum_url = url if self.board.generation == HOME else _host(url)
            items.append(
                {
                    "POOL": index,
                    "URL": url,
                    "Status": "Alive",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": max(1, self.elapsed // 56) if active else 1,
                    "Accepted": counts["accepted"] if active else 0,
                    "Rejected": counts["rejected"] if active else 0,
                    "Works": self.elapsed * 3 if active else 0,
                    "Discarded": 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool["user"],
                    "Password": pool["passwd"],
                    "Last Share Time": counts["last_share"] if active else 0,
                    "Diff1 Shares": counts["diff1"] if active else 0,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": counts["diff_accepted"] if active else 0.0,
                    "Difficulty Rejected": counts["diff_rejected"] if active else 0.0,
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": POOL_DIFFICULTY if active else 0.0,
                    "Work Difficulty": POOL_DIFFICULTY if active else 0.0,
                    "Has Stratum": True,
                    "Stratum Active": active,
                    "Stratum URL": stratum_url if active else "",
                    "Stratum Difficulty": POOL_DIFFICULTY if active else 0.0,
                    "Has Vmask": True,
                    "Has GBT": False,
                    "Best Share": int(self._state.best_session_diff) if active else 0,
                    "Pool Rejected%": counts["reject_pct"] if active else 0.0,
                    "Pool Stale%": 0.0,
                    "Bad Work": 0,
                    "Current Block Height": 907_089 + self.elapsed // 600,
                    "Current Block Version": 536_870_912,
                }
            )
        return self._reply("POOLS", items, rpc.CODE_POOLS, f"{len(items)} Pool(s)")

    @property
    def device_name(self) -> str:
        return "AVALON" if self.board.generation == HOME else "AVA10"

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        counts, mhs = self._counts(), self._mhs()
        home = self.board.generation == HOME
        item: dict[str, Any] = {
            "ASC": 0,
            "Name": self.device_name,
            "ID": 0,
            "Enabled": "Y",
            "Status": "Alive",
            "Temperature": 0.0 if home else -273.0,
            "MHS av": mhs["av"],
        }
        if home:
            item["MHS 5s"] = mhs["5s"]
        else:
            item["MHS 30s"] = mhs["30s"]
        item |= {
            "MHS 1m": mhs["1m"],
            "MHS 5m": mhs["5m"],
            "MHS 15m": mhs["15m"],
            "Accepted": counts["accepted"],
            "Rejected": counts["rejected"],
            "Hardware Errors": self.av_physics.hardware_errors,
            "Utility": counts["utility"],
            "Last Share Pool": 0,
            "Last Share Time": counts["last_share"],
            "Total MH": round(self.av_physics.total_mh, 1),
            "Diff1 Work": counts["diff1"],
            "Difficulty Accepted": counts["diff_accepted"],
            "Difficulty Rejected": counts["diff_rejected"],
            "Last Share Difficulty": POOL_DIFFICULTY,
            "Last Valid Work": int(time.time()) if self.av_physics.mining else 0,
            "Device Hardware%": 0.0,
            "Device Rejected%": counts["reject_pct"],
            "Device Elapsed": self.elapsed,
        }
        return self._reply("DEVS", [item], rpc.CODE_DEVS, "1 ASC(s)")

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        home = self.board.generation == HOME
        item = {
            "DEVDETAILS": 0,
            "Name": self.device_name,
            "ID": 0,
            "Driver": "avalon" if home else "avalon10",
            "Kernel": "",
            "Model": "",
            "Device Path": "",
        }
        return self._reply("DEVDETAILS", [item], CODE_DEVDETAILS, "Device Details")

    def _device_stats(self) -> dict[str, Any]:
        """The device's entry in ``stats``/``estats``, without the MM strings."""
        return {
            "STATS": 0,
            "ID": f"{self.device_name}0",
            "Elapsed": self.elapsed,
            "Calls": 0,
            "Wait": 0.0,
            "Max": 0.0,
            "Min": 99_999_999.0,
        }

    def _pool_stats(self) -> list[dict[str, Any]]:
        entries = []
        for index in range(sum(1 for pool in self.pools if pool["url"])):
            active = index == 0
            sent = self.elapsed * 4 if active else 255
            received = self.elapsed * 23 if active else 2055
            entries.append(
                {
                    "STATS": index + 1,
                    "ID": f"POOL{index}",
                    "Elapsed": self.elapsed,
                    "Calls": 0,
                    "Wait": 0.0,
                    "Max": 0.0,
                    "Min": 99_999_999.0,
                    "Pool Calls": 0,
                    "Pool Attempts": 0,
                    "Pool Wait": 0.0,
                    "Pool Max": 0.0,
                    "Pool Min": 99_999_999.0,
                    "Pool Av": 0.0,
                    "Work Had Roll Time": False,
                    "Work Can Roll": False,
                    "Work Had Expire": False,
                    "Work Roll Time": 0,
                    "Work Diff": POOL_DIFFICULTY if active else 0.0,
                    "Min Diff": POOL_DIFFICULTY if active else 0.0,
                    "Max Diff": POOL_DIFFICULTY if active else 0.0,
                    "Min Diff Count": 1 if active else 0,
                    "Max Diff Count": self._state.shares_accepted if active else 0,
                    "Times Sent": sent // 160,
                    "Bytes Sent": sent,
                    "Times Recv": received // 550,
                    "Bytes Recv": received,
                    "Net Bytes Sent": sent,
                    "Net Bytes Recv": received,
                }
            )
        return entries

    def rpc_stats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        device = self._device_stats()
        if self.board.generation == HOME:
            device["MM ID0:Summary"] = "'STATS':{" + self.mm_summary() + "}"
            device["HBinfo"] = "'HB0':{" + " ".join(self._chip_info(0)) + "}"
        else:
            device |= self._classic_extra()
        return self._reply("STATS", [device, *self._pool_stats()], rpc.CODE_STATS, "CGMiner stats")

    def rpc_estats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        device = self._device_stats()
        if self.board.generation == HOME:
            device["MM ID0"] = self.mm_full()
        else:
            device |= self._classic_extra()
        return self._reply("STATS", [device], rpc.CODE_STATS, "CGMiner stats")

    def rpc_litestats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        if self.board.generation != HOME:
            return rpc.invalid_command(RPC_DESCRIPTION)
        item = {"MM ID0:Summary": "'STATS':{" + self.mm_summary() + "}"}
        return self._reply("STATS", [item], rpc.CODE_STATS, "CGMiner stats")

    def _classic_extra(self) -> dict[str, Any]:
        return {
            "MM ID0": self.mm_classic(),
            "MM Count": 1,
            "Smart Speed": 1,
            "Voltage Level Offset": 0,
            "Nonce Mask": 25,
        }

    def rpc_coin(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        item = {
            "Hash Method": "sha256",
            "Current Block Time": round(time.time() - 300.0, 6),
            "Current Block Hash": _hex(f"block:{self.elapsed // 600}", 64),
            "LP": True,
            "Network Difficulty": 126_271_255_279_306.98,
        }
        return self._reply("COIN", [item], CODE_COIN, "CGMiner coin")

    def rpc_check(self, request: rpc.RpcRequest) -> dict[str, Any]:
        if not request.parameter:
            return rpc.error_reply(CODE_MISSING_CHECK, "Missing check cmd", RPC_DESCRIPTION)
        exists = "Y" if request.parameter in self._api.commands else "N"
        item = {"Exists": exists, "Access": exists}
        return self._reply("CHECK", [item], CODE_CHECK, "Check command")

    def rpc_lcd(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        counts, mhs = self._counts(), self._mhs()
        pool = next((pool for pool in self.pools if pool["url"]), None)
        item = {
            "Elapsed": self.elapsed,
            "GHS av": round(mhs["av"] / 1000, 2),
            "GHS 5m": round(mhs["5m"] / 1000, 2),
            "GHS 5s": round(mhs["5s"] / 1000, 2),
            "Temperature": round(self.av_physics.temp_max, 1),
            "Last Share Difficulty": POOL_DIFFICULTY,
            "Last Share Time": counts["last_share"],
            "Best Share": int(self._state.best_session_diff),
            "Last Valid Work": int(time.time()) if self.av_physics.mining else 0,
            "Found Blocks": 0,
            "Current Pool": pool["url"] if pool else "none",
            "User": pool["user"] if pool else "",
        }
        return self._reply("LCD", [item], CODE_LCD, "LCD")

    def rpc_restart(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        self.last_action = {"command": "restart"}
        self._restart_soon()
        return {"STATUS": "RESTART", "id": 1}

    def rpc_setpool(self, request: rpc.RpcRequest) -> dict[str, Any]:
        """``setpool``: ``user,password,slot,url,worker,worker password`` (web login)."""
        parts = (request.parameter or "").split(",")
        if len(parts) < 5:
            return rpc.error_reply(
                CODE_POOL_SET_ERROR, "Pool set error: parameter error", RPC_DESCRIPTION
            )
        user, password, slot, url, worker = parts[:5]
        worker_password = ",".join(parts[5:]) or "x"
        if user != self.username or password != self.password:
            return rpc.error_reply(
                CODE_POOL_SET_ERROR, "Pool set error: password error", RPC_DESCRIPTION
            )
        if not slot.isdigit() or int(slot) >= SLOTS:
            return rpc.error_reply(
                CODE_POOL_SET_ERROR, "Pool set error: pool index error", RPC_DESCRIPTION
            )
        self.pools[int(slot)] = {"url": url, "user": worker, "passwd": worker_password}
        self.last_action = {"command": "setpool", "slot": int(slot), "url": url}
        return {
            "STATUS": [rpc.status(CODE_POOL_SET, "Pool set info: success", RPC_DESCRIPTION)],
            "id": 1,
        }

    # --- ascset -----------------------------------------------------------------------------

    def rpc_ascset(self, request: rpc.RpcRequest) -> dict[str, Any]:
        parameter = request.parameter or ""
        if not parameter:
            return rpc.error_reply(CODE_MISSING_ID, "Missing device id parameter", RPC_DESCRIPTION)
        device, _, rest = parameter.partition(",")
        if not rest:
            return rpc.error_reply(
                CODE_MISSING_ASC_OPTION, "Missing option after ASC number", RPC_DESCRIPTION
            )
        asc = _atoi(device)
        if asc != 0:
            return rpc.error_reply(
                CODE_INVALID_ASC, f"Invalid ASC id {asc} - range is 0 - 0", RPC_DESCRIPTION
            )
        option, _, value = rest.partition(",")
        code, text = self.ascset(option.strip(), value.strip())
        kind = {CODE_ASC_SET_INFO: "I", CODE_ASC_SET_OK: "S"}.get(code, "E")
        message = {
            CODE_ASC_SET_INFO: f"ASC 0 set info: {text}",
            CODE_ASC_SET_OK: "ASC 0 set OK",
        }.get(code, f"ASC 0 set failed: {text}")
        return {"STATUS": [rpc.status(code, message, RPC_DESCRIPTION, kind=kind)], "id": 1}

    def ascset(self, option: str, value: str) -> AscsetReply:
        """One ``ascset`` option: (code, info or error text)."""
        handlers: dict[str, Callable[[str], AscsetReply]] = {
            "help": self._ascset_help,
            "led": self._ascset_led,
            "workmode": lambda v: self._ascset_work("workmode", v),
            "worklevel": lambda v: self._ascset_work("worklevel", v),
            "softoff": lambda v: self._ascset_soft("softoff", v),
            "softon": lambda v: self._ascset_soft("softon", v),
            "reboot": self._ascset_reboot,
            "fan-spd": self._ascset_fan,
        }
        handler = handlers.get(option)
        if handler is not None:
            return handler(value)
        if option in STORED_OPTIONS:
            self.stored[option] = value
            if option == "ledset":
                self.led_user = value
            elif option == "lcd":
                self.lcd_on = 0 if value.endswith(":0") else 1
            return CODE_ASC_SET_OK, ""
        return CODE_ASC_SET_FAILED, "unknown option"

    def _ascset_help(self, _value: str) -> AscsetReply:
        options = HOME_ASCSET_OPTIONS if self.board.generation == HOME else CLASSIC_ASCSET_OPTIONS
        return CODE_ASC_SET_INFO, options

    def _ascset_led(self, value: str) -> AscsetReply:
        """``1-1`` on, ``1-0`` off, ``1-255`` asks: ``LED[n]``."""
        _board, _, setting = value.partition("-")
        if setting == "255":
            return CODE_ASC_SET_INFO, f"LED[{self.led}]"
        if setting not in ("0", "1"):
            return CODE_ASC_SET_FAILED, "invalid led value"
        self.led = int(setting)
        self._state.identify_active = bool(self.led)
        self.last_action = {"command": "led", "on": bool(self.led)}
        return CODE_ASC_SET_OK, ""

    def _ascset_work(self, option: str, value: str) -> AscsetReply:
        verb, _, number = value.partition(",")
        settings = self.board.workmodes if option == "workmode" else self.board.worklevels
        if verb == "get":
            physics = self.av_physics
            current = physics.workmode if option == "workmode" else physics.worklevel
            return CODE_ASC_SET_INFO, f"{option.upper()}[{current}]"
        if verb != "set" or _atoi(number) not in settings or not number.strip().lstrip("-"):
            return CODE_ASC_SET_FAILED, f"invalid {option} value"
        self.tick()
        if option == "workmode":
            self.av_physics.workmode = _atoi(number)
        else:
            self.av_physics.worklevel = _atoi(number)
        self.last_action = {"command": option, "value": _atoi(number)}
        return CODE_ASC_SET_OK, ""

    def _ascset_soft(self, option: str, value: str) -> AscsetReply:
        """``1:<unix time>``: stop (softoff) or resume (softon) hashing at that time."""
        _flag, _, stamp = value.partition(":")
        if not stamp.strip().isdigit():
            return CODE_ASC_SET_FAILED, f"invalid {option} time"
        when = int(stamp)
        if option == "softoff":
            self.softoff_at, self.softon_at = when, None
        else:
            self.softon_at, self.softoff_at = when, None
        self.last_action = {"command": option, "at": when}
        self.tick()
        return CODE_ASC_SET_INFO, f"success {option}:{when}"

    def _ascset_reboot(self, _value: str) -> AscsetReply:
        self.last_action = {"command": "reboot"}
        self._restart_soon()
        return CODE_ASC_SET_OK, ""

    def _ascset_fan(self, value: str) -> AscsetReply:
        speed = _atoi(value)
        if speed == -1:
            self.av_physics.fan_override = None
        elif 15 <= speed <= 100:
            self.av_physics.fan_override = speed
        else:
            return CODE_ASC_SET_FAILED, "invalid fan speed"
        self.tick()
        return CODE_ASC_SET_OK, ""

    # --- the MM ID0 strings -----------------------------------------------------------------

    def _status_text(self) -> str:
        work = "In Work" if self.av_physics.mining else "In Idle"
        return f"Work: {work}, Hash Board: {self.board.boards}"

    def _ps(self) -> str:
        """``PS[…]``: status, control V, hash board V (0.01 V), ping, DC W, current, wall W."""
        power = round(self._state.power)
        dc = round(power * 0.945)
        board_volt = 1220 if self.av_physics.mining else 0
        return _ints([self.ps_status, 1221, board_volt, 4, dc, round(dc / 2.9), power])

    def _mghs(self) -> list[float]:
        physics = self.av_physics
        avg_ghs = physics.average_mhs / 1000
        share = 1 / self.board.boards
        return [avg_ghs * share * physics.rng.uniform(0.97, 1.03) for _ in range(self.board.boards)]

    def _speeds(self) -> dict[str, str]:
        physics, state = self.av_physics, self._state
        avg = physics.average_mhs / 1000
        reject = 100 * state.shares_rejected / max(state.shares_accepted + state.shares_rejected, 1)
        return {
            "GHSspd": _fmt(state.hashrate),
            "DHspd": _fmt(reject, 3) + "%",
            "GHSmm": _fmt(physics.nominal_ghs),
            "GHSavg": _fmt(avg),
            "WU": _fmt(avg / 4.294967296 * 60),  # diff-1 work per minute
            "Freq": _fmt(state.frequency),
        }

    def mm_summary(self, *, full: bool = False) -> str:
        """The home line's ``'STATS':{…}`` body (``litestats``, ``stats``); ``full`` adds
        what ``estats`` shows besides: wall power, LED, per-board figures, per-chip readings."""
        model, physics, state = self.board, self.av_physics, self._state
        speeds = self._speeds()
        mghs = speeds["GHSavg"]
        extra = ""
        if full:
            mghs = " ".join(_fmt(value) for value in self._mghs())
            extra = (
                f" Temp[{round(physics.inlet)}] WALLPOWER[{round(state.power)}] Led[{self.led}]"
                f" MTmax[{_ints([round(value) for value in physics.board_max])}]"
                f" MTavg[{_ints([round(value) for value in physics.board_avg])}]"
                f" LEDUser[{self.led_user}] " + " ".join(self._chip_info(0))
            )
        fans = " ".join(f"Fan{index + 1}[{rpm}]" for index, rpm in enumerate(physics.fans))
        mode, level = physics.workmode, physics.worklevel
        return (
            f"Ver[{model.model}-{self.firmware}] LVer[{self.firmware}] BVer[{self.firmware}] "
            f"HashMcu0Ver[{model.hash_mcu}] FanMcuVer[{model.fan_mcu}] CPU[{model.cpu}] "
            f"FW[Release] DNA[{self.dna}] STATE[2] MEMFREE[67896] NETFAIL[0 0 0 0 0 0 0 0] "
            f"SSID[] RSSI[0] NetDevType[0] SYSTEMSTATU[{self._status_text()}] "
            f"Elapsed[{self.elapsed}] BOOTBY[0x01.00000000] LW[{self.elapsed * 450}] MH[0] "
            f"DHW[0] HW[{physics.hardware_errors}] DH[{speeds['DHspd']}] "
            f"ITemp[{round(physics.inlet)}] HBITemp[{round(physics.inlet + 2)}] "
            f"HBOTemp[{round(physics.outlet)}] TMax[{round(physics.temp_max)}] "
            f"TAvg[{round(physics.temp_avg)}] TarT[{TARGET_TEMP}] {fans} "
            f"FanR[{physics.fan_percent}%] SoftOffTime[{self.softoff_time}] "
            f"SoftOnTime[{self.softon_time}] Filter[{19000 + self.elapsed // 3600}] "
            f"FanErr[{self.fan_error}] "
            f"SoloAllowed[1] PS[{self._ps()}] PCOMM_E[0] GHSspd[{speeds['GHSspd']}] "
            f"DHspd[{speeds['DHspd']}] GHSmm[{speeds['GHSmm']}] GHSavg[{speeds['GHSavg']}] "
            f"WU[{speeds['WU']}] Freq[{speeds['Freq']}] MGHS[{mghs}] "
            f"TA[{model.chips_per_board}] Core[{model.core}] BIN[36] PING[17] "
            f"SoftOFF[{0 if physics.mining else SOFTOFF_FLAG}] ECHU[{_ints(self.echu)}] "
            f"ECMM[{self.ecmm}] "
            f"PLL0[8843 5769 5098 4610] SF0[{self._sf()}] CRC[0] COMCRC[0] "
            f"ATA0[{physics.power_target}-{TARGET_TEMP}-2264-{self._sf().split()[0]}-20] "
            f"LcdOnoff[{self.lcd_on}] Activation[0] WORKMODE[{mode}] WORKLEVEL[{level}] "
            f"MPO[{physics.power_target}] CALIALL[7] ADJ[1] Nonce Mask[25]{extra}"
        )

    def mm_full(self) -> str:
        """The home line's ``estats`` ``MM ID0``."""
        return self.mm_summary(full=True)

    def _sf(self) -> str:
        top = self.av_physics.model.frequency
        scale = self._state.frequency / top if top else 0
        return _ints([round(top * scale * step) for step in (0.82, 0.88, 0.94, 1.0)])

    def _chip_info(self, board: int) -> tuple[str, str, str]:
        """``PVT_T{n}`` chip temperatures, ``PVT_V{n}`` voltages (mV), ``MW{n}`` work counts."""
        physics, model = self.av_physics, self.board
        rng = physics.rng
        chips = model.chips_per_board
        if physics.mining:
            avg = physics.board_avg[board]
            temps = [round(avg + rng.uniform(-6, 6)) for _ in range(chips)]
            volts = [round(290 + rng.uniform(-8, 8)) for _ in range(chips)]
            works = [round(rng.uniform(500, 700)) for _ in range(chips)]
        else:
            temps = [0] * chips
            volts = [0] * chips
            works = [0] * chips
        return (
            f"PVT_T{board}[{_ints(temps, 3)}]",
            f"PVT_V{board}[{_ints(volts)}]",
            f"MW{board}[{_ints(works)}]",
        )

    def mm_classic(self) -> str:
        """The A-series ``MM ID0`` string, in the order a real A1566 prints it."""
        model, physics, state = self.board, self.av_physics, self._state
        speeds = self._speeds()
        boards = range(model.boards)
        fans = " ".join(f"Fan{index + 1}[{rpm}]" for index, rpm in enumerate(physics.fans))
        mghs = " ".join(_fmt(value) for value in self._mghs())
        sf = self._sf()
        chips = [self._chip_info(board) for board in boards]
        volt = 1188 if physics.mining else 0
        zeros = _ints([0] * model.boards)
        return " ".join(
            [
                f"Ver[{model.ver}] DNA[{self.dna}] MEMFREE[1392832.1381104]",
                "NETFAIL[0 0 0 0 0 0 0 0]",
                f"SYSTEMSTATU[{self._status_text()} ] Elapsed[{self.elapsed}]",
                f"BOOTBY[0x04.00000000] LW[{self.elapsed * 732}] MH[{zeros}] DHW[0]",
                f"HW[{physics.hardware_errors}] DH[{speeds['DHspd']}]",
                f"Temp[{round(physics.inlet)}] TMax[{round(physics.temp_max)}]",
                f"TAvg[{round(physics.temp_avg)}] {fans} FanR[{physics.fan_percent}%]",
                f"Vo[{296 if physics.mining else 0}] PS[{self._ps()}]",
                f"WALLPOWER[{round(state.power)}]",
                *(f"PLL{board}[3346 2549 4722 13703]" for board in boards),
                f"GHSspd[{speeds['GHSspd']}] DHspd[{speeds['DHspd']}]",
                f"GHSmm[{speeds['GHSmm']}] GHSavg[{speeds['GHSavg']}] WU[{speeds['WU']}]",
                f"Freq[{speeds['Freq']}] Led[{self.led}] MGHS[{mghs}]",
                f"MTmax[{_ints([round(value) for value in physics.board_max])}]",
                f"MTavg[{_ints([round(value) for value in physics.board_avg])}]",
                f"MVavg[{' '.join('285.7' if physics.mining else '0.0' for _ in boards)}]",
                f"TA[{model.boards * model.chips_per_board}] Core[{model.core}] PING[131]",
                f"POWS[0] EEPROM[{_ints([model.chips_per_board] * model.boards)}]",
                f"HASHS[{zeros}] POOLS[0]",
                f"SoftOFF[{0 if physics.mining else SOFTOFF_FLAG}] ECHU[{_ints(self.echu)}]",
                f"ECMM[{self.ecmm}]",
                *(f"SF{board}[{sf}]" for board in boards),
                *(temps for temps, _volts, _works in chips),
                *(volts for _temps, volts, _works in chips),
                f"MW[{_ints([self.elapsed * 244] * model.boards)}]",
                *(works for _temps, _volts, works in chips),
                f"CRC[{zeros}] COMCRC[{zeros}]",
                *(f"FACOPTS{board}[]" for board in boards),
                *(
                    f"ATAOPTS{board}[--avalon10-freq {sf.replace(' ', ':')} "
                    f"--avalon10-voltage-level {volt} --hash-asic {model.chips_per_board} ]"
                    for board in boards
                ),
                f"ADJ[1] COP[{zeros}] MPO[{physics.power_target}] MVL[87]",
                *(f"ATABD{board}[{sf}]" for board in boards),
                f"WORKMODE[{physics.workmode}]",
            ]
        )

    # --- web --------------------------------------------------------------------------------

    def _authorized(self, request: web.BaseRequest) -> bool:
        return request.cookies.get(COOKIE_NAME) == cookie_for(self.password)

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path in ("/", "/index.html", "/login.html"):
            return web.Response(text=self._login_page(), content_type="text/html")
        pages: dict[str, Callable[[], str]] = {
            "/get_minerinfo.cgi": self._web_minerinfo,
            "/get_home.cgi": self._web_home,
            "/get_status.cgi": self._web_status,
            "/get_pool.cgi": self._web_pool,
        }
        page = pages.get(path)
        if page is None:
            return web.Response(status=404, text="404 Not Found", content_type="text/html")
        if not self._authorized(request):
            return web.Response(status=302, headers={"Location": "/login.html"}, text="")
        return web.Response(text=page(), content_type="text/html")

    def _login_page(self) -> str:
        title = html.escape(self.board.name)
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title></head><body>"
            f"<h1>{title}</h1><form id='login' onsubmit='return login()'>"
            "<input name='username' value='root'>"
            "<input name='passwd' type='password'>"
            "<button type='submit'>Login</button></form>"
            "<script>function login(){var p=document.forms.login.passwd.value;"
            "sha256(p).then(function(h){document.cookie='auth=ff0000ff'+h.slice(0,24)+';path=/';"
            "location.href='/dashboard.html';});return false;}</script>"
            "</body></html>"
        )

    def _web_minerinfo(self) -> str:
        state = self._state
        info = {
            "mac": state.mac.lower(),
            "hostname": state.hostname,
            "ip": self.host,
            "model": self.board.model,
            "prod": self.board.prod,
            "version": self.firmware,
            "dna": self.dna,
        }
        return f"minerinfoCallback({json.dumps(info)});"

    def _web_home(self) -> str:
        physics, state = self.av_physics, self._state
        home = {
            "hashrate": round(state.hashrate, 2),
            "hashrate_avg": round(physics.average_mhs / 1000, 2),
            "power": round(state.power),
            "temp_in": round(physics.inlet),
            "temp_max": round(physics.temp_max),
            "fan": physics.fan_percent,
            "workmode": physics.workmode,
            "worklevel": physics.worklevel,
            "softoff": 0 if physics.mining else 1,
            "led": self.led,
            "elapsed": self.elapsed,
        }
        return json.dumps(home)

    def _web_status(self) -> str:
        return json.dumps({"status": self._status_text(), "elapsed": self.elapsed})

    def _web_pool(self) -> str:
        pools = [
            {"pool": index, "url": pool["url"], "user": pool["user"]}
            for index, pool in enumerate(self.pools)
        ]
        return json.dumps({"pools": pools})


def _atoi(text: str) -> int:
    """C's ``atoi``: the leading integer, 0 when there is none."""
    text = text.strip()
    sign, digits = 1, ""
    if text[:1] in "+-" and text[:1]:
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return sign * int(digits) if digits else 0


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.rsplit(":", 1)[0]


def _pool_state(pool: dict[str, str]) -> PoolState:
    rest = pool["url"].split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not host:
        host, port = rest, "0"
    return PoolState(
        url=host,
        port=int(port) if port.isdigit() else 0,
        user=pool["user"],
        password=pool["passwd"],
    )


__all__ = ["CLASSIC", "HOME", "AvalonMiner", "cookie_for"]
