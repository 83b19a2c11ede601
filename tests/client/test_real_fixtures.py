"""Replies recorded from real Bitaxes parse into what they say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.asic.client import Family
from custom_components.asic.client.families.axeos import is_axeos_info, parse_info


def load(real_fixtures: Path, *parts: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(real_fixtures.joinpath(*parts).read_text())
    return payload


def test_bitaxe_supra_on_2_4(real_fixtures: Path) -> None:
    info = load(real_fixtures, "bitaxe", "v2_0_0", "system_info.json")
    assert is_axeos_info(info)
    data = parse_info(info)

    assert data.family is Family.AXEOS
    assert data.model == "Bitaxe Supra"  # boardVersion 401
    assert data.firmware_version == "v2.4.5-3-gb5d1e36-dirty"
    assert data.web_version is None
    assert data.mac == "AA:BB:CC:DD:EE:FF"
    assert data.hostname == "bitaxe"
    assert data.asic_model == "BM1368"
    assert data.board_version == "401"
    assert data.hashrate == 1.0  # "hashRate": 1000 GH/s
    assert data.expected_hashrate == pytest.approx(490 * 1276 * 1 / 1e6)
    assert data.power == pytest.approx(2.65000009536743)
    assert data.efficiency == 2.65
    assert data.input_voltage == pytest.approx(5.175)
    assert data.input_current == pytest.approx(0.52125)
    assert data.chip_temp_max == data.chip_temp_avg == 59.875
    assert data.vr_temp == 78
    assert data.frequency == 490
    assert data.core_voltage == 1166
    assert data.core_voltage_actual == 1172
    assert data.fan_auto is True
    assert [(fan.rpm, fan.percent) for fan in data.fans] == [(3517, 35)]
    assert data.uptime == 4
    assert data.is_mining is True
    assert (data.shares_accepted, data.shares_rejected) == (0, 0)
    assert data.best_difficulty == 483_000  # "483k"
    assert data.best_session_difficulty == 0  # "0"
    assert data.using_fallback_pool is False
    assert [(pool.url, pool.user, pool.active) for pool in data.pools] == [
        ("stratum+tcp://btc.example.pool:3333", "asic-rs.test", True),
        ("stratum+tcp://btc2.example.pool:3333", "asic-rs.test", False),
    ]
    assert data.boards[0].chips == 1
    assert data.errors == ()
    assert data.capabilities.frequency is not None
    assert data.capabilities.mining_switch is False  # 2.4 has no pause


def test_every_recorded_bitaxe_reply_parses(real_fixtures: Path) -> None:
    replies = sorted((real_fixtures / "bitaxe").rglob("system_info.json"))
    assert replies
    for path in replies:
        info = json.loads(path.read_text())
        data = parse_info(info)
        assert data.mac == info["macAddr"]
        assert data.hashrate == pytest.approx(info["hashRate"] / 1000)
        assert data.firmware_version == info["version"]
