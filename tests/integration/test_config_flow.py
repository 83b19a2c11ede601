"""The config flow against simulated miners: user, discovery, address changes, options."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from ipaddress import ip_address
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import ClientSession, web
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.asic import config_flow
from custom_components.asic.client import (
    Capabilities,
    Credentials,
    Family,
    Identity,
    Miner,
    MinerAuthError,
    MinerData,
    MinerProtocolError,
    create_miner,
)
from custom_components.asic.config_flow import entry_address, format_address
from custom_components.asic.const import CONF_FAMILY, CONF_FIRMWARE_FEED, DOMAIN
from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator

GAMMA_MAC = "24:58:7c:a1:b2:c3"
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Some tests open loopback sockets of their own (a closed port, a server that is no miner)."""


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Entries created by a flow are not set up: these tests are about the flow alone."""
    with patch("custom_components.asic.async_setup_entry", return_value=True) as mocked:
        yield mocked


@pytest.fixture
async def asic_set_up(hass: HomeAssistant) -> None:
    """The integration itself, for tests in which entries are really loaded and reloaded."""
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )


@pytest.fixture
def closed_port() -> int:
    """A loopback port on which nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def web_server_port() -> AsyncIterator[int]:
    """A web server that is no miner: it answers every request with a router's page."""

    async def answer(request: web.BaseRequest) -> web.Response:
        return web.Response(
            text="<html><title>Router login</title></html>", content_type="text/html"
        )

    server = web.Server(answer)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    yield port
    await runner.cleanup()


def zeroconf_info(miner: SimulatedMiner) -> ZeroconfServiceInfo:
    address = ip_address(miner.host)
    return ZeroconfServiceInfo(
        ip_address=address,
        ip_addresses=[address],
        port=miner.port,
        hostname=f"{miner.state.hostname}.local.",
        type="_http._tcp.local.",
        name=f"{miner.state.hostname}._http._tcp.local.",
        properties={},
    )


def state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """The entry's state now (a function, so that type checkers do not narrow it)."""
    state: ConfigEntryState = entry.state
    return state


def dhcp_info(mac: str, ip: str = "127.0.0.1") -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname="bitaxe-b2c3", macaddress=mac.replace(":", "").lower())


def gamma_entry(host: str, port: int | None, **kwargs: object) -> MockConfigEntry:
    data: dict[str, object] = {CONF_HOST: host, CONF_FAMILY: "axeos"}
    if port is not None:
        data[CONF_PORT] = port
    return MockConfigEntry(domain=DOMAIN, title="gamma", unique_id=GAMMA_MAC, data=data, **kwargs)


async def _start_user_flow(hass: HomeAssistant, host: str) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: host})


# --- user step ------------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_creates_entry(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "gamma"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: axeos_miner.port,
        CONF_FAMILY: "axeos",
    }
    assert result["result"].unique_id == GAMMA_MAC


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_accepts_bracketed_address(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """``[host]:port`` is how an IPv6 address takes a port; the brackets are not stored."""
    result = await _start_user_flow(hass, f" [127.0.0.1]:{axeos_miner.port} ")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert result["data"][CONF_PORT] == axeos_miner.port


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_titles_entry_with_model_without_hostname(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    axeos_miner.state.hostname = ""
    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bitaxe Gamma"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_unreachable_then_fixed(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, closed_port: int
) -> None:
    """A wrong address shows an error on the form; the right one then adds the miner."""
    result = await _start_user_flow(hass, f"127.0.0.1:{closed_port}")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{axeos_miner.port}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("fault", "path", "error"),
    [
        (Fault.OFFLINE, None, "cannot_connect"),
        (Fault.RESET, "/api/system/asic", "cannot_connect"),  # identified, then lost
        (Fault.HTTP_500, "/api/system/info", "not_a_miner"),
    ],
)
async def test_user_flow_miner_fault(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, fault: Fault, path: str | None, error: str
) -> None:
    axeos_miner.set_fault(fault, path=path)
    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}


