"""A known miner discovered at a new address keeps the RPC port its entry was given by hand."""

from __future__ import annotations

from ipaddress import ip_address
import socket

from homeassistant.config_entries import SOURCE_DHCP, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import CONF_FAMILY, CONF_FIRMWARE_FEED, CONF_RPC_PORT, DOMAIN
from tests.simulator import MinerSpec, SimulatedMiner, Simulator

pytestmark = pytest.mark.usefixtures("socket_enabled")

S21_MAC = "02:A1:B2:C3:D4:E6"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"


@pytest.fixture
async def s21(simulator: Simulator) -> SimulatedMiner:
    """An S21 whose RPC listens on a random port, never on 4028: as if forwarded."""
    return await simulator.start(
        MinerSpec(family="antminer", model="Antminer S21", mac=S21_MAC, hostname="s21")
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state now (a function, so that type checkers do not narrow it)."""
    state: ConfigEntryState = entry.state
    return state


def s21_entry(miner: SimulatedMiner, host: str, port: int) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="s21",
        unique_id=format_mac(miner.mac),
        data={
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_RPC_PORT: miner.ports["rpc"],
            CONF_FAMILY: "antminer",
            CONF_USERNAME: "root",
            CONF_PASSWORD: "root",
        },
    )


async def test_dhcp_keeps_the_rpc_port(hass: HomeAssistant, s21: SimulatedMiner) -> None:
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    # Never set up at its old address (a TEST-NET address): it waits to be found.
    entry = s21_entry(s21, "192.0.2.10", s21.port)
    entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(
            ip="127.0.0.1", hostname="antminer", macaddress=S21_MAC.replace(":", "").lower()
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_RPC_PORT] == s21.ports["rpc"]

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.hashrate


async def test_zeroconf_keeps_the_rpc_port(hass: HomeAssistant, s21: SimulatedMiner) -> None:
    """The old address refuses connections; mDNS announces the miner's web port elsewhere."""
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    entry = s21_entry(s21, "127.0.0.1", closed_port())
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert state_of(entry) is ConfigEntryState.SETUP_RETRY

    address = ip_address(s21.host)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=ZeroconfServiceInfo(
            ip_address=address,
            ip_addresses=[address],
            port=s21.port,
            hostname="s21.local.",
            type="_http._tcp.local.",
            name="s21._http._tcp.local.",
            properties={},
        ),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == s21.port
    assert entry.data[CONF_RPC_PORT] == s21.ports["rpc"]
    assert entry.data[CONF_PASSWORD] == "root"
    assert state_of(entry) is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.hashrate
