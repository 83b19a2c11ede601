"""Replies recorded from real miners parse into what they say.

The Bitaxe reply is checked here; the other families' replies in each family's client tests. The
table below accounts for every recorded reply of the families the client reads: the test that
asserts its values, or why the client never reads it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.asic.client import Family
from custom_components.asic.client.families.axeos import is_axeos_info, parse_info
from custom_components.asic.client.transport.rpc import check_status, status_of


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


# file (relative to the recorded replies) → "module::test" asserting its values, or why unread
_ANTMINER = "tests.client.test_antminer::test_real_s19_pro_and_s21"
_AVALON_Q = "tests.client.test_avalon::test_real_avalon_q"
_AVALON_A = "tests.client.test_avalon::test_real_a1566"
_AVALON_CHECK = "tests.client.test_real_fixtures::test_recorded_avalon_control_replies"
_BRAIINS = "tests.client.test_braiins::test_real_replies"
_LUXOS = "tests.client.test_luxos::test_real_replies_parse_to_their_values"
_WHATSMINER_V1 = "tests.client.test_whatsminer::test_real_replies_v1"
_WHATSMINER_V2 = "tests.client.test_whatsminer::test_real_replies_v2"
_BITAXE = "tests.client.test_real_fixtures::test_bitaxe_supra_on_2_4"
_PARSED_VIEW = "not a miner's reply: another project's parsed view of one"
_NOT_ASKED = "the client never sends this command"

ACCOUNTED: dict[str, str] = {
    "antminer/v2020/devs.json": _NOT_ASKED + " (boards come from stats)",
    "antminer/v2020/pools.json": _ANTMINER,
    "antminer/v2020/stats.json": _ANTMINER,
    "antminer/v2020/summary.json": _ANTMINER,
    "antminer/v2020/system_info.json": _ANTMINER,
    "antminer/v2020/version.json": _ANTMINER,
    "avalonminer/any/ascset_help.json": _NOT_ASKED,
    "avalonminer/any/ascset_softoff.json": _AVALON_Q,
    "avalonminer/any/ascset_softon.json": _AVALON_Q,
    "avalonminer/any/ascset_workmode.json": _AVALON_CHECK,
    "avalonminer/any/avalon_a_stats.json": _AVALON_A,
    "avalonminer/any/avalon_a_stats_parsed.json": _PARSED_VIEW,
    "avalonminer/any/check.json": _NOT_ASKED,
    "avalonminer/any/coin.json": _NOT_ASKED,
    "avalonminer/any/config.json": _NOT_ASKED,
    "avalonminer/any/devdetails.json": _NOT_ASKED + " (the model comes from version)",
    "avalonminer/any/devs.json": _NOT_ASKED + " (boards come from estats)",
    "avalonminer/any/litestats.json": _AVALON_Q,
    "avalonminer/any/litestats_parsed.json": _PARSED_VIEW,
    "avalonminer/any/pools.json": _AVALON_Q,
    "avalonminer/any/stats.json": _AVALON_Q,
    "avalonminer/any/stats_empty_parsed.json": _PARSED_VIEW,
    "avalonminer/any/stats_parsed.json": _PARSED_VIEW,
    "avalonminer/any/summary.json": _AVALON_Q,
    "avalonminer/any/version.json": _AVALON_Q,
    "bitaxe/v2_0_0/system_info.json": _BITAXE,
    "braiins/v25_07/actions_locate.json": _BRAIINS,
    # the simulator answers in its shape; pool writes to a miner without groups are tested on it
    "braiins/v25_07/configuration_miner.json": (
        "tests.test_simulator_braiins::test_configuration_has_the_recorded_tuner_shape"
    ),
    "braiins/v25_07/cooling_state.json": _BRAIINS,
    "braiins/v25_07/miner_details.json": _BRAIINS,
    "braiins/v25_07/miner_errors.json": _BRAIINS,
    "braiins/v25_07/miner_hw_hashboards.json": _BRAIINS,
    "braiins/v25_07/miner_stats.json": _BRAIINS,
    "braiins/v25_07/network.json": _NOT_ASKED + " (the MAC comes from miner/details)",
    "braiins/v25_07/performance_tuner_state.json": _BRAIINS,
    "braiins/v25_07/pools.json": _BRAIINS,
    "braiins/v25_07/version.json": _NOT_ASKED + " (the firmware comes from miner/details)",
    "luxminer/v1/config.json": _LUXOS,
    "luxminer/v1/devs.json": _LUXOS,
    "luxminer/v1/events.json": _LUXOS,
    "luxminer/v1/fans.json": _LUXOS,
    "luxminer/v1/healthchipget_0.json": _NOT_ASKED,
    "luxminer/v1/healthchipget_1.json": _NOT_ASKED,
    "luxminer/v1/healthchipget_2.json": _NOT_ASKED,
    "luxminer/v1/pools.json": _LUXOS,
    "luxminer/v1/power.json": _LUXOS,
    "luxminer/v1/profiles.json": _LUXOS,
    "luxminer/v1/stats.json": _LUXOS,
    "luxminer/v1/summary.json": _LUXOS,
    "luxminer/v1/temps.json": _NOT_ASKED + " (temperatures come from stats)",
    "luxminer/v1/version.json": _LUXOS,
    "luxminer/v1/voltageget_0.json": _NOT_ASKED,
    "luxminer/v1/voltageget_1.json": _NOT_ASKED,
    "luxminer/v1/voltageget_2.json": _NOT_ASKED,
    "whatsminer/v1/devs.json": _WHATSMINER_V1,
    "whatsminer/v1/get_psu.json": _NOT_ASKED,
    "whatsminer/v1/get_version.json": _WHATSMINER_V1,
    "whatsminer/v1/pools.json": _WHATSMINER_V1,
    "whatsminer/v1/status.json": _WHATSMINER_V1,
    "whatsminer/v1/summary.json": _WHATSMINER_V1,
    "whatsminer/v1/summary_with_errors.json": _WHATSMINER_V1,
    "whatsminer/v2/devs.json": _WHATSMINER_V2,
    "whatsminer/v2/get_error_code.json": _WHATSMINER_V2,
    "whatsminer/v2/get_error_code_with_errors.json": _WHATSMINER_V2,
    "whatsminer/v2/get_miner_info.json": _WHATSMINER_V2,
    "whatsminer/v2/get_psu.json": _NOT_ASKED,
    "whatsminer/v2/get_version.json": _WHATSMINER_V2,
    "whatsminer/v2/pools.json": _WHATSMINER_V2,
    "whatsminer/v2/status.json": _WHATSMINER_V2,
    "whatsminer/v2/summary.json": _WHATSMINER_V2,
}
FAMILY_FOLDERS = ("antminer", "avalonminer", "bitaxe", "braiins", "luxminer", "whatsminer")


def test_every_recorded_reply_is_accounted_for(real_fixtures: Path) -> None:
    """A new recording fails here until a test asserts its values or it is marked unread."""
    recorded = {
        path.relative_to(real_fixtures).as_posix()
        for folder in FAMILY_FOLDERS
        for path in (real_fixtures / folder).rglob("*.json")
    }
    assert recorded == set(ACCOUNTED)
    for where in set(ACCOUNTED.values()):
        if "::" in where:
            module, test = where.split("::")
            assert callable(getattr(importlib.import_module(module), test)), where


def test_recorded_avalon_control_replies(real_fixtures: Path) -> None:
    """``ascset`` replies: the firmware's own words reach the caller, the status is success."""
    reply = load(real_fixtures, "avalonminer", "any", "ascset_workmode.json")
    check_status(reply, "ascset", "avalon")  # "S": no MinerCommandError
    assert status_of(reply) == {
        "Code": 119,
        "Description": "cgminer 4.11.1",
        "Msg": "ASC 0 set OK",
        "STATUS": "S",
        "When": 1753434997,
    }
