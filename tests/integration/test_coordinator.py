"""How the coordinator turns a refused request into what the user sees."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.asic.const import CONF_FAMILY, DOMAIN

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def refusing_board() -> AsyncIterator[TestServer]:
    """A board that answers every API request as ESP-Miner does for a public address."""

    async def unauthorized(_request: web.Request) -> web.Response:
        return web.Response(status=401, text="Unauthorized")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_refused_access_without_login_is_not_a_reauth(
    hass: HomeAssistant, refusing_board: TestServer
) -> None:
    """AxeOS has no login: a 401 retries set-up with a reason, and never asks for a password."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="24:58:7c:a1:b2:c3",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: refusing_board.port, CONF_FAMILY: "axeos"},
    )
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "private network" in entry.reason
    assert not [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
