"""Hammer scrypt miners: the "blackMiner" firmware, Antminer-shaped, with ccminer's RPC.

What differs from stock modern Antminer firmware (everything else is ``antminer.py``'s code):

- the RPC (ccminer 2.3.3) listens on TCP 8359, not 4028, and counts in MH/s: ``summary``
  has ``MHS 5s``; ``stats`` is always BMMiner 2.x's ``STATS[1]`` (``chain_rate{i}`` in MH/s
  without a ``rate_unit``, ``temp{i}``, ``fan{n}``) and carries no expected hashrate, so that
  comes from the model table;
- the 401 realm is "blackMiner Configuration" (VolcMiner runs the same firmware, see
  ``volcminer.py``; the two are told apart by ``minertype``).

Requests: at connect ``get_system_info.cgi`` and ``get_miner_conf.cgi``; each poll one joined
RPC ``summary+stats+pools`` on 8359, ``get_miner_conf.cgi`` (the work mode, which these
``stats`` lack), ``get_blink_status.cgi`` and ``summary.cgi`` (its error report): 4.
Controls as stock: work modes normal/low/sleep and pools through ``set_miner_conf.cgi``
(read-modify-write), ``blink.cgi``, ``reboot.cgi``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from ..errors import MinerError
from ..models import Family, Identity, MinerData
from ..probe import Probe, WebPage
from ..transport.rpc import DEFAULT_RPC_PORT, RpcTransport
from . import antminer
from .antminer import MODERN, AntminerModel

RPC_PORT = 8359
MARKER = "HAMMER"

MODELS: dict[str, AntminerModel] = {
    row.name.lower(): row for row in (AntminerModel("Hammer D10", MODERN, 3, 108, 4, 0.005),)
}


def is_blackminer_page(page: WebPage) -> bool:
    return (page.realm or "").lower().startswith("blackminer")


class BlackMinerMiner(antminer.AntminerMiner):
    """The blackMiner firmware; subclasses name the brand and its model table."""

    family = Family.HAMMER
    rate_unit = "MH"
    models: ClassVar[dict[str, AntminerModel]] = MODELS
    restarts_mining_on_save = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["rpc_port"] = kwargs.get("rpc_port") or RPC_PORT
        super().__init__(*args, **kwargs)

    def model_row(self, name: str | None) -> AntminerModel | None:
        return self.models.get((name or "").strip().lower())

    async def read(self) -> MinerData:
        data = await super().read()
        row = self.model_row(data.model)
        expected = data.expected_hashrate
        if expected is None and row is not None and data.is_mining:
            expected = row.nominal_hashrate
        return replace(data, family=self.family, expected_hashrate=expected)


class HammerMiner(BlackMinerMiner):
    """A Hammer box (D10)."""


async def confirm_blackminer(
    probe: Probe, family: Family, default_password: str
) -> Identity | None:
    """The brand the model names: Hammer when it says so, VolcMiner otherwise.

    The model is ``minertype`` behind the login, else the RPC ``Type``, which needs none.
    """
    # The probe's RPC port when one was given, else the firmware's own.
    rpc_port = RPC_PORT if probe.rpc_port == DEFAULT_RPC_PORT else probe.rpc_port
    info = await antminer.probe_system_info(probe, default_password=default_password)
    if info is None:
        try:
            version = await RpcTransport(probe.host, rpc_port, timeout=probe.timeout).command(
                "version"
            )
        except MinerError:
            return None
        info = antminer.SystemInfo(model=antminer.parse_version(version)[0])
    if not info.model:
        return None
    brand = Family.HAMMER if MARKER in info.model.upper() else Family.VOLCMINER
    if brand is not family:
        return None
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=rpc_port,
        family=family,
        model=info.model,
        firmware_version=info.firmware_version,
        mac=info.mac,
        api_flavour=MODERN,
    )


async def confirm(probe: Probe) -> Identity | None:
    return await confirm_blackminer(probe, Family.HAMMER, antminer.DEFAULT_PASSWORD)
