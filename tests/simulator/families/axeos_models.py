"""ESP-Miner / AxeOS boards: one row per model.

ASIC facts (small cores, default clock and voltage, the UI's choices) and the Bitaxe rows
(``deviceModel`` name, board version, chip count) follow ESP-Miner's device configuration
(v2.14). The NerdAxe, NerdQAxe++ and LuckyMiner rows come from their forks' public
descriptions and are less certain; see the README.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AsicChip:
    name: str
    small_core_count: int
    default_frequency: int
    default_voltage: int
    frequency_options: tuple[int, ...]
    voltage_options: tuple[int, ...]
    hash_domains: int = 4


BM1397 = AsicChip(
    "BM1397",
    672,
    425,
    1400,
    (400, 425, 450, 475, 485, 500, 525, 550, 575, 600),
    (1100, 1150, 1200, 1250, 1300, 1350, 1400, 1450, 1500),
    hash_domains=1,
)
BM1366 = AsicChip(
    "BM1366",
    894,
    485,
    1200,
    (400, 425, 450, 475, 485, 500, 525, 550, 575),
    (1100, 1150, 1200, 1250, 1300),
)
BM1368 = AsicChip(
    "BM1368",
    1276,
    490,
    1166,
    (400, 425, 450, 475, 485, 490, 500, 525, 550, 575),
    (1100, 1150, 1166, 1200, 1250, 1300),
)
BM1370 = AsicChip(
    "BM1370",
    2040,
    525,
    1150,
    (400, 490, 525, 550, 600, 625),
    (1000, 1060, 1100, 1150, 1200, 1250),
)
BM1370_GAMMA_DUO = AsicChip(
    "BM1370",
    2040,
    400,
    1150,
    (350, 375, 380, 400, 410),
    (1000, 1060, 1100, 1150, 1200, 1250),
)


@dataclass(frozen=True, slots=True)
class AxeOSModel:
    """One board. ``device_model`` is what ``/api/system/asic`` calls it."""

    name: str
    device_model: str
    board_version: str
    chip: AsicChip
    asic_count: int
    nominal_power: float  # W at the default clock and voltage
    idle_power: float  # W with mining paused
    input_voltage: int  # mV
    max_power: int  # W, as the firmware reports it
    hostname_prefix: str
    swarm_color: str = "green"
    default_frequency: int | None = None  # when the board departs from its chip's default
    default_voltage: int | None = None
    # Forks name their board in /api/system/info as well (an assumption, see the README).
    device_model_in_info: bool = False

    @property
    def frequency(self) -> int:
        return self.default_frequency or self.chip.default_frequency

    @property
    def voltage(self) -> int:
        return self.default_voltage or self.chip.default_voltage


AXEOS_MODELS: tuple[AxeOSModel, ...] = (
    AxeOSModel("Bitaxe Max", "Max", "102", BM1397, 1, 13.0, 3.0, 5000, 25, "bitaxe", "red"),
    AxeOSModel("Bitaxe Ultra", "Ultra", "204", BM1366, 1, 11.5, 3.0, 5000, 25, "bitaxe", "purple"),
    AxeOSModel("Bitaxe Supra", "Supra", "401", BM1368, 1, 12.5, 3.0, 5000, 40, "bitaxe", "blue"),
    AxeOSModel("Bitaxe Gamma", "Gamma", "601", BM1370, 1, 17.5, 3.5, 5000, 40, "bitaxe", "green"),
    AxeOSModel(
        "Bitaxe Gamma Duo", "GammaDuo", "650", BM1370_GAMMA_DUO, 2, 30.0, 5.0, 5000, 40, "bitaxe"
    ),
    AxeOSModel("Bitaxe GT", "GammaTurbo", "801", BM1370, 2, 36.0, 6.0, 12000, 60, "bitaxe", "cyan"),
    AxeOSModel("Bitaxe Hex", "Hex", "302", BM1366, 6, 70.0, 8.0, 12000, 90, "bitaxe", "orange"),
    AxeOSModel(
        "Bitaxe Supra Hex",
        "SupraHex",
        "701",
        BM1368,
        6,
        80.0,
        9.0,
        12000,
        120,
        "bitaxe",
        "darkblue",
    ),
    AxeOSModel(
        "NerdAxe",
        "NerdAxe",
        "1.0",
        BM1366,
        1,
        11.5,
        3.0,
        5000,
        25,
        "nerdaxe",
        device_model_in_info=True,
    ),
    AxeOSModel(
        "NerdQAxe++",
        "NerdQAxe++",
        "1.0",
        BM1370,
        4,
        80.0,
        10.0,
        12000,
        100,
        "nerdqaxe",
        default_frequency=600,
        device_model_in_info=True,
    ),
    AxeOSModel(
        "LuckyMiner LV07",
        "LV07",
        "204",
        BM1366,
        1,
        12.0,
        3.0,
        5000,
        25,
        "luckyminer",
        device_model_in_info=True,
    ),
)

_BY_NAME = {model.name.casefold(): model for model in AXEOS_MODELS}
_BY_DEVICE_MODEL = {model.device_model.casefold(): model for model in AXEOS_MODELS}


def find_model(name: str) -> AxeOSModel:
    """A model by its name (``Bitaxe Gamma``) or its firmware name (``Gamma``), any case."""
    key = name.strip().casefold()
    model = _BY_NAME.get(key) or _BY_DEVICE_MODEL.get(key) or _BY_NAME.get(f"bitaxe {key}")
    if model is None:
        known = ", ".join(model.name for model in AXEOS_MODELS)
        raise ValueError(f"unknown AxeOS model {name!r}; known models: {known}")
    return model
