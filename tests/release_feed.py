"""A loopback copy of the ESP-Miner releases feed, in GitHub's API shape, with its files.

Tests start it in their own event loop; the demo runs it as a program::

    python -m tests.release_feed --port 0 --version v2.16.0 --version v2.15.0

which prints one JSON line (``{"url": ..., "releases": [...]}``) once it listens and serves
until SIGTERM or Ctrl-C. ``esp-miner.bin`` files are ESP32 app images carrying their release's
version, built on the fly; ``www.bin`` files carry it in their ``/version.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
import hashlib
import json
import signal
import sys
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.simulator.esp_image import build_app_image, build_www_image

RELEASES_PATH = "/repos/bitaxeorg/ESP-Miner/releases"
DOWNLOAD_PATH = "/bitaxeorg/ESP-Miner/releases/download/{tag}/{name}"
PAGE_PATH = "/bitaxeorg/ESP-Miner/releases/tag/{tag}"
APP_ASSET = "esp-miner.bin"
WWW_ASSET = "www.bin"
SEND_CHUNK = 64 * 1024
DEFAULT_VERSIONS = ("v2.16.0", "v2.15.0")


@dataclass(slots=True)
class FeedRelease:
    """One release of the feed and how its files are (mis)made."""

    version: str
    prerelease: bool = False
    draft: bool = False
    notes: str | None = None
    app_size: int = 64 * 1024
    www_size: int = 32 * 1024
    # The version written inside esp-miner.bin; the release's own when None.
    image_version: str | None = None
    bad_image: bool = False  # esp-miner.bin that is not an ESP32 image
    wrong_digest: bool = False  # the feed publishes a sha256 the files do not have
    publish_digest: bool = True  # older GitHub releases carry no digest at all
    files: dict[str, bytes] = field(default_factory=dict, repr=False)

    def build(self) -> None:
        """Make the files once; a test's memory measurement must not see them being built."""
        if self.files:
            return
        app = build_app_image(self.image_version or self.version, size=self.app_size)
        if self.bad_image:
            app = b"PK\x03\x04" + app[4:]  # a zip header where the image magic should be
        self.files = {APP_ASSET: app, WWW_ASSET: build_www_image(self.version, self.www_size)}

    def note_text(self) -> str:
        return self.notes if self.notes is not None else f"## {self.version}\n\n- Faster hashing."


class ReleaseFeed:
    """The feed server; ``async with ReleaseFeed([...]) as feed: feed.url``.

    ``fail_feed`` answers the list with HTTP 500, ``bad_json`` with text that is not JSON,
    ``fail_assets`` the files with HTTP 500. ``feed_requests`` and ``asset_requests`` count
    what was asked for.
    """

    def __init__(
        self, releases: Sequence[FeedRelease], *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.releases = list(releases)
        self.host = host
        self.port = port
        self.fail_feed = False
        self.bad_json = False
        self.fail_assets = False
        self.feed_requests = 0
        self.asset_requests: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        for release in self.releases:
            release.build()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """What ``asic: esp_miner_releases_url:`` is set to."""
        return self.base_url + RELEASES_PATH

    def release(self, version: str) -> FeedRelease:
        return next(item for item in self.releases if item.version == version)

    def asset_url(self, version: str, name: str) -> str:
        return self.base_url + DOWNLOAD_PATH.format(tag=version, name=name)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(RELEASES_PATH, self._list)
        app.router.add_get(DOWNLOAD_PATH.format(tag="{tag}", name="{name}"), self._asset)
        app.router.add_get(PAGE_PATH.format(tag="{tag}"), self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def payload(self) -> list[dict[str, Any]]:
        """The releases list as GitHub's API shapes it, newest (first given) first."""
        return [self._release_json(index, item) for index, item in enumerate(self.releases)]

    def _release_json(self, index: int, release: FeedRelease) -> dict[str, Any]:
        release_id = 1000 + index
        assets = []
        for number, (name, content) in enumerate(release.files.items()):
            digest = hashlib.sha256(content).hexdigest()
            if release.wrong_digest:
                digest = hashlib.sha256(b"not " + content[:64]).hexdigest()
            asset: dict[str, Any] = {
                "id": release_id * 10 + number,
                "name": name,
                "label": "",
                "content_type": "application/octet-stream",
                "state": "uploaded",
                "size": len(content),
                "browser_download_url": self.asset_url(release.version, name),
            }
            if release.publish_digest:
                asset["digest"] = f"sha256:{digest}"
            assets.append(asset)
        return {
            "id": release_id,
            "url": f"{self.url}/{release_id}",
            "html_url": self.base_url + PAGE_PATH.format(tag=release.version),
            "tag_name": release.version,
            "name": release.version,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "created_at": "2025-01-01T00:00:00Z",
            "published_at": "2025-01-01T00:00:00Z",
            "body": release.note_text(),
            "assets": assets,
        }

    async def _list(self, _request: web.Request) -> web.StreamResponse:
        self.feed_requests += 1
        if self.fail_feed:
            return web.Response(status=500, text="Internal Server Error")
        if self.bad_json:
            return web.Response(text='[{"tag_name": ', content_type="application/json")
        return web.json_response(self.payload())

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        tag, name = request.match_info["tag"], request.match_info["name"]
        self.asset_requests[f"{tag}/{name}"] += 1
        if self.fail_assets:
            return web.Response(status=500, text="Internal Server Error")
        release = next((item for item in self.releases if item.version == tag), None)
        if release is None or name not in release.files:
            return web.Response(status=404, text="Not Found")
        content = memoryview(release.files[name])
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(content)
        await response.prepare(request)
        # Chunk by chunk, waiting for the client: the server side of a memory test stays flat.
        for start in range(0, len(content), SEND_CHUNK):
            await response.write(content[start : start + SEND_CHUNK])
        await response.write_eof()
        return response

    async def _page(self, request: web.Request) -> web.StreamResponse:
        tag = request.match_info["tag"]
        release = next((item for item in self.releases if item.version == tag), None)
        if release is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(text=release.note_text(), content_type="text/plain")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.release_feed",
        description="Serve an ESP-Miner releases feed and its firmware files on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--version",
        action="append",
        dest="versions",
        help=f"a stable release, newest first; repeatable (default: {' '.join(DEFAULT_VERSIONS)})",
    )
    parser.add_argument("--prerelease", action="append", default=[], help="a prerelease tag")
    parser.add_argument("--app-size", type=int, default=64 * 1024, help="esp-miner.bin bytes")
    parser.add_argument("--wrong-digest", action="store_true", help="publish wrong sha256s")
    parser.add_argument("--bad-image", action="store_true", help="esp-miner.bin is no image")
    parser.add_argument("--http-500", action="store_true", help="the list answers HTTP 500")
    return parser.parse_args(argv)


def releases_from_args(args: argparse.Namespace) -> list[FeedRelease]:
    releases = [
        FeedRelease(version, prerelease=True, app_size=args.app_size) for version in args.prerelease
    ]
    releases += [
        FeedRelease(
            version,
            app_size=args.app_size,
            wrong_digest=args.wrong_digest,
            bad_image=args.bad_image,
        )
        for version in args.versions or DEFAULT_VERSIONS
    ]
    return releases


async def serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    feed = ReleaseFeed(releases_from_args(args), host=args.host, port=args.port)
    feed.fail_feed = args.http_500
    try:
        await feed.start()
    except OSError as err:
        print(f"release feed: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    try:
        line = {"url": feed.url, "releases": [item.version for item in feed.releases]}
        print(json.dumps(line), flush=True)
        print(f"release feed: serving {feed.url}; Ctrl-C stops", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await feed.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
