"""LuxOS (LUXminer) on Antminer hardware: the CGMiner-style RPC on 4028 is its whole API.

Read replies have the keys and JSON types of replies recorded from a real S19k Pro on LuxOS
2025.4.8 (``version``, ``summary``, ``pools``, ``devs``, ``stats``, ``config``, ``fans``,
``temps``, ``power``, ``profiles``, ``healthchipget``, ``voltageget``, ``events``). Commands
that change the miner need a session (Luxor's API docs): ``logon`` creates the one session there
can be (another ``logon`` meanwhile gets Code 402 "Another session is active"), ``session``
shows its id, it expires after a minute without use, and each privileged command takes its id as
the first parameter (``{"command":"curtail","parameter":"<sid>,sleep"}``). A profile change is
refused while ATM is on (clients turn ATM off first, as pyasic does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import datetime
import hashlib
import re
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from .. import rpc
from ..faults import Fault
from ..miner import RPC, WEB, SimulatedMiner
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .braiins import TunedPhysics, locally_administered_mac
from .luxos_models import LUXOS_MODELS, LuxosModel, Profile, find_luxos_model

DEFAULT_FIRMWARE = "2025.4.8.220305-57b389c7"  # the recorded S19k Pro's LUXminer
DEFAULT_MODEL = "Antminer S19k Pro"
SESSION_TIMEOUT_S = 60.0  # "Sessions expire automatically after one minute" (Luxor docs)
SESSION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
POOL_DIFFICULTY = 32_768  # the recorded miner's pool difficulty
MHS_PER_GHS = 1000.0
UPDATE_DELAY_S = 0.05  # the reply goes out before the miner goes down
FIRMWARE = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})\.(\d{2})(\d{2})(\d{2})(-[0-9a-f]+)?$")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CONNECTORS = ("J7", "J8", "J9", "J10")
LED_STATES = ("on", "off", "blink", "auto")

# Session-guarded commands (luxos-tooling's api.json marks them logon_required).
SESSION_COMMANDS = frozenset(
    {
        "atmset",
        "curtail",
        "fanset",
        "ledset",
        "logoff",
        "profileset",
        "rebootdevice",
        "resetminer",
        "updaterun",
    }
)

# Status codes: from Luxor's docs where they show one, else assumed (marked).
CODE_CONFIG = 33
CODE_GROUPS = 300  # assumed: no recording of a LuxOS ``groups`` reply
CODE_DEVDETAILS = 69
CODE_ADDPOOL, CODE_REMOVEPOOL, CODE_SWITCHPOOL, CODE_INVALID_POOL = 55, 68, 27, 26
CODE_TEMPS, CODE_FANS = 201, 202
CODE_VOLTAGE = 307
CODE_POWER = 311
CODE_HEALTHCHIP = 314
CODE_SESSION_CREATED, CODE_SESSION_INFO = 316, 319
CODE_LOGOFF = 317  # assumed
CODE_PROFILE_SET = 321
CODE_PROFILE_UNKNOWN = 322  # assumed
CODE_PROFILES = 323
CODE_LED = 325  # assumed
CODE_RESET_MINER = 331  # assumed
CODE_REBOOT_DEVICE = 332  # assumed
CODE_UPDATE, CODE_UPDATE_FAILED = 333, 334
CODE_CURTAIL = 335
CODE_ATM, CODE_ATM_SET = 339, 340
CODE_ATM_BLOCKS_PROFILE = 341  # assumed
CODE_EVENTS = 357
CODE_SESSION_BUSY = 402
CODE_SESSION_INVALID = 403  # assumed
CODE_BAD_PARAMETER = 13  # assumed: LUXminer's "missing/invalid parameter" text

ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>LuxOS | Luxor Firmware</title></head>
<body><div id="app">Luxor Firmware</div><script src="/assets/index.js"></script></body>
</html>
"""


def _digits(seed: str, count: int, alphabet: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:count])


def compile_time_of(firmware: str) -> str:
    """The `CompileTime` of a LUXminer version: as recorded for the default one, else the date
    and time its number carries (``2025.5.9.101500`` → ``Fri May  9 10:15:00 UTC 2025``)."""
    if firmware == DEFAULT_FIRMWARE:
        return "Tue Apr  8 22:05:35 UTC 2025"
    match = FIRMWARE.match(firmware)
    if match is None:
        raise ValueError(f"{firmware!r} is not a LUXminer version like {DEFAULT_FIRMWARE}")
    year, month, day, hour, minute, second, _hash = match.groups()
    date = datetime.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=datetime.UTC
    )
    return (
        f"{DAYS[date.weekday()]} {MONTHS[date.month - 1]} {date.day:2d} "
        f"{date.hour:02d}:{date.minute:02d}:{date.second:02d} UTC {date.year}"
    )


