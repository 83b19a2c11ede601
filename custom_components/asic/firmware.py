"""Firmware catalogs: where a family's firmware comes from, and the checks before sending it.

One :class:`FirmwareCatalogs` lives in ``hass.data`` for the whole integration, so a feed is
fetched once for all miners. A catalog caches its releases and refreshes them at most once an
hour; a feed that fails leaves the last known releases in place and logs one warning.

Installing a release first downloads its files to a temporary folder (streamed to disk, chunk
by chunk, written in the executor), verifies them, and only then hands them to the client.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import json
from pathlib import Path
import shutil
import tempfile
from typing import IO, Any, Final

import aiohttp
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .client import Family, FirmwarePart
from .const import DOMAIN, LOGGER

REFRESH_INTERVAL: Final = timedelta(hours=1)
FEED_TIMEOUT: Final = aiohttp.ClientTimeout(total=30)
DOWNLOAD_TIMEOUT: Final = aiohttp.ClientTimeout(total=600, sock_read=60)
DOWNLOAD_CHUNK_BYTES: Final = 64 * 1024
# Bigger than any ESP32 flash; a file beyond it is not firmware and must not fill the disk.
MAX_FIRMWARE_BYTES: Final = 32 * 1024 * 1024
MAX_FEED_BYTES: Final = 8 * 1024 * 1024
TEMP_PREFIX: Final = "asic-firmware-"

# ESP-IDF app image: the OTA code of the firmware itself reads esp_app_desc_t at offset 32.
ESP32_IMAGE_MAGIC: Final = 0xE9
APP_DESC_MAGIC: Final = bytes.fromhex("3254cdab")  # 0xABCD5432, little-endian
APP_DESC_OFFSET: Final = 32
APP_VERSION_OFFSET: Final = 48
APP_VERSION_LENGTH: Final = 32

ESP_MINER_APP: Final = "esp-miner.bin"
ESP_MINER_WWW: Final = "www.bin"
# Asset name → the part of an AxeOS install it is (see AxeOSMiner.install_firmware).
ESP_MINER_PARTS: Final[Mapping[str, str]] = {ESP_MINER_WWW: "www", ESP_MINER_APP: "app"}


@dataclass(frozen=True, slots=True)
class FirmwareAsset:
    """One downloadable file of a release; ``sha256`` is known where the feed publishes it."""

    name: str
    url: str
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class FirmwareRelease:
    """One published firmware version."""

    version: str
    title: str
    notes: str | None
    url: str | None
    assets: Mapping[str, FirmwareAsset]


class FeedError(Exception):
    """A catalog's source could not be read; logged, never shown as an action error."""


def firmware_error(key: str, **placeholders: object) -> HomeAssistantError:
    """An install or feed failure, said in the user's language."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


def parse_version(text: str | None) -> AwesomeVersion | None:
    """A comparable version, or ``None`` for text that is no version at all."""
    if not text:
        return None
    version = AwesomeVersion(text.strip())
    return None if version.strategy is AwesomeVersionStrategy.UNKNOWN else version


def same_version(first: str | None, second: str | None) -> bool:
    """``v2.9.0`` and ``2.9.0`` are the same version."""
    if first is None or second is None:
        return False
    left, right = parse_version(first), parse_version(second)
    if left is None or right is None:
        return first.strip() == second.strip()
    return left == right


class FirmwareCatalog(ABC):
    """Releases from one source, cached and refreshed at most once per :data:`REFRESH_INTERVAL`.

    Entities subscribe with :meth:`async_add_listener`; while anyone listens, a timer refreshes
    the releases and tells the listeners.
    """

    title: str

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._releases: tuple[FirmwareRelease, ...] = ()
        self._fetched_at: datetime | None = None
        self._failing = False
        self._lock = asyncio.Lock()
        self._listeners: dict[int, CALLBACK_TYPE] = {}
        self._next_listener = 0
        self._cancel_timer: CALLBACK_TYPE | None = None

    @property
    def releases(self) -> tuple[FirmwareRelease, ...]:
        """Known stable releases, newest first."""
        return self._releases

    @property
    def latest(self) -> FirmwareRelease | None:
        return self._releases[0] if self._releases else None

    def find(self, version: str) -> FirmwareRelease | None:
        return next((item for item in self._releases if same_version(item.version, version)), None)

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the releases change; returns the unsubscribe callback."""
        key = self._next_listener
        self._next_listener += 1
        self._listeners[key] = listener
        if self._cancel_timer is None:
            self._cancel_timer = async_track_time_interval(
                self.hass,
                self._async_scheduled_refresh,
                REFRESH_INTERVAL,
                name=f"{DOMAIN} firmware catalog {self.title}",
                cancel_on_shutdown=True,
            )
        if self._is_stale():
            self.hass.async_create_background_task(
                self.async_refresh(), f"{DOMAIN} firmware catalog {self.title}"
            )

        @callback
        def remove() -> None:
            self._listeners.pop(key, None)
            if not self._listeners and self._cancel_timer is not None:
                self._cancel_timer()
                self._cancel_timer = None

        return remove

    def _is_stale(self) -> bool:
        return self._fetched_at is None or dt_util.utcnow() - self._fetched_at >= REFRESH_INTERVAL

    async def _async_scheduled_refresh(self, _now: datetime) -> None:
        # The timer itself keeps the pace; fetches that started a moment after it must not
        # make it skip a whole interval.
        await self.async_refresh(force=True)

    async def async_refresh(self, *, force: bool = False) -> None:
        """Fetch the releases unless they are fresh; never raises."""
        async with self._lock:
            if not force and not self._is_stale():
                return
            self._fetched_at = dt_util.utcnow()
            try:
                releases = await self._async_fetch()
            except FeedError as err:
                if not self._failing:
                    LOGGER.warning(
                        "Cannot read the %s firmware releases: %s; retrying in %s",
                        self.title,
                        err,
                        REFRESH_INTERVAL,
                    )
                self._failing = True
                return
            if self._failing:
                LOGGER.info("The %s firmware releases can be read again", self.title)
            self._failing = False
            changed = releases != self._releases
            self._releases = releases
        if changed:
            for listener in list(self._listeners.values()):
                listener()

    async def async_release(self, version: str | None) -> FirmwareRelease:
        """The release to install: ``version``, or the latest one.

        A version the cache does not know triggers one fetch, so that a user's explicit
        request is not held back by the hourly pace.
        """
        release = self.latest if version is None else self.find(version)
        if release is None:
            await self.async_refresh(force=True)
            release = self.latest if version is None else self.find(version)
        if release is not None:
            return release
        if self._failing or not self._releases:
            raise firmware_error("firmware_feed_unavailable", catalog=self.title)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="firmware_version_unknown",
            translation_placeholders={"version": str(version), "catalog": self.title},
        )

    @abstractmethod
    async def _async_fetch(self) -> tuple[FirmwareRelease, ...]:
        """Read the source; raise :class:`FeedError` when it cannot be read."""

    @abstractmethod
    def async_prepare(
        self, release: FirmwareRelease
    ) -> AbstractAsyncContextManager[list[FirmwarePart]]:
        """Download and check a release's files; they are deleted when the block ends."""


