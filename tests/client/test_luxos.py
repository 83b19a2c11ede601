"""The LuxOS client against simulated LuxOS miners: what it reads, how many requests a poll
costs, sessions (expired, held by another client), every control's effect on the miner,
identification (and never being taken for stock Antminer), and the recorded real replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.asic.client import (
    Family,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    MinerUnsupportedError,
    PoolConfig,
    ReportedError,
    connect,
    create_miner,
    identify,
)
from custom_components.asic.client.families import luxos as family
from custom_components.asic.client.families.luxos import LuxOSMiner
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")


def client_of(miner: SimulatedMiner, session: aiohttp.ClientSession) -> LuxOSMiner:
    client = create_miner(
        "luxos",
        miner.host,
        session,
        port=miner.ports["web"],
        rpc_port=miner.ports["rpc"],
        timeout=5,
    )
    assert isinstance(client, LuxOSMiner)
    return client


async def start(simulator: Simulator, model: str = "Antminer S19k Pro", **spec: Any) -> Any:
    return await simulator.start(MinerSpec(family="luxos", model=model, **spec))


def record(miner: Any) -> dict[str, Any]:
    """The miner's state when it answered the last ``summary`` (alone or joined)."""
    seen: dict[str, Any] = {"commands": []}
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        reply = original(request)
        seen["commands"].append(request.command)
        if "summary" in request.commands:
            state, physics = miner._state, miner.tuned
            seen.update(
                hashrate=state.hashrate,
                expected=state.expected_hashrate,
                uptime=int(state.uptime),
                power=round(state.power),
                chain_rates=list(physics.chain_rates),
                board_temps=[exhaust for exhaust, _ in miner._board_temps()],
                fan_rpms=list(physics.fan_rpms),
                fan_percent=int(state.fan_percent),
                accepted=state.shares_accepted,
                rejected=state.shares_rejected,
            )
        return reply

    miner.handle_rpc = handle
    return seen


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["Antminer S19k Pro", "Antminer S21"])
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-3")
    truth = record(miner)
    client = client_of(miner, session)
    assert client.capabilities.power_modes == ()  # unknown before the first read
    data = await client.read()
    hardware = miner.board.hardware

    assert data.family is Family.LUXOS
    assert data.model == model
    assert data.firmware_version == miner.firmware
    assert data.mac == miner.mac.upper()
    assert data.serial == miner.serial
    assert data.hostname == "rack-3"
    assert data.hashrate == pytest.approx(round(truth["hashrate"], 2) / 1000)
    assert data.expected_hashrate == pytest.approx(round(truth["expected"], 2) / 1000)
    assert data.power == truth["power"]
    assert data.power_limit == miner.profile.watts
    assert data.efficiency == pytest.approx(truth["power"] / data.hashrate, abs=0.01)
    assert data.frequency == miner.profile.frequency
    assert data.uptime == truth["uptime"]
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.power_mode == "default"
    assert data.shares_accepted == truth["accepted"]
    assert data.shares_rejected == truth["rejected"]
    assert data.errors == ()
    assert len(data.boards) == hardware.boards
    for index, board in enumerate(data.boards):
        assert board.index == index
        assert board.hashrate == pytest.approx(round(truth["chain_rates"][index], 2) / 1000)
        assert board.chips == board.expected_chips == hardware.chips_per_board
        assert board.board_temp == board.chip_temp == truth["board_temps"][index]
        assert board.serial == miner.board_serials[index]
        assert board.expected_hashrate == pytest.approx(truth["expected"] / hardware.boards / 1000)
    assert data.chip_temp_max == max(truth["board_temps"])
    assert data.board_temp_max == max(truth["board_temps"])
    assert [fan.rpm for fan in data.fans] == truth["fan_rpms"]
    assert {fan.percent for fan in data.fans} == {truth["fan_percent"]}
    assert [(pool.url, pool.user) for pool in data.pools] == [
        (pool["url"], pool["user"]) for pool in miner.pools
    ]
    assert data.pools[0].active is True
    assert data.pools[0].alive is True
    assert data.pools[1].active is False
    caps = data.capabilities
    assert caps.power_modes == tuple(profile.name for profile in miner.profile_table)
    watts = [profile.watts for profile in miner.profile_table]
    assert caps.power_limit is not None
    assert (caps.power_limit.min, caps.power_limit.max) == (min(watts), max(watts))
    assert caps.mining_switch
    assert caps.fault_light
    assert caps.reboot
    assert caps.restart_mining
    assert caps.pools
    assert client.capabilities == caps


