"""ePIC UMC control boards on Antminer hashboards: what `/capabilities` reports per model.

The S19 XP row takes the figures of a reply recorded from a real S19 XP on PowerPlay-BMS 1.5.13
(chip type, chips, bank size, default clock/hashrate/voltage, tune presets, PSU limits, model
subtype); the other rows are shaped the same way with the makers' nominal figures, not measured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TunePreset:
    clock: int  # MHz
    terahash: float
    watts: int
    millivolts: int


@dataclass(frozen=True, slots=True)
class EpicModel:
    name: str  # what users call it ("Antminer S19 XP")
    capability_model: str  # `Model` of /capabilities ("AntMiner S19 XP")
    subtype: str  # `Model Subtype` (the hashboard type)
    chip: str
    boards: int
    chips_per_board: int
    chips_per_bank: int
    default_clock: int
    default_terahash: int
    default_millivolts: int
    hashes_per_chip: float  # `Hashes Per Second Per Chip` of the estimator (GH/s per chip)
    presets: tuple[TunePreset, ...]
    fans: int = 4
    max_fan_rpm: int = 6000
    idle_power: float = 110.0
    serial_prefix: str = "YNAH"

    @property
    def nominal_power(self) -> float:
        return float(min(self.presets, key=lambda p: abs(p.terahash - self.default_terahash)).watts)

    @property
    def min_target(self) -> int:
        return 60 if self.default_terahash > 120 else 40

    @property
    def max_target(self) -> int:
        return 300


def _presets(*rows: tuple[int, float, int, int]) -> tuple[TunePreset, ...]:
    return tuple(TunePreset(*row) for row in rows)


EPIC_MODELS: tuple[EpicModel, ...] = (
    EpicModel(
        name="Antminer S19j Pro",
        capability_model="AntMiner S19J Pro",
        subtype="BHB42601",
        chip="BM1362",
        boards=3,
        chips_per_board=126,
        chips_per_bank=6,
        default_clock=525,
        default_terahash=104,
        default_millivolts=13600,
        hashes_per_chip=275.0,
        presets=_presets(
            (300, 60.0, 1700, 12800),
            (385, 76.0, 2200, 13000),
            (455, 90.0, 2650, 13300),
            (525, 104.0, 3068, 13600),
            (580, 115.0, 3500, 14000),
        ),
        serial_prefix="YFAH",
    ),
    EpicModel(
        name="Antminer S19 XP",
        capability_model="AntMiner S19 XP",
        subtype="BHB56801",
        chip="BM1366",
        boards=3,
        chips_per_board=110,
        chips_per_bank=10,
        default_clock=485,
        default_terahash=143,
        default_millivolts=12900,
        hashes_per_chip=894.0,
        presets=_presets(
            (272, 80.0, 1700, 12300),
            (337, 100.0, 2200, 12500),
            (407, 120.0, 2700, 12600),
            (482, 142.0, 3350, 12900),
            (525, 154.0, 3850, 13100),
            (575, 169.0, 4400, 13500),
        ),
        max_fan_rpm=6600,
    ),
    EpicModel(
        name="Antminer S21",
        capability_model="AntMiner S21",
        subtype="BHB68601",
        chip="BM1368",
        boards=3,
        chips_per_board=108,
        chips_per_bank=12,
        default_clock=490,
        default_terahash=200,
        default_millivolts=13200,
        hashes_per_chip=1234.0,
        presets=_presets(
            (330, 135.0, 2300, 12600),
            (410, 168.0, 2900, 12900),
            (490, 200.0, 3500, 13200),
            (540, 220.0, 4000, 13500),
            (590, 240.0, 4600, 13900),
        ),
        max_fan_rpm=6600,
        serial_prefix="YQAH",
    ),
)


def find_epic_model(name: str) -> EpicModel:
    """A row by its name, with or without "Antminer ", any case and spacing."""
    wanted = name.lower().removeprefix("antminer ").replace(" ", "")
    for model in EPIC_MODELS:
        if model.name.lower().removeprefix("antminer ").replace(" ", "") == wanted:
            return model
    known = ", ".join(model.name for model in EPIC_MODELS)
    raise ValueError(f"unknown ePIC model {name!r}; known: {known}")
