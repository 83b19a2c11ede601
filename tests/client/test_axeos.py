"""The AxeOS client against simulated Bitaxes: what it reads, what its controls change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import tracemalloc
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.asic.client import (
    MINER_CLASSES,
    Capabilities,
    Credentials,
    Family,
    FirmwarePart,
    Miner,
    MinerCommandError,
    MinerConnectionError,
    MinerData,
    MinerFirmwareError,
    MinerUnsupportedError,
    NumberRange,
    PoolConfig,
    connect,
    create_miner,
)
from custom_components.asic.client.families import axeos as axeos_family
from custom_components.asic.client.families.axeos import AxeOSMiner
from tests.simulator import (
    Fault,
    MinerSpec,
    SimulatedMiner,
    Simulator,
    build_app_image,
    build_www_image,
)

from .conftest import RequestLog, ServeFactory, served_state

INFO = "/api/system/info"
ASIC = "/api/system/asic"


def axeos(miner: SimulatedMiner, session: aiohttp.ClientSession) -> AxeOSMiner:
    client = create_miner("axeos", miner.host, session, port=miner.port, timeout=5)
    assert isinstance(client, AxeOSMiner)
    return client


def is_paused(miner: SimulatedMiner) -> bool:
    return miner.state.paused


def assert_difficulty_matches(parsed: float | None, true_value: float, legacy: bool) -> None:
    """Newer firmware sends the number; 2.4 sends it cut to three digits and a suffix."""
    assert parsed is not None
    if not legacy:
        assert parsed == round(true_value)
        return
    step = 1000 ** max(0, (len(str(int(true_value))) - 1) // 3)
    assert parsed <= true_value < parsed + step


# --- read -----------------------------------------------------------------------------------


async def test_read_matches_the_true_state(
    any_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    miner = any_gamma
    legacy = miner.spec.legacy is True
    miner.state.best_diff = 4_294_967.0 * 1000  # "4G" in the 2.4 shape
    miner.state.best_session_diff = 483_123.0
    miner.state.shares_accepted, miner.state.shares_rejected = 1234, 5

    data = await axeos(miner, session).read()
    state = served_state(miner)

    assert data.family is Family.AXEOS
    assert data.model == "Bitaxe Gamma"
    assert data.firmware_version == state.version
    assert data.web_version == (None if legacy else state.www_version)
    assert data.mac == state.mac
    assert data.hostname == state.hostname
    assert data.asic_model == state.asic_model == "BM1370"
    assert data.board_version == state.board_version
    assert data.hashrate == pytest.approx(round(state.hashrate, 2) / 1000)
    assert data.expected_hashrate == pytest.approx(state.expected_hashrate / 1000, abs=1e-5)
    assert data.power == pytest.approx(state.power, abs=1e-3)
    assert data.power is not None
    assert data.hashrate
    assert data.efficiency == pytest.approx(round(data.power / data.hashrate, 2))
    assert data.input_voltage == pytest.approx(state.input_voltage / 1000, abs=1e-4)
    assert data.input_current == pytest.approx(state.current / 1000, abs=1e-4)
    assert data.chip_temp_max == data.chip_temp_avg == pytest.approx(state.temp, abs=1e-3)
    assert data.vr_temp == pytest.approx(state.vr_temp, abs=0.5)
    assert data.frequency == state.frequency
    assert data.core_voltage == state.core_voltage
    assert data.core_voltage_actual == state.core_voltage_actual
    assert data.fan_auto is state.fan_auto
    assert len(data.fans) == 1  # 2.14 reports fan2rpm 0 on single-fan boards: no phantom fan
    assert data.fans[0].rpm == state.fan_rpm
    assert data.fans[0].percent == state.fan_percent
    assert data.uptime == int(state.uptime)
    assert data.is_mining is True
    assert data.shares_accepted == 1234
    assert data.shares_rejected == 5
    assert_difficulty_matches(data.best_difficulty, state.best_diff, legacy)
    assert_difficulty_matches(data.best_session_difficulty, state.best_session_diff, legacy)
    assert data.using_fallback_pool is False
    primary, fallback = data.pools
    assert primary.url == f"stratum+tcp://{state.primary_pool.url}:{state.primary_pool.port}"
    assert primary.user == state.primary_pool.user
    assert (primary.active, primary.accepted, primary.rejected) == (True, 1234, 5)
    assert fallback.url == f"stratum+tcp://{state.fallback_pool.url}:{state.fallback_pool.port}"
    assert fallback.user == state.fallback_pool.user
    assert (fallback.active, fallback.accepted) == (False, None)
    assert data.active_pool == primary
    (board,) = data.boards
    assert board.hashrate == data.hashrate
    assert board.chips == board.expected_chips == state.asic_count == 1
    assert data.errors == ()


async def test_first_read_fetches_asic_info_once_then_one_request_per_poll(
    gamma: SimulatedMiner, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    client = axeos(gamma, session)
    await client.read()
    assert request_log.requests == [("GET", ASIC), ("GET", INFO)]
    for _ in range(3):
        request_log.clear()
        await client.read()
        assert request_log.requests == [("GET", INFO)]


async def test_legacy_firmware_without_asic_route_costs_one_request_per_poll(
    legacy_gamma: SimulatedMiner, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    client = axeos(legacy_gamma, session)
    await client.read()
    # 2.4 redirects the unknown route to its web page; the redirect is not followed.
    assert request_log.requests == [("GET", ASIC), ("GET", INFO)]
    request_log.clear()
    await client.read()
    assert request_log.requests == [("GET", INFO)]


async def test_capabilities_come_from_the_asic_route_on_newer_firmware(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(gamma, session)
    assert client.capabilities.frequency is None  # unknown before the first read
    data = await client.read()
    caps = data.capabilities
    assert caps == client.capabilities
    assert caps.frequency == NumberRange(400, 625, 1)  # the simulator's BM1370 choices
    assert caps.core_voltage == NumberRange(1000, 1250, 1)
    assert caps.fan_control == NumberRange(0, 100, 1)
    assert caps.mining_switch
    assert caps.identify
    assert caps.reboot
    assert caps.pools
    assert caps.firmware_update


async def test_legacy_capabilities_fall_back_to_the_chip_table(
    legacy_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    data = await axeos(legacy_gamma, session).read()
    assert data.capabilities.frequency == NumberRange(350, 625, 1)
    assert data.capabilities.mining_switch is False  # 2.4 cannot pause


async def test_paused_miner_reads_as_not_mining(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    gamma.state.paused = True
    data = await axeos(gamma, session).read()
    assert data.is_mining is False
    assert data.hashrate == 0
    assert data.efficiency is None


async def test_fallback_pool_in_use(gamma: SimulatedMiner, session: aiohttp.ClientSession) -> None:
    gamma.state.using_fallback = True
    data = await axeos(gamma, session).read()
    assert data.using_fallback_pool is True
    assert data.active_pool is not None
    assert data.active_pool.index == 1
    assert data.active_pool.url.endswith(":3333")


async def test_connect_identifies_the_family(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = await connect(gamma.host, session, port=gamma.port, timeout=5)
    assert isinstance(client, AxeOSMiner)
    assert repr(client) == f"AxeOSMiner({gamma.host}:{gamma.port})"
    assert (await client.read()).mac == gamma.mac


def test_create_miner_refuses_unknown_families() -> None:
    session = None  # never used: the family is refused first
    assert set(MINER_CLASSES) == set(Family)  # every family the simulator speaks has a client
    with pytest.raises(MinerUnsupportedError, match="toaster"):
        create_miner("toaster", "127.0.0.1", session)  # type: ignore[arg-type]


# --- controls -------------------------------------------------------------------------------


async def test_pause_and_resume(gamma: SimulatedMiner, session: aiohttp.ClientSession) -> None:
    client = axeos(gamma, session)
    await client.set_mining(False)
    assert is_paused(gamma)
    assert (await client.read()).is_mining is False
    await client.set_mining(True)
    assert not is_paused(gamma)
    assert (await client.read()).is_mining is True


async def test_pause_on_firmware_without_it_is_unsupported(
    legacy_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(MinerUnsupportedError, match="/api/system/pause"):
        await axeos(legacy_gamma, session).set_mining(False)
    assert legacy_gamma.state.paused is False


async def test_identify(gamma: SimulatedMiner, session: aiohttp.ClientSession) -> None:
    await axeos(gamma, session).identify()
    assert gamma.state.identify_count == 1
    assert gamma.state.identify_active is True


async def test_identify_on_old_firmware_is_unsupported(
    legacy_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(MinerUnsupportedError):
        await axeos(legacy_gamma, session).identify()
    assert legacy_gamma.state.identify_count == 0


async def test_reboot(any_gamma: SimulatedMiner, session: aiohttp.ClientSession) -> None:
    client = axeos(any_gamma, session)
    await client.reboot()
    assert any_gamma.state.reboot_count == 1
    await any_gamma.wait_until_up()
    assert (await client.read()).uptime == 0


async def test_manual_fan_then_auto(
    any_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(any_gamma, session)
    await client.read()
    frequency = any_gamma.state.frequency
    await client.set_fan(auto=False, percent=42)
    state = any_gamma.state
    assert (state.fan_auto, state.manual_fan_percent, state.fan_percent) == (False, 42, 42)
    data = await client.read()
    assert data.fan_auto is False
    assert data.fans[0].percent == 42
    await client.set_fan(auto=True)
    assert any_gamma.state.fan_auto is True
    assert any_gamma.state.manual_fan_percent == 42
    assert any_gamma.state.frequency == frequency


@pytest.mark.parametrize("percent", [-1, 100.5])
async def test_fan_out_of_range_is_refused_without_a_request(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    percent: float,
) -> None:
    client = axeos(gamma, session)
    await client.read()
    request_log.clear()
    with pytest.raises(MinerCommandError, match="fan speed"):
        await client.set_fan(auto=False, percent=percent)
    assert request_log.count() == 0


async def test_frequency_and_core_voltage(
    any_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(any_gamma, session)
    await client.read()
    fan_auto, pools = any_gamma.state.fan_auto, [p.url for p in any_gamma.state.pools]
    await client.set_frequency(550)
    await client.set_core_voltage(1200.4)
    state = any_gamma.state
    assert (state.frequency, state.core_voltage) == (550, 1200)
    assert (state.fan_auto, [p.url for p in state.pools]) == (fan_auto, pools)
    data = await client.read()
    assert (data.frequency, data.core_voltage) == (550, 1200)
    assert data.expected_hashrate == pytest.approx(550 * 2040 / 1e6)


async def test_fractional_frequency_is_sent_as_is(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(gamma, session)
    await client.read()
    await client.set_frequency(512.5)
    assert gamma.state.frequency == 512.5


@pytest.mark.parametrize(
    ("setter", "value", "what"),
    [
        ("set_frequency", 399, "frequency"),
        ("set_frequency", 626, "frequency"),
        ("set_core_voltage", 999, "core voltage"),
        ("set_core_voltage", 1251, "core voltage"),
    ],
)
async def test_out_of_range_is_refused_without_a_request(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    setter: str,
    value: float,
    what: str,
) -> None:
    client = axeos(gamma, session)
    await client.read()
    frequency, voltage = gamma.state.frequency, gamma.state.core_voltage
    request_log.clear()
    with pytest.raises(MinerCommandError, match=f"{what} of {value}"):
        await getattr(client, setter)(value)
    assert request_log.count() == 0
    assert (gamma.state.frequency, gamma.state.core_voltage) == (frequency, voltage)


async def test_set_pools_writes_both_and_keeps_other_settings(
    any_gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client = axeos(any_gamma, session)
    await client.set_fan(auto=False, percent=70)
    before = any_gamma.state
    frequency, voltage = before.frequency, before.core_voltage
    await client.set_pools(
        [
            PoolConfig("stratum+tcp://pool.example.org:3333", "bc1qme.gamma", "secret"),
            PoolConfig("backup.example.org:4444", "bc1qme.backup"),
        ]
    )
    state = any_gamma.state
    primary, fallback = state.pools
    assert (primary.url, primary.port, primary.user, primary.password) == (
        "pool.example.org",
        3333,
        "bc1qme.gamma",
        "secret",
    )
    assert (fallback.url, fallback.port, fallback.user, fallback.password) == (
        "backup.example.org",
        4444,
        "bc1qme.backup",
        "x",
    )
    assert (state.frequency, state.core_voltage) == (frequency, voltage)
    assert (state.fan_auto, state.manual_fan_percent) == (False, 70)
    data = await client.read()
    assert [pool.url for pool in data.pools] == [
        "stratum+tcp://pool.example.org:3333",
        "stratum+tcp://backup.example.org:4444",
    ]


async def test_set_one_pool_keeps_the_fallback(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    fallback = (gamma.state.fallback_pool.url, gamma.state.fallback_pool.port)
    await axeos(gamma, session).set_pools([PoolConfig("pool.example.org:3333", "me")])
    assert gamma.state.primary_pool.url == "pool.example.org"
    assert (gamma.state.fallback_pool.url, gamma.state.fallback_pool.port) == fallback


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([], "At least one pool"),
        ([PoolConfig("a:1", "u")] * 3, "two pools"),
        ([PoolConfig("stratum+tcp://pool.example.org", "u")], "has no port"),
    ],
)
async def test_bad_pool_lists_are_refused_without_a_request(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    pools: list[PoolConfig],
    message: str,
) -> None:
    with pytest.raises(MinerCommandError, match=message):
        await axeos(gamma, session).set_pools(pools)
    assert request_log.count() == 0


async def test_wrong_api_input_becomes_a_command_error(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    url = gamma.state.primary_pool.url
    with pytest.raises(MinerCommandError, match="Wrong API input") as caught:
        # The port passes our parser but not the firmware's u16 check.
        await axeos(gamma, session).set_pools([PoolConfig("pool.example.org:70000", "me")])
    assert caught.value.code == 400
    assert gamma.state.primary_pool.url == url


async def test_controls_not_offered_raise_unsupported(
    gamma: SimulatedMiner, session: aiohttp.ClientSession
) -> None:
    client: Miner = axeos(gamma, session)
    with pytest.raises(MinerUnsupportedError):
        await client.set_power_limit(20)
    with pytest.raises(MinerUnsupportedError):
        await client.set_power_mode("eco")
    with pytest.raises(MinerUnsupportedError):
        await client.set_fault_light(True)
    with pytest.raises(MinerUnsupportedError):
        await client.restart_mining()


def test_data_as_dict_is_json_ready() -> None:
    data = MinerData(
        family=Family.AXEOS, capabilities=Capabilities(frequency=NumberRange(400, 625, 1))
    )
    shown = data.as_dict()
    assert shown["family"] == "axeos"
    assert shown["capabilities"]["frequency"] == {"min": 400, "max": 625, "step": 1}
    assert shown["fans"] == []
    assert data.active_pool is None


async def test_pools_on_firmware_with_a_pool_list_are_written_as_that_list(
    serve: ServeFactory, session: aiohttp.ClientSession, real_fixtures: Path
) -> None:
    """ESP-Miner 2.15 keeps pools in slots and ignores the old stratum keys.

    The simulator speaks 2.14, so a small stand-in answers here: the recorded 2.4 reply plus
    the 2.15 pool list, and a PATCH handler that keeps what it receives.
    """
    info = json.loads((real_fixtures / "bitaxe" / "v2_0_0" / "system_info.json").read_text())
    info |= {
        "pools": [{"id": 2, "stratumURL": "old.example.org"}],
        "primaryPoolIndex": 2,
        "secondaryPoolIndex": 5,
    }
    patches: list[Any] = []

    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response(info)

    async def settings(request: web.Request) -> web.Response:
        patches.append(await request.json())
        return web.Response()

    port = await serve({INFO: system_info, "/api/system": settings})
    client = create_miner("axeos", "127.0.0.1", session, port=port)
    await client.read()
    await client.set_pools(
        [PoolConfig("pool.example.org:3333", "me", "pw"), PoolConfig("backup.example.org:4", "b")]
    )
    assert patches == [
        {
            "pools": [
                {
                    "id": 2,
                    "stratumURL": "pool.example.org",
                    "stratumPort": 3333,
                    "stratumUser": "me",
                    "stratumPassword": "pw",
                },
                {
                    "id": 5,
                    "stratumURL": "backup.example.org",
                    "stratumPort": 4,
                    "stratumUser": "b",
                    "stratumPassword": "x",
                },
            ]
        }
    ]


# --- firmware -------------------------------------------------------------------------------


@pytest.fixture
def firmware_files(tmp_path: Path) -> tuple[FirmwarePart, FirmwarePart]:
    www = tmp_path / "www.bin"
    www.write_bytes(build_www_image("v2.15.0", size=300_000))
    app = tmp_path / "esp-miner.bin"
    app.write_bytes(build_app_image("v2.15.0", size=500_000))
    return FirmwarePart("www", www), FirmwarePart("app", app)


async def test_install_firmware_sends_www_then_app_with_progress(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
) -> None:
    www, app = firmware_files
    total = www.size + app.size
    progress: list[tuple[int, int]] = []
    client = axeos(gamma, session)

    await client.install_firmware([app, www], lambda sent, size: progress.append((sent, size)))

    assert request_log.requests == [("POST", "/api/system/OTAWWW"), ("POST", "/api/system/OTA")]
    sent = [done for done, _ in progress]
    assert sent == sorted(sent)
    assert len(set(sent)) == len(sent)
    assert sent[-1] == total
    assert {size for _, size in progress} == {total}
    assert www.size in sent  # the web UI is complete before the firmware starts
    await gamma.wait_until_up()
    data = await client.read()
    assert data.firmware_version == "v2.15.0"
    assert data.web_version == "v2.15.0"


async def test_install_without_progress_callback(
    legacy_gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
) -> None:
    await axeos(legacy_gamma, session).install_firmware([firmware_files[1]])
    await legacy_gamma.wait_until_up()
    assert legacy_gamma.state.version == "v2.15.0"


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("app", b"<html>not firmware</html>" * 10, "not an ESP32 firmware image"),
        ("app", b"\xe9" + bytes(100), "not an ESP32 firmware image"),  # no app descriptor
        ("www", build_app_image("v2.15.0"), "not the web UI"),
        ("app", b"", "is empty"),
    ],
)
async def test_unfit_files_are_refused_before_any_upload(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
    tmp_path: Path,
    kind: str,
    content: bytes,
    message: str,
) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    good = firmware_files[0] if kind == "app" else firmware_files[1]
    with pytest.raises(MinerFirmwareError, match=message):
        await axeos(gamma, session).install_firmware([good, FirmwarePart(kind, bad)])
    assert request_log.count() == 0
    assert gamma.state.firmware_updates == 0


async def test_missing_file_and_unknown_parts_are_refused(
    gamma: SimulatedMiner, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    client = axeos(gamma, session)
    with pytest.raises(MinerFirmwareError, match="Cannot read"):
        await client.install_firmware([FirmwarePart("app", tmp_path / "missing.bin")])
    with pytest.raises(MinerFirmwareError, match="bootloader"):
        await client.install_firmware([FirmwarePart("bootloader", tmp_path / "x.bin")])
    with pytest.raises(MinerFirmwareError, match="nothing"):
        await client.install_firmware([])


@pytest.mark.parametrize(("part", "message"), [(0, "Write Error"), (1, "Validation")])
async def test_refusal_by_the_miner_is_a_firmware_error(
    gamma: SimulatedMiner,
    session: aiohttp.ClientSession,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
    part: int,
    message: str,
) -> None:
    gamma.set_fault(Fault.FIRMWARE_REJECTED)
    chosen = firmware_files[part]
    with pytest.raises(MinerFirmwareError, match=f"refused {chosen.path.name}: {message}"):
        await axeos(gamma, session).install_firmware([chosen])
    assert gamma.state.version == "v2.14.2"


async def test_upload_reads_the_file_in_bounded_chunks(
    gamma: SimulatedMiner, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    size = 8 * 1024 * 1024
    app = tmp_path / "esp-miner.bin"
    app.write_bytes(build_app_image("v2.15.1", size=size))
    client = axeos(gamma, session)
    await client.read()  # connections and caches warm, so they do not count below
    # Measured on a loop without asyncio debug mode, as Home Assistant runs. The newer test plugin
    # switches debug mode on for the test's loop, and there every file read's finished future
    # (holding its 64 KiB chunk) waits in the loop's ready queue behind slow debug bookkeeping:
    # about 40 of them at a time, ~4 MB whatever the file size, none of it the client's.
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    tracemalloc.start()
    try:
        await client.install_firmware([FirmwarePart("app", app)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        loop.set_debug(debug)
    # Client and simulated miner share this process: both stay far below the file size.
    assert peak < size / 8
    await gamma.wait_until_up()
    assert gamma.state.version == "v2.15.1"


class BareMiner(Miner):
    """A family that implements nothing beyond reading."""

    family = Family.ANTMINER

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    async def read(self) -> MinerData:
        return MinerData(family=self.family)


async def test_operations_a_family_lacks_are_unsupported(
    session: aiohttp.ClientSession,
) -> None:
    miner = BareMiner("127.0.0.1", session)
    assert miner.port == 80
    assert (await miner.read()).family is Family.ANTMINER
    calls = [
        miner.set_mining(True),
        miner.reboot(),
        miner.restart_mining(),
        miner.identify(),
        miner.set_fault_light(True),
        miner.set_power_limit(1000),
        miner.set_power_mode("low"),
        miner.set_fan(auto=True),
        miner.set_frequency(500),
        miner.set_core_voltage(1200),
        miner.set_pools([PoolConfig("a:1", "u")]),
        miner.install_firmware([]),
    ]
    for call in calls:
        with pytest.raises(MinerUnsupportedError, match="antminer"):
            await call


def test_credentials_never_show_the_password() -> None:
    shown = repr(Credentials("root", "hunter2"))
    assert "hunter2" not in shown
    assert shown == "Credentials(username='root', password=***)"
    assert repr(Credentials()) == "Credentials(username=None, password=None)"


# --- firmware 2.15 restarts after www.bin ---------------------------------------------------


@pytest.fixture
def quick_restart_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator restarts in 0.2 s; poll often and give up after 1 s."""
    monkeypatch.setattr(axeos_family, "RESTART_WAIT_TIMEOUT", 1.0)
    monkeypatch.setattr(axeos_family, "RESTART_POLL_INTERVAL", 0.05)


