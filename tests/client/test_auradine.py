"""The Auradine (FluxOS) client against simulated Teraflux miners: what it reads, how many
requests a poll costs, the login and its token (wrong, custom, expired, never shown), every
control's effect on the miner, identification (never stock), and arbitrary replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import (
    Credentials,
    Family,
    Fan,
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    MinerUnsupportedError,
    PoolConfig,
    ReportedError,
    create_miner,
    identify,
)
from custom_components.asic.client.__main__ import main
from custom_components.asic.client.families import auradine as family
from custom_components.asic.client.families.auradine import AuradineMiner
from custom_components.asic.client.transport.http import decode_json
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.auradine_models import AURADINE_MODELS

from .conftest import RequestLog, ServeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

MODEL_NAMES = [model.name for model in AURADINE_MODELS]
REST_POLL_REQUESTS = [("GET", f"/{name}") for name in family.REST_POLL]


def client_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    username: str | None = None,
    password: str | None = None,
) -> AuradineMiner:
    client = create_miner(
        "auradine",
        miner.host,
        session,
        port=miner.ports["api"],
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(username, password),
        timeout=5,
    )
    assert isinstance(client, AuradineMiner)
    return client


async def start(simulator: Simulator, model: str = "AT1500", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="auradine", model=model, **spec))


def record(miner: Any) -> dict[str, Any]:
    """The simulated truth at the moment each reply was served (replies of one poll are
    served one after the other, and the simulated physics move on between them)."""
    seen: dict[str, Any] = {}

    def wrap(name: str, take: Any) -> None:
        original = getattr(miner, name)

        def served(*args: Any) -> Any:
            reply = original(*args)
            seen.update(take(miner._state, miner.auradine_physics, reply))
            return reply

        setattr(miner, name, served)

    wrap(
        "summary_entry",
        lambda state, _physics, entry: {
            "hashrate": state.hashrate,
            "power": state.power,
            "elapsed": entry["Elapsed"],
            "accepted": state.shares_accepted,
        },
    )
    wrap("dev_entries", lambda _state, physics, _reply: {"rates": list(physics.board_rates)})
    wrap("api_temperature", lambda _state, physics, _reply: {"temps": list(physics.board_temps)})
    wrap("api_fan", lambda _state, physics, _reply: {"fans": list(physics.fan_rpms)})
    return seen


def sleeping(miner: Any) -> bool:
    """Read afresh: each control changes it."""
    return bool(miner.sleep)


def led_code(miner: Any) -> int:
    return int(miner.led_code)


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODEL_NAMES)
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-9")
    truth = record(miner)
    client = client_of(miner, session)
    assert client.capabilities.power_modes == ()  # unknown before the first read
    assert (client.port, client.web_port) == (miner.ports["api"], 80)  # REST API and the UI
    data = await client.read()
    board = miner.board

    assert data.family is Family.AURADINE
    assert data.model == model
    assert data.firmware_version == miner.firmware
    assert data.mac == miner.mac.upper()
    assert data.serial == miner.serial
    assert data.hostname == "rack-9"
    assert data.hashrate == pytest.approx(truth["hashrate"] / 1000, abs=1e-5)
    assert data.expected_hashrate == pytest.approx(board.nominal_ths, abs=0.05)
    assert data.power == round(truth["power"])
    assert data.power_limit == board.nominal_power
    assert data.efficiency == pytest.approx(round(truth["power"]) / data.hashrate, abs=0.01)
    assert data.uptime == truth["elapsed"]
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.power_mode == "normal"
    assert data.shares_accepted == truth["accepted"]
    assert data.chip_temp_max == pytest.approx(max(truth["temps"]) + 10, abs=0.01)
    assert data.board_temp_max == pytest.approx(max(truth["temps"]), abs=0.01)
    assert [fan.rpm for fan in data.fans] == truth["fans"]
    assert len(data.fans) == board.fans
    assert len(data.boards) == board.boards
    for index, hashboard in enumerate(data.boards):
        assert hashboard.index == index
        assert hashboard.hashrate == pytest.approx(truth["rates"][index] / 1000, abs=1e-5)
        assert hashboard.board_temp == pytest.approx(truth["temps"][index], abs=0.01)
        assert hashboard.chip_temp == pytest.approx(truth["temps"][index] + 10, abs=0.01)
        assert hashboard.expected_chips == board.chips_per_board
        assert hashboard.serial == miner.board_serials[index]
    assert [(pool.url, pool.user) for pool in data.pools] == [
        (pool["url"], pool["user"]) for pool in miner.pools
    ]
    assert [pool.active for pool in data.pools] == [True, False]
    assert data.errors == ()
    caps = data.capabilities
    assert caps.power_limit is not None
    assert (caps.power_limit.min, caps.power_limit.max) == (board.min_power, board.max_power)
    assert caps.power_modes == ("eco", "normal", "turbo")
    assert caps.mining_switch
    assert caps.fault_light
    assert caps.reboot
    assert caps.restart_mining
    assert caps.pools
    assert client.capabilities == caps


async def test_requests_per_poll(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    seen: list[str] = []
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        seen.append(request.command)
        return original(request)

    miner.handle_rpc = handle
    client = client_of(miner, session)
    await client.read()
    assert sorted(request_log.requests) == sorted(
        [("POST", "/token"), ("GET", "/ipreport"), *REST_POLL_REQUESTS]
    )
    assert seen == ["summary+pools+devs"]
    request_log.clear()
    await client.read()
    assert sorted(request_log.requests) == sorted(REST_POLL_REQUESTS)
    assert client.rpc.requests == 2  # 1 RPC + 4 REST per poll


async def test_joined_commands_refused_falls_back_once(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    assert (await client.read()).model == "AT1500"
    before = client.rpc.requests
    data = await client.read()
    assert client.rpc.requests - before == len(family.RPC_POLL)
    assert len(data.boards) == 3


async def test_restart_is_seen_and_static_facts_refetched(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    client._last_uptime = 10**9
    request_log.clear()
    await client.read()
    assert request_log.count("/ipreport") == 1


async def test_unreachable_miner(session: aiohttp.ClientSession, closed_port: int) -> None:
    client = create_miner(
        "auradine", "127.0.0.1", session, port=closed_port, rpc_port=closed_port, timeout=2
    )
    with pytest.raises(MinerConnectionError):
        await client.read()


# --- login and token -------------------------------------------------------------------------


async def test_wrong_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, password="changed")
    with pytest.raises(MinerAuthError, match="refused the login of 'admin'"):
        await client_of(miner, session).read()
    with pytest.raises(MinerAuthError):
        await client_of(miner, session, password="admin").set_mining(False)
    assert not sleeping(miner)


async def test_custom_login(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, username="ops", password="changed")
    client = client_of(miner, session, "ops", "changed")
    assert (await client.read()).is_mining is True


async def test_expired_token_is_renewed_once_for_the_whole_poll(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    first = client.rest.token
    miner.tokens.clear()  # the miner forgot it (expired, or a reboot)
    request_log.clear()
    data = await client.read()
    assert data.is_mining is True
    assert request_log.count("/token") == 1
    assert client.rest.token in miner.tokens
    assert client.rest.token != first
    miner.tokens.clear()
    await client.set_fault_light(True)  # a write renews it as well
    assert led_code(miner) == family.LED_LOCATE


async def test_a_token_refused_twice(serve: ServeFactory, session: aiohttp.ClientSession) -> None:
    async def token(_request: web.Request) -> web.Response:
        return web.json_response({"STATUS": [{"STATUS": "S"}], "Token": [{"Token": "t"}]})

    async def refused(_request: web.Request) -> web.Response:
        return web.json_response({"STATUS": [{"STATUS": "E", "Msg": "Invalid"}]}, status=401)

    port = await serve({"/token": token, "/ipreport": refused})
    client = create_miner("auradine", "127.0.0.1", session, port=port, timeout=5)
    with pytest.raises(MinerAuthError, match="keeps refusing"):
        await client.read()


async def test_login_without_a_token_or_json(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def empty(_request: web.Request) -> web.Response:
        return web.json_response({"STATUS": [{"STATUS": "S"}], "Token": []})

    async def broken(_request: web.Request) -> web.Response:
        return web.Response(text="<html>busy</html>", status=503)

    port = await serve({"/token": empty})
    with pytest.raises(MinerProtocolError, match="gave no token"):
        await create_miner("auradine", "127.0.0.1", session, port=port, timeout=5).read()
    port = await serve({"/token": token_ok, "/ipreport": broken})
    with pytest.raises(MinerConnectionError):
        await create_miner("auradine", "127.0.0.1", session, port=port, timeout=5).read()

    async def text(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    port = await serve({"/token": token_ok, "/ipreport": text})
    with pytest.raises(MinerProtocolError):
        await create_miner("auradine", "127.0.0.1", session, port=port, timeout=5).read()


async def token_ok(_request: web.Request) -> web.Response:
    return web.json_response({"STATUS": [{"STATUS": "S"}], "Token": [{"Token": "t"}]})


async def test_secrets_never_shown(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter2-secret")
    client = client_of(miner, session, password="hunter2-secret")
    caplog.set_level("DEBUG")
    await client.read()
    miner.tokens.clear()
    await client.set_fault_light(True)
    token = client.rest.token
    assert token
    for shown in (repr(client), repr(client.rest), repr(client.credentials), caplog.text):
        assert "hunter2-secret" not in shown
        assert token not in shown


# --- controls --------------------------------------------------------------------------------


async def test_mining_sleep_and_wake(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("eco")
    await client.set_mining(False)
    assert sleeping(miner)
    data = await client.read()
    assert data.is_mining is False
    assert data.hashrate == 0
    assert data.expected_hashrate is None
    assert data.errors == ()  # idle boards are no fault while asleep
    await client.set_mining(True)
    assert not sleeping(miner)
    assert miner.mode["mode"] == "eco"  # the mode survives the sleep
    data = await client.read()
    assert data.is_mining is True
    assert data.power_mode == "eco"


@pytest.mark.parametrize("mode", ["eco", "turbo", "normal"])
async def test_power_modes(simulator: Simulator, session: aiohttp.ClientSession, mode: str) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode(mode)
    assert miner.mode["mode"] == mode
    assert (await client.read()).power_mode == mode


async def test_unknown_power_mode(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerCommandError, match="Unknown power mode 'custom'"):
        await client_of(miner, session).set_power_mode("custom")
    assert miner.mode["mode"] == "normal"


async def test_power_limit(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    pools = [dict(pool) for pool in miner.pools]
    await client.set_power_limit(2500.4)
    assert miner.mode == {**miner.mode, "mode": "custom", "tune": "power", "power": 2500}
    data = await client.read()
    assert data.power_limit == 2500
    assert data.power == pytest.approx(2500, rel=0.02)
    assert data.power_mode == "custom"
    assert miner.pools == pools
    assert not sleeping(miner)


async def test_power_limit_refused_with_the_firmware_reason(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerCommandError, match="Power out of range"):
        await client_of(miner, session).set_power_limit(9000)
    assert miner.mode["mode"] == "normal"


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert led_code(miner) == family.LED_LOCATE
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert led_code(miner) == family.LED_NORMAL
    assert (await client.read()).fault_light is False


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    await client.reboot()
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    assert (await client.read()).is_mining is True  # a new token, without an error


async def test_restart_mining(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.gcminer_started -= 500
    assert (await client.read()).uptime == pytest.approx(500, abs=2)
    await client.restart_mining()
    assert (await client.read()).uptime == pytest.approx(0, abs=2)
    assert miner.state.reboot_count == 0


async def test_pools(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    mode = dict(miner.mode)
    pools = [
        PoolConfig("stratum+tcp://a.example:3333", "me.1", "p1"),
        PoolConfig("stratum+tcp://b.example:3333", "me.2"),
        PoolConfig("stratum+tcp://c.example:3333", "me.3"),
    ]
    await client.set_pools(pools)
    assert miner.pools == [
        {"url": pool.url, "user": pool.user, "pass": pool.password} for pool in pools
    ]
    assert miner.mode == mode
    assert [pool.url for pool in (await client.read()).pools] == [pool.url for pool in pools]
    with pytest.raises(MinerCommandError, match="one to three"):
        await client.set_pools([*pools, pools[0]])
    with pytest.raises(MinerCommandError, match="needs a URL"):
        await client.set_pools([PoolConfig("", "me")])


async def test_write_of_an_unknown_command(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="Invalid command 'nothing'"):
        await client.rest.call("nothing", {})
    with pytest.raises(MinerUnsupportedError):
        await client.set_fan(auto=True)


# --- identification --------------------------------------------------------------------------


@pytest.fixture
def api_port(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point identification at a simulated miner's REST port (8080 on a real one)."""

    def point(miner: SimulatedMiner) -> None:
        monkeypatch.setattr(family, "API_PORT", miner.ports["api"])

    return point


