"""Innosilicon (T3H+, T3+ Pro, A10 Pro, A11 Pro): the DragonMint web API on 80 and RPC on 4028.

The web page is the DragonMint single-page app (its title is "DragonMint", which is how pyasic and
asic-rs recognise the family). Its API is ``POST /api/<command>``: ``/api/auth`` takes
``username``/``password`` (form-encoded, as pyasic sends them, or JSON) and answers
``{"success": true, "jwt": …}``; every other command wants ``Authorization: Bearer <jwt>`` and
answers a JSON object with ``success``. A token expires (``{"success": false, "token":
"expired"}``, which is pyasic's cue to log in again); a failed command carries ``message``.
Reads: ``summary``, ``type``, ``overview``, ``getAll``, ``pools``, ``status``, ``getAutoFreq``,
``getErrorDetail``. Writes: ``updatePools`` (``Pool1``/``UserName1``/``Password1`` … ``3``),
``setAutoFreq`` (``low``/``normal``/``high``), ``poweroff``, ``restartCgMiner``, ``reboot``,
``updatePassword``. The RPC is the firmware's cgminer fork ("innominer"); it refuses writes.
Rates: the RPC ``MHS *`` keys are MH/s for every model; ``getAll`` gives ``Hash Rate H`` in H/s
on the SHA-256 T3 series and ``Hash Rate`` in MH/s on the Ethash A10/A11 series.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
import hashlib
import itertools
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
from .innosilicon_models import INNOSILICON_MODEL_NAMES, InnosiliconModel, find_model

__all__ = ["INNOSILICON_MODEL_NAMES", "InnosiliconMiner"]

DEFAULT_USER = "admin"
DEFAULT_PASSWORD = "admin"
TOKEN_LIFETIME = 3600.0  # seconds (assumed)
CGMINER_VERSION = "4.11.1"
API_VERSION = "3.7"
RPC_DESCRIPTION = f"cgminer {CGMINER_VERSION}"
MAX_POOLS = 3
AMBIENT = 25.0
# Power modes: level (as `running_mode.level`), hashrate and power against "normal" (assumed).
MODES: dict[str, tuple[int, float, float]] = {
    "low": (0, 0.85, 0.75),
    "normal": (1, 1.0, 1.0),
    "high": (2, 1.1, 1.22),
}
WRONG_LOGIN = "Invalid username or password"  # assumed text
ROOT_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>DragonMint</title><link href="/static/css/app.css" rel="stylesheet"></head>
<body><div id="app"></div><script src="/static/js/app.js"></script></body>
</html>
"""
Handler = Callable[[web.BaseRequest, dict[str, Any]], Awaitable[web.StreamResponse]]
PRIVILEGED_COMMANDS = frozenset(
    {
        "addpool",
        "removepool",
        "switchpool",
        "enablepool",
        "disablepool",
        "restart",
        "quit",
        "save",
        "setconfig",
        "ascset",
        "pgaset",
    }
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class InnosiliconPhysics(Physics):
    """Per-board rates, temperatures and fans following the power mode and the mining state."""

    def __init__(self, model: InnosiliconModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.frequency,
            default_voltage=1,
            nominal_power=model.nominal_power,
            idle_power=model.idle_power,
            input_voltage=220_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.scale = 1.0
        self.power_scale = 1.0
        self.board_rates: list[float] = [0.0] * model.boards
        self.board_temps: list[tuple[float, float]] = [(AMBIENT, AMBIENT)] * model.boards
        self.fan_rpms: list[int] = [0] * model.fans
        self.hardware_errors = 0
        self._credit = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        mining = self.scale > 0
        state.paused = not mining
        state.expected_hashrate = model.nominal_mhs * self.scale
        if mining:
            state.hashrate = state.expected_hashrate * rng.uniform(0.97, 1.03)
            state.hashrate_1m = state.expected_hashrate * rng.uniform(0.99, 1.01)
            state.hashrate_10m = state.expected_hashrate * rng.uniform(0.995, 1.005)
            state.power = (
                model.idle_power + (model.nominal_power - model.idle_power) * self.power_scale
            ) * rng.uniform(0.99, 1.01)
        else:
            state.hashrate = state.hashrate_1m = state.hashrate_10m = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        load = state.power / model.nominal_power
        fan = min(100.0, max(10.0, 20 + 75 * load))
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        board = AMBIENT + 30 * load / factor * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.8)
        self.board_temps = [
            (board + rng.uniform(-1.5, 1.5), board + 12 * load + rng.uniform(0, 2))
            for _ in range(model.boards)
        ]
        state.vr_temp = max(low for low, _high in self.board_temps)
        state.temp = max(high for _low, high in self.board_temps)
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.98, 1.02) / 30) * 30
            for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0]
        per_board = state.hashrate / model.boards
        self.board_rates = [
            per_board * rng.uniform(0.98, 1.02) if mining else 0.0 for _ in range(model.boards)
        ]
        state.uptime += elapsed
        if mining and elapsed > 0:
            self._shares(state, elapsed)

    def _shares(self, state: MinerState, elapsed: float) -> None:
        # One share a few seconds whatever the rate (the pool's vardiff), for lively counters.
        self._credit += elapsed / 4
        found = math.floor(self._credit)
        if found <= 0:
            return
        self._credit -= found
        rejected = sum(1 for _ in range(found) if self.rng.random() < 0.01)
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        self.hardware_errors += sum(1 for _ in range(found) if self.rng.random() < 0.002)

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self.hardware_errors = 0
        self._credit = 0.0


