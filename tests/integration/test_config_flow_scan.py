"""The config flow's network scan against simulated miners on a loopback network of their own.

Each test puts its miners on 127.N.M.x with their real ports (root only) and makes Home
Assistant's default adapter sit in that network, so the flow runs exactly as on a LAN.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import itertools
import os
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER
from homeassistant.const import CONF_HOST
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, FlowResultType
from homeassistant.helpers.device_registry import format_mac
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic import config_flow
from custom_components.asic.client import Family, Identity
from custom_components.asic.client.scan import DEFAULT_HOST_TIMEOUT
from custom_components.asic.config_flow import scan_key, scan_label, suggested_network
from custom_components.asic.const import CONF_FAMILY, DOMAIN
from tests.loopback import allow_loopback, require_root
from tests.simulator import Fault, MinerSpec, Simulator

_subnets = itertools.count(1)


@pytest.fixture
def subnet(socket_enabled: None) -> Iterator[str]:
    """A loopback /24 no other test uses (the second octet differs between processes), in
    which Home Assistant's default adapter has the address .1."""
    require_root()
    network = f"127.{100 + os.getpid() % 100}.{next(_subnets)}"
    allow_loopback(f"{network}.0/24")
    adapters = [adapter(f"{network}.1", 24, enabled=True, default=True)]
    with patch(
        "homeassistant.components.network.async_get_adapters", AsyncMock(return_value=adapters)
    ):
        yield network


@pytest.fixture
async def lan(subnet: str) -> AsyncIterator[Simulator]:
    async with Simulator(real_ports=True, reboot_seconds=0.2) as sim:
        yield sim


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Entries the flow creates are not set up: these tests are about the flow."""
    with patch("custom_components.asic.async_setup_entry", return_value=True) as mocked:
        yield mocked


def adapter(address: str, prefix: int, *, enabled: bool, default: bool) -> dict[str, Any]:
    return {
        "name": "eth0",
        "index": 0,
        "enabled": enabled,
        "auto": True,
        "default": default,
        "ipv4": [{"address": address, "network_prefix": prefix}],
        "ipv6": [],
    }


async def start(lan: Simulator, subnet: str, last: int, family: str, model: str) -> Any:
    return await lan.start(MinerSpec(family=family, model=model, host=f"{subnet}.{last}"))


async def scan_until_done(hass: HomeAssistant, network: str) -> Any:
    """Leave the host empty, scan ``network``, wait for the scan; the step after it."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "scan")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"network": network})
    assert (result["type"], result["step_id"]) == (FlowResultType.SHOW_PROGRESS, "scan_progress")
    assert result["progress_action"] == "scan"
    assert result["description_placeholders"] == {"network": network}
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


def options_of(result: Any) -> list[dict[str, str]]:
    """The choices of the pick step's list."""
    options: list[dict[str, str]] = result["data_schema"].schema["miner"].config["options"]
    return options


def discovered(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    """Discovered flows in progress, by the host they are about."""
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return {
        flow["context"]["title_placeholders"]["host"]: dict(flow)
        for flow in flows
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    }


async def test_scan_adds_the_chosen_miner_and_offers_the_others(
    hass: HomeAssistant, lan: Simulator, subnet: str
) -> None:
    gamma = await start(lan, subnet, 2, "axeos", "Bitaxe Gamma")
    s21 = await start(lan, subnet, 3, "antminer", "Antminer S21")
    luxos = await start(lan, subnet, 4, "luxos", "Antminer S19k Pro")
    known = await start(lan, subnet, 5, "axeos", "Bitaxe Supra")
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(known.mac),
        data={CONF_HOST: known.host, CONF_FAMILY: "axeos"},
    ).add_to_hass(hass)
    progress: list[float] = []

    @callback
    def on_progress(event: Event) -> None:
        progress.append(event.data["progress"])

    hass.bus.async_listen(EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, on_progress)

    result = await scan_until_done(hass, f"{subnet}.0/24")

    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "pick")
    assert result["description_placeholders"] == {"count": "3", "network": f"{subnet}.0/24"}
    options = options_of(result)
    assert [option["value"] for option in options] == [gamma.host, s21.host, luxos.host]
    assert options[0]["label"] == f"Bitaxe Gamma at {gamma.host} ({gamma.mac})"
    assert progress[-1] == 1.0
    assert progress == sorted(progress)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"miner": gamma.host}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == format_mac(gamma.mac)
    assert result["data"] == {CONF_HOST: gamma.host, CONF_FAMILY: "axeos"}

    await hass.async_block_till_done(wait_background_tasks=True)
    offered = discovered(hass)
    assert set(offered) == {s21.host, luxos.host}
    assert {flow["step_id"] for flow in offered.values()} == {"discovery_confirm"}
    assert offered[luxos.host]["context"]["unique_id"] == format_mac(luxos.mac)

    result = await hass.config_entries.flow.async_configure(offered[luxos.host]["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: luxos.host, CONF_FAMILY: "luxos"}
    # Stock Antminer firmware has a login: confirming leads to it, as for a typed address.
    result = await hass.config_entries.flow.async_configure(offered[s21.host]["flow_id"], {})
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "credentials")


async def test_nothing_new_found_leads_back_to_the_address_form(
    hass: HomeAssistant, lan: Simulator, subnet: str, mock_setup_entry: AsyncMock
) -> None:
    known = await start(lan, subnet, 7, "axeos", "Bitaxe Gamma")
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=format_mac(known.mac),
        data={CONF_HOST: known.host, CONF_FAMILY: "axeos"},
    ).add_to_hass(hass)

    result = await scan_until_done(hass, f"{subnet}.0/24")

    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")
    assert result["errors"] == {"base": "no_miners_found"}
    # The way out: an address typed by hand (here the known miner, whose entry is kept) ...
    typed = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: known.host}
    )
    assert (typed["type"], typed["reason"]) == (FlowResultType.ABORT, "already_configured")
    # ... or another scan.
    again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    again = await hass.config_entries.flow.async_configure(again["flow_id"], {CONF_HOST: " "})
    assert again["step_id"] == "scan"
    assert discovered(hass) == {}


