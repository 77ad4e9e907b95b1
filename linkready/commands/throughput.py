"""``linkready throughput listen|test``: an opt-in, bounded transfer test for the seeding estimate.

Seeding time is the planned databases' size over the throughput to the managed instance. The
throughput can be given in the config or measured here: the user starts ``throughput listen`` on
the far side (a VM next to the managed instance: nothing can be started on the instance itself),
then runs ``throughput test HOST:PORT`` on the SQL Server host. The sender stops after a few
seconds or megabytes, whichever comes first; the listener discards what it receives, reports
what arrived and how fast, serves one test at a time, and exits after its own time limit.

Neither side ever runs as part of ``check`` or ``collect``: this moves real data over the
customer's network, so it runs only when a person asks for it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from linkready.commands._common import fail_usage, machine_format
from linkready.domain.throughput import (
    BUSY,
    DEFAULT_PORT,
    HEADER,
    MIB,
    READY,
    Measurement,
    Report,
    ThroughputError,
    estimate_seeding,
    gb_per_hour,
    parse_target,
)

if TYPE_CHECKING:
    import asyncio

    from linkready.facts import Facts

#: Could not measure (refused, filtered, cut off): the same meaning as "could not evaluate".
EXIT_NOT_MEASURED = 3
CHUNK = 256 * 1024
#: Random bytes the sender cycles through: incompressible, so WAN optimisers cannot inflate the figure.
_PATTERN_BYTES = 4 * MIB
#: How long a connection may take to send its header before the listener drops it.
HEADER_TIMEOUT = 10.0


# ---------------------------------------------------------------------------------------------
# The listener


class Listener:
    """Accepts one test at a time, discards the payload, and reports what arrived.

    ``on_event`` receives one line per event (for the console); ``reports`` keeps every finished test.
    """

    def __init__(self, on_event: Callable[[str], None] = lambda line: None) -> None:
        import asyncio  # lazily: `throughput --help` need not pay for it (issue 20)

        self.on_event = on_event
        self.reports: list[Report] = []
        self.busy = False
        self.finished = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import asyncio

        peer = writer.get_extra_info("peername")
        who = f"{peer[0]}:{peer[1]}" if peer else "?"
        try:
            try:
                header = await asyncio.wait_for(reader.readline(), HEADER_TIMEOUT)
            except (TimeoutError, ValueError):
                header = b""
            if header != HEADER:
                self.on_event(f"{who}: not a linkready throughput test; connection closed")
                return
            if self.busy:
                writer.write(BUSY)
                await writer.drain()
                self.on_event(f"{who}: refused, a test is already running")
                return
            self.busy = True
            try:
                report = await self._receive(reader, writer)
            finally:
                self.busy = False
            self.reports.append(report)
            rate = gb_per_hour(report.byte_count, report.seconds) if report.seconds > 0 else 0.0
            self.on_event(f"{who}: received {report.byte_count / MIB:.1f} MB in {report.seconds:.2f} s = "
                          f"{rate:.1f} GB/hour")
            self.finished.set()
        except (ConnectionError, OSError) as exc:
            self.on_event(f"{who}: connection lost: {exc}")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    @staticmethod
    async def _receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Report:
        writer.write(READY)
        await writer.drain()
        started = time.perf_counter()
        received = 0
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            received += len(data)
        report = Report(received, time.perf_counter() - started)
        writer.write(report.encode())
        await writer.drain()
        return report


async def listen(host: str | None, port: int, max_seconds: float, once: bool = False,
                 on_event: Callable[[str], None] = lambda line: None,
                 on_ready: Callable[[list[tuple[str, int]]], None] = lambda addresses: None) -> list[Report]:
    """Serve tests until ``max_seconds`` have passed (or, with ``once``, until one test finished)."""
    import asyncio
    listener = Listener(on_event)
    server = await asyncio.start_server(listener.handle, host=host, port=port, reuse_address=True)
    addresses = [(str(s.getsockname()[0]), int(s.getsockname()[1])) for s in server.sockets]
    on_ready(addresses)
    async with server:
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(asyncio.sleep(max_seconds))]
        if once:
            waits.append(asyncio.ensure_future(listener.finished.wait()))
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        server.close()
    return listener.reports


# ---------------------------------------------------------------------------------------------
# The sender


def _pattern() -> bytes:
    return os.urandom(_PATTERN_BYTES)


async def send(host: str, port: int, seconds: float, max_bytes: int, connect_timeout: float = 5.0
               ) -> Measurement:
    """Send for at most ``seconds`` or ``max_bytes``, then read the listener's report.

    Raises ThroughputError with a one-line reason when no measurement is possible.
    """
    import asyncio
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), connect_timeout)
    except TimeoutError as exc:
        raise ThroughputError(f"{target}: no answer within {connect_timeout:g} s (filtered by a firewall, an "
                              "NSG or a route, or nothing at that address)") from exc
    except ConnectionRefusedError as exc:
        raise ThroughputError(f"{target}: connection refused: is 'linkready throughput listen' running there, "
                              "on that port?") from exc
    except OSError as exc:
        raise ThroughputError(f"{target}: cannot connect: {exc.strerror or exc}") from exc
    sock = writer.get_extra_info("socket")
    source = str(sock.getsockname()[0]) if sock is not None else ""
    try:
        writer.write(HEADER)
        await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.readline(), connect_timeout)
        except TimeoutError as exc:
            raise ThroughputError(f"{target}: connected, but no linkready throughput listener answered within "
                                  f"{connect_timeout:g} s") from exc
        if answer == BUSY:
            raise ThroughputError(f"{target}: the listener is busy with another test; try again when it is done")
        if answer != READY:
            raise ThroughputError(f"{target}: this is not a linkready throughput listener (it answered "
                                  f"{answer[:40]!r})")
        pattern = _pattern()
        sent, offset = 0, 0
        started = time.perf_counter()
        deadline = started + seconds
        while sent < max_bytes and time.perf_counter() < deadline:
            size = min(CHUNK, max_bytes - sent)
            if offset + size > len(pattern):
                offset = 0
            writer.write(pattern[offset:offset + size])
            offset += size
            sent += size
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        send_seconds = time.perf_counter() - started
        # The last bytes may still be in flight: the report comes once the listener has them all.
        line = await asyncio.wait_for(reader.readline(), max(10.0, seconds))
    except (TimeoutError, ConnectionError) as exc:
        raise ThroughputError(f"{target}: the test was cut off ({type(exc).__name__}: {exc or 'no report'})") from exc
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    try:
        report = Report.decode(line)
    except ValueError:
        report = None
    if report is not None and report.byte_count == 0:
        raise ThroughputError(f"{target}: the listener received nothing")
    if report is None or report.seconds <= 0:
        if send_seconds <= 0:
            raise ThroughputError(f"{target}: nothing could be measured")
        return Measurement(target, sent, send_seconds, "sender", sent, send_seconds, socket.gethostname(), source)
    return Measurement(target, report.byte_count, report.seconds, "listener", sent, send_seconds,
                       socket.gethostname(), source)


# ---------------------------------------------------------------------------------------------
# The planned databases' sizes, for the estimate


def planned_sizes(facts: Facts) -> tuple[dict[str, float], tuple[str, ...]]:
    """(size GB per planned database found, planned databases not found) from SQL facts."""
    from linkready.checks.seeding import planned_sizes_gb

    sizes = planned_sizes_gb(facts)
    found = {name.lower() for name in sizes}
    return sizes, tuple(n for n in facts.plan.databases if n.lower() not in found)


def facts_from_config(config_path: Path) -> tuple[Facts | None, str]:
    """Read the planned databases' sizes with the SQL probe only (its read-only SELECTs)."""
    from linkready.commands._common import load_config as _load_config
    from linkready.commands._common import secrets as _secrets
    from linkready.engine import collect
    from linkready.probes import PROBES

    config = _load_config(config_path)
    if config.source is None:
        return None, "the config has no [source]: the planned databases' sizes are unknown"
    if not config.plan().databases:
        return None, "the config plans no database ([[link]] databases)"
    snapshot = collect(config, _secrets(config), probes=[p for p in PROBES if p.name == "sql"])
    facts = snapshot.facts
    if facts.sql is None or facts.sql.databases is None:
        reasons = "; ".join(e.reason for e in facts.errors) or "no database facts"
        return None, f"could not read the databases' sizes from SQL Server: {reasons}"
    return facts, ""


