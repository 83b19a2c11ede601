"""The Antminer-shaped re-brands (Hiveon, MaraFW, Elphapex, Hammer, VolcMiner) against their
simulated firmwares: identification of every simulated model, what a poll reads and costs,
what each control changes in the miner, logins, reported errors and parser robustness."""

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
    Credentials,
    Family,
    MinerAuthError,
    MinerCommandError,
    MinerProtocolError,
    MinerUnsupportedError,
    NumberRange,
    PoolConfig,
    ReportedError,
    create_miner,
    identify,
)
from custom_components.asic.client.families import antminer, elphapex, hiveon, marafw
from custom_components.asic.client.families.antminer import AntminerMiner
from custom_components.asic.client.probe import Probe, WebPage
from custom_components.asic.client.transport.http import HttpTransport
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families import MODEL_NAMES, antminer_rebrands as simulated

from .conftest import RequestLog
from .test_cli import run_cli

pytestmark = pytest.mark.usefixtures("socket_enabled")

CGI = "/cgi-bin/"
KAONSU = "/kaonsu/v1/"
REBRANDS = ("hiveon", "marafw", "elphapex", "hammer", "volcminer")
STOCK_SHAPED = ("hiveon", "elphapex", "hammer", "volcminer")  # controls through the CGI
SCRYPT = ("elphapex", "hammer", "volcminer")  # rates in MH/s


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, credentials: Credentials | None = None
) -> AntminerMiner:
    client = create_miner(
        miner.family,
        miner.host,
        session,
        port=miner.port,
        rpc_port=miner.ports.get("rpc"),
        credentials=credentials,
        timeout=5,
    )
    assert isinstance(client, AntminerMiner)
    return client


async def start(simulator: Simulator, family: str, **spec: Any) -> SimulatedMiner:
    return await simulator.start(MinerSpec(family=family, **spec))


def th_per_unit(family: str) -> float:
    return 1e-6 if family in SCRYPT else 1e-3


# --- identification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "model"), [(family, model) for family in REBRANDS for model in MODEL_NAMES[family]]
)
async def test_every_simulated_model_is_identified(
    simulator: Simulator, session: aiohttp.ClientSession, family: str, model: str
) -> None:
    miner = await start(simulator, family, model=model)
    row = miner.board  # type: ignore[attr-defined]
    found = await identify(
        miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"], timeout=5
    )
    assert found.family is Family(family)
    assert found.model == model
    assert found.mac == miner.mac
    assert found.port == miner.port
    # Hiveon's version is the RPC build date; the others' the web's firmware version.
    expected_firmware = row.compile_time if family == "hiveon" else row.filesystem_version
    assert found.firmware_version == expected_firmware
    assert found.rpc_port == (None if family == "elphapex" else miner.ports["rpc"])


async def test_stock_antminer_is_not_taken_for_a_rebrand(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "antminer", model="Antminer S19j Pro")
    found = await identify(
        miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"], timeout=5
    )
    assert found.family is Family.ANTMINER


async def test_blackminer_rpc_port_defaults_to_the_firmwares_own(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "hammer")
    found = await identify(miner.host, session, port=miner.port, timeout=5)
    assert (found.family, found.rpc_port) == (Family.HAMMER, 8359)
    client = create_miner("hammer", miner.host, session)
    assert isinstance(client, AntminerMiner)
    assert client.rpc.port == 8359


