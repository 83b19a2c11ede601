"""Stock Antminer models, and the firmwares that re-brand the Antminer shapes.

Figures are the makers' nominal ones (hashrate at the normal work mode, power at the wall);
chip counts and clocks are those Bitmain's firmware reports (the S19 Pro row matches a
recorded reply). Rows of the re-brands change only what tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AntminerModel:
    """One model as the firmware presents it."""

    name: str  # "Antminer S19 Pro": `minertype`, RPC `Type`
    modern: bool  # JSON CGI writes, work modes, `new_api` stats; else form-encoded writes
    chip: str
    boards: int
    chips_per_board: int
    frequency: int  # MHz
    nominal_hashrate: float  # in `rate_unit` per second (GH for SHA-256 miners)
    nominal_power: float  # W
    fans: int
    max_fan_rpm: int
    miner_version: str  # `Miner` in `version` / `stats`
    bmminer_version: str  # `BMMiner` in `version`
    compile_time: str  # `CompileTime`: the firmware's build date
    filesystem_version: str  # `system_filesystem_version` of get_system_info.cgi
    serial_prefix: str
    chain_slots: tuple[int, ...] = (1, 2, 3, 4)  # indexes of chain_*{i} keys in STATS[1]
    fan_slots: tuple[int, ...] = (1, 2, 3, 4)  # indexes of fan{n} keys in STATS[1]
    rate_unit: str = "GH"
    idle_power: float = 18.0  # control board and fans at rest (sleep mode)

    @property
    def board_slots(self) -> tuple[int, ...]:
        """The chain indexes where a board sits: the first ``boards`` slots..."""
        if len(self.chain_slots) > 4:  # S9-era layout: 16 slots, boards from the 6th
            return self.chain_slots[5 : 5 + self.boards]
        return self.chain_slots[: self.boards]

    @property
    def fan_positions(self) -> tuple[int, ...]:
        """The fan{n} keys where a fan is plugged in."""
        if len(self.fan_slots) > 4:  # S9: fan3 and fan6 of fan1..fan8
            return (3, 6)[: self.fans]
        return self.fan_slots[: self.fans]


MODERN_COMPILE = "Tue Dec  6 16:12:30 CST 2022"

ANTMINER_MODELS: tuple[AntminerModel, ...] = (
    AntminerModel(
        name="Antminer S19",
        modern=True,
        chip="BM1398",
        boards=3,
        chips_per_board=76,
        frequency=650,
        nominal_hashrate=95_000.0,
        nominal_power=3250.0,
        fans=4,
        max_fan_rpm=6000,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time=MODERN_COMPILE,
        filesystem_version=MODERN_COMPILE,
        serial_prefix="HTM3",
    ),
    AntminerModel(
        name="Antminer S19 Pro",
        modern=True,
        chip="BM1398",
        boards=3,
        chips_per_board=114,
        frequency=525,
        nominal_hashrate=110_000.0,
        nominal_power=3250.0,
        fans=4,
        max_fan_rpm=6000,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time=MODERN_COMPILE,
        filesystem_version=MODERN_COMPILE,
        serial_prefix="HTM3",
    ),
    AntminerModel(
        name="Antminer S19j Pro",
        modern=True,
        chip="BM1362",
        boards=3,
        chips_per_board=126,
        frequency=525,
        nominal_hashrate=104_000.0,
        nominal_power=3068.0,
        fans=4,
        max_fan_rpm=6000,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time="Wed Mar 15 11:24:17 CST 2023",
        filesystem_version="Wed Mar 15 11:24:17 CST 2023",
        serial_prefix="JYZZ",
    ),
    AntminerModel(
        name="Antminer S19 XP",
        modern=True,
        chip="BM1366",
        boards=3,
        chips_per_board=110,
        frequency=485,
        nominal_hashrate=140_000.0,
        nominal_power=3010.0,
        fans=4,
        max_fan_rpm=6600,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time="Thu Aug 10 10:02:55 CST 2023",
        filesystem_version="Thu Aug 10 10:02:55 CST 2023",
        serial_prefix="SMTT",
    ),
    AntminerModel(
        name="Antminer S21",
        modern=True,
        chip="BM1368",
        boards=3,
        chips_per_board=108,
        frequency=490,
        nominal_hashrate=200_000.0,
        nominal_power=3500.0,
        fans=4,
        max_fan_rpm=6600,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time="Thu Oct  9 18:55:45 CST 2025",
        filesystem_version="FR-1.12(251009-S21)",
        serial_prefix="THQI",
    ),
    AntminerModel(
        name="Antminer S21 Pro",
        modern=True,
        chip="BM1370",
        boards=3,
        chips_per_board=65,
        frequency=510,
        nominal_hashrate=234_000.0,
        nominal_power=3510.0,
        fans=4,
        max_fan_rpm=6600,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time="Thu Oct  9 18:55:45 CST 2025",
        filesystem_version="FR-1.12(251009-S21Pro)",
        serial_prefix="THQJ",
    ),
    AntminerModel(
        name="Antminer T21",
        modern=True,
        chip="BM1368",
        boards=3,
        chips_per_board=108,
        frequency=490,
        nominal_hashrate=190_000.0,
        nominal_power=3610.0,
        fans=4,
        max_fan_rpm=6600,
        miner_version="49.0.1.3",
        bmminer_version="1.0.0",
        compile_time="Mon Jun 17 15:20:12 CST 2024",
        filesystem_version="Mon Jun 17 15:20:12 CST 2024",
        serial_prefix="THQK",
    ),
    AntminerModel(
        name="Antminer S17",
        modern=False,
        chip="BM1397",
        boards=3,
        chips_per_board=48,
        frequency=600,
        nominal_hashrate=56_000.0,
        nominal_power=2520.0,
        fans=4,
        max_fan_rpm=6000,
        miner_version="uart_trans.1.3",
        bmminer_version="1.0.0",
        compile_time="Fri Apr 10 17:42:26 CST 2020",
        filesystem_version="Fri Apr 10 17:42:26 CST 2020",
        serial_prefix="KYZZ",
    ),
    AntminerModel(
        name="Antminer S9",
        modern=False,
        chip="BM1387",
        boards=3,
        chips_per_board=63,
        frequency=650,
        nominal_hashrate=13_500.0,
        nominal_power=1323.0,
        fans=2,
        max_fan_rpm=6000,
        miner_version="16.8.1.3",
        bmminer_version="2.0.0",
        compile_time="Fri Nov 17 17:37:49 CST 2017",
        filesystem_version="Fri Nov 17 17:37:49 CST 2017",
        serial_prefix="",
        chain_slots=tuple(range(1, 17)),
        fan_slots=tuple(range(1, 9)),
        idle_power=12.0,
    ),
)

# Models the re-brands run on: Antminer hardware under another firmware, or their own boxes.
# Hiveon names the model in capitals without a space ("Antminer S19JPRO"; pyasic issue 243);
# Hammer's rows follow a recorded D10 (pyasic's test data: ccminer 2.3.3, Miner 2.0.2.2);
# Elphapex's a recorded DG1+ (firmware DG1+_SW_V1.0.2). Scrypt boxes count in MH.
BLACKMINER_COMPILE = "2023-05-28 17-20-35 CST"
BLACKMINER_FILESYSTEM = "2022-11-11 13-46-30 CST"


def _scrypt(
    name: str, boards: int, chips: int, mhs: float, watts: float, prefix: str
) -> AntminerModel:
    """A scrypt box of Hammer's or VolcMiner's (their firmware is the same blackMiner build)."""
    return AntminerModel(
        name=name,
        modern=True,
        chip="",
        boards=boards,
        chips_per_board=chips,
        frequency=810,
        nominal_hashrate=mhs,
        nominal_power=watts,
        fans=4,
        max_fan_rpm=6000,
        miner_version="2.0.2.2",
        bmminer_version="2.3.3",
        compile_time=BLACKMINER_COMPILE,
        filesystem_version=BLACKMINER_FILESYSTEM,
        serial_prefix=prefix,
        rate_unit="MH",
    )


def _elphapex(name: str, chips: int, mhs: float, watts: float) -> AntminerModel:
    return AntminerModel(
        name=name,
        modern=True,
        chip="",
        boards=4,
        chips_per_board=chips,
        frequency=620,
        nominal_hashrate=mhs,
        nominal_power=watts,
        fans=4,
        max_fan_rpm=6600,
        miner_version=f"{name}_SW_V1.0.2",
        bmminer_version="1.0.2",
        compile_time="",
        filesystem_version=f"{name}_SW_V1.0.2",
        serial_prefix="28HY",
        rate_unit="MH",
    )


REBRAND_MODELS: dict[str, tuple[AntminerModel, ...]] = {
    "hiveon": (
        AntminerModel(
            name="Antminer S19JPRO",
            modern=True,
            chip="BM1362",
            boards=3,
            chips_per_board=126,
            frequency=525,
            nominal_hashrate=104_000.0,
            nominal_power=3068.0,
            fans=4,
            max_fan_rpm=6000,
            miner_version="49.0.1.3",
            bmminer_version="1.0.0",
            compile_time="Fri Apr 19 10:58:21 UTC 2024",
            filesystem_version="Fri Apr 19 10:58:21 UTC 2024",
            serial_prefix="JYZZ",
        ),
        AntminerModel(
            name="Antminer S19",
            modern=True,
            chip="BM1398",
            boards=3,
            chips_per_board=76,
            frequency=650,
            nominal_hashrate=95_000.0,
            nominal_power=3250.0,
            fans=4,
            max_fan_rpm=6000,
            miner_version="49.0.1.3",
            bmminer_version="1.0.0",
            compile_time="Fri Apr 19 10:58:21 UTC 2024",
            filesystem_version="Fri Apr 19 10:58:21 UTC 2024",
            serial_prefix="HTM3",
        ),
    ),
    "marafw": (
        AntminerModel(
            name="Antminer S19 XP",
            modern=True,
            chip="BM1366",
            boards=3,
            chips_per_board=110,
            frequency=485,
            nominal_hashrate=140_000.0,
            nominal_power=3010.0,
            fans=4,
            max_fan_rpm=6600,
            miner_version="1.0.0",
            bmminer_version="1.0.0",
            compile_time="Mon Jan 13 09:00:00 UTC 2025",
            filesystem_version="Mon Jan 13 09:00:00 UTC 2025",
            serial_prefix="SMTT",
        ),
        AntminerModel(
            name="Antminer S21",
            modern=True,
            chip="BM1368",
            boards=3,
            chips_per_board=108,
            frequency=490,
            nominal_hashrate=200_000.0,
            nominal_power=3500.0,
            fans=4,
            max_fan_rpm=6600,
            miner_version="1.0.0",
            bmminer_version="1.0.0",
            compile_time="Mon Jan 13 09:00:00 UTC 2025",
            filesystem_version="Mon Jan 13 09:00:00 UTC 2025",
            serial_prefix="THQI",
        ),
    ),
    "elphapex": (
        _elphapex("DG1+", 204, 14_400.0, 3950.0),
        _elphapex("DG1", 144, 11_000.0, 3420.0),
        _elphapex("DG1-Home", 120, 2_100.0, 620.0),
    ),
    "hammer": (_scrypt("Hammer D10", 3, 108, 5_000.0, 3400.0, "HMRD"),),
    "volcminer": (_scrypt("VolcMiner D1", 3, 105, 15_150.0, 3560.0, "VLCD"),),
}


def find_model(name: str, table: tuple[AntminerModel, ...] = ANTMINER_MODELS) -> AntminerModel:
    """A row by its name, with or without the "Antminer " prefix, any case."""
    wanted = name.lower().removeprefix("antminer ").replace(" ", "")
    for model in table:
        if model.name.lower().removeprefix("antminer ").replace(" ", "") == wanted:
            return model
    known = ", ".join(model.name for model in table)
    raise ValueError(f"unknown model {name!r}; known: {known}")
