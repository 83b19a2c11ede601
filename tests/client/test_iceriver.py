"""The IceRiver client against simulated IceRiver miners: what it reads in its one request per
poll, the cookie session and its renewal, every control's effect on the miner, identification,
and parsers that let nothing but ``MinerProtocolError`` escape."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import (
    Family,
    MinerAuthError,
    MinerCommandError,
    MinerProtocolError,
    MinerUnsupportedError,
    PoolConfig,
    ReportedError,
    create_miner,
    identify,
)
from custom_components.asic.client.__main__ import main
from custom_components.asic.client.families import iceriver as family
from custom_components.asic.client.families.iceriver import IceRiverMiner
from custom_components.asic.client.miner import Credentials
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.iceriver_models import ICERIVER_MODELS

from .conftest import RequestLog

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAC = "52:8C:03:AB:CD:EF"
PANEL = ("POST", "/user/userpanel")


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, **credentials: str
) -> IceRiverMiner:
    client = create_miner(
        "iceriver",
        miner.host,
        session,
        port=miner.port,
        credentials=Credentials(**credentials) if credentials else None,
        timeout=5,
    )
    assert isinstance(client, IceRiverMiner)
    return client


async def start(simulator: Simulator, model: str = "KS5L", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="iceriver", model=model, mac=MAC, **spec))


def pin(miner: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    state = miner.state
    monkeypatch.setattr(miner.physics, "tick", lambda _state, _elapsed: None)
    state.uptime = 2 * 86400 + 3 * 3600 + 4 * 60 + 5.0
    state.shares_accepted, state.shares_rejected = 812, 4
    return miner.iceriver_physics


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["KS0", "KS5L"])
async def test_read_matches_the_miner(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
) -> None:
    miner = await start(simulator, model, hostname="kas-1")
    physics = pin(miner, monkeypatch)
    state, board = miner._state, miner.board
    data = await client_of(miner, session).read()

    assert data.family is Family.ICERIVER
    assert data.model == f"IceRiver {model}"
    assert data.firmware_version == board.build
    assert data.web_version == board.softver2
    assert data.board_version == "BOOT_3_1"
    assert (data.mac, data.hostname) == (MAC, "kas-1")
    assert data.hashrate == pytest.approx(round(state.hashrate) / 1000)
    assert data.expected_hashrate == pytest.approx(board.nominal_ghs / 1000, rel=1e-3)
    assert data.power is None  # the firmware does not report it
    assert data.uptime == 2 * 86400 + 3 * 3600 + 4 * 60 + 5
    assert (data.shares_accepted, data.shares_rejected) == (812, 4)
    assert (data.is_mining, data.fault_light) == (True, False)
    assert len(data.boards) == board.boards
    for index, seen in enumerate(data.boards):
        intake, outlet = physics.board_temps[index]
        assert seen.index == index
        assert seen.hashrate == pytest.approx(round(physics.board_rates[index], 2) / 1000)
        assert (seen.board_temp, seen.chip_temp) == (round(intake), round(outlet))
        assert seen.chips == seen.expected_chips == board.chips_per_board
    assert data.chip_temp_max == max(round(outlet) for _, outlet in physics.board_temps)
    assert [fan.rpm for fan in data.fans] == physics.fan_rpms
    assert [(pool.url, pool.user, pool.active, pool.alive) for pool in data.pools] == [
        (miner.pools[0]["addr"], miner.pools[0]["user"], True, True),
        (miner.pools[1]["addr"], miner.pools[1]["user"], False, False),
    ]
    assert data.errors == ()
    caps = data.capabilities
    assert (caps.mining_switch, caps.fault_light, caps.reboot, caps.pools) == (True,) * 4
    assert (caps.power_limit, caps.power_modes, caps.restart_mining) == (None, (), False)


async def test_a_poll_is_one_request_after_the_login_at_connect(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    for _ in range(3):
        await client.read()
    assert request_log.requests == [("POST", "/user/loginpost"), PANEL, PANEL, PANEL]
    assert client.capabilities.mining_switch


async def test_a_reboot_costs_a_new_login(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.state.uptime = 1000.0
    await client.read()
    miner.password = "changed-meanwhile"
    miner.state.uptime = 10.0
    with pytest.raises(MinerAuthError):
        await client.read()


async def test_health_flags_and_board_errors_are_reported(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    original = miner.userpanel

    def panel() -> dict[str, Any]:
        reply: dict[str, Any] = original()
        reply["boards"][2]["error"] = 3.0
        return reply | {"fanstate": False, "tempstate": False}

    monkeypatch.setattr(miner, "userpanel", panel)
    data = await client_of(miner, session).read()
    assert data.errors == (
        ReportedError("fanstate", family.HEALTH_FLAGS["fanstate"]),
        ReportedError("tempstate", family.HEALTH_FLAGS["tempstate"]),
        ReportedError("board3", "Hash board 3 reports 3 errors"),
    )


async def test_unknown_model_is_named_from_its_software_version(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    original = miner.userpanel
    monkeypatch.setattr(miner, "userpanel", lambda: original() | {"softver1": "X1_ks7_miner"})
    data = await client_of(miner, session).read()
    assert (data.model, data.firmware_version) == ("IceRiver KS7", "X1")


# --- auth and session ------------------------------------------------------------------------


async def test_writes_log_in_once_and_keep_the_session(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator, username="ops", password="s3cret")
    client = client_of(miner, session, username="ops", password="s3cret")
    await client.set_fault_light(True)
    await client.set_fault_light(False)
    assert request_log.requests == [
        ("POST", "/user/loginpost"),
        PANEL,
        PANEL,
    ]
    assert len(miner.sessions) == 1


async def test_an_ended_session_is_renewed_once(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    """The miner forgot the session (it timed out, or the miner rebooted): one new login."""
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    miner.sessions.clear()
    request_log.clear()
    await client.set_fault_light(False)
    assert request_log.requests == [PANEL, ("POST", "/user/loginpost"), PANEL]
    assert miner.locate is False


async def test_wrong_password_is_an_auth_error(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, password="s3cret")
    client = client_of(miner, session)
    with pytest.raises(MinerAuthError, match="user or password error"):
        await client.read()
    with pytest.raises(MinerAuthError, match="user or password error"):
        await client.set_mining(False)
    assert miner.mode == 1


async def test_a_login_without_a_cookie_is_a_protocol_error(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    monkeypatch.setattr("tests.simulator.families.iceriver.SESSION_COOKIE", "other")
    with pytest.raises(MinerProtocolError, match="no session"):
        await client_of(miner, session).reboot()


async def test_no_secret_in_logs_or_reprs(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter2-secret")
    caplog.set_level(logging.DEBUG)
    client = client_of(miner, session, password="hunter2-secret")
    await client.set_fault_light(True)
    cookie = next(iter(miner.sessions))
    for text in (caplog.text, repr(client), repr(client.credentials)):
        assert "hunter2-secret" not in text
        assert cookie not in text


# --- controls --------------------------------------------------------------------------------


async def test_mining_off_and_on_keep_pools_and_fan_floor(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.fan_ratio = 40
    pools = [dict(pool) for pool in miner.pools]
    client = client_of(miner, session)
    await client.set_mining(False)
    assert miner.mode == 0
    assert (miner.pools, miner.fan_ratio) == (pools, 40)
    assert miner.state.hashrate == 0
    assert (await client.read()).is_mining is False
    await client.set_mining(True)
    assert miner.mode == 1
    assert (miner.pools, miner.fan_ratio) == (pools, 40)
    assert (await client.read()).is_mining is True


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert miner.locate is True
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert miner.locate is False


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.reboot()
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    await client.set_fault_light(True)  # a new session after the reboot
    assert miner.locate is True


async def test_pools_fill_three_slots_and_keep_the_mode(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_mining(False)
    await client.set_pools(
        [
            PoolConfig("stratum+tcp://kas.example.com:4444", "kaspa:me.1"),
            PoolConfig(" stratum+tcp://b.example.com:4444 ", "kaspa:me.2", "pw"),
        ]
    )
    assert miner.pools == [
        {"addr": "stratum+tcp://kas.example.com:4444", "user": "kaspa:me.1", "pass": "x"},
        {"addr": "stratum+tcp://b.example.com:4444", "user": "kaspa:me.2", "pass": "pw"},
        {"addr": "", "user": "", "pass": ""},
    ]
    assert miner.mode == 0


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([], "At least one"),
        ([PoolConfig("stratum+tcp://a:1", "u")] * 4, "three"),
        ([PoolConfig(" ", "u")], "needs a URL"),
    ],
)
async def test_pools_refused_before_sending(
    simulator: Simulator, session: aiohttp.ClientSession, pools: list[PoolConfig], message: str
) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerCommandError, match=message):
        await client_of(miner, session).set_pools(pools)


async def test_refused_write_carries_the_firmwares_reason(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="invalid fanratio"):
        await client.write("machineconfig", post="2", fanratio="150")


async def test_what_iceriver_cannot_do(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    client = client_of(await start(simulator), session)
    for operation in (client.set_power_limit(100), client.set_power_mode("eco")):
        with pytest.raises(MinerUnsupportedError):
            await operation


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize("model", [row.name for row in ICERIVER_MODELS])
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model)
    found = await identify(miner.host, session, port=miner.port)
    assert found.family is Family.ICERIVER
    assert found.model == f"IceRiver {model}"
    assert (found.firmware_version, found.mac) == (miner.board.build, MAC)
    assert (found.api_flavour, found.port, found.rpc_port) == ("user", miner.port, None)


async def test_confirm_turns_down_what_is_not_an_iceriver(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.BAD_JSON, path="/user/userpanel")
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.port)
    miner.clear_fault()
    original = miner.userpanel
    monkeypatch.setattr(miner, "userpanel", lambda: original() | {"softver1": "single"})
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.port)


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_of_odd_values() -> None:
    assert family.parse_rate("12034G") == pytest.approx(12.034)
    assert family.parse_rate("1.5T", "G") == pytest.approx(1.5)
    assert family.parse_rate(800, "M") == pytest.approx(0.0008)
    assert family.parse_rate(800, "Q") == pytest.approx(0.8)
    assert family.parse_rate(800, "TP") == pytest.approx(0.8)
    assert family.parse_rate("fast") is None
    assert family.parse_runtime("00:01:00:00") == 3600
    assert family.parse_runtime("1:2") is None
    assert family.parse_mac("nonsense") is None
    assert family.split_softver(None) == (None, None)
    assert family.session_cookie(None) is None
    assert family.session_cookie('sessionid="unterminated') is None
    assert family.model_name(None) is None
    with pytest.raises(MinerProtocolError, match="no software version"):
        family.build_miner_data({})
    with pytest.raises(MinerProtocolError, match="without an error code"):
        family.parse_reply({"data": {}}, "here")
    assert family.parse_reply({"error": 0, "data": []}, "here") == {}
    with pytest.raises(MinerCommandError) as refused:
        family.parse_reply({"error": 7}, "here")
    assert refused.value.code == 7


WORDS = st.text(alphabet="abcGT 019-:._", max_size=8)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["softver1", "rtpow", "unit", "runtime", "mac", "boards", "pools", "fans", "locate", "error"]
)
PANELS = JSONISH | st.dictionaries(KEYS, JSONISH, max_size=8)


@given(PANELS)
@settings(max_examples=150, deadline=None)
def test_parsers_let_only_protocol_errors_escape(panel: Any) -> None:
    with contextlib.suppress(MinerProtocolError, MinerCommandError):
        family.parse_reply(panel, "here")
    with contextlib.suppress(MinerProtocolError):
        family.build_miner_data(panel if isinstance(panel, dict) else {"softver1": panel})
    with contextlib.suppress(MinerProtocolError):
        family.build_miner_data({"error": 0, "softver1": "a_b", **dict.fromkeys(KEYS_OF, panel)})


KEYS_OF = ("rtpow", "runtime", "mac", "boards", "pools", "fans", "locate", "unit", "host")


# --- command line ----------------------------------------------------------------------------


async def test_cli_identifies_and_reads(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner = await start(simulator, "KS0")
    address = f"{miner.host}:{miner.port}"
    assert await asyncio.to_thread(main, ["identify", address]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["model"], shown["mac"]) == ("iceriver", "IceRiver KS0", MAC)
    assert await asyncio.to_thread(main, ["read", address, "--family", "iceriver"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["mac"], shown["is_mining"]) == ("iceriver", MAC, True)
    assert shown["hashrate"] > 0
