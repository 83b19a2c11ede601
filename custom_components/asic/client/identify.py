"""Find out which firmware family answers at a host.

The web root page and the RPC ``version`` (port 4028) are probed at the same time. The page
(its body, or the realm of its 401) is matched against each family's signature; the matching
family then confirms itself with its own model probe and reports model, firmware and MAC.
The RPC probe is awaited only by families that need it (a Bitaxe is identified without it).

Stock Antminer: a 401 realm starting ``antMiner`` or an RPC ``Type`` naming an Antminer, and no
trace of a firmware that re-brands Antminer hardware (vendor-protocols.md §7: the markers of
``REBRAND_MARKERS`` anywhere in the ``version`` reply, or MaraFW's ``/kaonsu/v1/brief``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import json
from typing import Any

import aiohttp

from .errors import (
    MinerAuthError,
    MinerConnectionError,
    MinerError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from .families import (
    antminer,
    auradine,
    avalon,
    braiins,
    elphapex,
    epic,
    goldshell,
    hammer,
    hiveon,
    iceriver,
    innosilicon,
    luxos,
    marafw,
    vnish,
    volcminer,
    whatsminer,
)
from .families.axeos import is_axeos_info, model_name
from .miner import Credentials
from .models import Family, Identity
from .probe import Confirm, Probe, WebPage
from .transport.digest import DigestAuth
from .transport.http import HttpTransport, decode_json
from .transport.rpc import DEFAULT_RPC_PORT, RpcTransport
from .units import as_str

# Upper-cased text in an RPC ``version`` reply that betrays a firmware other than stock.
REBRAND_MARKERS = (
    "BOSMINER",
    "BOSER",
    "BRAIINS",
    "LUXMINER",
    "LUXOS",
    "VNISH",
    "ANTHILL",
    "HIVEON",
    "KAONSU",
    "MARAFW",
    "BTMINER",
    "BITMICRO",
    "AVALON",
    "GCMINER",
    "FLUXOS",
    "INNOMINER",
    "BFGMINER",
)


async def _confirm_axeos(probe: Probe) -> Identity | None:
    http, host, port = probe.http, probe.host, probe.port
    if probe.web_down:
        return None
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


async def _rpc_version(host: str, port: int, timeout: float) -> dict[str, Any] | None:
    """The RPC ``version`` reply, or None when nothing CGMiner-like answers."""
    try:
        return await RpcTransport(host, port, timeout=timeout).command("version")
    except MinerError:
        return None


def _antminer_realm(page: WebPage) -> bool:
    return (page.realm or "").lower().startswith("antminer")


async def _confirm_antminer(probe: Probe) -> Identity | None:
    version = await probe.rpc_version
    if version is not None and any(
        marker in json.dumps(version).upper() for marker in REBRAND_MARKERS
    ):
        return None
    rpc_type, compile_time = antminer.parse_version(version or {})
    by_rpc = rpc_type is not None and "ANTMINER" in rpc_type.upper()
    if not (_antminer_realm(probe.page) or by_rpc):
        return None
    info = antminer.SystemInfo()
    credentials = probe.credentials
    password = antminer.DEFAULT_PASSWORD if credentials.password is None else credentials.password
    http = HttpTransport(
        probe.session,
        probe.host,
        probe.port,
        timeout=probe.timeout,
        auth=DigestAuth(credentials.username or antminer.DEFAULT_USERNAME, password),
    )
    try:
        info = antminer.parse_system_info(await http.get_json(antminer.SYSTEM_INFO))
        # MaraFW keeps the stock login and pages, and adds its own REST API.
        status, _, _ = await http.request("GET", "/kaonsu/v1/brief", allow_redirects=False)
        if status == 200:
            return None
    except (MinerAuthError, MinerProtocolError, MinerUnsupportedError, MinerConnectionError):
        pass  # an unknown login or no web server: the RPC facts stand
    model = info.model or rpc_type
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.ANTMINER,
        model=model,
        firmware_version=info.firmware_version or compile_time,
        mac=info.mac,
        api_flavour=antminer.flavour_for(model),
    )


# (family, root-page test, confirmation). Order matters where signatures overlap.
WEB_FAMILIES: tuple[tuple[Family, Callable[[WebPage], bool], Confirm], ...] = (
    (Family.AXEOS, lambda page: "axeos" in page.body.lower(), _confirm_axeos),
    (Family.ANTMINER, _antminer_realm, _confirm_antminer),
    (Family.HIVEON, _antminer_realm, hiveon.confirm),
    (Family.MARAFW, _antminer_realm, marafw.confirm),
    (Family.ELPHAPEX, elphapex.page_matches, elphapex.confirm),
    (Family.HAMMER, hammer.is_blackminer_page, hammer.confirm),
    (Family.VOLCMINER, hammer.is_blackminer_page, volcminer.confirm),
    (Family.BRAIINS, lambda page: braiins.is_braiins_page(page.body), braiins.confirm),
    (Family.AVALON, avalon.page_matches, avalon.confirm),
    (Family.WHATSMINER, whatsminer.page_matches, whatsminer.confirm),
    (Family.LUXOS, lambda page: luxos.is_luxos_page(page.body), luxos.confirm),
    (Family.VNISH, lambda page: vnish.page_matches(page.body), vnish.confirm),
    (Family.GOLDSHELL, goldshell.page_matches, goldshell.confirm),
    (Family.ICERIVER, iceriver.page_matches, iceriver.confirm),
    (Family.INNOSILICON, innosilicon.page_matches, innosilicon.confirm),
    (Family.EPIC, epic.page_matches, epic.confirm),
    (Family.AURADINE, auradine.page_matches, auradine.confirm),
)

# Families whose root page can be bare; tried in turn when no signature matched.
FALLBACK_CONFIRMS: tuple[Confirm, ...] = (
    _confirm_axeos,
    _confirm_antminer,
    hiveon.confirm,
    avalon.confirm,
    braiins.confirm,
    whatsminer.confirm,
    luxos.confirm,
    vnish.confirm,
    goldshell.confirm,
    innosilicon.confirm,
    auradine.confirm,
    epic.confirm,
)


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
    credentials: Credentials | None = None,
    rpc_port: int | None = None,
) -> Identity:
    """Identify the miner at ``host``; raise if nothing answers or it is no miner we know.

    ``credentials``: the web login to try where a family needs one for its model probe
    (else the family's default); ``rpc_port``: where the RPC listens if not on 4028.
    """
    web_port = port or 80
    # The root page may redirect to https (Whatsminer's LuCI), under a self-signed certificate.
    http = HttpTransport(session, host, web_port, timeout=timeout, verify_tls=False)
    rpc_task = asyncio.ensure_future(_rpc_version(host, rpc_port or DEFAULT_RPC_PORT, timeout))
    try:
        async with asyncio.timeout(timeout):
            web_down = False
            try:
                page = await _read_root(http)
            except MinerConnectionError:
                # No web server: only a family the RPC names can still be there.
                if await rpc_task is None:
                    raise
                page, web_down = WebPage(status=0, body="", realm=None), True
            probe = Probe(
                session=session,
                http=http,
                host=host,
                port=web_port,
                rpc_port=rpc_port or DEFAULT_RPC_PORT,
                credentials=credentials or Credentials(),
                timeout=timeout,
                page=page,
                rpc_version=rpc_task,
                web_down=web_down,
            )
            tried: set[Confirm] = set()
            for _family, matches, confirm in WEB_FAMILIES:
                if matches(page):
                    tried.add(confirm)
                    if found := await confirm(probe):
                        return found
            for confirm in FALLBACK_CONFIRMS:
                if confirm not in tried and (found := await confirm(probe)):
                    return found
    except TimeoutError as err:
        raise MinerConnectionError(f"{host} did not answer within {timeout:g} s") from err
    finally:
        rpc_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rpc_task
    raise MinerUnsupportedError(
        f"{host} answers on port {web_port} but is not a miner this integration knows"
    )
