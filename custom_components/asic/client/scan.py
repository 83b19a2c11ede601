"""Find the miners on a network: ``identify()`` on every host, a bounded number at a time.

Sockets: ``identify()`` holds at most three per host at once — the web connection, the RPC
``version`` probe that races it, and one connection of the family's own confirmation (the
Whatsminer and LuxOS confirmations ask the RPC port again, Whatsminer v3 asks port 4433).
The scan therefore probes ``max_sockets // SOCKETS_PER_PROBE`` hosts at a time. Its web probes
go through a session of its own whose connections close after every reply and whose pool is
capped: a shared session would keep idle keep-alive sockets open after their probe ended,
outside any bound. Cancelling the scan cancels every probe; each closes its sockets as it
unwinds and the session is closed on the way out.

A host that answers but is no miner we know is reported as such (with the reason); a host
that does not answer within the per-host budget, or refuses every probe, is silent and
costs no more than that budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
import ipaddress

import aiohttp

from .errors import MinerConnectionError, MinerError
from .identify import identify
from .miner import Credentials
from .models import Identity

MAX_SOCKETS = 256
SOCKETS_PER_PROBE = 3
DEFAULT_HOST_TIMEOUT = 5.0
# A /16: larger ranges are almost certainly a typing mistake and would take hours.
MAX_HOSTS = 65534

type ScanProgress = Callable[[int, int], None]
"""Called with (hosts done, hosts in all) as the scan goes; first with (0, total)."""


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """One host to probe; ports only where the miner does not use its family's usual ones."""

    host: str
    port: int | None = None
    rpc_port: int | None = None


@dataclass(frozen=True, slots=True)
class NotAMiner:
    """A host that answered, but not as a miner this client knows."""

    host: str
    port: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found: the miners, the hosts that answered as something else, the count."""

    miners: tuple[Identity, ...]
    not_miners: tuple[NotAMiner, ...]
    scanned: int


type Targets = str | ipaddress.IPv4Network | Iterable[str | ScanTarget]


def scan_targets(targets: Targets) -> list[ScanTarget]:
    """The hosts a scan probes: every host of an IPv4 network, or the hosts given.

    A network is ``"192.168.1.0/24"`` (a bare address is a single host); given hosts are
    ``ScanTarget`` or ``host[:port]`` strings. Raises ``ValueError`` for anything else.
    """
    if isinstance(targets, str | ipaddress.IPv4Network):
        network = targets if isinstance(targets, ipaddress.IPv4Network) else _parse_network(targets)
        if network.num_addresses - 2 > MAX_HOSTS:
            raise ValueError(f"{network} has more than {MAX_HOSTS} hosts; scan a /16 or smaller")
        return [ScanTarget(str(address)) for address in network.hosts()]
    return [target if isinstance(target, ScanTarget) else _target(target) for target in targets]


def _parse_network(text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as err:
        raise ValueError(f"{text!r} is not an IPv4 network such as 192.168.1.0/24") from err
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(  # noqa: TRY004 (a bad value the user typed, like the one above)
            f"{text!r} is not an IPv4 network; only IPv4 networks can be scanned"
        )
    return network


def _target(address: str) -> ScanTarget:
    # Imported here: the package's __init__ imports this module.
    from . import split_host_port

    host, port = split_host_port(address)
    return ScanTarget(host, port)


async def scan(
    targets: Targets,
    *,
    max_sockets: int = MAX_SOCKETS,
    host_timeout: float = DEFAULT_HOST_TIMEOUT,
    progress: ScanProgress | None = None,
    credentials: Credentials | None = None,
) -> ScanResult:
    """Identify every host of ``targets`` (see :func:`scan_targets`); never more than
    ``max_sockets`` sockets open at once, at most ``host_timeout`` seconds per host.

    ``credentials``: the web login families that need one try for their model probe.
    """
    if max_sockets < SOCKETS_PER_PROBE:
        raise ValueError(f"a scan needs at least {SOCKETS_PER_PROBE} sockets, one host's probe")
    hosts = scan_targets(targets)
    in_flight = min(max_sockets // SOCKETS_PER_PROBE, len(hosts))
    miners: list[Identity] = []
    not_miners: list[NotAMiner] = []
    done = 0
    if progress is not None:
        progress(0, len(hosts))

    async def probe_all(queue: Iterator[ScanTarget], session: aiohttp.ClientSession) -> None:
        nonlocal done
        for target in queue:
            outcome = await _probe(target, session, host_timeout, credentials)
            if isinstance(outcome, Identity):
                miners.append(outcome)
            elif outcome is not None:
                not_miners.append(outcome)
            done += 1
            if progress is not None:
                progress(done, len(hosts))

    connector = aiohttp.TCPConnector(limit=max(in_flight, 1), force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        queue = iter(hosts)  # shared: each worker takes the next host when it is free
        async with asyncio.TaskGroup() as group:
            for _ in range(in_flight):
                group.create_task(probe_all(queue, session))
    return ScanResult(
        miners=tuple(sorted(miners, key=lambda found: _order(found.host, found.port))),
        not_miners=tuple(sorted(not_miners, key=lambda host: _order(host.host, host.port))),
        scanned=len(hosts),
    )


async def _probe(
    target: ScanTarget,
    session: aiohttp.ClientSession,
    host_timeout: float,
    credentials: Credentials | None,
) -> Identity | NotAMiner | None:
    """The miner at one host, what else answered there, or None when nothing did."""
    try:
        async with asyncio.timeout(host_timeout):
            return await identify(
                target.host,
                session,
                port=target.port,
                rpc_port=target.rpc_port,
                timeout=host_timeout,
                credentials=credentials,
            )
    except (MinerConnectionError, TimeoutError):
        return None
    except MinerError as err:
        return NotAMiner(target.host, target.port, str(err))


def _order(host: str, port: int | None) -> tuple[int, str, int]:
    try:
        return int(ipaddress.ip_address(host)), host, port or 0
    except ValueError:
        return -1, host, port or 0
