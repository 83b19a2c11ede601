"""The Goldshell client against simulated Goldshell miners: what it reads, how many requests a
poll costs, the login and its renewal, every control's effect on the miner, identification,
and parsers that let nothing but ``MinerProtocolError`` escape."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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
from custom_components.asic.client.families import goldshell as family
from custom_components.asic.client.families.goldshell import GoldshellMiner
from custom_components.asic.client.miner import Credentials
from custom_components.asic.client.probe import Probe, WebPage
from custom_components.asic.client.transport.http import HttpTransport
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.goldshell_models import GOLDSHELL_MODELS

from .conftest import RequestLog

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAC = "28:E2:97:12:34:56"


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, **credentials: str
) -> GoldshellMiner:
    client = create_miner(
        "goldshell",
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(**credentials) if credentials else None,
        timeout=5,
    )
    assert isinstance(client, GoldshellMiner)
    return client


async def start(simulator: Simulator, model: str = "KD Box II", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="goldshell", model=model, mac=MAC, **spec))


def pin(miner: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Stop the physics after one tick, so every reply carries the same readings."""
    state = miner.state
    monkeypatch.setattr(miner.physics, "tick", lambda _state, _elapsed: None)
    state.uptime = 5000.0
    state.shares_accepted, state.shares_rejected, state.best_session_diff = 420, 3, 98765.0
    return miner.goldshell_physics


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["KD Box II", "KD Max", "Mini DOGE"])
async def test_read_matches_the_miner(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
) -> None:
    miner = await start(simulator, model)
    physics = pin(miner, monkeypatch)
    state, board = miner._state, miner.board
    client = client_of(miner, session)
    assert client.capabilities.power_modes == ()  # unknown before the first read
    data = await client.read()

    assert data.family is Family.GOLDSHELL
    assert data.model == f"Goldshell {model}"
    assert data.firmware_version == "2.2.5"
    assert data.mac == MAC
    assert data.hostname is None
    assert data.board_version == board.hardware
    assert data.hashrate == pytest.approx(round(state.hashrate, 3) / 1e6)
    assert data.expected_hashrate == pytest.approx(board.nominal_mhs / 1e6)
    assert data.power is None  # the firmware does not report it
    assert data.efficiency is None
    assert data.uptime == 5000
    assert (data.shares_accepted, data.shares_rejected) == (420, 3)
    assert data.best_session_difficulty == 98765
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.power_mode == "normal"
    assert data.frequency == board.frequency
    assert len(data.boards) == board.boards
    for index, seen in enumerate(data.boards):
        low, high = physics.chip_temps[index]
        assert seen.hashrate == pytest.approx(round(physics.board_rates[index], 3) / 1e6)
        assert seen.chip_temp == round(max(low, high), 2)
        assert seen.board_temp == round(physics.board_temps[index], 2)
        assert seen.expected_chips == board.chips_per_board
    assert data.chip_temp_max == max(seen.chip_temp or 0 for seen in data.boards)
    assert data.board_temp_max == max(seen.board_temp or 0 for seen in data.boards)
    assert [fan.rpm for fan in data.fans] == physics.fan_rpms
    assert [(pool.url, pool.user, pool.active) for pool in data.pools] == [
        (pool["url"], pool["user"], index == 0) for index, pool in enumerate(miner.pools)
    ]
    assert data.errors == ()
    caps = data.capabilities
    assert caps.power_modes == ("normal", "eco")
    assert (caps.mining_switch, caps.fault_light, caps.reboot, caps.pools) == (True,) * 4
    assert (caps.power_limit, caps.restart_mining) == (None, False)
    assert client.capabilities == caps