class InnosiliconMiner(SimulatedMiner):
    """An Innosilicon miner on its stock DragonMint-style firmware."""

    family = "innosilicon"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}
    default_model: ClassVar[str] = "T3H+"

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> InnosiliconModel:
        if self.spec.model == MinerSpec().model:  # a spec that names no model
            return find_model(self.default_model)
        return find_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return seeded_mac("A0:B0:45", seed, salt="innosilicon-mac")

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password or DEFAULT_PASSWORD
        self.firmware = spec.firmware or model.firmware
        self.token_lifetime = TOKEN_LIFETIME
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self._token_counter = itertools.count(1)
        self.mode = "normal"
        self.running = True
        self.cgminer_started = time.monotonic()
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        if model.sha256:
            urls = ["stratum+tcp://btc.f2pool.com:3333", "stratum+tcp://btc.viabtc.io:3333"]
        else:
            urls = ["stratum+tcp://etc.f2pool.com:8118", "stratum+tcp://etc.2miners.com:1010"]
        self.pools: list[dict[str, str]] = [
            {"url": url, "user": worker, "pass": "x"} for url in urls
        ] + [{"url": "", "user": "", "pass": ""}]
        return MinerState(
            mac=mac,
            hostname=spec.hostname or "dragonmint",
            model=model.web_type,
            version=self.firmware,
            www_version=self.firmware,
            board_version=model.hardware,
            asic_model=model.algorithm,
            asic_count=model.chips,
            small_core_count=0,
            frequency=float(model.frequency),
            core_voltage=0,
            pools=[],
        )

    def make_physics(self) -> Physics:
        return InnosiliconPhysics(self.board, self.seed)

    @property
    def inno_physics(self) -> InnosiliconPhysics:
        assert isinstance(self.physics, InnosiliconPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    @property
    def rpc_description(self) -> str:
        return RPC_DESCRIPTION

    def tick(self) -> None:
        self._sync_settings()
        super().tick()

    def _sync_settings(self) -> None:
        _level, scale, power_scale = MODES[self.mode]
        if not self.running:
            scale = power_scale = 0.0
        self._state.frequency = self.board.frequency * scale
        self._state.pools = [_pool_state(pool) for pool in self.pools if pool["url"]]
        if isinstance(self.physics, InnosiliconPhysics):
            self.physics.scale = scale
            self.physics.power_scale = power_scale

    def on_boot(self) -> None:
        self.tokens.clear()
        self.running = True
        self.cgminer_started = time.monotonic()

    @property
    def cgminer_elapsed(self) -> int:
        return int(min(time.monotonic() - self.cgminer_started, self._state.uptime))

    # --- web: login and dispatch --------------------------------------------------------------

    def issue_token(self) -> str:
        now = time.time()
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "username": self.username,
            "iat": int(now),
            "exp": int(now + self.token_lifetime),
            "n": next(self._token_counter),
        }
        payload = _b64url(json.dumps(claims).encode())
        signature = _b64url(
            hashlib.sha256(f"{self.seed}:{header}.{payload}:{self.password}".encode()).digest()
        )
        token = f"{header}.{payload}.{signature}"
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return token

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/api/"):
            # The single-page app answers every other path with its page.
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        command = path.removeprefix("/api/")
        if request.method != "POST":
            return web.Response(status=404, text=f"Cannot {request.method} {path}")
        body = await _body(request)
        if command == "auth":
            return self.web_auth(body)
        route = self.routes().get(command)
        if route is None:
            return web.Response(status=404, text=f"Cannot POST {path}")
        refusal = self._check_token(request)
        if refusal is not None:
            return refusal
        return await route(request, body)

    def web_auth(self, body: dict[str, Any]) -> web.Response:
        if body.get("username") != self.username or body.get("password") != self.password:
            return _json({"success": False, "message": WRONG_LOGIN})
        return _json({"success": True, "jwt": self.issue_token()})

    def _check_token(self, request: web.BaseRequest) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        expiry = self.tokens.get(token)
        if expiry is None:
            return _json({"success": False, "token": "invalid"}, status=401)
        if time.monotonic() > expiry:
            del self.tokens[token]
            return _json({"success": False, "token": "expired"}, status=401)
        return None

    def routes(self) -> dict[str, Handler]:
        return {
            "summary": self.web_summary,
            "type": self.web_type,
            "overview": self.web_overview,
            "getAll": self.web_get_all,
            "pools": self.web_pools,
            "status": self.web_status,
            "getAutoFreq": self.web_get_auto_freq,
            "getErrorDetail": self.web_error_detail,
            "updatePools": self.web_update_pools,
            "setAutoFreq": self.web_set_auto_freq,
            "poweroff": self.web_poweroff,
            "restartCgMiner": self.web_restart_cgminer,
            "reboot": self.web_reboot,
            "updatePassword": self.web_update_password,
        }

    # --- web: reads -------------------------------------------------------------------------

    async def web_summary(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        self.tick()
        summary = self.summary_fields()
        return _json({"success": True, "summary": summary, "devs": self.device_rows()})

    async def web_type(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        return _json({"success": True, "type": self.board.web_type})

    async def web_overview(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        state = self.state
        return _json(
            {
                "success": True,
                "type": self.board.web_type,
                "hostname": state.hostname,
                "version": {
                    "hwver": self.board.hardware,
                    "ethaddr": state.mac.lower(),
                    "build": self.firmware,
                    "platform": "zynq",
                },
                "network": {"dhcp": True, "ipaddress": self.host, "netmask": "255.255.255.0"},
            }
        )

    async def web_get_all(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        state, physics, model = self.state, self.inno_physics, self.board
        level = MODES[self.mode][0]
        chains = []
        for index, rate in enumerate(physics.board_rates):
            low, high = physics.board_temps[index]
            chain: dict[str, Any] = {
                "ASC": index,
                "Num active chips": model.chips_per_board if rate > 0 else 0,
                "Temp min": round(low, 1),
                "Temp max": round(high, 1),
                "Frequency": round(state.frequency),
            }
            chain |= self._rate_keys(rate)
            chains.append(chain)
        everything = {
            "mac": state.mac.lower(),
            "type": model.web_type,
            "hostname": state.hostname,
            "power": round(state.power),
            "fansSpeed": round(state.fan_percent),
            "fans": list(physics.fan_rpms),
            "running_mode": {"mode": self.mode, "level": level},
            "total_hash": self._rate_keys(state.hashrate)
            | {"Accepted": state.shares_accepted, "Rejected": state.shares_rejected},
            "chain": chains,
            "uptime": int(state.uptime),
            "elapsed": self.cgminer_elapsed,
            "running": self.running,
        }
        return _json({"success": True, "all": everything})

    def _rate_keys(self, mhs: float) -> dict[str, float]:
        """SHA-256 models give H/s under "Hash Rate H"; Ethash models MH/s under "Hash Rate"."""
        if self.board.sha256:
            return {"Hash Rate H": round(mhs * 1e6)}
        return {"Hash Rate": round(mhs, 2)}

    async def web_pools(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        return _json({"success": True, "pools": [dict(pool) for pool in self.pools]})

    async def web_status(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        state = self.state
        return _json(
            {
                "success": True,
                "status": "running" if self.running else "stopped",
                "hashrate": round(state.hashrate, 2),
                "uptime": int(state.uptime),
                "mode": self.mode,
            }
        )

    async def web_get_auto_freq(
        self, _request: web.BaseRequest, _body: dict[str, Any]
    ) -> web.Response:
        level = MODES[self.mode][0]
        return _json(
            {"success": True, "autoFreq": {"mode": self.mode, "level": level}, "modes": list(MODES)}
        )

    async def web_error_detail(
        self, _request: web.BaseRequest, _body: dict[str, Any]
    ) -> web.Response:
        # Code 0 is no error; pyasic maps 21–42 to the firmware's hardware faults.
        return _json({"success": True, "code": 0, "message": ""})

    # --- web: writes ------------------------------------------------------------------------

    async def web_update_pools(
        self, _request: web.BaseRequest, body: dict[str, Any]
    ) -> web.Response:
        pools: list[dict[str, str]] = []
        for slot in range(1, MAX_POOLS + 1):
            url = body.get(f"Pool{slot}", "")
            user = body.get(f"UserName{slot}", "")
            password = body.get(f"Password{slot}", "")
            if not all(isinstance(value, str) for value in (url, user, password)):
                return _json({"success": False, "message": "Invalid pool configuration"})
            if url and "://" not in url:
                return _json({"success": False, "message": f"Invalid pool URL: Pool{slot}"})
            pools.append({"url": url, "user": user, "pass": password})
        if not pools[0]["url"]:
            return _json({"success": False, "message": "Pool1 is required"})
        self.pools = pools
        self.cgminer_started = time.monotonic()  # cgminer restarts with the new pools
        return _json({"success": True})

    async def web_set_auto_freq(
        self, _request: web.BaseRequest, body: dict[str, Any]
    ) -> web.Response:
        mode = body.get("mode")
        if mode not in MODES:
            return _json({"success": False, "message": "Invalid mode"})
        self.tick()
        self.mode = str(mode)
        self.cgminer_started = time.monotonic()
        return _json({"success": True})

    async def web_poweroff(self, _request: web.BaseRequest, _body: dict[str, Any]) -> web.Response:
        self.tick()
        self.running = False
        return _json({"success": True})

    async def web_restart_cgminer(
        self, _request: web.BaseRequest, _body: dict[str, Any]
    ) -> web.Response:
        self.tick()
        self.running = True
        self.cgminer_started = time.monotonic()
        uptime = self._state.uptime  # the controller keeps running; cgminer's session restarts
        self.physics.reset_session(self._state)
        self._state.uptime = uptime
        return _json({"success": True})

    async def web_reboot(
        self, request: web.BaseRequest, _body: dict[str, Any]
    ) -> web.StreamResponse:
        return await self.respond_then_reboot(request, _json({"success": True}))

    async def web_update_password(
        self, _request: web.BaseRequest, body: dict[str, Any]
    ) -> web.Response:
        old, new = body.get("oldPassword"), body.get("newPassword")
        if old != self.password:
            return _json({"success": False, "message": "Old password is incorrect"})
        if not isinstance(new, str) or not new:
            return _json({"success": False, "message": "Invalid new password"})
        self.password = new
        self.tokens.clear()
        return _json({"success": True})

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        self.tick()
        api = rpc.CgminerApi(
            RPC_DESCRIPTION,
            {
                "version": self.rpc_version,
                "summary": self.rpc_summary,
                "devs": self.rpc_devs,
                "devdetails": self.rpc_devdetails,
                "pools": self.rpc_pools,
                "stats": self.rpc_stats,
            },
            privileged=PRIVILEGED_COMMANDS,
        )
        return api.answer(request)

    def rpc_version(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        info = {
            "CGMiner": CGMINER_VERSION,
            "API": API_VERSION,
            "Miner": f"InnoMiner {self.board.web_type} {self.firmware}",
            "Type": self.board.web_type,
        }
        return rpc.reply("VERSION", [info], rpc.CODE_VERSION, "CGMiner versions", RPC_DESCRIPTION)

    def summary_fields(self) -> dict[str, Any]:
        state = self._state
        elapsed = self.cgminer_elapsed
        accepted, rejected = state.shares_accepted, state.shares_rejected
        minutes = max(elapsed / 60, 1 / 60)
        return {
            "Elapsed": elapsed,
            "MHS av": round(state.hashrate_10m, 2),
            "MHS 5s": round(state.hashrate, 2),
            "MHS 1m": round(state.hashrate_1m, 2),
            "MHS 5m": round(state.hashrate_10m, 2),
            "MHS 15m": round(state.hashrate_10m, 2),
            "Found Blocks": 0,
            "Getworks": 1 + elapsed // 30,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": self.inno_physics.hardware_errors,
            "Utility": round(accepted / minutes, 2),
            "Discarded": elapsed * 2,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 20,
            "Remote Failures": 0,
            "Network Blocks": 1 + elapsed // 600,
            "Total MH": round(state.hashrate_10m * elapsed, 1),
            "Work Utility": round(accepted / minutes, 2),
            "Difficulty Accepted": float(accepted),
            "Difficulty Rejected": float(rejected),
            "Difficulty Stale": 0.0,
            "Best Share": accepted,
            "Device Hardware%": 0.0,
            "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0.0,
            "Last getwork": int(time.time()),
        }

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        return rpc.reply(
            "SUMMARY", [self.summary_fields()], rpc.CODE_SUMMARY, "Summary", RPC_DESCRIPTION
        )

    def device_rows(self) -> list[dict[str, Any]]:
        state, physics, model = self._state, self.inno_physics, self.board
        rows = []
        for index, rate in enumerate(physics.board_rates):
            low, high = physics.board_temps[index]
            rows.append(
                {
                    "ASC": index,
                    "Name": "inno",
                    "ID": index,
                    "Enabled": "Y",
                    "Status": "Alive" if rate > 0 else "Dead",
                    "Temperature": round(high, 1),
                    "MHS av": round(state.hashrate_10m / model.boards, 2),
                    "MHS 5s": round(rate, 2),
                    "Accepted": state.shares_accepted // model.boards,
                    "Rejected": state.shares_rejected // model.boards,
                    "Hardware Errors": physics.hardware_errors // model.boards,
                    "Utility": 0.0,
                    "Last Share Pool": 0,
                    "Last Share Time": int(time.time()),
                    "Total MH": round(rate * self.cgminer_elapsed, 1),
                    "Diff1 Work": state.shares_accepted // model.boards,
                    "Difficulty Accepted": float(state.shares_accepted // model.boards),
                    "Difficulty Rejected": 0.0,
                    "Last Share Difficulty": 1.0,
                    "Device Hardware%": 0.0,
                    "Device Rejected%": 0.0,
                    "Device Elapsed": self.cgminer_elapsed,
                    "Temp min": round(low, 1),
                }
            )
        return rows

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        rows = self.device_rows()
        return rpc.reply("DEVS", rows, rpc.CODE_DEVS, f"{len(rows)} ASC(s)", RPC_DESCRIPTION)

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model = self.board
        details = [
            {
                "DEVDETAILS": index,
                "Name": "inno",
                "ID": index,
                "Driver": "innominer",
                "Kernel": "",
                "Model": f"Innosilicon {model.web_type}",
                "Device Path": "",
            }
            for index in range(model.boards)
        ]
        return rpc.reply("DEVDETAILS", details, 69, "Device Details", RPC_DESCRIPTION)

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        entries = []
        for index, pool in enumerate(pool for pool in self.pools if pool["url"]):
            active = index == 0 and not state.paused
            accepted = state.shares_accepted if active else 0
            rejected = state.shares_rejected if active else 0
            entries.append(
                {
                    "POOL": index,
                    "URL": pool["url"],
                    "Status": "Alive",
                    "Priority": index,
                    "Quota": 1,
                    "Long Poll": "N",
                    "Getworks": 1 + self.cgminer_elapsed // 30 if active else 0,
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Discarded": 0,
                    "Stale": 0,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "User": pool["user"],
                    "Last Share Time": int(time.time()) if accepted else 0,
                    "Diff1 Shares": accepted,
                    "Proxy Type": "",
                    "Proxy": "",
                    "Difficulty Accepted": float(accepted),
                    "Difficulty Rejected": float(rejected),
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": 1.0 if accepted else 0.0,
                    "Has Stratum": True,
                    "Stratum Active": active,
                    "Stratum URL": _host_of(pool["url"]) if active else "",
                    "Has GBT": False,
                    "Best Share": accepted,
                    "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                    "Pool Stale%": 0.0,
                }
            )
        return rpc.reply(
            "POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)", RPC_DESCRIPTION
        )

    def rpc_stats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics, model = self._state, self.inno_physics, self.board
        stats = []
        for index, rate in enumerate(physics.board_rates):
            low, high = physics.board_temps[index]
            stats.append(
                {
                    "STATS": index,
                    "ID": f"inno{index}",
                    "Elapsed": self.cgminer_elapsed,
                    "Calls": 0,
                    "Wait": 0.0,
                    "Max": 0.0,
                    "Min": 99999999.0,
                    "Chain ID": index,
                    "Num active chips": model.chips_per_board if rate > 0 else 0,
                    "Temp min": round(low, 1),
                    "Temp max": round(high, 1),
                    "MHS": round(rate, 2),
                    "power": round(state.power / model.boards),
                }
            )
        return rpc.reply("STATS", stats, rpc.CODE_STATS, "CGMiner stats", RPC_DESCRIPTION)


# --- helpers -----------------------------------------------------------------------------------


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


async def _body(request: web.BaseRequest) -> dict[str, Any]:
    """A JSON object or form fields, as the page and pyasic send them; {} otherwise."""
    raw = await request.read()
    if not raw:
        return {}
    if request.content_type == "application/json":
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split(":", 1)[0]


def _pool_state(pool: dict[str, str]) -> PoolState:
    address = pool["url"].split("://", 1)[-1]
    host, _, port = address.partition(":")
    return PoolState(
        url=host,
        port=int(port) if port.isdigit() else 0,
        user=pool["user"],
        password=pool["pass"],
    )
