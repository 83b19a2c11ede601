"""The stock Antminer client against simulated S21, S19 Pro and S9: what it reads, how many
requests a poll costs, the malformed replies it survives, what its controls change, and
how it is identified (and never confused with the firmwares that re-brand the hardware)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.asic.client import (
    Credentials,
    Family,
    MinerAuthError,
    MinerCommandError,
    MinerProtocolError,
    MinerUnsupportedError,
    PoolConfig,
    ReportedError,
    connect,
    create_miner,
    identify,
)
from custom_components.asic.client.families import antminer as family
from custom_components.asic.client.families.antminer import AntminerMiner
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.faults import MALFORMED_JSON_FAULTS

from .conftest import RequestLog, ServeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

CGI = "/cgi-bin/"


def client_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    credentials: Credentials | None = None,
) -> AntminerMiner:
    client = create_miner(
        "antminer",
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=credentials,
        timeout=5,
    )
    assert isinstance(client, AntminerMiner)
    return client


async def start(simulator: Simulator, model: str, **spec: Any) -> SimulatedMiner:
    return await simulator.start(MinerSpec(family="antminer", model=model, **spec))


def record_rpc(miner: SimulatedMiner) -> dict[str, Any]:
    """What the miner's last RPC reply carried (a later web request moves the physics on).

    Kept per command: ``seen["stats"]`` is the state when ``stats`` was last answered, alone
    or joined; ``seen`` itself is that of the last ``summary``.
    """
    seen: dict[str, Any] = {}
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        reply = original(request)
        physics = miner.antminer_physics  # type: ignore[attr-defined]
        state = miner._state
        snapshot = {
            "hashrate": state.hashrate,
            "expected": state.expected_hashrate,
            "uptime": int(state.uptime),
            "chain_rates": list(physics.chain_rates),
            "board_temps": list(physics.board_temps),
            "fan_rpms": list(physics.fan_rpms),
            "accepted": state.shares_accepted,
            "rejected": state.shares_rejected,
        }
        for name in request.commands:
            seen[name] = snapshot
        if "summary" in request.commands:
            seen.update(snapshot)
        return reply

    miner.handle_rpc = handle  # type: ignore[method-assign]
    return seen


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["Antminer S21", "Antminer S19 Pro", "Antminer T21"])
async def test_modern_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-7")
    truth = record_rpc(miner)
    data = await client_of(miner, session).read()
    row = miner.board  # type: ignore[attr-defined]

    assert data.family is Family.ANTMINER
    assert data.model == model
    assert data.firmware_version == row.filesystem_version
    assert data.mac == miner.mac
    assert data.serial == miner.serial  # type: ignore[attr-defined]
    assert data.hostname == "rack-7"
    assert data.hashrate == pytest.approx(round(truth["hashrate"], 2) / 1000)
    assert data.expected_hashrate == pytest.approx(truth["expected"] / 1000)
    assert data.expected_hashrate == pytest.approx(row.nominal_hashrate / 1000)
    assert data.uptime == truth["uptime"]
    assert data.is_mining is True
    assert data.power_mode == "normal"
    assert data.fault_light is False
    assert data.power is None  # stock firmware does not report it
    assert data.efficiency is None
    assert data.errors == ()
    assert data.shares_accepted == truth["accepted"]
    assert data.shares_rejected == truth["rejected"]
    assert len(data.boards) == row.boards
    for index, board in enumerate(data.boards):
        pcb = round(truth["board_temps"][index])
        assert board.index == index
        assert board.hashrate == pytest.approx(round(truth["chain_rates"][index], 2) / 1000)
        assert board.expected_hashrate == pytest.approx(
            round(truth["expected"] / row.boards, 2) / 1000
        )
        assert board.chips == board.expected_chips == row.chips_per_board
        assert board.board_temp == pcb
        assert board.chip_temp == pcb + 5
        assert board.serial == miner.chain_serials[index]  # type: ignore[attr-defined]
    assert data.chip_temp_max == max(board.chip_temp or 0 for board in data.boards)
    assert data.board_temp_max == max(board.board_temp or 0 for board in data.boards)
    assert data.chip_temp_avg == pytest.approx(
        sum(board.chip_temp or 0 for board in data.boards) / row.boards, abs=0.05
    )
    assert [fan.rpm for fan in data.fans] == truth["fan_rpms"]
    conf_pools = miner.conf["pools"]  # type: ignore[attr-defined]
    assert [(pool.url, pool.user) for pool in data.pools] == [
        (pool["url"], pool["user"]) for pool in conf_pools if pool["url"]
    ]
    assert data.pools[0].active is True
    assert data.pools[0].alive is True
    assert data.pools[1].active is False
    assert data.capabilities.power_modes == ("normal", "low", "sleep")
    assert data.capabilities.mining_switch
    assert data.capabilities.power_limit is None


async def test_old_s9_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S9")
    truth = record_rpc(miner)
    client = client_of(miner, session)
    data = await client.read()

    assert client.flavour == "old"
    assert data.model == "Antminer S9"
    assert data.firmware_version == "Fri Nov 17 17:37:49 CST 2017"
    assert data.serial is None  # old firmware has no serinum
    assert data.mac == miner.mac
    assert data.hashrate == pytest.approx(float(f"{truth['hashrate']:.2f}") / 1000)
    assert data.expected_hashrate == pytest.approx(13.5)
    assert data.uptime == truth["uptime"]
    assert data.is_mining is True
    assert data.power_mode is None
    assert data.fault_light is False
    assert len(data.boards) == 3  # chain slots 6, 7, 8 of 16
    for index, board in enumerate(data.boards):
        pcb = round(truth["board_temps"][index])
        assert board.hashrate == pytest.approx(round(truth["chain_rates"][index], 2) / 1000)
        assert board.chips == 63
        assert board.board_temp == pcb
        assert board.chip_temp == pcb + 5
    assert [fan.rpm for fan in data.fans] == truth["fan_rpms"]  # fan3 and fan6 of eight
    assert len(data.fans) == 2
    assert len(data.pools) == 2
    assert data.capabilities.power_modes == ()
    assert not data.capabilities.mining_switch
    assert data.capabilities.fault_light
    assert data.capabilities.pools


async def test_requests_per_poll_modern(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    assert client.capabilities.power_modes == ()  # unknown before the first read
    await client.read()
    # connect: system info (challenged once, then answered) and the configuration
    assert request_log.count(CGI + "get_system_info.cgi") == 2
    assert request_log.count(CGI + "get_miner_conf.cgi") == 1
    assert miner.auth.failures == 1  # type: ignore[attr-defined]
    assert client.rpc.requests == 1
    request_log.clear()
    for _ in range(3):
        await client.read()
    assert client.rpc.requests == 4  # one joined RPC request per poll
    assert (
        request_log.requests
        == [
            ("GET", CGI + "get_blink_status.cgi"),
            ("GET", CGI + "summary.cgi"),
        ]
        * 3
    )
    assert miner.auth.failures == 1  # type: ignore[attr-defined]


async def test_requests_per_poll_old(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator, "Antminer S9")
    client = client_of(miner, session)
    await client.read()
    request_log.clear()
    await client.read()
    await client.read()
    assert client.rpc.requests == 3
    assert request_log.requests == [("POST", CGI + "blink.cgi")] * 2


async def test_mode_from_the_configuration_when_stats_lack_it(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    miner = await start(simulator, "Antminer S21")
    original = miner.new_api_stats  # type: ignore[attr-defined]

    def without_mode() -> dict[str, Any]:
        stats: dict[str, Any] = original()
        stats.pop("miner-mode")
        return stats

    monkeypatch.setattr(miner, "new_api_stats", without_mode)
    miner.work_mode = 3  # type: ignore[attr-defined]
    client = client_of(miner, session)
    await client.read()
    request_log.clear()
    data = await client.read()
    assert data.power_mode == "low"
    assert request_log.count(CGI + "get_miner_conf.cgi") == 1


async def test_reboot_is_noticed_and_static_facts_read_again(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    miner._state.uptime = 5000
    await client.read()
    miner.reboot()
    await miner.wait_until_down()
    await miner.wait_until_up()
    request_log.clear()
    data = await client.read()
    assert data.uptime is not None
    assert data.uptime < 5000
    assert request_log.count(CGI + "get_system_info.cgi") == 1


async def test_sleeping_miner(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    miner.work_mode = 1  # type: ignore[attr-defined]
    data = await client_of(miner, session).read()
    assert data.is_mining is False
    assert data.power_mode == "sleep"
    assert data.hashrate == 0
    assert data.errors == (ReportedError("rate", "sleep mode"),)


async def test_failing_status_items(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    simulated: Any = miner
    simulated.failing_status = {"fans": (3, "Fan lost"), "temp": (7, ""), "network": (0, "x")}
    data = await client_of(miner, session).read()
    assert data.errors == (
        ReportedError("network", "x"),
        ReportedError("fans:3", "Fan lost"),
        ReportedError("temp:7", "The miner reports a problem with its temperature"),
    )


async def test_unreadable_light_and_status_report_are_unknown(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    await client.read()
    miner.set_fault(Fault.BAD_JSON, path=CGI + "get_blink_status.cgi")
    miner.work_mode = 1  # type: ignore[attr-defined]  # the report would name the sleep
    data = await client.read()
    assert data.fault_light is None
    assert data.errors
    miner.clear_fault()
    miner.set_fault(Fault.BAD_JSON, path=CGI + "summary.cgi")
    data = await client.read()
    assert data.fault_light is False
    assert data.errors == ()


async def test_wrong_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21", password="s3cret-pass")
    with pytest.raises(MinerAuthError) as caught:
        await client_of(miner, session, Credentials("root", "wrong-pass")).read()
    assert "wrong-pass" not in str(caught.value)
    data = await client_of(miner, session, Credentials(None, "s3cret-pass")).read()
    assert data.model == "Antminer S21"


# --- malformed replies -----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["Antminer S21", "Antminer S9"])
@pytest.mark.parametrize("fault", MALFORMED_JSON_FAULTS)
async def test_malformed_replies_are_read_right(
    simulator: Simulator, session: aiohttp.ClientSession, model: str, fault: Fault
) -> None:
    miner = await start(simulator, model)
    client = client_of(miner, session)
    await client.read()  # connected
    truth = record_rpc(miner)
    if fault is Fault.DOUBLED_QUOTE and model == "Antminer S21":
        # The simulator cannot spoil a joined modern reply this way (its summary object has
        # no string to double); single replies show it.
        miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    miner.set_fault(fault)
    data = await client.read()
    # INF_NAN spoils GHS 5s (modern) or GHS av: the hashrate then comes from the stats
    assert data.hashrate == pytest.approx(round(truth["hashrate"], 2) / 1000)
    assert data.uptime in (truth["uptime"], None)
    assert data.model == model
    assert len(data.boards) == 3
    for index, board in enumerate(data.boards):
        chain_rate = truth["stats"]["chain_rates"][index]
        assert board.hashrate == pytest.approx(round(chain_rate, 2) / 1000)
    urls = [pool["url"] for pool in miner.conf["pools"] if pool["url"]]  # type: ignore[attr-defined]
    if fault is Fault.CUT_MID_LIST:
        assert [pool.url for pool in data.pools] == urls[: len(data.pools)]
        assert data.pools
    else:
        assert [pool.url for pool in data.pools] == urls


async def test_joined_commands_refused_fall_back_once(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S21")
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    first = await client.read()
    assert client.rpc.requests == 4  # the refused join, then three single commands
    second = await client.read()
    assert client.rpc.requests == 7
    assert len(first.boards) == len(second.boards) == 3
    assert second.power_mode == "normal"


async def test_a_reply_cut_before_its_last_command_is_a_protocol_error(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S9")
    client = client_of(miner, session)
    miner.set_fault(Fault.BAD_JSON, path="pools")  # half the joined reply: no pools at all
    with pytest.raises(MinerProtocolError, match="without the replies"):
        await client.read()
    with pytest.raises(MinerProtocolError, match="no SUMMARY"):
        family.parse_summary({"SUMMARY": []})


# --- controls --------------------------------------------------------------------------------


async def test_sleep_keeps_the_pools_and_waking_returns_to_the_mode(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    pools_before = [dict(pool) for pool in miner.conf["pools"]]  # type: ignore[attr-defined]
    miner.conf["fan_pwm"] = 70  # type: ignore[attr-defined]
    miner.conf["fan_ctrl"] = True  # type: ignore[attr-defined]

    await client.set_power_mode("low")
    assert miner.work_mode == 3  # type: ignore[attr-defined]
    await client.set_mining(False)
    assert miner.work_mode == 1  # type: ignore[attr-defined]
    assert miner.conf["pools"] == pools_before  # type: ignore[attr-defined]
    assert miner.conf["fan_pwm"] == 70  # type: ignore[attr-defined]
    assert miner.conf["fan_ctrl"] is True  # type: ignore[attr-defined]
    data = await client.read()
    assert data.is_mining is False
    assert data.hashrate == 0
    await client.set_mining(False)  # asleep already: stays asleep
    assert miner.work_mode == 1  # type: ignore[attr-defined]

    await client.set_mining(True)
    assert miner.work_mode == 3  # type: ignore[attr-defined]  # back to low power
    assert miner.conf["pools"] == pools_before  # type: ignore[attr-defined]
    await client.set_mining(True)  # mining already: nothing written
    assert miner.work_mode == 3  # type: ignore[attr-defined]
    await client.set_power_mode("normal")
    data = await client.read()
    assert data.power_mode == "normal"
    assert data.is_mining is True


async def test_pool_change_keeps_the_mode(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    await client.set_power_mode("sleep")
    pools = [
        PoolConfig("stratum+tcp://pool.example:3333", "me.1", "p1"),
        PoolConfig("stratum+tcp://backup.example:443", "me.2"),
    ]
    await client.set_pools(pools)
    assert miner.work_mode == 1  # type: ignore[attr-defined]  # still asleep
    assert miner.conf["pools"] == [  # type: ignore[attr-defined]
        {"url": "stratum+tcp://pool.example:3333", "user": "me.1", "pass": "p1"},
        {"url": "stratum+tcp://backup.example:443", "user": "me.2", "pass": "x"},
        {"url": "", "user": "", "pass": ""},
    ]
    data = await client.read()
    assert [pool.url for pool in data.pools] == [pool.url for pool in pools]


@pytest.mark.parametrize(
    ("pools", "match"),
    [
        ([], "At least one"),
        ([PoolConfig(f"stratum+tcp://p{n}:1", "u") for n in range(4)], "three pools"),
        ([PoolConfig(" ", "u")], "needs a URL"),
    ],
)
async def test_pools_refused_before_anything_is_sent(
    simulator: Simulator, session: aiohttp.ClientSession, pools: list[PoolConfig], match: str
) -> None:
    miner = await start(simulator, "Antminer S21")
    with pytest.raises(MinerCommandError, match=match):
        await client_of(miner, session).set_pools(pools)


async def test_unknown_power_mode(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    with pytest.raises(MinerCommandError, match="Unknown power mode"):
        await client_of(miner, session).set_power_mode("turbo")


async def test_fault_light_modern(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert miner.blinking  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not miner.blinking  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is False


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    await client_of(miner, session).reboot()
    await miner.wait_until_down()
    await miner.wait_until_up()


@pytest.mark.parametrize("model", ["Antminer S21", "Antminer S9"])
async def test_restart_mining_sends_the_configuration_back(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    """The firmware restarts its mining program after each configuration write; nothing changes."""
    miner = await start(simulator, model)
    client = client_of(miner, session)
    await client.set_pools([PoolConfig("stratum+tcp://kept.example:3333", "kept.1", "pw")])
    miner.conf["fan_pwm"] = 70  # type: ignore[attr-defined]
    miner.conf["fan_ctrl"] = True  # type: ignore[attr-defined]
    if model == "Antminer S21":
        await client.set_power_mode("low")
    conf_before = dict(miner.conf)  # type: ignore[attr-defined]
    mode_before = miner.work_mode  # type: ignore[attr-defined]
    restarts = miner.miner_restarts  # type: ignore[attr-defined]

    await client.restart_mining()

    assert miner.miner_restarts == restarts + 1  # type: ignore[attr-defined]
    assert miner.conf == conf_before  # type: ignore[attr-defined]
    assert miner.work_mode == mode_before  # type: ignore[attr-defined]
    assert client.capabilities.restart_mining


async def test_old_firmware_controls(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S9")
    client = client_of(miner, session)
    miner.conf["fan_pwm"] = 60  # type: ignore[attr-defined]
    miner.conf["fan_ctrl"] = True  # type: ignore[attr-defined]
    await client.set_pools([PoolConfig("stratum+tcp://old.example:3333", "s9.worker", "pw")])
    assert miner.conf["pools"][0] == {  # type: ignore[attr-defined]
        "url": "stratum+tcp://old.example:3333",
        "user": "s9.worker",
        "pass": "pw",
    }
    assert miner.conf["pools"][1]["url"] == ""  # type: ignore[attr-defined]
    assert miner.conf["fan_pwm"] == 60  # type: ignore[attr-defined]
    assert miner.conf["fan_ctrl"] is True  # type: ignore[attr-defined]

    await client.set_fault_light(True)
    assert miner.blinking  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not miner.blinking  # type: ignore[attr-defined]

    with pytest.raises(MinerUnsupportedError, match="no sleep mode"):
        await client.set_mining(False)
    with pytest.raises(MinerUnsupportedError, match="no power modes"):
        await client.set_power_mode("low")


# --- a firmware that answers differently: a fake CGI ---------------------------------------


def fake_antminer(*, mode_as_text_only: bool = False, refuse: bool = False) -> dict[str, Any]:
    """Routes of a modern Antminer's CGI (no login), recording what was written."""
    written: list[Any] = []
    conf = {
        "pools": [{"url": "stratum+tcp://a:1", "user": "u", "pass": "p"}],
        "bitmain-fan-ctrl": False,
        "bitmain-fan-pwm": "100",
        "bitmain-work-mode": "0",
    }

    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response({"minertype": "Antminer S19k Pro", "macaddr": "aa:bb"})

    async def get_conf(_request: web.Request) -> web.Response:
        return web.json_response(conf)

    async def set_conf(request: web.Request) -> web.Response:
        body = await request.json()
        written.append(body)
        if refuse or (mode_as_text_only and not isinstance(body["miner-mode"], str)):
            return web.json_response({"stats": "error", "code": "M001", "msg": "Bad mode"})
        conf["bitmain-work-mode"] = str(body["miner-mode"])
        return web.json_response({"stats": "success", "code": "M000", "msg": "OK!"})

    async def blink(_request: web.Request) -> web.Response:
        return web.json_response({"code": "B999"})

    return {
        "written": written,
        "routes": {
            CGI + "get_system_info.cgi": system_info,
            CGI + "get_miner_conf.cgi": get_conf,
            CGI + "set_miner_conf.cgi": set_conf,
            CGI + "blink.cgi": blink,
        },
    }


