"""The Whatsminer client (API v2) against simulated M30S, M63S and old-firmware miners: what
it reads, how many requests a poll costs, the privileged controls and their tokens, the locked
API and wrong passwords, identification, and the recorded replies of real miners."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
from pathlib import Path
import sys
from typing import Any

import aiohttp
import pytest

from custom_components.asic.client import (
    Capabilities,
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
from custom_components.asic.client.errors import MinerLockedError
from custom_components.asic.client.families import whatsminer as family
from custom_components.asic.client.families.whatsminer import WhatsminerMiner
from custom_components.asic.client.probe import Probe, WebPage
from custom_components.asic.client.transport import btminer, rpc as rpc_module
from custom_components.asic.client.transport.http import HttpTransport
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

PASSWORD = "hunter22"
HIGH_POWER_230V = "Input voltage below 230 V for high power mode"


async def start(simulator: Simulator, model: str = "M30S", **spec: Any) -> SimulatedMiner:
    spec.setdefault("password", PASSWORD)
    return await simulator.start(MinerSpec(family="whatsminer", model=model, **spec))


def client_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, password: str | None = PASSWORD
) -> WhatsminerMiner:
    client = create_miner(
        "whatsminer",
        miner.host,
        session,
        rpc_port=miner.ports["rpc"],
        credentials=Credentials(password=password),
        timeout=3,
    )
    assert isinstance(client, WhatsminerMiner)
    return client


def sim(miner: SimulatedMiner) -> Any:
    return miner  # the Whatsminer simulator's own attributes, untyped


def record_summary(miner: SimulatedMiner) -> dict[str, Any]:
    """The simulator's state when it last answered ``summary`` (later requests move it on)."""
    seen: dict[str, Any] = {}
    original = sim(miner).rpc_summary

    def answer(request: Any) -> Any:
        reply = original(request)
        physics, state = sim(miner).wm_physics, miner._state
        seen.update(
            env=physics.env_temp,
            chip_max=max(temps[2] for temps in physics.chip_temps),
            board_max=max(physics.board_temps),
            fans=[physics.fan_in, physics.fan_out],
            power=state.power,
            accepted=state.shares_accepted,
            rejected=state.shares_rejected,
            frequency=state.frequency,
        )
        return reply

    sim(miner).rpc_summary = answer
    return seen


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["M30S", "M50S", "M60S"])
async def test_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession, model: str
) -> None:
    miner = await start(simulator, model, hostname="rack-3")
    truth = sim(miner)
    seen = record_summary(miner)
    client = client_of(miner, session)
    data = await client.read()
    row = family.MODELS[model]

    assert data.family is Family.WHATSMINER
    assert data.model == model
    assert data.firmware_version == truth.firmware
    assert data.mac == miner.mac
    assert data.serial == truth.serial
    assert data.hostname == "rack-3"
    assert data.hashrate == pytest.approx(row.nominal_hashrate, rel=0.06)
    assert data.expected_hashrate == pytest.approx(truth.board.hashrate)
    assert data.power == round(seen["power"])
    assert data.power_limit == truth.wm_physics.power_limit
    assert data.power is not None
    assert data.hashrate is not None
    assert data.efficiency == pytest.approx(data.power / data.hashrate, abs=0.01)
    assert data.power_mode == "normal"
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.inlet_temp == pytest.approx(seen["env"], abs=0.01)
    assert data.chip_temp_max == pytest.approx(seen["chip_max"], abs=0.01)
    assert data.chip_temp_avg is not None
    assert data.board_temp_max == pytest.approx(seen["board_max"], abs=0.01)
    assert data.frequency == round(seen["frequency"])
    assert data.uptime == int(miner._state.uptime)
    assert data.shares_accepted == seen["accepted"]
    assert data.shares_rejected == seen["rejected"]
    assert [fan.rpm for fan in data.fans] == seen["fans"]
    assert len(data.boards) == row.boards
    assert [board.serial for board in data.boards] == truth.board_serials
    assert all(board.chips == row.chips_per_board for board in data.boards)
    assert all(board.expected_chips == row.chips_per_board for board in data.boards)
    assert sum(board.hashrate or 0 for board in data.boards) == pytest.approx(
        data.hashrate, rel=0.05
    )
    assert [pool.url for pool in data.pools] == [pool["url"] for pool in truth.pools]
    assert data.pools[0].active is True
    assert data.active_pool == data.pools[0]
    assert data.errors == ()
    assert data.capabilities.power_limit == row.power_limit
    assert data.capabilities.power_modes == ("low", "normal", "high")
    assert client.capabilities == data.capabilities


