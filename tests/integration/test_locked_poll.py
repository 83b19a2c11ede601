"""A poll refused by a locked control API: a repair issue, not a reauth; gone once it reads.

No client family's poll meets the lock today (Whatsminer reads through its open API), so the
miner here is one the test defines: a ``Miner`` whose reads are refused while it is locked.
``create_miner`` is pointed at it; the client itself is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.asic as integration
from custom_components.asic.client import Capabilities, Family, Miner, MinerData
from custom_components.asic.client.errors import MinerLockedError
from custom_components.asic.const import CONF_FAMILY, CONF_FIRMWARE_FEED, DOMAIN
from custom_components.asic.issues import controls_locked_issue_id

from .family_flow import UNREACHABLE_FEED

MAC = "c6:10:00:00:00:09"


class LockableMiner(Miner):
    """Reads are refused while ``locked`` (class-wide: the test flips it)."""

    family = Family.WHATSMINER
    locked = False

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    async def read(self) -> MinerData:
        if self.locked:
            raise MinerLockedError("the control API is locked until the password is changed")
        return MinerData(family=self.family, model="M30S+", mac=MAC, hostname="m30", hashrate=1.0)


@pytest.fixture
def lockable() -> Iterator[type[LockableMiner]]:
    class ThisTestsMiner(LockableMiner):
        pass

    def create(family: str, host: str, session: ClientSession, **kwargs: Any) -> Miner:
        return ThisTestsMiner(host, session, port=kwargs.get("port"))

    with patch.object(integration, "create_miner", create):
        yield ThisTestsMiner


async def test_locked_poll_opens_and_closes_the_issue(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, lockable: type[LockableMiner]
) -> None:
    assert await async_setup_component(
        hass, DOMAIN, {DOMAIN: {CONF_FIRMWARE_FEED: UNREACHABLE_FEED}}
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="m30",
        unique_id=MAC,
        data={CONF_HOST: "192.0.2.9", CONF_FAMILY: "whatsminer", CONF_PASSWORD: "admin"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    issue_id = controls_locked_issue_id(entry)

    lockable.locked = True
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "m30", "host": "192.0.2.9"}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)  # no reauth
    assert entry.state is ConfigEntryState.LOADED

    lockable.locked = False
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
