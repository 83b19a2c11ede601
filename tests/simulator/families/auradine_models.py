"""Auradine Teraflux models (FluxOS, GCMiner). Names are the `Model` of RPC ``devdetails``.

Chip counts follow pyasic where it has them (AT1500: 3 × 132); nominal figures are the maker's
published ones, rounded; hydro and immersion models have no fans.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuradineModel:
    name: str  # "AT1500"
    boards: int
    chips_per_board: int
    nominal_ths: float  # TH/s in normal mode
    nominal_power: float  # W in normal mode
    max_power: float  # W, the top of the power-limit range
    min_power: float
    fans: int
    cooling: str  # "air", "hydro", "immersion"

    @property
    def chips(self) -> int:
        return self.boards * self.chips_per_board


AURADINE_MODELS: tuple[AuradineModel, ...] = (
    AuradineModel("AT1500", 3, 132, 180.0, 3240.0, 3600.0, 1500.0, 4, "air"),
    AuradineModel("AT2860", 3, 132, 250.0, 4400.0, 4800.0, 2000.0, 4, "air"),
    AuradineModel("AT2880", 3, 132, 260.0, 4160.0, 4800.0, 2000.0, 4, "air"),
    AuradineModel("AI2500", 3, 132, 260.0, 3900.0, 5000.0, 2000.0, 0, "immersion"),
    AuradineModel("AI3680", 3, 176, 375.0, 6800.0, 8000.0, 3000.0, 0, "immersion"),
    AuradineModel("AD3500", 3, 176, 360.0, 6480.0, 8000.0, 3000.0, 0, "hydro"),
)


def find_model(name: str) -> AuradineModel:
    wanted = name.upper().removeprefix("AURADINE").strip()
    for model in AURADINE_MODELS:
        if wanted == model.name:
            return model
    known = ", ".join(model.name for model in AURADINE_MODELS)
    raise ValueError(f"unknown Auradine model {name!r}; known: {known}")
