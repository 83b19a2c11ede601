"""Helpers of the per-family Home Assistant tests: add a simulated miner through the real
config flow, call its entities' services, read the simulator's true state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.asic.const import CONF_FIRMWARE_FEED, CONF_RPC_PORT, DOMAIN
from tests.simulator import SimulatedMiner

# Nothing listens here: no family of these tests has a firmware catalog anyway.
UNREACHABLE_FEED = "http://127.0.0.1:9/releases"


async def add_through_flow(
    hass: HomeAssistant,
    miner: SimulatedMiner,
    *,
    username: str | None = None,
    password: str | None = None,
    rpc_port_name: str = "rpc",
) -> ConfigEntry:
    """What a user does: type the address (and the RPC port), log in where asked.

    The simulator's RPC listens on a free port, so it is typed in the flow's RPC port field,
    as a user does for a miner behind port forwarding. Blank login fields mean the default.
    """
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user_input: dict[str, Any] = {CONF_HOST: f"{miner.host}:{miner.port}"}
    if rpc_port_name in miner.ports:
        user_input[CONF_RPC_PORT] = float(miner.ports[rpc_port_name])
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    if result["type"] is FlowResultType.FORM and result["step_id"] == "credentials":
        login: dict[str, str] = {}
        if username is not None:
            login[CONF_USERNAME] = username
        if password is not None:
            login[CONF_PASSWORD] = password
        result = await hass.config_entries.flow.async_configure(result["flow_id"], login)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def only_platform(platform: Platform) -> Iterator[None]:
    """Set up one platform only: ``snapshot_entities`` compares one platform at a time."""
    with patch("custom_components.asic.PLATFORMS", [platform]):
        yield


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.state


def attribute_of(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.attributes.get(name)


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    # A service call names entities that may not exist without complaint: make sure it does.
    assert hass.states.get(entity_id) is not None, f"{entity_id} does not exist"
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


async def next_poll(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Let the poll interval pass: the coordinator polls on its own schedule."""
    interval = entry.runtime_data.coordinator.update_interval
    assert interval is not None
    async_fire_time_changed(hass, dt_util.utcnow() + interval)
    await hass.async_block_till_done(wait_background_tasks=True)


async def refresh(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Poll the miner now, as the coordinator does on its schedule."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def sim(miner: SimulatedMiner, name: str) -> Any:
    """An attribute of a family's simulated miner (its true state), untyped on purpose."""
    return getattr(miner, name)