async def test_immersion_miner_has_no_fans(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    data = await client_of(await start(simulator, "M63S"), session).read()
    assert data.fans == ()
    assert len(data.boards) == 4


async def test_unknown_model_is_named_as_it_names_itself(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.board = dataclasses.replace(  # type: ignore[attr-defined]
        sim(miner).board, name="M79S", variant="VX10"
    )
    data = await client_of(miner, session).read()
    assert data.model == "M79S"
    assert data.capabilities.power_limit is None
    assert all(board.expected_chips is None for board in data.boards)


async def test_requests_per_poll(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    client = client_of(await start(simulator), session)
    await client.read()
    assert client.rpc.requests == 2 + 4  # devdetails, get_version; then the poll
    await client.read()
    assert client.rpc.requests == 6 + 4
    assert client.rpc.joined_commands is True


async def test_old_firmware(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, legacy=True)
    sim(miner).error_codes = [(110, "2024-06-15 10:30:00"), (600, "2024-06-15 10:31:00")]
    client = client_of(miner, session)
    data = await client.read()
    assert client.rpc.requests == 2 + 3  # no get_error_code before API 2.0.1
    assert data.firmware_version == "20210322.22.REL"
    assert data.is_mining is True
    assert data.errors == (
        ReportedError("110", "Intake fan speed error"),
        ReportedError("600", "Environment temperature too high"),
    )
    assert data.capabilities.power_limit is None
    with pytest.raises(MinerUnsupportedError, match=r"2\.0\.5"):
        await client.set_power_limit(3000)


async def test_error_codes(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    sim(miner).error_codes = [(218, "2024-06-15 10:30:00"), (9999, "2024-06-15 10:31:00")]
    data = await client_of(miner, session).read()
    assert data.errors == (
        ReportedError(
            "218", "Input voltage below 230 V for high power mode (since 2024-06-15 10:30:00)"
        ),
        ReportedError("9999", "Error code 9999 (since 2024-06-15 10:31:00)"),
    )


def test_error_messages() -> None:
    assert family.error_message(2021) == "Pool 2 connection failed"
    assert family.error_message(411) == "SM1 hashboard EEPROM read error"
    assert family.error_message(8410) == "Firmware does not match the miner model"
    assert family.error_message(415) == "Hashboard error (code 415)"
    assert family.error_message(42) == "Error code 42"
    listed = {"Msg": {"error_code": ["110", {"x": "y"}, 5]}}
    assert family.parse_error_codes(listed) == (
        ReportedError("110", "Intake fan speed error"),
        ReportedError("5", "Error code 5"),
    )


async def test_reboot_seen_in_uptime_reconnects(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    client._last_uptime = 10**9  # as if the miner had been up longer than it is now
    await client.read()
    assert client.rpc.requests == 6 + 2 + 4


async def test_offline_and_malformed(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(MinerConnectionError):
        await client.read()
    miner.clear_fault()
    with pytest.raises(MinerProtocolError, match="SUMMARY"):
        family.parse_summary({"STATUS": [{"STATUS": "S"}]})


# --- controls --------------------------------------------------------------------------------


async def test_mining_off_and_on(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    pools = list(sim(miner).pools)
    await client.set_mining(False)
    assert sim(miner).wm_physics.mining is False
    data = await client.read()
    assert data.is_mining is False
    assert sim(miner).last_action["respbefore"] == "true"
    await client.set_mining(True)
    assert sim(miner).wm_physics.mining is True
    assert (await client.read()).is_mining is True
    assert sim(miner).pools == pools


async def test_power_limit_and_modes(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_limit(3000)
    assert sim(miner).wm_physics.power_limit == 3000
    for mode in ("low", "high", "normal"):
        await client.set_power_mode(mode)
        assert sim(miner).wm_physics.mode == mode
        assert (await client.read()).power_mode == mode
    assert (await client.read()).power_limit == 3000
    with pytest.raises(MinerCommandError, match="outside"):
        await client.set_power_limit(9000)
    with pytest.raises(MinerCommandError, match="Unknown power mode"):
        await client.set_power_mode("turbo")
    assert sim(miner).wm_physics.power_limit == 3000


async def test_fault_light(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_fault_light(True)
    assert sim(miner).led != "auto"
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert sim(miner).led == "auto"
    assert (await client.read()).fault_light is False


async def test_restart_and_reboot(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await asyncio.sleep(1.1)
    miner.tick()
    assert sim(miner).elapsed >= 1
    await client.restart_mining()
    assert sim(miner).elapsed == 0
    await client.reboot()
    assert sim(miner).last_action["cmd"] == "reboot"
    await asyncio.sleep(0.1)
    assert not miner.is_up or miner._rebooting
    for _ in range(50):
        await asyncio.sleep(0.05)
        if miner.is_up and not miner._rebooting:
            break
    await client.set_fault_light(True)  # a new token after the reboot
    assert sim(miner).led != "auto"


async def test_pools(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("low")
    await client.set_pools(
        [PoolConfig("stratum+tcp://a.example:3333", "me.1"), PoolConfig(" stratum+tcp://b:1 ", "x")]
    )
    assert sim(miner).pools == [
        {"url": "stratum+tcp://a.example:3333", "user": "me.1", "passwd": "x"},
        {"url": "stratum+tcp://b:1", "user": "x", "passwd": "x"},
        {"url": "", "user": "", "passwd": ""},
    ]
    data = await client.read()
    assert [pool.url for pool in data.pools] == [
        "stratum+tcp://a.example:3333",
        "stratum+tcp://b:1",
    ]
    assert data.power_mode == "low"
    with pytest.raises(MinerCommandError, match="At least one"):
        await client.set_pools([])
    with pytest.raises(MinerCommandError, match="three"):
        await client.set_pools([PoolConfig("stratum+tcp://a:1", "u")] * 4)
    with pytest.raises(MinerCommandError, match="URL"):
        await client.set_pools([PoolConfig(" ", "u")])


async def test_token_is_kept_and_renewed(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.set_power_mode("low")
    await client.set_power_mode("normal")
    assert client.rpc.requests == 2 + 3  # connect; one get_token for both
    sim(miner).tokens.clear()  # expired on the miner: 135, a new token, the command again
    await client.set_power_mode("high")
    assert client.rpc.requests == 5 + 3
    assert sim(miner).wm_physics.mode == "high"
    assert client._token is not None
    client._token = btminer.Token(client._token.sign, client._token.key, issued=-1e9)
    await client.set_power_mode("low")  # too old here: renewed before use
    assert client.rpc.requests == 8 + 2


async def test_wrong_password(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session, password="wrong")
    with pytest.raises(MinerAuthError, match="password") as caught:
        await client.set_mining(False)
    assert not isinstance(caught.value, MinerLockedError)
    assert sim(miner).wm_physics.mining is True


@pytest.mark.parametrize("locked_by", ["default password", "fault"])
async def test_locked_privileged_api(
    simulator: Simulator, session: aiohttp.ClientSession, locked_by: str
) -> None:
    if locked_by == "fault":
        miner = await start(simulator)
        miner.set_fault(Fault.PRIVILEGED_LOCKED)
        client = client_of(miner, session)
    else:
        miner = await start(simulator, password="admin")
        client = client_of(miner, session, password=None)
    with pytest.raises(MinerLockedError, match="never changed") as caught:
        await client.set_power_mode("low")
    assert isinstance(caught.value, MinerAuthError)
    assert sim(miner).wm_physics.mode == "normal"


async def test_refusals(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, legacy=True)
    client = client_of(miner, session)
    await client.read()
    client._facts = family.StaticFacts("M30S_VE10", "x", (2, 0, 5))  # claims a newer API
    with pytest.raises(MinerUnsupportedError, match="adjust_power_limit"):
        await client.set_power_limit(3000)
    miner2 = await start(simulator)
    client2 = client_of(miner2, session)
    client2._facts = family.StaticFacts("M79S_VX10", "x", (2, 0, 5))  # no known range
    with pytest.raises(MinerCommandError, match="API command ERROR") as caught:
        await client2.set_power_limit(100)
    assert caught.value.code == 132


async def test_secrets_stay_out_of_logs_and_reprs(
    simulator: Simulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    miner = await start(simulator)
    client = client_of(miner, session)
    await client.read()
    await client.set_fault_light(True)
    assert client._token is not None
    texts = [caplog.text, repr(client), repr(client.credentials), repr(client._token)]
    for text in texts:
        assert PASSWORD not in text
        assert client._token.sign not in text
    bad = client_of(miner, session, password="secret9")
    with pytest.raises(MinerAuthError) as caught:
        await bad.set_fault_light(True)
    assert "secret9" not in str(caught.value)


async def test_bad_token_reply(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)

    async def no_salt(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return {"STATUS": "S", "Code": 134, "Msg": {"time": "1234"}}

    client.rpc.command = no_salt  # type: ignore[method-assign]
    with pytest.raises(MinerProtocolError, match="salt"):
        await client.set_fault_light(True)


# --- identification --------------------------------------------------------------------------


def probe_for(
    miner: SimulatedMiner, session: aiohttp.ClientSession, rpc_port: int | None = None
) -> Probe:
    port = miner.ports.get("web", 80)
    loop = asyncio.get_running_loop()
    version: asyncio.Future[dict[str, Any] | None] = loop.create_future()
    version.set_result(None)
    return Probe(
        session=session,
        http=HttpTransport(session, miner.host, port, timeout=3),
        host=miner.host,
        port=port,
        rpc_port=rpc_port or miner.ports["rpc"],
        credentials=Credentials(),
        timeout=3,
        page=WebPage(status=0, body="", realm=None),
        rpc_version=version,  # type: ignore[arg-type]
    )


async def test_confirm(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator, "M50S")
    found = await family.confirm(probe_for(miner, session))
    assert found is not None
    assert found.family is Family.WHATSMINER
    assert found.model == "M50S"
    assert found.firmware_version == sim(miner).firmware
    assert found.mac == miner.mac
    assert found.api_flavour == "v2"
    assert found.rpc_port == miner.ports["rpc"]


@pytest.mark.parametrize(
    ("spec_family", "model"), [("antminer", "Antminer S21"), ("luxos", "S19k Pro")]
)
async def test_neighbours_are_not_whatsminers(
    simulator: Simulator, session: aiohttp.ClientSession, spec_family: str, model: str
) -> None:
    miner = await simulator.start(MinerSpec(family=spec_family, model=model))
    assert await family.confirm(probe_for(miner, session)) is None


async def test_whatsminer_is_not_stock_antminer(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    identify_module = sys.modules["custom_components.asic.client.identify"]
    miner = await start(simulator)
    probe = probe_for(miner, session)
    assert await identify_module._confirm_antminer(probe) is None
    assert await identify_module._confirm_axeos(probe) is None


async def test_confirm_nothing_listening(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start(simulator)
    miner.set_fault(Fault.OFFLINE)
    assert await family.confirm(probe_for(miner, session)) is None


def test_page_signature() -> None:
    page = WebPage(200, '<a href="/cgi-bin/luci">WhatsMiner</a>', None)
    assert family.page_matches(page)
    assert not family.page_matches(WebPage(200, "/cgi-bin/luci OpenWrt", None))


def test_sparse_replies() -> None:
    summary = family.parse_summary({"SUMMARY": [{"Fan Speed In": 0, "Fan Speed Out": 0}]})
    assert summary.hashrate is None
    assert summary.fans == ()
    assert summary.uptime is None
    boards = family.parse_devs({"DEVS": [{"Slot": 2}, {"MHS av": 1e6}, "x"]}, None)
    assert [board.index for board in boards] == [2, 1]
    assert boards[1].hashrate == 1.0
    pools = family.parse_pools({"POOLS": [{"URL": ""}, {"URL": "stratum+tcp://a:1"}]})
    assert [pool.index for pool in pools] == [1]
    assert family.parse_status({"Msg": "x"}) == family.Status()


async def test_token_refused_twice(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start(simulator)
    client = client_of(miner, session)
    assert client.capabilities == Capabilities()
    sim(miner).token_lifetime = 0  # every token is stale at once
    with pytest.raises(MinerCommandError, match="check token err") as caught:
        await client.set_fault_light(True)
    assert caught.value.code == 135
    assert client.rpc.requests == 2 + 4  # connect; get_token, refused, get_token, refused


async def test_v3_oversized_frame() -> None:
    async def serve(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((1 << 30).to_bytes(4, "little"))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(MinerProtocolError, match="announced"):
            await btminer.v3_exchange("127.0.0.1", port, {"cmd": "x"}, 3)


def test_model_helpers() -> None:
    assert family.model_name("M30S+_VF20") == "M30S+"
    assert family.model_name(None) is None
    assert family.model_name("_x") is None
    assert family.api_version("whatsminer v1.4.0") == (1, 4, 0)
    assert family.api_version(None) == ()
    assert family.StaticFacts().model is None


# --- crypto and framing ----------------------------------------------------------------------


def test_md5_crypt_matches_openssl() -> None:
    # openssl passwd -1 -salt BQ5hoXV9 admin; a password longer than 16 bytes
    assert btminer.md5_crypt("admin", "BQ5hoXV9") == "$1$BQ5hoXV9$RxmaDUO33TS7O26yeMHZ81"
    assert btminer.md5_crypt("a" * 70, "abc") == "$1$abc$r3vHOw4Fad.PIn0nzeooY0"
    assert btminer.crypt_field("admin", "$1$BQ5hoXV9$") == "RxmaDUO33TS7O26yeMHZ81"


def test_aes_round_trip_and_refusals() -> None:
    key = bytes(range(32))
    token = btminer.Token("sign", key)
    assert "sign" not in repr(token)
    sealed = btminer.aes_encrypt(key, b'{"a": 1}')
    assert btminer.aes_decrypt(key, sealed) == b'{"a": 1}'
    pkcs = btminer.aes_encrypt(key, b"x" * 15 + b"\x01")
    assert btminer.aes_decrypt(key, pkcs) == b"x" * 15
    assert btminer.decrypt_reply(token, {"enc": sealed}, "m") == {"a": 1}
    assert btminer.decrypt_reply(token, {"Code": 45}, "m") == {"Code": 45}
    with pytest.raises(MinerProtocolError, match="base64"):
        btminer.aes_decrypt(key, "***")
    with pytest.raises(MinerProtocolError, match="blocks"):
        btminer.aes_decrypt(key, base64.b64encode(b"abc").decode())
    with pytest.raises(MinerProtocolError, match="not an object"):
        btminer.decrypt_reply(token, {"enc": btminer.aes_encrypt(key, b"[1]")}, "m")
    request = btminer.encrypted_request(token, "set_led", {"param": "auto"})
    plain = btminer.aes_decrypt(key, request["data"])
    assert json.loads(plain) == {"cmd": "set_led", "param": "auto", "token": "sign"}


async def test_v3_frames(simulator: Simulator) -> None:
    miner = await start(simulator, "M60S", api="v3", password="super123")
    port = miner.ports["rpc_v3"]
    body = await btminer.v3_exchange(miner.host, port, {"cmd": "get.device.info"}, 3)
    assert json.loads(body)["code"] == 0
    token = btminer.v3_token("set.system.led", "super", "salt", 1)
    assert len(token) == 8
    assert btminer.v3_frame({"a": 1})[:4] == (8).to_bytes(4, "little")
    miner.set_fault(Fault.TRUNCATED)
    with pytest.raises(MinerConnectionError, match="mid-reply"):
        await btminer.v3_exchange(miner.host, port, {"cmd": "get.device.info"}, 3)
    miner.set_fault(Fault.HANG)
    with pytest.raises(MinerConnectionError, match="did not answer"):
        await btminer.v3_exchange(miner.host, port, {"cmd": "get.device.info"}, 0.3)
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(MinerConnectionError, match="Cannot reach"):
        await btminer.v3_exchange(miner.host, port, {"cmd": "get.device.info"}, 3)


# --- real replies ----------------------------------------------------------------------------


def _load(folder: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / name).read_text())
    return loaded


def test_real_replies_v1(real_fixtures: Path) -> None:
    folder = real_fixtures / "whatsminer" / "v1"
    summary = family.parse_summary(_load(folder, "summary.json"))
    assert summary.hashrate == pytest.approx(67.43935249)
    assert summary.expected_hashrate == pytest.approx(68.796)
    assert summary.power == 3417
    assert summary.power_limit == 3500
    assert summary.power_mode == "normal"
    assert summary.mac == "C4:08:28:00:A4:19"
    assert summary.firmware == "20210322.22.REL"
    assert summary.uptime == 10792
    assert summary.env_temp is None
    assert [fan.rpm for fan in summary.fans] == [6450, 6480]
    assert summary.errors == ()
    with_errors = family.parse_summary(_load(folder, "summary_with_errors.json"))
    assert [error.code for error in with_errors.errors] == ["110", "600"]
    boards = family.parse_devs(_load(folder, "devs.json"), family.MODELS["M30S"])
    assert [board.serial for board in boards][:2] == [
        "H5M14S69129A17K10095",
        "H5M14S69129A17K10058",
    ]
    assert boards[0].hashrate == pytest.approx(22.10378984)
    assert boards[0].chip_temp == 90.0
    assert boards[0].board_temp == 70.0
    assert boards[0].chips == 105
    assert family.parse_version(_load(folder, "get_version.json")) == (
        "20210322.22.REL",
        "whatsminer v1.4.0",
    )
    status = family.parse_status(_load(folder, "status.json"))
    assert status == family.Status(mining=True)
    pools = family.parse_pools(_load(folder, "pools.json"))
    assert pools[0].url == "stratum+tcp://btc.example.pool:3333"
    assert pools[0].active is True
    assert pools[0].accepted == 2338


def test_real_replies_v2(real_fixtures: Path) -> None:
    folder = real_fixtures / "whatsminer" / "v2"
    summary = family.parse_summary(_load(folder, "summary.json"))
    assert summary.hashrate == pytest.approx(125.0)
    assert summary.expected_hashrate == pytest.approx(126.0)
    assert summary.power == 3200
    assert summary.power_limit == 3300
    assert summary.env_temp == 28.5
    assert summary.chip_temp_max == 81.0
    assert summary.chip_temp_avg == 72.5
    assert summary.uptime == 25500
    assert summary.best_share == 82000000
    boards = family.parse_devs(_load(folder, "devs.json"), None)
    assert [board.hashrate for board in boards] == pytest.approx([41.5, 41.8, 41.7])
    assert [board.expected_hashrate for board in boards] == pytest.approx([42.0] * 3)
    assert boards[2].serial == "BHM5CSD1302803K30003"
    assert len(family.parse_pools(_load(folder, "pools.json"))) == 3
    assert family.parse_version(_load(folder, "get_version.json")) == ("20230803.11.REL", "2.0.5")
    assert family.parse_status(_load(folder, "status.json")) == family.Status(
        mining=True, power_mode="low", power_limit=3600
    )
    info = family.parse_miner_info(_load(folder, "get_miner_info.json"))
    assert info == family.MinerInfo(
        mac="D4:01:02:03:04:05", hostname="WhatsMiner", serial=None, led_manual=False
    )
    assert family.parse_error_codes(_load(folder, "get_error_code.json")) == ()
    assert family.parse_error_codes(_load(folder, "get_error_code_with_errors.json")) == (
        ReportedError(
            "218", "Input voltage below 230 V for high power mode (since 2024-06-15 10:30:00)"
        ),
        ReportedError("110", "Intake fan speed error (since 2024-06-15 09:15:00)"),
    )


# --- API v3 ----------------------------------------------------------------------------------

V3_PASSWORD = "super123"


async def start_v3(simulator: Simulator, model: str = "M60S", **spec: Any) -> SimulatedMiner:
    spec.setdefault("password", V3_PASSWORD)
    return await simulator.start(MinerSpec(family="whatsminer", model=model, api="v3", **spec))


def v3_client_of(
    miner: SimulatedMiner,
    session: aiohttp.ClientSession,
    password: str | None = V3_PASSWORD,
    api_flavour: str | None = None,
) -> WhatsminerMiner:
    return WhatsminerMiner(
        miner.host,
        session,
        rpc_port=miner.ports["rpc"],
        v3_port=miner.ports["rpc_v3"],
        credentials=Credentials(password=password),
        timeout=3,
        api_flavour=api_flavour,
    )


async def test_v3_read_matches_the_miner(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start_v3(simulator, hostname="rack-9")
    truth = sim(miner)
    sim(miner).error_codes = [(600, "2025-01-01 00:00:00")]
    client = v3_client_of(miner, session)
    data = await client.read()
    row = family.MODELS["M60S"]
    assert client.api_flavour == "v3"
    assert data.model == "M60S"
    assert data.firmware_version == truth.firmware
    assert data.mac == miner.mac
    assert data.serial == truth.serial
    assert data.hostname == "rack-9"
    assert data.hashrate == pytest.approx(row.nominal_hashrate, rel=0.06)
    assert data.expected_hashrate == row.nominal_hashrate
    assert data.power is not None
    assert data.power_limit == truth.wm_physics.power_limit
    assert data.power_mode == "normal"
    assert data.is_mining is True
    assert data.fault_light is False
    assert data.inlet_temp is not None
    assert data.chip_temp_max is not None
    assert data.board_temp_max is not None
    assert data.uptime is not None
    assert len(data.fans) == 2
    assert [board.serial for board in data.boards] == truth.board_serials
    assert all(board.chips == row.chips_per_board for board in data.boards)
    assert [pool.url for pool in data.pools] == [pool["url"] for pool in truth.pools]
    assert data.shares_accepted is not None
    assert data.errors == (
        ReportedError("600", "Environment temperature too high (since 2025-01-01 00:00:00)"),
    )
    assert data.capabilities.power_limit == row.power_limit
    # connect: get_version on 4028, get.device.info on 4433; each poll: 3 on 4433
    assert (client.rpc.requests, client.v3_requests) == (1, 1 + 3)
    await client.read()
    assert (client.rpc.requests, client.v3_requests) == (1, 1 + 3 + 3)


async def test_v3_flavour_given_skips_the_v2_port(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start_v3(simulator, password=None)
    client = v3_client_of(miner, session, password=None, api_flavour="v3")
    await client.read()
    assert client.rpc.requests == 0
    await client.set_power_mode("high")  # the default password super/super
    assert sim(miner).wm_physics.mode == "high"


async def test_v3_controls(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start_v3(simulator)
    client = v3_client_of(miner, session)
    await client.set_mining(False)
    assert sim(miner).wm_physics.mining is False
    assert (await client.read()).is_mining is False
    await client.set_mining(True)
    assert sim(miner).wm_physics.mining is True
    await client.set_power_limit(3000)
    assert sim(miner).wm_physics.power_limit == 3000
    await client.set_power_mode("low")
    assert sim(miner).wm_physics.mode == "low"
    await client.set_fault_light(True)
    assert (await client.read()).fault_light is True
    await client.set_fault_light(False)
    assert sim(miner).led == "auto"
    await client.set_pools([PoolConfig("stratum+tcp://a.example:3333", "me.1", "p")])
    assert sim(miner).pools[0] == {
        "url": "stratum+tcp://a.example:3333",
        "user": "me.1",
        "passwd": "p",
    }
    assert sim(miner).last_action["cmd"] == "set.miner.pools"
    data = await client.read()
    assert [pool.url for pool in data.pools] == ["stratum+tcp://a.example:3333"]
    assert data.power_mode == "low"
    assert data.power_limit == 3000
    await asyncio.sleep(1.1)
    miner.tick()
    await client.restart_mining()
    assert sim(miner).elapsed == 0
    await client.reboot()
    assert sim(miner).last_action["cmd"] == "set.system.reboot"


async def test_v3_renewed_salt_and_changed_password(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start_v3(simulator)
    client = v3_client_of(miner, session)
    await client.read()
    requests = client.v3_requests
    sim(miner).v3_salt = "Rn3wd5lt"  # the firmware renewed its salt since the client connected
    await client.set_power_mode("low")
    assert sim(miner).wm_physics.mode == "low"
    # refused with the old salt, get.device.info for the new one, the write once more
    assert client.v3_requests == requests + 3
    assert client._v3_salt == "Rn3wd5lt"

    sim(miner).password = "changed1"  # changed elsewhere: the salt read again does not help
    requests = client.v3_requests
    with pytest.raises(MinerAuthError, match="v3 password"):
        await client.set_power_mode("high")
    assert client.v3_requests == requests + 3
    assert sim(miner).wm_physics.mode == "low"
    await v3_client_of(miner, session, password="changed1").set_power_mode("high")
    assert sim(miner).wm_physics.mode == "high"


async def test_v3_refusals(simulator: Simulator, session: aiohttp.ClientSession) -> None:
    miner = await start_v3(simulator)
    client = v3_client_of(miner, session, password="wrong")
    with pytest.raises(MinerAuthError, match="v3 password"):
        await client.set_mining(False)
    assert sim(miner).wm_physics.mining is True
    good = v3_client_of(miner, session)
    await good.read()
    good._facts = family.StaticFacts("M79S_VX10", "x", (3, 0, 1))  # no known range
    with pytest.raises(MinerCommandError, match="invalid param") as caught:
        await good.set_power_limit(100)
    assert caught.value.code == -1
    with pytest.raises(MinerUnsupportedError, match=r"set\.nothing"):
        await good._v3_write("set.nothing", None)
    assert good._v3_salt is not None
    fresh = v3_client_of(miner, session, api_flavour="v3")
    fresh._facts = family.StaticFacts()
    await fresh._v3_write("set.miner.power_mode", "normal")  # fetches the salt first
    assert sim(miner).wm_physics.mode == "normal"


async def test_v3_confirm(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    miner = await start_v3(simulator)
    monkeypatch.setattr(family, "V3_PORT", miner.ports["rpc_v3"])
    found = await family.confirm(probe_for(miner, session))
    assert found is not None
    assert (found.model, found.api_flavour, found.mac) == ("M60S", "v3", miner.mac)
    assert found.firmware_version == sim(miner).firmware
    monkeypatch.setattr(family, "V3_PORT", 1)  # 4433 closed: the v2 leftovers still say v3
    found = await family.confirm(probe_for(miner, session))
    assert found is not None
    assert (found.model, found.api_flavour) == (None, "v3")


def test_v3_parsers() -> None:
    assert family.firmware_date("junk") == 0
    assert family.is_v3("20250321.14.Rel", None)
    assert family.is_v3(None, "3.0.1")
    assert not family.is_v3("20230803.11.REL", "2.0.5")
    with pytest.raises(MinerProtocolError, match="no summary"):
        family.parse_v3_status({}, None)
    # a negative slot is no index from the end of the serials (it once raised IndexError)
    _, odd, _ = family.parse_v3_status({"summary": {"x": 1}, "edevs": [{"slot": -1}]}, None, [])
    assert [(board.index, board.serial) for board in odd] == [(0, None)]
    summary, boards, pools = family.parse_v3_status(
        {
            "summary": {"hash-realtime": 1.5, "board-temperature": "x"},
            "edevs": [{"hash-average": 1}, {"slot": 4}],
            "pools": [{"url": ""}, {"url": "u", "id": 2}],
        },
        None,
    )
    assert summary.hashrate == 1.5
    assert summary.board_temp is None
    assert [board.index for board in boards] == [0, 4]
    assert boards[0].board_temp is None
    assert [pool.index for pool in pools] == [1]
    assert family.parse_v3_errors([]) == ()
    facts, info, salt, working = family.parse_v3_device("x")
    assert (facts, info, salt, working) == (family.StaticFacts(), family.MinerInfo(), None, None)
    with pytest.raises(MinerProtocolError, match="JSON object"):
        family._v3_msg(b"[1]", "h", "c")


async def test_v3_poll_without_setting_object(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    miner = await start_v3(simulator)
    client = v3_client_of(miner, session)
    original = sim(miner).v3_setting
    sim(miner).v3_setting = lambda: "busy"
    data = await client.read()
    assert data.power_mode is None
    sim(miner).v3_setting = original


async def test_confirm_refuses_lookalikes(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = probe_for(await start(simulator), session)
    replies: dict[str, Any] = {"get_version": {"Msg": {}}}

    async def command(_self: Any, name: str, *_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return dict(replies[name])

    monkeypatch.setattr(rpc_module.RpcTransport, "command", command)
    assert await family.confirm(probe) is None  # no firmware named
    replies["get_version"] = {"Msg": {"fw_ver": "20230803.11.REL", "api_ver": "2.0.5"}}
    replies["devdetails"] = {"DEVDETAILS": [{"Model": "Antminer S19"}]}
    assert await family.confirm(probe) is None  # not a Whatsminer model


async def test_identify_end_to_end(
    simulator: Simulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    v2 = await start(simulator, "M30S+")
    found = await identify(v2.host, session, port=v2.ports["web"], rpc_port=v2.ports["rpc"])
    assert (found.family, found.model, found.api_flavour) == (Family.WHATSMINER, "M30S+", "v2")
    assert found.mac == v2.mac
    v3 = await start_v3(simulator)
    monkeypatch.setattr(family, "V3_PORT", v3.ports["rpc_v3"])
    found = await identify(v3.host, session, port=v3.ports["web"], rpc_port=v3.ports["rpc"])
    assert (found.family, found.model, found.api_flavour) == (Family.WHATSMINER, "M60S", "v3")