async def test_user_flow_not_a_miner(hass: HomeAssistant, web_server_port: int) -> None:
    result = await _start_user_flow(hass, f"127.0.0.1:{web_server_port}")

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_a_miner"}


async def test_user_flow_no_mac(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    axeos_miner.state.mac = ""
    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_mac"


async def test_user_flow_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, axeos_miner: SimulatedMiner
) -> None:
    mock_config_entry.add_to_hass(hass)
    data_before = dict(mock_config_entry.data)

    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(mock_config_entry.data) == data_before
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_replaces_ignored_entry(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """A miner the user once ignored can still be added by hand."""
    MockConfigEntry(domain=DOMAIN, unique_id=GAMMA_MAC, source="ignore").add_to_hass(hass)

    result = await _start_user_flow(hass, f"127.0.0.1:{axeos_miner.port}")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [entry.source for entry in hass.config_entries.async_entries(DOMAIN)] == [SOURCE_USER]


@pytest.mark.usefixtures("asic_set_up")
async def test_user_flow_follows_moved_miner(
    hass: HomeAssistant,
    simulator: Simulator,
    axeos_miner: SimulatedMiner,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The same miner (same MAC) at a new address: the entry moves there and reloads."""
    first = axeos_miner
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED

    await simulator.stop_miner(first)
    moved = await simulator.start(MinerSpec(mac=GAMMA_MAC, hostname="gamma"))
    assert moved.port != first.port

    result = await _start_user_flow(hass, f"127.0.0.1:{moved.port}")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert mock_config_entry.data[CONF_PORT] == moved.port
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.miner.port == moved.port


# --- zeroconf -------------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_zeroconf_confirm_creates_entry(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(axeos_miner)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "model": "Bitaxe Gamma",
        "host": f"127.0.0.1:{axeos_miner.port}",
    }
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["title_placeholders"] == {
        "name": "Bitaxe Gamma",
        "host": f"127.0.0.1:{axeos_miner.port}",
    }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "gamma"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: axeos_miner.port,
        CONF_FAMILY: "axeos",
    }
    assert result["result"].unique_id == GAMMA_MAC


async def test_zeroconf_confirm_when_miner_went_away(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """The miner vanishes between discovery and confirmation: say so, let the user retry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(axeos_miner)
    )
    axeos_miner.set_fault(Fault.OFFLINE)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.parametrize(("fault", "reason"), [(Fault.OFFLINE, "cannot_connect")])
async def test_zeroconf_unreachable(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, fault: Fault, reason: str
) -> None:
    info = zeroconf_info(axeos_miner)
    axeos_miner.set_fault(fault)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_zeroconf_not_a_miner(hass: HomeAssistant, web_server_port: int) -> None:
    address = ip_address("127.0.0.1")
    info = ZeroconfServiceInfo(
        ip_address=address,
        ip_addresses=[address],
        port=web_server_port,
        hostname="bitaxe-look-alike.local.",
        type="_http._tcp.local.",
        name="bitaxe-look-alike._http._tcp.local.",
        properties={},
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_a_miner"


async def test_zeroconf_no_mac(hass: HomeAssistant, axeos_miner: SimulatedMiner) -> None:
    axeos_miner.state.mac = ""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(axeos_miner)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_mac"


@pytest.mark.usefixtures("asic_set_up")
async def test_zeroconf_follows_moved_miner(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, closed_port: int
) -> None:
    """An entry stuck at the miner's old address moves to where mDNS finds it and loads."""
    entry = gamma_entry("127.0.0.1", closed_port)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert state_of(entry) is ConfigEntryState.SETUP_RETRY

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(axeos_miner)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_HOST: "127.0.0.1", CONF_PORT: axeos_miner.port, CONF_FAMILY: "axeos"}
    assert entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_zeroconf_ignored_miner_stays_ignored(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    ignored = MockConfigEntry(domain=DOMAIN, unique_id=GAMMA_MAC, source="ignore")
    ignored.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(axeos_miner)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert CONF_HOST not in ignored.data


# --- dhcp -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("asic_set_up")
async def test_dhcp_known_mac_updates_host_without_probing(
    hass: HomeAssistant, axeos_miner: SimulatedMiner
) -> None:
    """DHCP's MAC alone says which entry moved; the entry reloads at the new address."""
    entry = gamma_entry("192.0.2.10", axeos_miner.port, state=ConfigEntryState.SETUP_RETRY)
    entry.add_to_hass(hass)
    axeos_miner.set_fault(Fault.OFFLINE)  # a probe would fail: the flow must not need one

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(GAMMA_MAC)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == axeos_miner.port

    await hass.async_block_till_done()  # the reload found the miner still offline
    axeos_miner.clear_fault()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.miner.host == "127.0.0.1"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_dhcp_confirm_creates_entry(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulated miner listens on a free port, not on port 80 as a real one does.
    monkeypatch.setattr(config_flow, "DHCP_PROBE_PORT", axeos_miner.port)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(GAMMA_MAC)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GAMMA_MAC
    assert result["data"][CONF_PORT] == axeos_miner.port


async def test_dhcp_unreachable(
    hass: HomeAssistant, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_flow, "DHCP_PROBE_PORT", closed_port)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(GAMMA_MAC)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# --- reconfigure ----------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_to_new_address(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, closed_port: int
) -> None:
    entry = gamma_entry("127.0.0.1", closed_port)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{closed_port}"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{axeos_miner.port}"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_HOST: "127.0.0.1", CONF_PORT: axeos_miner.port, CONF_FAMILY: "axeos"}


async def test_reconfigure_to_other_miner(
    hass: HomeAssistant, simulator: Simulator, axeos_miner: SimulatedMiner, closed_port: int
) -> None:
    other = await simulator.start(MinerSpec(mac="24:58:7C:00:00:01", hostname="other"))
    entry = gamma_entry("127.0.0.1", closed_port)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{other.port}"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_miner"
    assert entry.data[CONF_PORT] == closed_port


async def test_reconfigure_to_miner_without_mac(
    hass: HomeAssistant, axeos_miner: SimulatedMiner, closed_port: int
) -> None:
    axeos_miner.state.mac = ""
    entry = gamma_entry("127.0.0.1", closed_port)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{axeos_miner.port}"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_mac"


# --- reauth ---------------------------------------------------------------------------------


async def test_reauth_not_offered_for_axeos(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """AxeOS has no login: a reauth flow explains why instead of asking for a password."""
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_supported"


# --- options --------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_options_flow_sets_poll_interval(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    assert mock_config_entry.runtime_data.coordinator.update_interval == timedelta(seconds=10)

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    suggested = next(key for key in schema if key == CONF_SCAN_INTERVAL).description
    assert suggested == {"suggested_value": 10}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 30.0}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {CONF_SCAN_INTERVAL: 30}
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.coordinator.update_interval == timedelta(seconds=30)


# --- helpers --------------------------------------------------------------------------------


async def test_entry_address_omits_default_port(hass: HomeAssistant) -> None:
    session = async_get_clientsession(hass)

    assert entry_address(create_miner("axeos", "192.168.1.5", session)) == {
        CONF_HOST: "192.168.1.5"
    }
    assert entry_address(create_miner("axeos", "192.168.1.5", session, port=8080)) == {
        CONF_HOST: "192.168.1.5",
        CONF_PORT: 8080,
    }


def test_format_address() -> None:
    assert format_address("192.168.1.5", None) == "192.168.1.5"
    assert format_address("192.168.1.5", 8080) == "192.168.1.5:8080"
    assert format_address("fd00::5", 8080) == "[fd00::5]:8080"


# --- firmwares with a login -----------------------------------------------------------------
# No family with a login is implemented in the client yet, so these flows run against a miner
# the test defines: a ``Miner`` whose firmware wants root/secret. The config flow's two calls
# into the client (identify, create_miner) are pointed at it; the client itself is untouched.

LOGIN_MAC = "02:00:00:00:00:01"


class LoginMiner(Miner):
    """A miner of a family that needs a login; it accepts only root/secret."""

    family = Family.ANTMINER
    mac: str | None = LOGIN_MAC
    failure: Exception | None = None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    async def read(self) -> MinerData:
        if self.failure is not None:
            raise self.failure
        if self.credentials != Credentials("root", "secret"):
            raise MinerAuthError("The miner refused the login")
        return MinerData(family=self.family, model="Antminer S19", mac=self.mac, hostname="s19")


@pytest.fixture
def login_miner() -> Iterator[type[LoginMiner]]:
    """The config flow finds a :class:`LoginMiner` at 127.0.0.1; a test may change its class."""

    class ThisTestsMiner(LoginMiner):
        pass

    found = Identity(
        host="127.0.0.1",
        family=Family.ANTMINER,
        model="Antminer S19",
        firmware_version=None,
        mac=None,
        port=80,
    )

    def create(family: str, host: str, session: ClientSession, **kwargs: Any) -> Miner:
        return ThisTestsMiner(host, session, **kwargs)

    with (
        patch.object(config_flow, "identify", AsyncMock(return_value=found)),
        patch.object(config_flow, "create_miner", create),
    ):
        yield ThisTestsMiner


def login_entry(**data: object) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="s19",
        unique_id=LOGIN_MAC,
        data={CONF_HOST: "127.0.0.1", CONF_FAMILY: "antminer", **data},
    )


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_asks_for_login(hass: HomeAssistant, login_miner: type[LoginMiner]) -> None:
    result = await _start_user_flow(hass, "127.0.0.1")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["description_placeholders"] == {"model": "Antminer S19", "host": "127.0.0.1"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "s19"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_FAMILY: "antminer",
        CONF_USERNAME: "root",
        CONF_PASSWORD: "secret",
    }
    assert result["result"].unique_id == LOGIN_MAC