async def test_volcminer_with_a_custom_login_is_identified_and_read(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "volcminer", password="hunter2")
    login = Credentials(password="hunter2")
    found = await identify(
        miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"], credentials=login
    )
    assert found.family is Family.VOLCMINER
    assert (await client_of(miner, session, login).read()).mac == miner.mac


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", REBRANDS)
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, family: str
) -> None:
    miner = await start(simulator, family, hostname="rack-3")
    row = miner.board  # type: ignore[attr-defined]
    data = await client_of(miner, session).read()
    unit = th_per_unit(family)

    assert data.family is Family(family)
    assert data.model == row.name
    assert data.mac == miner.mac
    assert data.hostname == "rack-3"
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.hashrate == pytest.approx(row.nominal_hashrate * unit, rel=0.04)
    assert data.expected_hashrate == pytest.approx(row.nominal_hashrate * unit)
    assert [board.chips for board in data.boards] == [row.chips_per_board] * row.boards
    assert all(board.board_temp for board in data.boards)
    # The physics moves on with every request: the count and plausible speeds, not the noise.
    assert len(data.fans) == row.fans
    assert all(fan.rpm and 1000 < fan.rpm < 8000 for fan in data.fans)
    configured = [pool["url"] for pool in miner.conf["pools"] if pool["url"]]  # type: ignore[attr-defined]
    assert [pool.url for pool in data.pools] == configured
    assert data.active_pool is not None
    assert data.active_pool.index == 0
    assert data.errors == ()
    if family == "marafw":
        assert data.power == pytest.approx(row.nominal_power, rel=0.02)
        assert data.power is not None
        assert data.hashrate is not None
        assert data.efficiency == pytest.approx(data.power / data.hashrate, rel=0.01)
        assert data.capabilities.power_limit is not None
        assert data.capabilities.restart_mining
    else:
        assert data.power is None  # these firmwares report no power
        assert data.power_mode == "normal"
        assert data.capabilities.power_modes == ("normal", "low", "sleep")
    if family == "elphapex":
        chip_temps = [board.chip_temp for board in data.boards]
        assert all(temp is not None and 30 < temp < 120 for temp in chip_temps)


POLLS: dict[str, tuple[list[str], int, list[tuple[str, str]]]] = {
    # family: (connect paths, RPC requests per poll, web requests per poll)
    "hiveon": (
        [CGI + "get_system_info.cgi"] * 2 + [CGI + "get_miner_conf.cgi"],
        1,
        [("GET", CGI + "get_blink_status.cgi"), ("GET", CGI + "summary.cgi")],
    ),
    "marafw": (
        [KAONSU + "overview"] * 2 + [KAONSU + "network_config"],
        1,
        [("GET", KAONSU + name) for name in ("brief", "miner_config", "locate_miner")],
    ),
    "elphapex": (
        [CGI + "get_system_info.cgi"] * 2,
        0,
        [
            ("GET", CGI + name)
            for name in (
                "stats.cgi",
                "summary.cgi",
                "pools.cgi",
                "get_blink_status.cgi",
                "get_miner_conf.cgi",
            )
        ],
    ),
    "hammer": (
        [CGI + "get_system_info.cgi"] * 2 + [CGI + "get_miner_conf.cgi"],
        1,
        [
            ("GET", CGI + name)
            for name in ("get_miner_conf.cgi", "get_blink_status.cgi", "summary.cgi")
        ],
    ),
}
POLLS["volcminer"] = POLLS["hammer"]


@pytest.mark.parametrize("family", REBRANDS)
async def test_requests_per_poll(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog, family: str
) -> None:
    connect, rpc_per_poll, per_poll = POLLS[family]
    miner = await start(simulator, family)
    client = client_of(miner, session)
    await client.read()
    assert [path for _, path in request_log.requests[: len(connect)]] == connect
    assert client.rpc.requests == rpc_per_poll
    request_log.clear()
    for _ in range(3):
        await client.read()
    assert client.rpc.requests == 4 * rpc_per_poll
    assert request_log.requests == per_poll * 3
    assert miner.auth.failures == 1  # type: ignore[attr-defined]  # one challenge, then reused


# --- controls of the CGI-shaped firmwares ----------------------------------------------------


