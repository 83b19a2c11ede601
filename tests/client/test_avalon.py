"""The AvalonMiner client against simulated Nano 3, Nano 3S, Mini 3, Q and A1566: what it
reads, how many requests a poll costs, the malformed replies it survives, what its controls
change, and how it is identified (and never taken for a stock Antminer)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from custom_components.asic.client import (
    Credentials,
    Family,
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    PoolConfig,
    ReportedError,
    create_miner,
    identify,
)
from custom_components.asic.client.families import avalon as family
from custom_components.asic.client.families.avalon import AvalonMiner
from custom_components.asic.client.probe import WebPage
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.faults import MALFORMED_JSON_FAULTS

pytestmark = pytest.mark.usefixtures("socket_enabled")

MODELS = ["Avalon Nano 3", "Avalon Nano 3S", "Avalon Mini 3", "Avalon Q", "Avalon A1566"]


def client_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    credentials: Credentials | None = None,
) -> AvalonMiner:
    client = create_miner(
        "avalon",
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        credentials=credentials,
        timeout=5,
    )
    assert isinstance(client, AvalonMiner)
    return client


async def start(simulator: Simulator, model: str, **spec: Any) -> SimulatedMiner:
    return await simulator.start(MinerSpec(family="avalon", model=model, **spec))


def record(miner: SimulatedMiner) -> dict[str, Any]:
    """The simulator's state when it last answered ``estats`` (with its MM ID0 parsed)."""
    seen: dict[str, Any] = {}
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        reply = original(request)
        if "estats" in request.commands:
            physics = miner.av_physics  # type: ignore[attr-defined]
            state = miner._state
            seen.update(
                hashrate=state.hashrate,
                nominal=physics.nominal_ghs,
                power=state.power,
                target=physics.power_target,
                temp_max=physics.temp_max,
                temp_avg=physics.temp_avg,
                inlet=physics.inlet,
                outlet=physics.outlet,
                fans=list(physics.fans),
                fan_percent=physics.fan_percent,
                board_max=list(physics.board_max),
                uptime=int(state.uptime),
                accepted=state.shares_accepted,
                rejected=state.shares_rejected,
                frequency=state.frequency,
                mining=physics.mining,
            )
        return reply

    miner.handle_rpc = handle  # type: ignore[method-assign]
    return seen


def mining(miner: SimulatedMiner) -> bool:
    result: bool = miner.av_physics.mining  # type: ignore[attr-defined]
    return result


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model)
    truth = record(miner)
    client = client_of(miner, session)
    data = await client.read()
    row = miner.board  # type: ignore[attr-defined]
    home = row.generation == "home"

    assert data.family is Family.AVALON
    assert data.model == model
    assert data.firmware_version == row.firmware
    assert data.mac == miner.mac
    assert data.board_version == row.hwtype
    assert data.asic_model == row.core
    assert data.hashrate == pytest.approx(round(truth["hashrate"] * 1000, 2) / 1e6)
    assert data.expected_hashrate == pytest.approx(round(truth["nominal"], 2) / 1000)
    assert data.power == round(truth["power"])
    assert data.power_limit == truth["target"]
    assert data.efficiency == pytest.approx(round(truth["power"]) / data.hashrate, abs=0.01)
    assert data.chip_temp_max == round(truth["temp_max"])
    assert data.chip_temp_avg == round(truth["temp_avg"])
    assert data.inlet_temp == round(truth["inlet"])
    assert data.outlet_temp == (round(truth["outlet"]) if home else None)
    assert data.frequency == pytest.approx(round(truth["frequency"], 2))
    assert data.uptime == truth["uptime"]
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.shares_accepted == truth["accepted"]
    assert data.shares_rejected == truth["rejected"]
    assert [fan.rpm for fan in data.fans] == truth["fans"][: row.fans]
    assert all(fan.percent == truth["fan_percent"] for fan in data.fans)
    assert len(data.boards) == row.boards
    for board, hottest in zip(data.boards, truth["board_max"], strict=True):
        assert board.chip_temp == round(hottest)
        assert board.expected_chips == row.chips_per_board
        assert board.hashrate is not None
    urls = [pool["url"] for pool in miner.pools]  # type: ignore[attr-defined]
    assert [pool.url for pool in data.pools] == urls
    assert data.pools[0].active is True
    assert data.errors == ()
    assert data.capabilities.mining_switch
    assert data.capabilities.fault_light
    assert data.capabilities.power_modes == tuple(
        name
        for name, _ in family.find_model(row.model).power_modes  # type: ignore[union-attr]
    )
    assert data.power_mode is not None
    assert client.capabilities == data.capabilities


