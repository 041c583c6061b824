"""The figures tests' district: the world's district A filled with generated records (tests/figures/district.py)."""

from __future__ import annotations

import pytest

from tests.figures import district


@pytest.fixture
def generated(session, make, world):
    """generated(seed=…, proposals=…, …): district A of the world with generated records."""

    def _make(**sizes) -> district.Generated:
        return district.build(session, make, world.district_a, **sizes)

    return _make


@pytest.fixture
def figures_district(generated, chained) -> district.Generated:
    """District A of the world with the generated records of the default sizes: built by the first
    test of a process that asks, then put back for the others (`chained` in tests/conftest.py)."""
    return chained("figures_district", generated)
