"""IceRiver (KS0 … KS5M): the stock web UI's form posts to ``/user/*`` on port 80.

Every call is a POST whose form (or query) carries ``post=<n>`` choosing the action:
``loginpost`` post=6 (``user``, ``pwd``) opens a cookie session; ``userpanel`` post=4 reads the
whole status, post=5 (``locate`` 1/0) switches the locate LED, post=3 reboots;
``machineconfig`` post=1 reads pools, fan ratio, mode and LED, post=2/3 write them (pools as
``pool{1-3}address/miner/pwd``, ``fanratio``, ``fanmode`` normal|sleep); ``ipconfig`` post=1
reads the network; ``systemconfig`` post=2 (``nowpwd``, ``newpwd``, ``compwd``) changes the
password. Replies are ``{"error": 0, "data": {…}, "message": ""}``. There is no RPC port.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import secrets
import time
from typing import Any, ClassVar

from aiohttp import web

from ..identity import seeded_mac
from ..miner import WEB, SimulatedMiner
from ..physics import FAN_FLOOR, Physics, PowerProfile
from ..spec import MinerSpec
from ..state import MinerState, PoolState
from .iceriver_models import ICERIVER_MODELS, IceRiverModel, find_model

DEFAULT_USER = "admin"
DEFAULT_PASSWORD = "12345678"
SESSION_COOKIE = "sessionid"  # the cookie's name is assumed
SESSION_LIFETIME = 1800.0  # idle seconds before a session ends (assumed)
MODE_SLEEP, MODE_NORMAL = 0, 1
POOL_DIFFICULTY_G = 140737.49  # the recorded KS5L's pool difficulty, in G
AMBIENT = 25.0
HISTORY_POINTS = 12
# (path, post) pairs that change the miner: these need a session; reads do not (see README)
WRITES = frozenset(
    {
        ("/user/userpanel", "3"),
        ("/user/userpanel", "5"),
        ("/user/machineconfig", "2"),
        ("/user/machineconfig", "3"),
        ("/user/systemconfig", "2"),
    }
)
ROOT_PAGE = """<!DOCTYPE html>
<HTML>
<HEAD><META http-equiv="Content-Type" content="text/html; charset=utf-8">
<TITLE>用户界面</TITLE>
<script src="/js/jquery.min.js"></script><script src="/js/index.js"></script></HEAD>
<BODY><div id="login"></div></BODY>
</HTML>
"""


class IceRiverPhysics(Physics):
    """Per-board rates and temperatures; sleep stops the boards."""

    def __init__(self, model: IceRiverModel, seed: str) -> None:
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
        self.min_fan = 0
        self.board_rates: list[float] = [0.0] * model.boards
        self.board_temps: list[tuple[float, float]] = [(AMBIENT, AMBIENT)] * model.boards
        self.fan_rpms: list[int] = [0] * model.fans
        self.history: list[list[int]] = [[] for _ in range(model.boards)]
        self._credit = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        model, rng = self.model, self.rng
        mining = self.mode == MODE_NORMAL
        state.paused = not mining
        state.expected_hashrate = model.nominal_ghs if mining else 0.0
        if mining:
            state.hashrate = model.nominal_ghs * rng.uniform(0.97, 1.03)
            state.hashrate_1h = model.nominal_ghs * rng.uniform(0.99, 1.01)
            state.power = model.nominal_power * rng.uniform(0.99, 1.01)
        else:
            state.hashrate = state.hashrate_1h = 0.0
            state.power = model.idle_power * rng.uniform(0.95, 1.05)
        load = state.power / model.nominal_power
        fan = max(float(self.min_fan), 15.0 if not mining else min(100.0, 40 + 60 * load))
        state.fan_percent = round(fan)
        factor = FAN_FLOOR + (1 - FAN_FLOOR) * fan / 100
        inlet = AMBIENT + 30 * load / factor * (FAN_FLOOR + (1 - FAN_FLOOR) * 0.85)
        self.board_temps = [
            (inlet + rng.uniform(-2, 2), inlet + 4 * load + rng.uniform(0, 3))
            for _ in range(model.boards)
        ]
        state.vr_temp = max(low for low, _high in self.board_temps)
        state.temp = max(high for _low, high in self.board_temps)
        self.fan_rpms = [
            round(model.max_fan_rpm * fan / 100 * rng.uniform(0.98, 1.0) / 5) * 5
            for _ in range(model.fans)
        ]
        state.fan_rpm = self.fan_rpms[0]
        per_board = state.hashrate / model.boards
        self.board_rates = [
            per_board * rng.uniform(0.95, 1.05) if mining else 0.0 for _ in range(model.boards)
        ]
        for history, rate in zip(self.history, self.board_rates, strict=True):
            history.append(round(rate))
            del history[:-HISTORY_POINTS]
        state.uptime += elapsed
        if mining and elapsed > 0:
            self._credit += state.hashrate * elapsed / POOL_DIFFICULTY_G
            found = math.floor(self._credit)
            if found > 0:
                self._credit -= found
                state.shares_accepted += found

    def reset_session(self, state: MinerState) -> None:
        super().reset_session(state)
        self._credit = 0.0
        self.history = [[] for _ in range(self.model.boards)]


class IceRiverMiner(SimulatedMiner):
    """An IceRiver KS-series miner on its stock firmware."""

    family = "iceriver"
    real_ports: ClassVar[dict[str, int]] = {WEB: 80}
    default_model: ClassVar[str] = "KS5L"
    session_lifetime: float = SESSION_LIFETIME

    @property
    def board(self) -> IceRiverModel:
        if self.spec.model == MinerSpec().model:
            return find_model(self.default_model)
        return find_model(self.spec.model)

    @property
    def model_name(self) -> str:
        return self.board.name

    @classmethod
    def make_mac(cls, seed: str) -> str:
        return seeded_mac("52:8C:03", seed, salt="iceriver-mac")

    def initial_state(self, mac: str) -> MinerState:
        model, spec = self.board, self.spec
        self.username = spec.username or DEFAULT_USER
        self.password = spec.password or DEFAULT_PASSWORD
        self.sessions: dict[str, float] = {}  # cookie value -> last use (monotonic)
        self.locate = False
        self.fan_ratio = 0
        self.mode = MODE_NORMAL
        worker = f"kaspa:qsimulated{mac.replace(':', '')[-4:].lower()}.worker_1"
        self.pools: list[dict[str, str]] = [
            {"addr": "stratum+tcp://asia1.kaspa-pool.org:4441", "user": worker, "pass": "x"},
            {"addr": "stratum+tcp://eu1.kaspa-pool.org:4441", "user": worker, "pass": "x"},
            {"addr": "", "user": "", "pass": ""},
        ]
        self.softver1 = spec.firmware or model.softver1
        serial = hashlib.sha256(f"host:{self.seed}".encode()).hexdigest().upper()
        return MinerState(
            mac=mac,
            hostname=spec.hostname or f"{serial[:5]}_{serial[5:11]}",
            model=model.name,
            version=self.softver1,
            www_version=model.softver2,
            board_version="BOOT_3_1",
            asic_model="kHeavyHash",
            asic_count=model.boards * model.chips_per_board,
            small_core_count=0,
            frequency=float(model.frequency),
            core_voltage=0,
            pools=[],
        )

    def make_physics(self) -> Physics:
        return IceRiverPhysics(self.board, self.seed)

    @property
    def iceriver_physics(self) -> IceRiverPhysics:
        assert isinstance(self.physics, IceRiverPhysics)
        return self.physics

    def credentials(self) -> dict[str, str] | None:
        return {"username": self.username, "password": self.password}

    def tick(self) -> None:
        if isinstance(self.physics, IceRiverPhysics):
            self.physics.mode = self.mode
            self.physics.min_fan = self.fan_ratio
        self._state.pools = [_pool_state(pool) for pool in self.pools if pool["addr"]]
        super().tick()

    def on_boot(self) -> None:
        self.locate = False
        self.sessions.clear()

    # --- web --------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/user/"):
            return web.Response(text=ROOT_PAGE, content_type="text/html")
        if request.method != "POST":
            return web.Response(status=405, text="405 Method Not Allowed")
        fields: dict[str, str] = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            fields |= {key: str(value) for key, value in form.items()}
        post = fields.get("post", "")
        if path == "/user/loginpost" and post == "6":
            return self.login(fields)
        if (path, post) in WRITES and not self._session_ok(request):
            return _reply({}, error=-1, message="not login")
        match path, post:
            case "/user/userpanel", "4":
                return _reply(self.userpanel())
            case "/user/machineconfig", "1":
                return _reply(self.machine_config())
            case "/user/ipconfig", "1":
                return _reply(self.net_info())
            case "/user/userpanel", "5":
                self.locate = fields.get("locate") == "1"
                return _reply({})
            case "/user/userpanel", "3":
                return await self.respond_then_reboot(request, _reply({}))
            case "/user/machineconfig", "2" | "3":
                return self.set_machine_config(fields)
            case "/user/systemconfig", "2":
                return self.change_password(fields)
        return _reply({}, error=1, message="unknown request")

    def login(self, fields: dict[str, str]) -> web.Response:
        if fields.get("user") != self.username or fields.get("pwd") != self.password:
            return _reply({}, error=1, message="user or password error")
        session = secrets.token_hex(16)
        self.sessions[session] = time.monotonic()
        response = _reply({})
        response.set_cookie(SESSION_COOKIE, session, path="/")
        return response

    def _session_ok(self, request: web.BaseRequest) -> bool:
        session = request.cookies.get(SESSION_COOKIE, "")
        last = self.sessions.get(session)
        now = time.monotonic()
        if last is None or now - last > self.session_lifetime:
            self.sessions.pop(session, None)
            return False
        self.sessions[session] = now
        return True

    def net_info(self) -> dict[str, Any]:
        state = self._state
        return {
            "nic": "eth0",
            "mac": state.mac.lower().replace(":", "-"),
            "ip": self.host,
            "netmask": "255.255.255.0",
            "host": state.hostname,
            "dhcp": True,
            "gateway": "192.168.1.1",
            "dns": "192.168.1.1",
        }

    def userpanel(self) -> dict[str, Any]:
        state, physics, model = self._state, self.iceriver_physics, self.board
        history = {
            f"board{index + 1}": list(points) for index, points in enumerate(physics.history)
        }
        longest = max((len(points) for points in physics.history), default=0)
        mining = not state.paused
        total = state.shares_accepted + state.shares_rejected
        return {
            "model": "none",
            "algo": "none",
            "online": mining,
            "firmver1": "BOOT_3_1",
            "firmver2": "image_1.0",
            "softver1": self.softver1,
            "softver2": model.softver2,
            "firmtype": "Factory",
            **self.net_info(),
            "locate": self.locate,
            "rtpow": f"{state.hashrate:.0f}G",
            "avgpow": f"{state.hashrate_1h:.0f}G",
            "reject": round(100 * state.shares_rejected / total, 6) if total else 0.0,
            "runtime": _runtime(state.uptime),
            "unit": "G",
            "pows": history,
            "pows_x": [f"{index * 5} mins" for index in range(longest)],
            "powstate": mining,
            "netstate": True,
            "fanstate": True,
            "tempstate": state.temp < 90,
            "fans": physics.fan_rpms,
            "pools": self.pool_entries(),
            "boards": [
                {
                    "no": float(index + 1),
                    "chipnum": float(model.chips_per_board),
                    "chipsuc": float(model.chips_per_board if mining else 0),
                    "error": 0.0,
                    "freq": float(model.frequency if mining else 0),
                    "rtpow": f"{rate:.2f}G",
                    "avgpow": f"{rate * 0.99:.2f}G",
                    "idealpow": f"{model.nominal_ghs / model.boards:.2f}G",
                    "tempnum": "(null)",
                    "pcbtemp": "0.00-0.00-0.00-0.00",
                    "intmp": float(round(physics.board_temps[index][0])),
                    "outtmp": float(round(physics.board_temps[index][1])),
                    "state": rate > 0,
                    "false": [],
                }
                for index, rate in enumerate(physics.board_rates)
            ],
            "refTime": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }

    def pool_entries(self) -> list[dict[str, Any]]:
        state = self._state
        entries = []
        for index, pool in enumerate(self.pools):
            active = index == 0 and bool(pool["addr"]) and not state.paused
            entries.append(
                {
                    "no": float(index + 1),
                    "addr": pool["addr"],
                    "user": pool["user"],
                    "pass": pool["pass"],
                    "connect": 1.0 if active else -1.0,
                    "diff": f"{POOL_DIFFICULTY_G if active else 0:.2f} G",
                    "priority": float(index + 1),
                    "accepted": float(state.shares_accepted if active else 0),
                    "rejected": float(state.shares_rejected if active else 0),
                    "diffa": 0.0,
                    "diffr": 0.0,
                    "state": 1.0 if active else 0.0,
                    "lsdiff": 0.0,
                    "lstime": "00:00:00",
                }
            )
        return entries

    def machine_config(self) -> dict[str, Any]:
        return {
            "pools": [dict(pool) for pool in self.pools],
            "ratio": self.fan_ratio,
            "mode": self.mode,
            "locate": int(self.locate),
        }

    def set_machine_config(self, fields: dict[str, str]) -> web.Response:
        mode = fields.get("fanmode")
        if mode is not None and mode not in ("normal", "sleep"):
            return _reply({}, error=1, message="invalid fanmode")
        ratio = fields.get("fanratio")
        if ratio is not None:
            if not ratio.isdigit() or int(ratio) > 100:
                return _reply({}, error=1, message="invalid fanratio")
            self.fan_ratio = int(ratio)
        if mode is not None:
            self.mode = MODE_NORMAL if mode == "normal" else MODE_SLEEP
        for index in range(3):
            prefix = f"pool{index + 1}"
            if f"{prefix}address" in fields:
                self.pools[index] = {
                    "addr": fields[f"{prefix}address"],
                    "user": fields.get(f"{prefix}miner", ""),
                    "pass": fields.get(f"{prefix}pwd", ""),
                }
        return _reply({})

    def change_password(self, fields: dict[str, str]) -> web.Response:
        new = fields.get("newpwd", "")
        if fields.get("nowpwd") != self.password:
            return _reply({}, error=1, message="old password error")
        if not new or new != fields.get("compwd"):
            return _reply({}, error=1, message="password mismatch")
        self.password = new
        return _reply({})


def _reply(data: dict[str, Any], *, error: int = 0, message: str = "") -> web.Response:
    body = {"error": error, "data": data, "message": message}
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _runtime(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days:02d}:{hours:02d}:{minutes:02d}:{secs:02d}"


def _pool_state(pool: dict[str, str]) -> PoolState:
    address = pool["addr"].split("://", 1)[-1]
    host, _, port = address.partition(":")
    return PoolState(
        url=host, port=int(port) if port.isdigit() else 0, user=pool["user"], password=pool["pass"]
    )


ICERIVER_MODEL_NAMES = tuple(model.name for model in ICERIVER_MODELS)
