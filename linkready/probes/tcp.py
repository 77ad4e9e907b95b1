"""TCP reachability probe: classify ports as open, refused, filtered or unreachable.

A connect attempt is classified by what the kernel reports:

* ``open``: the three-way handshake completed (something listens).
* ``refused``: a TCP reset came back (ECONNREFUSED): the path is open, nothing listens, or a
  firewall rejects with a reset.
* ``filtered``: no answer within the per-port timeout: a firewall or NSG silently drops.
* ``unreachable``: an ICMP unreachable or no route (EHOSTUNREACH / ENETUNREACH).

All ports are tried concurrently, bounded by a semaphore (one socket per attempt), and the whole
scan has one deadline, so a scan of 1,000 dropped ports costs about one timeout, not 1,000.
The probe only connects and closes: it never sends application data. It never raises for an
expected network failure; every outcome is a value.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence

from linkready.domain.ports import format_ranges
from linkready.facts.network import (
    PORT_ERROR,
    PORT_FILTERED,
    PORT_OPEN,
    PORT_REFUSED,
    PORT_UNREACHABLE,
    PORT_UNTESTED,
    PortResult,
    PortScan,
    PortState,
    port_runs,
)

#: Default per-port connect timeout in seconds.
DEFAULT_TIMEOUT = 3.0
#: Default number of sockets open at once. Enough for the whole 11000-11999 range plus 5022 to
#: be in flight together; lowered automatically when the process may not open that many files.
DEFAULT_CONCURRENCY = 1024
#: File descriptors kept free for everything else the process does while a scan runs.
_FD_RESERVE = 64

_UNREACHABLE_ERRNOS = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN, errno.EADDRNOTAVAIL}
)

#: Resolves a host name to addresses; the DNS probe provides one that honours configured servers.
Resolver = Callable[[str, float], Awaitable[Sequence[str]]]


def is_ip_address(host: str) -> bool:
    """True for an IPv4 or IPv6 literal (brackets allowed around IPv6)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


#: Sockets assumed available where the OS has no RLIMIT_NOFILE (Windows: sockets are not bounded by a
#: per-process descriptor limit the way Unix files are, but a default of 512 stays well clear of any
#: ephemeral-port or select() ceiling while still scanning the HADR range in two waves).
_DEFAULT_SOCKET_BUDGET = 512


def fd_budget(wanted: int) -> int:
    """How many sockets the scan may hold at once: ``wanted``, capped by RLIMIT_NOFILE where it exists.

    Raises the soft limit towards the hard limit when that is allowed, because a full 1,000-port
    scan needs about 1,000 descriptors and many systems default to a soft limit of 1,024.
    ``resource`` is Unix-only, so it is imported here, not at module level: on Windows the budget
    is a fixed safe default instead of a traceback.
    """
    try:
        import resource
    except ImportError:
        return max(1, min(wanted, _DEFAULT_SOCKET_BUDGET))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + _FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return max(1, wanted)
    return max(1, min(wanted, soft - _FD_RESERVE))


