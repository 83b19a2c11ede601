"""Simulated Bitcoin ASIC miners that speak the real protocols on real loopback sockets.

async with Simulator(reboot_seconds=0.2) as sim:
    miner = await sim.start(MinerSpec(family="axeos", model="Bitaxe Gamma"))
    miner.set_fault(Fault.OFFLINE)
"""

from __future__ import annotations

from .esp_image import build_app_image, build_www_image, read_app_version, read_www_version
from .faults import ActiveFault, Fault
from .fleet import load_fleet
from .miner import SimulatedMiner
from .simulator import Simulator
from .spec import MinerSpec
from .state import MinerState, PoolState

__all__ = [
    "ActiveFault",
    "Fault",
    "MinerSpec",
    "MinerState",
    "PoolState",
    "SimulatedMiner",
    "Simulator",
    "build_app_image",
    "build_www_image",
    "load_fleet",
    "read_app_version",
    "read_www_version",
]
