"""Innosilicon models as their DragonMint-derived firmware presents them.

``web_type`` is what ``POST /api/type`` answers (``{"type": …}``); pyasic keys its model classes
on these strings ("T3H+", "A10X", "A11"). The T3 series mines Bitcoin (SHA-256) and reports
``total_hash["Hash Rate H"]`` in H/s; the A10/A11 series mines Ethash and reports
``total_hash["Hash Rate"]`` in MH/s (pyasic reads the one key or the other). Rates in this table are
in the unit the RPC ``MHS *`` keys use: MH/s for every model, so a T3H+ at 74 TH/s is 74e6 MH/s
and an A10 Pro at 500 MH/s is 500. Nominal figures are the maker's published ones; board, chip
and fan counts follow pyasic's model classes where it has them and are assumed otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

SHA256 = "SHA256"
ETHASH = "Ethash"


@dataclass(frozen=True, slots=True)
class InnosiliconModel:
    """One model: identity, boards and the figures at the "normal" power mode."""

    name: str  # what a user calls it: "T3H+"
    web_type: str  # `type` of /api/type and `Type` of RPC version
    algorithm: str  # SHA256 or Ethash
    boards: int
    chips_per_board: int
    nominal_mhs: float  # MH/s in "normal" mode
    nominal_power: float  # W in "normal" mode
    idle_power: float  # W with cgminer stopped
    fans: int
    max_fan_rpm: int
    frequency: int  # MHz in "normal" mode
    firmware: str  # the build string of /api/overview `version.build` (assumed form)
    hardware: str  # `version.hwver`

    @property
    def chips(self) -> int:
        return self.boards * self.chips_per_board

    @property
    def sha256(self) -> bool:
        return self.algorithm == SHA256


INNOSILICON_MODELS: tuple[InnosiliconModel, ...] = (
    InnosiliconModel(
        name="T3H+",
        web_type="T3H+",
        algorithm=SHA256,
        boards=3,
        chips_per_board=114,
        nominal_mhs=74_000_000.0,
        nominal_power=3330.0,
        idle_power=60.0,
        fans=4,
        max_fan_rpm=6000,
        frequency=1050,
        firmware="2022-03-15",
        hardware="T3H+_CB_V1.1",
    ),
    InnosiliconModel(
        name="T3+ Pro",
        web_type="T3+ Pro",
        algorithm=SHA256,
        boards=3,
        chips_per_board=114,
        nominal_mhs=67_000_000.0,
        nominal_power=3300.0,
        idle_power=60.0,
        fans=4,
        max_fan_rpm=6000,
        frequency=1000,
        firmware="2021-11-02",
        hardware="T3+Pro_CB_V1.0",
    ),
    InnosiliconModel(
        name="A10 Pro",
        web_type="A10X",
        algorithm=ETHASH,
        boards=3,
        chips_per_board=8,
        nominal_mhs=500.0,
        nominal_power=960.0,
        idle_power=40.0,
        fans=2,
        max_fan_rpm=6000,
        frequency=1100,
        firmware="2021-06-28",
        hardware="A10Pro_CB_V1.3",
    ),
    InnosiliconModel(
        name="A11 Pro",
        web_type="A11",
        algorithm=ETHASH,
        boards=4,
        chips_per_board=8,
        nominal_mhs=2000.0,
        nominal_power=2500.0,
        idle_power=50.0,
        fans=2,
        max_fan_rpm=6000,
        frequency=1200,
        firmware="2021-12-20",
        hardware="A11Pro_CB_V1.0",
    ),
)

INNOSILICON_MODEL_NAMES = tuple(model.name for model in INNOSILICON_MODELS)


def find_model(name: str) -> InnosiliconModel:
    """A model by its name or its ``/api/type`` string, ignoring case and spaces."""
    wanted = name.replace(" ", "").casefold().removeprefix("innosilicon")
    for model in INNOSILICON_MODELS:
        if wanted in (
            model.name.replace(" ", "").casefold(),
            model.web_type.replace(" ", "").casefold(),
        ):
            return model
    raise ValueError(
        f"unknown Innosilicon model {name!r}; known: {', '.join(INNOSILICON_MODEL_NAMES)}"
    )
