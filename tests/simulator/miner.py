"""What every simulated miner shares, whatever its family: endpoints, faults, reboots, state."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Coroutine
import time
from typing import Any, ClassVar

from aiohttp import web

from . import rpc
from .endpoint import Endpoint, HttpEndpoint
from .faults import FIRMWARE_FAULTS, MALFORMED_JSON_FAULTS, ActiveFault, Fault
from .identity import esp32_mac
from .physics import Physics
from .spec import MinerSpec
from .state import MinerState

WEB = "web"
RPC = "rpc"
DEFAULT_WAIT_TIMEOUT = 10.0
# Order in which transport faults win when several apply to one request.
TRANSPORT_FAULT_ORDER = (
    Fault.RESET,
    Fault.HANG,
    Fault.HTTP_500,
    Fault.SLOW,
    Fault.TRUNCATED,
    Fault.BAD_JSON,
)
# The same for the RPC port; SLOW there delays whatever else happens.
RPC_FAULT_ORDER = (
    Fault.RESET,
    Fault.HANG,
    Fault.BACKEND_DOWN,
    Fault.MULTI_COMMAND_REJECTED,
    Fault.TRUNCATED,
    Fault.BAD_JSON,
    *MALFORMED_JSON_FAULTS,
)


class SimulatedMiner(ABC):
    """One fake miner. A family subclasses this and answers its protocol in ``handle_web``."""

    family: ClassVar[str]
    real_ports: ClassVar[dict[str, int]] = {WEB: 80}
    # Ports in ``real_ports`` that speak the raw TCP RPC rather than HTTP.
    rpc_ports: ClassVar[frozenset[str]] = frozenset({RPC})

    def __init__(
        self,
        spec: MinerSpec,
        *,
        host: str,
        use_real_ports: bool,
        reboot_seconds: float,
        mac: str,
        seed: str,
    ) -> None:
        self.spec = spec
        self.host = host
        self.reboot_seconds = reboot_seconds
        self.seed = seed
        self._faults: dict[Fault, ActiveFault] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rebooting = False
        self._dead = False  # NEVER_RETURNS after a firmware update
        self._stopped = False
        self._listening_changed = asyncio.Event()
        self._state = self.initial_state(mac)
        self.physics = self.make_physics()
        self._last_tick = time.monotonic()
        self.physics.tick(self._state, 0.0)
        self._endpoints: dict[str, Endpoint] = {
            name: self._make_endpoint(name, host, port if use_real_ports else 0)
            for name, port in self.real_ports.items()
        }

    def _make_endpoint(self, name: str, host: str, port: int) -> Endpoint:
        if name in self.rpc_ports:
            return rpc.TcpEndpoint(host, port, self._serve_rpc)
        return HttpEndpoint(host, port, self._serve_http)

    # --- what a family provides -------------------------------------------------------------

    @abstractmethod
    def initial_state(self, mac: str) -> MinerState:
        """The state at power-on, from ``self.spec`` and the family's model table."""

    @abstractmethod
    def make_physics(self) -> Physics:
        """How this board's readings follow its settings."""

    @abstractmethod
    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one HTTP request as the real firmware would."""

    @property
    @abstractmethod
    def model_name(self) -> str:
        """The model as a user knows it (``Bitaxe Gamma``)."""

    def credentials(self) -> dict[str, str] | None:
        """Login a client needs, or None where the firmware has none."""
        return None

    @classmethod
    def make_mac(cls, seed: str) -> str:
        """The MAC of a miner whose spec names none; the same for the same seed."""
        return esp32_mac(seed)

    def handle_rpc(self, request: rpc.RpcRequest) -> rpc.RpcReply:
        """Answer one request on the RPC port: a JSON payload, or raw bytes as they are.

        A family with an RPC port overrides this (``rpc.CgminerApi`` does the dispatch).
        """
        return rpc.invalid_command(self.rpc_description)

    def on_boot(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Called when a reboot completes, before the miner listens again."""

    # --- identity and state -----------------------------------------------------------------

    @property
    def state(self) -> MinerState:
        """The true state, brought up to date."""
        self.tick()
        return self._state

    def tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if not self._rebooting and not self._dead:
            self.physics.tick(self._state, elapsed)

    @property
    def mac(self) -> str:
        return self._state.mac

    @property
    def ports(self) -> dict[str, int]:
        return {name: endpoint.port for name, endpoint in self._endpoints.items()}

    @property
    def port(self) -> int:
        """The web port (every family has one)."""
        return self._endpoints[WEB].port

    @property
    def is_up(self) -> bool:
        return all(endpoint.is_up for endpoint in self._endpoints.values())

    def as_json(self) -> dict[str, Any]:
        """The line the command line prints for this miner."""
        return {
            "host": self.host,
            "ports": self.ports,
            "family": self.family,
            "model": self.model_name,
            "firmware": self._state.version,
            "mac": self._state.mac,
            "credentials": self.credentials(),
        }

    def describe(self) -> dict[str, Any]:
        """``as_json`` plus what the control endpoint shows: status, faults, key readings."""
        state = self.state
        return self.as_json() | {
            "up": self.is_up,
            "rebooting": self._rebooting,
            "faults": [fault.as_json() for fault in self._faults.values()],
            "hostname": state.hostname,
            "hashrate": round(state.hashrate, 2),
            "power": round(state.power, 2),
            "paused": state.paused,
            "uptime": round(state.uptime, 1),
            "reboot_count": state.reboot_count,
        }

    # --- faults -----------------------------------------------------------------------------

    @property
    def faults(self) -> dict[Fault, ActiveFault]:
        return dict(self._faults)

    def set_fault(
        self, fault: Fault | str, *, delay: float | None = None, path: str | None = None
    ) -> None:
        """Start showing ``fault``; ``path`` limits a transport fault to one route."""
        fault = Fault(fault)
        if fault in FIRMWARE_FAULTS and path is not None:
            raise ValueError(f"{fault.value} concerns firmware uploads; it takes no path")
        active = ActiveFault(fault, path=path)
        if delay is not None:
            active = ActiveFault(fault, path=path, delay=delay)
        self._faults[fault] = active
        self._sync_listening()

    def clear_fault(self, fault: Fault | str | None = None) -> None:
        """Stop showing one fault, or all of them. A miner kept down by NEVER_RETURNS comes back."""
        if fault is None:
            self._faults.clear()
        else:
            self._faults.pop(Fault(fault), None)
        if Fault.NEVER_RETURNS not in self._faults and self._dead:
            self._dead = False
            self._finish_boot()
        self._sync_listening()

    def has_fault(self, fault: Fault) -> bool:
        return fault in self._faults

    def _transport_fault(self, path: str) -> ActiveFault | None:
        for fault in TRANSPORT_FAULT_ORDER:
            active = self._faults.get(fault)
            if active is not None and active.applies_to(path):
                return active
        return None

    def _rpc_fault(self, fault: Fault, request: rpc.RpcRequest) -> ActiveFault | None:
        """``fault`` if set for this request: for every command, or one of those it joins."""
        active = self._faults.get(fault)
        if active is None:
            return None
        if active.path is None or active.path == request.command:
            return active
        return active if active.path in request.commands else None

    # --- listening, reboots -----------------------------------------------------------------

    def _should_listen(self) -> bool:
        return not (self._stopped or self._rebooting or self._dead or Fault.OFFLINE in self._faults)

    def _sync_listening(self) -> None:
        for endpoint in self._endpoints.values():
            if self._should_listen():
                endpoint.open()
            else:
                endpoint.close()
        # Wake whoever waits for a change, and give later waiters a fresh event.
        changed, self._listening_changed = self._listening_changed, asyncio.Event()
        changed.set()

    async def start(self) -> None:
        self._sync_listening()
        await self.wait_until_up()

    async def stop(self) -> None:
        """Close every endpoint and finish every task this miner started."""
        self._stopped = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for endpoint in self._endpoints.values():
            await endpoint.shutdown()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        """Run a task that ``stop`` will cancel and wait for."""
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.host}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def reboot(self, *, stay_down: bool = False) -> None:
        """Go down now (connections refused) and come back after ``reboot_seconds``."""
        if self._stopped:
            return
        self.tick()
        self._state.reboot_count += 1
        self._rebooting = True
        self._dead = stay_down
        self._sync_listening()
        self.spawn(self._come_back(), "reboot")

    async def _come_back(self) -> None:
        await asyncio.sleep(self.reboot_seconds)
        self._rebooting = False
        if not self._dead:
            self._finish_boot()
        self._sync_listening()

    def _finish_boot(self) -> None:
        self._last_tick = time.monotonic()
        self.physics.reset_session(self._state)
        self.on_boot()
        self.physics.tick(self._state, 0.0)

    async def wait_until_up(self, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        """Return once every endpoint accepts connections; TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while not self.is_up:
                await self._listening_changed.wait()
            for endpoint in self._endpoints.values():
                await endpoint.wait_serving()

    async def wait_until_down(self, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        async with asyncio.timeout(timeout):
            while self.is_up:
                await self._listening_changed.wait()

    # --- HTTP with faults -------------------------------------------------------------------

    async def _serve_http(self, request: web.BaseRequest) -> web.StreamResponse:
        fault = self._transport_fault(request.path)
        kind = fault.fault if fault is not None else None
        if kind is Fault.RESET:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if kind is Fault.HANG:
            # Never answers; aiohttp cancels this when the client leaves or the miner stops.
            await asyncio.Event().wait()
        if kind is Fault.HTTP_500:
            return web.Response(status=500, text="Internal Server Error")
        if fault is not None and kind is Fault.SLOW:
            await asyncio.sleep(fault.delay)
        self.tick()
        response = await self.handle_web(request)
        if kind is Fault.TRUNCATED and isinstance(response, web.Response):
            return await _send_truncated(request, response)
        if kind is Fault.BAD_JSON and isinstance(response, web.Response):
            return _spoil_body(response)
        return response

    # --- RPC with faults --------------------------------------------------------------------

    async def _serve_rpc(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await rpc.read_request(reader)
        if request is None:
            return
        slow = self._rpc_fault(Fault.SLOW, request)
        fault = next(
            (
                active
                for kind in RPC_FAULT_ORDER
                if (active := self._rpc_fault(kind, request)) is not None
            ),
            None,
        )
        kind = fault.fault if fault is not None else None
        if kind is Fault.RESET:
            writer.transport.abort()
            return
        if kind is Fault.HANG:
            # Never answers; cancelled when the miner goes down or stops.
            await asyncio.Event().wait()
        if slow is not None:
            await asyncio.sleep(slow.delay)
        self.tick()
        if kind is Fault.BACKEND_DOWN:
            data = rpc.BACKEND_DOWN_TEXT
        elif kind is Fault.MULTI_COMMAND_REJECTED and request.joined:
            data = rpc.encode(rpc.invalid_command(self.rpc_description))
        else:
            answer = self.handle_rpc(request)
            if kind in MALFORMED_JSON_FAULTS and isinstance(answer, dict):
                data = rpc.malformed(answer, Fault(kind))
            else:
                data = rpc.encode(answer)
                if kind is Fault.TRUNCATED:
                    data = data[: len(data) // 2]  # and the connection closes
                elif kind is Fault.BAD_JSON:
                    data = data[: max(1, len(data) // 2)] + rpc.NUL
        writer.write(data)
        await writer.drain()

    @property
    def rpc_description(self) -> str:
        """The ``Description`` of this firmware's RPC replies."""
        return "cgminer"

    async def respond_then_reboot(
        self, request: web.BaseRequest, response: web.StreamResponse, *, stay_down: bool = False
    ) -> web.StreamResponse:
        """Send ``response`` completely, then reboot (the reply reaches the client first)."""
        await response.prepare(request)
        await response.write_eof()
        self.reboot(stay_down=stay_down)
        return response


def _body_of(response: web.Response) -> bytes:
    body = response.body
    return bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else b""


async def _send_truncated(request: web.BaseRequest, response: web.Response) -> web.StreamResponse:
    """Announce the full length, send half the body, then close the connection."""
    body = _body_of(response)
    partial = web.StreamResponse(status=response.status, headers=response.headers)
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return partial


def _spoil_body(response: web.Response) -> web.Response:
    """A complete HTTP reply whose JSON stops half way."""
    body = _body_of(response)
    spoiled = body[: max(1, len(body) // 2)] if body else b"{"
    return web.Response(
        status=response.status, body=spoiled, content_type=response.content_type or None
    )
