"""Miner families the simulator speaks. Adding one: a module with a ``SimulatedMiner``
subclass and its model table, registered here."""

from __future__ import annotations

from ..miner import SimulatedMiner
from .antminer_rebrands import ANTMINER_FAMILIES
from .auradine import AURADINE_MODEL_NAMES, AuradineMiner
from .avalon import AvalonMiner
from .avalon_models import AVALON_MODELS
from .axeos import AxeOSMiner
from .axeos_models import AXEOS_MODELS
from .braiins import BRAIINS_MODEL_NAMES, BraiinsMiner
from .epic import EpicMiner
from .epic_models import EPIC_MODELS
from .goldshell import GOLDSHELL_MODEL_NAMES, GoldshellMiner
from .iceriver import ICERIVER_MODEL_NAMES, IceRiverMiner
from .innosilicon import INNOSILICON_MODEL_NAMES, InnosiliconMiner
from .luxos import LUXOS_MODEL_NAMES, LuxOSMiner
from .vnish import VnishMiner
from .vnish_models import VNISH_MODELS
from .whatsminer import WhatsminerMiner
from .whatsminer_models import WHATSMINER_MODELS

FAMILIES: dict[str, type[SimulatedMiner]] = {
    AxeOSMiner.family: AxeOSMiner,
    **{cls.family: cls for cls in ANTMINER_FAMILIES},
    WhatsminerMiner.family: WhatsminerMiner,
    EpicMiner.family: EpicMiner,
    VnishMiner.family: VnishMiner,
    GoldshellMiner.family: GoldshellMiner,
    IceRiverMiner.family: IceRiverMiner,
    AuradineMiner.family: AuradineMiner,
    BraiinsMiner.family: BraiinsMiner,
    AvalonMiner.family: AvalonMiner,
    LuxOSMiner.family: LuxOSMiner,
    InnosiliconMiner.family: InnosiliconMiner,
}

MODEL_NAMES: dict[str, tuple[str, ...]] = {
    AxeOSMiner.family: tuple(model.name for model in AXEOS_MODELS),
    **{cls.family: tuple(model.name for model in cls.models) for cls in ANTMINER_FAMILIES},
    WhatsminerMiner.family: tuple(model.name for model in WHATSMINER_MODELS),
    EpicMiner.family: tuple(model.name for model in EPIC_MODELS),
    VnishMiner.family: tuple(model.name for model in VNISH_MODELS),
    GoldshellMiner.family: GOLDSHELL_MODEL_NAMES,
    IceRiverMiner.family: ICERIVER_MODEL_NAMES,
    AuradineMiner.family: AURADINE_MODEL_NAMES,
    BraiinsMiner.family: BRAIINS_MODEL_NAMES,
    AvalonMiner.family: tuple(model.name for model in AVALON_MODELS),
    LuxOSMiner.family: LUXOS_MODEL_NAMES,
    InnosiliconMiner.family: INNOSILICON_MODEL_NAMES,
}


def miner_class(family: str) -> type[SimulatedMiner]:
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(
            f"unknown family {family!r}; the simulator speaks: {', '.join(FAMILIES)}"
        ) from None
