"""A gRPC port of a simulated miner (grpcio's asyncio server, raw bytes in and out).

grpcio comes with Home Assistant's cloud library; where it is missing, ``GRPC_AVAILABLE`` is
False and families leave their gRPC port out. Messages are written and read by hand
(``protobuf.py``), so no generated code is needed. Like the other endpoints, it can go down
(the server stops, open calls end) and come back on the same address and port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
import errno
import importlib
from typing import Any

try:
    grpc: Any = importlib.import_module("grpc")
    grpc_aio: Any = importlib.import_module("grpc.aio")
    # grpcio's asyncio layer polls in one thread; holding the layer from import on starts that
    # thread once, before any test, instead of with the first server (Home Assistant's test
    # plugin fails a test that leaves a new thread behind).
    importlib.import_module("grpc._cython.cygrpc").init_grpc_aio()
except ImportError:  # pragma: no cover - depends on the environment
    grpc = grpc_aio = None

GRPC_AVAILABLE = grpc is not None
# One unary call: the request's bytes and grpcio's call context → the reply's bytes.
UnaryHandler = Callable[[bytes, Any], Awaitable[bytes]]
# A client-streaming call: the requests' bytes as they come, the context → the reply's bytes.
StreamHandler = Callable[[AsyncIterator[bytes], Any], Awaitable[bytes]]


class GrpcEndpoint:
    """Serves ``methods`` (full path "/package.Service/Method" → handler) on ``host:port``;
    ``streams`` are the client-streaming methods."""

    def __init__(
        self,
        host: str,
        port: int,
        methods: Mapping[str, UnaryHandler],
        streams: Mapping[str, StreamHandler] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._methods = methods
        self._streams = streams or {}
        self._up = False
        self._server: Any = None
        self._attaching: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()

    @property
    def is_up(self) -> bool:
        return self._up

    def _bind(self) -> Any:
        # Without SO_REUSEPORT a second simulator on the same address fails to bind, as TCP does.
        server = grpc_aio.server(options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((_Dispatch(self._methods, self._streams),))
        try:
            port = server.add_insecure_port(f"{self.host}:{self.port}")
        except RuntimeError as err:
            raise OSError(errno.EADDRINUSE, f"cannot bind {self.host}:{self.port}") from err
        if port == 0:
            raise OSError(errno.EADDRINUSE, f"cannot bind {self.host}:{self.port}")
        self.port = port
        return server

    def open(self) -> None:
        if self._up:
            return
        stopping = set(self._stopping)
        # The first bind fails here, synchronously, when the address is taken; after a close
        # the port is bound again only once the old server has let it go.
        attach = self._start(self._bind()) if not stopping else self._rebind(stopping)
        self._up = True
        self._attaching = asyncio.get_running_loop().create_task(
            attach, name=f"simulator-grpc-{self.host}:{self.port}"
        )

    async def _rebind(self, stopping: set[asyncio.Task[None]]) -> None:
        await asyncio.wait(stopping)
        await self._start(self._bind())

    async def _start(self, server: Any) -> None:
        self._server = server
        await server.start()

    def close(self) -> None:
        """Stop listening and end every open call (the server stops in the background)."""
        self._up = False
        if self._attaching is not None and not self._attaching.done():
            self._attaching.cancel()
        self._attaching = None
        server, self._server = self._server, None
        if server is not None:
            task = asyncio.get_running_loop().create_task(server.stop(None))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def wait_serving(self) -> None:
        if self._attaching is not None:
            await asyncio.wait({self._attaching})

    async def shutdown(self) -> None:
        self.close()
        if self._stopping:
            await asyncio.wait(set(self._stopping))


if GRPC_AVAILABLE:

    class _Dispatch(grpc.GenericRpcHandler):  # type: ignore[misc]
        """Finds the handler of a call by its method path; grpcio answers UNIMPLEMENTED else."""

        def __init__(
            self, methods: Mapping[str, UnaryHandler], streams: Mapping[str, StreamHandler]
        ) -> None:
            self._methods = methods
            self._streams = streams

        def service(self, details: Any) -> Any:
            stream = self._streams.get(details.method)
            if stream is not None:
                return grpc.stream_unary_rpc_method_handler(stream)
            handler = self._methods.get(details.method)
            if handler is None:
                return None
            return grpc.unary_unary_rpc_method_handler(handler)
