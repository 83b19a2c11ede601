"""Goldshell (KD Box, KD Max, LT6, Mini DOGE…): the ``cloud-box`` web API on 80 and RPC on 4028.

The web API (``/user/*``, ``/mcb/*``) is what the stock page calls: ``GET /user/login`` gives a
JWT (``{"JWT Token": …}``), sent as ``Authorization: Bearer <token>`` to every ``/mcb/*`` path but
``/mcb/status``. The password goes in the query as it is (``cipher=false``) or AES-128-CBC
encrypted (``cipher=true``: key sixteen ``!``, zero IV, zero padding, hex). The token has no
expiry and is the same at every login. Settings are read and written whole (``/mcb/setting``),
pools one by one (``newpool``/``delpool``) or as a list (``PUT /mcb/pools``); ``PUT
/mcb/restart`` reboots the controller. The RPC is the firmware's BFGMiner fork, with Goldshell's
per-board keys (``tstemp-*``, ``fan*``, ``chips-nr``); it refuses every write ("Access denied").
Rates are MH/s throughout, whatever coin the model mines.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
import hashlib
import json
import math
import re
import time
from typing import Any, ClassVar

from aiohttp import BodyPartReader, web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .. import rpc
from ..faults import Fault
from ..identity import seeded_mac
from ..miner import RPC, WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .goldshell_models import GOLDSHELL_MODELS, GoldshellModel, find_model

DEFAULT_USER = "admin"
DEFAULT_PASSWORD = "123456789"
CIPHER_KEY = b"!" * 16
BFGMINER_VERSION = "5.4.2"
RPC_DESCRIPTION = f"bfgminer {BFGMINER_VERSION}"
API_VERSION = "3.1"
LEVEL_NORMAL, LEVEL_ECO, LEVEL_SLEEP = 0, 1, 3
ECO_HASHRATE, ECO_POWER = 0.8, 0.7  # level 1 against level 0 (assumed)
MAX_POOLS = 3
SETTINGS_VERSION = "v2.1"
TEMP_TARGETS = [65.0, 75.0]
AMBIENT = 25.0
UPLOAD_CHUNK = 64 * 1024
FIRMWARE_NAME = re.compile(r"(\d+\.\d+\.\d+)")
PLAN_TEXT = re.compile(r"([0-9.]+)\s*MHz\s+([0-9.]+)\s*V", re.IGNORECASE)
SHARE_DIFFICULTY = {"blake2s(KDA)": 2.0**32 * 4096, "scrypt(LTC)": 2.0**16 * 512}
PRIVILEGED_COMMANDS = frozenset(
    {
        "addpool",
        "removepool",
        "switchpool",
        "enablepool",
        "disablepool",
        "poolpriority",
        "poolquota",
        "restart",
        "quit",
        "save",
        "setconfig",
        "zero",
        "pgaenable",
        "pgadisable",
        "pgaidentify",
        "pgaset",
    }
)
ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>cloud-box</title>
<link rel="icon" href="/favicon.ico"></head>
<body><noscript>Please enable JavaScript.</noscript><div id="app"></div>
<script src="/js/chunk-vendors.js"></script><script src="/js/app.js"></script></body>
</html>
"""
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def encrypt_password(password: str) -> str:
    """What the stock page sends with ``cipher=true``."""
    data = password.encode()
    data += b"\0" * (-len(data) % 16)
    encryptor = Cipher(algorithms.AES(CIPHER_KEY), modes.CBC(b"\0" * 16)).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def decrypt_password(text: str) -> str | None:
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    if not data or len(data) % 16:
        return None
    decryptor = Cipher(algorithms.AES(CIPHER_KEY), modes.CBC(b"\0" * 16)).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    return plain.rstrip(b"\0").decode("utf-8", "replace")


