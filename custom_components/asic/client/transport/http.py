"""HTTP transport: timeouts, a cap on reply size, and errors mapped into the client's tree.

How an HTTP status becomes an error (``raise_for_status``):

- 401/403 → ``MinerAuthError`` (ESP-Miner answers 401 to requests from public addresses);
- 404, 405, or a redirect where an API reply was due → ``MinerUnsupportedError``: the
  firmware has no such endpoint (ESP-Miner redirects unknown GETs to its web page, answers
  405 to other methods on older versions and 404 on newer ones);
- 5xx to a read → ``MinerConnectionError``: the miner is failing, try again later;
- 5xx to a write → ``MinerCommandError`` with the firmware's message when it gives one (ESP-Miner
  sends its refusals, e.g. "Not allowed in AP mode", as 500), else ``MinerConnectionError``;
- any other 4xx → ``MinerCommandError`` with the firmware's message ("Wrong API input").

With ``auth`` (a :class:`.digest.DigestAuth`) every request carries the digest answer to the
last challenge, reusing its nonce; a 401 is answered once with its new challenge (again when it
says ``stale=true``), and a 401 after that is the wrong-credentials ``MinerAuthError`` above.
A streamed body cannot be sent twice, so it goes out with the last challenge's answer only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
import json
from typing import Any

import aiohttp
from yarl import URL

from ..errors import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from ..miner import ProgressCallback
from .digest import DigestAuth

MAX_REPLY_BYTES = 2 * 1024 * 1024


def format_host(host: str, port: int | None, default_port: int = 80) -> str:
    """``host`` or ``host:port`` (brackets for IPv6) as used in a URL authority."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return shown if port in (None, default_port) else f"{shown}:{port}"


class HttpTransport:
    """Requests to one miner's web server through a shared ``aiohttp`` session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        *,
        timeout: float,
        scheme: str = "http",
        auth: DigestAuth | None = None,
        verify_tls: bool = True,
    ) -> None:
        self._session = session
        self._auth = auth
        # Miners serve https with self-signed certificates; only identification reads
        # through them (their public pages, no login), with verification off.
        self._verify_tls = verify_tls
        try:
            self._base = URL(f"{scheme}://{format_host(host, port)}")
        except ValueError as err:
            raise MinerConnectionError(
                f"{host!r} with port {port} is not a network address: {err}"
            ) from err
        if not self._base.host:
            raise MinerConnectionError(f"{host!r} is not a network address: the host is empty")
        self._timeout = timeout

    @property
    def base_url(self) -> str:
        return str(self._base)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request; return (status, headers, body) whatever the status."""
        url = self._base.with_path(path)
        if params:
            url = url.with_query(params)
        replayable = data is None or isinstance(data, bytes)
        stale_retried = False
        attempt = 0
        while True:
            sent = dict(headers or {})
            if self._auth is not None and (answer := self._auth.header(method, url.raw_path_qs)):
                sent["Authorization"] = answer
            status, reply_headers, body = await self._request_once(
                method,
                url,
                json_body=json_body,
                data=data,
                headers=sent or None,
                timeout=timeout,
                allow_redirects=allow_redirects,
            )
            if status != 401 or self._auth is None or not replayable:
                return status, reply_headers, body
            usable, stale = self._auth.accept(reply_headers.get("WWW-Authenticate"))
            attempt += 1
            if not usable or (attempt > 1 and (not stale or stale_retried)):
                return status, reply_headers, body
            stale_retried = stale_retried or (attempt > 1 and stale)

    async def _request_once(
        self,
        method: str,
        url: URL,
        *,
        json_body: Any,
        data: bytes | AsyncIterator[bytes] | None,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        allow_redirects: bool,
    ) -> tuple[int, Mapping[str, str], bytes]:
        path = url.path
        client_timeout = aiohttp.ClientTimeout(total=timeout or self._timeout)
        try:
            async with self._session.request(
                method,
                url,
                json=json_body,
                data=data,
                headers=headers,
                timeout=client_timeout,
                allow_redirects=allow_redirects,
                ssl=self._verify_tls,
            ) as response:
                body = await _read_capped(response)
                return response.status, response.headers, body
        except TimeoutError as err:
            raise MinerConnectionError(
                f"{self._base.host} did not answer {method} {path} in time; "
                "check that the miner is powered and on the network"
            ) from err
        except aiohttp.ClientPayloadError as err:
            raise MinerProtocolError(
                f"{self._base.host} sent an incomplete reply to {path}: {err}"
            ) from err
        except (aiohttp.ClientError, OSError) as err:
            raise MinerConnectionError(
                f"Cannot reach {self._base.host}:{self._base.port}: {err or type(err).__name__}"
            ) from err

    async def get_json(self, path: str) -> Any:
        status, _, body = await self.request("GET", path, allow_redirects=False)
        self.raise_for_status(status, path, body, write=False)
        return decode_json(body, f"{self._base.host}{path}")

    async def send(self, method: str, path: str, json_body: Any = None) -> bytes:
        """A write whose reply body we do not need beyond its status."""
        status, _, body = await self.request(
            method, path, json_body=json_body, allow_redirects=False
        )
        self.raise_for_status(status, path, body, write=True)
        return body

    async def upload(
        self,
        path: str,
        chunks: AsyncIterator[bytes],
        size: int,
        progress: ProgressCallback | None,
        *,
        timeout: float,
    ) -> tuple[int, bytes]:
        """POST a raw ``application/octet-stream`` body streamed from ``chunks``.

        Returns (status, body) whatever the status: what a refusal means is the family's call.
        """

        async def counted() -> AsyncIterator[bytes]:
            sent = 0
            async for chunk in chunks:
                yield chunk
                sent += len(chunk)
                if progress is not None:
                    progress(sent, size)

        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        status, _, body = await self.request(
            "POST", path, data=counted(), headers=headers, timeout=timeout, allow_redirects=False
        )
        return status, body

    def raise_for_status(self, status: int, path: str, body: bytes, *, write: bool) -> None:
        """Map an HTTP status to the client's errors (see the module docstring)."""
        if 200 <= status < 300:
            return
        host = self._base.host
        text = body.decode("utf-8", "replace").strip()[:200]
        if status in (401, 403):
            raise MinerAuthError(
                f"{host} refused access to {path} ({status} {text}); "
                "check the credentials, and that Home Assistant is on the miner's local network"
            )
        if status in (404, 405) or 300 <= status < 400:
            raise MinerUnsupportedError(
                f"{host} has no {path} (HTTP {status}); its firmware may be too old for this"
            )
        if status >= 500 and (not write or not text):
            raise MinerConnectionError(
                f"{host} failed on {path} with HTTP {status}; it may be busy or restarting"
            )
        raise MinerCommandError(f"{host} refused {path}: {text or f'HTTP {status}'}", code=status)


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    announced = response.content_length
    if announced is not None and announced > MAX_REPLY_BYTES:
        raise MinerProtocolError(
            f"Reply from {response.url.host} announces {announced} bytes, "
            f"more than the {MAX_REPLY_BYTES} a miner's reply can be"
        )
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_REPLY_BYTES:
            raise MinerProtocolError(
                f"Reply from {response.url.host} is larger than {MAX_REPLY_BYTES} bytes"
            )
    return bytes(body)


def decode_json(body: bytes, where: str) -> Any:
    """Parse a JSON body; a reply we cannot read is a ``MinerProtocolError``."""
    text = body.decode("utf-8", "replace").strip().rstrip("\x00")
    if not text:
        raise MinerProtocolError(f"{where} sent an empty reply")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise MinerProtocolError(f"{where} sent a reply that is not JSON: {err}") from err
