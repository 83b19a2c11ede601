"""A miner that drops off the network: its entities go unavailable and come back."""

from __future__ import annotations

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.simulator import Fault, SimulatedMiner

from .test_sensor import poll

# The update entity belongs to the firmware side; its availability has rules of its own.
PLATFORMS_CHECKED = ("binary_sensor", "button", "number", "sensor", "switch")


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulated miners listen on real loopback sockets (before any fixture starts one)."""


def miner_states(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> dict[str, str]:
    states: dict[str, str] = {}
    for registered in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if registered.domain not in PLATFORMS_CHECKED or registered.disabled_by is not None:
            continue
        state = hass.states.get(registered.entity_id)
        assert state is not None
        states[registered.entity_id] = state.state
    return states


def connection_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the integration logged about reaching the miner (at info level and above)."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.asic")
        and record.levelno >= logging.INFO
        and "gamma (127.0.0.1)" in record.getMessage()
    ]


async def test_offline_miner_unavailable_then_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    axeos_miner: SimulatedMiner,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    online = miner_states(hass, entity_registry, init_integration)
    assert len(online) > 20
    assert STATE_UNAVAILABLE not in online.values()
    caplog.clear()

    axeos_miner.set_fault(Fault.OFFLINE)
    await poll(hass, freezer)
    offline = miner_states(hass, entity_registry, init_integration)
    assert set(offline) == set(online)
    assert set(offline.values()) == {STATE_UNAVAILABLE}
    lost = connection_logs(caplog)
    assert len(lost) == 1
    assert lost[0].levelno == logging.INFO
    assert "127.0.0.1" in lost[0].getMessage()

    # Still gone: nothing more in the log.
    await poll(hass, freezer, times=3)
    assert connection_logs(caplog) == lost

    axeos_miner.clear_fault()
    await poll(hass, freezer)
    back = miner_states(hass, entity_registry, init_integration)
    assert STATE_UNAVAILABLE not in back.values()
    logs = connection_logs(caplog)
    assert len(logs) == 2
    assert logs[1].levelno == logging.INFO
    assert "recovered" in logs[1].getMessage()