def facts_from_snapshot(snapshot_path: Path) -> tuple[Facts | None, str]:
    from linkready.commands._common import load_snapshot as _load_snapshot

    facts = _load_snapshot(snapshot_path).facts
    if facts.sql is None or facts.sql.databases is None:
        return None, "the snapshot has no SQL Server databases"
    return facts, ""


# ---------------------------------------------------------------------------------------------
# The commands


@click.group(name="throughput")
def command() -> None:
    """Measure throughput to the far side with a bounded transfer (opt-in; never run by check).

    \b
    On a host next to the managed instance:  linkready throughput listen
    On the SQL Server host:                  linkready throughput test HOST:5201 --config target.toml
    """


@command.command(name="listen")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port to listen on (0: any free port, printed).")
@click.option("--bind", default=None, help="Address to listen on (default: every address of this host).")
@click.option("--max-seconds", type=click.FloatRange(0, 86400, min_open=True), default=600.0, show_default=True,
              help="Exit after this many seconds, tested or not.")
@click.option("--once", is_flag=True, help="Exit after the first finished test.")
def listen_command(port: int, bind: str | None, max_seconds: float, once: bool) -> None:
    """Receive and discard test data, one test at a time; report bytes/s back to the sender."""
    import asyncio

    def ready(addresses: list[tuple[str, int]]) -> None:
        shown = ", ".join(f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in addresses)
        click.echo(f"Listening on {shown} for up to {max_seconds:g} s (one test at a time). On the SQL Server "
                   f"host run: linkready throughput test {socket.gethostname()}:{addresses[0][1]}")

    try:
        reports = asyncio.run(listen(bind, port, max_seconds, once, on_event=click.echo, on_ready=ready))
    except OSError as exc:
        fail_usage(f"cannot listen on {bind or '*'}:{port}: {exc.strerror or exc}")
    click.echo(f"Done: {len(reports)} test(s) served.")