@pytest.mark.parametrize("family", STOCK_SHAPED)
async def test_sleep_and_wake_keep_the_rest_of_the_configuration(
    simulator: Simulator, session: aiohttp.ClientSession, family: str
) -> None:
    miner = await start(simulator, family)
    client = client_of(miner, session)
    miner.conf["fan_ctrl"], miner.conf["fan_pwm"] = True, 70  # type: ignore[attr-defined]
    pools = [dict(pool) for pool in miner.conf["pools"]]  # type: ignore[attr-defined]

    await client.set_power_mode("low")
    await client.set_mining(False)
    assert miner.work_mode == simulated.MODE_SLEEP  # type: ignore[attr-defined]
    assert miner.state.paused
    data = await client.read()
    assert (data.is_mining, data.power_mode) == (False, "sleep")
    assert ReportedError("rate", "sleep mode") in data.errors

    await client.set_mining(True)
    assert miner.work_mode == 3  # type: ignore[attr-defined]  # back to low power
    assert miner.conf["pools"] == pools  # type: ignore[attr-defined]
    assert (miner.conf["fan_ctrl"], miner.conf["fan_pwm"]) == (True, 70)  # type: ignore[attr-defined]
    assert (await client.read()).power_mode == "low"


@pytest.mark.parametrize("family", STOCK_SHAPED)
async def test_pools_light_and_reboot(
    simulator: Simulator, session: aiohttp.ClientSession, family: str
) -> None:
    miner = await start(simulator, family)
    client = client_of(miner, session)
    await client.set_power_mode("low")
    await client.set_pools([PoolConfig("stratum+tcp://pool.example:3333", "me.1", "x")])
    assert miner.conf["pools"][0]["url"] == "stratum+tcp://pool.example:3333"  # type: ignore[attr-defined]
    assert miner.conf["pools"][1]["url"] == ""  # type: ignore[attr-defined]
    assert miner.work_mode == 3  # type: ignore[attr-defined]  # the mode survives
    assert [pool.url for pool in (await client.read()).pools] == ["stratum+tcp://pool.example:3333"]

    await client.set_fault_light(True)
    assert miner.blinking  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not miner.blinking  # type: ignore[attr-defined]

    # Not known to restart mining on a configuration save, as stock firmware does: not offered.
    assert not client.capabilities.restart_mining
    with pytest.raises(MinerUnsupportedError):
        await client.restart_mining()

    await client.reboot()
    assert miner.state.reboot_count == 1
    for _ in range(50):
        if miner.is_up:
            break
        await asyncio.sleep(0.05)
    assert (await client.read()).uptime is not None


async def test_elphapex_refused_configuration(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "elphapex")
    client = client_of(miner, session)
    await client.read()
    with pytest.raises(MinerCommandError, match="Invalid configuration"):
        await client._write_conf({}, mode=7, pools=[])


# --- MaraFW's REST controls ------------------------------------------------------------------


async def test_marafw_sleep_power_target_and_wake(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "marafw")
    client = client_of(miner, session)
    await client.set_power_limit(2500)
    assert miner.mode_selector == "Auto"  # type: ignore[attr-defined]
    assert miner.concorde == {"mode-select": "PowerTarget", "power-target": 2500}  # type: ignore[attr-defined]
    data = await client.read()
    assert data.power_limit == 2500
    assert data.power == pytest.approx(2500, rel=0.02)

    await client.set_mining(False)
    assert miner.mode_selector == "Sleep"  # type: ignore[attr-defined]
    assert miner.state.paused
    assert (await client.read()).is_mining is False
    await client.set_mining(True)
    assert miner.mode_selector == "Auto"  # type: ignore[attr-defined]  # where it slept from
    assert miner.concorde["power-target"] == 2500  # type: ignore[attr-defined]
    await client.set_mining(True)  # already mining: nothing to do
    assert (await client.read()).is_mining is True


async def test_marafw_power_limit_outside_the_range(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator, "marafw")
    client = client_of(miner, session)
    with pytest.raises(MinerCommandError, match="outside 1000-3500 W"):
        await client.set_power_limit(5000)
    # The firmware's own refusal reaches the caller with its reason.
    monkeypatch.setattr(simulated, "MARA_POWER_MAX", 2000)
    with pytest.raises(MinerCommandError, match="power target must be 1000-2000 W"):
        await client.set_power_limit(2500)
    assert miner.mode_selector == "Stock"  # type: ignore[attr-defined]