async def test_unexpected_error_is_logged(
    hass: HomeAssistant, login_miner: type[LoginMiner], caplog: pytest.LogCaptureFixture
) -> None:
    login_miner.failure = MinerProtocolError("a reply nobody can read")
    result = await _start_user_flow(hass, "127.0.0.1")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while talking to the miner at 127.0.0.1" in caplog.text
    assert "a reply nobody can read" in caplog.text


@pytest.mark.usefixtures("mock_setup_entry")
async def test_discovered_miner_with_login(
    hass: HomeAssistant, login_miner: type[LoginMiner]
) -> None:
    """A discovered miner whose firmware needs a login: confirm, then log in."""
    login_miner.mac = "02:00:00:00:00:02"  # the flow reads it only after the login
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=dhcp_info("02:00:00:00:00:02"),
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "credentials"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "02:00:00:00:00:02"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_with_new_login(hass: HomeAssistant, login_miner: type[LoginMiner]) -> None:
    entry = login_entry(**{CONF_USERNAME: "root", CONF_PASSWORD: "old"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "s19", "host": "127.0.0.1"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {
        CONF_HOST: "127.0.0.1",
        CONF_FAMILY: "antminer",
        CONF_USERNAME: "root",
        CONF_PASSWORD: "secret",
    }


async def test_reauth_reaching_another_miner(
    hass: HomeAssistant, login_miner: type[LoginMiner]
) -> None:
    """The login works, but on a different miner than the entry's: nothing is stored."""
    login_miner.mac = "02:00:00:00:00:99"
    entry = login_entry(**{CONF_PASSWORD: "old"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_miner"
    assert entry.data[CONF_PASSWORD] == "old"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_when_miner_hides_its_mac(
    hass: HomeAssistant, login_miner: type[LoginMiner]
) -> None:
    """Nothing to compare the entry with: the working login is stored."""
    login_miner.mac = None
    entry = login_entry(**{CONF_PASSWORD: "old"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "root", CONF_PASSWORD: "secret"}
    )

    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "secret"
