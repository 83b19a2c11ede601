"""A small HTTP endpoint to list the simulated miners and break or mend them (for the demo).

GET /miners                       every miner, with status and faults
GET /miners/{id}                  one miner ({id}: MAC, host, host:port or hostname)
POST /miners/{id}/fault           body {"fault": "offline", "delay": 3, "path": "/api/system/info"}
DELETE /miners/{id}/fault         clear all faults (or ?fault=NAME for one)
POST /miners/{id}/reboot          reboot now
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .faults import Fault
from .miner import SimulatedMiner
from .simulator import Simulator

SIMULATOR_KEY: web.AppKey[Simulator] = web.AppKey("simulator", Simulator)


def _reply(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, dumps=lambda data: json.dumps(data, indent=1))


def _miner(request: web.Request) -> SimulatedMiner:
    key = request.match_info["miner"]
    miner = request.app[SIMULATOR_KEY].find(key)
    if miner is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"no simulated miner {key!r}"}),
            content_type="application/json",
        )
    return miner


async def list_miners(request: web.Request) -> web.Response:
    return _reply([miner.describe() for miner in request.app[SIMULATOR_KEY].miners])


async def show_miner(request: web.Request) -> web.Response:
    return _reply(_miner(request).describe())


async def set_fault(request: web.Request) -> web.Response:
    miner = _miner(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "fault" not in body:
        return _reply({"error": 'send {"fault": NAME}', "faults": [f.value for f in Fault]}, 400)
    delay, path = body.get("delay"), body.get("path")
    try:
        miner.set_fault(
            Fault(str(body["fault"]).lower()),
            delay=float(delay) if delay is not None else None,
            path=str(path) if path is not None else None,
        )
    except (ValueError, TypeError) as err:
        return _reply({"error": str(err), "faults": [fault.value for fault in Fault]}, 400)
    return _reply(miner.describe())


async def clear_fault(request: web.Request) -> web.Response:
    miner = _miner(request)
    name = request.query.get("fault")
    try:
        miner.clear_fault(Fault(name.lower()) if name else None)
    except ValueError as err:
        return _reply({"error": str(err)}, 400)
    return _reply(miner.describe())


async def reboot(request: web.Request) -> web.Response:
    miner = _miner(request)
    miner.reboot()
    return _reply(miner.describe())


def control_app(simulator: Simulator) -> web.Application:
    app = web.Application()
    app[SIMULATOR_KEY] = simulator
    app.router.add_get("/miners", list_miners)
    app.router.add_get("/miners/{miner}", show_miner)
    app.router.add_post("/miners/{miner}/fault", set_fault)
    app.router.add_delete("/miners/{miner}/fault", clear_fault)
    app.router.add_post("/miners/{miner}/reboot", reboot)
    return app


class ControlServer:
    """The control endpoint, on 127.0.0.1."""

    def __init__(self, simulator: Simulator, port: int, host: str = "127.0.0.1") -> None:
        self._runner = web.AppRunner(control_app(simulator), access_log=None)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self._runner.cleanup()
