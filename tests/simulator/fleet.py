"""Fleets: named presets and fleet files (a JSON or YAML list of miner specs)."""

from __future__ import annotations

from collections.abc import Mapping
import importlib
import json
from pathlib import Path
from typing import Any

from .families.auradine_models import AURADINE_MODELS
from .families.avalon_models import AVALON_MODELS
from .families.axeos_models import AXEOS_MODELS
from .families.braiins import BRAIINS_MODEL_NAMES
from .families.epic_models import EPIC_MODELS
from .families.goldshell_models import GOLDSHELL_MODELS
from .families.iceriver_models import ICERIVER_MODELS
from .families.innosilicon_models import INNOSILICON_MODEL_NAMES
from .families.luxos import LUXOS_MODEL_NAMES
from .families.vnish_models import VNISH_MODELS
from .families.whatsminer_models import WHATSMINER_MODELS
from .spec import MinerSpec

SCALE_PREFIX = "scale:"
MAX_SCALE = 5000


def demo_fleet() -> list[MinerSpec]:
    """A few miners of different families and generations, for the demo."""
    return [
        MinerSpec(family="axeos", model="Bitaxe Gamma"),
        MinerSpec(family="axeos", model="Bitaxe Supra", legacy=True),
        MinerSpec(family="axeos", model="Bitaxe GT"),
        MinerSpec(family="axeos", model="Bitaxe GT", firmware="v2.15.0"),
        MinerSpec(family="axeos", model="NerdQAxe++"),
        MinerSpec(family="antminer", model="Antminer S21"),
        MinerSpec(family="antminer", model="Antminer S9"),
        MinerSpec(family="whatsminer", model="M30S", api="v2", password="hunter22"),
        MinerSpec(family="whatsminer", model="M60S", api="v3", password="super123"),
        MinerSpec(family="goldshell", model="KD Box II"),
        MinerSpec(family="braiins", model="Antminer S19 XP"),
        MinerSpec(family="vnish", model="Antminer S19j Pro"),
        MinerSpec(family="avalon", model="Avalon Nano 3"),
        MinerSpec(family="epic", model="Antminer S19j Pro"),
        MinerSpec(family="iceriver", model="KS0"),
        MinerSpec(family="luxos", model="Antminer S19k Pro"),
        MinerSpec(family="auradine", model="AT1500"),
        MinerSpec(family="hiveon", model="Antminer S19j Pro"),
        MinerSpec(family="marafw", model="Antminer S19 XP"),
        MinerSpec(family="elphapex", model="DG1+"),
        MinerSpec(family="hammer", model="Hammer D10"),
        MinerSpec(family="volcminer", model="VolcMiner D1"),
        MinerSpec(family="innosilicon", model="T3H+"),
    ]


def axeos_fleet() -> list[MinerSpec]:
    """One board of every AxeOS model, plus a Supra on 2.4-era firmware."""
    specs = [MinerSpec(family="axeos", model=model.name) for model in AXEOS_MODELS]
    specs.append(MinerSpec(family="axeos", model="Bitaxe Supra", legacy=True))
    return specs


def scale_fleet(count: int) -> list[MinerSpec]:
    """``count`` miners for benchmarks: the demo fleet's miners in turn, so every family counts."""
    if not 1 <= count <= MAX_SCALE:
        raise ValueError(f"a scale fleet has 1 to {MAX_SCALE} miners, not {count}")
    kinds = demo_fleet()
    return [kinds[index % len(kinds)] for index in range(count)]


def whatsminer_fleet() -> list[MinerSpec]:
    """Every Whatsminer model on API v2, a locked and an old-firmware M30S, an M60S on v3."""
    specs = [
        MinerSpec(family="whatsminer", model=model.name, password_changed=True)
        for model in WHATSMINER_MODELS
    ]
    specs.append(MinerSpec(family="whatsminer", model="M30S", legacy=True))
    specs.append(MinerSpec(family="whatsminer", model="M60S", api="v3"))
    return specs


def goldshell_fleet() -> list[MinerSpec]:
    """One miner of every Goldshell model."""
    return [MinerSpec(family="goldshell", model=model.name) for model in GOLDSHELL_MODELS]