async def test_the_network_is_prefilled_and_checked(hass: HomeAssistant, subnet: str) -> None:
    result: Any = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "scan"
    field = next(iter(result["data_schema"].schema))
    assert field.description == {"suggested_value": f"{subnet}.0/24"}
    for wrong in ("10.0.0.0/8", "fd00::/64", "my network"):
        shown = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"network": wrong}
        )
        assert (shown["step_id"], shown["errors"]) == ("scan", {"network": "invalid_network"})


async def test_the_scan_runs_beside_the_event_loop(
    hass: HomeAssistant, lan: Simulator, subnet: str
) -> None:
    """While a /24 is scanned the loop keeps turning: no step waits for the scan, and a host
    that accepts connections but never answers (it costs the whole budget) stalls nothing."""
    await start(lan, subnet, 9, "axeos", "Bitaxe Gamma")
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    silent = [await asyncio.start_server(hold, f"{subnet}.10", port) for port in (80, 4028)]
    gaps: list[float] = []
    ticking = True

    async def tick() -> None:
        last = time.monotonic()
        while ticking:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    result: Any = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"network": f"{subnet}.0/24"}
    )
    assert time.monotonic() - started < 0.2
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    elapsed = time.monotonic() - started
    ticking = False
    await ticker
    for writer in held:
        writer.close()
    for server in silent:
        server.close()
    assert elapsed >= DEFAULT_HOST_TIMEOUT  # the silent host's budget ran out meanwhile
    assert len(gaps) > 100
    # A blocking read would stall the loop for the silent host's whole budget (5 s).
    print(f"longest pause of the event loop during the scan: {max(gaps):.3f} s")
    assert max(gaps) < 2.0
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "pick"


async def test_a_chosen_miner_that_went_away(
    hass: HomeAssistant, lan: Simulator, subnet: str
) -> None:
    gamma = await start(lan, subnet, 11, "axeos", "Bitaxe Gamma")
    other = await start(lan, subnet, 12, "axeos", "Bitaxe GT")
    result = await scan_until_done(hass, f"{subnet}.0/24")
    gamma.set_fault(Fault.OFFLINE)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"miner": gamma.host}
    )
    assert (result["step_id"], result["errors"]) == ("pick", {"base": "cannot_connect"})
    assert [option["value"] for option in options_of(result)] == [gamma.host]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert set(discovered(hass)) == {other.host}


async def test_a_failed_scan_aborts(hass: HomeAssistant, subnet: str) -> None:
    async def failing_scan(*_args: Any, **_kwargs: Any) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    with patch.object(config_flow, "scan", failing_scan):
        result = await scan_until_done(hass, f"{subnet}.0/24")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "unknown")


async def test_a_not_a_miner_web_server_is_not_offered(hass: HomeAssistant, subnet: str) -> None:
    async def page(_request: web.BaseRequest) -> web.Response:
        return web.Response(text="<html><title>Printer</title></html>", content_type="text/html")

    runner = web.ServerRunner(web.Server(page))
    await runner.setup()
    await web.TCPSite(runner, f"{subnet}.20", 80).start()
    try:
        result = await scan_until_done(hass, f"{subnet}.16/28")
    finally:
        await runner.cleanup()
    assert result["errors"] == {"base": "no_miners_found"}


@pytest.mark.parametrize(
    ("adapters", "expected"),
    [
        ([adapter("192.168.7.20", 24, enabled=True, default=True)], "192.168.7.0/24"),
        ([adapter("10.1.2.3", 16, enabled=True, default=True)], "10.1.2.0/24"),
        ([adapter("10.1.2.3", 26, enabled=True, default=True)], "10.1.2.0/26"),
        (
            [
                adapter("192.168.9.9", 24, enabled=False, default=True),
                adapter("169.254.3.3", 16, enabled=True, default=False),
                adapter("172.16.5.5", 24, enabled=True, default=False),
            ],
            "172.16.5.0/24",
        ),
        ([adapter("192.168.9.9", 24, enabled=False, default=True)], ""),
    ],
)
async def test_suggested_network(
    hass: HomeAssistant, adapters: list[dict[str, Any]], expected: str
) -> None:
    with patch(
        "homeassistant.components.network.async_get_adapters", AsyncMock(return_value=adapters)
    ):
        assert await suggested_network(hass) == expected


def test_found_miners_are_listed_by_address() -> None:
    found = Identity(
        host="10.0.0.2",
        family=Family.AXEOS,
        model=None,
        firmware_version=None,
        mac=None,
        port=8080,
    )
    assert scan_key(found) == "10.0.0.2:8080"
    assert scan_label(found) == "axeos at 10.0.0.2:8080"
