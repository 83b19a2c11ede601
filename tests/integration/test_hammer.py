"""A simulated Hammer D10 in Home Assistant: the login flow, its entities, its controls (its work
modes through the power-mode select), reauth and availability. The checks are shared with the
other re-brands (``rebrand_checks.py``)."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from tests.simulator import Simulator

from .rebrand_checks import (
    PLATFORMS,
    all_entities_enabled,
    snapshot_platform,
    test_fault_light_and_restart_buttons,
    test_mining_switch_and_power_modes,
    test_offline_then_back,
    test_user_flow_with_login,
    test_wrong_password_starts_reauth,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")
__all__ = [
    "all_entities_enabled",
    "test_fault_light_and_restart_buttons",
    "test_mining_switch_and_power_modes",
    "test_offline_then_back",
    "test_user_flow_with_login",
    "test_wrong_password_starts_reauth",
]


@pytest.fixture
def family() -> str:
    return "hammer"


@pytest.mark.parametrize("platform", [*PLATFORMS, Platform.SELECT])
@pytest.mark.usefixtures("all_entities_enabled", "frozen_clock")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    family: str,
    platform: Platform,
) -> None:
    await snapshot_platform(
        hass, entity_registry, snapshot, simulator, monkeypatch, family, platform
    )