async def test_a_poll_costs_one_rpc_and_one_web_request(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()  # connect: status and login, then the poll
    assert request_log.count("/mcb/status") == 1
    assert request_log.count("/user/login") == 1
    request_log.clear()
    rpc_before = client.rpc.requests
    for _ in range(3):
        await client.read()
    assert request_log.requests == [("GET", "/mcb/setting")] * 3
    assert client.rpc.requests - rpc_before == 3


async def test_joined_commands_refused_once_then_sent_singly(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    assert (await client.read()).hashrate
    assert client.rpc.joined_commands is False
    before = client.rpc.requests
    await client.read()
    assert client.rpc.requests - before == 3


async def test_restart_reconnects_and_reads_the_new_firmware(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.state.uptime = 1000.0
    await client.read()
    miner.firmware = "2.2.7"
    miner.state.uptime = 5.0
    assert (await client.read()).firmware_version == "2.2.7"


async def test_unknown_model_is_named_as_the_miner_names_itself(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    original = miner.status
    monkeypatch.setattr(miner, "status", lambda: {**original(), "model": "Goldshell-HS6SE"})
    data = await client_of(miner, session).read()
    assert data.model == "Goldshell HS6SE"
    assert data.boards[0].expected_chips is None


async def test_renamed_miner_has_a_hostname_and_no_mac(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, hostname="garage-box")
    data = await client_of(miner, session).read()
    assert (data.hostname, data.mac) == ("garage-box", None)


async def test_board_faults_are_reported(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator, "KD Max")
    original = miner.rpc_devs

    def devs(request: Any) -> dict[str, Any]:
        reply: dict[str, Any] = original(request)
        reply["DEVS"][1] |= {"overheat": 1, "Status": "Dead"}
        return reply

    monkeypatch.setattr(miner, "rpc_devs", devs)
    data = await client_of(miner, session).read()
    assert data.errors == (
        ReportedError("overheat:1", "Hash board 1 stopped: overheated"),
        ReportedError("board:1", "Hash board 1 is dead"),
    )


# --- auth ------------------------------------------------------------------------------------


async def test_custom_login(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, username="ops", password="s3cret")
    data = await client_of(miner, session, username="ops", password="s3cret").read()
    assert data.mac == MAC


async def test_wrong_password_is_an_auth_error(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, password="s3cret")
    with pytest.raises(MinerAuthError, match="refused the web login"):
        await client_of(miner, session).read()


async def test_login_falls_back_to_the_encrypted_password(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A firmware that takes only the page's encrypted form (``cipher=true``)."""
    miner = await start(simulator, password="s3cret")
    original = miner.web_login

    def encrypted_only(request: Any) -> Any:
        if request.query.get("cipher") != "true":
            return web.json_response({"error": "username or password error"}, status=401)
        return original(request)

    monkeypatch.setattr(miner, "web_login", encrypted_only)
    assert (await client_of(miner, session, password="s3cret").read()).mac == MAC
    assert request_log.count("/user/login") == 2
    assert family.encrypt_password("123456789") == "bbad7537f4c8b6ea31eea0b3d760e257"


async def test_a_refused_token_is_renewed_once(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The controller forgot the token (a new signing key after an update): one new login."""
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    monkeypatch.setattr(type(miner), "token", property(lambda _miner: "another-token"))
    request_log.clear()
    assert (await client.read()).mac == MAC
    assert request_log.requests == [
        ("GET", "/mcb/setting"),
        ("GET", "/user/login"),
        ("GET", "/mcb/setting"),
    ]


async def test_wrong_password_tries_both_forms_once(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator, password="s3cret")
    with pytest.raises(MinerAuthError):
        await client_of(miner, session).read()
    assert request_log.count("/user/login") == 2


async def test_password_changed_on_the_miner_is_an_auth_error(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    miner.password = "changed"
    with pytest.raises(MinerAuthError):
        await client.read()


async def test_no_secret_in_logs_or_reprs(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter2-secret")
    caplog.set_level(logging.DEBUG)
    client = client_of(miner, session, password="hunter2-secret")
    await client.read()
    await client.set_fault_light(True)
    token = miner.token
    for text in (caplog.text, repr(client), repr(client.credentials)):
        assert "hunter2-secret" not in text
        assert token not in text


# --- controls --------------------------------------------------------------------------------


async def test_power_modes_select_the_miners_own_plans(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    before = dict(miner.setting)
    await client.set_power_mode("eco")
    assert miner.setting == {**before, "select": 1}  # everything else sent back unchanged
    assert (await client.read()).power_mode == "eco"
    await client.set_power_mode("normal")
    assert miner.setting["select"] == 0
    with pytest.raises(MinerCommandError, match="normal, eco"):
        await client.set_power_mode("sleep")


async def test_mining_off_sleeps_and_on_returns_to_the_plan_before(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("eco")
    await client.set_mining(False)
    assert miner.setting["select"] == 2
    await client.set_mining(False)  # asleep already: still asleep
    assert miner.setting["select"] == 2
    assert miner.state.hashrate == 0
    data = await client.read()
    assert (data.is_mining, data.power_mode, data.hashrate) == (False, None, 0)
    await client.set_mining(True)
    assert miner.setting["select"] == 1
    assert miner.state.hashrate > 0
    assert (await client.read()).is_mining is True


async def test_mining_on_from_sleep_without_history_runs_the_normal_plan(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.setting["select"] = 2
    await client_of(miner, session).set_mining(True)
    assert miner.setting["select"] == 0


async def test_mining_switch_needs_a_sleep_plan(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.setting["powerplans"] = miner.setting["powerplans"][:2]
    client = client_of(miner, session)
    assert not (await client.read()).capabilities.mining_switch
    with pytest.raises(MinerCommandError, match="no power plan"):
        await client.set_mining(False)
    miner.setting["powerplans"] = [{"level": 3, "info": "0 MHz 0 V 100 RPM 100 RPM"}]
    miner.setting["select"] = 0
    with pytest.raises(MinerCommandError, match="no power plan"):
        await client_of(miner, session).set_mining(True)


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert miner.led_on
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not miner.led_on


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.reboot()
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    assert (await client.read()).uptime is not None


async def test_pools_replace_the_list(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    setting = dict(miner.setting)
    pools = [
        PoolConfig("stratum+tcp://kda.example.com:3333", "me.1"),
        PoolConfig("stratum+tcp://b.example.com:3333", "me.2", "pw"),
        PoolConfig(" stratum+tcp://c.example.com:3333 ", "me.3"),
    ]
    await client.set_pools(pools)
    assert miner.pools == [
        {"url": "stratum+tcp://kda.example.com:3333", "user": "me.1", "pass": "x"},
        {"url": "stratum+tcp://b.example.com:3333", "user": "me.2", "pass": "pw"},
        {"url": "stratum+tcp://c.example.com:3333", "user": "me.3", "pass": "x"},
    ]
    assert miner.setting == setting
    await client.set_pools(pools[:1])
    assert [pool["user"] for pool in miner.pools] == ["me.1"]


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
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    monkeypatch.setattr(family, "MAX_POOLS", 4)
    miner.pools.clear()
    with pytest.raises(MinerCommandError, match="pool list full"):
        await client.set_pools([PoolConfig("stratum+tcp://a:1", "u")] * 4)


async def test_what_goldshell_cannot_do(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    client = client_of(await start(simulator), session)
    with pytest.raises(MinerUnsupportedError):
        await client.set_power_limit(300)
    with pytest.raises(MinerUnsupportedError):
        await client.restart_mining()


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize("model", [row.name for row in GOLDSHELL_MODELS])
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.GOLDSHELL
    assert found.model == f"Goldshell {model}"
    assert (found.firmware_version, found.mac) == ("2.2.5", MAC)
    assert (found.api_flavour, found.port, found.rpc_port) == (
        "mcb",
        miner.ports["web"],
        miner.ports["rpc"],
    )


async def test_identify_without_the_login_keeps_model_and_firmware(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, password="not-the-default")
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert (found.family, found.model, found.mac) == (
        Family.GOLDSHELL,
        "Goldshell KD Box II",
        None,
    )


async def test_identify_by_the_rpc_when_the_page_is_bare(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    monkeypatch.setattr("tests.simulator.families.goldshell.ROOT_PAGE", "<html></html>")
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.GOLDSHELL


async def test_confirm_turns_down_other_answers(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    original = miner.status
    monkeypatch.setattr(miner, "status", lambda: {**original(), "model": "Antminer S9"})
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"])
    with pytest.raises(MinerProtocolError, match="not answer as a Goldshell"):
        await client_of(miner, session).read()
    miner.set_fault(Fault.HTTP_500, path="/mcb/status")
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"])
    miner.clear_fault()
    miner.set_fault(Fault.BAD_JSON, path="/mcb/status")
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"])


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_of_odd_replies() -> None:
    assert family.model_name(None) is None
    assert family.model_name("Goldshell-KD_Max") == "Goldshell KD Max"
    assert family.parse_fans({"DEVS": []}) == ()
    manual = family.parse_setting({"manual": True, "select": 0, "powerplans": [{"level": 0}]})
    assert manual.plan is None
    assert family.parse_setting({"powerplans": ["odd"]}).plans == (
        family.PowerPlan(0, None, "plan 0"),
    )
    assert family.parse_setting({"powerplans": [{"level": 7}]}).plans[0].name == "level 7"
    assert family.capabilities_for(None) == Capabilities()
    with pytest.raises(MinerProtocolError, match="no SUMMARY"):
        family.build_miner_data(family.StatusInfo(), manual, {}, {}, {})


async def test_confirm_needs_a_web_server_and_a_goldshell_sign(
    simulator: Simulator, session: aiohttp.ClientSession, serve: Any
) -> None:
    async def bare(_request: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    port = await serve({"/": bare, "/mcb/status": bare})
    with pytest.raises(MinerUnsupportedError):
        await identify("127.0.0.1", session, port=port, rpc_port=port)
    miner = await start(simulator)
    miner.set_fault(Fault.OFFLINE)
    probe = Probe(
        session=session,
        http=HttpTransport(session, miner.host, miner.ports["web"], timeout=2),
        host=miner.host,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(),
        timeout=2,
        page=WebPage(status=0, body="", realm=None),
        rpc_version=asyncio.ensure_future(asyncio.sleep(0, result=None)),
        web_down=True,
    )
    assert await family.confirm(probe) is None
    await probe.rpc_version


WORDS = st.text(alphabet="abcXYZ 019-:.", max_size=6)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["SUMMARY", "DEVS", "POOLS", "powerplans", "select", "manual", "ledcontrol", "name", "model"]
)
REPLIES = JSONISH | st.dictionaries(KEYS, JSONISH, max_size=6)


def only_protocol_errors(parse: Any, *args: Any) -> None:
    with contextlib.suppress(MinerProtocolError):
        parse(*args)


@given(REPLIES, REPLIES, REPLIES, REPLIES)
@settings(max_examples=150, deadline=None)
def test_parsers_let_only_protocol_errors_escape(
    status: Any, setting: Any, summary: Any, devs: Any
) -> None:
    only_protocol_errors(family.parse_status, status)
    only_protocol_errors(family.parse_setting, setting)
    only_protocol_errors(family.parse_token, setting)

    def whole() -> None:
        parsed = family.parse_setting(setting)
        family.build_miner_data(
            family.parse_status(status),
            parsed,
            summary if isinstance(summary, dict) else {},
            devs if isinstance(devs, dict) else {},
            summary if isinstance(summary, dict) else {},
        )
        family.capabilities_for(parsed)

    only_protocol_errors(whole)


# --- command line ----------------------------------------------------------------------------


async def test_cli_identifies_and_reads(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner = await start(simulator, "KD Max")
    address, rpc = f"{miner.host}:{miner.port}", str(miner.ports["rpc"])
    assert await asyncio.to_thread(main, ["identify", address, "--rpc-port", rpc]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["model"], shown["mac"]) == ("goldshell", "Goldshell KD Max", MAC)
    assert await asyncio.to_thread(main, ["read", address, "--rpc-port", rpc]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["family"], shown["mac"], len(shown["boards"])) == ("goldshell", MAC, 3)
    assert shown["hashrate"] > 0
