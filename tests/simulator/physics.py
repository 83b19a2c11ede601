"""How readings follow settings: hashrate from clock, power from clock and voltage, heat from power.

No timers: readings are recomputed from the time elapsed whenever someone looks.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import random

from .state import MinerState

AMBIENT_TEMP = 25.0
HASHRATE_NOISE = 0.03  # ±3 % around the expected hashrate
FAN_MAX_RPM = 10_000
# A fan at p % divides the board's thermal resistance by FAN_FLOOR + (1 - FAN_FLOOR)·p.
FAN_FLOOR = 0.4
# Chosen so that a board at its nominal power with the fan at half speed sits near 63 °C.
TEMP_RISE_AT_NOMINAL = 38.0
SHARE_DIFFICULTY = 1000.0  # pool difficulty the simulated shares are found at
REJECT_RATIO = 0.005


@dataclass(frozen=True, slots=True)
class PowerProfile:
    """Electrical facts of a board: its power at the default clock and voltage, and at idle."""

    default_frequency: float
    default_voltage: int
    nominal_power: float
    idle_power: float
    input_voltage: float  # mV


def expected_hashrate(frequency: float, small_cores: int, chips: int) -> float:
    """GH/s as ESP-Miner computes it: MHz × small cores × chips / 1000."""
    return frequency * small_cores * chips / 1000


def mining_power(state: MinerState, profile: PowerProfile) -> float:
    """Dynamic power scales with clock and with the square of the core voltage."""
    scale = (state.frequency / profile.default_frequency) * (
        state.core_voltage / profile.default_voltage
    ) ** 2
    return profile.idle_power + (profile.nominal_power - profile.idle_power) * scale


def _fan_factor(percent: float) -> float:
    return FAN_FLOOR + (1 - FAN_FLOOR) * percent / 100


def _auto_fan_percent(power: float, resistance: float, target: float, minimum: float) -> float:
    """The fan speed that holds the chip at ``target``, within [minimum, 100]."""
    if power <= 0:
        return minimum
    needed_factor = resistance * power / max(target - AMBIENT_TEMP, 1.0)
    percent = (needed_factor - FAN_FLOOR) / (1 - FAN_FLOOR) * 100
    return min(100.0, max(minimum, percent))


class Physics:
    """Advances one miner's readings; owns the miner's random stream so runs repeat."""

    def __init__(self, profile: PowerProfile, seed: str) -> None:
        self.profile = profile
        self.rng = random.Random(seed)
        self._share_credit = 0.0

    def tick(self, state: MinerState, elapsed: float) -> None:
        """Recompute readings; ``elapsed`` seconds have passed since the last tick."""
        profile = self.profile
        state.expected_hashrate = expected_hashrate(
            state.frequency, state.small_core_count, state.asic_count
        )
        mining = not state.paused
        if mining:
            noise = self.rng.uniform(1 - HASHRATE_NOISE, 1 + HASHRATE_NOISE)
            state.hashrate = state.expected_hashrate * noise
            state.hashrate_1m = state.expected_hashrate * self.rng.uniform(0.985, 1.015)
            state.hashrate_10m = state.expected_hashrate * self.rng.uniform(0.99, 1.01)
            state.hashrate_1h = state.expected_hashrate * self.rng.uniform(0.995, 1.005)
            state.error_percentage = round(self.rng.uniform(0.05, 0.6), 2)
            state.power = mining_power(state, profile) * self.rng.uniform(0.99, 1.01)
        else:
            state.hashrate = state.hashrate_1m = state.hashrate_10m = state.hashrate_1h = 0.0
            state.error_percentage = 0.0
            state.power = profile.idle_power * self.rng.uniform(0.98, 1.02)
        resistance = TEMP_RISE_AT_NOMINAL * _fan_factor(50) / profile.nominal_power
        if state.fan_auto:
            fan = _auto_fan_percent(
                state.power, resistance, state.temp_target, state.min_fan_percent
            )
        else:
            fan = float(state.manual_fan_percent)
        state.fan_percent = round(fan)
        state.fan_rpm = round(FAN_MAX_RPM * fan / 100 * self.rng.uniform(0.98, 1.02))
        jitter = self.rng.uniform(-0.4, 0.4)  # sensor noise, so a regulated temperature still moves
        state.temp = AMBIENT_TEMP + resistance * state.power / _fan_factor(fan) + jitter
        state.vr_temp = state.temp + 6 + state.power * 0.15
        state.input_voltage = profile.input_voltage * self.rng.uniform(0.995, 1.005)
        state.current = state.power / (state.input_voltage / 1000) * 1000
        state.core_voltage_actual = round(state.core_voltage * self.rng.uniform(0.99, 1.01))
        state.uptime += elapsed
        if mining and elapsed > 0:
            self._find_shares(state, elapsed)

    def _find_shares(self, state: MinerState, elapsed: float) -> None:
        shares_per_second = state.hashrate * 1e9 / (SHARE_DIFFICULTY * 2**32)
        self._share_credit += shares_per_second * elapsed
        found = math.floor(self._share_credit)
        if found <= 0:
            return
        self._share_credit -= found
        rejected = sum(1 for _ in range(found) if self.rng.random() < REJECT_RATIO)
        state.shares_accepted += found - rejected
        state.shares_rejected += rejected
        # The best of n shares at difficulty D: D / U with U the smallest of n uniforms.
        smallest = 1 - self.rng.random() ** (1 / found)
        best = SHARE_DIFFICULTY / max(smallest, 1e-12)
        state.best_session_diff = max(state.best_session_diff, best)
        state.best_diff = max(state.best_diff, best)

    def reset_session(self, state: MinerState) -> None:
        """After a reboot: uptime and per-session figures start again."""
        state.uptime = 0.0
        state.shares_accepted = 0
        state.shares_rejected = 0
        state.best_session_diff = 0.0
        state.identify_active = False
        self._share_credit = 0.0