@pytest.mark.usefixtures("quick_restart_wait")
@pytest.mark.parametrize("poll_interval", [0.05, 0.5])
async def test_app_waits_until_the_board_is_back_from_the_www_restart(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
    monkeypatch: pytest.MonkeyPatch,
    poll_interval: float,
) -> None:
    """Polled often, the restart shows as a refused poll; polled late, as a fresh uptime."""
    monkeypatch.setattr(axeos_family, "RESTART_POLL_INTERVAL", poll_interval)
    board = await simulator.start(MinerSpec(model="Bitaxe Gamma", firmware="v2.15.0"))
    await axeos(board, session).install_firmware(list(firmware_files))
    requests = request_log.requests
    assert requests[0] == ("POST", "/api/system/OTAWWW")
    assert requests[-1] == ("POST", "/api/system/OTA")
    polls = requests[1:-1]
    assert polls
    assert set(polls) == {("GET", INFO)}
    if poll_interval > simulator.reboot_seconds:
        assert len(polls) == 1
    assert board.state.reboot_count == 2  # after www.bin, and after esp-miner.bin


@pytest.mark.usefixtures("quick_restart_wait")
async def test_board_that_does_not_come_back_after_www_gets_no_app(
    simulator: Simulator,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
) -> None:
    board = await simulator.start(MinerSpec(model="Bitaxe Gamma", firmware="v2.15.0"))
    board.set_fault(Fault.NEVER_RETURNS)
    with pytest.raises(MinerConnectionError, match="did not come back within 1 s"):
        await axeos(board, session).install_firmware(list(firmware_files))
    assert ("POST", "/api/system/OTA") not in request_log.requests


@pytest.mark.usefixtures("quick_restart_wait")
async def test_board_that_says_it_restarts_but_does_not_gets_no_app(
    serve: ServeFactory,
    session: aiohttp.ClientSession,
    request_log: RequestLog,
    firmware_files: tuple[FirmwarePart, FirmwarePart],
    real_fixtures: Path,
) -> None:
    info = json.loads((real_fixtures / "bitaxe" / "v2_0_0" / "system_info.json").read_text())
    info["uptimeSeconds"] = 86_400

    async def system_info(_request: web.Request) -> web.Response:
        return web.json_response(info)

    async def ota_www(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="WWW update complete, rebooting now!\n")

    port = await serve({INFO: system_info, "/api/system/OTAWWW": ota_www})
    client = create_miner("axeos", "127.0.0.1", session, port=port)
    with pytest.raises(MinerConnectionError, match="did not come back"):
        await client.install_firmware(list(firmware_files))
    assert request_log.count(INFO) > 1
    assert ("POST", "/api/system/OTA") not in request_log.requests