@pytest.mark.parametrize("model", MODEL_NAMES)
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, api_port: Any, model: str
) -> None:
    miner = await start(simulator, model)
    api_port(miner)
    found = await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])
    assert found.family is Family.AURADINE
    assert found.model == model
    assert found.firmware_version == miner.firmware
    assert found.mac == miner.mac.upper()
    assert (found.port, found.rpc_port) == (miner.ports["api"], miner.ports["rpc"])
    assert found.api_flavour == "rest"


async def test_identify_without_the_login(
    simulator: Simulator, session: aiohttp.ClientSession, api_port: Any
) -> None:
    """An unknown password: the RPC still names the model and the firmware."""
    miner = await start(simulator, "AI3680", password="changed")
    api_port(miner)
    found = await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.model, found.firmware_version, found.mac) == (
        Family.AURADINE,
        "AI3680",
        miner.firmware,
        None,
    )


async def test_identify_by_rpc_alone(
    simulator: Simulator, session: aiohttp.ClientSession, api_port: Any, closed_port: int
) -> None:
    miner = await start(simulator)
    api_port(miner)
    found = await identify(miner.host, session, port=closed_port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.mac) == (Family.AURADINE, miner.mac.upper())


async def test_identify_when_devdetails_fails(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    monkeypatch.setattr(family, "API_PORT", 1)
    original = miner.handle_rpc
    miner.handle_rpc = lambda request: (
        {"STATUS": [{"STATUS": "E", "Code": 14, "Msg": "Invalid command"}]}
        if request.command == "devdetails"
        else original(request)
    )
    found = await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.model, found.firmware_version) == (
        Family.AURADINE,
        None,
        miner.firmware,
    )