def braiins_fleet() -> list[MinerSpec]:
    """One miner of every Braiins OS model, and an S19 XP on 25.03 (RPC only)."""
    specs = [MinerSpec(family="braiins", model=name) for name in BRAIINS_MODEL_NAMES]
    specs.append(MinerSpec(family="braiins", model="Antminer S19 XP", firmware="25.03"))
    return specs


def luxos_fleet() -> list[MinerSpec]:
    """One miner of every LuxOS model."""
    return [MinerSpec(family="luxos", model=name) for name in LUXOS_MODEL_NAMES]


PRESETS = {"demo": demo_fleet, "axeos": axeos_fleet, "whatsminer": whatsminer_fleet}
PRESETS["goldshell"] = goldshell_fleet
PRESETS["braiins"] = braiins_fleet
PRESETS["luxos"] = luxos_fleet


def vnish_fleet() -> list[MinerSpec]:
    """One Vnish miner of every model."""
    return [MinerSpec(family="vnish", model=model.name) for model in VNISH_MODELS]


PRESETS["vnish"] = vnish_fleet


def avalon_fleet() -> list[MinerSpec]:
    """One AvalonMiner of every model."""
    return [MinerSpec(family="avalon", model=model.name) for model in AVALON_MODELS]


PRESETS["avalon"] = avalon_fleet


def epic_fleet() -> list[MinerSpec]:
    """One ePIC UMC miner of every model."""
    return [MinerSpec(family="epic", model=model.name) for model in EPIC_MODELS]


PRESETS["epic"] = epic_fleet


def iceriver_fleet() -> list[MinerSpec]:
    """One miner of every IceRiver model."""
    return [MinerSpec(family="iceriver", model=model.name) for model in ICERIVER_MODELS]


PRESETS["iceriver"] = iceriver_fleet


def auradine_fleet() -> list[MinerSpec]:
    """One miner of every Auradine model."""
    return [MinerSpec(family="auradine", model=model.name) for model in AURADINE_MODELS]


PRESETS["auradine"] = auradine_fleet


def innosilicon_fleet() -> list[MinerSpec]:
    """One miner of every Innosilicon model."""
    return [MinerSpec(family="innosilicon", model=name) for name in INNOSILICON_MODEL_NAMES]


PRESETS["innosilicon"] = innosilicon_fleet


def load_fleet(name_or_path: str) -> list[MinerSpec]:
    """A preset (``demo``, ``axeos``, ``scale:N``) or a fleet file's specs."""
    if name_or_path in PRESETS:
        return PRESETS[name_or_path]()
    if name_or_path.startswith(SCALE_PREFIX):
        count = name_or_path.removeprefix(SCALE_PREFIX)
        if not count.isdigit():
            raise ValueError(f"{name_or_path!r}: write scale:N with N a number of miners")
        return scale_fleet(int(count))
    path = Path(name_or_path)
    if not path.is_file():
        presets = ", ".join([*PRESETS, "scale:N"])
        raise ValueError(f"{name_or_path!r} is neither a fleet preset ({presets}) nor a file")
    return parse_fleet(path.read_text(encoding="utf-8"), yaml_syntax=path.suffix != ".json")


def parse_fleet(text: str, *, yaml_syntax: bool) -> list[MinerSpec]:
    """Specs from a fleet file: a list of mappings, or ``{"miners": [...]}``.

    An entry may carry ``count`` to repeat it.
    """
    data: Any
    if yaml_syntax:
        # Imported by name: PyYAML ships no type information, and JSON fleets do not need it.
        yaml = importlib.import_module("yaml")
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, Mapping):
        data = data.get("miners")
    if not isinstance(data, list):
        raise ValueError("a fleet file holds a list of miners (or a 'miners' key with one)")
    specs: list[MinerSpec] = []
    for position, entry in enumerate(data, start=1):
        if not isinstance(entry, Mapping):
            raise ValueError(f"fleet entry {position} is not a mapping: {entry!r}")
        fields = dict(entry)
        count = fields.pop("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"fleet entry {position}: count must be a positive number")
        try:
            spec = MinerSpec.from_mapping(fields)
        except ValueError as err:
            raise ValueError(f"fleet entry {position}: {err}") from err
        specs.extend([spec] * count)
    return specs
