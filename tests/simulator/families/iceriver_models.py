"""IceRiver models (Kaspa, kHeavyHash) as the stock firmware presents them.

The firmware reports ``model: "none"`` and names the model in ``softver1``
(``ICM168_3_2_10_ks5L_miner`` recorded from a KS5L, ``5977449_ks3m_miner`` from a KS3M);
clients take the part before ``_miner``. Rates are GH/s (``unit`` "G").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IceRiverModel:
    name: str  # "KS5L"
    slug: str  # the model part of softver1: "ks5L"
    build: str  # the build part of softver1
    boards: int
    chips_per_board: int
    frequency: int  # MHz
    nominal_ghs: float
    nominal_power: float
    idle_power: float
    fans: int
    max_fan_rpm: int

    @property
    def softver1(self) -> str:
        return f"{self.build}_{self.slug}_miner"

    @property
    def softver2(self) -> str:
        return f"{self.build}_{self.slug}_bg"


ICERIVER_MODELS: tuple[IceRiverModel, ...] = (
    IceRiverModel("KS0", "ks0", "ICM168_3_2_10", 1, 4, 600, 100.0, 65.0, 8.0, 2, 4000),
    IceRiverModel("KS0 Pro", "ks0pro", "ICM168_3_2_10", 1, 8, 650, 200.0, 100.0, 8.0, 2, 4000),
    IceRiverModel("KS3", "ks3", "5977449", 3, 12, 800, 8000.0, 3200.0, 40.0, 4, 6000),
    IceRiverModel("KS3M", "ks3m", "5977449", 3, 12, 800, 6000.0, 3400.0, 40.0, 4, 6000),
    IceRiverModel("KS5L", "ks5L", "ICM168_3_2_10", 3, 18, 875, 12000.0, 3400.0, 40.0, 4, 6000),
    IceRiverModel("KS5M", "ks5m", "ICM168_3_2_10", 3, 18, 925, 15000.0, 3400.0, 40.0, 4, 6000),
)


def find_model(name: str) -> IceRiverModel:
    wanted = name.casefold().removeprefix("iceriver").strip()
    for model in ICERIVER_MODELS:
        if wanted in (model.name.casefold(), model.slug.casefold()):
            return model
    known = ", ".join(model.name for model in ICERIVER_MODELS)
    raise ValueError(f"unknown IceRiver model {name!r}; known: {known}")