async def test_marafw_pools_light_reboot_and_restart(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "marafw")
    client = client_of(miner, session)
    await client.set_power_limit(3000)
    await client.set_pools(
        [PoolConfig("stratum+tcp://a.example:3333", "me.a"), PoolConfig("stratum+tcp://b:1", "b")]
    )
    assert [pool["url"] for pool in miner.conf["pools"]] == [  # type: ignore[attr-defined]
        "stratum+tcp://a.example:3333",
        "stratum+tcp://b:1",
        "",
    ]
    assert miner.concorde["power-target"] == 3000  # type: ignore[attr-defined]  # kept
    with pytest.raises(MinerCommandError):
        await client.set_pools([])
    with pytest.raises(MinerCommandError):
        await client.set_pools([PoolConfig(" ", "x")])

    await client.set_fault_light(True)
    assert miner.blinking  # type: ignore[attr-defined]
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert not miner.blinking  # type: ignore[attr-defined]

    miner.state.uptime = 500.0
    await client.restart_mining()
    assert miner.restarts == 1  # type: ignore[attr-defined]
    assert miner.state.uptime < 500
    await client.reboot()
    assert miner.state.reboot_count == 1


# --- logins ------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", REBRANDS)
async def test_wrong_password(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    family: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    miner = await start(simulator, family, password="secret-one")
    with pytest.raises(MinerAuthError) as raised:
        await client_of(miner, session, Credentials(password="not-it")).read()
    assert "not-it" not in str(raised.value)
    client = client_of(miner, session, Credentials(password="secret-one"))
    assert (await client.read()).mac
    await client.set_fault_light(True)
    assert "secret-one" not in repr(client.credentials)
    assert "secret-one" not in caplog.text
    assert "not-it" not in caplog.text


@pytest.mark.parametrize("family", REBRANDS)
async def test_a_forgotten_login_is_renewed(
    simulator: Simulator, session: aiohttp.ClientSession, family: str
) -> None:
    miner = await start(simulator, family)
    client = client_of(miner, session)
    await client.read()
    miner.auth._nonces.clear()  # type: ignore[attr-defined]  # as after the web server restarts
    assert (await client.read()).mac == miner.mac
    assert miner.auth.failures == 2  # type: ignore[attr-defined]
    assert "ltc@dog" not in repr(client)


# --- parsers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("Antminer S19JPRO Hiveon", "Antminer S19JPRO"),
        ("ANTMINER S19X88 HIVEON", "ANTMINER S19X88"),
        ("Antminer T9", "Antminer T9"),
        ("Hiveon", None),
        (None, None),
    ],
)
def test_hiveon_model_from_type(text: str | None, model: str | None) -> None:
    assert hiveon.model_from_type(text) == model


def test_blackminer_summary_and_stats_in_mh() -> None:
    summary = antminer.parse_summary({"SUMMARY": [{"MHS 5s": "4885.0813", "Elapsed": 10}]})
    assert summary.hashrate == pytest.approx(0.0048850813)
    stats = antminer.parse_stats(
        {
            "STATS": [
                {"Type": "Hammer D10"},
                {"chain_acn1": 108, "chain_rate1": "1578.2742", "temp1": 42, "MHS 5s": "4686.4"},
            ]
        },
        default_unit="MH",
    )
    assert stats.boards[0].hashrate == pytest.approx(0.0015782742)
    assert stats.boards[0].board_temp == 42
    assert stats.hashrate == pytest.approx(0.0046864)


def test_elphapex_and_marafw_parsers_on_sparse_replies() -> None:
    assert elphapex.parse_summary({"SUMMARY": []}) == (None, None)
    assert (
        elphapex.parse_pools({"POOLS": [{"url": "stratum+tcp://x:1", "status": "Dead"}]})[0].active
        is False
    )
    assert marafw.parse_mode({"mode": "Sleep"}) == (None, None)
    assert marafw.parse_mode({"mode": {"work-mode-selector": "Stock"}}) == ("Stock", None)
    assert marafw.parse_brief({}) == marafw.Brief()
    with pytest.raises(MinerProtocolError):
        marafw.parse_overview([])


