"""Firmwares that keep the stock Antminer shapes and change a few of them.

- Hiveon: the stock replies, "Hiveon" after the model in the RPC ``Type``.
- MaraFW: the stock login and RPC (its miner program, kaonsu, named in the RPC), plus the
  ``/kaonsu/v1`` REST API its own web UI uses for readings and every control.
- Elphapex (realm "Daoge"): readings from its own CGI scripts (``stats.cgi``, ``summary.cgi``,
  ``pools.cgi``) and ``fc-*`` configuration keys.
- Hammer and VolcMiner (realm "blackMiner"): one firmware on two brands; ccminer's RPC on
  port 8359 in MH/s with BMMiner 2.x ``STATS[1]`` keys, stock CGI for facts and controls.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from aiohttp import web

from .. import rpc
from ..miner import RPC, WEB
from ..state import MinerState
from .antminer import (
    MODE_NORMAL,
    MODE_SLEEP,
    POOL_DIFFICULTY,
    AntminerMiner,
    CgiHandler,
    _json,
    _mode,
    _percent,
    _pools_from_json,
    _truthy,
)
from .antminer_models import REBRAND_MODELS

MARA_RPC_DESCRIPTION = "kaonsu 1.0.3"  # MaraFW: its miner program is kaonsu (version assumed)
CCMINER_VERSION = "2.3.3"
BLACKMINER_RPC_PORT = 8359
ELPHAPEX_API_VERSION = "1.0.0"
MARA_POWER_MIN, MARA_POWER_MAX = 1000, 4000  # accepted power targets, W (assumed)


class HiveonMiner(AntminerMiner):
    """Hiveon OS on Antminer hardware: the stock shapes, and "Hiveon" in the RPC `Type`."""

    family = "hiveon"
    models = REBRAND_MODELS["hiveon"]
    default_model = "Antminer S19JPRO"
    type_suffix = " Hiveon"


class MaraMiner(AntminerMiner):
    """MaraFW on Antminer hardware: the stock login, and the ``/kaonsu/v1`` REST API."""

    family = "marafw"
    models = REBRAND_MODELS["marafw"]
    default_model = "Antminer S19 XP"

    def initial_state(self, mac: str) -> MinerState:
        state = super().initial_state(mac)
        self.mode_selector = "Stock"  # Stock, Auto (tuned to `concorde`) or Sleep
        self.concorde: dict[str, Any] = {"mode-select": "PowerTarget", "power-target": 3000}
        self.restarts = 0
        return state

    @property
    def rpc_description(self) -> str:
        # The RPC names its miner program (kaonsu), as other clients' firmware checks expect.
        return MARA_RPC_DESCRIPTION

    def _sync_settings(self) -> None:
        super()._sync_settings()
        physics = self.antminer_physics
        auto = self.mode_selector == "Auto"
        physics.power_target = float(self.concorde["power-target"]) if auto else None

    def cgi_routes(self) -> dict[str, CgiHandler]:
        return super().cgi_routes() | {
            f"/kaonsu/v1/{name}": handler
            for name, handler in {
                "brief": self.kaonsu_brief,
                "overview": self.kaonsu_overview,
                "miner_config": self.kaonsu_miner_config,
                "locate_miner": self.kaonsu_locate,
                "maintenance": self.kaonsu_maintenance,
                "pools": self.kaonsu_pools,
                "hashboards": self.kaonsu_hashboards,
                "fans": self.kaonsu_fans,
                "network_config": self.kaonsu_network,
            }.items()
        }

    async def kaonsu_brief(self, _request: web.BaseRequest) -> web.Response:
        state = self._state
        return _json(
            {
                "status": "Mining" if not state.paused else "Sleeping",
                "hashrate_realtime": round(state.hashrate / 1000, 2),
                "hashrate_average": round(state.hashrate_10m / 1000, 2),
                "hashrate_ideal": round(state.expected_hashrate, 2),
                "power_consumption_estimated": round(state.power, 1),
                "elapsed": int(state.uptime),
            }
        )

    async def kaonsu_overview(self, _request: web.BaseRequest) -> web.Response:
        return _json(
            {
                "model": self.board.name,
                "serial": self.serial,
                "mac": self._state.mac,
                "firmware": self.filesystem_version,
                "version_firmware": self.filesystem_version,
            }
        )

    def kaonsu_config(self) -> dict[str, Any]:
        return {
            "pools": [dict(pool) for pool in self.conf["pools"] if pool["url"]],
            "general-config": {"environment-profile": "AirCooling"},
            "advance-config": {
                "override-fan-control": bool(self.conf["fan_ctrl"]),
                "fan-fixed-percent": int(self.conf["fan_pwm"]),
            },
            "mode": {"work-mode-selector": self.mode_selector, "concorde": dict(self.concorde)},
        }

    async def kaonsu_miner_config(self, request: web.BaseRequest) -> web.Response:
        """GET the whole configuration; POST a whole one back (what it lacks is lost)."""
        if request.method != "POST":
            return _json(self.kaonsu_config())
        body = await _json_body(request)
        mode = body.get("mode") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(mode, dict):
            return _refused("invalid configuration")
        selector = mode.get("work-mode-selector")
        concorde = mode.get("concorde", self.concorde)
        if selector not in ("Stock", "Auto", "Sleep") or not isinstance(concorde, dict):
            return _refused(f"invalid work mode {selector!r}")
        target = concorde.get("power-target")
        if selector == "Auto" and (
            not isinstance(target, (int, float)) or not MARA_POWER_MIN <= target <= MARA_POWER_MAX
        ):
            return _refused(f"power target must be {MARA_POWER_MIN}-{MARA_POWER_MAX} W")
        advance = body.get("advance-config")
        advance = advance if isinstance(advance, dict) else {}
        self.mode_selector, self.concorde = selector, dict(concorde)
        self.work_mode = MODE_SLEEP if selector == "Sleep" else MODE_NORMAL
        self.conf = {
            "pools": _pools_from_json(body.get("pools")),
            "fan_ctrl": _truthy(advance.get("override-fan-control", False)),
            "fan_pwm": _percent(advance.get("fan-fixed-percent", 100)),
            "freq_level": 100,
        }
        self.tick()
        return _json(self.kaonsu_config())

    async def kaonsu_locate(self, request: web.BaseRequest) -> web.Response:
        if request.method == "POST":
            body = await _json_body(request)
            wanted = body.get("blinking") if isinstance(body, dict) else None
            if not isinstance(wanted, bool):
                return _refused("blinking must be true or false")
            self.blinking = wanted
            self._state.identify_active = wanted
        return _json({"blinking": self.blinking})

    async def kaonsu_maintenance(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await _json_body(request) if request.method == "POST" else None
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "reboot":
            return await self.respond_then_reboot(request, _json({"type": "reboot"}))
        if kind == "reload":
            # The miner program starts again: the session's figures start from zero.
            self.restarts += 1
            self.physics.reset_session(self._state)
            return _json({"type": "reload"})
        return _refused(f"unknown maintenance {kind!r}")

    async def kaonsu_pools(self, _request: web.BaseRequest) -> web.Response:
        state = self._state
        pools = []
        for index, pool in enumerate(self.conf["pools"]):
            if not pool["url"]:
                continue
            active = index == 0 and not state.paused
            pools.append(
                {
                    "index": index,
                    "url": pool["url"],
                    "user": pool["user"],
                    "status": "Alive",
                    "priority": index,
                    "accepted": state.shares_accepted if active else 0,
                    "rejected": state.shares_rejected if active else 0,
                    "stale": 0,
                    "discarded": 0,
                }
            )
        return _json(pools)

    async def kaonsu_hashboards(self, _request: web.BaseRequest) -> web.Response:
        physics, model = self.antminer_physics, self.board
        boards = []
        for index in range(model.boards):
            pcb = round(physics.board_temps[index])
            boards.append(
                {
                    "index": index,
                    "hashrate_average": round(physics.chain_rates[index], 2),
                    "temperature_pcb": [pcb, pcb - 9, pcb - 8, pcb - 2],
                    "temperature_chip": [pcb + 5, pcb - 4, pcb - 3, pcb + 2],
                    "asic_num": model.chips_per_board,
                    "serial_number": self.chain_serials[index],
                }
            )
        return _json({"hashboards": boards})

    async def kaonsu_fans(self, _request: web.BaseRequest) -> web.Response:
        fans = [
            {"id": index, "current_speed": rpm}
            for index, rpm in enumerate(self.antminer_physics.fan_rpms)
        ]
        return _json({"fans": fans})

    async def kaonsu_network(self, _request: web.BaseRequest) -> web.Response:
        return _json({"hostname": self._state.hostname, "dhcp": True, "ipaddress": self.host})


class ElphapexMiner(AntminerMiner):
    """Elphapex DG1 boxes: digest realm "Daoge", readings from its own CGI scripts."""

    family = "elphapex"
    realm = "Daoge"
    models = REBRAND_MODELS["elphapex"]
    default_model = "DG1+"
    default_hostname = "DG1+"

    def cgi_routes(self) -> dict[str, CgiHandler]:
        return super().cgi_routes() | {
            "/cgi-bin/stats.cgi": self.cgi_elphapex_stats,
            "/cgi-bin/summary.cgi": self.cgi_elphapex_summary,
            "/cgi-bin/pools.cgi": self.cgi_elphapex_pools,
        }

    def system_info(self) -> dict[str, Any]:
        info = super().system_info()
        info["Algorithm"] = "Scrypt"
        info["system_kernel_version"] = "4.4.194 #1 SMP Sat Sep 7 16:59:20 CST 2024"
        info.pop("serinum", None)
        return info

    def _status(self, message: str) -> dict[str, Any]:
        now = int(time.time())
        return {
            "STATUS": "S",
            "when": int(self._state.uptime),
            "timestamp": now,
            "api_version": ELPHAPEX_API_VERSION,
            "Msg": message,
        }

    def _info(self) -> dict[str, Any]:
        model = self.board
        return {
            "miner_version": self.filesystem_version,
            "CompileTime": "",
            "dev_sn": self.serial,
            "type": model.name,
            "hw_version": f"{model.name}_HW_V1.0",
        }

    async def cgi_elphapex_stats(self, _request: web.BaseRequest) -> web.Response:
        state, model, physics = self._state, self.board, self.antminer_physics
        ideal = round(state.expected_hashrate / model.boards, 2)
        chains = []
        for index in range(model.boards):
            pcb = round(physics.board_temps[index])
            chip = physics.board_temps[index] + 6
            chains.append(
                {
                    "freq_avg": int(state.frequency) * 100,
                    "index": index,
                    "sn": self.chain_serials[index],
                    # Chip sensors in thousandths of a degree, as text; unused ones empty.
                    "temp_chip": [f"{round(chip * 1000)}", f"{round((chip + 3) * 1000)}", "", ""],
                    "eeprom_loaded": True,
                    "rate_15m": round(physics.chain_rates[index]),
                    "hw": int(state.uptime) // 270,
                    "temp_pcb": [pcb, pcb - 1, pcb + 20, pcb + 19],
                    "failrate": 0.03,
                    "asic": " oooooooo" * (model.chips_per_board // 8),
                    "rate_real": round(physics.chain_rates[index], 2),
                    "asic_num": model.chips_per_board,
                    "temp_pic": [pcb, pcb - 1, pcb + 20, pcb + 19],
                    "rate_ideal": ideal,
                    "hashrate": round(physics.chain_rates[index], 2),
                }
            )
        stats = {
            "rate_unit": "MH/s",
            "elapsed": int(state.uptime),
            "rate_30m": round(state.hashrate_1h, 2),
            "rate_5s": round(state.hashrate, 2),
            "hwp_total": 0.1155,
            "rate_ideal": round(state.expected_hashrate),
            "chain": chains,
            "rate_15m": round(state.hashrate_10m),
            "chain_num": model.boards,
            "fan": [str(rpm) for rpm in physics.fan_rpms],
            "rate_avg": round(state.hashrate_10m, 2),
            "fan_num": model.fans,
        }
        return _json({"STATUS": self._status("stats"), "INFO": self._info(), "STATS": [stats]})

    async def cgi_elphapex_summary(self, _request: web.BaseRequest) -> web.Response:
        state = self._state
        status = [
            {
                "status": "e" if kind == "rate" and state.paused else "s",
                "type": kind,
                "msg": "sleep mode" if kind == "rate" and state.paused else "",
                "code": 0,
            }
            for kind in ("rate", "network", "fans", "temp")
        ]
        summary = {
            "rate_unit": "MH/s",
            "elapsed": int(state.uptime),
            "rate_30m": round(state.hashrate_1h, 2),
            "rate_5s": round(state.hashrate, 2),
            "bestshare": round(state.best_session_diff),
            "rate_ideal": round(state.expected_hashrate),
            "status": status,
            "hw_all": int(state.uptime) // 90,
            "rate_avg": round(state.hashrate_10m, 2),
            "rate_15m": round(state.hashrate_10m),
        }
        return _json(
            {"STATUS": self._status("summary"), "SUMMARY": [summary], "INFO": self._info()}
        )

    async def cgi_elphapex_pools(self, _request: web.BaseRequest) -> web.Response:
        state = self._state
        pools = []
        for index, pool in enumerate(self.conf["pools"]):
            if not pool["url"]:
                continue
            active = index == 0 and not state.paused
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            pools.append(
                {
                    "diffs": 0,
                    "diffr": POOL_DIFFICULTY if rejected else 0,
                    "index": index,
                    "user": pool["user"],
                    "lsdiff": POOL_DIFFICULTY if accepted else 0,
                    "lstime": "00:00:05" if accepted else "00:00:00",
                    "diffa": POOL_DIFFICULTY if accepted else 0,
                    "accepted": accepted,
                    "diff1": 0,
                    "stale": 0,
                    "diff": "",
                    "rejected": rejected,
                    "status": "Alive",
                    "getworks": accepted + rejected,
                    "priority": index,
                    "url": pool["url"],
                }
            )
        total = state.shares_accepted + state.shares_rejected
        return _json(
            {
                "STATUS": self._status("pools"),
                "Device Total Rejected": state.shares_rejected,
                "POOLS": pools,
                "Device Rejected%": round(100 * state.shares_rejected / max(total, 1), 2),
                "Device Total Work": total,
                "INFO": self._info(),
            }
        )

    def miner_conf(self) -> dict[str, Any]:
        return {
            "pools": [dict(pool) for pool in self.conf["pools"]],
            "fc-voltage": "1470",
            "fc-fan-ctrl": bool(self.conf["fan_ctrl"]),
            "fc-freq-level": str(self.conf["freq_level"]),
            "fc-fan-pwm": str(self.conf["fan_pwm"]),
            "algo": "ltc",
            "fc-work-mode": self.work_mode,
            "fc-freq": str(self.board.frequency * 3),
        }

    async def cgi_set_conf(self, request: web.BaseRequest) -> web.Response:
        body = await _json_body(request)
        mode = _mode(body.get("miner-mode", MODE_NORMAL)) if isinstance(body, dict) else None
        if not isinstance(body, dict) or mode is None:
            return _json({"stats": "error", "code": "M001", "msg": "Invalid configuration"})
        self.work_mode = mode
        self.conf = {
            "pools": _pools_from_json(body.get("pools")),
            "fan_ctrl": _truthy(body.get("fc-fan-ctrl", False)),
            "fan_pwm": _percent(body.get("fc-fan-pwm", 100)),
            "freq_level": _percent(body.get("fc-freq-level", 100)),
        }
        self.tick()
        return _json({"stats": "success", "code": "M000", "msg": "OK!"})


class BlackMiner(AntminerMiner):
    """The blackMiner firmware of Hammer and VolcMiner boxes (scrypt, MH/s)."""

    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: BLACKMINER_RPC_PORT}
    realm = "blackMiner Configuration"

    @property
    def rpc_description(self) -> str:
        return f"ccminer {CCMINER_VERSION}"

    def version_info(self) -> dict[str, Any]:
        return {
            "CGMiner": CCMINER_VERSION,
            "API": "3.1",
            "Miner": self.board.miner_version,
            "CompileTime": self.compile_time,
            "Type": self.type_name,
        }

    def system_info(self) -> dict[str, Any]:
        info = super().system_info()
        for key in ("serinum", "firmware_type"):
            info.pop(key, None)
        info["system_kernel_version"] = "Linux 3.8.13 #22 SMP Tue Dec 2 15:26:11 CST 2014"
        info["bb_hwv"] = self.board.miner_version
        info["cgminer_version"] = CCMINER_VERSION
        return info

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        elapsed = int(state.uptime)
        summary = {
            "Elapsed": elapsed,
            "MHS 5s": f"{state.hashrate:.4f}",
            "MHS av": f"{state.hashrate_10m:.4f}",
            "Found Blocks": 0,
            "Getworks": 3 + elapsed // 13,
            # The recorded D10 prints share counts as padded decimals.
            "Accepted": f"{state.shares_accepted:.4f}",
            "Rejected": f"{state.shares_rejected:.4f}",
            "Hardware Errors": elapsed // 15,
            "Utility": round(state.shares_accepted / max(state.uptime / 60, 1 / 60), 2),
            "Discarded": elapsed // 2,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 34,
            "Remote Failures": 0,
            "Network Blocks": 1 + elapsed // 36,
            "Total MH": round(state.hashrate_10m * state.uptime, 4),
            "Work Utility": round(state.hashrate_10m * 920, 2),
            "Difficulty Accepted": float(state.shares_accepted * POOL_DIFFICULTY),
            "Difficulty Rejected": float(state.shares_rejected * POOL_DIFFICULTY),
            "Difficulty Stale": 0.0,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0.0001,
            "Device Rejected%": 0.0,
            "Pool Rejected%": 0.0,
            "Pool Stale%": 0.0,
            "Last getwork": int(time.time()),
        }
        return rpc.reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary", self.rpc_description)

    def rpc_stats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        """Always the BMMiner 2.x shape (the firmware knows no ``new_api``), rates in MH/s."""
        state, model, physics = self._state, self.board, self.antminer_physics
        stats: dict[str, Any] = {
            "STATS": 0,
            "ID": "A30",
            "Elapsed": int(state.uptime),
            "Calls": 0,
            "Wait": 0.0,
            "Max": 0.0,
            "Min": 99999999.0,
            "MHS 5s": f"{state.hashrate:.4f}",
            "MHS av": f"{state.hashrate_10m:.4f}",
            "miner_count": model.boards,
            "frequency": str(int(state.frequency)),
            "fan_num": model.fans,
        }
        for slot, rpm in enumerate(physics.fan_rpms, start=1):
            stats[f"fan{slot}"] = rpm
        stats["temp_num"] = model.boards * 4
        for slot in range(1, 5):
            present = slot <= model.boards
            stats[f"temp{slot}"] = round(physics.board_temps[slot - 1]) if present else 0
        stats["temp_max"] = round(max(physics.board_temps, default=0))
        stats["Device Hardware%"] = 0.0
        stats["no_matching_work"] = int(state.uptime) // 15
        for key, value in (
            ("chain_acn", lambda i: model.chips_per_board),
            ("chain_acs", lambda i: " oooooooo" * (model.chips_per_board // 8)),
            ("chain_hw", lambda i: int(state.uptime) // 45),
            ("chain_rate", lambda i: f"{physics.chain_rates[i]:.4f}"),
        ):
            for slot in range(1, 5):
                empty: Any = "" if key in ("chain_acs", "chain_rate") else 0
                stats[f"{key}{slot}"] = value(slot - 1) if slot <= model.boards else empty
        header = {key: value for key, value in self.version_info().items() if key != "API"}
        return rpc.reply(
            "STATS", [header, stats], rpc.CODE_STATS, "CGMiner stats", self.rpc_description
        )


class HammerMiner(BlackMiner):
    family = "hammer"
    models = REBRAND_MODELS["hammer"]
    default_model = "Hammer D10"
    default_hostname = "Hammer"


class VolcMiner(BlackMiner):
    family = "volcminer"
    models = REBRAND_MODELS["volcminer"]
    default_model = "VolcMiner D1"
    default_hostname = "VolcMiner"
    default_password = "ltc@dog"  # the factory default pyasic documents


ANTMINER_FAMILIES: tuple[type[AntminerMiner], ...] = (
    AntminerMiner,
    HiveonMiner,
    MaraMiner,
    ElphapexMiner,
    HammerMiner,
    VolcMiner,
)


async def _json_body(request: web.BaseRequest) -> Any:
    try:
        return json.loads((await request.read()).decode("utf-8", "replace") or "null")
    except ValueError:
        return None


def _refused(message: str) -> web.Response:
    return web.Response(
        status=400, text=json.dumps({"error": message}), content_type="application/json"
    )