def next_firmware(firmware: str) -> str:
    """The release ``updaterun`` installs: the build a month and a day later."""
    match = FIRMWARE.match(firmware)
    assert match is not None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    month, year = (1, year + 1) if month == 12 else (month + 1, year)
    day = min(day + 1, 28)
    return f"{year}.{month}.{day}.101500-{hashlib.sha256(firmware.encode()).hexdigest()[:8]}"


class LuxOSMiner(SimulatedMiner):
    """A miner on LuxOS."""

    family = "luxos"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> LuxosModel:
        if self.spec.model == MinerSpec().model:  # a spec that names no model
            return find_luxos_model(DEFAULT_MODEL)
        return find_luxos_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return locally_administered_mac(seed)

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.firmware = spec.firmware or DEFAULT_FIRMWARE
        self.compile_time = compile_time_of(self.firmware)
        self.pending_firmware: str | None = None
        self.profile_table: tuple[Profile, ...] = model.profiles()
        self.profile = self._profile_named("default")
        self.atm_enabled = True  # on by default since 2024 (the recorded miner has it on)
        self.curtailed = False
        self.red_led = "auto"
        self.session_id = ""
        self.session_used = 0.0
        self.session_timeout = SESSION_TIMEOUT_S
        self.serial = "JYZZ" + _digits(f"sn:{self.seed}", 13, SERIAL_ALPHABET)
        self.board_serials = [
            "JYZZ" + _digits(f"board{index}:{self.seed}", 13, SERIAL_ALPHABET)
            for index in range(model.hardware.boards)
        ]
        self.events_since = _iso_now()
        self.board_events: list[tuple[int, str, str]] = []  # (board, code, description) to add
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        self.pools: list[dict[str, str]] = [
            {"url": "stratum+tcp://btc.global.luxor.tech:700", "user": worker, "pass": "x"},
            {"url": "stratum+tcp://stratum.braiins.com:3333", "user": worker, "pass": "x"},
        ]
        self.active_pool = 0
        return MinerState(
            mac=mac,
            hostname=spec.hostname or "luxos",
            model=model.name,
            version=self.firmware,
            www_version=self.firmware,
            board_version=model.board_name,
            asic_model=model.hardware.chip,
            asic_count=model.hardware.boards * model.hardware.chips_per_board,
            small_core_count=0,
            frequency=float(model.hardware.frequency),
            core_voltage=0,
            pools=[],
        )

    def make_physics(self) -> TunedPhysics:
        return TunedPhysics(self.board.hardware, self.seed)

    @property
    def tuned(self) -> TunedPhysics:
        assert isinstance(self.physics, TunedPhysics)
        return self.physics

    @property
    def rpc_description(self) -> str:
        return f"LUXminer {self.firmware}"

    @property
    def miner_version(self) -> str:
        return self.firmware.split("-", 1)[0]

    def tick(self) -> None:
        self._sync()
        super().tick()

    def _sync(self) -> None:
        hardware, profile = self.board.hardware, self.profile
        physics = self.physics
        if isinstance(physics, TunedPhysics):
            physics.hash_share = profile.hashrate * 1000 / hardware.nominal_hashrate
            physics.power = float(profile.watts)
            physics.frequency = float(profile.frequency)
            physics.sleeping = self.curtailed
        self._state.pools = [_pool_state(pool) for pool in self.pools]

    def on_boot(self) -> None:
        if self.pending_firmware is not None:  # updaterun installed a new release
            self.firmware, self.pending_firmware = self.pending_firmware, None
            self.compile_time = compile_time_of(self.firmware)
            self._state.version = self._state.www_version = self.firmware
        self.session_id = ""
        self.events_since = _iso_now()

    def _profile_named(self, name: str) -> Profile:
        for profile in self.profile_table:
            if profile.name == name:
                return profile
        raise KeyError(name)

    # --- sessions ---------------------------------------------------------------------------

    def _live_session(self) -> str:
        if self.session_id and time.monotonic() - self.session_used > self.session_timeout:
            self.session_id = ""
        return self.session_id

    def expire_session(self) -> None:
        """Drop the session, as if a minute had passed without its use."""
        self.session_id = ""

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        api = rpc.CgminerApi(self.rpc_description, self._commands())
        return api.answer(request)

    def _commands(self) -> dict[str, rpc.CommandHandler]:
        reads: dict[str, rpc.CommandHandler] = {
            "version": self.rpc_version,
            "summary": self.rpc_summary,
            "pools": self.rpc_pools,
            "groups": self.rpc_groups,
            "devs": self.rpc_devs,
            "edevs": self.rpc_devs,
            "devdetails": self.rpc_devdetails,
            "stats": self.rpc_stats,
            "estats": self.rpc_stats,
            "config": self.rpc_config,
            "fans": self.rpc_fans,
            "temps": self.rpc_temps,
            "power": self.rpc_power,
            "profiles": self.rpc_profiles,
            "healthchipget": self.rpc_healthchipget,
            "voltageget": self.rpc_voltageget,
            "events": self.rpc_events,
            "atm": self.rpc_atm,
            "logon": self.rpc_logon,
            "session": self.rpc_session,
            "kill": self.rpc_kill,
            "addpool": self.rpc_addpool,
            "removepool": self.rpc_removepool,
            "switchpool": self.rpc_switchpool,
        }
        writes = {
            "atmset": self.rpc_atmset,
            "curtail": self.rpc_curtail,
            "ledset": self.rpc_ledset,
            "logoff": self.rpc_logoff,
            "profileset": self.rpc_profileset,
            "rebootdevice": self.rpc_rebootdevice,
            "resetminer": self.rpc_resetminer,
            "updaterun": self.rpc_updaterun,
        }
        for name, handler in writes.items():
            reads[name] = self._guarded(name, handler)
        return reads

    def _guarded(
        self, name: str, handler: Callable[[list[str]], dict[str, Any]]
    ) -> rpc.CommandHandler:
        """Check the session id (the first parameter) before ``handler`` gets the rest."""

        def run(request: rpc.RpcRequest) -> dict[str, Any]:
            params = (request.parameter or "").split(",")
            session = params[0].strip()
            live = self._live_session()
            if not session or session != live:
                return self._error(CODE_SESSION_INVALID, "Invalid session id")
            self.session_used = time.monotonic()
            return handler([part.strip() for part in params[1:]])

        assert name in SESSION_COMMANDS
        return run

    def _reply(self, section: str, items: list[Any], code: int, message: str) -> dict[str, Any]:
        return rpc.reply(section, items, code, message, self.rpc_description)

    def _ok(self, code: int, message: str) -> dict[str, Any]:
        return {"STATUS": [rpc.status(code, message, self.rpc_description)], "id": 1}

    def _error(self, code: int, message: str) -> dict[str, Any]:
        return rpc.error_reply(code, message, self.rpc_description)

    # --- reads ------------------------------------------------------------------------------

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        version = {
            "API": "3.7",
            "CompileTime": self.compile_time,
            "LUXminer": self.firmware,
            "Miner": self.miner_version,
            "Type": self.board.name,
        }
        return self._reply("VERSION", [version], rpc.CODE_VERSION, "LUXminer versions")

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        elapsed = int(state.uptime)
        accepted, rejected = state.shares_accepted, state.shares_rejected
        minutes = max(state.uptime / 60, 1 / 60)
        day_share = min(1.0, state.uptime / 86_400)
        summary = {
            "Accepted": accepted,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0.0,
            "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Difficulty Accepted": accepted * POOL_DIFFICULTY,
            "Difficulty Rejected": rejected * POOL_DIFFICULTY,
            "Difficulty Stale": 0,
            "Discarded": 0,
            "Elapsed": elapsed,
            "Found Blocks": 0,
            "GHS 15m": round(state.hashrate_10m, 2),
            "GHS 1m": round(state.hashrate_1m, 2),
            "GHS 24h": round(state.hashrate_1h * day_share, 2),
            "GHS 30m": round(state.hashrate_1h, 2),
            "GHS 5m": round(state.hashrate_10m, 2),
            "GHS 5s": round(state.hashrate, 2),
            "GHS av": round(state.hashrate_10m, 2),
            "Get Failures": 0,
            "Getworks": elapsed // 5,
            "Hardware Errors": 0,
            "Last getwork": int(time.time()),
            "Local Work": 0,
            "Network Blocks": 0,
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0.0,
            "Rejected": rejected,
            "Remote Failures": 0,
            "Stale": 0,
            "Total MH": state.hashrate_10m * MHS_PER_GHS * state.uptime,
            "Utility": round(accepted / minutes, 2),
            "Work Utility": round(state.hashrate_10m * 60 / 4295, 2),
        }
        return self._reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary")

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        entries = []
        for index, pool in enumerate(self.pools):
            active = index == self.active_pool and not state.paused
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            entries.append(
                {
                    "Accepted": accepted,
                    "AsicBoost": True,
                    "Bad Work": 0,
                    "Best Share": POOL_DIFFICULTY if active and accepted else 0,
                    "Current Block Height": 0,
                    "Current Block Version": 536870912 if active else 0,
                    "Diff": "32K" if active else "0",
                    "Diff1 Shares": accepted * POOL_DIFFICULTY,
                    "Difficulty Accepted": accepted * POOL_DIFFICULTY,
                    "Difficulty Rejected": rejected * POOL_DIFFICULTY,
                    "Difficulty Stale": 0,
                    "Discarded": 0,
                    "GROUP": 0,
                    "Get Failures": 0,
                    "Getworks": int(state.uptime) // 10 if active else 0,
                    "Has GBT": False,
                    "Has Stratum": True,
                    "Has Vmask": True,
                    "Last Share Difficulty": POOL_DIFFICULTY if active and accepted else 0,
                    "Last Share Time": "00:00:01" if active and accepted else "00:00:00",
                    "Long Pool": "N",
                    "POOL": index,
                    "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                    "Pool Stale%": 0.0,
                    "Priority": index,
                    "Proxy": "",
                    "Proxy Type": "",
                    "Quota": 1.0,
                    "Rejected": rejected,
                    "Remote Failures": 0,
                    "Stale": 0,
                    "Status": "Alive" if active else "Dead",
                    "Stratum Active": active,
                    "Stratum Difficulty": POOL_DIFFICULTY if active else 0,
                    "Stratum URL": pool["url"].split("://", 1)[-1],
                    "URL": pool["url"],
                    "User": pool["user"],
                    "Work Difficulty": POOL_DIFFICULTY if active else 0,
                    "Works": 0,
                }
            )
        return self._reply("POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)")

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics, model = self._state, self.tuned, self.board
        hardware = model.hardware
        now = int(time.time())
        nominal = 0.0 if state.paused else state.expected_hashrate / hardware.boards
        per_board_accepted = state.shares_accepted // hardware.boards
        devices = []
        for index in range(hardware.boards):
            rate = physics.chain_rates[index] * MHS_PER_GHS
            devices.append(
                {
                    "ASC": index,
                    "Accepted": per_board_accepted,
                    "Board": model.board_name,
                    "Connector": CONNECTORS[index],
                    "ControllerIPVersionHex": "0x18351835",
                    "ControllerIPVersionStr": "N/A",
                    "Device Elapsed": int(state.uptime),
                    "Device Hardware%": 0,
                    "Device Rejected%": 0,
                    "Diff1 Work": per_board_accepted * POOL_DIFFICULTY,
                    "Difficulty Accepted": per_board_accepted * POOL_DIFFICULTY,
                    "Difficulty Rejected": 0,
                    "Enabled": "Y",
                    "Hardware Error MHS 15m": 0,
                    "Hardware Errors": 0,
                    "ID": index,
                    "IsRamping": False,
                    "IsUserShutdown": False,
                    "Last Share Difficulty": POOL_DIFFICULTY,
                    "Last Share Pool": self.active_pool,
                    "Last Share Time": now,
                    "Last Valid Work": now,
                    "MHS 15m": rate,
                    "MHS 1m": rate,
                    "MHS 30m": rate,
                    "MHS 5m": rate,
                    "MHS 5s": rate,
                    "MHS 60m": rate,
                    "MHS av": rate,
                    "Name": "",
                    "Nominal MHS": nominal * MHS_PER_GHS,
                    "Profile": self.profile.name,
                    "Rejected": 0,
                    "SerialNumber": self.board_serials[index],
                    "Status": "Alive",
                    "Temperature": float(round(physics.board_temps[index])),
                    "Total MH": rate * state.uptime,
                    "Utility": 0,
                }
            )
        return self._reply("DEVS", devices, rpc.CODE_DEVS, f"{len(devices)} ASC(s)")

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model = self.board
        details = [
            {
                "DEVDETAILS": index,
                "Name": "",
                "ID": index,
                "Driver": "LUXminer",
                "Kernel": "",
                "Model": model.name,
                "Device Path": "",
                "Chips": model.hardware.chips_per_board,
                "Connector": CONNECTORS[index],
                "SerialNumber": self.board_serials[index],
            }
            for index in range(model.hardware.boards)
        ]
        return self._reply("DEVDETAILS", details, CODE_DEVDETAILS, "Device Details")

    def _board_temps(self) -> list[tuple[int, int]]:
        """(exhaust, intake) per board, whole degrees as LUXminer reports them."""
        return [
            (round(temp), round(temp) - 13 if not self._state.paused else round(temp))
            for temp in self.tuned.board_temps
        ]

    def rpc_stats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics, model = self._state, self.tuned, self.board
        hardware = model.hardware
        header = {
            "CompileTime": self.compile_time,
            "Miner": self.miner_version,
            "Type": model.name,
        }
        temps = self._board_temps()
        frequency = 0.0 if state.paused else float(self.profile.frequency)
        stats: dict[str, Any] = {
            "Calls": 0,
            "Elapsed": int(state.uptime),
            "GHS 5s": round(state.hashrate, 2),
            "GHS av": round(state.hashrate_10m, 2),
            "ID": "BTM_SOC0",
            "Max": 0,
            "Min": 99999999,
            "Mode": 2,
            "STATS": 0,
            "Wait": 0,
        }
        for slot in range(1, 5):
            present = slot <= hardware.boards
            board = slot - 1
            stats[f"chain_acn{slot}"] = hardware.chips_per_board if present else 0
            stats[f"chain_acs{slot}"] = (
                " " + " ".join(["oooo"] * (hardware.chips_per_board // 4)) + " o" if present else ""
            )
            stats[f"chain_hw{slot}"] = 0
            stats[f"chain_rate{slot}"] = f"{physics.chain_rates[board]:.2f}" if present else "0"
        for slot, rpm in enumerate(physics.fan_rpms, start=1):
            stats[f"fan{slot}"] = rpm
        stats["fan_num"] = hardware.fans
        for slot in range(1, 5):
            stats[f"freq{slot}"] = frequency if slot <= hardware.boards else 0.0
        stats["frequency"] = int(frequency)
        stats["miner_count"] = hardware.boards
        stats["miner_id"] = state.mac.replace(":", "").lower()
        stats["miner_version"] = self.miner_version
        stats["no_matching_work"] = 0
        stats["rate_30m"] = round(state.hashrate_1h, 2)
        stats["rate_unit"] = "GH"
        for slot, (exhaust, _intake) in enumerate(temps, start=1):
            stats[f"temp{slot}"] = float(exhaust)
        for slot, (exhaust, _intake) in enumerate(temps, start=1):
            stats[f"temp2_{slot}"] = float(exhaust)
        for key in ("temp_chip", "temp_pcb", "temp_pic"):
            for slot in range(1, 5):
                if slot <= len(temps):
                    exhaust, intake = temps[slot - 1]
                    stats[f"{key}{slot}"] = f"{exhaust}-{intake}-{intake}-{exhaust}"
                else:
                    stats[f"{key}{slot}"] = "0-0-0-0"
        stats["temp_max"] = float(max(exhaust for exhaust, _ in temps))
        stats["temp_num"] = hardware.boards
        stats["total rate"] = round(state.hashrate / hardware.boards, 2)
        stats["total_acn"] = 4
        stats["total_freqavg"] = frequency
        stats["total_rateideal"] = round(state.expected_hashrate, 2)
        return self._reply("STATS", [header, stats], rpc.CODE_STATS, "LUXminer stats")

    def rpc_config(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model, state = self.board, self._state
        config = {
            "ASC Count": model.hardware.boards,
            "BcastAddr": "127.255.255.255",
            "ControlBoardType": model.control_board,
            "Cooling": "Air",
            "CurtailMode": "Sleep" if self.curtailed else "None",
            "DHCP": True,
            "DNS Servers": "",
            "Device Code": "",
            "FPGABuildIdHex": "0x18351835",
            "FPGABuildIdStr": "2018-35-18 35:00",
            "FeeStatus": "Ok",
            "Gateway": "127.0.0.1",
            "GreenLed": "auto",
            "Hostname": state.hostname,
            "Hotplug": "None",
            "IPAddr": self.host,
            "ImmersionMode": False,
            "IsAtmEnabled": self.atm_enabled,
            "IsPowerSupplyOn": not self.curtailed,
            "IsSingleVoltage": True,
            "IsTuning": False,
            "Log Interval": 0,
            "LogFileLevel": "info",
            "MACAddr": state.mac.lower(),
            "Model": model.name,
            "NameplateTHS": model.hardware.nominal_hashrate / 1000,
            "Netmask": "255.0.0.0",
            "OS": "LuxOS",
            "PGA Count": 0,
            "PSUHwVersion": "75",
            "PSULabel": model.psu_label,
            "Pool Count": len(self.pools),
            "Profile": self.profile.name,
            "ProfileStep": str(self.profile.step),
            "RedLed": self.red_led,
            "SerialNumber": self.serial,
            "Strategy": "Failover",
            "SystemStatus": "Normal",
            "UpdateOnStartup": "off",
            "UpdateOnTimeout": "off",
            "UpdateOnUser": "full",
            "UpdateSource": "https://storage.googleapis.com/luxor-firmware/stable",
            "UpdateTimeout": 60,
        }
        return self._reply("CONFIG", [config], CODE_CONFIG, "LUXminer config")

    def rpc_groups(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        """The pool groups: every pool here is in group 0 (``GROUP`` in ``pools``)."""
        group = {"GROUP": 0, "Name": "Default", "Quota": 1, "Strategy": "Failover"}
        return self._reply("GROUPS", [group], CODE_GROUPS, "1 Group(s)")

    def rpc_fans(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics = self._state, self.tuned
        fans = [
            {"FAN": f"FAN{index + 1}", "ID": index, "RPM": rpm, "Speed": int(state.fan_percent)}
            for index, rpm in enumerate(physics.fan_rpms)
        ]
        control = {"MinFans": 3, "PowerOffSpeed": 20}
        reply = self._reply("FANS", fans, CODE_FANS, f"{len(fans)} Fan(s)")
        reply["FANCTRL"] = [control]
        return reply

    def rpc_temps(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        temps = [
            {
                "BottomLeft": float(exhaust),
                "BottomRight": float(intake),
                "ID": index,
                "TEMP": index,
                "TopLeft": float(exhaust),
                "TopRight": float(intake),
            }
            for index, (exhaust, intake) in enumerate(self._board_temps())
        ]
        metadata = {
            "BottomLeft": {"Label": "Board Exhaust (bottom)", "Position": [1, 0]},
            "BottomRight": {"Label": "Board Intake (bottom)", "Position": [1, 1]},
            "TopLeft": {"Label": "Board Exhaust (top)", "Position": [0, 0]},
            "TopRight": {"Label": "Board Intake (top)", "Position": [0, 1]},
        }
        reply = self._reply("TEMPS", temps, CODE_TEMPS, f"{len(temps)} Temp(s)")
        reply["METADATA"] = [metadata]
        return reply

    def rpc_power(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        return self._reply(
            "POWER", [{"PSU": False, "Watts": round(self._state.power)}], CODE_POWER, "Power usage"
        )

    def rpc_profiles(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        rows = [
            {
                "CanRestore": True,
                "Frequency": profile.frequency,
                "HasOverrides": False,
                "Hashrate": profile.hashrate,
                "IsDynamic": True,
                "IsTuned": False,
                "Profile Name": profile.name,
                "Step": str(profile.step),
                "Voltage": profile.voltage,
                "Watts": profile.watts,
            }
            for profile in self.profile_table
        ]
        return self._reply("PROFILES", rows, CODE_PROFILES, "List profiles")

    def _board_parameter(self, request: rpc.RpcRequest) -> int | None:
        first = (request.parameter or "").split(",")[0].strip()
        if not first.isdigit() or int(first) >= self.board.hardware.boards:
            return None
        return int(first)

    def rpc_healthchipget(self, request: rpc.RpcRequest) -> dict[str, Any]:
        board = self._board_parameter(request)
        if board is None:
            return self._error(CODE_BAD_PARAMETER, "Invalid board id")
        hardware, physics = self.board.hardware, self.tuned
        chips = hardware.chips_per_board
        per_chip = physics.chain_rates[board] / chips
        expected = max(1, round(per_chip * 1.7))
        rng = physics.rng
        now_ms = int(time.time() * 1000)
        rows = []
        for chip in range(chips):
            rate = per_chip * rng.uniform(0.9, 1.1)
            count = round(rate * 1.7)
            rows.append(
                {
                    "Board": board,
                    "Chip": chip,
                    "Column": chip % 7 if (chip // 7) % 2 == 0 else 6 - chip % 7,
                    "Domain": chip // 7,
                    "Frequency": self.profile.frequency,
                    "GHS 15m": round(rate, 2),
                    "GHS 1m": round(rate * 0.98, 2),
                    "GHS 5m": round(rate, 2),
                    "HashCount": count,
                    "HashExpected": expected,
                    "HashMin": max(1, expected // 5),
                    "Healthy": "Y",
                    "IsChecking": False,
                    "Row": chip // 7,
                    "Score": round(100 * count / expected, 2),
                    "When": now_ms,
                }
            )
        return self._reply("CHIPS", rows, CODE_HEALTHCHIP, "Health Chip Get")

    def rpc_voltageget(self, request: rpc.RpcRequest) -> dict[str, Any]:
        board = self._board_parameter(request)
        if board is None:
            return self._error(CODE_BAD_PARAMETER, "Invalid board id")
        voltage = 0.0 if self.curtailed else self.profile.voltage
        return self._reply(
            "VOLTAGE", [{"Board": board, "Voltage": voltage}], CODE_VOLTAGE, "Get Voltage"
        )

    def rpc_events(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        if self.curtailed:
            events.append(
                {
                    "Code": "SLEEP",
                    "CreatedAt": self.events_since,
                    "Description": "Miner is in Sleep mode.",
                    "DocUrl": "https://docs.luxor.tech/firmware/kb/eventstroubleshooting#sleep",
                    "Target": "MINER",
                }
            )
        if not self.pools:
            events.append(
                {
                    "Code": "NO_ACTIVE_POOLS",
                    "CreatedAt": self.events_since,
                    "Description": "No active pools available.",
                    "DocUrl": "https://docs.luxor.tech/firmware/kb/eventstroubleshooting"
                    "#no-active-pools",
                    "Target": "MINER",
                }
            )
        events.extend(
            {
                "Code": code,
                "CreatedAt": self.events_since,
                "Description": description,
                "DocUrl": "https://docs.luxor.tech/firmware/kb/eventstroubleshooting",
                "ID": board,
                "Target": "BOARD",
            }
            for board, code, description in self.board_events
        )
        return self._reply("EVENTS", events, CODE_EVENTS, "Miner Events")

    def rpc_atm(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        atm = {
            "Enabled": self.atm_enabled,
            "MaxProfile": "default",
            "MinProfile": "",
            "PostRampMinutes": 15,
            "StartupMinutes": 15,
            "TempWindow": 5.0,
        }
        return self._reply("ATM", [atm], CODE_ATM, "ATM configuration values")

    # --- sessions and pools (no session needed) ---------------------------------------------

    def rpc_logon(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        if self._live_session():
            return self._error(CODE_SESSION_BUSY, "Another session is active")
        self.session_id = "".join(secrets.choice(SESSION_ALPHABET) for _ in range(8))
        self.session_used = time.monotonic()
        return self._reply(
            "SESSION", [{"SessionID": self.session_id}], CODE_SESSION_CREATED, "Session created"
        )

    def rpc_session(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        return self._reply(
            "SESSION",
            [{"SessionID": self._live_session()}],
            CODE_SESSION_INFO,
            "Session information",
        )

    def rpc_kill(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        self.session_id = ""
        return self._ok(CODE_LOGOFF, "Session killed")

    def rpc_addpool(self, request: rpc.RpcRequest) -> dict[str, Any]:
        parts = (request.parameter or "").split(",")
        if len(parts) < 2 or not parts[0].strip():
            return self._error(CODE_BAD_PARAMETER, "Missing pool details")
        url, user = parts[0].strip(), parts[1].strip()
        password = parts[2].strip() if len(parts) > 2 else ""
        self.pools.append({"url": url, "user": user, "pass": password})
        self.tick()
        return self._ok(CODE_ADDPOOL, f"Added pool {len(self.pools) - 1}: '{url}'")

    def _pool_index(self, request: rpc.RpcRequest) -> int | None:
        text = (request.parameter or "").split(",")[0].strip()
        if not text.isdigit() or int(text) >= len(self.pools):
            return None
        return int(text)

    def _invalid_pool(self, request: rpc.RpcRequest) -> dict[str, Any]:
        return self._error(
            CODE_INVALID_POOL,
            f"Invalid pool id {request.parameter} - range is 0 - {len(self.pools) - 1}",
        )

    def rpc_removepool(self, request: rpc.RpcRequest) -> dict[str, Any]:
        index = self._pool_index(request)
        if index is None:
            return self._invalid_pool(request)
        removed = self.pools.pop(index)
        if self.active_pool >= len(self.pools):
            self.active_pool = 0
        self.tick()
        return self._ok(CODE_REMOVEPOOL, f"Removed pool {index}:'{removed['url']}'")

    def rpc_switchpool(self, request: rpc.RpcRequest) -> dict[str, Any]:
        index = self._pool_index(request)
        if index is None:
            return self._invalid_pool(request)
        self.active_pool = index
        return self._ok(CODE_SWITCHPOOL, f"Switching to pool {index}:'{self.pools[index]['url']}'")

    # --- session-guarded commands (``params`` follow the session id) ------------------------

    def rpc_logoff(self, _params: list[str]) -> dict[str, Any]:
        self.session_id = ""
        return self._ok(CODE_LOGOFF, "Session terminated")

    def rpc_curtail(self, params: list[str]) -> dict[str, Any]:
        action = params[0] if params else ""
        if action not in ("sleep", "wakeup"):
            return self._error(CODE_BAD_PARAMETER, f"Invalid curtail action '{action}'")
        if (action == "sleep") != self.curtailed:
            self.events_since = _iso_now()
        self.curtailed = action == "sleep"
        self.tick()
        shown = "sleep mode" if self.curtailed else "wake up"
        return self._reply("CURTAIL", [{"Action": shown}], CODE_CURTAIL, "Curtailment command sent")

    def rpc_profileset(self, params: list[str]) -> dict[str, Any]:
        wanted = params[-1] if params else ""
        if self.atm_enabled:
            return self._error(
                CODE_ATM_BLOCKS_PROFILE, "Cannot change profile while ATM is enabled"
            )
        profile = self._select_profile(wanted)
        if profile is None:
            return self._error(CODE_PROFILE_UNKNOWN, f"Profile '{wanted}' not found")
        self.profile = profile
        self.tick()
        applied = {"Board": 0, "FrequencyStep": 5, "Profile": profile.name, "VoltageStep": 0.05}
        return self._reply("PROFILE", [applied], CODE_PROFILE_SET, "Profile Set")

    def _select_profile(self, wanted: str) -> Profile | None:
        """By name, by ``+N``/``-N`` step from the current one, or by ``…W``/``…kW``/``…THs``."""
        table = self.profile_table
        for profile in table:
            if profile.name == wanted:
                return profile
        if re.fullmatch(r"[+-]\d+", wanted):
            position = table.index(self.profile) + int(wanted)
            return table[position] if 0 <= position < len(table) else None
        selector = re.fullmatch(r"(\d+(?:\.\d+)?)(W|kW|THs)", wanted)
        if selector is None:
            return None
        value, unit = float(selector[1]), selector[2]
        if unit == "THs":
            fitting = [profile for profile in table if profile.hashrate <= value]
        else:
            watts = value * 1000 if unit == "kW" else value
            fitting = [profile for profile in table if profile.watts <= watts]
        return fitting[-1] if fitting else None

    def rpc_atmset(self, params: list[str]) -> dict[str, Any]:
        for pair in params:
            key, _, value = pair.partition("=")
            if key == "enabled":
                if value not in ("true", "false"):
                    return self._error(CODE_BAD_PARAMETER, f"Invalid value for enabled: {value}")
                self.atm_enabled = value == "true"
        return self._ok(CODE_ATM_SET, "Advanced Thermal Management configuration updated")

    def rpc_ledset(self, params: list[str]) -> dict[str, Any]:
        if len(params) < 2 or params[0] not in ("red", "green") or params[1] not in LED_STATES:
            return self._error(CODE_BAD_PARAMETER, "Invalid LED parameters")
        color, led_state = params[0], params[1]
        if color == "red":
            if led_state == "blink" and self.red_led != "blink":
                self._state.identify_count += 1
            self.red_led = led_state
            self._state.identify_active = led_state == "blink"
        return self._ok(CODE_LED, "LED set")

    def rpc_rebootdevice(self, _params: list[str]) -> dict[str, Any]:
        self.spawn(self._reboot_soon(stay_down=False), "rebootdevice")
        return self._ok(CODE_REBOOT_DEVICE, "Device reboot scheduled")

    def rpc_resetminer(self, _params: list[str]) -> dict[str, Any]:
        self.physics.reset_session(self._state)
        self.tick()
        return self._ok(CODE_RESET_MINER, "Miner reset scheduled")

    def rpc_updaterun(self, _params: list[str]) -> dict[str, Any]:
        if self.has_fault(Fault.FIRMWARE_REJECTED):
            return self._error(CODE_UPDATE_FAILED, "Unable to locate luxupdate process")
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.pending_firmware = next_firmware(self.firmware)
        stay_down = self.has_fault(Fault.NEVER_RETURNS)
        self.spawn(self._reboot_soon(stay_down=stay_down), "updaterun")
        return self._ok(CODE_UPDATE, "Update check triggered")

    async def _reboot_soon(self, *, stay_down: bool) -> None:
        await asyncio.sleep(UPDATE_DELAY_S)
        self.reboot(stay_down=stay_down)

    # --- web: only the page -----------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path in ("/", "/index.html"):
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        return web.Response(status=404, text="Not Found")


def _iso_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _pool_state(pool: dict[str, str]) -> PoolState:
    host = pool["url"].split("://", 1)[-1]
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit():
        return PoolState(host, 0, pool["user"], pool["pass"])
    return PoolState(name, int(port), pool["user"], pool["pass"])


LUXOS_MODEL_NAMES = tuple(model.name for model in LUXOS_MODELS)
