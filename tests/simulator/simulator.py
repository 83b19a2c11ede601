"""A fleet of simulated miners in the caller's event loop."""

from __future__ import annotations

from collections.abc import Iterable
import errno
from types import TracebackType

from .families import miner_class
from .identity import normalise_mac
from .miner import SimulatedMiner
from .spec import MinerSpec

LOOPBACK = "127.0.0.1"
DEFAULT_REBOOT_SECONDS = 5.0
MAX_LOOPBACK_TRIES = 50


def loopback_address(index: int) -> str:
    """The ``index``-th of 127.0.0.2, 127.0.0.3, …, 127.0.0.254, 127.0.1.1, … (no .0 or .255)."""
    slot = index + 1  # slot 0 would be 127.0.0.1, which unprivileged runs use
    block, offset = divmod(slot, 254)
    if block > 255 * 256:
        raise ValueError("no loopback addresses left")
    return f"127.{block // 256}.{block % 256}.{offset + 1}"


class Simulator:
    """Starts and stops simulated miners; ``async with`` stops them all on exit.

    Without ``real_ports`` every miner listens on 127.0.0.1 on a free port. With it each
    gets its own 127.0.0.N and its family's real ports (80, 4028, …), which needs root.
    """

    def __init__(
        self,
        *,
        real_ports: bool = False,
        reboot_seconds: float = DEFAULT_REBOOT_SECONDS,
        seed: str = "asic-simulator",
    ) -> None:
        self.real_ports = real_ports
        self.reboot_seconds = reboot_seconds
        self.seed = seed
        self._miners: list[SimulatedMiner] = []
        self._started = 0
        self._next_address = 0

    async def __aenter__(self) -> Simulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def miners(self) -> list[SimulatedMiner]:
        return list(self._miners)

    def find(self, key: str) -> SimulatedMiner | None:
        """A miner by MAC (any separator or case), host, ``host:port`` or hostname."""
        try:
            mac = normalise_mac(key)
        except ValueError:
            mac = None
        for miner in self._miners:
            if mac is not None and miner.mac == mac:
                return miner
            if key in (miner.host, f"{miner.host}:{miner.port}", miner.state.hostname):
                return miner
        return None

    async def start(self, spec: MinerSpec | None = None) -> SimulatedMiner:
        """Start one miner and return once it listens."""
        spec = spec or MinerSpec()
        cls = miner_class(spec.family)
        index = self._started
        self._started += 1
        seed = spec.seed or f"{self.seed}:{spec.family}:{spec.model}:{index}"
        mac = normalise_mac(spec.mac) if spec.mac else cls.make_mac(seed)
        if any(miner.mac == mac for miner in self._miners):
            raise ValueError(f"a simulated miner with MAC {mac} already runs")
        for _attempt in range(MAX_LOOPBACK_TRIES):
            host = spec.host or (
                loopback_address(self._take_address()) if self.real_ports else LOOPBACK
            )
            miner = cls(
                spec,
                host=host,
                use_real_ports=self.real_ports,
                reboot_seconds=self.reboot_seconds,
                mac=mac,
                seed=seed,
            )
            try:
                await miner.start()
            except OSError as err:
                await miner.stop()
                if err.errno != errno.EADDRINUSE or spec.host or not self.real_ports:
                    raise
                continue  # that address is taken (another simulator?): try the next one
            self._miners.append(miner)
            return miner
        raise OSError(errno.EADDRINUSE, "no free loopback address found for a simulated miner")

    def _take_address(self) -> int:
        index = self._next_address
        self._next_address += 1
        return index

    async def start_fleet(self, specs: Iterable[MinerSpec]) -> list[SimulatedMiner]:
        return [await self.start(spec) for spec in specs]

    async def stop_miner(self, miner: SimulatedMiner) -> None:
        if miner in self._miners:
            self._miners.remove(miner)
        await miner.stop()

    async def stop(self) -> None:
        """Stop every miner; nothing of the simulator is left running in the loop."""
        miners, self._miners = self._miners, []
        for miner in miners:
            await miner.stop()