def plan_text(frequency: float, voltage: float, fan: int = 100) -> str:
    return f"{frequency:g} MHz {voltage:g} V {fan} RPM {fan} RPM"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class GoldshellPhysics(Physics):
    """Per-board rates, chip and board temperatures and fans, following the power plan."""

    def __init__(self, model: GoldshellModel, seed: str) -> None:
        profile = PowerProfile(
            default_frequency=model.frequency,
            default_voltage=1,
            nominal_power=model.nominal_power,
            idle_power=model.idle_power,
            input_voltage=12_000.0,
        )
        super().__init__(profile, seed)
        self.model = model
        self.scale = 1.0  # hashrate against level 0
        self.power_scale = 1.0
        self.board_rates: list[float] = [0.0] * model.boards
        self.chip_temps: list[tuple[float, float]] = [(AMBIENT, AMBIENT)] * model.boards
        self.board_temps: list[float] = [AMBIENT] * model.boards
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
        # The fan daemon steers the board sensor toward temp_target; fans follow the load.
        fan = min(100.0, max(20.0, 30 + 70 * load * (65 / max(state.temp_target, 40))))
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        board = AMBIENT + 34 * load / factor * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.8)
        self.board_temps = [board + rng.uniform(-1.5, 1.5) for _ in range(model.boards)]
        self.chip_temps = [
            (temp + 7 * load + rng.uniform(0, 2), temp + 10 * load + rng.uniform(0, 2))
            for temp in self.board_temps
        ]
        state.vr_temp = max(self.board_temps)
        state.temp = max(high for _low, high in self.chip_temps)
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
        difficulty = SHARE_DIFFICULTY.get(self.model.algorithm, 2.0**32)
        self._credit += state.hashrate * 1e6 * elapsed / difficulty
        found = math.floor(self._credit)
        if found <= 0:
            return
        self._credit -= found
        rejected = sum(1 for _ in range(found) if self.rng.random() < 0.01)
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        self.hardware_errors += sum(1 for _ in range(found) if self.rng.random() < 0.002)
        best = 1 / max(1 - self.rng.random() ** (1 / found), 1e-12)
        state.best_session_diff = max(state.best_session_diff, best)
        state.best_diff = max(state.best_diff, best)

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self.hardware_errors = 0
        self._credit = 0.0


