"""Unit conversions, and a parser that never lets anything but MinerProtocolError escape."""

from __future__ import annotations

import contextlib
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import MinerProtocolError
from custom_components.asic.client.families.axeos import (
    capabilities_for,
    is_esp32_app_image,
    model_name,
    parse_info,
    split_stratum_url,
)
from custom_components.asic.client.models import efficiency
from custom_components.asic.client.transport.http import decode_json
from custom_components.asic.client.units import (
    as_bool,
    as_float,
    as_int,
    as_str,
    hashrate_to_th,
    parse_difficulty,
    positive,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("483k", 483e3),
        ("1.2M", 1.2e6),
        ("4.29G", 4.29e9),
        ("12T", 12e12),
        ("3P", 3e15),
        ("1E", 1e18),
        (" 950 ", 950.0),
        ("0", 0.0),
        ("7 m", 7e6),
        (483123, 483123.0),
        (4.5e9, 4.5e9),
        ("2.5x", None),
        ("k", None),
        ("", None),
        ("1.2.3M", None),
        ("1" * 400, None),  # parses to infinity
        (None, None),
        (True, None),
        ([1], None),
        (float("nan"), None),
    ],
)
def test_parse_difficulty(value: Any, expected: float | None) -> None:
    assert parse_difficulty(value) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1000, "GH", 1.0),
        ("1000", "GH/s", 1.0),
        (1.5, "TH", 1.5),
        (2, "PH/s", 2000.0),
        (5e6, "MH", 5.0),
        (1e12, "H", 1.0),
        (3e9, "kh/s", 3.0),
        (1, "EH", 1e6),
        (None, "GH", None),
        ("fast", "GH", None),
    ],
)
def test_hashrate_to_th(value: Any, unit: str, expected: float | None) -> None:
    result = hashrate_to_th(value, unit)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_hashrate_default_unit_and_unknown_unit() -> None:
    assert hashrate_to_th(500) == 0.5
    with pytest.raises(ValueError, match="unknown hashrate unit"):
        hashrate_to_th(1, "furlongs")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (2.5, 2.5),
        (" 7.25 ", 7.25),
        ("1e3", 1000.0),
        ("abc", None),
        (None, None),
        (True, None),
        (float("inf"), None),
        (float("nan"), None),
        ("nan", None),
        ({"a": 1}, None),
    ],
)
def test_as_float(value: Any, expected: float | None) -> None:
    assert as_float(value) == expected


def test_as_int_and_positive() -> None:
    assert as_int("42.9") == 42
    assert as_int(-3.5) == -3
    assert as_int("x") is None
    assert positive(0.0) is None
    assert positive(-1.0) is None
    assert positive(None) is None
    assert positive(0.1) == 0.1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" gamma ", "gamma"),
        (42, "42"),
        ("", None),
        ("   ", None),
        (None, None),
        ([1], None),
        ({"a": 1}, None),
    ],
)
def test_as_str(value: Any, expected: str | None) -> None:
    assert as_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (0.0, False),
        (2.5, True),
        (float("nan"), None),
        (" Yes ", True),
        ("on", True),
        ("enabled", True),
        ("0", False),
        ("Disabled", False),
        ("maybe", None),
        (None, None),
        ([], None),
    ],
)
def test_as_bool(value: Any, expected: bool | None) -> None:
    assert as_bool(value) is expected


@pytest.mark.parametrize(
    ("power", "hashrate", "expected"),
    [
        (17.5, 1.05, 16.67),
        (None, 1.0, None),
        (17.5, None, None),
        (17.5, 0.0, None),
        (17.5, -1.0, None),
        (1e308, 1e-300, None),  # not a finite number of joules
    ],
)
def test_efficiency(power: float | None, hashrate: float | None, expected: float | None) -> None:
    assert efficiency(power, hashrate) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("stratum+tcp://pool.example.org:3333", ("pool.example.org", 3333)),
        ("pool.example.org:3333", ("pool.example.org", 3333)),
        ("stratum+ssl://pool.example.org", ("pool.example.org", None)),
        ("pool.example.org:port", ("pool.example.org:port", None)),
    ],
)
def test_split_stratum_url(url: str, expected: tuple[str, int | None]) -> None:
    assert split_stratum_url(url) == expected


@pytest.mark.parametrize(
    ("info", "asic_info", "expected"),
    [
        ({"deviceModel": "Gamma"}, None, "Bitaxe Gamma"),
        ({"deviceModel": "NerdQAxe++"}, None, "NerdQAxe++"),
        ({"deviceModel": "Lucky LV07"}, None, "Lucky LV07"),
        ({}, {"deviceModel": "GammaTurbo"}, "Bitaxe GT"),
        ({}, {"deviceModel": "SupraHex"}, "Bitaxe Supra Hex"),
        ({"boardVersion": "401"}, None, "Bitaxe Supra"),
        ({"boardVersion": "999", "ASICModel": "BM1370"}, None, "AxeOS board (BM1370)"),
        ({}, None, "AxeOS board"),
    ],
)
def test_model_name(info: dict[str, Any], asic_info: dict[str, Any] | None, expected: str) -> None:
    assert model_name(info, asic_info) == expected