async def test_error_flags_the_miner_reports(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    classic: Any = await start(simulator, "Avalon A1566")
    classic.ecmm = 1 << 6
    classic.echu = [0, (1 << 11) | (1 << 13), 1 << 20]
    classic.ps_status = 5
    assert (await client_of(classic, session).read()).errors == (
        ReportedError("ECMM:64", "Controller: too hot (code 64)"),
        ReportedError(
            "ECHU1:10240",
            "Hash board 1: power good signal failed, input voltage out of range (code 10240)",
        ),
        ReportedError("ECHU2:1048576", "Hash board 2: error bit 20 (code 1048576)"),
        ReportedError("PS:5", "The power supply reports status 5"),
    )
    classic.ecmm, classic.echu, classic.ps_status = 1, [1, 0, 0], 0
    assert (await client_of(classic, session).read()).errors == ()  # bit 0 is only "idle"

    home: Any = await start(simulator, "Avalon Q")
    home.echu = [1 << 2]
    home.fan_error = 2
    assert (await client_of(home, session).read()).errors == (
        ReportedError("ECHU0:4", "Hash board 0: no fan detected (code 4)"),
        ReportedError("FanErr:2", "Fan error 2"),
    )


def test_error_words() -> None:
    assert family.flag_names((1 << 2) | (1 << 16) | (1 << 31)) == (
        "no fan detected, invalid PLL setting, error bit 31"
    )
    mm = family.parse_mm("ECMM[-4] ECHU[4294967300 nan x] FanErr[0] PS[0 1 2]")
    assert family.parse_errors(mm) == (
        ReportedError("ECHU0:4", "Hash board 0: no fan detected (code 4)"),
    )


async def test_one_request_per_poll(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Avalon Nano 3")
    client = client_of(miner, session)
    assert client.capabilities.power_modes == ()  # not connected yet
    await client.read()
    assert client.rpc.requests == 2  # version at connect, then summary+estats+pools
    await client.read()
    await client.read()
    assert client.rpc.requests == 4


async def test_joined_commands_refused_fall_back_once(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Avalon Q")
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    first = await client.read()
    assert client.rpc.requests == 5  # version, the refused join, three single commands
    second = await client.read()
    assert client.rpc.requests == 8
    assert first.model == second.model == "Avalon Q"


async def test_restart_reads_the_version_again(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Avalon Nano 3")
    versions: list[int] = []
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        if "version" in request.commands:
            versions.append(1)
        return original(request)

    miner.handle_rpc = handle  # type: ignore[method-assign]
    client = client_of(miner, session)
    await client.read()
    await asyncio.sleep(1.1)
    await client.read()
    assert len(versions) == 1
    await client.restart_mining()
    assert miner.last_action == {"command": "restart"}  # type: ignore[attr-defined]
    await asyncio.sleep(0.6)
    for _ in range(40):
        try:
            data = await client.read()
            break
        except MinerConnectionError:  # down while restarting
            await asyncio.sleep(0.1)
    assert data.is_mining is True
    assert len(versions) == 2  # the uptime went back: the static facts are read again


@pytest.mark.parametrize("fault", MALFORMED_JSON_FAULTS)
async def test_malformed_replies(
    simulator: Simulator, session: aiohttp.ClientSession, fault: Fault
) -> None:
    miner = await start(simulator, "Avalon Q")
    client = client_of(miner, session)
    await client.read()
    miner.set_fault(fault)
    data = await client.read()
    assert data.model == "Avalon Q"
    assert data.pools


async def test_a_non_avalon_is_refused(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    antminer = await simulator.start(MinerSpec(family="antminer", model="Antminer S21"))
    client = create_miner(
        "avalon", antminer.host, session, rpc_port=antminer.ports["rpc"], timeout=5
    )
    with pytest.raises(MinerProtocolError, match="AvalonMiner"):
        await client.read()


# --- controls --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["Avalon Nano 3", "Avalon A1566"])
async def test_mining_off_and_on(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model)
    client = client_of(miner, session)
    before = await client.read()
    await client.set_mining(False)
    off = await client.read()
    assert mining(miner) is False
    assert off.is_mining is False
    assert off.power_mode == before.power_mode
    assert off.chip_temp_max is None  # reads 0 while idle: unknown
    await client.set_mining(True)
    on = await client.read()
    assert mining(miner) is True
    assert on.is_mining is True
    assert [pool.url for pool in on.pools] == [pool.url for pool in before.pools]


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Avalon Q")
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert miner.led == 1  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert miner.led == 0  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is False


@pytest.mark.parametrize(
    ("model", "mode", "workmode", "worklevel"),
    [
        ("Avalon Nano 3", "low", None, 0),
        ("Avalon Nano 3S", "mid", 1, None),
        ("Avalon Q", "eco", 0, None),
        ("Avalon Mini 3", "mining eco", 1, -1),
        ("Avalon Mini 3", "night", 2, None),
        ("Avalon A1566", "high", 1, None),
    ],
)
async def test_power_modes(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    model: str,
    mode: str,
    workmode: int | None,
    worklevel: int | None,
) -> None:
    miner = await start(simulator, model)
    client = client_of(miner, session)
    physics = miner.av_physics  # type: ignore[attr-defined]
    await client.set_power_mode(mode)
    if workmode is not None:
        assert physics.workmode == workmode
    if worklevel is not None:
        assert physics.worklevel == worklevel
    data = await client.read()
    assert data.power_mode == mode
    assert data.is_mining is True
    with pytest.raises(MinerCommandError, match="Unknown power mode"):
        await client.set_power_mode("turbo")


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Avalon Nano 3")
    client = client_of(miner, session)
    await client.reboot()
    assert miner.last_action == {"command": "reboot"}  # type: ignore[attr-defined]


async def test_pools(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Avalon Nano 3", password="s3cret")
    client = client_of(miner, session, Credentials(None, "s3cret"))
    before = await client.read()
    await client.set_pools(
        [PoolConfig("stratum+tcp://a.example:3333", "me.1"), PoolConfig("stratum+tcp://b:1", "u")]
    )
    pools = miner.pools  # type: ignore[attr-defined]
    assert pools[0] == {"url": "stratum+tcp://a.example:3333", "user": "me.1", "passwd": "x"}
    assert pools[1]["url"] == "stratum+tcp://b:1"
    assert pools[2]["url"] == ""
    after = await client.read()
    assert [pool.url for pool in after.pools] == [
        "stratum+tcp://a.example:3333",
        "stratum+tcp://b:1",
    ]
    assert after.power_mode == before.power_mode
    for pools_in, match in (
        ([], "At least one"),
        ([PoolConfig("a", "b")] * 4, "three"),
        ([PoolConfig(" ", "b")], "URL"),
        ([PoolConfig("a", "b,c")], "comma"),
    ):
        with pytest.raises(MinerCommandError, match=match):
            await client.set_pools(pools_in)


async def test_wrong_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Avalon Q", password="s3cret")
    client = client_of(miner, session, Credentials("root", "wrong-pass"))
    assert (await client.read()).model == "Avalon Q"  # reading needs no login
    with pytest.raises(MinerAuthError) as caught:
        await client.set_pools([PoolConfig("stratum+tcp://a:1", "u")])
    assert "wrong-pass" not in str(caught.value)
    assert "wrong-pass" not in repr(client.credentials)
    with pytest.raises(MinerAuthError):  # the default root/root is wrong here too
        await client_of(miner, session).set_pools([PoolConfig("stratum+tcp://a:1", "u")])


async def test_refusals_are_command_errors(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Avalon Q")
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError):
        await client._ascset("workmode,set,9")
    with pytest.raises(MinerCommandError) as caught:  # slot 3 does not exist
        await client.rpc.command("setpool", "root,root,3,u,w,x")
    assert caught.value.code == family.CODE_POOL_SET_ERROR
    miner.ascset = lambda option, value: (118, "nope")  # type: ignore[attr-defined]
    with pytest.raises(MinerCommandError, match="did not take softoff"):
        await client.set_mining(False)


async def test_other_setpool_errors_pass_through(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "Avalon Q")
    client = client_of(miner, session)
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        if "setpool" in request.commands:
            return {"STATUS": [{"STATUS": "E", "Code": 132, "Msg": "Pool set error: index"}]}
        return original(request)

    miner.handle_rpc = handle  # type: ignore[method-assign]
    with pytest.raises(MinerCommandError) as caught:
        await client.set_pools([PoolConfig("stratum+tcp://a:1", "u")])
    assert not isinstance(caught.value, MinerAuthError)


# --- identification --------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
async def test_identify(simulator: Simulator, session: aiohttp.ClientSession, model: str) -> None:
    miner = await start(simulator, model)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"], timeout=5
    )
    assert found.family is Family.AVALON
    assert found.model == model
    assert found.mac == miner.mac
    assert found.firmware_version == miner.board.firmware  # type: ignore[attr-defined]
    assert found.rpc_port == miner.ports["rpc"]
    assert found.api_flavour == ("classic" if model == "Avalon A1566" else "home")


async def test_neighbours_are_not_avalons(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    for spec in (
        MinerSpec(family="antminer", model="Antminer S21"),
        MinerSpec(family="axeos", model="Bitaxe Gamma"),
    ):
        other = await simulator.start(spec)
        found = await identify(
            other.host, session, port=other.ports["web"], rpc_port=other.ports.get("rpc"), timeout=5
        )
        assert found.family is not Family.AVALON


def test_page_and_unknown_models() -> None:
    assert family.page_matches(WebPage(200, "<title>Avalon Q</title>", None))
    assert not family.page_matches(WebPage(200, "<title>AxeOS</title>", None))
    version = family.parse_version(
        {"VERSION": [{"PROD": "Avalon Nano4", "MODEL": "Nano4", "MAC": "0a1b2c3d4e5f"}]}
    )
    assert family.model_name(version) == "Avalon Nano4"
    assert version.mac == "0A:1B:2C:3D:4E:5F"
    assert family.parse_version({"VERSION": [{"MAC": "nope"}]}).mac is None
    assert family.current_mode(None, {}) is None
    row = family.find_model("Q")
    assert family.current_mode(row, {"WORKMODE": "7"}) is None
    assert family.capabilities_for(None).power_modes == ()


# --- parsing ---------------------------------------------------------------------------------


def test_mm_parsing_is_robust() -> None:
    mm = family.parse_mm(
        "'STATS':{Ver[Q-1] SYSTEMSTATU[Work: In Work, Hash Board: 1] GHSspd[inf] "
        "GHSmm[nan] FanR[55%] Nonce Mask[25] PS[] ECHU[0 512 0] ECMM[3] FanErr[1] Led[x]}"
    )
    assert mm["Nonce Mask"] == "25"
    assert mm["SYSTEMSTATU"] == "Work: In Work, Hash Board: 1"
    assert family.parse_mm(None) == {}
    assert family.mm_of({"STATS": "x"}) == {}
    assert family.mm_of({"STATS": [1, {"MM ID0:Summary": "A[1]"}]}) == {"A": "1"}
    summary = {"SUMMARY": [{"MHS 5s": "inf", "Elapsed": 5}]}
    data = family.build_miner_data(
        family.VersionInfo(model="Q"),
        summary,
        {"STATS": [{"MM ID0": " ".join(f"{key}[{value}]" for key, value in mm.items())}]},
        {},
    )
    assert data.hashrate is None  # inf and inf: unknown
    assert data.expected_hashrate is None
    assert data.is_mining is True  # from SYSTEMSTATU
    assert data.fault_light is None
    assert data.power is None
    assert data.fans == ()
    assert data.errors == (
        ReportedError("ECMM:3", "Controller: CRC check of the controller failed (code 3)"),
        ReportedError("ECHU1:512", "Hash board 1: core test failed (code 512)"),
        ReportedError("FanErr:1", "Fan error 1"),
    )
    idle = family.build_miner_data(
        family.VersionInfo(),
        summary,
        {"STATS": [{"MM ID0": "SYSTEMSTATU[Work: In Idle] PS[2 1 1 1 1 1 146] MGHS[10]"}]},
        {},
    )
    assert idle.is_mining is False
    assert idle.power == 146
    assert idle.errors == (ReportedError("PS:2", "The power supply reports status 2"),)
    assert idle.boards[0].chip_temp is None
    assert idle.boards[0].expected_chips is None
    unknown = family.build_miner_data(family.VersionInfo(), summary, {}, {})
    assert unknown.is_mining is None
    assert (
        family.build_miner_data(
            family.VersionInfo(), {"SUMMARY": [{"MHS 5s": 2e6}]}, {}, {}
        ).is_mining
        is True
    )
    with pytest.raises(MinerProtocolError, match="no SUMMARY"):
        family.build_miner_data(family.VersionInfo(), {}, {}, {})


# --- real replies ----------------------------------------------------------------------------


def load(real_fixtures: Path, name: str) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(
        real_fixtures.joinpath("avalonminer", "any", name).read_text()
    )
    return reply


def test_real_avalon_q(real_fixtures: Path) -> None:
    version = family.parse_version(load(real_fixtures, "version.json"))
    assert version.model == "Q"
    assert version.firmware == "25052801_14a19a2"
    assert version.mac == "AA:BB:CC:DD:EE:FF"
    assert family.is_avalon(version)
    for stats_file in ("stats.json", "litestats.json"):
        data = family.build_miner_data(
            version,
            load(real_fixtures, "summary.json"),
            load(real_fixtures, stats_file),
            load(real_fixtures, "pools.json"),
        )
        assert data.model == "Avalon Q"
        assert data.hashrate == 0.0
        assert data.expected_hashrate == pytest.approx(55.03279)
        assert data.is_mining is False  # SoftOFF[4], "In Idle"
        assert data.power_limit == 800
        assert data.power_mode == "eco"  # WORKMODE[0]
        assert data.chip_temp_max is None  # TMax[0] while idle
        assert data.inlet_temp == 26
        assert data.outlet_temp == 27
        assert data.frequency == pytest.approx(282.86)
        assert data.uptime == 37714
        assert data.shares_accepted == 890
        assert data.shares_rejected == 2
        assert data.best_session_difficulty == 354914572
        assert [fan.rpm for fan in data.fans] == [0, 0, 0, 0]
        assert data.fans[0].percent == 0
        assert data.boards[0].hashrate == pytest.approx(44.35, abs=0.2)
        assert data.asic_model == "A3197S"
        assert [pool.url for pool in data.pools] == ["stratum+tcp://pool.example.com:4444"]
        assert data.errors == ()
    for name in ("ascset_softoff.json", "ascset_softon.json"):
        status = load(real_fixtures, name)["STATUS"][0]
        assert "success" in status["Msg"]


def test_real_a1566(real_fixtures: Path) -> None:
    stats = load(real_fixtures, "avalon_a_stats.json")
    mm = family.mm_of(stats)
    assert mm["WORKMODE"] == "1"
    data = family.build_miner_data(
        family.VersionInfo(model="15-194"), {"SUMMARY": [{"Elapsed": 24684}]}, stats, {}
    )
    assert data.model == "Avalon A1566"
    assert data.hashrate == pytest.approx(81.07268)
    assert data.expected_hashrate == pytest.approx(83.92304)
    assert data.power == 3504  # PS[6]: no WALLPOWER in this recording
    assert data.power_limit == 3200
    assert data.chip_temp_max == 77
    assert data.chip_temp_avg == 65
    assert data.inlet_temp == 30
    assert data.frequency == pytest.approx(502.41)
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.power_mode == "high"
    assert [fan.rpm for fan in data.fans] == [5344, 5392]
    assert data.fans[0].percent == 72
    assert [board.hashrate for board in data.boards] == pytest.approx(
        [26.90701, 26.02506, 26.72456]
    )
    assert [board.chip_temp for board in data.boards] == [77, 77, 76]
    assert data.asic_model == "A3201"
    assert mm["ECHU"] == "0 0 0"
    assert data.errors == ()  # ECHU[0 0 0] ECMM[0], PS[0 …]


async def test_confirm_needs_an_avalon_version() -> None:
    async def probe_with(reply: dict[str, Any] | None) -> Any:
        task: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        task.set_result(reply)
        probe = SimpleNamespace(host="h", port=80, rpc_port=4028, rpc_version=task)
        return await family.confirm(probe)  # type: ignore[arg-type]

    assert await probe_with(None) is None
    assert await probe_with({"VERSION": [{"Type": "Antminer S21"}]}) is None
    found = await probe_with({"VERSION": [{"PROD": "Avalon Nano9", "MODEL": "Nano9"}]})
    assert found is not None
    assert (found.family, found.model, found.api_flavour) == (Family.AVALON, "Avalon Nano9", "home")
    assert family.mm_of({"STATS": [{"ID": "POOL0"}, {"MM ID0": "B[2]"}]}) == {"B": "2"}
