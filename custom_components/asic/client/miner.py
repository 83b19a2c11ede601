"""The interface every miner family implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import aiohttp

from .errors import MinerUnsupportedError
from .models import Capabilities, Family, MinerData, PoolConfig

type ProgressCallback = Callable[[int, int], None]
"""Called with (bytes sent so far, total bytes) while a firmware file uploads."""

CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Credentials:
    """Login for firmwares that need one; ``None`` fields mean the family default."""

    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        # Never let a password reach a log line through a repr.
        return (
            f"Credentials(username={self.username!r}, password={'***' if self.password else None})"
        )


@dataclass(frozen=True, slots=True)
class FirmwarePart:
    """One file of a firmware install; ``kind`` says where it goes (AxeOS: ``www`` or ``app``)."""

    kind: str
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size


async def iter_file(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes]:
    """Read a file in chunks off the event loop; memory stays at one chunk."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_size):
            yield chunk
    finally:
        # Closed right here, not in the executor: aiohttp can leave the body unfinished (it
        # cancels its body writer once the miner has answered), and the generator is then
        # closed from a cancelled task or by the garbage collector, where an awaited close may
        # never run. Closing a file opened for reading does not block.
        handle.close()


class Miner(ABC):
    """One miner on the network, spoken to through its firmware's own API.

    A family subclasses this and implements what its firmware offers; every other
    operation raises :class:`MinerUnsupportedError`. One request runs at a time per miner.
    """

    family: ClassVar[Family]
    default_port: ClassVar[int] = 80

    def __init__(
        self,
        host: str,
        session: aiohttp.ClientSession,
        *,
        port: int | None = None,
        credentials: Credentials | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port or self.default_port
        self.session = session
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host}:{self.port})"

    @property
    def web_port(self) -> int:
        """Where the miner's own web interface is (families whose API has a port of its own
        serve their pages elsewhere)."""
        return self.port

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this miner lets us control (known after the first read)."""

    @abstractmethod
    async def read(self) -> MinerData:
        """Poll the miner once, with the fewest round trips its firmware allows."""

    async def set_mining(self, enabled: bool) -> None:
        raise MinerUnsupportedError(f"{self.family} miners cannot stop and start mining")

    async def reboot(self) -> None:
        raise MinerUnsupportedError(f"{self.family} miners cannot be rebooted remotely")

    async def restart_mining(self) -> None:
        raise MinerUnsupportedError(f"{self.family} miners cannot restart mining")

    async def identify(self) -> None:
        """Make the miner show itself (blink, beep, flash its screen)."""
        raise MinerUnsupportedError(f"{self.family} miners have no identify command")

    async def set_fault_light(self, on: bool) -> None:
        raise MinerUnsupportedError(f"{self.family} miners have no controllable fault light")

    async def set_power_limit(self, watts: float) -> None:
        raise MinerUnsupportedError(f"{self.family} miners take no power limit")

    async def set_power_mode(self, mode: str) -> None:
        raise MinerUnsupportedError(f"{self.family} miners have no power modes")

    async def set_fan(self, *, auto: bool, percent: float | None = None) -> None:
        raise MinerUnsupportedError(f"{self.family} miners do not allow fan control")

    async def set_frequency(self, mhz: float) -> None:
        raise MinerUnsupportedError(f"{self.family} miners do not allow setting the frequency")

    async def set_core_voltage(self, millivolts: float) -> None:
        raise MinerUnsupportedError(f"{self.family} miners do not allow setting the core voltage")

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        raise MinerUnsupportedError(f"{self.family} miners do not allow writing pools")

    async def install_firmware(
        self, parts: Sequence[FirmwarePart], progress: ProgressCallback | None = None
    ) -> None:
        """Upload firmware files; returns once the miner accepted them (it then reboots)."""
        raise MinerUnsupportedError(f"{self.family} firmware cannot be installed remotely")
