"""Two network namespaces joined by a veth pair: a real kernel answers every port probe.

Layout (documentation address ranges, configured inside the namespaces only)::

    client ns  "lr<id>c"                      server ns  "lr<id>s"
      veth  198.51.100.10/24, 2001:db8:2::10    veth  192.0.2.2/24, 2001:db8:1::2
      route 192.0.2.0/24, 2001:db8:1::/64  <->   route 198.51.100.0/24, 2001:db8:2::/64
      lo 127.0.0.1 (DNS test server)

The client plays the SQL Server host, the server plays the managed instance subnet. The
server namespace's nftables ``inet`` table classifies ports: DROP (filtered), REJECT with
tcp reset (refused) and REJECT with icmpx host-unreachable (unreachable); ports with a real
listener are open; every other port is closed by the kernel (refused). Nothing is added to the
root namespace, the client has no default route, and deleting the namespaces removes everything.

Code runs "inside" a namespace through a thread that calls setns(2) first: sockets it creates
belong to that namespace for their whole life, whichever thread uses them afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000

CLIENT_V4 = "198.51.100.10"
SERVER_V4 = "192.0.2.2"
CLIENT_V6 = "2001:db8:2::10"
SERVER_V6 = "2001:db8:1::2"
SERVER_PREFIX_V4 = "192.0.2.0/24"
CLIENT_PREFIX_V4 = "198.51.100.0/24"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def netns_supported() -> tuple[bool, str]:
    """Whether this machine can create namespaces, veth pairs and nftables rules (as root)."""
    if os.geteuid() != 0:
        return False, "network namespaces need root"
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    if missing:
        return False, f"missing {', '.join(missing)}"
    name = f"lrprobe{os.getpid()}"
    try:
        _ip("netns", "add", name)
    except (subprocess.CalledProcessError, OSError) as exc:
        return False, f"ip netns add failed: {getattr(exc, 'stderr', exc)}"
    try:
        subprocess.run(
            ["ip", "netns", "exec", name, "nft", "add", "table", "inet", "probe"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        return False, f"nftables unusable: {exc.stderr!r}"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return True, ""


def run_in_netns(ns: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` in a fresh thread that has joined network namespace ``ns``; return its result."""
    future: Future[T] = Future()
    libc = ctypes.CDLL(None, use_errno=True)

    def body() -> None:
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                future.set_exception(OSError(err, f"setns({ns}): {os.strerror(err)}"))
                return
        finally:
            os.close(fd)
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)

    thread = threading.Thread(target=body, name=f"netns-{ns}")
    thread.start()
    thread.join()
    return future.result()


class Listeners:
    """Real TCP listeners (dual-stack) in a namespace; accepted connections are closed at once."""

    def __init__(self, socks: list[socket.socket]) -> None:
        self._socks = socks
        self._selector = selectors.DefaultSelector()
        for sock in socks:
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
        self._stop = threading.Event()
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                while True:
                    try:
                        conn, _addr = sock.accept()
                    except (BlockingIOError, OSError):
                        break
                    conn.close()
                    self.accepted += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._selector.close()
        for sock in self._socks:
            sock.close()


def _listen_sockets(ports: Iterable[int]) -> list[socket.socket]:
    socks = []
    for port in ports:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", port))
        sock.listen(1024)
        socks.append(sock)
    return socks


def _port_set(ports: Iterable[int]) -> str:
    from linkready.domain.ports import compress

    items = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in compress(ports)]
    return "{ " + ", ".join(items) + " }"


