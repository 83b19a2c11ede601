"""The firmware update entity end to end: loopback feed, Home Assistant, simulated Bitaxe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
import tempfile
from typing import Any, Literal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import DATA_COMPONENT as UPDATE_ENTITIES
from homeassistant.components.update.const import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_URL,
    ATTR_TITLE,
    ATTR_UPDATE_PERCENTAGE,
    ATTR_VERSION,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
    UpdateEntityFeature,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    CONF_HOST,
    CONF_PORT,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.asic import update
from custom_components.asic.client import MinerData
from custom_components.asic.client.families import axeos
from custom_components.asic.const import CONF_FAMILY, DOMAIN
from custom_components.asic.coordinator import AsicConfigEntry
from custom_components.asic.firmware import DATA_FIRMWARE, FirmwareCatalogs, FirmwareRelease
from tests.release_feed import FeedRelease, ReleaseFeed
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

# The simulated miners and the release feed listen on real loopback sockets.
pytestmark = pytest.mark.usefixtures("socket_enabled")

ENTITY_ID = "update.gamma_firmware"
NEW = "v2.16.0"
OLD = "v2.14.2"  # what the simulated Bitaxe runs unless told otherwise
NOTES = "## ESP-Miner v2.16.0\n\n- A pools list.\n- Fewer rejected shares."
APP_SIZE = 1024 * 1024  # several upload chunks, so progress has steps to show
PHASES: tuple[Literal["setup"], Literal["call"]] = ("setup", "call")


@pytest.fixture(autouse=True)
def quick_reboot_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator reboots in 0.2 s; give up on a miner after 2 s, not minutes."""
    monkeypatch.setattr(update, "REBOOT_TIMEOUT", 2.0)
    monkeypatch.setattr(update, "REBOOT_POLL_INTERVAL", 0.05)
    for name, value in (("RESTART_WAIT_TIMEOUT", 2.0), ("RESTART_POLL_INTERVAL", 0.05)):
        if hasattr(axeos, name):
            monkeypatch.setattr(axeos, name, value)


@pytest.fixture
def feed_releases() -> list[FeedRelease]:
    return [
        FeedRelease("v3.0.0-rc1", prerelease=True),
        FeedRelease(NEW, notes=NOTES, app_size=APP_SIZE),
        FeedRelease("v2.15.0"),
    ]


@pytest.fixture
async def release_feed(feed_releases: list[FeedRelease]) -> AsyncIterator[ReleaseFeed]:
    async with ReleaseFeed(feed_releases) as feed:
        yield feed


@pytest.fixture
def firmware_feed_url(release_feed: ReleaseFeed) -> str:
    return release_feed.url


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where downloads go during a test, so that leftovers show."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _leftovers(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def _state(hass: HomeAssistant, entity_id: str = ENTITY_ID) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


async def _install(hass: HomeAssistant, version: str | None = None) -> None:
    data: dict[str, Any] = {ATTR_ENTITY_ID: ENTITY_ID}
    if version is not None:
        data[ATTR_VERSION] = version
    await hass.services.async_call(UPDATE_DOMAIN, SERVICE_INSTALL, data, blocking=True)


async def _install_fails(hass: HomeAssistant, version: str | None = None) -> HomeAssistantError:
    with pytest.raises(HomeAssistantError) as err:
        await _install(hass, version)
    return err.value