async def test_requests_per_poll(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    truth = record(miner)
    client = client_of(miner, session)
    await client.read()
    assert truth["commands"] == ["version+profiles", "+".join(family.POLL_COMMANDS)]
    assert client.rpc.requests == 2
    await client.read()
    assert client.rpc.requests == 3  # one request per poll


async def test_joined_commands_refused_falls_back_once(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    client = client_of(miner, session)
    data = await client.read()
    assert data.model == "Antminer S19k Pro"
    before = client.rpc.requests
    await client.read()
    assert client.rpc.requests - before == len(family.POLL_COMMANDS)


async def test_reboot_is_seen_and_static_facts_refetched(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    truth = record(miner)
    client = client_of(miner, session)
    await client.read()
    client._last_uptime = 10**9  # as if it had been up for long
    await client.read()
    assert truth["commands"].count("version+profiles") == 2


async def test_board_events(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    miner.board_events = [(1, "REBOOT_NOT_HASHING", "Board reboot due to it not hashing.")]
    assert (await client_of(miner, session).read()).errors == (
        ReportedError("REBOOT_NOT_HASHING", "Board 1: Board reboot due to it not hashing."),
    )


async def test_curtailed_miner_reads_as_not_mining_with_its_event(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_mining(False)
    assert miner.curtailed
    data = await client.read()
    assert data.is_mining is False
    assert [error.code for error in data.errors] == ["SLEEP"]
    await client.set_mining(True)
    assert not miner.curtailed
    assert (await client.read()).is_mining is True


async def test_unreachable_miner(session: aiohttp.ClientSession, closed_port: int) -> None:
    client = create_miner("luxos", "127.0.0.1", session, rpc_port=closed_port, timeout=2)
    with pytest.raises(MinerConnectionError):
        await client.read()


async def test_malformed_reply_is_refused_or_repaired(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.TRAILING_COMMA)
    data = await client_of(miner, session).read()
    assert data.model == "Antminer S19k Pro"


# --- sessions --------------------------------------------------------------------------------


async def test_expired_session_is_renewed(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    first = client._session_id
    assert first
    assert first == miner.session_id
    miner.expire_session()
    await client.set_fault_light(False)
    assert client._session_id == miner.session_id != first
    assert miner.red_led == "off"


async def test_session_held_elsewhere_is_reused(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    other = client_of(miner, session)
    await other.restart_mining()  # another client logs on and holds the session
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert client._session_id == other._session_id == miner.session_id
    assert miner.red_led == "blink"


async def test_no_session_given(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    busy = {"STATUS": [{"STATUS": "E", "Code": 402, "Msg": "Another session is active"}]}
    empty = {"STATUS": [{"STATUS": "S", "Code": 319}], "SESSION": [{"SessionID": ""}]}
    original = miner.handle_rpc

    def handle(request: Any) -> Any:
        if request.command == "logon":
            return busy
        if request.command == "session":
            return empty
        return original(request)

    miner.handle_rpc = handle
    with pytest.raises(MinerCommandError, match="no LuxOS session"):
        await client.set_mining(False)
    miner.handle_rpc = lambda request: (
        {"STATUS": [{"STATUS": "E", "Code": 14, "Msg": "Invalid command"}]}
        if request.command == "logon"
        else original(request)
    )
    with pytest.raises(MinerCommandError, match="Invalid command"):
        await client.set_mining(False)


async def test_session_id_never_shown(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    caplog.set_level("DEBUG")
    await client.set_fault_light(True)
    miner.atm_enabled = True
    miner.expire_session()
    sid = client._session_id
    assert sid
    assert sid not in repr(client)
    assert sid not in caplog.text


# --- controls --------------------------------------------------------------------------------


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert miner.red_led == "blink"
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert miner.red_led == "off"
    assert (await client.read()).fault_light is False


async def test_power_mode_turns_atm_off_first(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    pools = [dict(pool) for pool in miner.pools]
    assert miner.atm_enabled
    await client.set_power_mode("440MHz")
    assert not miner.atm_enabled
    assert miner.profile.name == "440MHz"
    assert miner.pools == pools
    data = await client.read()
    assert data.power_mode == "440MHz"
    assert data.power_limit == miner.profile.watts
    with pytest.raises(MinerCommandError, match="Unknown power mode"):
        await client.set_power_mode("turbo")


async def test_power_limit_takes_the_highest_profile_within(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    table = miner.profile_table
    target = table[5].watts + 1  # between two profiles
    await client.set_power_limit(target)
    assert miner.profile == table[5]
    await client.set_power_limit(table[10].watts)
    assert miner.profile == table[10]
    with pytest.raises(MinerCommandError, match="lowest profile"):
        await client.set_power_limit(table[0].watts - 1)
    assert miner.profile == table[10]


async def test_profile_refused_reports_the_reason(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    original = miner.handle_rpc
    miner.handle_rpc = lambda request: (
        {"STATUS": [{"STATUS": "S", "Code": 340}]}  # ATM answers but stays on
        if request.command == "atmset"
        else original(request)
    )
    with pytest.raises(MinerCommandError, match="ATM") as caught:
        await client.set_power_mode("440MHz")
    assert caught.value.code == family.CODE_ATM_BLOCKS_PROFILE
    assert client._session_id is not None
    assert client._session_id not in str(caught.value)


async def test_restart_mining(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner._state.uptime = 500.0
    await client.restart_mining()
    assert miner._state.uptime < 500
    assert miner.is_up


async def test_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.reboot()
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert client._session_id is None
    await client.set_fault_light(True)  # a new session after the reboot
    assert miner.red_led == "blink"


async def test_pools_replaced_without_losing_anything_else(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("415MHz")
    new = [
        PoolConfig("stratum+tcp://a.example:3333", "me.1", "p1"),
        PoolConfig("stratum+tcp://b.example:3333", "me.2"),
        PoolConfig("stratum+tcp://c.example:3333", "me.3"),
    ]
    await client.set_pools(new)
    assert miner.pools == [
        {"url": pool.url, "user": pool.user, "pass": pool.password} for pool in new
    ]
    assert miner.active_pool == 0
    assert miner.profile.name == "415MHz"
    data = await client.read()
    assert [pool.url for pool in data.pools] == [pool.url for pool in new]


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([], "At least one"),
        ([PoolConfig("stratum+tcp://a:1", "u")] * 4, "three"),
        ([PoolConfig(" ", "u")], "needs a URL"),
        ([PoolConfig("stratum+tcp://a:1", "u,v")], "comma"),
    ],
)
async def test_pools_refused(
    simulator: Simulator, session: aiohttp.ClientSession, pools: list[PoolConfig], message: str
) -> None:
    miner = await start(simulator)
    before = [dict(pool) for pool in miner.pools]
    with pytest.raises(MinerCommandError, match=message):
        await client_of(miner, session).set_pools(pools)
    assert miner.pools == before


# --- identification --------------------------------------------------------------------------


async def test_identify(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.LUXOS
    assert found.model == "Antminer S19k Pro"
    assert found.firmware_version == miner.firmware
    assert found.mac == miner.mac.upper()
    assert found.rpc_port == miner.ports["rpc"]
    client = await connect(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert isinstance(client, LuxOSMiner)


async def test_identify_by_rpc_alone(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    miner = await start(simulator)
    found = await identify(miner.host, session, port=closed_port, rpc_port=miner.ports["rpc"])
    assert found.family is Family.LUXOS
    assert found.mac == miner.mac.upper()


async def test_stock_antminer_is_not_luxos(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await simulator.start(MinerSpec(family="antminer", model="Antminer S19 Pro"))
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.ANTMINER


async def test_confirm_without_config(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    original = miner.handle_rpc
    miner.handle_rpc = lambda request: (
        {"STATUS": [{"STATUS": "E", "Code": 45, "Msg": "Access denied"}]}
        if request.command == "config"
        else original(request)
    )
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.LUXOS
    assert found.mac is None


async def test_unknown_host_is_not_luxos(
    session: aiohttp.ClientSession, plain_web_server: int, closed_port: int
) -> None:
    with pytest.raises(MinerUnsupportedError):
        await identify("127.0.0.1", session, port=plain_web_server, rpc_port=closed_port)


async def test_pools_on_a_miner_without_pools(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.pools.clear()
    await client_of(miner, session).set_pools([PoolConfig("stratum+tcp://a.example:1", "me")])
    assert miner.pools == [{"url": "stratum+tcp://a.example:1", "user": "me", "pass": "x"}]
    assert miner.active_pool == 0


def test_version_markers() -> None:
    described = {"STATUS": [{"Description": "LUXminer 2025.4.8"}], "VERSION": [{}]}
    assert family.is_luxos_version(described)
    assert not family.is_luxos_version({"VERSION": [{"Type": "Antminer S19"}]})
    assert not family.is_luxos_version(None)


# --- parsers ---------------------------------------------------------------------------------


def test_parsers_tolerate_missing_parts() -> None:
    assert family.parse_profiles({"PROFILES": [{"Watts": 5}, "x"]}) == ()
    assert family.power_range(()) is None
    assert family.profile_for_watts((), 100) is None
    assert family.parse_events({"EVENTS": [{"Target": "MINER"}]}) == ()
    assert family.parse_devs({"DEVS": [{"ID": 2}, {"Name": "x"}]}) == {2: {"ID": 2}}
    summary = {"SUMMARY": [{"GHS 5s": 1000, "Elapsed": 5}]}
    data = family.build_miner_data(family.VersionInfo(), (), {"summary": summary})
    assert data.hashrate == 1.0
    assert data.is_mining is None
    assert data.fault_light is None
    assert data.mac is None
    assert data.power is None
    assert data.power_limit is None
    assert data.errors == ()
    assert data.capabilities.power_limit is None
    with pytest.raises(MinerProtocolError):
        family.build_miner_data(family.VersionInfo(), (), {"summary": {}})


def _real(directory: Path, name: str) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads((directory / f"{name}.json").read_text())
    return reply


def test_real_replies_parse_to_their_values(real_fixtures: Path) -> None:
    directory = real_fixtures / "luxminer" / "v1"
    if not directory.is_dir():
        pytest.skip(f"no recorded LuxOS replies at {directory}")
    version = family.parse_version(_real(directory, "version"))
    assert version == family.VersionInfo("Antminer S19k Pro", "2025.4.8.220305-57b389c7")
    assert family.is_luxos_version(_real(directory, "version"))
    profiles = family.parse_profiles(_real(directory, "profiles"))
    assert profiles[0] == family.Profile("190MHz", 784.0, 39.2, 190.0)
    replies = {
        name: _real(directory, name)
        for name in ("summary", "pools", "stats", "devs", "config", "power", "fans", "events")
    }
    data = family.build_miner_data(version, profiles, replies)
    assert data.model == "Antminer S19k Pro"
    assert data.mac == "62:F7:5E:B7:10:46"
    assert data.serial == "JYZZB0UBDJABF06RB"
    assert data.hostname == "UrlacherS19k"
    assert data.hashrate == pytest.approx(59.75606)
    assert data.expected_hashrate == pytest.approx(61.9542)
    assert data.power == 1051
    assert data.power_mode == "290MHz"
    assert data.power_limit == 1188
    assert data.frequency == 290
    assert data.uptime == 3453
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.shares_accepted == 1483
    assert data.shares_rejected == 1
    assert data.efficiency == pytest.approx(1051 / 59.75606, abs=0.01)
    assert [fan.rpm for fan in data.fans] == [1920, 1920, 2340, 2340]
    assert data.fans[0].percent == 20
    assert [board.chips for board in data.boards] == [77, 77, 77]
    assert data.boards[0].hashrate == pytest.approx(18.91028)
    assert data.boards[0].serial == "JYZZYRSBDJEBI06Z5"
    assert data.boards[2].serial == "JYZZYRSBDJEBI06ZR"
    assert data.boards[0].expected_hashrate == pytest.approx(20.6514)
    assert data.boards[0].board_temp == 47
    assert data.pools[0].url == "stratum+tcp://ca.stratum.braiins.com:3333"
    assert data.pools[0].active is True
    assert data.errors == (
        ReportedError("NOPIC_PROTECTION", "Miner shutdown due to NOPIC protection."),
        ReportedError("REBOOT_NOT_HASHING", "Board 0: Board reboot due to it not hashing."),
    )
    assert data.capabilities.power_limit is not None
    assert data.capabilities.power_limit.min == 784
