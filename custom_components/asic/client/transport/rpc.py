"""CGMiner-style RPC on TCP 4028 (vendor-protocols.md §2).

One TCP connection per request: the JSON command is written, the reply read until the miner
closes the socket (bounded by a timeout and a size cap), NULs stripped, decoded as UTF-8 with
replacement and parsed through :mod:`..jsonrepair`. A reply the miner cut off inside a list is
kept (the items that arrived whole) only when it ended with the NUL byte the firmware writes
last; without it the connection was dropped half way and the reply is refused.

How a reply becomes an error:

- nothing listening, a reset, a timeout → ``MinerConnectionError``;
- the raw text ``Socket connect failed…`` (the RPC front end is up but the mining backend is
  not) → ``MinerConnectionError``;
- a reply that is not JSON, too large, or not an object → ``MinerProtocolError``;
- ``STATUS`` "E" or "F" → ``MinerCommandError`` carrying ``Code`` and ``Msg``. That includes
  Code 45 "Access denied to '…' command": the RPC has no login, so no credentials can fix it
  (the firmware's ``api-allow`` grants read-only access); it is a refusal, not an auth error.
  "S", "I" and "W" are success.

Joined commands (``summary+stats+pools``) answer ``{"summary": [reply], "stats": [reply], …}``
and each inner ``STATUS`` is checked on its own. A firmware that refuses joined commands
answers the whole request with one error ``STATUS``; the transport then sends the commands
one by one and remembers that for the rest of its life, so the joined request is tried once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import json
import logging
from typing import Any

from ..errors import MinerCommandError, MinerConnectionError, MinerProtocolError
from ..jsonrepair import loads

_LOGGER = logging.getLogger(__name__)

DEFAULT_RPC_PORT = 4028
MAX_REPLY_BYTES = 1024 * 1024
READ_CHUNK = 64 * 1024
BACKEND_DOWN = "socket connect failed"
OK_STATUSES = frozenset({"S", "I", "W"})
CODE_ACCESS_DENIED = 45


def status_of(reply: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first ``STATUS`` entry of a reply (a list on CGMiner, an object on some firmwares)."""
    status = reply.get("STATUS")
    if isinstance(status, list) and status and isinstance(status[0], Mapping):
        return status[0]
    if isinstance(status, Mapping):
        return status
    return None


def check_status(reply: Mapping[str, Any], command: str, host: str) -> None:
    """Raise ``MinerCommandError`` when the reply's ``STATUS`` says the command failed."""
    status = status_of(reply)
    if status is None:
        return  # replies without a STATUS (some firmwares' joined replies) carry only data
    letter = str(status.get("STATUS", "S")).strip().upper()
    if letter in OK_STATUSES:
        return
    code = status.get("Code")
    message = str(status.get("Msg") or status.get("Description") or letter).strip()
    if code == CODE_ACCESS_DENIED:
        raise MinerCommandError(
            f"{host} refused the RPC command {command!r}: {message}. The miner's API allows "
            "only reading here; change this setting in the miner's own interface",
            code=code,
        )
    raise MinerCommandError(f"{host} refused the RPC command {command!r}: {message}", code=code)


class RpcTransport:
    """Requests to one miner's RPC port; one connection per request."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: float,
        max_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_RPC_PORT
        self.timeout = timeout
        self.max_bytes = max_bytes
        # None: not tried yet; False: the firmware refused a joined request once.
        self.joined_commands: bool | None = None
        self.requests = 0  # sent so far (tests count them)

    def __repr__(self) -> str:
        return f"RpcTransport({self.host}:{self.port})"

    async def raw(self, payload: Mapping[str, Any], *, timeout: float | None = None) -> bytes:
        """Send one request and return the reply's bytes as they came."""
        self.requests += 1
        try:
            async with asyncio.timeout(timeout or self.timeout):
                return await self._exchange(json.dumps(payload).encode())
        except TimeoutError as err:
            raise MinerConnectionError(
                f"{self.host} did not answer on its RPC port {self.port} in time; "
                "check that the miner is powered and on the network"
            ) from err
        except (OSError, EOFError) as err:
            raise MinerConnectionError(
                f"Cannot reach the RPC port {self.port} of {self.host}: {err or type(err).__name__}"
            ) from err

    async def _exchange(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(request)
            await writer.drain()
            received = bytearray()
            while chunk := await reader.read(READ_CHUNK):
                received += chunk
                if len(received) > self.max_bytes:
                    raise MinerProtocolError(
                        f"{self.host} sent an RPC reply larger than {self.max_bytes} bytes"
                    )
            return bytes(received)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and parse the reply into an object (without checking STATUS)."""
        command = str(payload.get("command", ""))
        data = await self.raw(payload)
        return self.decode(data, command)

    def decode(self, data: bytes, command: str) -> dict[str, Any]:
        """A reply's bytes → its object; see the module docstring for the errors."""
        where = f"{self.host} (RPC {command})"
        text = data.decode("utf-8", "replace").replace("\x00", "").strip()
        if not text:
            raise MinerConnectionError(f"{where} closed the connection without an answer")
        if text.lower().startswith(BACKEND_DOWN):
            raise MinerConnectionError(
                f"{where}: the mining service is not running ({text[:80]}); "
                "it may be starting up, else restart the miner"
            )
        reply = loads(text, where=where, allow_cut=data.rstrip().endswith(b"\x00"))
        if not isinstance(reply, dict):
            raise MinerProtocolError(f"{where} answered something other than a JSON object")
        return reply

    async def command(
        self, command: str, parameter: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """One command; its reply once ``STATUS`` says it succeeded."""
        payload: dict[str, Any] = {"command": command, **extra}
        if parameter is not None:
            payload["parameter"] = parameter
        reply = await self.request(payload)
        check_status(reply, command, self.host)
        return reply

    async def commands(self, *names: str, **extra: Any) -> dict[str, dict[str, Any]]:
        """Several commands in one request where the firmware allows it: name → reply.

        ``extra`` keys go with every request (``new_api=True``).
        """
        if len(names) > 1 and self.joined_commands is not False:
            reply = await self.request({"command": "+".join(names), **extra})
            if all(name in reply for name in names):
                self.joined_commands = True
                return {name: self._inner(reply, name) for name in names}
            status = status_of(reply)
            if status is None or str(status.get("STATUS", "")).upper() in OK_STATUSES:
                raise MinerProtocolError(
                    f"{self.host} answered the joined RPC request {'+'.join(names)!r} "
                    "without the replies of its commands"
                )
            _LOGGER.debug(
                "%s refused joined RPC commands (%s); sending them one by one from now on",
                self.host,
                status.get("Msg"),
            )
            self.joined_commands = False
        return {name: await self.command(name, **extra) for name in names}

    def _inner(self, reply: Mapping[str, Any], name: str) -> dict[str, Any]:
        wrapped = reply[name]
        inner = wrapped[0] if isinstance(wrapped, list) and wrapped else wrapped
        if not isinstance(inner, dict):
            raise MinerProtocolError(f"{self.host} sent no readable reply to {name!r}")
        check_status(inner, name, self.host)
        return inner
