"""Goldshell models as their firmware presents them.

``status_model`` is the ``model`` of ``/mcb/status`` ("Goldshell-SCBox" was recorded from a real
SC-BOX; the others follow that pattern and pyasic's model keys, ``GOLDSHELL KDBOXII`` once the
dash is a space). Goldshell mines several coins: every rate here is in MH/s, the unit the
firmware's RPC ``MHS *`` keys and web ``hashrate`` use, whatever the algorithm.
Nominal figures are the maker's; chip counts follow pyasic's model classes where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GoldshellModel:
    """One model: identity, boards, nominal figures and the stock power plans."""

    name: str  # "KD Max": what a user calls it
    status_model: str  # `model` of /mcb/status
    algorithm: str  # as the firmware names it in /mcb/algosetting
    boards: int
    chips_per_board: int
    nominal_mhs: float  # MH/s at power plan level 0
    nominal_power: float  # W at level 0
    idle_power: float  # W with the boards stopped (level 3)
    fans: int
    max_fan_rpm: int
    frequency: int  # MHz of the stock plan
    voltage: float  # V of the stock plan, as the plan string writes it
    hardware: str  # `hardware` of /mcb/status
    mcb_version: str  # `mcbversion`
    firmware: str  # `firmware`
    mac_prefix: str = "28:E2:97"  # the OUI seen on a Goldshell setting reply

    @property
    def chips(self) -> int:
        return self.boards * self.chips_per_board


GOLDSHELL_MODELS: tuple[GoldshellModel, ...] = (
    GoldshellModel(
        name="KD Box",
        status_model="Goldshell-KDBox",
        algorithm="blake2s(KDA)",
        boards=1,
        chips_per_board=16,
        nominal_mhs=1_600_000.0,
        nominal_power=205.0,
        idle_power=12.0,
        fans=2,
        max_fan_rpm=6000,
        frequency=800,
        voltage=0.42,
        hardware="20.10.HA",
        mcb_version="MCB_V3_1",
        firmware="2.2.5",
    ),
    GoldshellModel(
        name="KD Box II",
        status_model="Goldshell-KDBoxII",
        algorithm="blake2s(KDA)",
        boards=1,
        chips_per_board=36,
        nominal_mhs=5_000_000.0,
        nominal_power=400.0,
        idle_power=14.0,
        fans=2,
        max_fan_rpm=6000,
        frequency=850,
        voltage=0.44,
        hardware="30.20.HA",
        mcb_version="MCB_V4_3",
        firmware="2.2.5",
    ),
    GoldshellModel(
        name="KD Box Pro",
        status_model="Goldshell-KDBoxPro",
        algorithm="blake2s(KDA)",
        boards=1,
        chips_per_board=16,
        nominal_mhs=2_600_000.0,
        nominal_power=230.0,
        idle_power=12.0,
        fans=2,
        max_fan_rpm=6000,
        frequency=825,
        voltage=0.43,
        hardware="30.10.HA",
        mcb_version="MCB_V4_3",
        firmware="2.2.5",
    ),
    GoldshellModel(
        name="KD Max",
        status_model="Goldshell-KDMax",
        algorithm="blake2s(KDA)",
        boards=3,
        chips_per_board=84,
        nominal_mhs=40_200_000.0,
        nominal_power=3350.0,
        idle_power=45.0,
        fans=4,
        max_fan_rpm=6600,
        frequency=800,
        voltage=0.42,
        hardware="20.40.SA",
        mcb_version="MCB_V4_3",
        firmware="2.2.5",
    ),
    GoldshellModel(
        name="LT6",
        status_model="Goldshell-LT6",
        algorithm="scrypt(LTC)",
        boards=3,
        chips_per_board=72,
        nominal_mhs=3_350.0,
        nominal_power=3200.0,
        idle_power=45.0,
        fans=4,
        max_fan_rpm=6600,
        frequency=750,
        voltage=0.41,
        hardware="20.30.SA",
        mcb_version="MCB_V4_3",
        firmware="2.2.5",
    ),
    GoldshellModel(
        name="Mini DOGE",
        status_model="Goldshell-MiniDoge",
        algorithm="scrypt(LTC)",
        boards=1,
        chips_per_board=40,
        nominal_mhs=185.0,
        nominal_power=233.0,
        idle_power=10.0,
        fans=2,
        max_fan_rpm=5000,
        frequency=550,
        voltage=0.38,
        hardware="10.10.HA",
        mcb_version="MCB_V3_1",
        firmware="2.2.5",
    ),
)


def find_model(name: str) -> GoldshellModel:
    """A model by its name, its status string or its pyasic key ("GOLDSHELL KDMAX")."""
    wanted = name.replace("-", " ").replace("_", " ").casefold()
    compact = wanted.replace(" ", "").removeprefix("goldshell")
    for model in GOLDSHELL_MODELS:
        names = {model.name.casefold(), model.status_model.replace("-", " ").casefold()}
        if wanted in names or compact == model.name.replace(" ", "").casefold():
            return model
    known = ", ".join(model.name for model in GOLDSHELL_MODELS)
    raise ValueError(f"unknown Goldshell model {name!r}; known: {known}")
