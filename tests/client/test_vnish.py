"""The Vnish (AnthillOS) client against simulated miners: reads matched to what the miner
served, requests per poll, unlock and token renewal, every control's effect on the miner,
identification of every simulated model (never as stock Antminer), and the parsers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
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
    NumberRange,
    PoolConfig,
    ReportedError,
    connect,
    create_miner,
    identify,
)
from custom_components.asic.client.families import vnish as family
from custom_components.asic.client.families.vnish import Preset, VnishMiner
from custom_components.asic.client.identify import _rpc_version
from custom_components.asic.client.probe import Probe, WebPage
from custom_components.asic.client.transport.http import HttpTransport, decode_json
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families import vnish as simulated
from tests.simulator.families.vnish import VnishMiner as SimulatedVnish
from tests.simulator.families.vnish_models import VNISH_MODELS

from .conftest import RequestLog, ServeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

API = "/api/v1/"
POLL = sorted(API + route for route in family.POLL_ROUTES)


async def start(simulator: Simulator, model: str = "Antminer S19j Pro", **spec: Any) -> Any:
    miner = await simulator.start(MinerSpec(family="vnish", model=model, **spec))
    assert isinstance(miner, SimulatedVnish)
    return miner


def client_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    credentials: Credentials | None = None,
) -> VnishMiner:
    client = create_miner(
        "vnish", miner.host, session, port=miner.ports["web"], credentials=credentials, timeout=5
    )
    assert isinstance(client, VnishMiner)
    return client


def record(miner: Any) -> dict[str, Any]:
    """What the miner served in its last ``info`` and ``summary``."""
    seen: dict[str, Any] = {}
    for name in ("info", "summary"):
        original = getattr(miner, name)

        def wrapped(original: Any = original, name: str = name) -> Any:
            seen[name] = json.loads(json.dumps(original()))
            return seen[name]

        setattr(miner, name, wrapped)
    return seen


def locating(miner: Any) -> bool:
    return bool(miner.find_miner_on)


def th(value: float) -> float:
    return value / 1000  # the firmware reports GH/s


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [model.name for model in VNISH_MODELS])
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-7")
    miner.booted_at = time.monotonic() - (2 * 86400 + 3 * 3600 + 4 * 60 + 5)
    seen = record(miner)
    client = client_of(miner, session)
    data = await client.read()
    served = seen["summary"]["miner"]
    row = miner.vnish_model

    assert data.family is Family.VNISH
    assert data.model == model
    assert data.firmware_version == "1.2.6"
    assert data.mac == miner.mac.upper()
    assert data.hostname == "rack-7"
    assert data.serial == miner.serial
    assert data.uptime == 2 * 86400 + 3 * 3600 + 4 * 60  # "2 days, 03:04"
    assert data.is_mining is True
    assert data.hashrate == pytest.approx(th(served["hr_realtime"]))
    assert data.expected_hashrate == pytest.approx(th(served["hr_nominal"]))
    assert data.power == served["power_consumption"]
    assert data.efficiency == served["power_efficiency"]
    assert data.power_limit == float(row.default_preset)
    assert data.power_mode == row.default_preset
    assert data.fault_light is False
    assert data.fan_auto is True
    assert data.core_voltage == row.default_voltage / 1000
    assert data.frequency == pytest.approx(served["chains"][0]["frequency"])
    assert len(data.boards) == 3
    for board, chain in zip(data.boards, served["chains"], strict=True):
        assert board.index == chain["id"]
        assert board.hashrate == pytest.approx(th(chain["hashrate_rt"]))
        assert board.expected_hashrate == pytest.approx(th(chain["hashrate_ideal"]))
        assert board.chip_temp == chain["chip_temp"]["max"]
        assert board.board_temp == chain["pcb_temp"]["max"]
        assert board.chips == board.expected_chips == miner.board.chips_per_board
    assert data.chip_temp_max == max(chain["chip_temp"]["max"] for chain in served["chains"])
    assert data.board_temp_max == max(chain["pcb_temp"]["max"] for chain in served["chains"])
    assert [(fan.rpm, fan.percent) for fan in data.fans] == [
        (fan["rpm"], served["cooling"]["fan_duty"]) for fan in served["cooling"]["fans"]
    ]
    stored = miner.settings["miner"]["pools"]
    assert [(pool.url, pool.user, pool.active) for pool in data.pools] == [
        (stored[0]["url"], stored[0]["user"], True),
        (stored[1]["url"], stored[1]["user"], False),
    ]
    assert data.shares_accepted == sum(pool["accepted"] for pool in served["pools"])
    assert data.using_fallback_pool is False
    assert data.errors == ()
    tuned = [preset for preset in row.presets if preset.tuned]
    assert data.capabilities.power_modes == tuple(preset.name for preset in tuned)
    assert data.capabilities.power_limit == NumberRange(
        min(p.watts for p in tuned), max(p.watts for p in tuned), 1
    )
    caps = data.capabilities
    assert (caps.mining_switch, caps.fault_light, caps.reboot, caps.restart_mining, caps.pools) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert client.capabilities == data.capabilities


async def test_requests_per_poll(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    assert request_log.count(API + "unlock") == 1
    assert request_log.count(API + "autotune/presets") == 1
    assert request_log.count() == 2 + len(POLL)
    request_log.clear()
    await client.read()
    assert sorted(path for _, path in request_log.requests) == POLL


async def test_reconnects_after_a_reboot_and_a_new_preset_list(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    miner.booted_at = time.monotonic() - 7200
    client = client_of(miner, session)
    assert (await client.read()).uptime == 7200
    await client.reboot()
    assert miner.state.reboot_count == 1
    await miner.wait_until_down()
    await miner.wait_until_up()
    request_log.clear()
    assert (await client.read()).uptime == 0
    assert request_log.count(API + "unlock") == 1  # the miner forgot the token
    # A preset the client has not seen (tuning finished, firmware changed): read them again.
    client._presets = ()
    request_log.clear()
    data = await client.read()
    assert request_log.count(API + "autotune/presets") == 1
    assert data.power_mode in data.capabilities.power_modes


async def test_paused_manual_clocks_and_offline(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.settings["miner"]["overclock"]["preset"] = "disabled"
    miner.settings["miner"]["cooling"]["mode"] = {"name": "manual", "param": 60}
    miner.miner_state = "stopped"
    miner.tick()
    data = await client.read()
    assert data.is_mining is False
    assert data.hashrate == 0
    assert data.power_mode == "disabled"
    assert data.power_limit is None
    assert data.fan_auto is False
    assert data.efficiency is None
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(MinerConnectionError):
        await client.read()


# --- auth -----------------------------------------------------------------------------------


async def test_wrong_password_and_lockout(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator, password="right-one")
    client = client_of(miner, session, Credentials(password="s3cret-wrong"))
    with pytest.raises(MinerAuthError) as caught:
        await client.read()
    assert "s3cret-wrong" not in str(caught.value)
    miner.locked_until = time.monotonic() + 30
    with pytest.raises(MinerAuthError, match=r"try again in \d+ s"):
        await client_of(miner, session, Credentials(password="right-one")).read()


async def test_custom_password(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    miner = await start(simulator, password="hunter22")
    client = client_of(miner, session, Credentials(password="hunter22"))
    assert (await client.read()).model == "Antminer S19j Pro"
    with pytest.raises(MinerAuthError):
        await client_of(miner, session).read()
    assert "hunter22" not in repr(client) + repr(client.credentials)
    assert client._token is not None
    assert client._token not in repr(client) + caplog.text


async def test_expired_token_is_renewed(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    miner = await start(simulator, password="pw-secret")
    client = client_of(miner, session, Credentials(password="pw-secret"))
    await client.read()
    token = client._token
    miner.tokens.clear()  # expired, or invalidated by the miner
    request_log.clear()
    await client.set_mining(False)
    assert miner.miner_state == "stopped"
    assert request_log.count(API + "unlock") == 1
    assert request_log.count(API + "mining/pause") == 2  # refused once, then sent again
    assert client._token != token
    for text in (token or "", client._token or "", "pw-secret"):
        assert text not in caplog.text


async def test_a_token_refused_twice_is_an_auth_error(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    monkeypatch.setattr(miner, "authorized", lambda _request: False)
    with pytest.raises(MinerAuthError):
        await client.restart_mining()


async def test_unlock_without_a_token(serve: ServeFactory, session: aiohttp.ClientSession) -> None:
    async def unlock(_request: web.Request) -> web.Response:
        return web.json_response({"unlock_timeout": None})

    port = await serve({API + "unlock": unlock})
    client = create_miner("vnish", "127.0.0.1", session, port=port, timeout=5)
    with pytest.raises(MinerProtocolError, match="without a token"):
        await client.read()


# --- controls -------------------------------------------------------------------------------


async def test_pause_resume_and_restart(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_mining(False)
    assert (miner.miner_state, miner.paused_only) == ("stopped", True)
    assert miner.state.paused is True
    data = await client.read()
    assert data.is_mining is False
    assert data.hashrate == 0
    await client.set_mining(True)
    assert (miner.miner_state, miner.paused_only) == ("mining", False)
    assert (await client.read()).is_mining is True
    await client.restart_mining()
    assert miner.restart_count == 1


async def test_a_stopped_miner_is_started_when_resume_is_refused(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    miner.miner_state = "stopped"

    async def not_paused(_request: web.BaseRequest) -> web.Response:
        return web.json_response({"err": "Mining is not paused"}, status=500)

    original = miner.rest_mining
    monkeypatch.setattr(
        miner, "rest_mining", lambda action: not_paused if action == "resume" else original(action)
    )
    await client.set_mining(True)
    assert miner.miner_state == "mining"


async def test_fault_light(
    simulator: Simulator, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert locating(miner) is True
    assert miner.state.identify_active is True
    assert (await client.read()).fault_light is True
    request_log.clear()
    await client.set_fault_light(True)  # already on: the toggle is not sent
    assert request_log.count(API + "find-miner") == 0
    await client.set_fault_light(False)
    assert locating(miner) is False
    assert (await client.read()).fault_light is False


async def test_fault_light_that_does_not_follow(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)

    async def stuck(_request: web.BaseRequest) -> web.Response:
        return web.json_response({"on": False})

    monkeypatch.setattr(miner, "rest_find_miner", stuck)
    with pytest.raises(MinerCommandError, match="locate LED on"):
        await client.set_fault_light(True)


async def test_power_limit_picks_the_highest_tuned_preset_below(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)  # S19j Pro: 2100 2400 2700 3100 3300, 3600 untuned
    client = client_of(miner, session)
    before = json.loads(json.dumps(miner.settings))
    await client.set_power_limit(2999)  # before any read: it connects first
    assert miner.settings["miner"]["overclock"]["preset"] == "2700"
    assert miner.vnish_physics.target_power == 2700
    data = await client.read()
    assert (data.power_limit, data.power_mode) == (2700, "2700")
    # Everything else of the settings is as it was.
    after = json.loads(json.dumps(miner.settings))
    after["miner"]["overclock"]["preset"] = before["miner"]["overclock"]["preset"]
    assert after == before
    await client.set_power_limit(5000)
    assert miner.settings["miner"]["overclock"]["preset"] == "3300"  # 3600 is not tuned
    with pytest.raises(MinerCommandError, match="the lowest is 2100 W"):
        await client.set_power_limit(2000)
    assert miner.settings["miner"]["overclock"]["preset"] == "3300"
    client._presets = (Preset("3600", tuned=False),)
    with pytest.raises(MinerCommandError, match=r"no tuned Vnish preset at or below 9000 W$"):
        await client.set_power_limit(9000)


async def test_power_modes(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "Antminer S21")
    client = client_of(miner, session)
    await client.set_power_mode("2500")
    assert miner.settings["miner"]["overclock"]["preset"] == "2500"
    assert (await client.read()).power_mode == "2500"
    with pytest.raises(MinerCommandError, match="not tuned yet"):
        await client.set_power_mode("4300")
    with pytest.raises(MinerCommandError, match="does not exist"):
        await client.set_power_mode("eco")
    assert miner.settings["miner"]["overclock"]["preset"] == "2500"
    # A preset the firmware ignores (it keeps its own) is reported, not assumed.
    client._presets = tuple(Preset(p.name, tuned=True) for p in client._presets or ())
    with pytest.raises(MinerCommandError, match="kept the preset 2500 instead of 4300"):
        await client.set_power_mode("4300")


async def test_pools_read_modify_write(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.settings["miner"]["cooling"]["mode"] = {"name": "manual", "param": 70}
    await client.set_power_mode("2400")
    before = json.loads(json.dumps(miner.settings))
    await client.set_pools(
        [
            PoolConfig("stratum+tcp://a.example:3333", "me.1", "p1"),
            PoolConfig("stratum+tcp://b.example:3333", "me.2"),
        ]
    )
    assert miner.settings["miner"]["pools"] == [
        {"url": "stratum+tcp://a.example:3333", "user": "me.1", "pass": "p1"},
        {"url": "stratum+tcp://b.example:3333", "user": "me.2", "pass": "x"},
        {"url": "", "user": "", "pass": ""},
    ]
    after = json.loads(json.dumps(miner.settings))
    after["miner"]["pools"] = before["miner"]["pools"]
    assert after == before  # cooling, preset, network: untouched
    assert miner.conf["pools"][0]["url"] == "stratum+tcp://a.example:3333"  # the RPC's view
    data = await client.read()
    assert [pool.url for pool in data.pools] == [
        "stratum+tcp://a.example:3333",
        "stratum+tcp://b.example:3333",
    ]
    for wrong in ([], [PoolConfig("u", "w")] * 4, [PoolConfig(" ", "w")]):
        with pytest.raises(MinerCommandError):
            await client.set_pools(wrong)


async def test_a_write_that_needs_a_restart(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    monkeypatch.setattr(simulated, "SAVED", {"reboot_required": False, "restart_required": True})
    await client.set_pools([PoolConfig("stratum+tcp://a.example:3333", "me")])
    assert miner.restart_count == 1


async def test_refusals_carry_the_firmware_reason(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)

    async def refuse(_request: web.BaseRequest) -> web.Response:
        return web.json_response({"err": "Miner is busy with autotune"}, status=500)

    monkeypatch.setattr(miner, "rest_mining_restart", refuse)
    with pytest.raises(MinerCommandError, match="Miner is busy with autotune"):
        await client.restart_mining()

    async def refuse_in_text(_request: web.BaseRequest) -> web.Response:
        return web.Response(status=500, text="mining service is down")

    monkeypatch.setattr(miner, "rest_mining_restart", refuse_in_text)
    with pytest.raises(MinerCommandError, match="mining service is down"):
        await client.restart_mining()

    async def no_miner_section(_request: web.BaseRequest) -> web.Response:
        return web.json_response({"network": {}})

    monkeypatch.setattr(miner, "rest_get_settings", no_miner_section)
    with pytest.raises(MinerProtocolError, match="without a miner section"):
        await client.set_pools([PoolConfig("stratum+tcp://a.example:3333", "me")])


# --- identification -------------------------------------------------------------------------


@pytest.mark.parametrize("model", [model.name for model in VNISH_MODELS])
async def test_identify_every_model(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, firmware="1.2.7")
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.VNISH
    assert found.model == model
    assert found.firmware_version == "1.2.7"
    assert found.mac == miner.mac.upper()
    assert (found.api_flavour, found.port) == ("rest", miner.ports["web"])
    client = await connect(miner.host, session, port=miner.ports["web"])
    assert isinstance(client, VnishMiner)
    assert (await client.read()).model == model


async def _probe(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    *,
    body: str,
    web_port: int | None = None,
    web_down: bool = False,
) -> Probe:
    port = web_port or miner.ports["web"]
    return Probe(
        session=session,
        http=HttpTransport(session, miner.host, port, timeout=5),
        host=miner.host,
        port=port,
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(),
        timeout=5,
        page=WebPage(status=200, body=body, realm=None),
        rpc_version=asyncio.ensure_future(_rpc_version(miner.host, miner.ports["rpc"], 5)),
        web_down=web_down,
    )


async def test_identify_by_rpc_alone(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    """Builds before 1.2.6 name themselves in the RPC ``version``; later ones leave it empty."""
    miner = await start(simulator, "Antminer S21", firmware="1.3.4")
    probe = await _probe(miner, session, body="", web_down=True)
    assert await probe.rpc_version is None  # the simulated 1.3.4 answers nothing, as the real one
    assert await family.confirm(probe) is None

    async def older_build() -> dict[str, Any] | None:
        return {"VERSION": [{"Type": "Antminer S21 (Vnish 1.2.0)", "API": "3.1"}]}

    probe = dataclasses.replace(probe, rpc_version=asyncio.ensure_future(older_build()))
    down = await family.confirm(probe)
    assert down is not None
    assert (down.family, down.model, down.firmware_version, down.mac) == (
        Family.VNISH,
        "Antminer S21",
        "1.2.0",
        None,
    )


async def test_anthill_page_without_an_api(
    simulator: Simulator, session: aiohttp.ClientSession, plain_web_server: int
) -> None:
    miner = await start(simulator)
    found = await family.confirm(
        await _probe(miner, session, body="<title>AnthillOS</title>", web_port=plain_web_server)
    )
    assert found is not None
    assert (found.family, found.model, found.firmware_version) == (Family.VNISH, None, None)


async def test_never_stock_antminer_and_stock_never_vnish(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    stock = await simulator.start(MinerSpec(family="antminer", model="Antminer S19j Pro"))
    assert await family.confirm(await _probe(stock, session, body="")) is None
    found = await identify(
        stock.host, session, port=stock.ports["web"], rpc_port=stock.ports["rpc"]
    )
    assert found.family is Family.ANTMINER
    miner = await start(simulator)
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert found.family is Family.VNISH


async def test_identify_when_the_page_is_bare(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build whose page does not say AnthillOS: the RPC names the firmware."""
    miner = await start(simulator)
    monkeypatch.setattr(simulated, "ROOT_PAGE", "<html><div id=root></div></html>")
    found = await identify(
        miner.host, session, port=miner.ports["web"], rpc_port=miner.ports["rpc"]
    )
    assert (found.family, found.model) == (Family.VNISH, "Antminer S19j Pro")


