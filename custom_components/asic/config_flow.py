"""Config flow: add a miner by address or from discovery, follow it when its address changes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import ipaddress
from typing import Any

from aiohttp import ClientSession
from homeassistant.components import network
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.helpers.typing import DiscoveryInfoType
import voluptuous as vol

from .client import (
    MINER_CLASSES,
    Credentials,
    Family,
    Identity,
    Miner,
    MinerAuthError,
    MinerConnectionError,
    MinerData,
    MinerUnsupportedError,
    ScanResult,
    ScanTarget,
    create_miner,
    identify,
    scan,
    split_host_port,
)
from .client.scan import scan_targets
from .const import (
    CONF_FAMILY,
    CONF_RPC_PORT,
    CREDENTIAL_FAMILIES,
    DEFAULT_RPC_PORT,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    scan_interval_for,
)

# DHCP tells only the IP address; an unknown miner is probed on its family's usual web port.
# (Kept as a module attribute so tests can point it at a simulated miner's free port.)
DHCP_PROBE_PORT: int | None = None

HOST_SCHEMA = vol.Schema({vol.Required(CONF_HOST): TextSelector()})
# Adding a miner: no host means "scan the network"; also where its CGMiner-style RPC
# listens when not on 4028 (a forwarded port).
USER_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_HOST): TextSelector(),
        vol.Optional(CONF_RPC_PORT): NumberSelector(
            NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
        ),
    }
)
CONF_NETWORK = "network"
CONF_MINER = "miner"
SCAN_SCHEMA = vol.Schema({vol.Required(CONF_NETWORK): TextSelector()})
# Suggested scan ranges are at most this wide (a /16 office network would take long).
MIN_SUGGESTED_PREFIX = 24
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
        ),
        vol.Optional(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
    }
)


class ProbeError(Exception):
    """A probe failed; ``key`` is the translated error or abort reason to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _probe_error(err: Exception, host: str) -> ProbeError:
    if isinstance(err, MinerConnectionError):
        return ProbeError("cannot_connect")
    if isinstance(err, MinerUnsupportedError):
        return ProbeError("not_a_miner")
    if isinstance(err, MinerAuthError):
        return ProbeError("invalid_auth")
    LOGGER.error("Unexpected error while talking to the miner at %s", host, exc_info=err)
    return ProbeError("unknown")


def format_address(host: str, port: int | None) -> str:
    """``host`` or ``host:port`` as a user types it (IPv6 in brackets when a port follows)."""
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def entry_address(miner: Miner, rpc_port: int | None = None) -> dict[str, Any]:
    """Host, and port and RPC port only where the family's defaults are not used."""
    address: dict[str, Any] = {CONF_HOST: miner.host}
    if miner.port != miner.default_port:
        address[CONF_PORT] = miner.port
    if rpc_port is not None and rpc_port != DEFAULT_RPC_PORT:
        address[CONF_RPC_PORT] = rpc_port
    return address


def miner_for(
    identity: Identity, session: ClientSession, credentials: Credentials | None = None
) -> Miner:
    """A client for an identified miner; its RPC port is passed only where it has one."""
    if identity.rpc_port is None:
        return create_miner(
            identity.family, identity.host, session, port=identity.port, credentials=credentials
        )
    return create_miner(
        identity.family,
        identity.host,
        session,
        port=identity.port,
        credentials=credentials,
        rpc_port=identity.rpc_port,
    )


def rpc_port_from(data: Mapping[str, Any]) -> int | None:
    """The RPC port the user gave (form input is a float), or None for the default."""
    port = data.get(CONF_RPC_PORT)
    return None if port is None else int(port)


def entry_credentials(miner: Miner) -> dict[str, Any]:
    """The login to store: only for families that use one, only the parts the user gave."""
    if miner.family not in CREDENTIAL_FAMILIES:
        return {}
    given = {
        CONF_USERNAME: miner.credentials.username,
        CONF_PASSWORD: miner.credentials.password,
    }
    return {key: value for key, value in given.items() if value}


def credentials_from(data: Mapping[str, Any]) -> Credentials:
    """Credentials from form input or entry data; blank fields mean the family's default."""
    return Credentials(data.get(CONF_USERNAME) or None, data.get(CONF_PASSWORD) or None)


async def suggested_network(hass: HomeAssistant) -> str:
    """The IPv4 network of Home Assistant's enabled adapter (the default one first).

    A network wider than a /24 is narrowed to the /24 around Home Assistant's address.
    """
    adapters = await network.async_get_adapters(hass)
    for adapter in sorted(adapters, key=lambda adapter: not adapter["default"]):
        if not adapter["enabled"]:
            continue
        for configured in adapter["ipv4"]:
            prefix = max(configured["network_prefix"], MIN_SUGGESTED_PREFIX)
            found = ipaddress.IPv4Network(f"{configured['address']}/{prefix}", strict=False)
            if not found.is_link_local:
                return str(found)
    return ""


