"""IP address arithmetic for the NSG and route evaluators: prefixes as integer intervals.

Addresses become integers so that a whole prefix or range is compared, split and printed as one
interval instead of address by address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from linkready.domain.nsg_documents import NsgFormatError

MAX_IPV4 = (1 << 32) - 1
MAX_IPV6 = (1 << 128) - 1


def as_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The prefix or address ``text`` names; None for anything else (a service tag, a typo)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


#: An inclusive range of addresses (or ports) as integers.
Interval = tuple[int, int]


def as_interval(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, Interval]:
    return net.version, (int(net.network_address), int(net.broadcast_address))


def subtract(base: list[Interval], remove: Iterable[Interval]) -> list[Interval]:
    result = base
    for r_lo, r_hi in remove:
        nxt: list[Interval] = []
        for lo, hi in result:
            if r_hi < lo or r_lo > hi:
                nxt.append((lo, hi))
                continue
            if lo < r_lo:
                nxt.append((lo, r_lo - 1))
            if r_hi < hi:
                nxt.append((r_hi + 1, hi))
        result = nxt
    return result


def split_at(lo: int, hi: int, breaks: set[int]) -> list[Interval]:
    """``lo..hi`` cut before every break inside it."""
    cuts = sorted(b for b in breaks if lo < b <= hi)
    pieces: list[Interval] = []
    start = lo
    for cut in cuts:
        pieces.append((start, cut - 1))
        start = cut
    pieces.append((start, hi))
    return pieces


def ip_text(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def range_text(version: int, lo: int, hi: int) -> str:
    """An interval as a reader writes it: one address, one CIDR prefix, or ``first-last``."""
    first, last = ipaddress.ip_address(ip_text(version, lo)), ipaddress.ip_address(ip_text(version, hi))
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        ipaddress.summarize_address_range(first, last)  # type: ignore[type-var]
    )
    if len(nets) == 1:
        net = nets[0]
        return str(net.network_address) if net.num_addresses == 1 else str(net)
    return f"{first}-{last}"


def as_block(text: str) -> tuple[int, Interval]:
    net = as_network(text)
    if net is None:
        raise NsgFormatError(f"{text!r} is not an IP address or CIDR prefix")
    return as_interval(net)
