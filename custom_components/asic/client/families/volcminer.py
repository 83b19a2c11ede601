"""VolcMiner scrypt miners: the blackMiner firmware of ``hammer.py`` under another brand.

Only the brand's table, its default web password ("ltc@dog") and its name differ; requests
per poll, parsers and controls are Hammer's.
"""

from __future__ import annotations

from typing import ClassVar

from ..models import Family, Identity
from ..probe import Probe
from .antminer import MODERN, AntminerModel
from .hammer import BlackMinerMiner, confirm_blackminer

DEFAULT_PASSWORD = "ltc@dog"  # noqa: S105 (the factory default)

MODELS: dict[str, AntminerModel] = {
    row.name.lower(): row for row in (AntminerModel("VolcMiner D1", MODERN, 3, 105, 4, 0.01515),)
}


class VolcMinerMiner(BlackMinerMiner):
    """A VolcMiner box (D1)."""

    family = Family.VOLCMINER
    default_password = DEFAULT_PASSWORD
    models: ClassVar[dict[str, AntminerModel]] = MODELS


async def confirm(probe: Probe) -> Identity | None:
    return await confirm_blackminer(probe, Family.VOLCMINER, DEFAULT_PASSWORD)
