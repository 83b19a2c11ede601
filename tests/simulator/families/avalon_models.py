"""AvalonMiner models: what Canaan's CGMiner 4.11.1 firmware reports, and their work settings.

Two firmware generations answer differently (see the README): the home line (Nano 3, Nano 3S,
Mini 3, Avalon Q) keeps the full ``MM ID0`` string for ``estats`` and answers ``stats`` and
``litestats`` with the ``'STATS':{…}`` summary; the A-series (A1566) answers ``stats`` and
``estats`` with the full ``MM ID0`` of its three hash boards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOME, CLASSIC = "home", "classic"


@dataclass(frozen=True, slots=True)
class WorkSetting:
    """One value of ``workmode`` or ``worklevel``: its name and its share of the top figures."""

    name: str
    hash_factor: float
    power_factor: float


@dataclass(frozen=True, slots=True)
class AvalonModel:
    """One model as its firmware presents it."""

    name: str  # what a user calls it ("Avalon Nano 3")
    prod: str  # `version` PROD
    model: str  # `version` MODEL
    generation: str  # HOME or CLASSIC
    hashrate: float  # TH/s at the top setting
    power: int  # W at the wall at the top setting
    standby_power: float  # W when soft-off
    boards: int
    chips_per_board: int
    fans: int  # fans that turn; HOME replies always list Fan1..Fan4
    max_fan_rpm: int
    frequency: float  # MHz at the top setting
    core: str  # `Core[…]`, the ASIC
    hwtype: str
    swtype: str
    firmware: str  # the build string every version key carries
    cpu: str = ""  # HOME `CPU[…]`
    hash_mcu: str = ""
    fan_mcu: str = ""
    # ascset 0,workmode,set,N and 0,worklevel,set,N: N -> setting; the defaults at power-on
    workmodes: dict[int, WorkSetting] = field(default_factory=dict)
    worklevels: dict[int, WorkSetting] = field(default_factory=dict)
    default_workmode: int = 0
    default_worklevel: int = 0
    hostname_prefix: str = "Avalon"

    @property
    def ver(self) -> str:
        """``Ver[…]`` of the ``MM ID0`` string."""
        return f"{self.model}-{self.firmware}"


_ONLY = {0: WorkSetting("normal", 1.0, 1.0)}
_LOW_MID_HIGH = {
    0: WorkSetting("low", 0.5, 0.43),
    1: WorkSetting("mid", 0.75, 0.71),
    2: WorkSetting("high", 1.0, 1.0),
}

AVALON_MODELS: tuple[AvalonModel, ...] = (
    AvalonModel(
        name="Avalon Nano 3",
        prod="AvalonNano",
        model="Nano3",
        generation=HOME,
        hashrate=4.0,
        power=140,
        standby_power=3.0,
        boards=1,
        chips_per_board=10,
        fans=1,
        max_fan_rpm=4000,
        frequency=500.0,
        core="A3197S",
        hwtype="N_MM1v1_X1",
        swtype="MM319",
        firmware="24071801_3ab7c5c",
        cpu="K210",
        hash_mcu="N_hb_v1.0",
        fan_mcu="N_fb_v1.0",
        workmodes=_ONLY,
        worklevels=_LOW_MID_HIGH,
        default_worklevel=2,
    ),
    AvalonModel(
        name="Avalon Nano 3S",
        prod="Avalon Nano3s",
        model="Nano3s",
        generation=HOME,
        hashrate=6.0,
        power=140,
        standby_power=3.0,
        boards=1,
        chips_per_board=12,
        fans=1,
        max_fan_rpm=4000,
        frequency=525.0,
        core="A3197S",
        hwtype="N3S_MM1v1_X1",
        swtype="MM319",
        firmware="25061101_97e23a6",
        cpu="K230",
        hash_mcu="N3S_hb_v1.0",
        fan_mcu="N3S_fb_v1.0",
        workmodes=_LOW_MID_HIGH,
        worklevels=_ONLY,
        default_workmode=2,
    ),
    AvalonModel(
        name="Avalon Mini 3",
        prod="Avalon Mini3",
        model="Mini3",
        generation=HOME,
        hashrate=37.5,
        power=800,
        standby_power=8.0,
        boards=1,
        chips_per_board=66,
        fans=1,
        max_fan_rpm=3000,
        frequency=480.0,
        core="A3197S",
        hwtype="M3_MM1v1_X1",
        swtype="MM319",
        firmware="25021401_5c8d2e1",
        cpu="K230",
        hash_mcu="M3_hb_v1.0",
        fan_mcu="M3_fb_v1.0",
        workmodes={
            0: WorkSetting("heating", 1.0, 1.0),
            1: WorkSetting("mining", 1.0, 1.0),
            2: WorkSetting("night", 0.6, 0.55),
        },
        worklevels={-1: WorkSetting("eco", 0.7, 0.65), 0: WorkSetting("super", 1.0, 1.0)},
        default_workmode=1,
    ),
    AvalonModel(
        name="Avalon Q",
        prod="Avalon Q",
        model="Q",
        generation=HOME,
        hashrate=90.0,
        power=1674,
        standby_power=15.0,
        boards=1,
        chips_per_board=160,
        fans=4,
        max_fan_rpm=3600,
        frequency=340.0,
        core="A3197S",
        hwtype="Q_MM1v1_X1",
        swtype="MM319",
        firmware="25052801_14a19a2",
        cpu="K230",
        hash_mcu="Q_hb_v1.1",
        fan_mcu="Q_fb_v1.2",
        workmodes={
            0: WorkSetting("eco", 0.61, 0.478),
            1: WorkSetting("standard", 0.83, 0.78),
            2: WorkSetting("super", 1.0, 1.0),
        },
        worklevels=_ONLY,
        default_workmode=1,
    ),
    AvalonModel(
        name="Avalon A1566",
        prod="AvalonMiner 15-194",
        model="15-194",
        generation=CLASSIC,
        hashrate=185.0,
        power=3420,
        standby_power=40.0,
        boards=3,
        chips_per_board=160,
        fans=2,
        max_fan_rpm=6800,
        frequency=330.0,
        core="A3197S",
        hwtype="MM4v2_X3",
        swtype="MM319",
        firmware="24102401_25462b2_9ddf522",
        workmodes={0: WorkSetting("normal", 1.0, 1.0), 1: WorkSetting("high", 1.09, 1.09)},
        worklevels=_ONLY,
    ),
)

DEFAULT_MODEL = "Avalon Nano 3"


def find_model(name: str) -> AvalonModel:
    """A model by its name, its MODEL or its PROD, any case."""
    wanted = name.strip().lower()
    for model in AVALON_MODELS:
        if wanted in (model.name.lower(), model.model.lower(), model.prod.lower()):
            return model
    known = ", ".join(model.name for model in AVALON_MODELS)
    raise ValueError(f"unknown Avalon model {name!r}; known: {known}")
