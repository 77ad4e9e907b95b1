"""The machine the probes run on: its name, platform and addresses (reachability is judged from here)."""

from __future__ import annotations

import platform
import socket

from linkready.facts import Collector


def local_collector() -> Collector:
    """This host as the collector. Its addresses come from its own name; none when that does not resolve."""
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    return Collector(
        hostname=socket.gethostname(),
        platform=f"{platform.system()} {platform.release()}",
        source_addresses=tuple(sorted(addresses)),
    )
