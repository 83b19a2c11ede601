"""Embedded client for Bitcoin ASIC miners: asyncio + aiohttp, no Home Assistant imports.

``identify()`` says which firmware family answers at a host, ``connect()`` returns a
:class:`Miner` for it, and ``Miner.read()`` polls it into one :class:`MinerData`.
"""

from __future__ import annotations

import aiohttp

from .errors import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerError,
    MinerFirmwareError,
    MinerLockedError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from .families.antminer import AntminerMiner
from .families.auradine import AuradineMiner
from .families.avalon import AvalonMiner
from .families.axeos import AxeOSMiner
from .families.braiins import BraiinsMiner
from .families.elphapex import ElphapexMiner
from .families.epic import EpicMiner
from .families.goldshell import GoldshellMiner
from .families.hammer import HammerMiner
from .families.hiveon import HiveonMiner
from .families.iceriver import IceRiverMiner
from .families.innosilicon import InnosiliconMiner
from .families.luxos import LuxOSMiner
from .families.marafw import MaraMiner
from .families.vnish import VnishMiner
from .families.volcminer import VolcMinerMiner
from .families.whatsminer import WhatsminerMiner
from .identify import identify
from .miner import Credentials, FirmwarePart, Miner, ProgressCallback
from .models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    NumberRange,
    Pool,
    PoolConfig,
    ReportedError,
)
from .rpc_miner import RpcMiner
from .scan import NotAMiner, ScanProgress, ScanResult, ScanTarget, scan

MINER_CLASSES: dict[Family, type[Miner]] = {
    Family.AXEOS: AxeOSMiner,
    Family.ANTMINER: AntminerMiner,
    Family.BRAIINS: BraiinsMiner,
    Family.AVALON: AvalonMiner,
    Family.WHATSMINER: WhatsminerMiner,
    Family.LUXOS: LuxOSMiner,
    Family.VNISH: VnishMiner,
    Family.GOLDSHELL: GoldshellMiner,
    Family.ICERIVER: IceRiverMiner,
    Family.INNOSILICON: InnosiliconMiner,
    Family.EPIC: EpicMiner,
    Family.AURADINE: AuradineMiner,
    Family.HIVEON: HiveonMiner,
    Family.MARAFW: MaraMiner,
    Family.ELPHAPEX: ElphapexMiner,
    Family.HAMMER: HammerMiner,
    Family.VOLCMINER: VolcMinerMiner,
}


def split_host_port(address: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` → (host, port or None).

    Never raises: what is not a port stays part of the host, and a host or port that cannot
    be an address fails later, when the miner is contacted, as a ``MinerConnectionError``.
    """
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":")
        return host, int(port) if port.isdigit() else None
    if address.count(":") == 1:
        host, port = address.split(":")
        if port.isdigit():
            return host, int(port)
    return address, None


def create_miner(
    family: Family | str,
    host: str,
    session: aiohttp.ClientSession,
    *,
    port: int | None = None,
    credentials: Credentials | None = None,
    timeout: float = 10.0,
    rpc_port: int | None = None,
) -> Miner:
    """A :class:`Miner` of a known family, without talking to it yet.

    ``rpc_port``: the CGMiner-style RPC port where it is not 4028 (families that use one).
    """
    try:
        miner_class = MINER_CLASSES[Family(family)]
    except (KeyError, ValueError) as err:
        raise MinerUnsupportedError(f"The {family} family is not supported yet") from err
    if rpc_port is not None and issubclass(miner_class, RpcMiner):
        return miner_class(
            host, session, port=port, credentials=credentials, timeout=timeout, rpc_port=rpc_port
        )
    return miner_class(host, session, port=port, credentials=credentials, timeout=timeout)


async def connect(
    host: str,
    session: aiohttp.ClientSession,
    *,
    family: Family | str | None = None,
    port: int | None = None,
    credentials: Credentials | None = None,
    timeout: float = 10.0,
    rpc_port: int | None = None,
) -> Miner:
    """A :class:`Miner` for ``host``, identifying its family first when not given."""
    if family is None:
        found = await identify(
            host, session, port=port, timeout=timeout, credentials=credentials, rpc_port=rpc_port
        )
        family, port, rpc_port = found.family, found.port, found.rpc_port or rpc_port
    return create_miner(
        family,
        host,
        session,
        port=port,
        credentials=credentials,
        timeout=timeout,
        rpc_port=rpc_port,
    )


__all__ = [
    "Board",
    "Capabilities",
    "Credentials",
    "Family",
    "Fan",
    "FirmwarePart",
    "Identity",
    "Miner",
    "MinerAuthError",
    "MinerCommandError",
    "MinerConnectionError",
    "MinerData",
    "MinerError",
    "MinerFirmwareError",
    "MinerLockedError",
    "MinerProtocolError",
    "MinerUnsupportedError",
    "NotAMiner",
    "NumberRange",
    "Pool",
    "PoolConfig",
    "ProgressCallback",
    "ReportedError",
    "ScanProgress",
    "ScanResult",
    "ScanTarget",
    "connect",
    "create_miner",
    "identify",
    "scan",
    "split_host_port",
]