WORDS = st.text(alphabet="abcXYZ 019.-", max_size=6)
KEYS = st.sampled_from(
    [
        "STATS", "SUMMARY", "POOLS", "chain", "temp_chip", "temp_pcb", "rate_real", "fan",
        "index", "url", "status", "priority", "mode", "work-mode-selector", "concorde",
        "mode-select", "power-target", "power_consumption_estimated", "mac", "model",
        "elapsed", "bestshare", "rate_unit", "asic_num", "MHS 5s", "chain_rate1",
    ]
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | WORDS, inner, max_size=5),
    max_leaves=25,
)
PARSERS = (
    elphapex.parse_stats,
    elphapex.parse_summary,
    elphapex.parse_pools,
    marafw.parse_overview,
    marafw.parse_brief,
    marafw.parse_mode,
)


@given(VALUES)
@settings(max_examples=300, deadline=None)
def test_parsers_raise_nothing_but_protocol_errors(value: Any) -> None:
    for parser in PARSERS:
        with contextlib.suppress(MinerProtocolError):
            parser(value)
    hiveon.model_from_type(value if isinstance(value, str) else None)
    if isinstance(value, dict):
        with contextlib.suppress(MinerProtocolError):
            antminer.parse_summary(value)
        antminer.parse_stats(value, default_unit="MH")


# --- odd answers -------------------------------------------------------------------------------


def answer(payload: Any, status: int = 200) -> Any:
    """A replacement for a simulated route that answers ``payload`` (text when a str)."""

    async def handler(_request: web.BaseRequest) -> web.Response:
        if isinstance(payload, str):
            return web.Response(status=status, text=payload)
        return web.json_response(payload, status=status)

    return handler


async def probe_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    rpc_version: dict[str, Any] | None = None,
    credentials: Credentials | None = None,
) -> Probe:
    async def version() -> dict[str, Any] | None:
        return rpc_version

    return Probe(
        session=session,
        http=HttpTransport(session, miner.host, miner.port, timeout=5),
        host=miner.host,
        port=miner.port,
        rpc_port=miner.ports["rpc"],
        credentials=credentials or Credentials(),
        timeout=5,
        page=WebPage(status=401, body="", realm=None),
        rpc_version=asyncio.ensure_future(version()),
    )


async def test_marafw_odd_answers(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "marafw")
    client = client_of(miner, session)
    assert client.capabilities == Capabilities()  # unknown before the first read
    miner.kaonsu_network = answer("404 Not Found", status=404)  # type: ignore[attr-defined]
    data = await client.read()
    assert data.hostname is None  # the rest stands
    assert client.capabilities.power_limit == NumberRange(1000, 3500, 50)

    miner.kaonsu_locate = answer("ok")  # type: ignore[attr-defined]
    with pytest.raises(MinerProtocolError, match="no JSON"):
        await client.set_fault_light(True)
    miner.kaonsu_locate = answer({"blinking": False})  # type: ignore[attr-defined]
    with pytest.raises(MinerCommandError, match="did not start blinking"):
        await client.set_fault_light(True)
    miner.kaonsu_miner_config = answer({"pools": []})  # type: ignore[attr-defined]
    with pytest.raises(MinerProtocolError, match="without a mode"):
        await client.set_mining(False)


