"""Fixtures shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported before any `hass` fixture runs, so that Home Assistant finds this repository's
# `custom_components` package rather than the test plugin's own.
import custom_components.asic  # noqa: F401

REAL_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real"


@pytest.fixture
def real_fixtures() -> Path:
    """Recorded replies of real miners; they live beside the repository, not in it."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"recorded real replies not found at {REAL_FIXTURES} (they are not shipped)")
    return REAL_FIXTURES


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, in ``snapshots/`` beside the test module.

    The test plugin defines the same fixture, but with newer syrupy releases syrupy's own
    ``snapshot`` fixture wins over the plugin's, so it is defined again here.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
