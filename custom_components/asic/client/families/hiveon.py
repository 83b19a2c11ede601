"""Hiveon firmware on Antminer hardware: the stock Antminer shapes with its own name.

Everything is read and written as on stock modern Antminer firmware (see ``antminer.py``:
the same requests per poll — one joined RPC ``summary+stats+pools`` with ``new_api``,
``get_blink_status.cgi`` and ``summary.cgi``; the same digest login, root/root by default;
sleep mode to stop mining, read-modify-write of ``set_miner_conf.cgi``). What differs is the
name: the RPC ``version`` ``Type`` ends in "Hiveon" (e.g. "Antminer S19JPRO Hiveon"), which is
how the firmware is told apart from stock, and the model is that ``Type`` without it.
"""

from __future__ import annotations

from dataclasses import replace
import json
import re

from ..models import Family, Identity, MinerData
from ..probe import Probe
from . import antminer

MARKER = "HIVEON"
_SUFFIX = re.compile(r"\s*\bhiveon\b\s*$", re.IGNORECASE)


def model_from_type(rpc_type: str | None) -> str | None:
    """``Antminer S19JPRO Hiveon`` → ``Antminer S19JPRO``."""
    if not rpc_type:
        return None
    return _SUFFIX.sub("", rpc_type).strip() or None


class HiveonMiner(antminer.AntminerMiner):
    """An Antminer under Hiveon firmware."""

    restarts_mining_on_save = False

    family = Family.HIVEON

    async def read(self) -> MinerData:
        data = await super().read()
        return replace(data, family=Family.HIVEON, model=model_from_type(data.model))


async def confirm(probe: Probe) -> Identity | None:
    """Hiveon when its RPC ``version`` says so; MAC and hostname from the stock web login."""
    version = await probe.rpc_version
    if version is None or MARKER not in json.dumps(version).upper():
        return None
    rpc_type, compile_time = antminer.parse_version(version)
    # An unknown login leaves the RPC facts alone.
    info = await antminer.probe_system_info(probe) or antminer.SystemInfo()
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.HIVEON,
        model=model_from_type(rpc_type) or model_from_type(info.model),
        firmware_version=compile_time or info.firmware_version,
        mac=info.mac,
        api_flavour=antminer.flavour_for(model_from_type(rpc_type)),
    )