class EspMinerReleases(FirmwareCatalog):
    """ESP-Miner (AxeOS) releases, from the project's GitHub releases API or a copy of it."""

    title = "ESP-Miner"

    def __init__(self, hass: HomeAssistant, url: str) -> None:
        super().__init__(hass)
        self.url = url

    async def _async_fetch(self) -> tuple[FirmwareRelease, ...]:
        session = async_get_clientsession(self.hass)
        try:
            async with session.get(
                self.url,
                headers={"Accept": "application/vnd.github+json"},
                timeout=FEED_TIMEOUT,
            ) as response:
                if response.status != 200:
                    raise FeedError(f"{self.url} answered HTTP {response.status}")
                body = await _read_capped(response, MAX_FEED_BYTES)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise FeedError(f"{self.url}: {str(err) or type(err).__name__}") from err
        try:
            return parse_github_releases(json.loads(body), required=tuple(ESP_MINER_PARTS))
        except ValueError as err:  # JSON errors are ValueErrors too
            raise FeedError(f"{self.url} sent no release list: {err}") from err

    @asynccontextmanager
    async def async_prepare(self, release: FirmwareRelease) -> AsyncIterator[list[FirmwarePart]]:
        session = async_get_clientsession(self.hass)
        folder = Path(await self.hass.async_add_executor_job(_make_temp_dir))
        try:
            parts: list[FirmwarePart] = []
            for name, kind in ESP_MINER_PARTS.items():
                asset = release.assets[name]
                path = folder / name
                await download_asset(self.hass, session, asset, path, version=release.version)
                parts.append(FirmwarePart(kind, path))
            await check_app_image(self.hass, folder / ESP_MINER_APP, release.version)
            yield parts
        finally:
            await self.hass.async_add_executor_job(shutil.rmtree, folder, True)


def _make_temp_dir() -> str:
    return tempfile.mkdtemp(prefix=TEMP_PREFIX)


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            raise aiohttp.ClientPayloadError(f"reply larger than {limit} bytes")
    return bytes(body)


def parse_github_releases(
    payload: Any, *, required: tuple[str, ...] = ()
) -> tuple[FirmwareRelease, ...]:
    """Stable releases of a GitHub releases list that carry every ``required`` asset.

    Drafts, prereleases and tags that are no version are left out; the rest is sorted newest
    first by version, whatever order the feed used.
    """
    if not isinstance(payload, list):
        # A feed of the wrong shape is as unreadable as bad JSON: one error kind for both.
        raise ValueError("expected a JSON list of releases")  # noqa: TRY004
    found: list[tuple[AwesomeVersion, FirmwareRelease]] = []
    for item in payload:
        if not isinstance(item, dict) or item.get("draft") or item.get("prerelease"):
            continue
        tag = item.get("tag_name")
        version = parse_version(tag) if isinstance(tag, str) else None
        if version is None or not isinstance(tag, str):
            continue
        assets = _parse_assets(item.get("assets"))
        if any(name not in assets for name in required):
            continue  # published before its files were attached: nothing to install yet
        notes, url, title = item.get("body"), item.get("html_url"), item.get("name")
        release = FirmwareRelease(
            version=tag,
            title=title if isinstance(title, str) and title else tag,
            notes=notes if isinstance(notes, str) and notes.strip() else None,
            url=url if isinstance(url, str) else None,
            assets=assets,
        )
        found.append((version, release))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return tuple(release for _, release in found)


