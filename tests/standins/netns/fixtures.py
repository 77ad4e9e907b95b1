"""pytest fixtures for the namespace lab; import them into a test module to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require_component
from tests.standins.netns.lab import NetnsLab, netns_supported


@pytest.fixture(scope="session")
def netns_lab() -> Iterator[NetnsLab]:
    """Client and server namespaces with a veth pair; no port rules. Removed after the session.

    Under CI=true a machine without namespace support fails the tests instead of skipping them.
    """
    ok, reason = netns_supported()
    require_component(f"network namespaces with veth and nftables ({reason or 'ok'})", ok)
    lab = NetnsLab()
    try:
        lab.create()
        yield lab
    finally:
        lab.destroy()


@pytest.fixture
def lab(netns_lab: NetnsLab) -> Iterator[NetnsLab]:
    """The session lab with its port rules reset before and after the test."""
    netns_lab.set_rules()
    yield netns_lab
    netns_lab.set_rules()