async def _add_miner(
    hass: HomeAssistant, simulator: Simulator, *, mac: str, hostname: str, firmware: str | None
) -> tuple[SimulatedMiner, MockConfigEntry]:
    miner = await simulator.start(
        MinerSpec(family="axeos", mac=mac, hostname=hostname, firmware=firmware)
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=hostname,
        unique_id=format_mac(mac),
        data={CONF_HOST: miner.host, CONF_PORT: miner.port, CONF_FAMILY: "axeos"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return miner, entry


@pytest.mark.usefixtures("init_integration")
async def test_entity_shows_installed_and_latest_release(
    hass: HomeAssistant, release_feed: ReleaseFeed, entity_registry: er.EntityRegistry
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)

    state = _state(hass)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == OLD
    assert state.attributes[ATTR_LATEST_VERSION] == NEW  # the prerelease is not offered
    assert state.attributes[ATTR_RELEASE_URL] == (
        f"{release_feed.base_url}/bitaxeorg/ESP-Miner/releases/tag/{NEW}"
    )
    assert state.attributes[ATTR_TITLE] == "ESP-Miner"
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
        | UpdateEntityFeature.SPECIFIC_VERSION
    )
    registered = entity_registry.async_get(ENTITY_ID)
    assert registered is not None
    assert registered.unique_id == "24:58:7c:a1:b2:c3_firmware"
    assert registered.translation_key == "firmware"


@pytest.mark.usefixtures("init_integration")
async def test_release_notes(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": "update/release_notes", "entity_id": ENTITY_ID})
    reply = await client.receive_json()

    assert reply["success"]
    assert reply["result"] == NOTES


# Frozen from the start, before Home Assistant and the sockets exist: freezing time under a
# running request would move the event loop's clock beneath it.
@pytest.mark.freeze_time("2026-03-01 12:00:00")
async def test_feed_is_read_once_for_all_miners_and_hourly(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    release_feed: ReleaseFeed,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _add_miner(hass, simulator, mac="24:58:7C:00:00:02", hostname="supra", firmware=NEW)

    assert release_feed.feed_requests == 1
    assert _state(hass).state == STATE_ON
    second = _state(hass, "update.supra_firmware")
    assert second.state == STATE_OFF  # already on the latest release
    assert second.attributes[ATTR_LATEST_VERSION] == NEW

    # Miners are polled every 10 s; the feed is not.
    for _ in range(5):
        freezer.tick(timedelta(minutes=11))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert release_feed.feed_requests == 1

    release_feed.releases.insert(0, FeedRelease("v2.17.0"))
    release_feed.releases[0].build()
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert release_feed.feed_requests == 2
    assert _state(hass).attributes[ATTR_LATEST_VERSION] == "v2.17.0"
    assert _state(hass, "update.supra_firmware").state == STATE_ON


async def test_install_end_to_end(
    hass: HomeAssistant,
    init_integration: AsicConfigEntry,
    axeos_miner: SimulatedMiner,
    release_feed: ReleaseFeed,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    temp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_integration.runtime_data.coordinator
    miner = init_integration.runtime_data.miner
    real_read = miner.read
    reads = 0

    async def counted_read() -> MinerData:
        nonlocal reads
        reads += 1
        return await real_read()

    monkeypatch.setattr(miner, "read", counted_read)
    refreshes = 0

    @callback
    def count_refresh() -> None:
        nonlocal refreshes
        refreshes += 1

    remove_listener = coordinator.async_add_listener(count_refresh)
    seen: list[State] = []
    during_upload: dict[str, Any] = {}

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        assert state is not None
        seen.append(state)
        percent = state.attributes.get(ATTR_UPDATE_PERCENTAGE)
        if percent == 0:
            # The upload starts: a poll falls due now, and must not reach the miner.
            during_upload.update(reads=reads, refreshes=refreshes, files=_leftovers(temp_root))
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
        elif percent == update.UPLOAD_SHARE and "reads_after" not in during_upload:
            during_upload.update(
                reads_after=reads, refreshes_after=refreshes, paused=coordinator.is_paused
            )

    async_track_state_change_event(hass, [ENTITY_ID], record)

    await _install(hass)

    # The miner runs the new firmware and web UI, and says so.
    assert axeos_miner.state.version == NEW
    assert axeos_miner.state.www_version == NEW
    state = _state(hass)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == NEW
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes.get(ATTR_UPDATE_PERCENTAGE) is None
    registered = entity_registry.async_get(ENTITY_ID)
    assert registered is not None
    assert registered.device_id is not None
    device = device_registry.async_get(registered.device_id)
    assert device is not None
    assert device.sw_version == NEW

    # Progress: unknown while downloading, then bytes sent up to 90 %, then the reboot to 100 %.
    progress = [item.attributes.get(ATTR_UPDATE_PERCENTAGE) for item in seen[:-1]]
    assert all(item.attributes[ATTR_IN_PROGRESS] is True for item in seen[:-1])
    assert progress[0] is None
    steps: list[int] = [step for step in progress[1:] if step is not None]
    assert len(steps) == len(progress) - 1
    assert steps == sorted(steps)
    assert steps[0] == 0
    assert any(0 < step < update.UPLOAD_SHARE for step in steps)
    assert update.UPLOAD_SHARE in steps
    assert steps[-1] == 100

    # Both files were on disk while sending, and are gone now.
    assert len(during_upload["files"]) == 1
    assert _leftovers(temp_root) == []

    # Polling was paused while the files went out: a poll fell due, none reached the miner.
    assert during_upload["paused"] is True
    assert during_upload["refreshes_after"] > during_upload["refreshes"]
    assert during_upload["reads_after"] == during_upload["reads"]
    assert not coordinator.is_paused
    remove_listener()


async def test_install_on_firmware_that_reboots_after_the_web_ui(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """From 2.15 on, the board restarts after www.bin too: esp-miner.bin waits for it."""
    miner, _ = await _add_miner(
        hass, simulator, mac="24:58:7C:00:00:03", hostname="hex", firmware="v2.15.0"
    )

    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: "update.hex_firmware"}, blocking=True
    )

    assert miner.state.version == NEW
    assert miner.state.www_version == NEW
    assert miner.state.reboot_count == 2
    assert _state(hass, "update.hex_firmware").state == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_install_a_specific_version(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)

    await _install(hass, "2.15.0")

    assert axeos_miner.state.version == "v2.15.0"
    assert _state(hass).attributes[ATTR_INSTALLED_VERSION] == "v2.15.0"
    assert _state(hass).state == STATE_ON  # v2.16.0 is still newer

    err = await _install_fails(hass, "v1.0.0")
    assert isinstance(err, ServiceValidationError)
    assert err.translation_key == "firmware_version_unknown"


@pytest.mark.parametrize(
    ("fault", "key", "flashed"),
    [
        (Fault.FIRMWARE_REJECTED, "firmware_rejected", OLD),
        (Fault.NEVER_RETURNS, "firmware_no_return", NEW),  # flashed, then never booted
        (Fault.WRONG_VERSION_AFTER_OTA, "firmware_wrong_version", OLD),
    ],
)
async def test_install_fails_on_the_miner(
    hass: HomeAssistant,
    init_integration: AsicConfigEntry,
    axeos_miner: SimulatedMiner,
    temp_root: Path,
    fault: Fault,
    key: str,
    flashed: str,
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    axeos_miner.set_fault(fault)

    err = await _install_fails(hass)

    assert err.translation_key == key
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["host"] == axeos_miner.host
    assert axeos_miner.state.version == flashed
    state = _state(hass)
    assert state.attributes.get(ATTR_IN_PROGRESS, False) is False
    assert _leftovers(temp_root) == []
    coordinator = init_integration.runtime_data.coordinator
    assert not coordinator.is_paused
    # Polling resumed at once: the entity shows whether the miner is there.
    assert (state.state == STATE_UNAVAILABLE) is (fault is Fault.NEVER_RETURNS)

    axeos_miner.clear_fault()
    await axeos_miner.wait_until_up()
    await coordinator.async_refresh()
    assert _state(hass).state == (STATE_OFF if flashed == NEW else STATE_ON)


async def test_wrong_version_names_what_the_miner_runs(
    hass: HomeAssistant, init_integration: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    axeos_miner.set_fault(Fault.WRONG_VERSION_AFTER_OTA)

    err = await _install_fails(hass)

    assert err.translation_placeholders == {
        "host": axeos_miner.host,
        "version": NEW,
        "found": OLD,
    }
    assert axeos_miner.state.reboot_count == 1


@pytest.mark.usefixtures("init_integration")
async def test_upload_cut_off_is_an_upload_failure(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    axeos_miner.set_fault(Fault.RESET, path="/api/system/OTAWWW")

    err = await _install_fails(hass)

    assert err.translation_key == "firmware_upload_failed"
    assert axeos_miner.state.reboot_count == 0


@pytest.mark.parametrize(
    ("feed_releases", "key"),
    [
        ([FeedRelease(NEW, wrong_digest=True)], "firmware_checksum_mismatch"),
        ([FeedRelease(NEW, bad_image=True)], "firmware_not_esp32_image"),
        ([FeedRelease(NEW, image_version="v2.13.0")], "firmware_image_version_mismatch"),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_bad_files_are_not_sent(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, temp_root: Path, key: str
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)

    err = await _install_fails(hass)

    assert err.translation_key == key
    assert axeos_miner.state.firmware_updates == 0
    assert axeos_miner.state.reboot_count == 0
    assert _leftovers(temp_root) == []
    assert _state(hass).attributes[ATTR_IN_PROGRESS] is False


@pytest.mark.usefixtures("init_integration")
async def test_feed_down_after_start_fails_the_download(
    hass: HomeAssistant, release_feed: ReleaseFeed, axeos_miner: SimulatedMiner
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    await release_feed.stop()

    err = await _install_fails(hass)

    assert err.translation_key == "firmware_download_failed"
    assert axeos_miner.state.reboot_count == 0
    assert _state(hass).state == STATE_ON  # the last known release is still offered


@pytest.mark.parametrize("firmware_feed_url", ["http://127.0.0.1:9/repos/x/y/releases"])
@pytest.mark.usefixtures("init_integration")
async def test_unreachable_feed_leaves_the_entity_usable(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)

    state = _state(hass)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_INSTALLED_VERSION] == OLD
    assert state.attributes[ATTR_LATEST_VERSION] is None

    err = await _install_fails(hass, NEW)
    assert err.translation_key == "firmware_feed_unavailable"
    await hass.async_block_till_done(wait_background_tasks=True)
    warnings = [
        record.getMessage()
        for phase in PHASES
        for record in caplog.get_records(phase)
        if "Cannot read the ESP-Miner firmware releases" in record.getMessage()
    ]
    assert len(warnings) == 1  # the failed fetch at start and the one for the install


async def test_no_entity_without_a_catalog(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Families whose firmware has no catalog (none yet besides AxeOS) get no update entity."""
    catalogs: FirmwareCatalogs = hass.data[DATA_FIRMWARE]
    monkeypatch.setattr(catalogs, "for_family", lambda family: None)

    await _add_miner(hass, simulator, mac="24:58:7C:00:00:04", hostname="max", firmware=None)

    assert hass.states.get("update.max_firmware") is None
    assert hass.states.get(ENTITY_ID) is not None


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        # Files taken but no restart: the miner keeps answering with the old version.
        (None, "firmware_wrong_version"),
        # A miner that hangs: the last reply cut short by the deadline proves nothing.
        (Fault.HANG, "firmware_no_return"),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_wait_for_the_new_version_alone(
    hass: HomeAssistant,
    axeos_miner: SimulatedMiner,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault | None,
    key: str,
) -> None:
    """The simulator always restarts after an upload, so these cases run the wait alone."""
    monkeypatch.setattr(update, "REBOOT_TIMEOUT", 1.0)
    monkeypatch.setattr(update, "REBOOT_POLL_INTERVAL", 0.3)
    entity = hass.data[UPDATE_ENTITIES].get_entity(ENTITY_ID)
    assert isinstance(entity, update.MinerFirmwareUpdate)
    if fault is not None:
        axeos_miner.set_fault(fault, path="/api/system/info")

    with pytest.raises(HomeAssistantError) as err:
        await entity._async_wait_for_version(FirmwareRelease(NEW, NEW, None, None, {}))

    assert err.value.translation_key == key
    assert axeos_miner.state.reboot_count == 0
    if fault is None:
        assert (err.value.translation_placeholders or {})["found"] == OLD