class NetnsLab:
    """Create with :meth:`create`, always :meth:`destroy` (the fixture does both)."""

    def __init__(self, tag: str | None = None) -> None:
        tag = tag or f"{os.getpid() % 100000}"
        self.client = f"lr{tag}c"
        self.server = f"lr{tag}s"
        self._veth_c = f"lr{tag}vc"
        self._veth_s = f"lr{tag}vs"
        self.created = False

    # -- lifecycle -----------------------------------------------------------------------------
    def create(self) -> NetnsLab:
        self.destroy()  # a crashed earlier run with the same id must not break this one
        self.created = True
        _ip("netns", "add", self.client)
        _ip("netns", "add", self.server)
        _ip("link", "add", self._veth_c, "type", "veth", "peer", "name", self._veth_s)
        _ip("link", "set", self._veth_c, "netns", self.client)
        _ip("link", "set", self._veth_s, "netns", self.server)
        for ns, dev, v4, v6, peer4, peer6 in (
            (self.client, self._veth_c, CLIENT_V4, CLIENT_V6, SERVER_PREFIX_V4, "2001:db8:1::/64"),
            (self.server, self._veth_s, SERVER_V4, SERVER_V6, CLIENT_PREFIX_V4, "2001:db8:2::/64"),
        ):
            _ip("-n", ns, "link", "set", "lo", "up")
            prefix = "/24"
            _ip("-n", ns, "addr", "add", v4 + prefix, "dev", dev)
            _ip("-n", ns, "-6", "addr", "add", v6 + "/64", "dev", dev, "nodad")
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "route", "add", peer4, "dev", dev)
            _ip("-n", ns, "-6", "route", "add", peer6, "dev", dev)
        self.set_rules()
        return self

    def destroy(self) -> None:
        for ns in (self.client, self.server):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        # Deleting a namespace deletes its veth end and with it the peer; this catches a pair
        # left in the root namespace by a create() that failed half-way.
        subprocess.run(["ip", "link", "del", self._veth_c], capture_output=True)
        etc = Path("/etc/netns") / self.client
        if etc.exists():
            shutil.rmtree(etc, ignore_errors=True)
        self.created = False

    # -- behaviour of the "managed instance" side --------------------------------------------
    def set_rules(
        self,
        *,
        drop: Iterable[int] = (),
        reset: Iterable[int] = (),
        unreachable: Iterable[int] = (),
    ) -> None:
        """Replace the server namespace's port rules (ports not named follow the kernel)."""
        lines = [
            "table inet lr {",
            "  chain input {",
            "    type filter hook input priority 0; policy accept;",
        ]
        for ports, verdict in (
            (drop, "drop"),
            (reset, "reject with tcp reset"),
            (unreachable, "reject with icmpx type host-unreachable"),
        ):
            ports = list(ports)
            if ports:
                lines.append(f"    tcp dport {_port_set(ports)} {verdict}")
        lines += ["  }", "}"]
        script = "flush ruleset\n" + "\n".join(lines) + "\n"
        subprocess.run(
            ["ip", "netns", "exec", self.server, "nft", "-f", "-"],
            input=script,
            text=True,
            check=True,
            capture_output=True,
        )

    @contextlib.contextmanager
    def listening(self, ports: Iterable[int]) -> Iterator[Listeners]:
        """Real listeners on ``ports`` in the server namespace (IPv4 and IPv6)."""
        socks = run_in_netns(self.server, _listen_sockets, list(ports))
        listeners = Listeners(socks)
        try:
            yield listeners
        finally:
            listeners.close()

    # -- running things on the "SQL Server host" side ----------------------------------------
    def in_client(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the client namespace (in a thread that joined it)."""
        return run_in_netns(self.client, fn, *args, **kwargs)

    def client_cmd(self, *argv: str) -> list[str]:
        """``argv`` prefixed to run as a process in the client namespace."""
        return ["ip", "netns", "exec", self.client, *argv]

    def write_client_resolv_conf(self, text: str) -> None:
        """/etc/netns/<client>/resolv.conf: ``ip netns exec`` bind-mounts it over /etc/resolv.conf."""
        etc = Path("/etc/netns") / self.client
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(text, encoding="utf-8")


def lab_or_reason() -> tuple[NetnsLab | None, str]:
    """A created lab, or None and why namespaces are not available here."""
    ok, reason = netns_supported()
    if not ok:
        return None, reason
    return NetnsLab().create(), ""