async def test_the_ui_page_without_fluxos_is_not_auradine(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.port, rpc_port=closed_port)


async def test_stock_antminer_is_not_auradine(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    stock = await simulator.start(MinerSpec(family="antminer", model="Antminer S21"))
    found = await identify(stock.host, session, port=stock.port, rpc_port=stock.ports["rpc"])
    assert found.family is Family.ANTMINER


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_tolerate_missing_parts() -> None:
    assert family.parse_ipreport({}) == family.IpReport()
    assert family.parse_mode({"Mode": [{"Sleep": "maybe"}]}) == family.Mode()
    assert family.parse_led({"LED": []}) is None
    assert family.parse_fans({"Fan": [{"Speed": 10}]}) == (Fan(index=0, rpm=10),)
    assert family.parse_temperatures({"Temperature": [{"ID": None}, 3]}) == {}
    assert family.status_error({"STATUS": {"STATUS": "E"}}) == (
        "the firmware refused it without saying why"
    )
    assert family.status_error({"STATUS": []}) is None
    assert family.capabilities_for("AT9999").power_limit is None
    assert family.find_model(" at1500 ") is not None
    devs = {
        "DEVS": [
            {"MHS 5s": 1e6, "Status": "Dead", "Temperature": 40},
            {"ID": 2, "Status": "Alive"},
        ]
    }
    boards, errors = family.parse_boards(devs, {}, family.IpReport(), mining=True)
    assert [(b.index, b.hashrate, b.board_temp, b.expected_chips) for b in boards] == [
        (0, 1.0, 40.0, None),
        (1, None, None, None),
    ]
    assert errors == (ReportedError("board_0", "Hashboard 0 is dead"),)
    with pytest.raises(MinerProtocolError):
        family.build_miner_data(family.IpReport(), {"summary": {"SUMMARY": []}}, {})
    assert family.parse_rpc_identity({"VERSION": [{"FluxOS": "v1"}]}, None) == (None, "v1")
    assert not family.is_auradine_version([1])


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
SECTIONS = st.sampled_from(
    ["STATUS", "SUMMARY", "POOLS", "DEVS", "Mode", "LED", "Fan", "Temperature", "IPReport"]
)
ITEM_KEYS = st.sampled_from(
    ["MHS 5s", "Wattage", "Elapsed", "ID", "Status", "Temperature", "ChipTempMax", "Speed",
     "Mode", "Sleep", "Power", "Ths", "Code", "mac", "model", "HBSerialNo", "URL", "STATUS"]
)  # fmt: skip
ITEMS = st.dictionaries(ITEM_KEYS, SCALARS | JSON_VALUES, max_size=5)
REPLY = st.dictionaries(SECTIONS, st.lists(ITEMS, max_size=3) | JSON_VALUES, max_size=4)


@settings(max_examples=200, deadline=None)
@given(rpc=REPLY | JSON_VALUES, rest=REPLY | JSON_VALUES)
def test_parsers_raise_nothing_but_protocol_errors(rpc: Any, rest: Any) -> None:
    """One arbitrary reply stands for every RPC reply, another for every REST one."""
    parsed = family.parse_ipreport(rest)
    family.status_error(rest)
    family.is_auradine_version(rpc)
    family.parse_rpc_identity(rpc, rpc)
    try:
        data = family.build_miner_data(
            parsed,
            dict.fromkeys(family.RPC_POLL, rpc),
            dict.fromkeys(family.REST_POLL, rest),
        )
    except MinerProtocolError:
        return
    for number in (data.hashrate, data.power, data.efficiency, data.chip_temp_max):
        assert number is None or math.isfinite(number)
    data.as_dict()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_reply_bytes_raise_nothing_but_protocol_errors(body: bytes) -> None:
    with contextlib.suppress(MinerProtocolError):
        reply = decode_json(body, "auradine")
        family.build_miner_data(
            family.parse_ipreport(reply), {"summary": reply}, {"mode": reply, "led": reply}
        )


# --- command line ----------------------------------------------------------------------------


async def test_cli_identify_and_read(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], api_port: Any
) -> None:
    miner = await start(simulator, "AT2880")
    api_port(miner)
    rpc = str(miner.ports["rpc"])
    code = await asyncio.to_thread(
        main, ["identify", f"{miner.host}:{miner.port}", "--rpc-port", rpc]
    )
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (shown["family"], shown["model"], shown["mac"]) == (
        "auradine",
        "AT2880",
        miner.mac.upper(),
    )
    address = f"{miner.host}:{miner.ports['api']}"
    code = await asyncio.to_thread(
        main, ["read", address, "--family", "auradine", "--rpc-port", rpc]
    )
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (shown["model"], shown["power_mode"], shown["is_mining"]) == ("AT2880", "normal", True)
    assert shown["capabilities"]["power_modes"] == ["eco", "normal", "turbo"]