# --- parsers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10 days, 18:00", 10 * 86400 + 18 * 3600),
        ("1 day, 02:03", 86400 + 2 * 3600 + 3 * 60),
        ("3:04", 3 * 3600 + 4 * 60),
        ("2 days, 5 min", 2 * 86400 + 300),
        ("45 min", 2700),
        ("3 days", 3 * 86400),
        ("soon", None),
        (None, None),
    ],
)
def test_uptime(text: str | None, seconds: int | None) -> None:
    assert family.parse_uptime(text) == seconds


def test_reported_errors() -> None:
    summary = {
        "miner": {
            "miner_status": {
                "miner_state": "failure",
                "failure_code": 7,
                "description": "Chain 2 break detected",
            },
            "chains": [
                {"id": 1, "status": {"state": "mining"}},
                {"id": 2, "status": {"state": "failure", "description": "0 of 126 chips"}},
                {"status": {"state": "disconnected"}},
            ],
            "cooling": {"fans": [{"id": 0, "rpm": 0, "status": "lost"}, {"status": "lost"}]},
        }
    }
    parsed = family.parse_summary(summary)
    assert parsed.is_mining is False
    assert parsed.errors == (
        ReportedError("7", "Chain 2 break detected"),
        ReportedError("board_failure", "Hashboard 2 has failed: 0 of 126 chips"),
        ReportedError("board_disconnected", "Hashboard 2 is not connected"),
        ReportedError("fan_lost", "Fan 0 gives no speed signal"),
        ReportedError("fan_lost", "Fan 1 gives no speed signal"),
    )
    bare = family.parse_summary({"miner": {"miner_status": {"miner_state": "failure"}}})
    assert bare.errors == (ReportedError("failure", "The mining program stopped on a failure"),)


