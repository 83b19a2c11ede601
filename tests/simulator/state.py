"""The true state of one simulated miner: what it would report if nothing went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class PoolState:
    """A stratum pool as a miner stores it: host and port apart."""

    url: str
    port: int
    user: str
    password: str = "x"

    def as_json(self) -> dict[str, object]:
        return {"url": self.url, "port": self.port, "user": self.user, "password": self.password}


@dataclass(slots=True)
class MinerState:
    """Settings and live readings of a miner, in the units its firmware uses.

    Hashrates are GH/s, power W, temperatures °C, voltages mV, frequency MHz, uptime s.
    """

    mac: str
    hostname: str
    model: str
    version: str
    www_version: str
    board_version: str
    asic_model: str
    asic_count: int
    small_core_count: int
    frequency: float
    core_voltage: int
    pools: list[PoolState]
    fan_auto: bool = True
    manual_fan_percent: int = 100
    min_fan_percent: int = 25
    temp_target: int = 60
    overclock_enabled: bool = False
    paused: bool = False
    using_fallback: bool = False
    # live readings, recomputed on every tick
    hashrate: float = 0.0
    hashrate_1m: float = 0.0
    hashrate_10m: float = 0.0
    hashrate_1h: float = 0.0
    expected_hashrate: float = 0.0
    error_percentage: float = 0.0
    power: float = 0.0
    input_voltage: float = 5000.0
    current: float = 0.0
    temp: float = 25.0
    vr_temp: float = 25.0
    fan_percent: float = 0.0
    fan_rpm: int = 0
    core_voltage_actual: int = 0
    uptime: float = 0.0
    # counters
    shares_accepted: int = 0
    shares_rejected: int = 0
    best_diff: float = 0.0
    best_session_diff: float = 0.0
    identify_count: int = 0
    identify_active: bool = False
    reboot_count: int = 0
    firmware_updates: int = 0
    # settings a firmware stores but the simulation does not act on (display, wifi, ...)
    other_settings: dict[str, object] = field(default_factory=dict)

    @property
    def primary_pool(self) -> PoolState:
        return self.pools[0]

    @property
    def fallback_pool(self) -> PoolState:
        return self.pools[1]
