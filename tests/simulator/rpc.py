"""The CGMiner-style TCP API (port 4028) that most miner firmwares speak.

One request per connection: the client writes one JSON object, ``{"command": "summary"}``
or ``{"command": "ascset", "parameter": "0,led,1-1"}``, with no terminator; it may then
half-close or simply wait. The miner answers as soon as a whole object has arrived, writes
the reply JSON followed by a NUL byte, and closes. ``summary+pools`` joins commands:
``{"summary": [{whole reply}], "pools": [{whole reply}], "id": 1}``.

This module has the listening endpoint, the request reader, the reply builders of cgminer's
``api.c`` (``STATUS`` list, codes, ``Invalid command``, ``Access denied``) and the malformed
replies real firmwares have been seen to send (vendor-protocols.md §2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
import json
import socket
import time
from typing import Any

from .faults import Fault

NUL = b"\x00"
BACKEND_DOWN_TEXT = b"Socket connect failed: Connection refused\n"
LISTEN_BACKLOG = 128
READ_CHUNK = 4096
MAX_REQUEST_BYTES = 64 * 1024  # cgminer's own buffer is far smaller; nobody sends more
READ_TIMEOUT = 30.0  # a client that connects and never writes is dropped after this

# Status codes and texts of cgminer's api.c that every CGMiner-style firmware keeps.
CODE_POOLS = 7
CODE_DEVS = 9
CODE_SUMMARY = 11
CODE_INVALID_COMMAND = 14
CODE_VERSION = 22
CODE_INVALID_JSON = 23
CODE_MISSING_COMMAND = 24
CODE_ACCESS_DENIED = 45
CODE_STATS = 70

RpcReply = dict[str, Any] | bytes
ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RpcRequest:
    """One request as the miner understood it."""

    command: str  # as sent, joined commands included: "summary+pools"
    parameter: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)  # every key (new_api, ...)
    error: int | None = None  # CODE_INVALID_JSON or CODE_MISSING_COMMAND

    @property
    def commands(self) -> list[str]:
        return self.command.split("+") if self.command else []

    @property
    def joined(self) -> bool:
        return len(self.commands) > 1


def parse_request(data: bytes, *, complete: bool) -> RpcRequest | None:
    """The request in ``data``; None while more may come (``complete``: no more will)."""
    text = data.decode("utf-8", "replace").strip().strip("\x00").strip()
    if not text:
        return None if not complete else RpcRequest("", error=CODE_INVALID_JSON)
    if not text.startswith("{"):
        # cgminer answers the first buffer it reads; what is no JSON object is not waited on
        # (an HTTP request sent to the RPC port gets its error at once, not at a timeout).
        return RpcRequest("", error=CODE_INVALID_JSON)
    try:
        body = json.loads(text)
    except ValueError:
        return RpcRequest("", error=CODE_INVALID_JSON) if complete else None
    if not isinstance(body, dict):
        return RpcRequest("", error=CODE_INVALID_JSON)
    command = body.get("command")
    if not isinstance(command, str) or not command:
        return RpcRequest("", payload=body, error=CODE_MISSING_COMMAND)
    parameter = body.get("parameter")
    return RpcRequest(
        command.strip(),
        parameter=None if parameter is None else str(parameter),
        payload=body,
    )


async def read_request(reader: asyncio.StreamReader) -> RpcRequest | None:
    """Read until a whole JSON object has arrived or the client stops writing.

    None when the client closed without sending anything.
    """
    received = b""
    async with asyncio.timeout(READ_TIMEOUT):
        while True:
            chunk = await reader.read(READ_CHUNK)
            received += chunk
            done = not chunk or len(received) >= MAX_REQUEST_BYTES
            if done and not received.strip():
                return None
            request = parse_request(received, complete=done)
            if request is not None:
                return request


# --- replies --------------------------------------------------------------------------------


def status(code: int, message: str, description: str, *, kind: str = "S") -> dict[str, Any]:
    """One ``STATUS`` entry, keys in cgminer's order."""
    return {
        "STATUS": kind,
        "When": int(time.time()),
        "Code": code,
        "Msg": message,
        "Description": description,
    }


