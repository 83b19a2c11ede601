"""Find out which firmware family answers at a host.

The web root page is read once and matched against each family's signature; the matching
family then confirms itself with its own model probe and reports model, firmware and MAC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from .errors import MinerConnectionError, MinerProtocolError, MinerUnsupportedError
from .families.axeos import is_axeos_info, model_name
from .models import Family, Identity
from .transport.http import HttpTransport, decode_json
from .units import as_str


@dataclass(frozen=True, slots=True)
class WebPage:
    """What a host's web server says at ``/``."""

    status: int
    body: str
    realm: str | None


type Confirm = Callable[[HttpTransport, str, int], Awaitable[Identity | None]]


async def _confirm_axeos(http: HttpTransport, host: str, port: int) -> Identity | None:
    try:
        status, _, body = await http.request("GET", "/api/system/info", allow_redirects=False)
        if status != 200:
            return None
        info = decode_json(body, host)
    except MinerProtocolError:
        return None
    if not is_axeos_info(info):
        return None
    return Identity(
        host=host,
        port=port,
        family=Family.AXEOS,
        model=model_name(info),
        firmware_version=as_str(info.get("version")),
        mac=as_str(info.get("macAddr")),
        api_flavour="rest",
    )


# (family, root-page test, confirmation). Order matters where signatures overlap.
WEB_FAMILIES: tuple[tuple[Family, Callable[[WebPage], bool], Confirm], ...] = (
    (Family.AXEOS, lambda page: "axeos" in page.body.lower(), _confirm_axeos),
)

# Families whose root page can be bare; tried in turn when no signature matched.
FALLBACK_CONFIRMS: tuple[Confirm, ...] = (_confirm_axeos,)


def _realm(header: str | None) -> str | None:
    if not header or 'realm="' not in header:
        return None
    return header.split('realm="', 1)[1].split('"', 1)[0]


async def _read_root(http: HttpTransport) -> WebPage:
    try:
        status, headers, body = await http.request("GET", "/")
    except MinerProtocolError:
        # Something answers, but not with a page we can read: let the probes decide.
        return WebPage(status=0, body="", realm=None)
    return WebPage(
        status=status,
        body=body[:65536].decode("utf-8", "replace"),
        realm=_realm(headers.get("WWW-Authenticate")),
    )


async def identify(
    host: str,
    session: aiohttp.ClientSession,
    *,
    port: int | None = None,
    timeout: float = 5.0,
) -> Identity:
    """Identify the miner at ``host``; raise if nothing answers or it is no miner we know."""
    web_port = port or 80
    http = HttpTransport(session, host, web_port, timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            page = await _read_root(http)
            tried: set[Confirm] = set()
            for _family, matches, confirm in WEB_FAMILIES:
                if matches(page):
                    tried.add(confirm)
                    if found := await confirm(http, host, web_port):
                        return found
            for confirm in FALLBACK_CONFIRMS:
                if confirm not in tried and (found := await confirm(http, host, web_port)):
                    return found
    except TimeoutError as err:
        raise MinerConnectionError(f"{host} did not answer within {timeout:g} s") from err
    raise MinerUnsupportedError(
        f"{host} answers on port {web_port} but is not a miner this integration knows"
    )