def source_address_for(address: str, port: int = 9) -> str:
    """The local address the kernel would use to reach ``address`` (no packet is sent).

    Connecting a UDP socket only selects a route and a source address; it transmits nothing.
    Returns "" when there is no route.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address, port))
            return str(sock.getsockname()[0])
    except OSError:
        return ""


def classify_oserror(exc: OSError) -> tuple[str, str]:
    """Map a connect error to (state, detail)."""
    name = errno.errorcode.get(exc.errno or 0, "") if exc.errno else ""
    detail = f"{name}: {exc.strerror}" if name and exc.strerror else str(exc)
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return PORT_REFUSED, detail
    if exc.errno in _UNREACHABLE_ERRNOS:
        return PORT_UNREACHABLE, detail
    if isinstance(exc, TimeoutError) or exc.errno == errno.ETIMEDOUT:
        return PORT_FILTERED, detail
    return PORT_ERROR, detail


async def _connect_once(address: str, port: int, timeout: float) -> PortResult:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:  # out of descriptors, family not supported
        return PortResult(port, PORT_ERROR, None, f"socket(): {exc}")
    sock.setblocking(False)
    # A reset on close instead of FIN/TIME_WAIT: the probe opens and drops thousands of
    # connections and must not leave the SQL side (or itself) holding TIME_WAIT sockets.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    start = time.perf_counter()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout)
    except TimeoutError:
        return PortResult(port, PORT_FILTERED, None, f"no answer within {timeout:g} s")
    except OSError as exc:
        state, detail = classify_oserror(exc)
        elapsed = (time.perf_counter() - start) * 1000
        return PortResult(port, PortState(state), round(elapsed, 3), detail)
    finally:
        sock.close()
    elapsed = (time.perf_counter() - start) * 1000
    return PortResult(port, PORT_OPEN, round(elapsed, 3), "")


async def scan_address(
    address: str,
    ports: Sequence[int],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
) -> tuple[PortResult, ...]:
    """Try every port on one address concurrently; results in port order.

    ``deadline`` bounds the whole scan in seconds. A port whose attempt would have to be cut
    short by the deadline is reported ``untested``, never ``filtered``: only a full per-port
    timeout without an answer counts as filtered.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    limit = asyncio.Semaphore(fd_budget(max(1, concurrency)))
    loop = asyncio.get_running_loop()
    end = None if deadline is None else loop.time() + deadline

    async def one(port: int) -> PortResult:
        async with limit:
            budget = timeout
            if end is not None:
                remaining = end - loop.time()
                if remaining <= 0:
                    return PortResult(
                        port, PORT_UNTESTED, None, "overall deadline reached before the attempt"
                    )
                budget = min(timeout, remaining)
            result = await _connect_once(address, port, budget)
            if result.state == PORT_FILTERED and budget < timeout:
                return PortResult(
                    port, PORT_UNTESTED, None, f"overall deadline cut the attempt short after {budget:.2f} s"
                )
            return result

    unique = sorted(set(ports))
    results = await asyncio.gather(*(one(p) for p in unique))
    return tuple(results)


async def system_resolve(host: str, timeout: float) -> Sequence[str]:
    """Addresses for ``host`` from the operating system's resolver (getaddrinfo)."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return tuple(seen)


def pick_address(addresses: Sequence[str]) -> str:
    """The address a client would try first: the first IPv4 one, else the first at all."""
    for addr in addresses:
        if ":" not in addr:
            return addr
    return addresses[0]


async def scan_host(
    host: str,
    ports: Sequence[int],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
    resolve: Resolver | None = None,
    sampled: bool = False,
    requested: str = "",
) -> PortScan:
    """Resolve ``host`` (unless it is an address) and scan ``ports`` on it.

    A host that does not resolve gives a PortScan with ``error`` set and no port results.
    """
    started = time.perf_counter()
    address = host.strip("[]")
    requested = requested or format_ranges(ports)
    if not is_ip_address(address):
        resolver = resolve or system_resolve
        try:
            addresses = await resolver(host, timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            addresses = ()
            reason = str(exc) or type(exc).__name__
        else:
            reason = "no addresses"
        if not addresses:
            return PortScan(
                host=host,
                address="",
                runs=(),
                timeout_s=timeout,
                source_host=socket.gethostname(),
                requested=requested,
                sampled=sampled,
                elapsed_s=round(time.perf_counter() - started, 3),
                error=f"{host} did not resolve: {reason}",
            )
        address = pick_address(addresses)
    results = await scan_address(address, ports, timeout=timeout, concurrency=concurrency, deadline=deadline)
    return PortScan(
        host=host,
        address=address,
        runs=port_runs(results),
        timeout_s=timeout,
        source_address=source_address_for(address, ports[0] if ports else 9),
        sampled=sampled,
        source_host=socket.gethostname(),
        requested=requested,
        elapsed_s=round(time.perf_counter() - started, 3),
    )
