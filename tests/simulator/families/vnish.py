"""Vnish / AnthillOS on Antminer hardware: REST ``/api/v1`` on 80 with an unlock token, and
BMMiner's RPC on 4028.

The REST routes, their auth and their reply shapes follow the firmware's own OpenAPI documents
(xminer-api, Vnish 1.2.6 … 1.3.4, as published in asic-rs's ``meta/vnish``); the RPC is the
stock Antminer one (``antminer.py``) with "(Vnish <version>)" in ``Type``, except that ``version``
gets no reply at all (the connection closes empty). Power is chosen by
autotune preset: a settings write naming an untuned or unknown preset is answered like any
other write but leaves the preset as it was, as pyasic reports the firmware does. Settings
writes are merged into the stored settings: sections and fields a write leaves out (or sends
as null) keep their values; lists (pools, chains) are replaced whole.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from typing import Any, ClassVar

from aiohttp import BodyPartReader, web

from .. import rpc
from ..faults import Fault
from ..miner import RPC, WEB
from ..physics import FAN_FLOOR, Physics
from ..state import MinerState
from .antminer import AntminerMiner, AntminerPhysics, CgiHandler
from .vnish_models import VNISH_MODELS, VnishModel, find_vnish_model

DEFAULT_FIRMWARE = "1.2.6"
DEFAULT_PASSWORD = "admin"
TOKEN_LIFETIME = 3600.0  # seconds; assumed (the firmware's JWT lifetime is not published)
MAX_WRONG_UNLOCKS = 5  # then 429 with an unlock_timeout (assumed figure)
UNLOCK_TIMEOUT = 60  # seconds of 429 after too many wrong passwords (assumed)
REBOOT_AFTER = 3  # `after` of /system/reboot and /firmware/update: "By default, is 3 seconds"
UPLOAD_CHUNK = 64 * 1024
FIRMWARE_NAME = re.compile(r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)")
FIRMWARE_SUFFIXES = (".tar.gz", ".tgz", ".zip")
MANUAL_PRESET = "disabled"
STOCK_POOL_HOST = "btc.global.luxor.tech:700"
SAVED = {"reboot_required": False, "restart_required": False}
ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AnthillOS</title><link rel="icon" href="/favicon.ico"></head>
<body><noscript>AnthillOS needs JavaScript.</noscript><div id="root"></div>
<script type="module" src="/assets/index.js"></script></body>
</html>
"""
# Routes a client may read without a token (`security: []` in the firmware's document).
OPEN_ROUTES = frozenset(
    {
        ("GET", "info"),
        ("GET", "model"),
        ("GET", "status"),
        ("GET", "summary"),
        ("GET", "perf-summary"),
        ("GET", "chips"),
        ("GET", "chains"),
        ("GET", "layout"),
        ("POST", "find-miner"),
        ("POST", "unlock"),
    }
)


class VnishPhysics(AntminerPhysics):
    """The Antminer physics, driven by the preset (or manual clocks) instead of work modes."""

    def __init__(self, model: VnishModel, seed: str) -> None:
        super().__init__(model.antminer, seed)
        self.target_hashrate = model.antminer.nominal_hashrate  # GH/s
        self.target_power = model.antminer.nominal_power
        self.target_frequency = float(model.antminer.frequency)
        self.hashing = True
        self.fan_mode = "auto"
        self.fan_param = 100

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        hashing = self.hashing
        state.paused = not hashing
        state.expected_hashrate = self.target_hashrate if hashing else 0.0
        state.frequency = self.target_frequency
        if hashing:
            state.hashrate = self.target_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = self.target_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = self.target_hashrate * rng.uniform(0.995, 1.005)
            state.hashrate_1h = self.target_hashrate * rng.uniform(0.997, 1.003)
            state.power = self.target_power * rng.uniform(0.99, 1.01)
        else:
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        load = state.power / model.nominal_power
        if self.fan_mode == "immers":
            fan = 0.0
        elif self.fan_mode == "manual":
            fan = float(max(0, min(100, self.fan_param)))
        else:
            fan = min(100.0, 30 + 60 * load) if hashing else 10.0
        state.fan_percent = round(fan)
        airflow = 60.0 if self.fan_mode == "immers" else fan  # immersion: the liquid cools
        cooling = FAN_FLOOR + (1 - FAN_FLOOR) * airflow / 100
        board = 25.0 + 30 * load / cooling * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.9)
        self.board_temps = [board + rng.uniform(-2.0, 2.0) for _ in range(model.boards)]
        state.vr_temp = max(self.board_temps)
        state.temp = state.vr_temp + 8 * load
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.97, 1.03) / 30) * 30
            for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0] if self.fan_rpms else 0
        per_board = state.hashrate / model.boards
        self.chain_rates = [
            per_board * rng.uniform(0.97, 1.03) if hashing else 0.0 for _ in range(model.boards)
        ]
        state.uptime += elapsed
        if hashing and elapsed > 0:
            self._shares(state, elapsed)