def test_odd_replies() -> None:
    for parser in (family.parse_info, family.parse_summary, family.parse_current_preset):
        with pytest.raises(MinerProtocolError):
            parser([])
    with pytest.raises(MinerProtocolError):
        family.parse_summary({"miner": None})
    with pytest.raises(MinerProtocolError):
        family.parse_presets({"presets": "none"})
    assert family.parse_presets(
        {"presets": [{"name": "disabled"}, {"name": "3100", "status": "tuned"}, 4, {"name": ""}]}
    ) == (Preset("3100", tuned=True),)
    assert family.parse_info({"hr_measure": "MH/s"}).hashrate_unit == "MH"
    assert family.parse_info({"hr_measure": "furlongs"}).hashrate_unit == "GH"
    assert family.parse_info({"system": {"miner_name": "Antminer L7"}}).model == "Antminer L7"
    assert family.parse_find_miner(None) is None
    assert family.parse_find_miner({"on": True}) is True
    assert family.model_from_type(None) is None
    assert family.firmware_from_type("Antminer S19") is None
    assert family.firmware_from_type("Antminer S21 Hydro (Vnish 1.2.6)") == "1.2.6"
    assert family.model_from_type("Antminer S21 Hydro (Vnish 1.2.6)") == "Antminer S21 Hydro"
    summary = family.parse_summary(
        {
            "miner": {
                "miner_type": "Antminer S19 (Vnish 1.2.0)",
                "chains": [{"chip_statuses": {"grey": "x"}, "hashrate_rt": 1000}],
                "pools": [
                    {"url": "DevFee", "pool_type": "DevFee", "status": "active"},
                    {"url": "p:1", "status": "offline"},
                    {"url": "q:2"},
                ],
            }
        },
        "MH",
    )
    assert summary.boards[0].index == 0
    assert summary.boards[0].chips is None
    assert summary.boards[0].expected_chips == 76  # the S19's row, from its miner_type
    assert summary.boards[0].hashrate == pytest.approx(0.001)
    assert [(p.index, p.active, p.alive) for p in summary.pools] == [
        (1, False, False),
        (2, None, None),
    ]
    assert summary.frequency is None
    assert summary.fan_auto is None
    data = family.build_miner_data(
        family.Info(),
        summary,
        preset=None,
        fault_light=None,
        capabilities=family.capabilities_for(()),
    )
    assert (data.model, data.firmware_version) == ("Antminer S19", "1.2.0")
    assert data.power_limit is None
    assert data.using_fallback_pool is None
    assert data.capabilities.power_limit is None
    assert data.capabilities.power_modes == ()


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-:() 0123456789", max_size=12)
KEYS = st.sampled_from(
    [
        "miner", "system", "network_status", "mac", "hostname", "uptime", "hr_measure", "chains",
        "cooling", "fans", "pools", "miner_status", "miner_state", "chip_statuses", "status",
        "current_preset", "name", "presets", "find_miner", "on", "url", "id", "pcb_temp", "max",
        "settings", "mode", "fan_duty", "hr_realtime", "frequency", "voltage", "miner_type",
    ]
) | WORDS  # fmt: skip
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30,
)
PARSERS = (
    family.parse_info,
    family.parse_summary,
    family.parse_presets,
    family.parse_current_preset,
    family.parse_find_miner,
    family.parse_uptime,
    family.model_from_type,
    family.firmware_from_type,
)