class GoldshellMiner(SimulatedMiner):
    """A Goldshell box or rack miner on the stock firmware (2.2.x)."""

    family = "goldshell"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80, RPC: 4028}
    default_model: ClassVar[str] = "KD Box II"

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> GoldshellModel:
        if self.spec.model == MinerSpec().model:  # a spec that names no model
            return find_model(self.default_model)
        return find_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return seeded_mac("28:E2:97", seed, salt="goldshell-mac")

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password or DEFAULT_PASSWORD
        self.firmware = spec.firmware or model.firmware
        self.plans = [
            {"level": LEVEL_NORMAL, "info": plan_text(model.frequency, model.voltage)},
            {
                "level": LEVEL_ECO,
                "info": plan_text(round(model.frequency * 0.85), round(model.voltage * 0.93, 2)),
            },
            {"level": LEVEL_SLEEP, "info": plan_text(0, 0)},
        ]
        self.setting: dict[str, Any] = self.default_setting(mac)
        self.pools: list[dict[str, str]] = self.default_pools(mac)
        self.last_upload: dict[str, Any] | None = None
        return MinerState(
            mac=mac,
            hostname=spec.hostname or mac,
            model=model.status_model,
            version=self.firmware,
            www_version=self.firmware,
            board_version=model.hardware,
            asic_model=model.algorithm,
            asic_count=model.chips,
            small_core_count=0,
            frequency=float(model.frequency),
            core_voltage=round(model.voltage * 1000),
            pools=[],
            temp_target=65,
        )

    def default_setting(self, mac: str) -> dict[str, Any]:
        return {
            "select": 0,
            "tempcontrol": True,
            "ledcontrol": False,
            "manualPowerplan": self.plans[0]["info"],
            "name": self.spec.hostname or mac,
            "powerplans": [dict(plan) for plan in self.plans],
            "manual": False,
            "temp_targets": list(TEMP_TARGETS),
            "version": SETTINGS_VERSION,
            "temp_target": 65,
        }

    def default_pools(self, mac: str) -> list[dict[str, str]]:
        worker = f"simulated.{mac.replace(':', '')[-4:].lower()}"
        coin = "kda" if "KDA" in self.board.algorithm else "ltc"
        return [
            {"url": f"stratum+tcp://{coin}.f2pool.com:5400", "user": worker, "pass": "x"},
            {"url": f"stratum+tcp://{coin}.poolflare.net:443", "user": worker, "pass": "x"},
        ]

    def make_physics(self) -> Physics:
        return GoldshellPhysics(self.board, self.seed)

    @property
    def goldshell_physics(self) -> GoldshellPhysics:
        assert isinstance(self.physics, GoldshellPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    @property
    def rpc_description(self) -> str:
        return RPC_DESCRIPTION

    @property
    def led_on(self) -> bool:
        return bool(self.setting["ledcontrol"])

    def tick(self) -> None:
        self._sync_settings()
        super().tick()

    def _sync_settings(self) -> None:
        state, model = self._state, self.board
        scale, power_scale = 1.0, 1.0
        if self.setting["manual"]:
            match = PLAN_TEXT.search(str(self.setting["manualPowerplan"]))
            frequency = float(match.group(1)) if match else model.frequency
            voltage = float(match.group(2)) if match else model.voltage
            scale = frequency / model.frequency
            power_scale = scale * (voltage / model.voltage) ** 2 if voltage else 0.0
        else:
            level = self.setting["powerplans"][self.setting["select"]]["level"]
            if level == LEVEL_ECO:
                scale, power_scale = ECO_HASHRATE, ECO_POWER
            elif level == LEVEL_SLEEP:
                scale, power_scale = 0.0, 0.0
        state.frequency = model.frequency * scale
        state.temp_target = int(self.setting["temp_target"])
        state.pools = [_pool_state(pool) for pool in self.pools]
        if isinstance(self.physics, GoldshellPhysics):
            self.physics.scale = max(scale, 0.0)
            self.physics.power_scale = max(power_scale, 0.0)

    @property
    def token(self) -> str:
        """The JWT: the same at every login (no expiry, no nonce), as the firmware's is."""
        header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps({"username": self.username}).encode())
        signature = _b64url(
            hashlib.sha512(f"{self.seed}:{self.username}:{self.password}".encode()).digest() * 4
        )
        return f"{header}.{payload}.{signature}"

    def on_boot(self) -> None:
        self.setting["ledcontrol"] = False

    # --- web --------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path in ("/", "/index.html"):
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        if path == "/user/login":
            return self.web_login(request)
        if path == "/user/logout":
            return _json({})
        if path == "/mcb/status":  # answers without a login
            return _json(self.status())
        route = self.routes().get((request.method, path))
        if route is None:
            if path.startswith(("/mcb/", "/user/")):
                return web.Response(status=404, text="404 page not found")
            return web.Response(text=ROOT_PAGE, content_type="text/html")  # the page's router
        if not self._authorised(request):
            return web.Response(status=401, text="Check Token Error")
        return await route(request)

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/mcb/setting"): self.web_get_setting,
            ("PUT", "/mcb/setting"): self.web_put_setting,
            ("GET", "/mcb/pools"): self.web_get_pools,
            ("PUT", "/mcb/pools"): self.web_put_pools,
            ("PUT", "/mcb/newpool"): self.web_newpool,
            ("PUT", "/mcb/delpool"): self.web_delpool,
            ("PUT", "/mcb/restart"): self.web_restart,
            ("GET", "/mcb/restart"): self.web_nothing,
            ("GET", "/mcb/cgminer"): self.web_cgminer,
            ("GET", "/mcb/algosetting"): self.web_algosetting,
            ("PUT", "/user/updatepd"): self.web_update_password,
            ("POST", "/mcb/uploadimage"): self.web_upload,
        }

    def _authorised(self, request: web.BaseRequest) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ").strip() == self.token

    def web_login(self, request: web.BaseRequest) -> web.Response:
        query = request.query
        password = query.get("password", "")
        if query.get("cipher", "false").lower() == "true":
            password = decrypt_password(password) or ""
        if query.get("username") != self.username or password != self.password:
            return web.json_response(
                {"error": "username or password error"}, status=401
            )  # the text is assumed
        return _json({"JWT Token": self.token})

    def status(self) -> dict[str, Any]:
        model = self.board
        return {
            "hardware": model.hardware,
            "model": model.status_model,
            "mcbversion": model.mcb_version,
            "firmware": self.firmware,
        }

    async def web_nothing(self, _request: web.BaseRequest) -> web.Response:
        return _json({})

    async def web_get_setting(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.setting)

    async def web_put_setting(self, request: web.BaseRequest) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid json")
        setting = dict(self.setting)
        select = body.get("select", setting["select"])
        if not isinstance(select, int) or not 0 <= select < len(setting["powerplans"]):
            return web.Response(status=400, text="invalid select")
        setting["select"] = select
        for key in ("manual", "ledcontrol", "tempcontrol"):
            if isinstance(body.get(key), bool):
                setting[key] = body[key]
        plan = body.get("manualPowerplan")
        if isinstance(plan, str):
            if PLAN_TEXT.search(plan) is None:
                return web.Response(status=400, text="invalid powerplan")
            setting["manualPowerplan"] = plan
        target = body.get("temp_target")
        if isinstance(target, (int, float)) and not isinstance(target, bool):
            low, high = TEMP_TARGETS
            setting["temp_target"] = round(min(high, max(low, float(target))))
        self.setting = setting
        return _json({})

    async def web_get_pools(self, _request: web.BaseRequest) -> web.Response:
        return _json(self.pool_list())

    def pool_list(self) -> list[dict[str, Any]]:
        mining = not self._state.paused
        return [
            {
                "url": pool["url"],
                "legal": True,
                "active": index == 0 and mining,
                "dragid": index,
                "user": pool["user"],
                "pool-priority": index,
                "pass": pool["pass"],
            }
            for index, pool in enumerate(self.pools)
        ]

    async def web_put_pools(self, request: web.BaseRequest) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, list) or len(body) > MAX_POOLS:
            return web.Response(status=400, text="invalid pools")
        pools = [_pool_of(entry) for entry in body]
        if any(pool is None for pool in pools):
            return web.Response(status=400, text="invalid pools")
        self.pools = [pool for pool in pools if pool is not None]
        return _json({})

    async def web_newpool(self, request: web.BaseRequest) -> web.Response:
        pool = _pool_of(await _json_body(request))
        if pool is None:
            return web.Response(status=400, text="invalid pool")
        if len(self.pools) >= MAX_POOLS:
            return web.Response(status=400, text="pool list full")
        self.pools.append(pool)
        return _json({})

    async def web_delpool(self, request: web.BaseRequest) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid pool")
        dragid = body.get("dragid")
        for index, pool in enumerate(self.pools):
            if (dragid is None or dragid == index) and pool["url"] == body.get("url"):
                del self.pools[index]
                return _json({})
        return web.Response(status=400, text="pool not found")

    async def web_restart(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self.respond_then_reboot(request, web.Response(text=""))

    async def web_cgminer(self, request: web.BaseRequest) -> web.Response:
        command = request.query.get("cgminercmd", "")
        if command == "devs":
            return _json({"status": 2, "data": self.web_devs()})
        answer = self.handle_rpc(rpc.RpcRequest(command))
        return _json(answer if isinstance(answer, dict) else {})

    def web_devs(self) -> list[dict[str, Any]]:
        state, physics = self._state, self.goldshell_physics
        fans = " / ".join(f"{rpm} rpm" for rpm in physics.fan_rpms)
        boards = self.board.boards
        rows = []
        for index, rate in enumerate(physics.board_rates):
            high = physics.chip_temps[index][1]
            accepted = state.shares_accepted // boards
            rows.append(
                {
                    "valid": self.board.chips_per_board,
                    "av_hashrate": round(state.hashrate_10m / boards, 3),
                    "rejected": state.shares_rejected // boards,
                    "time": int(state.uptime),
                    "id": index,
                    "powerplan": self.setting["select"],
                    "hwerrors": physics.hardware_errors // boards,
                    "fanspeed": fans,
                    "accepted": accepted,
                    "hwerr_ration": round(physics.hardware_errors / max(accepted, 1) / boards, 6),
                    "nonces": accepted + physics.hardware_errors // boards,
                    "hashrate": round(rate, 3),
                    "temp": f"{high:.1f} °C / {physics.board_temps[index]:.1f} °C",
                    "minerstatus": 0 if rate > 0 else 1,
                }
            )
        return rows

    async def web_algosetting(self, _request: web.BaseRequest) -> web.Response:
        return _json({"algosel": 0, "algos": [{"id": 0, "name": self.board.algorithm}]})

    async def web_update_password(self, request: web.BaseRequest) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid json")
        old, new = body.get("oldpassword"), body.get("newpassword")
        if old != self.password or not isinstance(new, str) or not new:
            return web.json_response({"error": "old password error"}, status=400)
        self.password = new
        return _json({})

    async def web_upload(self, request: web.BaseRequest) -> web.StreamResponse:
        """A multipart upload of a ``.cpio`` image whose name carries its version (assumed)."""
        if not request.content_type.startswith("multipart/"):
            return web.Response(status=400, text="no file")
        reader = await request.multipart()
        filename: str | None = None
        size = 0
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.filename is None:
                continue
            filename = part.filename
            while chunk := await part.read_chunk(UPLOAD_CHUNK):
                size += len(chunk)
        if filename is None or size == 0:
            return web.Response(status=400, text="no file")
        self.last_upload = {"filename": filename, "size": size}
        version = FIRMWARE_NAME.search(filename)
        if (
            not filename.endswith(".cpio")
            or version is None
            or self.has_fault(Fault.FIRMWARE_REJECTED)
        ):
            return web.Response(status=400, text="upgrade failed: invalid image")
        self._state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            self.firmware = version.group(1)
            self._state.version = self.firmware
        return await self.respond_then_reboot(
            request, _json({}), stay_down=self.has_fault(Fault.NEVER_RETURNS)
        )

    # --- RPC --------------------------------------------------------------------------------

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
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
        info = {"Miner": RPC_DESCRIPTION, "CGMiner": BFGMINER_VERSION, "API": API_VERSION}
        return rpc.reply("VERSION", [info], rpc.CODE_VERSION, "BFGMiner versions", RPC_DESCRIPTION)

    def rpc_summary(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        elapsed = int(state.uptime)
        accepted, rejected = state.shares_accepted, state.shares_rejected
        minutes = max(state.uptime / 60, 1 / 60)
        summary = {
            "Elapsed": elapsed,
            "MHS av": round(state.hashrate_10m, 3),
            "MHS 20s": round(state.hashrate, 3),
            "Found Blocks": 0,
            "Getworks": 1 + elapsed // 30,
            "Accepted": accepted,
            "Rejected": rejected,
            "Hardware Errors": self.goldshell_physics.hardware_errors,
            "Utility": round(accepted / minutes, 3),
            "Discarded": elapsed * 3,
            "Stale": 0,
            "Get Failures": 0,
            "Local Work": elapsed * 40,
            "Remote Failures": 0,
            "Network Blocks": 1 + elapsed // 30,
            "Total MH": round(state.hashrate_10m * state.uptime, 4),
            "Diff1 Work": accepted,
            "Work Utility": round(accepted / minutes, 3),
            "Difficulty Accepted": float(accepted),
            "Difficulty Rejected": float(rejected),
            "Difficulty Stale": 0.0,
            "Best Share": round(state.best_session_diff),
            "Device Hardware%": 0.0,
            "Device Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
            "Pool Stale%": 0.0,
            "Last getwork": int(time.time()),
        }
        return rpc.reply("SUMMARY", [summary], rpc.CODE_SUMMARY, "Summary", RPC_DESCRIPTION)

    def _device_name(self) -> str:
        return "KDA" if "KDA" in self.board.algorithm else "LTC"

    def rpc_devs(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state, physics, model = self._state, self.goldshell_physics, self.board
        now = int(time.time())
        devices = []
        for index, rate in enumerate(physics.board_rates):
            low, high = physics.chip_temps[index]
            accepted = state.shares_accepted // model.boards
            device: dict[str, Any] = {
                "PGA": index,
                "Name": self._device_name(),
                "ID": index,
                "Enabled": "Y",
                "Status": "Alive" if rate > 0 else "Dead",
                "Temperature": round(high, 2),
                "Device Elapsed": int(state.uptime),
                "MHS av": round(state.hashrate_10m / model.boards, 3),
                "MHS 20s": round(rate, 3),
                "MHS rolling": round(rate, 3),
                "Accepted": accepted,
                "Rejected": state.shares_rejected // model.boards,
                "Hardware Errors": physics.hardware_errors // model.boards,
                "Utility": round(accepted / max(state.uptime / 60, 1 / 60), 3),
                "Stale": 0,
                "Last Share Pool": 0 if accepted else -1,
                "Last Share Time": now if accepted else 0,
                "Total MH": round(rate * state.uptime, 4),
                "Diff1 Work": accepted,
                "Work Utility": round(accepted / max(state.uptime / 60, 1 / 60), 3),
                "Difficulty Accepted": float(accepted),
                "Difficulty Rejected": 0.0,
                "Difficulty Stale": 0.0,
                "Last Share Difficulty": 1.0 if accepted else 0.0,
                "Last Valid Work": now,
                "Device Hardware%": 0.0,
                "Device Rejected%": 0.0,
                "clock": round(state.frequency),
                "voltage": round(state.core_voltage / 1000 * (1 if rate > 0 else 0), 3),
            }
            for fan, rpm in enumerate(physics.fan_rpms):
                device[f"fan{fan}"] = rpm
            device |= {
                "tstemp-0": round(low, 2),
                "tstemp-1": round(high, 2),
                "tstemp-2": round(physics.board_temps[index], 2),
                "overheat": 0,
                "rebootcnt": 0,
                "estimate_hash_rate": round(model.nominal_mhs * 1e6 / model.boards),
            }
            devices.append(device)
        return rpc.reply("DEVS", devices, rpc.CODE_DEVS, f"{len(devices)} PGA(s)", RPC_DESCRIPTION)

    def rpc_devdetails(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        model = self.board
        details = [
            {
                "DEVDETAILS": index,
                "Name": self._device_name(),
                "ID": index,
                "Processors": 1,
                "Driver": "goldshell",
                "Model": model.status_model,
                "chips-nr": model.chips_per_board,
            }
            for index in range(model.boards)
        ]
        return rpc.reply("DEVS", details, 69, "Device Details", RPC_DESCRIPTION)

    def rpc_pools(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        state = self._state
        entries = []
        for index, pool in enumerate(self.pools):
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
                    "Getworks": 1 + int(state.uptime) // 30 if active else 0,
                    "Accepted": accepted,
                    "Rejected": rejected,
                    "Works": accepted,
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
                    "Best Share": round(state.best_session_diff) if active else 0,
                    "Pool Rejected%": round(100 * rejected / max(accepted + rejected, 1), 4),
                    "Pool Stale%": 0.0,
                }
            )
        return rpc.reply(
            "POOLS", entries, rpc.CODE_POOLS, f"{len(entries)} Pool(s)", RPC_DESCRIPTION
        )

    def rpc_stats(self, _request: rpc.RpcRequest) -> dict[str, Any]:
        physics = self.goldshell_physics
        stats = []
        for index in range(self.board.boards):
            entry: dict[str, Any] = {
                "STATS": index,
                "ID": f"{self._device_name()}{index}",
                "Elapsed": int(self._state.uptime),
                "Calls": 0,
                "Wait": 0.0,
                "Max": 0.0,
                "Min": 99999999.0,
            }
            for fan, rpm in enumerate(physics.fan_rpms):
                entry[f"fan{fan}"] = rpm
            stats.append(entry)
        return rpc.reply("STATS", stats, rpc.CODE_STATS, "BFGMiner stats", RPC_DESCRIPTION)


# --- helpers -----------------------------------------------------------------------------------


def _json(payload: Any) -> web.Response:
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False), content_type="application/json"
    )


async def _json_body(request: web.BaseRequest) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except ValueError:
        return None


def _pool_of(entry: Any) -> dict[str, str] | None:
    if not isinstance(entry, dict):
        return None
    url, user = entry.get("url"), entry.get("user")
    password = entry.get("pass", "")
    if not isinstance(url, str) or not url or not isinstance(user, str):
        return None
    return {"url": url, "user": user, "pass": str(password)}


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


GOLDSHELL_MODEL_NAMES = tuple(model.name for model in GOLDSHELL_MODELS)