async def fake_client(
    serve: ServeFactory, session: aiohttp.ClientSession, **options: bool
) -> tuple[AntminerMiner, list[Any]]:
    fake = fake_antminer(**options)
    port = await serve(fake["routes"])
    client = create_miner("antminer", "127.0.0.1", session, port=port, timeout=5)
    assert isinstance(client, AntminerMiner)
    return client, fake["written"]


async def test_miner_mode_as_text_when_a_number_is_refused(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    client, written = await fake_client(serve, session, mode_as_text_only=True)
    await client.set_power_mode("sleep")
    assert [body["miner-mode"] for body in written] == [1, "1"]
    assert client.flavour == "modern"  # unknown model, told apart by its configuration
    await client.set_power_mode("low")
    assert [body["miner-mode"] for body in written] == [1, "1", "3"]  # remembered
    assert written[-1]["pools"] == [
        {"url": "stratum+tcp://a:1", "user": "u", "pass": "p"},
        {"url": "", "user": "", "pass": ""},
        {"url": "", "user": "", "pass": ""},
    ]
    assert written[-1]["freq-level"] == "100"


async def test_refused_configuration(serve: ServeFactory, session: aiohttp.ClientSession) -> None:
    client, written = await fake_client(serve, session, refuse=True)
    with pytest.raises(MinerCommandError, match="Bad mode") as caught:
        await client.set_mining(False)
    assert caught.value.code == "M001"
    assert len(written) == 2


async def test_unexpected_blink_answer(serve: ServeFactory, session: aiohttp.ClientSession) -> None:
    client, _ = await fake_client(serve, session)
    with pytest.raises(MinerCommandError, match="did not start blinking"):
        await client.set_fault_light(True)


async def test_old_firmware_odd_answers(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response({"minertype": "Antminer S9"})

    async def get_conf(_request: web.Request) -> web.Response:
        return web.json_response({"pools": "none"})

    async def odd(_request: web.Request) -> web.Response:
        return web.Response(text="error")

    port = await serve(
        {
            CGI + "get_system_info.cgi": system_info,
            CGI + "get_miner_conf.cgi": get_conf,
            CGI + "set_miner_conf.cgi": odd,
            CGI + "blink.cgi": odd,
        }
    )
    client = create_miner("antminer", "127.0.0.1", session, port=port, timeout=5)
    with pytest.raises(MinerCommandError, match="did not take the configuration: error"):
        await client.set_pools([PoolConfig("stratum+tcp://x:1", "u")])
    with pytest.raises(MinerCommandError, match="did not stop blinking"):
        await client.set_fault_light(False)


async def test_configuration_that_is_no_object(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response({"minertype": "Antminer S21"})

    async def get_conf(_request: web.Request) -> web.Response:
        return web.json_response([1])

    port = await serve(
        {CGI + "get_system_info.cgi": system_info, CGI + "get_miner_conf.cgi": get_conf}
    )
    client = create_miner("antminer", "127.0.0.1", session, port=port, timeout=5)
    with pytest.raises(MinerProtocolError, match="no object"):
        await client.set_power_mode("low")


# --- identify --------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "flavour"), [("Antminer S21", "modern"), ("Antminer S9", "old")])
async def test_identify_stock(
    simulator: Simulator, session: aiohttp.ClientSession, model: str, flavour: str
) -> None:
    miner = await start(simulator, model)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.ANTMINER
    assert found.model == model
    assert found.firmware_version == miner.as_json()["firmware"]
    assert found.mac == miner.mac
    assert found.api_flavour == flavour
    assert (found.port, found.rpc_port) == (miner.ports["web"], miner.ports["rpc"])


async def test_identify_with_a_custom_login_and_connect(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Antminer S19 Pro", password="custom-pw")
    # Without the login: still an Antminer, named by its RPC; no MAC.
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert (found.family, found.model, found.mac) == (Family.ANTMINER, "Antminer S19 Pro", None)
    assert found.firmware_version == "Tue Dec  6 16:12:30 CST 2022"
    client = await connect(
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=Credentials("root", "custom-pw"),
        timeout=5,
    )
    assert isinstance(client, AntminerMiner)
    assert (await client.read()).mac == miner.mac


@pytest.mark.parametrize("rebrand", ["hiveon", "marafw"])
async def test_rebrands_are_not_stock(
    simulator: Simulator, session: aiohttp.ClientSession, rebrand: str
) -> None:
    miner = await simulator.start(MinerSpec(family=rebrand))
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family(rebrand)


type RpcServer = Callable[[dict[str, Any]], Awaitable[int]]


@pytest.fixture
async def rpc_server() -> Any:
    """A CGMiner-style port that answers ``version`` with the given VERSION entry."""
    servers: list[asyncio.Server] = []

    async def start_server(version: dict[str, Any]) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(4096)
            reply = {"STATUS": [{"STATUS": "S", "Msg": "versions"}], "VERSION": [version]}
            writer.write(json.dumps(reply).encode() + b"\x00")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start_server
    for server in servers:
        server.close()
        await server.wait_closed()


async def antminer_login_page(serve: ServeFactory) -> int:
    async def challenge(_request: web.Request) -> web.Response:
        header = 'Digest realm="antMiner Configuration", nonce="abc", qop="auth"'
        return web.Response(status=401, headers={"WWW-Authenticate": header})

    return await serve({"/": challenge, CGI + "get_system_info.cgi": challenge})


@pytest.mark.parametrize(
    "version",
    [
        {"BOSminer": "0.2.0", "Type": "Antminer S19"},
        {"LUXminer": "2025.4.8", "Type": "Antminer S19k Pro"},
        {"BMMiner": "1.0.0", "Type": "Antminer S19 (vnish 1.2.6)"},
        {"BMMiner": "1.0.0", "Type": "Antminer S19j Pro Hiveon"},
    ],
)
async def test_rebrand_rpc_markers_behind_a_stock_login(
    serve: ServeFactory,
    session: aiohttp.ClientSession,
    rpc_server: RpcServer,
    version: dict[str, Any],
) -> None:
    web_port = await antminer_login_page(serve)
    rpc_port = await rpc_server(version)
    # Never stock: unknown, or the family the markers name where it is registered (Braiins).
    try:
        found = await identify("127.0.0.1", session, port=web_port, rpc_port=rpc_port, timeout=3)
    except MinerUnsupportedError:
        return
    assert found.family is not Family.ANTMINER


async def test_identify_by_rpc_alone(
    session: aiohttp.ClientSession, rpc_server: RpcServer, closed_port: int
) -> None:
    rpc_port = await rpc_server({"BMMiner": "1.0.0", "Type": "Antminer S19 XP", "CompileTime": "x"})
    found = await identify("127.0.0.1", session, port=closed_port, rpc_port=rpc_port, timeout=3)
    assert (found.family, found.model, found.api_flavour) == (
        Family.ANTMINER,
        "Antminer S19 XP",
        "modern",
    )


async def test_a_stock_login_page_without_rpc(
    serve: ServeFactory, session: aiohttp.ClientSession, closed_port: int
) -> None:
    web_port = await antminer_login_page(serve)
    found = await identify("127.0.0.1", session, port=web_port, rpc_port=closed_port, timeout=3)
    assert (found.family, found.model, found.api_flavour) == (Family.ANTMINER, None, "modern")


# --- tables and parsers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "flavour"),
    [
        ("Antminer S9", "old"),
        ("antminer s17 pro", "old"),
        ("Antminer S15", "old"),
        ("Antminer T9+", "modern"),  # unknown and not a plain old series name: modern
        ("Antminer S19k Pro", "modern"),
        ("Antminer S23 Hyd", "modern"),
        (None, "modern"),
    ],
)
def test_flavour_for(model: str | None, flavour: str) -> None:
    assert family.flavour_for(model) == flavour


def test_parsers_tolerate_missing_parts() -> None:
    assert family.parse_stats({}) == family.Stats()
    assert family.parse_stats({"STATS": [{"Type": "Antminer S9"}]}).model == "Antminer S9"
    odd_chain = {"STATS": [{"chain": ["x", {"rate_real": 1000, "temp_chip": "bad"}]}]}
    board = family.parse_stats(odd_chain).boards[0]
    assert (board.index, board.hashrate, board.chip_temp) == (1, 1.0, None)
    assert family.parse_stats({"STATS": [{"chain": [], "rate_unit": "XH"}]}).fans == ()
    with_unit = {"STATS": [{"chain": [], "rate_ideal": 5, "rate_unit": "TH"}]}
    assert family.parse_stats(with_unit).expected_hashrate == 5
    assert family.parse_stats({"STATS": [{"chain": [], "rate_ideal": 5, "rate_unit": "?"}]}) == (
        family.Stats()
    )
    summary = family.parse_summary({"SUMMARY": [{"GHS av": "2000"}]})
    assert summary.hashrate == 2.0
    assert family.parse_pools({"POOLS": ["x", {"URL": ""}, {"URL": "u"}]})[0].index == 2
    assert family.parse_status_report([]) == ()
    report = {
        "SUMMARY": [
            {
                "status": [
                    "x",
                    {"type": "fans", "status": "e", "code": 2, "msg": ""},
                    {"status": "w"},
                    {"type": "temp", "status": "s"},
                ]
            }
        ]
    }
    assert family.parse_status_report(report) == (
        ReportedError("fans:2", "The miner reports a problem with its fans"),
        ReportedError("status", "The miner reports a problem with its status"),
    )
    with pytest.raises(MinerProtocolError):
        family.parse_system_info([])
    assert family._max_of(72) == 72
    assert family._max_of(None) is None


# --- replies of real miners ------------------------------------------------------------------


def load(real_fixtures: Path, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        real_fixtures.joinpath("antminer", "v2020", name).read_text()
    )
    return payload


def test_real_s19_pro_and_s21(real_fixtures: Path) -> None:
    version = load(real_fixtures, "version.json")
    assert family.parse_version(version) == ("Antminer S19 Pro", "Tue Dec  6 16:12:30 CST 2022")

    info = family.parse_system_info(load(real_fixtures, "system_info.json"))
    assert info == family.SystemInfo(
        model="Antminer S21",
        mac="02:55:97:22:3M:72",  # anonymised by the recording project, kept as it is
        hostname="Antminer",
        serial="THQING0BDJAB024NF",
        firmware_version="FR-1.12(251009-S21)",
    )

    summary = family.parse_summary(load(real_fixtures, "summary.json"))
    assert summary.hashrate == pytest.approx(110.56689)
    assert summary.uptime == 50474
    assert (summary.accepted, summary.rejected) == (4057, 11)
    assert summary.best_share == 12904207043

    row = family.find_model("Antminer S19 Pro")
    stats = family.parse_stats(load(real_fixtures, "stats.json"), row)
    assert stats.model == "Antminer S19 Pro"
    assert stats.firmware == "Tue Dec  6 16:12:30 CST 2022"
    assert stats.expected_hashrate == pytest.approx(110.0)
    assert stats.hashrate == pytest.approx(110.56689)
    assert stats.uptime == 50474
    assert [board.hashrate for board in stats.boards] == pytest.approx(
        [37.6033, 35.53622, 37.42738]
    )
    assert [board.chips for board in stats.boards] == [114, 114, 114]
    assert [board.expected_chips for board in stats.boards] == [114, 114, 114]
    assert [board.chip_temp for board in stats.boards] == [78, 71, 69]
    assert [board.board_temp for board in stats.boards] == [73, 66, 64]
    assert [fan.rpm for fan in stats.fans] == [6000, 5880, 5040, 5040]

    pools = family.parse_pools(load(real_fixtures, "pools.json"))
    assert len(pools) == 3
    assert pools[0].url == "stratum+tcp://btc.global.luxor.tech:700"
    assert pools[0].user == "satokierepair.H04YK"
    assert (pools[0].active, pools[0].alive, pools[0].accepted, pools[0].rejected) == (
        True,
        True,
        4057,
        11,
    )
    assert [pool.active for pool in pools[1:]] == [False, False]

    data = family.build_miner_data(
        family.SystemInfo(model="Antminer S19 Pro"), "modern", summary, stats, pools
    )
    assert data.is_mining is True  # no work mode known: from the hashrate
    assert data.power_mode is None
    assert data.chip_temp_max == 78
    assert data.chip_temp_avg == pytest.approx(72.7)
    assert data.board_temp_max == 73
    assert data.firmware_version == "Tue Dec  6 16:12:30 CST 2022"