async def test_marafw_confirmation_without_its_rest_api(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "marafw", password="secret-one")
    kaonsu = {"VERSION": [{"Type": "Antminer S19 XP"}], "STATUS": [{"Description": "kaonsu 1"}]}
    # The RPC names MaraFW: the family stands, the facts behind the login stay unknown.
    found = await marafw.confirm(await probe_of(miner, session, kaonsu))
    assert found is not None
    assert (found.family, found.model, found.mac) == (Family.MARAFW, None, None)
    # Neither the RPC nor the REST API: not MaraFW.
    assert await marafw.confirm(await probe_of(miner, session)) is None
    login = Credentials(password="secret-one")
    found = await marafw.confirm(await probe_of(miner, session, credentials=login))
    assert found is not None
    assert found.mac == miner.mac


async def test_elphapex_behind_an_unknown_login_is_named_by_its_realm(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, "elphapex", password="secret-one")
    found = await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.model, found.mac) == (Family.ELPHAPEX, None, None)


@pytest.mark.parametrize("family", ["hammer", "volcminer"])
async def test_blackminer_behind_an_unknown_login_is_named_by_its_rpc(
    simulator: Simulator, session: aiohttp.ClientSession, family: str
) -> None:
    miner = await start(simulator, family, password="secret-one")
    found = await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.model, found.mac) == (Family(family), miner.model_name, None)
    miner.set_fault(Fault.BACKEND_DOWN, path="version")
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])


# --- command line ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["marafw", "elphapex", "hammer", "volcminer"])
async def test_command_line_identifies_by_the_web_alone(simulator: Simulator, family: str) -> None:
    """The CLI probes the standard RPC port, which the simulator does not use: these
    families are told by their web answers alone (Hiveon needs its RPC)."""
    miner = await start(simulator, family)
    code, out, err = await run_cli("identify", f"{miner.host}:{miner.port}")
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert (shown["family"], shown["model"], shown["mac"]) == (family, miner.model_name, miner.mac)


async def test_command_line_reads_an_elphapex(simulator: Simulator) -> None:
    miner = await start(simulator, "elphapex", password="secret-one")
    code, out, err = await run_cli(
        "read", f"{miner.host}:{miner.port}", "--family", "elphapex", "--password", "secret-one"
    )
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert (shown["family"], shown["model"], shown["mac"]) == ("elphapex", "DG1+", miner.mac)
    assert shown["hashrate"] > 0
    assert "secret-one" not in out


@pytest.mark.parametrize("family", ["hiveon", "marafw", "hammer", "volcminer"])
async def test_command_line_reads_with_the_rpc_port(simulator: Simulator, family: str) -> None:
    """The families that read over RPC, with the port given as a user behind forwarding does."""
    miner = await start(simulator, family, password="secret-one")
    code, out, err = await run_cli(
        "read",
        f"{miner.host}:{miner.port}",
        "--family",
        family,
        "--password",
        "secret-one",
        "--rpc-port",
        str(miner.ports["rpc"]),
    )
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert (shown["family"], shown["mac"]) == (family, miner.mac)
    assert shown["hashrate"] > 0
    assert "secret-one" not in out


async def test_blackminer_without_a_model_name_is_not_guessed(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator, "hammer")
    original = miner.system_info  # type: ignore[attr-defined]
    monkeypatch.setattr(miner, "system_info", lambda: {**original(), "minertype": ""})
    with pytest.raises(MinerUnsupportedError):
        await identify(miner.host, session, port=miner.port, rpc_port=miner.ports["rpc"])


async def test_hiveon_by_its_rpc_alone(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    miner = await start(simulator, "hiveon")
    found = await identify(miner.host, session, port=closed_port, rpc_port=miner.ports["rpc"])
    assert (found.family, found.model, found.mac) == (Family.HIVEON, "Antminer S19JPRO", None)


async def test_marafw_without_its_rpc_is_named_by_its_rest_api(
    simulator: Simulator, session: aiohttp.ClientSession, closed_port: int
) -> None:
    """No RPC marker to go by: the stock check finds the kaonsu API and stands aside."""
    miner = await start(simulator, "marafw")
    found = await identify(miner.host, session, port=miner.port, rpc_port=closed_port)
    assert (found.family, found.model, found.mac) == (Family.MARAFW, "Antminer S19 XP", miner.mac)