def scan_key(identity: Identity) -> str:
    """How a found miner is told apart in the pick list: its address (port if unusual)."""
    miner_class = MINER_CLASSES.get(identity.family)
    usual = miner_class.default_port if miner_class else 80
    return format_address(identity.host, None if identity.port == usual else identity.port)


def scan_label(identity: Identity) -> str:
    name = identity.model or str(identity.family)
    address = scan_key(identity)
    return f"{name} at {address} ({identity.mac})" if identity.mac else f"{name} at {address}"


class AsicConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add one miner per entry; its MAC is the unique id."""

    VERSION = 1

    def __init__(self) -> None:
        self._identity: Identity | None = None
        self._address: dict[str, Any] = {}
        self._network = ""
        self._targets: list[ScanTarget] = []
        self._scan_task: asyncio.Task[ScanResult] | None = None
        self._found: dict[str, Identity] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> AsicOptionsFlow:
        return AsicOptionsFlow()

    async def _async_identify(
        self, host: str, port: int | None, rpc_port: int | None = None
    ) -> Identity:
        session = async_get_clientsession(self.hass)
        try:
            identity = await identify(host, session, port=port, rpc_port=rpc_port)
            miner = miner_for(identity, session)
        except Exception as err:  # every failure becomes a message for the user
            raise _probe_error(err, host) from err
        self._identity = identity
        self._address = entry_address(miner, identity.rpc_port)
        return identity

    async def _async_read(
        self, identity: Identity, credentials: Credentials | None = None
    ) -> tuple[Miner, MinerData]:
        """Connect and poll once: proof that the entry about to be saved works."""
        try:
            miner = miner_for(identity, async_get_clientsession(self.hass), credentials)
            data = await miner.read()
        except Exception as err:  # every failure becomes a message for the user
            raise _probe_error(err, identity.host) from err
        return miner, data

    @callback
    def _abort_if_miner_known(self, address: Mapping[str, Any]) -> None:
        """A known miner at a new address: update and reload its entry instead of adding it.

        Like ``_abort_if_unique_id_configured(updates=...)``, but a port that is back to the
        family default is removed from the entry rather than stored.
        """
        assert self.unique_id is not None
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, self.unique_id)
        if entry is None:
            return
        if entry.source == SOURCE_IGNORE:
            if self.source == SOURCE_USER:
                return
            raise AbortFlow("already_configured")
        data = {
            key: value
            for key, value in entry.data.items()
            if key not in (CONF_HOST, CONF_PORT, CONF_RPC_PORT)
        }
        rpc_port = entry.data.get(CONF_RPC_PORT)
        if self.source != SOURCE_USER and rpc_port is not None and CONF_RPC_PORT not in address:
            # Discovery tells where the miner is, not where its RPC is forwarded to: an RPC
            # port the user typed stays (a discovery probe only ever tries the default).
            address = {**address, CONF_RPC_PORT: rpc_port}
        changed = self.hass.config_entries.async_update_entry(entry, data={**data, **address})
        # An entry waiting to retry is reloaded even if unchanged: its miner was just seen.
        if (changed and entry.state is ConfigEntryState.LOADED) or (
            entry.state is ConfigEntryState.SETUP_RETRY
        ):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        raise AbortFlow("already_configured")

    async def _async_finish(
        self, identity: Identity, credentials: Credentials | None
    ) -> ConfigFlowResult:
        """Read the miner, then create its entry (or update the known one)."""
        miner, data = await self._async_read(identity, credentials)
        # Discovery by DHCP has told the MAC of a miner whose API does not (Braiins OS RPC).
        mac = data.mac or identity.mac or self.unique_id
        if not mac:
            return self.async_abort(reason="no_mac")
        await self.async_set_unique_id(format_mac(mac), raise_on_progress=False)
        address = entry_address(miner, identity.rpc_port)
        self._abort_if_miner_known(address)
        return self.async_create_entry(
            title=data.hostname or data.model or miner.host,
            data={
                **address,
                CONF_FAMILY: str(miner.family),
                **entry_credentials(miner),
            },
        )

    async def _async_continue(self, identity: Identity) -> ConfigFlowResult:
        """Ask for a login where the family needs one, else add the miner."""
        if identity.family in CREDENTIAL_FAMILIES:
            return await self.async_step_credentials()
        return await self._async_finish(identity, None)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the miner's address; without one, scan the network."""
        errors: dict[str, str] = {}
        if user_input is not None and not user_input.get(CONF_HOST, "").strip():
            return await self.async_step_scan()
        if user_input is not None:
            host, port = split_host_port(user_input[CONF_HOST])
            try:
                identity = await self._async_identify(host, port, rpc_port_from(user_input))
                return await self._async_continue(identity)
            except ProbeError as err:
                errors["base"] = err.key
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_scan(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which network to scan, prefilled with Home Assistant's own."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._targets = scan_targets(user_input[CONF_NETWORK])
            except ValueError:
                errors[CONF_NETWORK] = "invalid_network"
            else:
                self._network = user_input[CONF_NETWORK].strip()
                return await self.async_step_scan_progress()
        suggested = user_input or {CONF_NETWORK: await suggested_network(self.hass)}
        return self.async_show_form(
            step_id="scan",
            data_schema=self.add_suggested_values_to_schema(SCAN_SCHEMA, suggested),
            errors=errors,
        )

    async def _async_scan(self) -> ScanResult:
        def progress(done: int, total: int) -> None:
            self.async_update_progress(done / total if total else 1.0)

        return await scan(self._targets, progress=progress)

    async def async_step_scan_progress(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Scan in the background while the dialog shows how far it got."""
        if self._scan_task is None:
            self._scan_task = self.hass.async_create_task(self._async_scan())
        if not self._scan_task.done():
            return self.async_show_progress(
                step_id="scan_progress",
                progress_action="scan",
                progress_task=self._scan_task,
                description_placeholders={"network": self._network},
            )
        task, self._scan_task = self._scan_task, None
        try:
            result = task.result()
        except Exception:  # noqa: BLE001 (a failed scan is shown, not raised into the dialog)
            LOGGER.exception("Scanning %s failed", self._network)
            return self.async_show_progress_done(next_step_id="scan_failed")
        known = self._async_current_ids()
        self._found = {
            scan_key(found): found
            for found in result.miners
            if not found.mac or format_mac(found.mac) not in known
        }
        if not self._found:
            return self.async_show_progress_done(next_step_id="scan_empty")
        return self.async_show_progress_done(next_step_id="pick")

    async def async_step_scan_empty(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Nothing new found: back to the first form, to enter an address or scan again."""
        return self.async_show_form(
            step_id="user",
            data_schema=USER_SCHEMA,
            errors={"base": "no_miners_found"},
        )

    async def async_step_scan_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return self.async_abort(reason="unknown")

    async def async_step_pick(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """List the miners found; the chosen one is added, the others offered as discovered."""
        errors: dict[str, str] = {}
        if user_input is not None:
            identity = self._found[user_input[CONF_MINER]]
            self._offer_discovered(exclude=user_input[CONF_MINER])
            self._identity = identity
            self._address = entry_address(
                miner_for(identity, async_get_clientsession(self.hass)), identity.rpc_port
            )
            try:
                return await self._async_continue(identity)
            except ProbeError as err:
                errors["base"] = err.key
        options = [
            SelectOptionDict(value=key, label=scan_label(found))
            for key, found in self._found.items()
        ]
        schema = vol.Schema(
            {
                vol.Required(CONF_MINER): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                )
            }
        )
        return self.async_show_form(
            step_id="pick",
            data_schema=schema,
            errors=errors,
            description_placeholders={"count": str(len(self._found)), "network": self._network},
        )

    @callback
    def _offer_discovered(self, exclude: str) -> None:
        """Every found miner but the chosen one becomes a discovered flow (once)."""
        for key, found in self._found.items():
            if key == exclude:
                continue
            discovery_flow.async_create_flow(
                self.hass,
                DOMAIN,
                context={"source": SOURCE_INTEGRATION_DISCOVERY},
                data={CONF_HOST: found.host, CONF_PORT: found.port, CONF_RPC_PORT: found.rpc_port},
            )
        self._found = {exclude: self._found[exclude]}

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """A miner another flow's network scan found."""
        return await self._async_discovered(
            discovery_info[CONF_HOST],
            discovery_info.get(CONF_PORT),
            discovery_info.get(CONF_RPC_PORT),
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the login of a firmware that needs one."""
        assert self._identity is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_finish(self._identity, credentials_from(user_input))
            except ProbeError as err:
                errors["base"] = err.key
        return self.async_show_form(
            step_id="credentials",
            data_schema=CREDENTIALS_SCHEMA,
            errors=errors,
            description_placeholders=self._placeholders(self._identity),
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """An AxeOS board announced itself over mDNS."""
        return await self._async_discovered(discovery_info.host, discovery_info.port)

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A miner asked for an address; its MAC says at once whether it is known."""
        await self.async_set_unique_id(format_mac(discovery_info.macaddress))
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info.ip})
        return await self._async_discovered(discovery_info.ip, DHCP_PROBE_PORT)

    async def _async_discovered(
        self, host: str, port: int | None, rpc_port: int | None = None
    ) -> ConfigFlowResult:
        try:
            identity = await self._async_identify(host, port, rpc_port)
        except ProbeError as err:
            return self.async_abort(reason=err.key)
        # Some firmwares show their MAC only after a login; DHCP has told it already.
        mac = identity.mac or self.unique_id
        if not mac:
            return self.async_abort(reason="no_mac")
        await self.async_set_unique_id(format_mac(mac))
        self._abort_if_miner_known(self._address)
        self.context["title_placeholders"] = {
            "name": identity.model or host,
            "host": format_address(host, self._address.get(CONF_PORT)),
        }
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user confirm a discovered miner."""
        assert self._identity is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._async_continue(self._identity)
            except ProbeError as err:
                errors["base"] = err.key
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            errors=errors,
            description_placeholders=self._placeholders(self._identity),
        )

    def _placeholders(self, identity: Identity) -> dict[str, str]:
        return {
            "model": identity.model or str(identity.family),
            "host": format_address(identity.host, self._address.get(CONF_PORT)),
        }

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The miner refused the stored login."""
        if entry_data.get(CONF_FAMILY) not in CREDENTIAL_FAMILIES:
            # AxeOS has no login: a refusal means the request came from outside the
            # private address ranges the firmware accepts, which no password can fix.
            return self.async_abort(reason="reauth_not_supported")
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the miner's current login and test it."""
        entry = self._get_reauth_entry()
        identity = self._entry_identity(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                miner, data = await self._async_read(identity, credentials_from(user_input))
            except ProbeError as err:
                errors["base"] = err.key
            else:
                if data.mac:
                    await self.async_set_unique_id(format_mac(data.mac), raise_on_progress=False)
                    self._abort_if_unique_id_mismatch(reason="wrong_miner")
                data_without_login = {
                    key: value
                    for key, value in entry.data.items()
                    if key not in (CONF_USERNAME, CONF_PASSWORD)
                }
                return self.async_update_reload_and_abort(
                    entry, data={**data_without_login, **entry_credentials(miner)}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, {CONF_USERNAME: entry.data.get(CONF_USERNAME)}
            ),
            errors=errors,
            description_placeholders={"name": entry.title, "host": identity.host},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move an entry to the miner's new address; the miner there must be the same one."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port = split_host_port(user_input[CONF_HOST])
            try:
                # The RPC port is kept: a miner that moved keeps its port forwarding.
                identity = await self._async_identify(host, port, rpc_port_from(entry.data))
                miner, data = await self._async_read(identity, credentials_from(entry.data))
            except ProbeError as err:
                errors["base"] = err.key
            else:
                mac = data.mac or identity.mac
                if not mac:
                    return self.async_abort(reason="no_mac")
                await self.async_set_unique_id(format_mac(mac), raise_on_progress=False)
                self._abort_if_unique_id_mismatch(reason="wrong_miner")
                return self.async_update_reload_and_abort(
                    entry,
                    data={
                        **entry_address(miner, identity.rpc_port),
                        CONF_FAMILY: str(miner.family),
                        **entry_credentials(miner),
                    },
                )
        current = format_address(entry.data[CONF_HOST], entry.data.get(CONF_PORT))
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                HOST_SCHEMA, user_input or {CONF_HOST: current}
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    @staticmethod
    def _entry_identity(entry: ConfigEntry) -> Identity:
        """What an entry already knows about its miner, as ``identify()`` would say it."""
        return Identity(
            host=entry.data[CONF_HOST],
            port=entry.data.get(CONF_PORT),
            rpc_port=rpc_port_from(entry.data),
            family=Family(entry.data[CONF_FAMILY]),
            model=None,
            firmware_version=None,
            mac=entry.unique_id,
        )


class AsicOptionsFlow(OptionsFlowWithReload):
    """How often the miner is polled; the entry reloads when it changes."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL])}
            )
        default = scan_interval_for(self.config_entry.data[CONF_FAMILY]).total_seconds()
        schema = vol.Schema(
            {
                vol.Required(CONF_SCAN_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                {CONF_SCAN_INTERVAL: self.config_entry.options.get(CONF_SCAN_INTERVAL, default)},
            ),
        )
