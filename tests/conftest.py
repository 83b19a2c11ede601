"""Fixtures shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest

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