@given(JSONISH)
@settings(max_examples=300, deadline=None)
def test_every_parser_takes_any_json_value(value: Any) -> None:
    for parser in PARSERS:
        with contextlib.suppress(MinerProtocolError):
            parser(value)
    with contextlib.suppress(MinerProtocolError):
        family.parse_summary({"miner": value})
    with contextlib.suppress(MinerProtocolError):
        family.parse_info({"system": value, "hr_measure": value, "miner": value})


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_every_parser_takes_any_bytes(data: bytes) -> None:
    for parser in PARSERS:
        with contextlib.suppress(MinerProtocolError):
            parser(decode_json(data, "miner"))


# --- command line ---------------------------------------------------------------------------


async def test_cli_identify_and_read(simulator: Simulator) -> None:
    """``python -m custom_components.asic.client`` in a child process, default password."""
    from .test_cli import CORE_KEYS, IDENTITY_KEYS, run_cli

    miner = await start(simulator, "Antminer S19 XP", hostname="xp-1")
    where = f"{miner.host}:{miner.ports['web']}"
    code, out, err = await run_cli("identify", where)
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert set(shown) == IDENTITY_KEYS
    assert (shown["family"], shown["model"], shown["mac"]) == (
        "vnish",
        "Antminer S19 XP",
        miner.mac.upper(),
    )
    code, out, err = await run_cli("read", where, "--family", "vnish", "--password", "admin")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) >= CORE_KEYS
    assert (data["family"], data["hostname"], data["power_limit"]) == ("vnish", "xp-1", 3000)
    assert data["capabilities"]["power_limit"] == {"min": 2200, "max": 3300, "step": 1}
    assert data["capabilities"]["power_modes"] == ["2200", "2600", "3000", "3300"]
