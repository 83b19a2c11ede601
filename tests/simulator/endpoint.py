"""One listening HTTP port of a simulated miner, which can go down and come back.

Going down closes the listening socket (new connections are refused) and every open
connection; coming back binds the same address and port again. Both are synchronous, so a
test can flip a miner offline without awaiting anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import socket
import ssl
from typing import Protocol

from aiohttp import web

HttpHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
LISTEN_BACKLOG = 128
SHUTDOWN_TIMEOUT = 1.0


class Endpoint(Protocol):
    """A listening port of a simulated miner (HTTP here, raw TCP in ``rpc.TcpEndpoint``)."""

    host: str
    port: int

    @property
    def is_up(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    async def wait_serving(self) -> None: ...

    async def shutdown(self) -> None: ...


class HttpEndpoint:
    """An aiohttp low-level server bound to ``host:port`` (port 0: a free one, kept afterwards)."""

    def __init__(
        self, host: str, port: int, handler: HttpHandler, tls: ssl.SSLContext | None = None
    ) -> None:
        self.host = host
        self.port = port
        self._tls = tls  # serve https with this context
        # Handlers are cancelled when their client goes away, so a hung reply never lingers.
        self._web_server = web.Server(handler, handler_cancellation=True, access_log=None)
        self._socket: socket.socket | None = None
        self._server: asyncio.Server | None = None
        self._attaching: asyncio.Task[None] | None = None

    @property
    def is_up(self) -> bool:
        return self._socket is not None

    def open(self) -> None:
        """Listen now; connections queue in the backlog until the loop starts serving them."""
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
            self._attach(listener), name=f"simulator-listen-{self.host}:{self.port}"
        )

    async def _attach(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._web_server, sock=listener, ssl=self._tls)

    def close(self) -> None:
        """Stop listening and drop every open connection (replies already written are flushed)."""
        if self._attaching is not None and not self._attaching.done():
            self._attaching.cancel()
        self._attaching = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for protocol in self._web_server.connections:
            transport = protocol.transport
            if transport is not None:
                transport.close()

    async def wait_serving(self) -> None:
        """Return once the loop accepts connections on this endpoint."""
        if self._attaching is not None:
            # wait() neither raises the task's cancellation nor cancels the task.
            await asyncio.wait({self._attaching})

    async def shutdown(self) -> None:
        """Close for good: cancel handlers still running and wait for them."""
        self.close()
        await self._web_server.shutdown(SHUTDOWN_TIMEOUT)
