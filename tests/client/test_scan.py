"""scan(): every miner of a network found, other hosts reported, sockets bounded, cancellable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import ipaddress
import time

import aiohttp
import pytest

from custom_components.asic.client import (
    Family,
    NotAMiner,
    ScanTarget,
    identify,
    scan,
)
from custom_components.asic.client.scan import SOCKETS_PER_PROBE, _order, scan_targets
from tests.loopback import SocketCounter, allow_loopback, require_root
from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.fleet import demo_fleet

from .conftest import LOCALHOST

# The families identify() knew when scan() was written; more may join, none may leave.
KNOWN_FAMILIES = set(Family)  # the demo fleet has a miner of every family


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> SocketCounter:
    counter = SocketCounter()
    counter.install(monkeypatch)
    return counter


@pytest.fixture
async def demo() -> AsyncIterator[list[SimulatedMiner]]:
    """The demo fleet, one miner of every family, on 127.0.0.N with the real ports."""
    require_root()
    allow_loopback("127.0.0.0/22")
    async with Simulator(real_ports=True, reboot_seconds=0.2) as sim:
        yield await sim.start_fleet(demo_fleet())


def network_of(miners: list[SimulatedMiner]) -> str:
    """127.0.0.0/24, or a wider network when other simulators pushed ours past .254."""
    network = ipaddress.ip_network("127.0.0.0/24")
    while not all(ipaddress.ip_address(miner.host) in network for miner in miners):
        network = network.supernet()
    return str(network)


async def test_the_demo_fleet_is_found_completely(demo: list[SimulatedMiner]) -> None:
    progress: list[tuple[int, int]] = []
    result = await scan(
        network_of(demo), progress=lambda done, total: progress.append((done, total))
    )

    found = {miner.host: miner for miner in result.miners}
    assert not {host.host for host in result.not_miners} & {miner.host for miner in demo}
    async with aiohttp.ClientSession() as session:
        for miner in demo:
            # Alone, every miner is identified within 3 s (identify() raises past its timeout).
            alone = await identify(miner.host, session, timeout=3.0)
            assert found[miner.host] == alone
            assert found[miner.host].family.value == miner.spec.family
            assert found[miner.host].mac == miner.mac, miner.spec.family

    assert len(found) == len(demo)
    assert {identity.family for identity in found.values()} == KNOWN_FAMILIES
    assert result.scanned == ipaddress.ip_network(network_of(demo)).num_addresses - 2
    assert progress[0] == (0, result.scanned)
    assert progress[-1] == (result.scanned, result.scanned)
    assert [done for done, _ in progress] == list(range(result.scanned + 1))


async def test_never_more_sockets_than_allowed(
    demo: list[SimulatedMiner], sockets: SocketCounter
) -> None:
    limit = 2 * SOCKETS_PER_PROBE
    result = await scan(network_of(demo), max_sockets=limit)
    assert sockets.peak <= limit
    assert sockets.peak > SOCKETS_PER_PROBE  # two hosts were in flight at once
    assert not sockets.open
    assert {miner.family for miner in result.miners} >= KNOWN_FAMILIES


async def test_a_large_range_stays_within_256_sockets(
    demo: list[SimulatedMiner], sockets: SocketCounter
) -> None:
    result = await scan("127.0.0.0/22")
    assert result.scanned == 1022
    assert sockets.connects > 1022  # every host was tried, most on two ports
    assert 85 < sockets.peak <= 256  # 85 hosts in flight, each on more than one port
    assert not sockets.open
    # Which miners answered within the budget on a loaded machine is the /24 test's concern.


async def test_simulated_miners_on_free_ports(
    simulator: Simulator, plain_web_server: int, closed_port: int
) -> None:
    s21 = await simulator.start(MinerSpec(family="antminer", model="Antminer S21"))
    gamma = await simulator.start(MinerSpec(family="axeos", model="Bitaxe Gamma"))
    targets: list[str | ScanTarget] = [
        ScanTarget(LOCALHOST, s21.port, s21.ports["rpc"]),
        f"{LOCALHOST}:{gamma.port}",
        ScanTarget(LOCALHOST, plain_web_server, closed_port),
        ScanTarget(LOCALHOST, closed_port, closed_port),
    ]
    result = await scan(targets)

    assert result.scanned == 4
    # Ordered by address, then port.
    assert [(miner.family, miner.port, miner.mac) for miner in result.miners] == sorted(
        [(Family.ANTMINER, s21.port, s21.mac), (Family.AXEOS, gamma.port, gamma.mac)],
        key=lambda found: found[1],
    )
    assert result.not_miners == (
        NotAMiner(
            LOCALHOST,
            plain_web_server,
            f"{LOCALHOST} answers on port {plain_web_server} "
            "but is not a miner this integration knows",
        ),
    )


async def test_silent_hosts_cost_at_most_the_budget(silent_port: int) -> None:
    targets = [ScanTarget(LOCALHOST, silent_port, silent_port) for _ in range(5)]
    started = time.monotonic()
    result = await scan(targets, host_timeout=0.3, max_sockets=SOCKETS_PER_PROBE)
    elapsed = time.monotonic() - started
    # One host at a time: five budgets, and not much more.
    assert 1.5 <= elapsed < 3.0
    assert (result.miners, result.not_miners, result.scanned) == ((), (), 5)


async def test_cancelling_stops_every_probe_and_closes_every_socket(
    silent_port: int, sockets: SocketCounter
) -> None:
    before = asyncio.all_tasks()
    targets = [ScanTarget(LOCALHOST, silent_port, silent_port) for _ in range(40)]
    scanning = asyncio.create_task(scan(targets, host_timeout=60))
    async with asyncio.timeout(5):
        while len(sockets.open) < 20:  # noqa: ASYNC110 (the count has no event to wait on)
            await asyncio.sleep(0.01)
    scanning.cancel()
    with pytest.raises(asyncio.CancelledError):
        await scanning
    assert not sockets.open
    assert asyncio.all_tasks() - before == set()


def test_targets_of_a_network_and_of_a_list() -> None:
    assert scan_targets("192.168.7.0/30") == [
        ScanTarget("192.168.7.1"),
        ScanTarget("192.168.7.2"),
    ]
    assert scan_targets(" 10.0.0.9 ") == [ScanTarget("10.0.0.9")]
    assert scan_targets(ipaddress.IPv4Network("10.1.0.0/31")) == [
        ScanTarget("10.1.0.0"),
        ScanTarget("10.1.0.1"),
    ]
    assert scan_targets(["10.0.0.1:8080", ScanTarget("10.0.0.2", 81, 4029)]) == [
        ScanTarget("10.0.0.1", 8080),
        ScanTarget("10.0.0.2", 81, 4029),
    ]
    assert len(scan_targets("10.0.0.0/16")) == 65534


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ("10.0.0.0/15", "more than 65534 hosts"),
        ("fd00::/120", "only IPv4 networks"),
        ("192.168.1.0/33", "is not an IPv4 network such as"),
        ("printer", "is not an IPv4 network such as"),
    ],
)
async def test_networks_that_cannot_be_scanned(network: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await scan(network)


async def test_a_scan_needs_room_for_one_probe() -> None:
    with pytest.raises(ValueError, match="at least 3 sockets"):
        await scan("10.0.0.1", max_sockets=2)


def test_results_are_ordered_by_address() -> None:
    hosts = ["10.0.0.10", "miner.local", "10.0.0.9"]
    assert sorted(hosts, key=lambda host: _order(host, None)) == [
        "miner.local",
        "10.0.0.9",
        "10.0.0.10",
    ]
