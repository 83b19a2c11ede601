"""The base of every family that speaks the CGMiner-style RPC (port 4028 unless told)."""

from __future__ import annotations

import aiohttp

from .miner import Credentials, Miner
from .transport.rpc import RpcTransport


class RpcMiner(Miner):
    """A miner with an RPC port beside its web port; ``self.rpc`` talks to it."""

    def __init__(
        self,
        host: str,
        session: aiohttp.ClientSession,
        *,
        port: int | None = None,
        credentials: Credentials | None = None,
        timeout: float = 10.0,
        rpc_port: int | None = None,
    ) -> None:
        super().__init__(host, session, port=port, credentials=credentials, timeout=timeout)
        self.rpc = RpcTransport(host, rpc_port, timeout=timeout)