@command.command(name="test")
@click.argument("target", metavar="HOST:PORT")
@click.option("--seconds", type=click.FloatRange(0, 300, min_open=True), default=10.0, show_default=True,
              help="Send for at most this many seconds.")
@click.option("--max-mb", type=click.FloatRange(0, 102400, min_open=True), default=1024.0, show_default=True,
              help="Send at most this many MB (1024² bytes).")
@click.option("--timeout", "--connect-timeout", "connect_timeout", type=click.FloatRange(0, 60, min_open=True), default=5.0,
              show_default=True, help="Seconds to wait for the connection (--connect-timeout: the old name).")
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Target file: estimate seeding for its planned databases (reads their sizes from SQL Server).")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Snapshot: estimate seeding for its planned databases (offline).")
@machine_format("as_json_output")
def test_command(target: str, seconds: float, max_mb: float, connect_timeout: float, config_path: Path | None,
                 snapshot_path: Path | None, as_json_output: bool) -> None:
    """Send test data to a listener for a bounded time/size; print GB/hour and the seeding estimate."""
    import asyncio
    try:
        host, port = parse_target(target)
    except ValueError as exc:
        fail_usage(str(exc))
    if config_path is not None and snapshot_path is not None:
        fail_usage("give --config or --snapshot, not both")
    # Read the sizes first: a configuration error should not cost a transfer.
    facts, note = None, "give --config or --snapshot for the planned databases' sizes"
    if config_path is not None:
        facts, note = facts_from_config(config_path)
    elif snapshot_path is not None:
        facts, note = facts_from_snapshot(snapshot_path)
    try:
        measurement = asyncio.run(send(host, port, seconds, int(max_mb * MIB), connect_timeout))
    except ThroughputError as exc:
        click.echo(f"linkready: could not measure: {exc}", err=True)
        sys.exit(EXIT_NOT_MEASURED)
    estimate = None
    if facts is not None:
        sizes, missing = planned_sizes(facts)
        if sizes:
            estimate = estimate_seeding(sizes, measurement.gb_per_hour, missing)
        else:
            note = "none of the planned databases was found on SQL Server"
    from linkready.reports.throughput import render_json, render_text

    output = render_json if as_json_output else render_text
    click.echo(output(measurement, estimate, note), nl=False)
