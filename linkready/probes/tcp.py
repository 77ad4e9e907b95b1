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
import threading
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


#: The soft descriptor limit is raised towards the hard limit up to this, once per process.
_NOFILE_GOAL = 16384


def _raise_nofile() -> int | None:
    """The soft RLIMIT_NOFILE after raising it towards the hard limit; None where there is none."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    if soft < _NOFILE_GOAL:
        target = _NOFILE_GOAL if hard == resource.RLIM_INFINITY else min(_NOFILE_GOAL, hard)
        if target > soft:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = target
            except (ValueError, OSError):
                pass
    return int(soft)


class SocketBudget:
    """One count of scan sockets for the whole process, shared by every scan on every thread.

    Estate mode runs many targets at once, each in its own thread with its own event loop: a
    budget per scan lets eight targets ask for eight times what the process may open, and the
    kernel then refuses sockets (Errno 24), event loops and even imports. One budget, sized once
    from RLIMIT_NOFILE less a reserve for everything that is not a scan socket (SQL and HTTPS
    connections, DNS, event loops, report files), bounds them all together. The wait is a short
    sleep, not a lock held across an await: the scans live on different event loops.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._capacity: int | None = None
        self._in_use = 0

    @property
    def capacity(self) -> int:
        with self._lock:
            if self._capacity is None:
                soft = _raise_nofile()
                if soft is None:
                    self._capacity = _DEFAULT_SOCKET_BUDGET
                else:
                    self._capacity = max(1, soft - max(_FD_RESERVE, soft // 4))
            return self._capacity

    @property
    def in_use(self) -> int:
        return self._in_use

    async def acquire(self) -> None:
        capacity = self.capacity
        delay = 0.001
        while True:
            with self._lock:
                if self._in_use < capacity:
                    self._in_use += 1
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)

    def release(self) -> None:
        with self._lock:
            self._in_use -= 1


#: The process's one budget (see :class:`SocketBudget`).
SOCKETS = SocketBudget()


def fd_budget(wanted: int) -> int:
    """How many sockets one scan may hold at once: ``wanted``, capped by the process's budget."""
    return max(1, min(wanted, SOCKETS.capacity))


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
            await SOCKETS.acquire()
            try:
                return await attempt(port)
            finally:
                SOCKETS.release()

    async def attempt(port: int) -> PortResult:
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
