"""The estate fixture: one set of stand-ins for the end-to-end tests, stopped when they are done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require_component
from tests.e2e.estate import Estate, sealing_available
from tests.standins.tds.conftest import require_freetds


@pytest.fixture(scope="package")
def estate() -> Iterator[Estate]:
    """SQL Server, Entra ID, ARM, DNS and the network on loopback (needs root and FreeTDS)."""
    require_freetds()
    available, why = sealing_available()
    require_component("a private mount namespace for the CLI (unshare --mount, root)", available, why)
    with Estate() as running:
        yield running


@pytest.fixture
def fresh(estate: Estate) -> Estate:
    """The estate serving the healthy ARM scenario with no request recorded yet."""
    estate.serve("healthy")
    with estate.tds.state.lock:
        estate.tds.state.received.clear()
    return estate
