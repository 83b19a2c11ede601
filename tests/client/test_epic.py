"""The ePIC UMC client against simulated ePIC miners: what it reads, how many requests a poll
costs, the password, every control's effect on the miner, identification (never taken for stock
Antminer), arbitrary replies, and the recorded real replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import (
    Credentials,
    Family,
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
from custom_components.asic.client.families import epic as family
from custom_components.asic.client.families.epic import EpicMiner
from custom_components.asic.client.transport.http import decode_json
from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.epic_models import EPIC_MODELS

from .conftest import RequestLog, ServeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

MODEL_NAMES = [model.name for model in EPIC_MODELS]


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, password: str | None = None
) -> EpicMiner:
    client = create_miner(
        "epic",
        miner.host,
        session,
        port=miner.ports["api"],
        credentials=Credentials(password=password),
        timeout=5,
    )
    assert isinstance(client, EpicMiner)
    return client


async def start(simulator: Simulator, model: str = "Antminer S19 XP", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="epic", model=model, **spec))


def record(miner: Any) -> dict[str, Any]:
    """The simulated truth at the moment ``/summary`` was served."""
    seen: dict[str, Any] = {}
    original = miner.summary

    def summary() -> dict[str, Any]:
        reply: dict[str, Any] = original()
        state, physics = miner._state, miner.epic_physics
        seen.update(
            rates=list(physics.board_rates),
            temps=list(physics.board_temps),
            fans=list(physics.fan_rpms),
            fan_percent=state.fan_percent,
            power=state.power,
            uptime=int(state.uptime),
            clock=physics.clock,
            accepted=state.shares_accepted,
            rejected=state.shares_rejected,
        )
        return reply

    served_temps = miner.temps

    def temps() -> list[dict[str, Any]]:
        reply: list[dict[str, Any]] = served_temps()
        seen["chip_temps"] = [max(board["Data"]) for board in reply]
        return reply

    miner.summary = summary
    miner.temps = temps
    return seen


def mining_of(miner: Any) -> bool:
    """Whether the simulated miner mines (read afresh: each control changes it)."""
    return bool(miner.epic_physics.mining)


def locating(miner: Any) -> bool:
    return bool(miner.locate)


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODEL_NAMES)
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-7")
    truth = record(miner)
    client = client_of(miner, session)
    assert client.capabilities.power_limit is None  # unknown before the first read
    assert (client.port, client.web_port) == (miner.ports["api"], 80)  # API and dashboard
    data = await client.read()
    board = miner.board

    assert data.family is Family.EPIC
    assert data.model == board.capability_model
    assert data.firmware_version == "1.5.13"
    assert data.mac == miner.mac.upper()
    assert data.hostname == "rack-7"
    assert data.hashrate == pytest.approx(sum(truth["rates"]) / 1e6, abs=0.001)
    assert data.expected_hashrate == pytest.approx(board.default_terahash, rel=0.01)
    assert data.power == pytest.approx(truth["power"], abs=0.1)
    assert data.efficiency == pytest.approx(truth["power"] / data.hashrate, abs=0.02)
    assert data.uptime == truth["uptime"]
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.fan_auto is True
    assert data.frequency == pytest.approx(truth["clock"], abs=0.1)
    assert data.shares_accepted == truth["accepted"]
    assert data.shares_rejected == truth["rejected"]
    assert data.chip_temp_max == max(truth["chip_temps"])
    assert data.chip_temp_avg == round(sum(truth["chip_temps"]) / board.boards, 1)
    assert data.board_temp_max == pytest.approx(max(truth["temps"]), abs=0.001)
    assert [fan.rpm for fan in data.fans] == truth["fans"]
    assert {fan.percent for fan in data.fans} == {truth["fan_percent"]}
    assert len(data.boards) == board.boards
    for index, hashboard in enumerate(data.boards):
        assert hashboard.index == index
        assert hashboard.hashrate == pytest.approx(truth["rates"][index] / 1e6, abs=1e-6)
        assert hashboard.board_temp == pytest.approx(truth["temps"][index], abs=0.001)
        assert hashboard.chip_temp == truth["chip_temps"][index]
        assert hashboard.expected_chips == board.chips_per_board
        assert hashboard.serial == miner.serials[index]
    assert [(pool.url, pool.user) for pool in data.pools] == [
        (entry["pool"], entry["login"]) for entry in miner.stratum
    ]
    assert [pool.active for pool in data.pools] == [True, False]
    assert data.pools[0].alive is True
    assert data.errors == ()
    caps = data.capabilities
    watts = [preset.watts for preset in board.presets]
    assert caps.power_limit is not None
    assert (caps.power_limit.min, caps.power_limit.max) == (min(watts), max(watts))
    assert caps.mining_switch
    assert caps.fault_light
    assert caps.reboot
    assert caps.restart_mining
    assert caps.pools
    assert caps.power_modes == ()
    assert client.capabilities == caps


async def test_requests_per_poll(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    assert sorted(request_log.requests) == [
        ("GET", "/capabilities"),
        ("GET", "/network"),
        ("GET", "/summary"),
        ("GET", "/temps"),
        ("POST", "/authenticate"),
    ]
    request_log.clear()
    await client.read()
    assert sorted(request_log.requests) == [("GET", "/summary"), ("GET", "/temps")]


async def test_reboot_is_seen_and_static_facts_refetched(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    client._last_uptime = 10**9  # as if it had been up for long
    request_log.clear()
    await client.read()
    assert request_log.count("/capabilities") == 1
    assert request_log.count("/authenticate") == 1


async def test_unreachable_miner(session: aiohttp.ClientSession, closed_port: int) -> None:
    client = create_miner("epic", "127.0.0.1", session, port=closed_port, timeout=2)
    with pytest.raises(MinerConnectionError):
        await client.read()


# --- the password ----------------------------------------------------------------------------


async def test_wrong_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, password="s3cret")
    with pytest.raises(MinerAuthError, match="refused the password"):
        await client_of(miner, session).read()
    with pytest.raises(MinerAuthError):
        await client_of(miner, session, "letmein").set_mining(False)
    assert miner.epic_physics.mining is True


async def test_custom_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, password="s3cret")
    client = client_of(miner, session, "s3cret")
    assert (await client.read()).is_mining is True
    await client.set_mining(False)
    assert miner.epic_physics.mining is False


async def test_password_never_shown(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter2-secret")
    client = client_of(miner, session, "hunter2-secret")
    caplog.set_level("DEBUG")
    await client.read()
    await client.set_fault_light(True)
    with pytest.raises(MinerCommandError) as refused:
        await client.set_pools([PoolConfig("no-scheme", "me")])
    for shown in (repr(client), repr(client.credentials), caplog.text, str(refused.value)):
        assert "hunter2-secret" not in shown


# --- controls --------------------------------------------------------------------------------


async def test_mining_stop_and_autostart(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_mining(False)
    assert not mining_of(miner)
    assert miner.operating_state == "Idling"
    data = await client.read()
    assert data.is_mining is False
    assert data.hashrate == 0
    await client.set_mining(True)
    assert mining_of(miner)
    data = await client.read()
    assert data.is_mining is True
    assert data.hashrate is not None
    assert data.hashrate > 0


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert locating(miner)
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not locating(miner)
    assert (await client.read()).fault_light is False


async def test_power_limit(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    sent: list[Any] = []
    original = miner.w_perpetualtune_algo

    async def algo(request: Any, param: Any) -> Any:
        sent.append(param)
        return await original(request, param)

    miner.w_perpetualtune_algo = algo
    await client.set_power_limit(2700)
    physics = miner.epic_physics
    assert (physics.algorithm, physics.target) == ("PowerTune", 2700)
    # the tuner's throttle settings, as the summary shows them, go back with the new target
    assert sent == [{"algo": "PowerTune", "target": 2700, "min_throttle": 50, "throttle_step": 5}]
    data = await client.read()
    assert data.power_limit == 2700
    assert data.power == pytest.approx(2700, rel=0.02)
    assert data.hashrate == pytest.approx(120, rel=0.05)  # the 2700 W preset's hashrate


async def test_power_limit_outside_the_presets_is_refused(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="outside this miner's range of 1700-4400 W"):
        await client.set_power_limit(900)
    assert miner.epic_physics.algorithm == "VoltageOptimizer"


async def test_power_limit_without_presets(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    original = miner.capabilities
    miner.capabilities = lambda: {**original(), "Tune Presets": []}
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="no tune presets"):
        await client.set_power_limit(3000)
    assert client.capabilities.power_limit is None


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.reboot()
    await miner.wait_until_down()
    assert miner.state.reboot_count == 1
    await miner.wait_until_up()
    assert (await client.read()).is_mining is True


async def test_restart_mining_restarts_the_session(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner._state.uptime = 5000.0
    await client.set_mining(False)
    await client.restart_mining()
    assert miner.epic_physics.mining is True
    assert miner._state.uptime < 5000
    assert miner.state.reboot_count == 0


async def test_pools_keep_the_coin_and_the_worker_setting(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.coin = "LTC"
    miner.unique_id = False
    client = client_of(miner, session)
    pools = [
        PoolConfig("stratum+tcp://a.example:3333", "me.1", "p1"),
        PoolConfig("stratum+tcp://b.example:3333", "me.2"),
        PoolConfig("stratum+tcp://c.example:3333", "me.3"),
    ]
    await client.set_pools(pools)
    assert miner.stratum == [
        {"pool": pool.url, "login": pool.user, "password": pool.password} for pool in pools
    ]
    assert (miner.coin, miner.unique_id) == ("LTC", False)
    data = await client.read()
    assert [pool.url for pool in data.pools] == [pool.url for pool in pools]


async def test_pools_refused_with_the_firmware_reason(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    before = [dict(entry) for entry in miner.stratum]
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="pool address is not valid") as refused:
        await client.set_pools([PoolConfig("no-scheme.example:3333", "me")])
    assert refused.value.code == "InvalidPoolAddr"
    with pytest.raises(MinerCommandError, match="one to three"):
        await client.set_pools([])
    with pytest.raises(MinerCommandError, match="needs a URL"):
        await client.set_pools([PoolConfig(" ", "me")])
    assert miner.stratum == before


async def test_unparsable_write_reply(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    with pytest.raises(MinerUnsupportedError):
        await client._write("/no-such-route", True)


async def test_unsupported_controls(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    with pytest.raises(MinerUnsupportedError):
        await client.set_power_mode("eco")


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODEL_NAMES)
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["api"]
    )
    assert found.family is Family.EPIC
    assert found.model == miner.board.capability_model
    assert found.firmware_version == "1.5.13"
    assert found.mac == miner.mac.upper()
    assert found.port == miner.ports["api"]
    assert found.rpc_port is None
    assert found.api_flavour == "http"


async def test_identify_at_the_api_port(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    miner = await start(simulator)
    found = await identify(miner.host, session, port=miner.ports["api"], rpc_port=closed_port)
    assert (found.family, found.port) == (Family.EPIC, miner.ports["api"])


async def test_stock_antminer_is_not_epic(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    stock = await simulator.start(MinerSpec(family="antminer", model="Antminer S19 XP"))
    found = await identify(stock.host, session, port=stock.port, rpc_port=stock.ports["rpc"])
    assert found.family is Family.ANTMINER


async def test_a_dashboard_without_the_api_is_not_epic(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    miner = await start(simulator)
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.ports["web"], rpc_port=closed_port)


async def test_a_dashboard_page_over_another_api_is_not_epic(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<title>Miner Web Dashboard</title>", content_type="text/html")

    async def other(_request: web.Request) -> web.Response:
        return web.json_response({"Model": None, "Max HBs": 3})

    port = await serve({"/": page, "/capabilities": other})
    with pytest.raises(MinerUnsupportedError):
        await identify("127.0.0.1", session, port=port, rpc_port=port)


async def test_a_write_answered_with_no_json(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def plain(_request: web.Request) -> web.Response:
        return web.Response(text="done")

    port = await serve({"/miner": plain})
    client = create_miner("epic", "127.0.0.1", session, port=port, timeout=5)
    with pytest.raises(MinerProtocolError):
        await client.set_mining(False)


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_tolerate_missing_parts() -> None:
    caps = family.parse_capabilities({"Model": "AntMiner S19"})
    assert caps == family.EpicCapabilities(model="AntMiner S19")
    assert family.parse_network({"static": {"mac_address": "aa:bb:cc:dd:ee:ff"}}) == (
        "AA:BB:CC:DD:EE:FF"
    )
    assert family.parse_network({"dhcp": None}) is None
    assert family.firmware_version("UMC 2.0") == "UMC 2.0"
    assert family.firmware_version(None) is None
    assert family.parse_is_mining("UpdatingFirmware") is None
    assert family.throttle_settings({"PerpetualTune": {"Algorithm": {}}}) == {}
    assert family.parse_chip_temps([{"Index": 0, "Data": [0.0]}, {"Data": [50]}, 7]) == {}
    assert family.parse_is_mining("Idling") is False
    summary = {
        "Session": {"Uptime": 5},
        "Status": {"Last Error": "Fan 2 failed"},
        "Last License Error": "expired",
        "HBStatus": [{"Index": 0, "Detected": False}, {"Index": 1, "Detected": True}],
        "HBs": [{"Index": None}, {"Index": 1, "Hashrate": [0.0, 0.0, 0.0]}],
        "Fans Rpm": {"Fans Speed x": 5, "Fans Speed 2": None},
        "Fans": {"Fan Mode": {"Manual": 50}},
        "StratumConfigs": [{"login": "no pool"}],
    }
    data = family.build_miner_data(summary, caps, None)
    assert data.errors == (
        ReportedError("last_error", "The miner reports: Fan 2 failed"),
        ReportedError("license", "License problem: expired"),
        ReportedError("board_0", "Hashboard 0 is not detected"),
    )
    assert [(board.index, board.hashrate, board.expected_hashrate) for board in data.boards] == [
        (1, 0.0, None)
    ]
    assert (data.fans, data.fan_auto, data.uptime, data.power_limit) == ((), False, 5, None)
    assert data.pools == ()
    with pytest.raises(MinerProtocolError):
        family.build_miner_data({"Hostname": "x"}, caps, None)
    assert family.write_error({"result": False, "error": None}) == (
        "unknown",
        "the firmware refused it without saying why",
    )
    assert family.write_error({"result": False, "error": "Busy"}) == ("Busy", "Busy")
    assert family.write_error({"result": False, "error": {"PasswdChangeFailed": ""}}) == (
        "PasswdChangeFailed",
        "the password could not be changed",
    )


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
SUMMARY_KEYS = st.sampled_from(
    ["HBs", "Session", "Status", "Fans", "Fans Rpm", "Misc", "Stratum", "StratumConfigs",
     "PerpetualTune", "PresetInfo", "Power Supply Stats", "HBStatus", "Software", "Hostname",
     "Last License Error"]
)  # fmt: skip
CAPABILITY_KEYS = st.sampled_from(
    ["Model", "Tune Presets", "Board Serial Numbers", "Max HBs", "Performance Estimator",
     "Default Hashrate", "PerpetualTune"]
)  # fmt: skip
SUMMARY_LIKE = st.dictionaries(SUMMARY_KEYS, JSON_VALUES, max_size=12) | JSON_VALUES
CAPABILITIES_LIKE = st.dictionaries(CAPABILITY_KEYS, JSON_VALUES, max_size=7) | JSON_VALUES


@settings(max_examples=300, deadline=None)
@given(
    summary=SUMMARY_LIKE,
    caps=CAPABILITIES_LIKE,
    network=JSON_VALUES,
    write=JSON_VALUES,
    temps=st.lists(st.dictionaries(st.sampled_from(["Index", "Data"]), JSON_VALUES)) | JSON_VALUES,
)
def test_parsers_raise_nothing_but_protocol_errors(
    summary: Any, caps: Any, network: Any, write: Any, temps: Any
) -> None:
    try:
        parsed = family.parse_capabilities(caps)
    except MinerProtocolError:
        parsed = family.EpicCapabilities()
    try:
        data = family.build_miner_data(summary, parsed, None, temps)
    except MinerProtocolError:
        pass
    else:
        for number in (data.hashrate, data.power, data.efficiency, data.expected_hashrate):
            assert number is None or math.isfinite(number)
        data.as_dict()
    if isinstance(summary, dict):
        family.throttle_settings(summary)
    for parser in (family.parse_network, family.write_error, family.is_epic_capabilities):
        with contextlib.suppress(MinerProtocolError):
            parser(network if parser is family.parse_network else write)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_reply_bytes_raise_nothing_but_protocol_errors(body: bytes) -> None:
    try:
        reply = decode_json(body, "epic")
        family.build_miner_data(reply, family.parse_capabilities(reply), None)
    except MinerProtocolError:
        return


# --- recorded replies ------------------------------------------------------------------------


def test_real_replies_parse_to_their_values(real_fixtures: Path) -> None:
    folder = real_fixtures / "epic" / "v1"

    def load(name: str) -> Any:
        return json.loads((folder / name).read_text())

    caps = family.parse_capabilities(load("capabilities.json"))
    assert caps.model == "AntMiner S19 XP"
    assert caps.power_range is not None
    assert (caps.power_range.min, caps.power_range.max) == (1700, 4400)
    assert caps.chips_per_board == 110
    assert family.is_epic_capabilities(load("capabilities.json"))
    mac = family.parse_network(load("network.json"))
    assert mac == "E6:D4:41:51:64:28"
    data = family.build_miner_data(load("summary.json"), caps, mac)
    assert data.firmware_version == "1.5.13"
    assert data.hostname == "cminer32092035"
    assert data.hashrate == pytest.approx((49440724.0 + 49925124.0) / 1e6)
    assert data.expected_hashrate == pytest.approx(49440724.0 / 1.031e6 + 49925124.0 / 1.041e6)
    assert data.power == pytest.approx(2166.6)
    assert data.power_limit == 3000  # PresetInfo: the tuner runs a TH/s target
    assert data.uptime == 23170
    assert (data.shares_accepted, data.shares_rejected) == (1862, 2)
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.fan_auto is True
    assert [(fan.index, fan.rpm) for fan in data.fans] == [
        (0, 5971),
        (1, 0),
        (2, 5942),
        (3, 5745),
    ]
    assert {fan.percent for fan in data.fans} == {100}
    assert [(board.index, board.board_temp) for board in data.boards] == [(1, 67.0), (2, 64.312)]
    with_temps = family.build_miner_data(load("summary.json"), caps, mac, load("temps.json"))
    assert [board.chip_temp for board in with_temps.boards] == [67.0, 64.312]
    assert (with_temps.chip_temp_max, with_temps.chip_temp_avg) == (67.0, 65.7)
    assert data.frequency == 487.5
    # Two serials for three board slots: which board each belongs to is not said.
    assert {board.serial for board in data.boards} == {None}
    assert [(pool.url, pool.user, pool.active, pool.alive) for pool in data.pools] == [
        ("stratum+tcp://mine.ocean.xyz:3334", "randomuser.randomworker", True, True)
    ]
    assert data.errors == ()


# --- command line ----------------------------------------------------------------------------


async def test_cli_identify_and_read(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner = await start(simulator, password="s3cret")
    web, api = miner.ports["web"], miner.ports["api"]
    code = await asyncio.to_thread(
        main, ["identify", f"{miner.host}:{web}", "--rpc-port", str(api)]
    )
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (shown["family"], shown["port"], shown["mac"]) == ("epic", api, miner.mac.upper())
    code = await asyncio.to_thread(
        main, ["read", f"{miner.host}:{api}", "--family", "epic", "--password", "s3cret"]
    )
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (shown["model"], shown["is_mining"]) == (miner.board.capability_model, True)
    assert shown["capabilities"]["power_limit"] == {"min": 1700, "max": 4400, "step": 1}
    code = await asyncio.to_thread(main, ["read", f"{miner.host}:{api}", "--family", "epic"])
    captured = capsys.readouterr()
    assert code == 4  # the CLI's exit code for a refused login
    assert "refused the password" in captured.err