def test_capabilities_of_an_unknown_chip_have_no_clock_ranges() -> None:
    caps = capabilities_for({"ASICModel": "BM9999"}, {"frequencyOptions": "not a list"})
    assert caps.frequency is None
    assert caps.core_voltage is None
    assert caps.mining_switch is False
    caps = capabilities_for({}, {"frequencyOptions": [500, "x", -5, 450]})
    assert caps.frequency is not None
    assert (caps.frequency.min, caps.frequency.max) == (450, 500)


def test_parse_info_reports_faults_and_second_fan() -> None:
    data = parse_info(
        {
            "ASICModel": "BM1370",
            "hashRate": 2000,
            "power_fault": "Input voltage too low",
            "hardware_fault": "",
            "overheat_mode": 1,
            "fanrpm": 4000,
            "fan2rpm": 3900,
            "fanspeed": 55,
            "frequency": 525,
            "smallCoreCount": 2040,
            "stratumURL": "stratum+ssl://pool.example.org",
            "stratumPort": 0,
        }
    )
    assert [error.code for error in data.errors] == ["power_fault", "overheat"]
    assert [(fan.index, fan.rpm, fan.percent) for fan in data.fans] == [
        (0, 4000, 55),
        (1, 3900, 55),
    ]
    assert data.expected_hashrate is None  # no chip count anywhere: not guessed
    assert data.is_mining is True  # no pause flag: judged by the hashrate
    assert data.pools[0].url == "stratum+ssl://pool.example.org"
    assert data.pools[0].active is None


def test_esp32_image_check() -> None:
    head = bytearray(64)
    head[0] = 0xE9
    head[32:36] = (0xABCD5432).to_bytes(4, "little")
    assert is_esp32_app_image(bytes(head))
    assert not is_esp32_app_image(bytes(head[:20]))
    assert not is_esp32_app_image(b"")
    head[0] = 0
    assert not is_esp32_app_image(bytes(head))


# --- property tests -------------------------------------------------------------------------

AXEOS_KEYS = st.sampled_from(
    [
        "ASICModel", "hashRate", "expectedHashrate", "power", "temp", "vrTemp", "voltage",
        "current", "fanrpm", "fan2rpm", "fanspeed", "autofanspeed", "frequency", "coreVoltage",
        "coreVoltageActual", "smallCoreCount", "asicCount", "uptimeSeconds", "hostname",
        "version", "axeOSVersion", "macAddr", "boardVersion", "deviceModel", "stratumURL",
        "stratumPort", "stratumUser", "fallbackStratumURL", "fallbackStratumPort",
        "fallbackStratumUser", "isUsingFallbackStratum", "sharesAccepted", "sharesRejected",
        "bestDiff", "bestSessionDiff", "miningPaused", "power_fault", "hardware_fault",
        "overheat_mode", "pools", "primaryPoolIndex",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["483k", "1.2M", "4.29G", "1" * 400, "-5", "nan", "inf", "1e999"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
INFO_LIKE = st.dictionaries(AXEOS_KEYS | st.text(max_size=12), JSON_VALUES, max_size=25)
ASIC_LIKE = st.none() | st.dictionaries(
    st.sampled_from(["deviceModel", "frequencyOptions", "voltageOptions", "asicCount"]),
    JSON_VALUES,
)


@settings(max_examples=200, deadline=None)
@given(info=INFO_LIKE, asic_info=ASIC_LIKE)
def test_parse_info_raises_nothing_but_protocol_errors(
    info: dict[str, Any], asic_info: dict[str, Any] | None
) -> None:
    try:
        data = parse_info(info, asic_info)
    except MinerProtocolError:
        assert "ASICModel" not in info or "hashRate" not in info
        return
    for number in (data.hashrate, data.power, data.efficiency, data.best_difficulty):
        assert number is None or math.isfinite(number)
    data.as_dict()  # and the result is always presentable


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300) | JSON_VALUES.map(lambda value: repr(value).encode()))
def test_decode_json_raises_nothing_but_protocol_errors(body: bytes) -> None:
    try:
        payload = decode_json(body, "somewhere")
    except MinerProtocolError:
        return
    with contextlib.suppress(MinerProtocolError):
        parse_info(payload)


def test_parse_info_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(MinerProtocolError):
        parse_info([1, 2])  # type: ignore[arg-type]