def _parse_assets(raw: Any) -> dict[str, FirmwareAsset]:
    assets: dict[str, FirmwareAsset] = {}
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict):
            continue
        name, url = item.get("name"), item.get("browser_download_url")
        if not isinstance(name, str) or not isinstance(url, str):
            continue
        size = item.get("size")
        digest = item.get("digest")
        sha256 = None
        if isinstance(digest, str) and digest.lower().startswith("sha256:"):
            sha256 = digest.split(":", 1)[1].strip().lower() or None
        assets[name] = FirmwareAsset(
            name=name,
            url=url,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            sha256=sha256,
        )
    return assets


async def download_asset(
    hass: HomeAssistant,
    session: aiohttp.ClientSession,
    asset: FirmwareAsset,
    path: Path,
    *,
    version: str,
) -> None:
    """Stream ``asset`` into ``path``: one chunk in memory at a time, written in the executor.

    Raises a translated error when the download fails or the file is not the published one.
    """
    digest = hashlib.sha256()
    written = 0
    limit = min(asset.size or MAX_FIRMWARE_BYTES, MAX_FIRMWARE_BYTES)
    handle: IO[bytes] = await hass.async_add_executor_job(path.open, "wb")
    try:
        async with session.get(asset.url, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status != 200:
                raise firmware_error(
                    "firmware_download_failed",
                    file=asset.name,
                    version=version,
                    error=f"HTTP {response.status}",
                )
            async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK_BYTES):
                written += len(chunk)
                if written > limit:
                    raise firmware_error(
                        "firmware_download_failed",
                        file=asset.name,
                        version=version,
                        error=f"larger than the {limit} bytes expected",
                    )
                digest.update(chunk)
                await hass.async_add_executor_job(handle.write, chunk)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise firmware_error(
            "firmware_download_failed",
            file=asset.name,
            version=version,
            error=str(err) or type(err).__name__,
        ) from err
    finally:
        await hass.async_add_executor_job(handle.close)
    if asset.size is not None and written != asset.size:
        raise firmware_error(
            "firmware_download_failed",
            file=asset.name,
            version=version,
            error=f"received {written} of {asset.size} bytes",
        )
    if asset.sha256 is not None and digest.hexdigest() != asset.sha256:
        raise firmware_error(
            "firmware_checksum_mismatch",
            file=asset.name,
            version=version,
            expected=asset.sha256,
            actual=digest.hexdigest(),
        )


def _read_head(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def app_image_version(head: bytes) -> str | None:
    """The version an ESP32 app image carries in its ``esp_app_desc_t``, if it has one."""
    if len(head) < APP_VERSION_OFFSET + APP_VERSION_LENGTH or head[0] != ESP32_IMAGE_MAGIC:
        return None
    if head[APP_DESC_OFFSET : APP_DESC_OFFSET + 4] != APP_DESC_MAGIC:
        return None
    raw = head[APP_VERSION_OFFSET : APP_VERSION_OFFSET + APP_VERSION_LENGTH]
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace") or None


async def check_app_image(hass: HomeAssistant, path: Path, version: str) -> None:
    """Refuse a file that is not an ESP32 app image of ``version`` before it reaches a miner."""
    head = await hass.async_add_executor_job(
        _read_head, path, APP_VERSION_OFFSET + APP_VERSION_LENGTH
    )
    found = app_image_version(head)
    if found is None:
        raise firmware_error("firmware_not_esp32_image", file=path.name, version=version)
    if not same_version(found, version):
        raise firmware_error(
            "firmware_image_version_mismatch", file=path.name, version=version, found=found
        )


class FirmwareCatalogs:
    """The catalogs shared by every miner of the integration, one per source."""

    def __init__(self, hass: HomeAssistant, *, esp_miner_releases_url: str) -> None:
        self.hass = hass
        self.esp_miner_releases_url = esp_miner_releases_url
        self.esp_miner = EspMinerReleases(hass, esp_miner_releases_url)
        self._by_family: dict[Family, FirmwareCatalog] = {Family.AXEOS: self.esp_miner}

    def for_family(self, family: Family) -> FirmwareCatalog | None:
        """The catalog that knows this family's firmware, if any."""
        return self._by_family.get(family)


DATA_FIRMWARE: HassKey[FirmwareCatalogs] = HassKey(f"{DOMAIN}_firmware")
