"""Typed models shared by every miner family.

Units are fixed whatever the firmware reports: hashrate TH/s, power W, temperature °C,
fan speed RPM, uptime s, efficiency J/TH, voltage V, current A, frequency MHz.
Unknown is ``None``, never 0.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
import math
from typing import Any


class Family(StrEnum):
    """Firmware family ids, shared by the client, simulator, CLI and config entries."""

    AXEOS = "axeos"
    ANTMINER = "antminer"
    WHATSMINER = "whatsminer"
    BRAIINS = "braiins"
    LUXOS = "luxos"
    VNISH = "vnish"
    EPIC = "epic"
    AVALON = "avalon"
    GOLDSHELL = "goldshell"
    ICERIVER = "iceriver"
    AURADINE = "auradine"
    INNOSILICON = "innosilicon"
    HIVEON = "hiveon"
    MARAFW = "marafw"
    ELPHAPEX = "elphapex"
    HAMMER = "hammer"
    VOLCMINER = "volcminer"


@dataclass(frozen=True, slots=True)
class NumberRange:
    """A settable range: ``min`` to ``max`` in steps of ``step``."""

    min: float
    max: float
    step: float = 1.0

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What can be controlled on one miner; entities exist only for what is here."""

    mining_switch: bool = False
    fault_light: bool = False
    identify: bool = False
    reboot: bool = False
    restart_mining: bool = False
    pools: bool = False
    power_limit: NumberRange | None = None
    power_modes: tuple[str, ...] = ()
    fan_control: NumberRange | None = None
    frequency: NumberRange | None = None
    core_voltage: NumberRange | None = None
    firmware_update: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a host is: the answer of ``identify()``."""

    host: str
    family: Family
    model: str | None
    firmware_version: str | None
    mac: str | None
    api_flavour: str | None = None
    port: int | None = None
    rpc_port: int | None = None  # the CGMiner-style RPC port, where the family uses one


@dataclass(frozen=True, slots=True)
class Board:
    """One hashboard (AxeOS boards have exactly one)."""

    index: int
    hashrate: float | None = None
    expected_hashrate: float | None = None
    chip_temp: float | None = None
    board_temp: float | None = None
    chips: int | None = None
    expected_chips: int | None = None
    serial: str | None = None


@dataclass(frozen=True, slots=True)
class Fan:
    """One fan."""

    index: int
    rpm: int | None = None
    percent: float | None = None


@dataclass(frozen=True, slots=True)
class Pool:
    """One configured pool slot, with its live counters where the miner reports them."""

    index: int
    url: str
    user: str | None = None
    active: bool | None = None
    alive: bool | None = None
    accepted: int | None = None
    rejected: int | None = None


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """A pool to write: what ``set_pools`` takes (up to three)."""

    url: str
    user: str
    password: str = "x"  # noqa: S105 (the conventional pool password, not a secret)


@dataclass(frozen=True, slots=True)
class ReportedError:
    """One error the miner reports about itself."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class MinerData:
    """Everything one poll knows about a miner."""

    family: Family
    model: str | None = None
    firmware_version: str | None = None
    mac: str | None = None
    serial: str | None = None
    hostname: str | None = None
    hashrate: float | None = None
    expected_hashrate: float | None = None
    power: float | None = None
    power_limit: float | None = None
    efficiency: float | None = None
    chip_temp_max: float | None = None
    chip_temp_avg: float | None = None
    board_temp_max: float | None = None
    vr_temp: float | None = None
    inlet_temp: float | None = None
    outlet_temp: float | None = None
    input_voltage: float | None = None
    input_current: float | None = None
    frequency: float | None = None
    core_voltage: float | None = None
    core_voltage_actual: float | None = None
    fan_auto: bool | None = None
    uptime: int | None = None
    is_mining: bool | None = None
    fault_light: bool | None = None
    power_mode: str | None = None
    shares_accepted: int | None = None
    shares_rejected: int | None = None
    best_difficulty: float | None = None
    best_session_difficulty: float | None = None
    using_fallback_pool: bool | None = None
    asic_model: str | None = None
    board_version: str | None = None
    web_version: str | None = None
    fans: tuple[Fan, ...] = ()
    boards: tuple[Board, ...] = ()
    pools: tuple[Pool, ...] = ()
    errors: tuple[ReportedError, ...] = ()
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def active_pool(self) -> Pool | None:
        """The pool the miner mines on now, else the first configured one."""
        for pool in self.pools:
            if pool.active:
                return pool
        return self.pools[0] if self.pools else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the CLI's output and the base of diagnostics."""
        result: dict[str, Any] = _jsonable(dataclasses.asdict(self))
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def efficiency(power: float | None, hashrate: float | None) -> float | None:
    """J/TH from W and TH/s; unknown when either is unknown or hashrate is not positive."""
    if power is None or hashrate is None or hashrate <= 0:
        return None
    joules_per_th = power / hashrate
    return round(joules_per_th, 2) if math.isfinite(joules_per_th) else None
