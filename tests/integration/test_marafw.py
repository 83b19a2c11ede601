"""MaraFW on a simulated Antminer S19 XP in Home Assistant: the login flow, its entities, its
controls (its power target through the power-limit number), reauth and availability. The checks
are shared with the other re-brands (``rebrand_checks.py``)."""

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
    test_offline_then_back,
    test_power_limit_and_mining_switch,
    test_user_flow_with_login,
    test_wrong_password_starts_reauth,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")
__all__ = [
    "all_entities_enabled",
    "test_fault_light_and_restart_buttons",
    "test_offline_then_back",
    "test_power_limit_and_mining_switch",
    "test_user_flow_with_login",
    "test_wrong_password_starts_reauth",
]


@pytest.fixture
def family() -> str:
    return "marafw"


@pytest.mark.parametrize("platform", [*PLATFORMS, Platform.NUMBER])
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
