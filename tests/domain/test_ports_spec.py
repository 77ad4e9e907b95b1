"""Port specifications: parse, compress, format and sample (linkready.domain.ports)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkready.domain.ports import (
    PortSpecError,
    compress,
    format_ranges,
    parse_port_spec,
    sample_ports,
)

ports_sets = st.sets(st.integers(min_value=1, max_value=65535), max_size=300)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("5022", (5022,)),
        ("5022,11000-11003", (5022, 11000, 11001, 11002, 11003)),
        (" 11003 , 11000-11001,5022,11001 ", (5022, 11000, 11001, 11003)),
        ("1-1", (1,)),
        ("65535", (65535,)),
    ],
)
def test_parse_port_spec(spec: str, expected: tuple[int, ...]) -> None:
    assert parse_port_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty port specification"),
        ("5022,", "empty item"),
        ("0", "out of range"),
        ("65536", "out of range"),
        ("11999-11000", "runs backwards"),
        ("abc", "not a port number"),
        ("50-", "not a port number"),
        ("-5", "not a port number"),
        ("1-2-3", "not a port number"),
        ("+5", "not a port number"),
    ],
)
def test_parse_port_spec_rejects(spec: str, message: str) -> None:
    with pytest.raises(PortSpecError, match=message):
        parse_port_spec(spec)


def test_compress_and_format() -> None:
    assert compress([11002, 5022, 11000, 11001, 11001]) == [(5022, 5022), (11000, 11002)]
    assert format_ranges([11002, 5022, 11000, 11001]) == "5022,11000-11002"
    assert format_ranges([]) == ""
    assert format_ranges(range(11000, 12000)) == "11000-11999"


@given(ports_sets)
def test_format_round_trips(ports: set[int]) -> None:
    text = format_ranges(ports)
    if ports:
        assert set(parse_port_spec(text)) == ports
    else:
        assert text == ""


@given(ports_sets)
def test_compress_is_minimal_and_exact(ports: set[int]) -> None:
    ranges = compress(ports)
    covered = {p for lo, hi in ranges for p in range(lo, hi + 1)}
    assert covered == ports
    # Sorted, non-overlapping, and never two ranges that touch (otherwise it was not merged).
    for (lo1, hi1), (lo2, hi2) in itertools.pairwise(ranges):
        assert lo1 <= hi1 < lo2 - 1 < hi2


@given(st.sets(st.integers(1, 65535), min_size=1, max_size=200), st.integers(1, 250), st.integers(0, 99))
def test_sample_ports(ports: set[int], count: int, seed: int) -> None:
    sample = sample_ports(sorted(ports), count, seed)
    assert set(sample) <= ports
    assert list(sample) == sorted(set(sample))
    assert len(sample) == min(count, len(ports))
    assert min(ports) in sample
    if count >= 2:
        assert max(ports) in sample
    assert sample == sample_ports(sorted(ports), count, seed)  # reproducible


def test_sample_rejects_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        sample_ports([1, 2], 0)
