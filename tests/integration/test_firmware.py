"""The firmware catalog: the ESP-Miner feed read over loopback, its cache, downloads and checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import hashlib
import logging
from pathlib import Path
import tempfile
import tracemalloc
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.asic import firmware
from custom_components.asic.client import Family
from custom_components.asic.firmware import (
    EspMinerReleases,
    FirmwareAsset,
    FirmwareCatalogs,
    app_image_version,
    check_app_image,
    download_asset,
    parse_github_releases,
    same_version,
)
from tests.release_feed import APP_ASSET, WWW_ASSET, FeedRelease, ReleaseFeed
from tests.simulator.esp_image import build_app_image

# The feed listens on a real loopback socket.
pytestmark = pytest.mark.usefixtures("socket_enabled")

NOTES = "## v2.16.0\n\n- Pools list.\n- Fewer rejects."


@pytest.fixture
async def release_feed() -> AsyncIterator[ReleaseFeed]:
    """A feed with one newer stable release, an older one, a prerelease and a draft."""
    releases = [
        FeedRelease("v3.0.0-rc1", prerelease=True),
        FeedRelease("v9.0.0", draft=True),
        FeedRelease("v2.16.0", notes=NOTES),
        FeedRelease("v2.15.0"),
    ]
    async with ReleaseFeed(releases) as feed:
        yield feed


@pytest.fixture
def catalog(hass: HomeAssistant, release_feed: ReleaseFeed) -> EspMinerReleases:
    return EspMinerReleases(hass, release_feed.url)


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the catalog's temporary folders go, so a test can see they are gone."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _versions(catalog: EspMinerReleases) -> list[str]:
    return [release.version for release in catalog.releases]


def _leftovers(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def _github_release(tag: str, **changes: Any) -> dict[str, Any]:
    release: dict[str, Any] = {
        "tag_name": tag,
        "name": f"Release {tag}",
        "body": f"Notes of {tag}",
        "draft": False,
        "prerelease": False,
        "html_url": f"https://github.com/bitaxeorg/ESP-Miner/releases/tag/{tag}",
        "assets": [
            {
                "name": name,
                "browser_download_url": f"https://example.invalid/{tag}/{name}",
                "size": 100,
                "digest": "sha256:" + "AB" * 32,
            }
            for name in (APP_ASSET, WWW_ASSET)
        ],
    }
    release.update(changes)
    return release


def test_parse_keeps_stable_releases_with_files_newest_first() -> None:
    payload = [
        _github_release("v2.9.0"),
        "not a release",
        _github_release("v2.10.0", body="   "),
        _github_release("v2.11.0-beta", prerelease=True),
        _github_release("v2.12.0", draft=True),
        _github_release("nightly"),
        _github_release(""),
        _github_release(None),  # type: ignore[arg-type]
        _github_release("v2.13.0", assets=[{"name": APP_ASSET}]),
        _github_release("v2.8.0", name="", html_url=None, assets=["junk", *_assets("v2.8.0")]),
    ]

    releases = parse_github_releases(payload, required=(APP_ASSET, WWW_ASSET))

    assert [release.version for release in releases] == ["v2.10.0", "v2.9.0", "v2.8.0"]
    newest = releases[0]
    assert newest.title == "Release v2.10.0"
    assert newest.notes is None  # a blank body is no release notes
    assert newest.url == "https://github.com/bitaxeorg/ESP-Miner/releases/tag/v2.10.0"
    assert newest.assets[APP_ASSET].sha256 == "ab" * 32
    assert newest.assets[APP_ASSET].size == 100
    oldest = releases[-1]
    assert (oldest.title, oldest.url) == ("v2.8.0", None)
    assert oldest.assets[APP_ASSET].sha256 is None
    assert oldest.assets[APP_ASSET].size is None


def _assets(tag: str) -> list[dict[str, Any]]:
    """Assets without digest and with a size GitHub would never send (a bool)."""
    return [
        {
            "name": name,
            "browser_download_url": f"https://example.invalid/{tag}/{name}",
            "size": True,
        }
        for name in (APP_ASSET, WWW_ASSET)
    ]


def test_parse_refuses_what_is_no_release_list() -> None:
    with pytest.raises(ValueError, match="list of releases"):
        parse_github_releases({"message": "API rate limit exceeded"})
    assert parse_github_releases([{"tag_name": "v1.0.0", "assets": "none"}]) != ()
    assert parse_github_releases([{"tag_name": "v1.0.0", "assets": "none"}], required=("a",)) == ()


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("v2.9.0", "2.9.0", True),
        ("v2.9.0", "v2.10.0", False),
        ("custom build", "custom build", True),
        ("custom build", "v2.9.0", False),
        (None, "v2.9.0", False),
    ],
)
def test_same_version(first: str | None, second: str, same: bool) -> None:
    assert same_version(first, second) is same


def test_app_image_version() -> None:
    image = build_app_image("v2.16.0")
    assert app_image_version(image[:80]) == "v2.16.0"
    assert app_image_version(image[:40]) is None  # too short to carry the version
    assert app_image_version(b"\x00" + image[1:80]) is None  # not an ESP32 image
    assert app_image_version(image[:32] + b"\x00" * 48) is None  # no esp_app_desc_t
    assert app_image_version(image[:48] + b"\x00" * 32) is None  # an empty version


async def test_catalog_reads_latest_stable_release(
    catalog: EspMinerReleases, release_feed: ReleaseFeed
) -> None:
    assert _versions(catalog) == []

    await catalog.async_refresh()

    assert _versions(catalog) == ["v2.16.0", "v2.15.0"]
    latest = catalog.latest
    assert latest is not None
    assert latest.version == "v2.16.0"
    assert latest.notes == NOTES
    assert latest.url == release_feed.base_url + "/bitaxeorg/ESP-Miner/releases/tag/v2.16.0"
    app = latest.assets[APP_ASSET]
    assert app.url == release_feed.asset_url("v2.16.0", APP_ASSET)
    assert (
        app.sha256 == hashlib.sha256(release_feed.release("v2.16.0").files[APP_ASSET]).hexdigest()
    )
    assert catalog.find("2.15.0") is catalog.releases[1]
    assert catalog.find("v3.0.0-rc1") is None  # prereleases are not offered


@pytest.mark.freeze_time("2026-03-01 12:00:00")
async def test_catalog_fetches_once_an_hour(
    hass: HomeAssistant,
    catalog: EspMinerReleases,
    release_feed: ReleaseFeed,
    freezer: FrozenDateTimeFactory,
) -> None:
    await asyncio.gather(*(catalog.async_refresh() for _ in range(5)))
    assert release_feed.feed_requests == 1

    freezer.tick(timedelta(minutes=59))
    await catalog.async_refresh()
    assert release_feed.feed_requests == 1

    freezer.tick(timedelta(minutes=1))
    await catalog.async_refresh()
    assert release_feed.feed_requests == 2

    await catalog.async_refresh(force=True)
    assert release_feed.feed_requests == 3


@pytest.mark.freeze_time("2026-03-01 12:00:00")
async def test_listeners_get_a_timer_and_news(
    hass: HomeAssistant,
    catalog: EspMinerReleases,
    release_feed: ReleaseFeed,
    freezer: FrozenDateTimeFactory,
) -> None:
    calls: list[str] = []
    remove_first = catalog.async_add_listener(lambda: calls.append("first"))
    remove_second = catalog.async_add_listener(lambda: calls.append("second"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert release_feed.feed_requests == 1
    assert calls == ["first", "second"]

    # Nothing new an hour later: fetched again, nobody told.
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert release_feed.feed_requests == 2
    assert calls == ["first", "second"]

    release_feed.releases.insert(0, FeedRelease("v2.17.0"))
    release_feed.releases[0].build()
    remove_first()
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert release_feed.feed_requests == 3
    assert calls == ["first", "second", "second"]
    assert catalog.latest is not None
    assert catalog.latest.version == "v2.17.0"

    # Without listeners the timer stops.
    remove_second()
    remove_second()
    freezer.tick(timedelta(hours=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert release_feed.feed_requests == 3


@pytest.mark.parametrize("failure", ["fail_feed", "bad_json"])
async def test_failing_feed_warns_once_and_keeps_last_releases(
    hass: HomeAssistant,
    catalog: EspMinerReleases,
    release_feed: ReleaseFeed,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    await catalog.async_refresh()
    setattr(release_feed, failure, True)

    for _ in range(3):
        await catalog.async_refresh(force=True)

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Cannot read the ESP-Miner firmware releases" in warnings[0].getMessage()
    assert catalog.latest is not None
    assert catalog.latest.version == "v2.16.0"

    setattr(release_feed, failure, False)
    caplog.clear()
    await catalog.async_refresh(force=True)
    assert "can be read again" in caplog.text


async def test_unreachable_feed_leaves_no_release(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = EspMinerReleases(hass, "http://127.0.0.1:9/repos/bitaxeorg/ESP-Miner/releases")

    await catalog.async_refresh()

    assert catalog.latest is None
    assert "Cannot read the ESP-Miner firmware releases" in caplog.text
    with pytest.raises(HomeAssistantError) as err:
        await catalog.async_release(None)
    assert err.value.translation_key == "firmware_feed_unavailable"


async def test_oversized_feed_is_refused(
    hass: HomeAssistant, catalog: EspMinerReleases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(firmware, "MAX_FEED_BYTES", 100)
    await catalog.async_refresh()
    assert catalog.latest is None


async def test_release_lookup(catalog: EspMinerReleases, release_feed: ReleaseFeed) -> None:
    # An empty cache fetches on demand.
    release = await catalog.async_release("2.15.0")
    assert release.version == "v2.15.0"
    assert release_feed.feed_requests == 1

    assert (await catalog.async_release(None)).version == "v2.16.0"
    assert release_feed.feed_requests == 1

    with pytest.raises(ServiceValidationError) as err:
        await catalog.async_release("v1.0.0")
    assert err.value.translation_key == "firmware_version_unknown"
    assert release_feed.feed_requests == 2  # looked once more before saying no


async def test_prepare_downloads_checks_and_cleans_up(
    catalog: EspMinerReleases, release_feed: ReleaseFeed, temp_root: Path
) -> None:
    release = await catalog.async_release(None)

    async with catalog.async_prepare(release) as parts:
        assert {part.kind: part.path.name for part in parts} == {"www": WWW_ASSET, "app": APP_ASSET}
        for part in parts:
            assert part.path.read_bytes() == release_feed.release("v2.16.0").files[part.path.name]
        assert len(_leftovers(temp_root)) == 1

    assert _leftovers(temp_root) == []


@pytest.mark.parametrize(
    ("release", "key"),
    [
        (FeedRelease("v2.16.0", wrong_digest=True), "firmware_checksum_mismatch"),
        (FeedRelease("v2.16.0", bad_image=True, publish_digest=False), "firmware_not_esp32_image"),
        (FeedRelease("v2.16.0", image_version="v2.1.0"), "firmware_image_version_mismatch"),
    ],
)
async def test_bad_files_never_leave_home_assistant(
    hass: HomeAssistant, temp_root: Path, release: FeedRelease, key: str
) -> None:
    async with ReleaseFeed([release]) as feed:
        catalog = EspMinerReleases(hass, feed.url)
        latest = await catalog.async_release(None)
        with pytest.raises(HomeAssistantError) as err:
            async with catalog.async_prepare(latest):
                pytest.fail("a bad file must not be handed out")
    assert err.value.translation_key == key
    assert _leftovers(temp_root) == []


async def test_asset_server_error_is_a_download_failure(
    catalog: EspMinerReleases, release_feed: ReleaseFeed, temp_root: Path
) -> None:
    release = await catalog.async_release(None)
    release_feed.fail_assets = True

    with pytest.raises(HomeAssistantError) as err:
        async with catalog.async_prepare(release):
            pytest.fail("nothing was downloaded")

    assert err.value.translation_key == "firmware_download_failed"
    assert (err.value.translation_placeholders or {})["error"] == "HTTP 500"
    assert _leftovers(temp_root) == []


@pytest.mark.parametrize(
    ("size", "error"),
    [(100, "larger than the 100 bytes expected"), (10**6, "received 65536 of 1000000 bytes")],
)
async def test_download_of_unexpected_size_fails(
    hass: HomeAssistant, release_feed: ReleaseFeed, tmp_path: Path, size: int, error: str
) -> None:
    asset = FirmwareAsset(APP_ASSET, release_feed.asset_url("v2.16.0", APP_ASSET), size=size)

    with pytest.raises(HomeAssistantError) as err:
        await download_asset(
            hass, async_get_clientsession(hass), asset, tmp_path / APP_ASSET, version="v2.16.0"
        )

    assert err.value.translation_key == "firmware_download_failed"
    assert (err.value.translation_placeholders or {})["error"] == error


async def test_unreachable_download_fails(hass: HomeAssistant, tmp_path: Path) -> None:
    asset = FirmwareAsset(APP_ASSET, "http://127.0.0.1:9/esp-miner.bin")

    with pytest.raises(HomeAssistantError) as err:
        await download_asset(
            hass, async_get_clientsession(hass), asset, tmp_path / APP_ASSET, version="v2.16.0"
        )

    assert err.value.translation_key == "firmware_download_failed"


async def test_check_app_image(hass: HomeAssistant, tmp_path: Path) -> None:
    path = tmp_path / APP_ASSET
    path.write_bytes(build_app_image("2.16.0"))
    await check_app_image(hass, path, "v2.16.0")  # the same version, written another way

    path.write_bytes(b"")
    with pytest.raises(HomeAssistantError) as err:
        await check_app_image(hass, path, "v2.16.0")
    assert err.value.translation_key == "firmware_not_esp32_image"


async def test_download_memory_does_not_grow_with_the_file(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """An 8 MiB file passes through a small fraction of its size in memory.

    (Measured: the peak stays near 1 MiB for files from 1 to 16 MiB: buffers, not the file.)
    """
    size = 8 * 1024 * 1024
    async with ReleaseFeed([FeedRelease("v2.16.0", app_size=size)]) as feed:
        catalog = EspMinerReleases(hass, feed.url)
        asset = (await catalog.async_release(None)).assets[APP_ASSET]
        session = async_get_clientsession(hass)
        target = tmp_path / APP_ASSET

        tracemalloc.start()
        try:
            await download_asset(hass, session, asset, target, version="v2.16.0")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert target.stat().st_size == size
    assert peak < size // 4, f"peak {peak} bytes while downloading {size} bytes"


def test_catalogs_by_family(hass: HomeAssistant) -> None:
    catalogs = FirmwareCatalogs(hass, esp_miner_releases_url="http://127.0.0.1:9/releases")
    esp_miner = catalogs.for_family(Family.AXEOS)
    assert isinstance(esp_miner, EspMinerReleases)
    assert esp_miner.url == "http://127.0.0.1:9/releases"
    assert catalogs.for_family(Family.ANTMINER) is None
