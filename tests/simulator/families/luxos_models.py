"""LuxOS models: Antminer hardware as LUXminer presents it, and the profiles it generates.

LuxOS builds 25 profiles per miner from the nameplate (EEPROM) clock and voltage: the default
one, 16 steps down and 8 steps up of 25 MHz each, the voltage 0.15 V per step with a floor
(docs.luxor.tech "Preset Profiles"; the recorded S19k Pro's ``profiles`` reply). The S19k Pro
row matches that recording (3 × 77 BM1366, 590 MHz at 13.5 V, 2794 W, 121.8 TH/s, board
BHB56903, PSU APW121215e); the other rows take the stock Antminer figures, their voltages and
board names are plausible, not read from machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from .antminer_models import AntminerModel, find_model

STEPS_DOWN = 16
STEPS_UP = 8
FREQUENCY_STEP = 25  # MHz per profile step
VOLTAGE_STEP = 0.15  # V per profile step
VOLTAGE_FLOOR_BELOW = 1.62  # the lowest voltage is this far below the nameplate one
STATIC_SHARE = 0.04  # the share of the nominal power that does not scale with f·V²

S19K_PRO = AntminerModel(
    name="Antminer S19k Pro",
    modern=True,
    chip="BM1366",
    boards=3,
    chips_per_board=77,
    frequency=590,
    nominal_hashrate=121_800.0,
    nominal_power=2794.0,
    fans=4,
    max_fan_rpm=6600,
    miner_version="49.0.1.3",
    bmminer_version="1.0.0",
    compile_time="Tue Apr  8 22:05:35 UTC 2025",
    filesystem_version="Tue Apr  8 22:05:35 UTC 2025",
    serial_prefix="JYZZ",
)


@dataclass(frozen=True, slots=True)
class Profile:
    """One row of ``profiles``."""

    name: str
    step: int
    frequency: int  # MHz
    voltage: float  # V
    watts: int
    hashrate: float  # TH/s


@dataclass(frozen=True, slots=True)
class LuxosModel:
    """One model under LuxOS."""

    name: str  # `Type` of version/stats, `Model` of config
    hardware: AntminerModel
    voltage: float  # nameplate board voltage, V
    board_name: str  # `Board` of devs
    psu_label: str = "APW121215e"
    control_board: str = "cvitek"

    def profiles(self) -> tuple[Profile, ...]:
        hardware = self.hardware
        base_power = hardware.nominal_power
        static = STATIC_SHARE * base_power
        scale = (base_power - static) / (hardware.frequency * self.voltage**2)
        floor = self.voltage - VOLTAGE_FLOOR_BELOW
        rows = []
        for step in range(-STEPS_DOWN, STEPS_UP + 1):
            frequency = hardware.frequency + FREQUENCY_STEP * step
            voltage = round(max(floor, self.voltage + VOLTAGE_STEP * step), 2)
            rows.append(
                Profile(
                    name="default" if step == 0 else f"{frequency}MHz",
                    step=step,
                    frequency=frequency,
                    voltage=voltage,
                    watts=round(static + scale * frequency * voltage**2),
                    hashrate=round(
                        hardware.nominal_hashrate / 1000 * frequency / hardware.frequency, 1
                    ),
                )
            )
        return tuple(rows)


LUXOS_MODELS: tuple[LuxosModel, ...] = (
    LuxosModel("Antminer S19k Pro", S19K_PRO, 13.5, "BHB56903"),
    LuxosModel("Antminer S19j Pro", find_model("Antminer S19j Pro"), 13.4, "BHB42831"),
    LuxosModel("Antminer S19 XP", find_model("Antminer S19 XP"), 13.8, "BHB56801"),
    LuxosModel("Antminer S21", find_model("Antminer S21"), 13.2, "BHB68601"),
    LuxosModel("Antminer S21 Pro", find_model("Antminer S21 Pro"), 13.2, "BHB68701"),
)


def find_luxos_model(name: str) -> LuxosModel:
    """A row by name, with or without "Antminer ", spaces and case ignored."""
    wanted = name.lower().removeprefix("antminer ").replace(" ", "")
    for model in LUXOS_MODELS:
        if model.name.lower().removeprefix("antminer ").replace(" ", "") == wanted:
            return model
    known = ", ".join(model.name for model in LUXOS_MODELS)
    raise ValueError(f"unknown LuxOS model {name!r}; the simulator has: {known}")
