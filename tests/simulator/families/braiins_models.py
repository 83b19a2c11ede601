"""Braiins OS models: Antminer hardware as BOSer presents it.

The hardware figures (chips, clocks, nominal hashrate and power, fans) are the stock Antminer
rows of ``antminer_models``; this table adds what Braiins OS shows of its own: the model name of
``miner/details``, the ``devdetails`` `Model` string, the hashboard name, the power-target range
of ``configuration/constraints`` and the default power target. The S19 XP row matches the
recorded 25.07 replies (board BHB56801, 3 × 110 BM1366, APW121215d/e, target 3031 W, model id
18); the other rows' board names, model ids and ranges are plausible, not read from machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from .antminer_models import AntminerModel, find_model


@dataclass(frozen=True, slots=True)
class BraiinsModel:
    """One model under Braiins OS."""

    name: str  # "Antminer S19 XP": miner_identity.name / miner_model
    hardware: AntminerModel
    devdetails_model: str  # RPC devdetails `Model`: "Bitmain Antminer S19XP"
    board_name: str  # hashboards[].board_name / model
    model_id: int  # miner_identity.model (an enum of BOSer)
    default_power_target: int  # W, what the tuner aims at out of the box
    min_power_target: int
    max_power_target: int
    psu_model: str = "APW121215d/e"
    serial_prefix: str = "NGSB"

    @property
    def sticker_hashrate(self) -> float:
        """GH/s as printed on the sticker (``sticker_hashrate``)."""
        return self.hardware.nominal_hashrate


def _row(
    name: str,
    devdetails_model: str,
    board_name: str,
    model_id: int,
    target: int,
    low: int,
    high: int,
    serial_prefix: str,
) -> BraiinsModel:
    return BraiinsModel(
        name=name,
        hardware=find_model(name),
        devdetails_model=devdetails_model,
        board_name=board_name,
        model_id=model_id,
        default_power_target=target,
        min_power_target=low,
        max_power_target=high,
        serial_prefix=serial_prefix,
    )


BRAIINS_MODELS: tuple[BraiinsModel, ...] = (
    _row("Antminer S19", "Bitmain Antminer S19", "BHB42601", 9, 3100, 1500, 3700, "NGSA"),
    _row(
        "Antminer S19j Pro", "Bitmain Antminer S19j Pro", "BHB42831", 14, 2950, 1400, 3600, "JYZZ"
    ),
    _row("Antminer S19 XP", "Bitmain Antminer S19XP", "BHB56801", 18, 3031, 1500, 3600, "NGSB"),
    _row("Antminer S21", "Bitmain Antminer S21", "BHB68601", 22, 3400, 1700, 4000, "YNAH"),
    _row("Antminer S21 Pro", "Bitmain Antminer S21 Pro", "BHB68701", 24, 3450, 1700, 4000, "YNAJ"),
    _row("Antminer T21", "Bitmain Antminer T21", "BHB68606", 23, 3500, 1700, 4100, "YNAK"),
)


def find_braiins_model(name: str) -> BraiinsModel:
    """A row by name, with or without "Antminer ", spaces and case ignored ("S19XP" too)."""
    wanted = name.lower().removeprefix("antminer ").replace(" ", "")
    for model in BRAIINS_MODELS:
        if model.name.lower().removeprefix("antminer ").replace(" ", "") == wanted:
            return model
    known = ", ".join(model.name for model in BRAIINS_MODELS)
    raise ValueError(f"unknown Braiins OS model {name!r}; the simulator has: {known}")