def reply(
    section: str, items: list[dict[str, Any]], code: int, message: str, description: str
) -> dict[str, Any]:
    """A successful reply: ``{"STATUS": [...], section: items, "id": 1}``."""
    return {"STATUS": [status(code, message, description)], section: items, "id": 1}


def error_reply(code: int, message: str, description: str) -> dict[str, Any]:
    return {"STATUS": [status(code, message, description, kind="E")], "id": 1}


def invalid_command(description: str) -> dict[str, Any]:
    return error_reply(CODE_INVALID_COMMAND, "Invalid command", description)


def access_denied(command: str, description: str) -> dict[str, Any]:
    return error_reply(CODE_ACCESS_DENIED, f"Access denied to '{command}' command", description)


def request_error(request: RpcRequest, description: str) -> dict[str, Any]:
    if request.error == CODE_MISSING_COMMAND:
        return error_reply(CODE_MISSING_COMMAND, "Missing JSON 'command'", description)
    return error_reply(CODE_INVALID_JSON, "Invalid JSON", description)


CommandHandler = Callable[[RpcRequest], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CgminerApi:
    """A command table with cgminer's dispatch: joined commands, privileges, errors."""

    description: str  # the ``Description`` of every STATUS ("cgminer 1.0.0")
    commands: Mapping[str, CommandHandler]
    privileged: frozenset[str] = frozenset()  # answered with Code 45 "Access denied"

    def answer(self, request: RpcRequest) -> dict[str, Any]:
        if request.error is not None:
            return request_error(request, self.description)
        names = request.commands
        if len(names) == 1:
            return self.answer_one(names[0], request)
        joined: dict[str, Any] = {}
        for name in names:
            joined[name] = [self.answer_one(name, request)]
        joined["id"] = 1
        return joined

    def answer_one(self, name: str, request: RpcRequest) -> dict[str, Any]:
        if name in self.privileged:
            return access_denied(name, self.description)
        handler = self.commands.get(name)
        if handler is None:
            return invalid_command(self.description)
        return handler(request)


def encode(payload: RpcReply) -> bytes:
    """The bytes on the wire: compact JSON and the NUL byte cgminer ends with."""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode() + NUL


# --- malformed replies ----------------------------------------------------------------------


def _first_data_object(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The first object of the first list that is not ``STATUS`` (joined replies: inside)."""
    for key, value in payload.items():
        if key == "STATUS" or not isinstance(value, list) or not value:
            continue
        first = value[0]
        if isinstance(first, dict):
            inner = _first_data_object(first) if "STATUS" in first else None
            return inner or first
    return None


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a reply, depth first in document order (a joined reply's STATUS too)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item)


def malformed(payload: dict[str, Any], fault: Fault) -> bytes:
    """``payload`` spoiled the way a real firmware spoils it; the NUL byte stays."""
    text = json.dumps(payload, separators=(",", ":"))
    match fault:
        case Fault.TRAILING_COMMA:
            # a comma before the first closing brace: {"STATUS":"S",...,"Description":"x",}
            cut = text.index("}")
            text = f"{text[:cut]},{text[cut:]}"
        case Fault.STRAY_NEWLINE:
            # a raw line feed inside the first string value, which JSON forbids
            cut = text.index('":"') + 3
            text = f"{text[:cut]}\n{text[cut:]}"
        case Fault.MISSING_COMMA:
            if "},{" in text:
                text = text.replace("},{", "}{", 1)
            else:  # one object per list: the STATUS entry twice, without a comma
                start = text.index("[{") + 1
                end = text.index("}", start) + 1
                text = text[:end] + text[start:end] + text[end:]
        case Fault.LIST_LEADING_COMMA:
            text = text.replace("[{", "[,{", 1)
        case Fault.DOUBLED_QUOTE:
            text = _doubled_quote(payload)
        case Fault.INF_NAN:
            text = _inf_nan(payload)
        case Fault.LEADING_COMMA:
            text = "," + text[1:]
        case Fault.CUT_MID_LIST:
            text = _cut_mid_list(text)
        case _:
            raise ValueError(f"{fault.value} is not a malformed-JSON fault")
    return text.encode() + NUL


def _doubled_quote(payload: dict[str, Any]) -> str:
    """BTMiner's ``"value""temp0":…``: the comma before a ``temp0`` key is missing."""
    spoiled = json.loads(json.dumps(payload))
    target = next(
        (
            candidate
            for candidate in (_first_data_object(spoiled), *_objects(spoiled))
            if candidate is not None and any(isinstance(value, str) for value in candidate.values())
        ),
        None,
    )
    if target is None:  # no string anywhere (rare): give the reply one to spoil
        target = spoiled
        target["Msg"] = ""
    items = list(target.items())
    position = next(index + 1 for index, (_k, value) in enumerate(items) if isinstance(value, str))
    items.insert(position, ("temp0", 0))
    target.clear()
    target.update(items)
    text = json.dumps(spoiled, separators=(",", ":"))
    return text.replace('","temp0"', '""temp0"', 1)


def _inf_nan(payload: dict[str, Any]) -> str:
    """Avalon's ``"inf"`` / ``"nan"`` strings in place of two numbers of the data."""
    spoiled = json.loads(json.dumps(payload))
    target = _first_data_object(spoiled) or spoiled["STATUS"][0]
    floats = [key for key, value in target.items() if isinstance(value, float)]
    whole = [
        key
        for key, value in target.items()
        if isinstance(value, int) and not isinstance(value, bool)
    ]
    numbers = floats + whole
    for key, word in zip(numbers, ("inf", "nan"), strict=False):
        target[key] = word
    return json.dumps(spoiled, separators=(",", ":"))


def _cut_mid_list(text: str) -> str:
    """Stop inside the longest-running list: after an element and its comma, or mid-element."""
    last_list = text.rfind("[{")
    inside = last_list + 1 if last_list >= 0 else len(text) // 2
    separator = text.find("},{", inside)
    if separator >= 0:
        return text[: separator + 2]
    # a one-element list: stop half way through that element
    end = text.find("}", inside)
    return text[: inside + max(1, (end - inside) // 2)]


# --- the listening endpoint -----------------------------------------------------------------


class TcpEndpoint:
    """A raw TCP listener on ``host:port`` (0: a free port, kept afterwards) that can go down
    and come back, like ``HttpEndpoint``; each connection runs ``handler``."""

    def __init__(self, host: str, port: int, handler: ConnectionHandler) -> None:
        self.host = host
        self.port = port
        self._handler = handler
        self._socket: socket.socket | None = None
        self._server: asyncio.Server | None = None
        self._attaching: asyncio.Task[None] | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    @property
    def is_up(self) -> bool:
        return self._socket is not None

    def open(self) -> None:
        if self._socket is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(LISTEN_BACKLOG)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._socket = listener
        self._attaching = asyncio.get_running_loop().create_task(
            self._attach(listener), name=f"simulator-rpc-{self.host}:{self.port}"
        )

    async def _attach(self, listener: socket.socket) -> None:
        self._server = await asyncio.start_server(self._serve, sock=listener)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._handler(reader, writer)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()

    def close(self) -> None:
        """Stop listening and drop every open connection."""
        if self._attaching is not None and not self._attaching.done():
            self._attaching.cancel()
        self._attaching = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()

    async def wait_serving(self) -> None:
        if self._attaching is not None:
            await asyncio.wait({self._attaching})

    async def shutdown(self) -> None:
        """Close for good and wait for the connection handlers to finish."""
        self.close()
        tasks = list(self._connections)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
