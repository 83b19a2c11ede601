"""Vnish (AnthillOS) models: the Antminer hardware rows plus what Vnish adds to them.

Each row names the stock Antminer row it runs on (chips, boards, fans, clocks come from there),
the model code and platform `/api/v1/info` reports, and the autotune presets the firmware
offers. Preset watts and hashrates are plausible figures shaped like the ones users post
("3100 watt ~ 104 TH"), not measured; which presets are tuned out of the box is a choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from .antminer_models import AntminerModel, find_model


@dataclass(frozen=True, slots=True)
class VnishPreset:
    """One autotune preset: its name is its wattage, as Vnish names them."""

    watts: int
    terahash: float
    tuned: bool = True
    modded_psu_required: bool = False

    @property
    def name(self) -> str:
        return str(self.watts)

    @property
    def pretty(self) -> str:
        return f"{self.watts} watt ~ {self.terahash:g} TH"


@dataclass(frozen=True, slots=True)
class VnishModel:
    hardware: str  # the stock row's name ("Antminer S19j Pro")
    code: str  # `model` of /api/v1/info ("Miner model code")
    platform: str  # aml | bb | cv | stm | xil
    presets: tuple[VnishPreset, ...]
    default_preset: str
    default_voltage: int  # mV, `globals.volt` when the preset is "disabled"

    @property
    def antminer(self) -> AntminerModel:
        return find_model(self.hardware)

    @property
    def name(self) -> str:
        return self.hardware

    def preset(self, name: str) -> VnishPreset | None:
        return next((preset for preset in self.presets if preset.name == name), None)


def _presets(*rows: tuple[int, float, bool]) -> tuple[VnishPreset, ...]:
    return tuple(VnishPreset(watts, terahash, tuned) for watts, terahash, tuned in rows)


VNISH_MODELS: tuple[VnishModel, ...] = (
    VnishModel(
        hardware="Antminer S19",
        code="s19",
        platform="xil",
        presets=_presets(
            (2200, 72, True),
            (2600, 82, True),
            (3000, 91, True),
            (3250, 95, True),
            (3500, 100, False),
            (3800, 106, False),
        ),
        default_preset="3250",
        default_voltage=1360,
    ),
    VnishModel(
        hardware="Antminer S19 Pro",
        code="s19pro",
        platform="xil",
        presets=_presets(
            (2300, 85, True),
            (2700, 96, True),
            (3000, 104, True),
            (3250, 110, True),
            (3500, 116, False),
            (3900, 124, False),
        ),
        default_preset="3250",
        default_voltage=1360,
    ),
    VnishModel(
        hardware="Antminer S19j Pro",
        code="s19jpro",
        platform="aml",
        presets=_presets(
            (2100, 77, True),
            (2400, 86, True),
            (2700, 94, True),
            (3100, 104, True),
            (3300, 109, True),
            (3600, 116, False),
        ),
        default_preset="3100",
        default_voltage=1320,
    ),
    VnishModel(
        hardware="Antminer S19 XP",
        code="s19xp",
        platform="aml",
        presets=_presets(
            (2200, 112, True),
            (2600, 126, True),
            (3000, 140, True),
            (3300, 148, True),
            (3600, 155, False),
        ),
        default_preset="3000",
        default_voltage=1320,
    ),
    VnishModel(
        hardware="Antminer S21",
        code="s21",
        platform="cv",
        presets=_presets(
            (2500, 160, True),
            (3000, 180, True),
            (3500, 200, True),
            (3900, 215, True),
            (4300, 228, False),
        ),
        default_preset="3500",
        default_voltage=1280,
    ),
)


def find_vnish_model(name: str) -> VnishModel:
    """A row by its name, with or without "Antminer ", any case and spacing."""
    wanted = name.lower().removeprefix("antminer ").replace(" ", "")
    for model in VNISH_MODELS:
        if model.hardware.lower().removeprefix("antminer ").replace(" ", "") == wanted:
            return model
    known = ", ".join(model.name for model in VNISH_MODELS)
    raise ValueError(f"unknown Vnish model {name!r}; known: {known}")
