"""Diagnostics of a miner's entry, with personal data redacted."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from custom_components.asic.diagnostics import TO_REDACT
from tests.simulator import Fault, SimulatedMiner

# Readings the simulator varies from one poll to the next (noise, time, found shares), and the
# free port the simulated miner got. The snapshot keeps their type; every other value is exact.
VOLATILE = path_type(
    {
        "entry.data.port": (int,),
        "data.(hashrate|efficiency|power|chip_temp_max|chip_temp_avg|vr_temp)": (float,),
        "data.(input_voltage|input_current|core_voltage_actual)": (float,),
        "data.(uptime|shares_accepted|shares_rejected)": (int,),
        "data.(best_difficulty|best_session_difficulty)": (float,),
        r"data.fans.\d+.rpm": (int,),
        r"data.fans.\d+.percent": (float,),
        r"data.boards.\d+.(hashrate|chip_temp)": (float,),
        r"data.pools.0.(accepted|rejected)": (int,),  # counted on the active pool only
    },
    regex=True,
)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert result == snapshot(matcher=VOLATILE)


async def test_diagnostics_redact_personal_data(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    axeos_miner: SimulatedMiner,
) -> None:
    """No MAC, hostname or pool account appears anywhere in the dump."""
    state = axeos_miner.state
    state.hostname = "kitchen-miner"
    await init_integration.runtime_data.coordinator.async_refresh()
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = str(result).lower()

    for secret in (state.mac, state.hostname, state.primary_pool.user, state.fallback_pool.user):
        assert secret.lower() not in text
    assert {"password", "username", "mac", "hostname", "user", "serial"} <= TO_REDACT


async def test_diagnostics_of_unreachable_miner(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    axeos_miner: SimulatedMiner,
) -> None:
    """Support sees the last poll that worked and why the latest one failed."""
    axeos_miner.set_fault(Fault.OFFLINE)
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_refresh()

    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert isinstance(result["data"], dict)
    assert result["data"]["model"] == "Bitaxe Gamma"
    assert result["coordinator"] == {
        "last_update_success": False,
        "update_interval": 10.0,
        "last_exception": str(coordinator.last_exception),
    }
    assert "Cannot reach the miner at 127.0.0.1" in str(result["coordinator"]["last_exception"])
