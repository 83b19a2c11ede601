"""Whatsminer models: nominal figures as MicroBT sells them, board layouts as BTMiner reports them.

Hashrates and power are the makers' nominal ones at the normal power mode; chip counts,
variants (``_VE10``…), clocks and the power-limit ranges are plausible, not read from real
machines (the M50S row matches a recorded API v2 reply: 3 boards × 135 chips, 42 TH/s each).
"""

from __future__ import annotations

from dataclasses import dataclass

AIR, HYDRO, IMMERSION = "air", "hydro", "immersion"


@dataclass(frozen=True, slots=True)
class WhatsminerModel:
    """One model as BTMiner presents it."""

    name: str  # "M30S": what a user calls it and the prefix of `Model`
    variant: str  # the board generation after the underscore: `Model` "M30S_VE10"
    hashrate: float  # TH/s at the normal power mode
    power: int  # W at the wall at the normal power mode
    boards: int
    chips_per_board: int
    frequency: int  # MHz, `Chip Frequency`
    cooling: str = AIR  # air-cooled models have two fans (in and out); the others none
    max_fan_rpm: int = 7000
    power_limit_min: int = 0  # 0: 50 % of `power`
    power_limit_max: int = 0  # 0: 115 % of `power`
    psu_model: str = "P221B"
    platform: str = "H616"  # control board SoC, `platform` in get_version
    serial_prefix: str = "HTM3"

    @property
    def type_name(self) -> str:
        """``devdetails`` `Model` and v3 ``miner.type``: ``M30S_VE10``."""
        return f"{self.name}_{self.variant}"

    @property
    def limit_range(self) -> tuple[int, int]:
        low = self.power_limit_min or round(self.power * 0.5)
        high = self.power_limit_max or round(self.power * 1.15)
        return low, high

    @property
    def fans(self) -> int:
        return 2 if self.cooling == AIR else 0


WHATSMINER_MODELS: tuple[WhatsminerModel, ...] = (
    WhatsminerModel(
        name="M30S",
        variant="VE10",
        hashrate=88.0,
        power=3344,
        boards=3,
        chips_per_board=148,
        frequency=545,
        power_limit_min=1700,
        power_limit_max=3600,
        psu_model="P21-12-3600-E",
        platform="H3",
        serial_prefix="HHM3",
    ),
    WhatsminerModel(
        name="M30S+",
        variant="VF20",
        hashrate=100.0,
        power=3400,
        boards=3,
        chips_per_board=111,
        frequency=595,
        power_limit_min=1700,
        power_limit_max=3600,
        psu_model="P21-12-3600-E",
        platform="H3",
        serial_prefix="HHM3",
    ),
    WhatsminerModel(
        name="M50S",
        variant="VH80",
        hashrate=126.0,
        power=3276,
        boards=3,
        chips_per_board=135,
        frequency=600,
        power_limit_min=1600,
        power_limit_max=3600,
        psu_model="P222B",
        serial_prefix="BHM5",
    ),
    WhatsminerModel(
        name="M60S",
        variant="VK30",
        hashrate=172.0,
        power=3422,
        boards=3,
        chips_per_board=111,
        frequency=625,
        power_limit_min=1700,
        power_limit_max=3800,
        psu_model="P222C",
        serial_prefix="BHM6",
    ),
    WhatsminerModel(
        name="M63S",
        variant="VL10",
        hashrate=390.0,
        power=7215,
        boards=4,
        chips_per_board=160,
        frequency=640,
        cooling=HYDRO,
        power_limit_min=3600,
        power_limit_max=8200,
        psu_model="P62-14-8200",
        serial_prefix="BHM6",
    ),
    WhatsminerModel(
        name="M66S",
        variant="VL20",
        hashrate=298.0,
        power=5513,
        boards=4,
        chips_per_board=144,
        frequency=630,
        cooling=IMMERSION,
        power_limit_min=2800,
        power_limit_max=6500,
        psu_model="P62-14-6500",
        serial_prefix="BHM6",
    ),
)


def find_model(name: str) -> WhatsminerModel:
    """A model by name (``M30S``), with or without ``WhatsMiner`` or a variant suffix."""
    wanted = name.strip().upper().removeprefix("WHATSMINER").strip()
    wanted = wanted.split("_", 1)[0]
    for model in WHATSMINER_MODELS:
        if model.name.upper() == wanted:
            return model
    known = ", ".join(model.name for model in WHATSMINER_MODELS)
    raise ValueError(f"unknown Whatsminer model {name!r}; the simulator has: {known}")
