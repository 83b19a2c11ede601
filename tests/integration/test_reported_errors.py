"""What a miner reports about itself reaches Home Assistant: the problem binary sensor lists each
error (code and readable message) and the error count sensor counts them, for every family whose
simulator can raise errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import format_mac
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import CONF_FAMILY, CONF_RPC_PORT, DOMAIN
from tests.simulator import MinerSpec, SimulatedMiner, Simulator

from .test_sensor import refresh, set_up

UNREACHABLE_FEED = "http://127.0.0.1:9/releases"
PROBLEM = "binary_sensor.rig_problem"
ERROR_COUNT = "sensor.rig_errors"


@dataclass(frozen=True, slots=True)
class Family:
    """One family's simulated miner, its login, how to make it report errors and what it says."""

    spec: MinerSpec
    username: str | None
    password: str | None
    raise_errors: Callable[[Any], None]
    shown: list[dict[str, str]]


def _whatsminer(miner: Any) -> None:
    miner.error_codes = [(2021, "2026-01-15 12:00:00"), (351, "2026-01-15 12:01:00")]


def _avalon(miner: Any) -> None:
    miner.echu = [0, 1 << 6, 0]
    miner.ps_status = 3


def _antminer(miner: Any) -> None:
    miner.failing_status = {"fans": (2, "Fan speed too low")}


FAMILIES = {
    "whatsminer": Family(
        MinerSpec(family="whatsminer", model="M30S", password="secret"),
        None,
        "secret",
        _whatsminer,
        [
            {"code": "2021", "message": "Pool 2 connection failed (since 2026-01-15 12:00:00)"},
            {
                "code": "351",
                "message": "SM1 over-temperature protection (since 2026-01-15 12:01:00)",
            },
        ],
    ),
    "avalon": Family(
        MinerSpec(family="avalon", model="Avalon A1566"),
        None,
        None,
        _avalon,
        [
            {"code": "ECHU1:64", "message": "Hash board 1: too hot (code 64)"},
            {"code": "PS:3", "message": "The power supply reports status 3"},
        ],
    ),
    "antminer": Family(
        MinerSpec(family="antminer", model="Antminer S21"),
        "root",
        "root",
        _antminer,
        [{"code": "fans:2", "message": "Fan speed too low"}],
    ),
}


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("family", list(FAMILIES))
async def test_problem_sensor_shows_what_the_miner_reports(
    hass: HomeAssistant, simulator: Simulator, family: str
) -> None:
    case = FAMILIES[family]
    miner: SimulatedMiner = await simulator.start(case.spec)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="rig",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: miner.host,
            CONF_PORT: miner.port,
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: family,
            CONF_USERNAME: case.username,
            CONF_PASSWORD: case.password,
        },
    )
    await set_up(hass, entry, UNREACHABLE_FEED)
    assert entry.state is ConfigEntryState.LOADED
    problem = hass.states.get(PROBLEM)
    assert problem is not None
    assert (problem.state, problem.attributes["errors"]) == (STATE_OFF, [])

    case.raise_errors(miner)
    await refresh(hass, entry)

    problem = hass.states.get(PROBLEM)
    assert problem is not None
    assert problem.state == STATE_ON
    assert problem.attributes["errors"] == case.shown
    count = hass.states.get(ERROR_COUNT)
    assert count is not None
    assert count.state == str(len(case.shown))