class VnishMiner(AntminerMiner):
    """An Antminer running Vnish: the stock RPC, and AnthillOS's REST API on the web port."""

    family = "vnish"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}
    models = tuple(model.antminer for model in VNISH_MODELS)
    default_model = "Antminer S19j Pro"
    token_lifetime: float = TOKEN_LIFETIME

    # --- construction -----------------------------------------------------------------------

    @property
    def vnish_model(self) -> VnishModel:
        return find_vnish_model(self.board.name)

    def initial_state(self, mac: str) -> MinerState:
        state = super().initial_state(mac)
        model, spec = self.board, self.spec
        # The stock parts of the RPC keep the stock build dates; the firmware is Vnish's.
        self.compile_time = model.compile_time
        self.filesystem_version = model.filesystem_version
        self.fw_version = spec.firmware or DEFAULT_FIRMWARE
        self.password = spec.password or DEFAULT_PASSWORD
        self.tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.wrong_unlocks = 0
        self.locked_until = 0.0
        self.find_miner_on = False
        self.miner_state = "mining"  # mining | stopped (paused or stopped)
        self.paused_only = False
        self.state_since = time.monotonic()
        self.booted_at = time.monotonic()
        self.restart_count = 0
        self.settings: dict[str, Any] = self.default_settings(mac, spec.hostname)
        state.version = self.fw_version
        state.www_version = self.fw_version
        state.hostname = self.settings["network"]["hostname"]
        return state

    def default_settings(self, mac: str, hostname: str | None) -> dict[str, Any]:
        model, vnish = self.board, self.vnish_model
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        empty_pool = {"url": "", "user": "", "pass": ""}
        return {
            "layout": None,
            "miner": {
                "cooling": {
                    "fan_max_duty": 100,
                    "fan_min_count": model.fans,
                    "fan_min_duty": 10,
                    "mode": {"name": "auto", "param": 75},
                },
                "misc": {
                    "asic_boost": True,
                    "auto_chip_throttling": True,
                    "automatic_pause_on_boot": False,
                    "downscale_preset_on_failure": False,
                    "ignore_broken_sensors": False,
                    "keep_hashing_when_offline": False,
                    "max_restart_attempts": 3,
                    "quick_start": False,
                    "quiet_mode": False,
                    "restart_hashrate": 0,
                    "restart_temp": 95,
                    "restore_miner_state_on_reboot": True,
                    "retune_on_chain_break": False,
                },
                "overclock": {
                    "chains": [
                        {"chips": [], "disabled": False, "freq": 0} for _ in range(model.boards)
                    ],
                    "globals": {"freq": model.frequency, "volt": vnish.default_voltage},
                    "modded_psu": False,
                    "preset": vnish.default_preset,
                    "preset_switcher": {
                        "autochange_top_preset": False,
                        "check_time": 300,
                        "decrease_temp": 80,
                        "enabled": False,
                        "ignore_fan_speed": False,
                        "min_preset": vnish.presets[0].name,
                        "rise_temp": 70,
                        "top_preset": vnish.default_preset,
                    },
                },
                "pools": [
                    {"url": STOCK_POOL_HOST, "user": worker, "pass": "x"},
                    {"url": "stratum.braiins.com:3333", "user": worker, "pass": "x"},
                    dict(empty_pool),
                ],
            },
            "network": {
                "dhcp": True,
                "dnsservers": ["8.8.8.8"],
                "gateway": "",
                "hostname": hostname or "Antminer",
                "ipaddress": self.host,
                "netmask": "255.0.0.0",
            },
            "regional": {"timezone": {"current": "GMT"}},
            "ui": {
                "consts": {
                    "cooling": {
                        "fan_min_count": {"default": model.fans, "max": model.fans, "min": 0},
                        "max_target_temp": 90,
                        "min_fan_pwm": 0,
                        "min_target_temp": 40,
                    },
                    "overclock": {
                        "default_freq": model.frequency,
                        "default_voltage": vnish.default_voltage,
                        "max_freq": model.frequency + 200,
                        "max_power_limit": max(preset.watts for preset in vnish.presets),
                        "max_voltage": vnish.default_voltage + 200,
                        "max_voltage_stock_psu": vnish.default_voltage + 100,
                        "min_freq": 50,
                        "min_voltage": vnish.default_voltage - 300,
                        "power_metering": False,
                        "warn_freq": model.frequency + 100,
                    },
                    "timezones": [["GMT", "GMT"]],
                },
                "dark_side_pane": False,
                "disable_animation": False,
                "locale": "en",
                "theme": "dark",
                "timezone": "GMT",
            },
        }

    def make_physics(self) -> Physics:
        return VnishPhysics(self.vnish_model, self.seed)

    def credentials(self) -> dict[str, str] | None:
        return {"password": self.password}

    @property
    def type_name(self) -> str:
        return f"{self.board.name} (Vnish {self.fw_version})"

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        # Real Vnish leaves ``version`` unanswered: pyasic reads api_ver=None from it on
        # 1.2.6 and a pyasic fix reports it empty on 1.3.0, so only ``stats`` names Vnish.
        if "version" in request.commands:
            return b""
        return super().handle_rpc(request)

    def _sync_settings(self) -> None:
        """Carry the stored settings into the RPC's conf and the physics."""
        miner = self.settings["miner"]
        pools = []
        for pool in miner["pools"]:
            address = str(pool.get("url", ""))
            if address and "://" not in address:
                address = "stratum+tcp://" + address
            pools.append(
                {"url": address, "user": pool.get("user", ""), "pass": pool.get("pass", "")}
            )
        self.conf["pools"] = pools
        state = self._state
        state.hostname = self.settings["network"]["hostname"]
        physics = self.physics if hasattr(self, "physics") else None
        if not isinstance(physics, VnishPhysics):
            return
        cooling = miner["cooling"]["mode"]
        physics.fan_mode = str(cooling.get("name", "auto"))
        physics.fan_param = int(cooling.get("param", 100) or 0)
        state.fan_auto = physics.fan_mode == "auto"
        physics.hashing = self.miner_state == "mining"
        model, vnish = self.board, self.vnish_model
        overclock = miner["overclock"]
        preset = vnish.preset(str(overclock.get("preset")))
        if preset is not None:
            physics.target_hashrate = preset.terahash * 1000
            physics.target_power = float(preset.watts)
            physics.target_frequency = (
                model.frequency * preset.terahash * 1000 / model.nominal_hashrate
            )
        else:  # "disabled": the manual clock and voltage
            frequency = float(overclock["globals"].get("freq") or model.frequency)
            voltage = float(overclock["globals"].get("volt") or vnish.default_voltage)
            ratio = frequency / model.frequency
            physics.target_hashrate = model.nominal_hashrate * ratio
            physics.target_power = (
                model.nominal_power * ratio * (voltage / vnish.default_voltage) ** 2
            )
            physics.target_frequency = frequency

    # --- REST ------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/api/v1/"):
            if path in ("/", "/index.html") or "." not in path.rsplit("/", 1)[-1]:
                return web.Response(text=ROOT_PAGE, content_type="text/html")
            return web.Response(status=404, text="Not Found")
        route = path.removeprefix("/api/v1/").rstrip("/")
        method = request.method
        handler = self.rest_routes().get((method, route))
        if handler is None:
            known = {name for (_method, name) in self.rest_routes()}
            status = 405 if route in known else 404
            return web.Response(status=status)
        if (method, route) not in OPEN_ROUTES and not self.authorized(request):
            return web.Response(status=401)
        return await handler(request)

    def rest_routes(self) -> dict[tuple[str, str], CgiHandler]:
        return {
            ("POST", "unlock"): self.rest_unlock,
            ("GET", "auth-check"): self.rest_auth_check,
            ("GET", "info"): self.rest_info,
            ("GET", "model"): self.rest_model,
            ("GET", "summary"): self.rest_summary,
            ("GET", "status"): self.rest_status,
            ("GET", "perf-summary"): self.rest_perf_summary,
            ("GET", "chips"): self.rest_chips,
            ("GET", "settings"): self.rest_get_settings,
            ("POST", "settings"): self.rest_post_settings,
            ("GET", "autotune/presets"): self.rest_presets,
            ("POST", "mining/restart"): self.rest_mining_restart,
            ("POST", "mining/pause"): self.rest_mining("pause"),
            ("POST", "mining/resume"): self.rest_mining("resume"),
            ("POST", "mining/stop"): self.rest_mining("stop"),
            ("POST", "mining/start"): self.rest_mining("start"),
            ("POST", "system/reboot"): self.rest_reboot,
            ("POST", "find-miner"): self.rest_find_miner,
            ("POST", "firmware/update"): self.rest_firmware_update,
        }

    def authorized(self, request: web.BaseRequest) -> bool:
        """A live token in ``Authorization``, bare or after "Bearer " (clients send both)."""
        header = request.headers.get("Authorization", "").strip()
        token = header[7:].strip() if header.lower().startswith("bearer ") else header
        expiry = self.tokens.get(token)
        if expiry is None:
            return False
        if time.monotonic() >= expiry:
            del self.tokens[token]
            return False
        return True

    async def rest_unlock(self, request: web.BaseRequest) -> web.Response:
        body = await _read_json(request)
        now = time.monotonic()
        if now < self.locked_until:
            return _json({"unlock_timeout": int(self.locked_until - now) + 1}, status=429)
        if not isinstance(body, dict) or not isinstance(body.get("pw"), str):
            return web.Response(status=422, text="Failed to deserialize the JSON body")
        if body["pw"] != self.password:
            self.wrong_unlocks += 1
            if self.wrong_unlocks >= MAX_WRONG_UNLOCKS:
                self.wrong_unlocks = 0
                self.locked_until = now + UNLOCK_TIMEOUT
                return _json({"unlock_timeout": UNLOCK_TIMEOUT}, status=429)
            return _json({"unlock_timeout": None}, status=403)
        self.wrong_unlocks = 0
        token = _make_token()
        self.tokens[token] = now + self.token_lifetime
        return _json({"token": token})

    async def rest_auth_check(self, _request: web.BaseRequest) -> web.Response:
        return _json({"unlock_timeout": None})

    def _uptime_text(self) -> str:
        seconds = int(time.monotonic() - self.booted_at)
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        return f"{days} days, {hours:02d}:{rest // 60:02d}" if days else f"{hours}:{rest // 60:02d}"

    def info(self) -> dict[str, Any]:
        state, vnish = self._state, self.vnish_model
        network = self.settings["network"]
        return {
            "build_name": "",
            "build_time": "2024-12-12 10:31:17",
            "build_uuid": "",
            "fw_name": "Vnish",
            "fw_version": self.fw_version,
            "install_type": "nand",
            "miner": self.board.name,
            "model": vnish.code,
            "platform": vnish.platform,
            "algorithm": "sha256d",
            "hr_measure": "GH/s",
            "serial": self.serial,
            "system": {
                "mem_buf": 61_000,
                "mem_buf_percent": 15,
                "mem_free": 180_000,
                "mem_free_percent": 44,
                "mem_total": 408_000,
                "file_system_version": self.filesystem_version,
                "miner_name": self.board.name,
                "network_status": {
                    "dhcp": network["dhcp"],
                    "dns": list(network["dnsservers"]),
                    "gateway": network["gateway"],
                    "hostname": state.hostname,
                    "ip": self.host,
                    "mac": state.mac,
                    "netmask": network["netmask"],
                },
                "os": "GNU/Linux",
                "uptime": self._uptime_text(),
            },
        }

    async def rest_info(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.info())

    async def rest_model(self, _request: web.BaseRequest) -> web.Response:
        model, vnish = self.board, self.vnish_model
        consts = self.settings["ui"]["consts"]
        return _json(
            {
                "algorithm": "sha256d",
                "chain": {
                    "chips_per_chain": model.chips_per_board,
                    "chips_per_domain": 3,
                    "num_chains": model.boards,
                    "topology": {"chips": [], "num_cols": 0, "num_rows": 0},
                },
                "cooling": consts["cooling"],
                "full_name": model.name,
                "hr_measure": "GH/s",
                "install_type": "nand",
                "model": vnish.code,
                "overclock": consts["overclock"],
                "platform": vnish.platform,
                "serial": self.serial,
                "series": "x21" if "S21" in model.name else "x19",
            }
        )

    def miner_status(self) -> dict[str, Any]:
        mining = self.miner_state == "mining"
        return {
            "description": None,
            "failure_code": None,
            "miner_state": self.miner_state,
            "miner_state_time": int(time.monotonic() - self.state_since) if mining else 0,
        }

    def summary(self) -> dict[str, Any]:
        state, model, physics = self._state, self.board, self.vnish_physics
        gh = state.hashrate
        chains = []
        for index in range(model.boards):
            pcb = round(physics.board_temps[index])
            rate = physics.chain_rates[index]
            ideal = state.expected_hashrate / model.boards
            chains.append(
                {
                    "chip_statuses": {"grey": model.chips_per_board, "orange": 0, "red": 0},
                    "chip_temp": {"max": pcb + 12, "min": pcb + 2},
                    "frequency": float(round(state.frequency, 1)),
                    "hashrate_ideal": round(ideal, 2),
                    "hashrate_percentage": round(100 * rate / ideal, 2) if ideal else 0.0,
                    "hashrate_rt": round(rate, 2),
                    "hr_error": 0.0,
                    "hw_errors": int(state.uptime) // 300,
                    "id": index + 1,
                    "pcb_temp": {"max": pcb, "min": pcb - 6},
                    "power_consumption": round(state.power / model.boards),
                    "status": {
                        "description": None,
                        "state": "mining" if not state.paused else "stopped",
                    },
                    "voltage": self.settings["miner"]["overclock"]["globals"]["volt"],
                }
            )
        fans = [
            {"id": index, "max_rpm": model.max_fan_rpm, "rpm": rpm, "status": "ok"}
            for index, rpm in enumerate(physics.fan_rpms)
        ]
        mode = self.settings["miner"]["cooling"]["mode"]
        temps = [round(value) for value in physics.board_temps] or [0]
        pools = []
        for index, pool in enumerate(self.settings["miner"]["pools"]):
            if not pool.get("url"):
                continue
            active = index == 0 and not state.paused
            pools.append(
                {
                    "accepted": state.shares_accepted if active else 0,
                    "asic_boost": True,
                    "diff": "524K" if active else "",
                    "diffa": 524288.0 if active else 0.0,
                    "id": index,
                    "ls_diff": 524288.0 if active and state.shares_accepted else 0.0,
                    "ls_time": "0:00:05" if active and state.shares_accepted else "0",
                    "ping": 38 if active else 0,
                    "pool_type": "UserPool",
                    "rejected": state.shares_rejected if active else 0,
                    "stale": 0,
                    "status": "active" if active else ("working" if index else "offline"),
                    "url": pool["url"],
                    "user": pool["user"],
                }
            )
        power = round(state.power)
        return {
            "miner": {
                "average_hashrate": round(state.hashrate_10m / 1000, 2),
                "best_share": round(state.best_session_diff),
                "chains": chains,
                "chip_temp": {"max": max(temps) + 12, "min": min(temps) + 2},
                "cooling": {
                    "fan_duty": round(state.fan_percent),
                    "fan_num": model.fans,
                    "fans": fans,
                    "settings": {"mode": {"name": _fan_mode_name(str(mode.get("name")))}},
                },
                "devfee": 2.8,
                "devfee_percent": 2.8,
                "found_blocks": 0,
                "hr_average": round(state.hashrate_10m, 2),
                "hr_error": 0.0,
                "hr_nominal": round(state.expected_hashrate, 2),
                "hr_realtime": round(gh, 2),
                "hr_stock": float(model.nominal_hashrate),
                "hw_errors": int(state.uptime) // 100,
                "hw_errors_percent": 0.0,
                "instant_hashrate": round(gh / 1000, 2),
                "miner_status": self.miner_status(),
                "miner_type": self.type_name,
                "pcb_temp": {"max": max(temps), "min": min(temps) - 6},
                "pools": pools,
                "power_consumption": power,
                "power_efficiency": round(power / (gh / 1000), 1) if gh else 0.0,
                "power_usage": power,
                "psu": None,
                "restart_count": self.restart_count,
            }
        }

    @property
    def vnish_physics(self) -> VnishPhysics:
        assert isinstance(self.physics, VnishPhysics)
        return self.physics

    async def rest_summary(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.summary())

    async def rest_status(self, request: web.BaseRequest) -> web.Response:
        return _json(
            self.miner_status()
            | SAVED
            | {
                "find_miner": self.find_miner_on,
                "unlock_timeout": None,
                "unlocked": self.authorized(request),
                "warranty": "not_provided",
            }
        )

    def preset_json(self, name: str) -> dict[str, Any] | None:
        preset = self.vnish_model.preset(name)
        if preset is None:
            return None
        return {
            "modded_psu_required": preset.modded_psu_required,
            "name": preset.name,
            "pretty": preset.pretty,
            "status": "tuned" if preset.tuned else "untuned",
        }

    async def rest_perf_summary(self, _request: web.BaseRequest) -> web.Response:
        overclock = self.settings["miner"]["overclock"]
        name = str(overclock["preset"])
        current = self.preset_json(name)
        if current is not None:
            current["globals"] = None
        elif name == MANUAL_PRESET:
            # "Globals passed here when preset is disabled" (CurrentPreset in the documents).
            current = {
                "modded_psu_required": False,
                "name": MANUAL_PRESET,
                "pretty": "Disabled",
                "status": "untuned",
                "globals": dict(overclock["globals"]),
            }
        return _json({"current_preset": current, "preset_switcher": overclock["preset_switcher"]})

    async def rest_chips(self, _request: web.BaseRequest) -> web.Response:
        state, model, physics = self._state, self.board, self.vnish_physics
        chains = []
        for index in range(model.boards):
            per_chip = physics.chain_rates[index] / model.chips_per_board
            pcb = round(physics.board_temps[index])
            chains.append(
                {
                    "chips": [
                        {
                            "errors": 0,
                            "freq": round(state.frequency),
                            "hashrate": round(per_chip, 2),
                            "id": chip,
                            "sensor": None,
                            "status": "grey",
                            "temp": float(pcb + 8),
                        }
                        for chip in range(model.chips_per_board)
                    ],
                    "id": index + 1,
                }
            )
        return _json({"chains": chains, "chips_per_chain": model.chips_per_board})

    async def rest_get_settings(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.settings)

    async def rest_post_settings(self, request: web.BaseRequest) -> web.Response:
        body = await _read_json(request)
        if body is _INVALID:
            return web.Response(status=400, text="Failed to parse the request body as JSON")
        problem = _check_settings(body)
        if problem is not None:
            return web.Response(
                status=422,
                text=f"Failed to deserialize the JSON body into the target type: {problem}",
            )
        assert isinstance(body, dict)
        change = body.get("password")
        if isinstance(change, dict):
            if change.get("current") != self.password:
                return _json({"err": "Invalid current password"}, status=500)
            self.password = str(change["pw"])
        old_preset = self.settings["miner"]["overclock"]["preset"]
        patch = {key: value for key, value in body.items() if key != "password"}
        merged = _merge(copy.deepcopy(self.settings), patch)
        new_preset = str(merged["miner"]["overclock"].get("preset"))
        if new_preset != old_preset and new_preset != MANUAL_PRESET:
            preset = self.vnish_model.preset(new_preset)
            if preset is None or not preset.tuned:
                merged["miner"]["overclock"]["preset"] = old_preset  # silently kept
        self.settings = merged
        self.tick()
        return _json(SAVED)

    async def rest_presets(self, _request: web.BaseRequest) -> web.Response:
        presets = []
        for preset in self.vnish_model.presets:
            entry = self.preset_json(preset.name)
            assert entry is not None
            tune: dict[str, Any] | None = None
            if preset.tuned:
                model = self.board
                frequency = round(model.frequency * preset.terahash * 1000 / model.nominal_hashrate)
                tune = {
                    "chains": [
                        {
                            "chips": [frequency] * model.chips_per_board,
                            "freq": frequency,
                            "serial": sn,
                        }
                        for sn in self.chain_serials
                    ],
                    "freq": frequency,
                    "hashrate": round(preset.terahash * 1000),
                    "modified": False,
                    "volt": self.vnish_model.default_voltage,
                }
            entry["tune_settings"] = tune
            presets.append(entry)
        return _json(presets)

    def _set_mining(self, state: str) -> None:
        if state != self.miner_state:
            self.miner_state = state
            self.state_since = time.monotonic()
        self.tick()

    def rest_mining(self, action: str) -> CgiHandler:
        async def handler(_request: web.BaseRequest) -> web.StreamResponse:
            if action in ("pause", "stop"):
                self.paused_only = action == "pause"
                self._set_mining("stopped")
            else:
                self.paused_only = False
                self._set_mining("mining")
            return web.Response(status=200)

        return handler

    async def rest_mining_restart(self, _request: web.BaseRequest) -> web.Response:
        """The mining program restarts: its session (Elapsed, shares) starts again."""
        self.tick()
        self.restart_count += 1
        self.physics.reset_session(self._state)
        self._set_mining("mining")
        return web.Response(status=200)

    async def rest_reboot(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self.respond_then_reboot(request, _json({"after": REBOOT_AFTER}))

    async def rest_find_miner(self, request: web.BaseRequest) -> web.Response:
        body = await _read_json(request)
        wanted = body.get("on") if isinstance(body, dict) else None
        self.find_miner_on = wanted if isinstance(wanted, bool) else not self.find_miner_on
        self._state.identify_active = self.find_miner_on
        if self.find_miner_on:
            self._state.identify_count += 1
        return _json({"on": self.find_miner_on})

    async def rest_firmware_update(self, request: web.BaseRequest) -> web.StreamResponse:
        """Multipart ``file`` (+ ``keep_settings`` "true"/"false"); the version is read from the
        file's name (``…vnish-1.2.7….tar.gz``), as the real image's contents are not modelled."""
        if not request.content_type.startswith("multipart/"):
            return _json({"err": "Invalid multipart request"}, status=500)
        reader = await request.multipart()
        filename: str | None = None
        size = 0
        keep = "true"
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                filename = part.filename or ""
                while chunk := await part.read_chunk(UPLOAD_CHUNK):
                    size += len(chunk)
            elif part.name == "keep_settings":
                keep = (await part.text()).strip().lower()
        if filename is None or size == 0:
            return _json({"err": "Firmware file is missing"}, status=500)
        match = FIRMWARE_NAME.search(filename)
        if (
            not filename.lower().endswith(FIRMWARE_SUFFIXES)
            or match is None
            or self.has_fault(Fault.FIRMWARE_REJECTED)
        ):
            return _json({"err": "Invalid firmware file"}, status=500)
        if keep == "false":
            self.settings = self.default_settings(self._state.mac, None)
            self.password = DEFAULT_PASSWORD
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.fw_version = match.group(1)
            self._state.version = self._state.www_version = self.fw_version
        return await self.respond_then_reboot(
            request, _json({"after": REBOOT_AFTER}), stay_down=self.has_fault(Fault.NEVER_RETURNS)
        )

    def on_boot(self) -> None:
        super().on_boot()
        self.tokens.clear()
        self.find_miner_on = False
        self.booted_at = time.monotonic()
        self.restart_count = 0
        restore = self.settings["miner"]["misc"].get("restore_miner_state_on_reboot", True)
        pause_on_boot = self.settings["miner"]["misc"].get("automatic_pause_on_boot", False)
        if pause_on_boot:
            self.miner_state = "stopped"
        elif restore:
            self.miner_state = "mining"
        self.state_since = time.monotonic()


# --- helpers ----------------------------------------------------------------------------------

_INVALID = object()


def _make_token() -> str:
    """A JWT-looking token (three base64url parts); clients treat it as opaque."""
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    return f"{header}.{secrets.token_urlsafe(48)}.{secrets.token_urlsafe(32)}"


async def _read_json(request: web.BaseRequest) -> Any:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return _INVALID


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


def _fan_mode_name(stored: str) -> str:
    return "immersion" if stored == "immers" else stored


def _check_settings(body: Any) -> str | None:
    """What the firmware's typed parser would refuse in a settings write (None: fine)."""
    if not isinstance(body, dict):
        return "expected a JSON object"
    miner = body.get("miner")
    if miner is None:
        pass
    elif not isinstance(miner, dict):
        return "miner: expected an object"
    else:
        pools = miner.get("pools")
        if pools is not None:
            if not isinstance(pools, list) or len(pools) != 3:
                return "miner.pools: expected an array of 3 pools"
            for pool in pools:
                if not isinstance(pool, dict) or not all(
                    isinstance(pool.get(key), str) for key in ("url", "user", "pass")
                ):
                    return "miner.pools: each pool needs string url, user and pass"
        overclock = miner.get("overclock")
        if overclock is not None:
            if not isinstance(overclock, dict):
                return "miner.overclock: expected an object"
            preset = overclock.get("preset")
            if preset is not None and not isinstance(preset, str):
                return "miner.overclock.preset: invalid type, expected a string"
        cooling = miner.get("cooling")
        if cooling is not None and not isinstance(cooling, dict):
            return "miner.cooling: expected an object"
        mode = cooling.get("mode") if isinstance(cooling, dict) else None
        if mode is not None and (
            not isinstance(mode, dict) or mode.get("name") not in ("auto", "manual", "immers")
        ):
            return "miner.cooling.mode: unknown variant"
    password = body.get("password")
    if password is not None and (
        not isinstance(password, dict)
        or not isinstance(password.get("current"), str)
        or not isinstance(password.get("pw"), str)
    ):
        return "password: expected current and pw strings"
    return None


def _merge(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; null or absent keeps the stored value; anything else replaces."""
    for key, value in patch.items():
        if value is None:
            continue
        current = stored.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            stored[key] = _merge(current, value)
        else:
            stored[key] = copy.deepcopy(value)
    return stored
