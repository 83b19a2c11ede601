"""The Innosilicon client against simulated Innosilicon miners: what it reads, how many requests
a poll costs, the login and its renewal when the token expires, every control's effect on the
miner, the firmware's error codes, identification, and parsers that let nothing but
``MinerProtocolError`` escape."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import (
    Capabilities,
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
from custom_components.asic.client.families import innosilicon as family
from custom_components.asic.client.families.innosilicon import InnosiliconMiner
from custom_components.asic.client.miner import Credentials
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.innosilicon_models import INNOSILICON_MODELS

from .conftest import RequestLog

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAC = "A0:B0:45:12:34:56"


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, **credentials: str
) -> InnosiliconMiner:
    client = create_miner(
        "innosilicon",
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(**credentials) if credentials else None,
        timeout=5,
    )
    assert isinstance(client, InnosiliconMiner)
    return client


async def start(simulator: Simulator, model: str = "T3H+", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="innosilicon", model=model, mac=MAC, **spec))


def pin(miner: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    state = miner.state
    monkeypatch.setattr(miner.physics, "tick", lambda _state, _elapsed: None)
    state.uptime = 7200.0
    state.shares_accepted, state.shares_rejected = 640, 2
    miner.cgminer_started = time.monotonic() - 3600
    return miner.inno_physics


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "sha256"), [("T3H+", True), ("A10 Pro", False)])
async def test_read_matches_the_miner(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    sha256: bool,
) -> None:
    miner = await start(simulator, model, hostname="inno-7")
    physics = pin(miner, monkeypatch)
    state, board = miner._state, miner.board
    client = client_of(miner, session)
    assert client.capabilities == Capabilities()  # unknown before the first read
    data = await client.read()

    assert data.family is Family.INNOSILICON
    assert data.model == f"Innosilicon {model}"
    assert data.firmware_version == board.firmware
    assert (data.mac, data.hostname, data.board_version) == (MAC, "inno-7", board.hardware)
    assert data.hashrate == pytest.approx(round(state.hashrate, 2) / 1e6)
    assert data.power == round(state.power)
    if sha256:
        assert data.efficiency == pytest.approx(round(state.power) / data.hashrate, abs=0.01)
    else:
        assert data.efficiency is None  # J/TH says nothing about an Ethash miner
    assert data.uptime == 7200
    assert (data.shares_accepted, data.shares_rejected) == (640, 2)
    assert (data.is_mining, data.power_mode, data.fault_light) == (True, "normal", None)
    assert data.frequency == board.frequency
    assert len(data.boards) == board.boards
    for index, seen in enumerate(data.boards):
        high = physics.board_temps[index][1]
        rate = physics.board_rates[index]
        expected = round(rate * 1e6) / 1e12 if sha256 else round(rate, 2) / 1e6
        assert seen.hashrate == pytest.approx(expected)
        assert seen.chip_temp == round(high, 1)
        assert seen.chips == seen.expected_chips == board.chips_per_board
    assert data.chip_temp_max == max(round(high, 1) for _, high in physics.board_temps)
    assert [fan.rpm for fan in data.fans] == physics.fan_rpms
    assert {fan.percent for fan in data.fans} == {round(state.fan_percent)}
    assert [(pool.url, pool.user, pool.active) for pool in data.pools] == [
        (miner.pools[0]["url"], miner.pools[0]["user"], True),
        (miner.pools[1]["url"], miner.pools[1]["user"], False),
    ]
    assert data.errors == ()
    caps = data.capabilities
    assert caps.power_modes == ("low", "normal", "high")
    assert (caps.mining_switch, caps.reboot, caps.restart_mining, caps.pools) == (True,) * 4
    assert (caps.fault_light, caps.power_limit) == (False, None)
    assert client.capabilities == caps


async def test_a_poll_costs_two_web_and_one_rpc_request(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    assert [path for _, path in request_log.requests[:3]] == [
        "/api/auth",
        "/api/overview",
        "/api/getAutoFreq",
    ]
    request_log.clear()
    rpc_before = client.rpc.requests
    for _ in range(3):
        await client.read()
    assert sorted(request_log.requests) == sorted(
        [("POST", "/api/getAll"), ("POST", "/api/getErrorDetail")] * 3
    )
    assert client.rpc.requests - rpc_before == 3


async def test_joined_commands_refused_once_then_sent_singly(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    assert (await client.read()).pools
    before = client.rpc.requests
    await client.read()
    assert client.rpc.requests - before == 2


async def test_reboot_reconnects_and_reads_the_new_firmware(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.state.uptime = 1000.0
    await client.read()
    miner.firmware = "2023-01-01"
    miner.state.uptime = 5.0
    assert (await client.read()).firmware_version == "2023-01-01"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (32, family.ERROR_MESSAGES[32]),
        (23, family.ERROR_MESSAGES[23]),
        (99, "fan stalled"),
    ],
)
async def test_error_codes_become_readable_reports(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    message: str,
) -> None:
    miner = await start(simulator)

    async def detail(_request: Any, _body: Any) -> Any:
        return family_reply({"success": True, "code": code, "message": "fan stalled"})

    routes = miner.routes
    monkeypatch.setattr(miner, "routes", lambda: routes() | {"getErrorDetail": detail})
    assert (await client_of(miner, session).read()).errors == (ReportedError(str(code), message),)


def family_reply(payload: dict[str, Any]) -> web.Response:
    return web.json_response(payload)


async def test_unknown_type_is_named_as_the_miner_names_itself(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    renamed = dataclasses.replace(miner.board, web_type="T4")
    monkeypatch.setattr(type(miner), "board", property(lambda _miner: renamed))
    data = await client_of(miner, session).read()
    assert data.model == "Innosilicon T4"
    assert data.boards[0].expected_chips is None


# --- auth ------------------------------------------------------------------------------------


async def test_custom_login(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, username="ops", password="s3cret")
    assert (await client_of(miner, session, username="ops", password="s3cret").read()).mac == MAC


async def test_wrong_password_is_an_auth_error(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, password="s3cret")
    with pytest.raises(MinerAuthError, match="Invalid username or password"):
        await client_of(miner, session).read()


async def test_an_expired_token_is_renewed_once(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    for token in miner.tokens:
        miner.tokens[token] = time.monotonic() - 1  # expired
    request_log.clear()
    await client.set_power_mode("low")
    assert miner.mode == "low"
    assert request_log.requests == [
        ("POST", "/api/setAutoFreq"),
        ("POST", "/api/auth"),
        ("POST", "/api/setAutoFreq"),
    ]
    # Two reads at once share one new login.
    miner.tokens.clear()
    request_log.clear()
    await client.read()
    assert request_log.count("/api/auth") == 1


async def test_no_secret_in_logs_or_reprs(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter2-secret")
    caplog.set_level(logging.DEBUG)
    client = client_of(miner, session, password="hunter2-secret")
    await client.read()
    token = next(iter(miner.tokens))
    for text in (caplog.text, repr(client), repr(client.credentials)):
        assert "hunter2-secret" not in text
        assert token not in text


# --- controls --------------------------------------------------------------------------------


async def test_mining_off_powers_off_and_on_restarts_cgminer(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_mining(False)
    assert not miner.running
    assert miner.state.hashrate == 0
    assert (await client.read()).is_mining is False
    await client.set_mining(True)
    assert miner.running
    assert (await client.read()).is_mining is True


async def test_restart_mining_restarts_cgminer_only(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.state.uptime = 500.0
    miner.cgminer_started -= 400
    await client.restart_mining()
    assert miner.cgminer_elapsed < 5
    assert miner.state.uptime >= 500


async def test_power_modes(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("high")  # before any read: the modes are read first
    assert miner.mode == "high"
    assert (await client.read()).power_mode == "high"
    with pytest.raises(MinerCommandError, match="low, normal, high"):
        await client.set_power_mode("turbo")


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.reboot()
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    assert (await client.read()).is_mining is True  # a new login after the reboot


async def test_pools_fill_three_slots(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_pools(
        [
            PoolConfig("stratum+tcp://btc.example.com:3333", "me.1"),
            PoolConfig(" stratum+tcp://b.example.com:3333 ", "me.2", "pw"),
        ]
    )
    assert miner.pools == [
        {"url": "stratum+tcp://btc.example.com:3333", "user": "me.1", "pass": "x"},
        {"url": "stratum+tcp://b.example.com:3333", "user": "me.2", "pass": "pw"},
        {"url": "", "user": "", "pass": ""},
    ]
    assert [pool.user for pool in (await client.read()).pools] == ["me.1", "me.2"]


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([], "At least one"),
        ([PoolConfig("stratum+tcp://a:1", "u")] * 4, "three"),
        ([PoolConfig(" ", "u")], "needs a URL"),
        ([PoolConfig("pool.example.com:3333", "u")], "Invalid pool URL: Pool1"),
    ],
)
async def test_pools_refused(
    simulator: Simulator, session: aiohttp.ClientSession, pools: list[PoolConfig], message: str
) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerCommandError, match=message):
        await client_of(miner, session).set_pools(pools)


async def test_what_innosilicon_cannot_do(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    client = client_of(await start(simulator), session)
    for operation in (client.set_power_limit(3000), client.set_fault_light(True)):
        with pytest.raises(MinerUnsupportedError):
            await operation


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize("row", INNOSILICON_MODELS, ids=lambda row: row.name)
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, row: Any
) -> None:
    miner = await start(simulator, row.name)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.INNOSILICON
    assert found.model == f"Innosilicon {row.name}"
    assert (found.firmware_version, found.mac) == (row.firmware, MAC)
    assert (found.api_flavour, found.port, found.rpc_port) == (
        "api",
        miner.ports["web"],
        miner.ports["rpc"],
    )


async def test_identify_without_the_login_keeps_the_rpc_facts(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "T3+ Pro", password="not-the-default")
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert (found.family, found.model, found.firmware_version, found.mac) == (
        Family.INNOSILICON,
        "Innosilicon T3+ Pro",
        "2021-11-02",
        None,
    )


async def test_identify_by_the_rpc_alone_when_the_web_is_down(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner._endpoints["web"].close()
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert (found.family, found.model, found.firmware_version, found.mac) == (
        Family.INNOSILICON,
        "Innosilicon T3H+",
        "2022-03-15",
        None,
    )


async def test_a_login_without_a_token_is_a_protocol_error(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    monkeypatch.setattr(miner, "web_auth", lambda _body: family_reply({"success": True}))
    with pytest.raises(MinerProtocolError, match="without a token"):
        await client_of(miner, session).read()


async def test_other_web_servers_are_not_innosilicon(
    session: aiohttp.ClientSession, plain_web_server: int, closed_port: int
) -> None:
    with pytest.raises(MinerUnsupportedError):
        await identify("127.0.0.1", session, port=plain_web_server, rpc_port=closed_port)


async def test_a_dragonmint_page_alone_is_not_enough(
    session: aiohttp.ClientSession, serve: Any, closed_port: int
) -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<title>DragonMint</title>", content_type="text/html")

    port = await serve({"/": page})
    with pytest.raises(MinerUnsupportedError):
        await identify("127.0.0.1", session, port=port, rpc_port=closed_port, timeout=3)


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_of_odd_replies() -> None:
    assert family.model_name(None) is None
    assert family.parse_version(None) == (None, None)
    assert family.parse_version({"VERSION": [{"Miner": "InnoMiner", "Type": "T3"}]}) == (
        "T3",
        None,
    )
    assert family.parse_modes({"modes": "all"}) == family.DEFAULT_MODES
    assert family.parse_overview({"version": "x"}) == family.Overview()
    assert family.parse_error_detail({"code": 0}) == ()
    with pytest.raises(MinerProtocolError, match="whether it succeeded"):
        family.parse_reply({}, "here")
    with pytest.raises(MinerCommandError, match="here: refused"):
        family.parse_reply({"success": False}, "here")
    with pytest.raises(MinerProtocolError, match="cut short"):
        family.build_miner_data(
            family.Overview(),
            (),
            all_reply={},
            error_reply={},
            summary_reply={},
            pools_reply={},
        )


WORDS = st.text(alphabet="abcHT 019-:.+", max_size=8)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["success", "all", "chain", "fans", "running_mode", "version", "modes", "code", "VERSION"]
)
REPLIES = JSONISH | st.dictionaries(KEYS, JSONISH, max_size=6)


@given(REPLIES, REPLIES, REPLIES)
@settings(max_examples=150, deadline=None)
def test_parsers_let_only_protocol_errors_escape(first: Any, second: Any, third: Any) -> None:
    with contextlib.suppress(MinerProtocolError, MinerCommandError):
        family.parse_reply(first, "here")
    mapping = first if isinstance(first, dict) else {}
    family.parse_overview(mapping)
    family.parse_modes(mapping)
    family.parse_error_detail(mapping)
    family.parse_version(mapping)
    with contextlib.suppress(MinerProtocolError):
        family.build_miner_data(
            family.parse_overview(mapping),
            family.parse_modes(mapping),
            all_reply={"all": second} if isinstance(second, dict) else mapping,
            error_reply=mapping,
            summary_reply={"SUMMARY": [third]},
            pools_reply={"POOLS": third},
        )


# --- command line ----------------------------------------------------------------------------


async def test_cli_identifies_and_reads(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner = await start(simulator, password="s3cret")
    address, rpc = f"{miner.host}:{miner.port}", str(miner.ports["rpc"])
    assert await asyncio.to_thread(main, ["identify", address, "--rpc-port", rpc]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["model"]) == ("innosilicon", "Innosilicon T3H+")
    arguments = ["read", address, "--rpc-port", rpc, "--password", "s3cret"]
    assert await asyncio.to_thread(main, arguments) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["mac"], shown["power_mode"]) == ("innosilicon", MAC, "normal")
    assert "s3cret" not in json.dumps(shown)
