"""The bounded throughput test: pure helpers, then real sockets on loopback, then the real CLI.

Every transfer is bounded (about a second, at most 50 MB) so the suite stays fast.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from linkready.commands.throughput import listen, send
from linkready.domain.throughput import (
    GIB,
    HEADER,
    MIB,
    READY,
    Report,
    ThroughputError,
    config_line,
    estimate_seeding,
    gb_per_hour,
    parse_target,
)
from tests.conftest import ROOT, run_cli

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"


# ------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("mi-vm.contoso.local:5201", ("mi-vm.contoso.local", 5201)), ("10.40.2.9:5022", ("10.40.2.9", 5022)),
     ("[fd00::9]:5201", ("fd00::9", 5201))],
)
def test_parse_target(text: str, parsed: tuple[str, int]) -> None:
    assert parse_target(text) == parsed


@pytest.mark.parametrize(
    ("text", "words"),
    [("host", "not HOST:PORT"), (":5201", "not HOST:PORT"), ("host:0", "1-65535"), ("host:70000", "1-65535"),
     ("fd00::9:5201", "[address]:port"), ("[fd00::9]5201", "[address]:port"), ("[nope]:5201", "not an IPv6")],
)
def test_parse_target_rejects(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_target(text)


def test_units_and_the_line_to_paste() -> None:
    assert gb_per_hour(GIB, 3600) == 1.0
    assert gb_per_hour(50 * MIB, 1.0) == pytest.approx(175.78, abs=0.01)
    assert config_line(84.04) == "seeding_throughput_gb_per_hour = 84.0"
    with pytest.raises(ValueError):
        gb_per_hour(1, 0)


def test_report_line_round_trips_and_junk_is_refused() -> None:
    report = Report(52428800, 0.5)
    assert Report.decode(report.encode()) == report and report.bytes_per_second == 104857600
    for junk in (b"HTTP/1.0 200 OK\n", b'{"bytes": "x"}\n', b'{"bytes": -1, "seconds": 1}\n', b"\xff\n"):
        with pytest.raises(ValueError, match="not a throughput report"):
            Report.decode(junk)


@pytest.mark.parametrize(
    ("sizes", "rate", "verdict"),
    [({"Sales": 100.0}, 84.0, "well within the 6-day limit"),
     ({"Sales": 8000.0, "HR": 2000.0}, 100.0, "close to the 6-day limit"),
     ({"Sales": 15000.0}, 100.0, "over the 6-day limit: link creation would be cancelled")],
)
def test_seeding_estimate(sizes: dict[str, float], rate: float, verdict: str) -> None:
    estimate = estimate_seeding(sizes, rate, missing=("Gone",))
    assert verdict in estimate.lines()[-2] and "Gone: not found on SQL Server" in estimate.lines()[-1]
    assert estimate.total_hours == pytest.approx(sum(sizes.values()) / rate)


def test_seeding_estimate_shares_the_bandwidth_like_seed_001() -> None:
    estimate = estimate_seeding({"A": 10.0, "B": 30.0}, 10.0)
    assert [(name, alone, shared) for name, _, alone, shared in estimate.databases] == [("A", 1.0, 2.0),
                                                                                       ("B", 3.0, 4.0)]
    assert estimate.lines()[0] == "  A: 10.0 GB, 1.0 h alone, 2.0 h with all links seeding at once"


# ------------------------------------------------------------------ real sockets on loopback


async def _with_listener(test: Callable[[int], Awaitable[Any]], *, once: bool = False,
                         max_seconds: float = 30.0, events: list[str] | None = None) -> tuple[Any, list[Report]]:
    """Start the listener on a free loopback port, run ``test(port)``, and return (its result, the reports)."""
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(listen("127.0.0.1", 0, max_seconds, once,
                                        on_event=(events.append if events is not None else lambda line: None),
                                        on_ready=lambda addresses: ready.set_result(addresses[0][1])))
    port = await ready
    try:
        result = await test(port)
    finally:
        if not once:
            task.cancel()
    reports = await task if once else []
    return result, reports


def test_bounded_by_size_the_listener_counts_every_byte() -> None:
    async def run() -> tuple[Any, list[Report]]:
        return await _with_listener(lambda port: send("127.0.0.1", port, 5.0, 50 * MIB), once=True)

    measurement, reports = asyncio.run(run())
    assert measurement.measured_by == "listener" and measurement.sent_bytes == 50 * MIB
    assert measurement.byte_count == 50 * MIB == reports[0].byte_count
    assert measurement.gb_per_hour > 0 and measurement.source_address == "127.0.0.1"


def test_bounded_by_time_the_sender_stops() -> None:
    async def run() -> tuple[Any, list[Report]]:
        return await _with_listener(lambda port: send("127.0.0.1", port, 0.3, 100 * 1024 * MIB), once=True)

    measurement, reports = asyncio.run(run())
    # Stopped by the clock, far below the 100 GB cap; everything sent arrived.
    assert measurement.sent_bytes < 100 * 1024 * MIB and measurement.send_seconds >= 0.3
    assert measurement.byte_count == measurement.sent_bytes == reports[0].byte_count


def test_one_test_at_a_time_a_second_sender_is_told_the_listener_is_busy() -> None:
    events: list[str] = []

    async def second_while_first_runs(port: int) -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HEADER)
        await writer.drain()
        assert await reader.readline() == READY  # the first test is now running (and sends nothing yet)
        try:
            await send("127.0.0.1", port, 1.0, MIB)
        except ThroughputError as exc:
            return str(exc)
        finally:
            writer.close()
        return "no error"

    message, _ = asyncio.run(_with_listener(second_while_first_runs, events=events))
    assert "busy with another test" in message
    assert any("refused, a test is already running" in e for e in events)


def test_anything_but_the_header_is_dropped_and_not_counted() -> None:
    events: list[str] = []

    async def http_client(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer

    answer, _ = asyncio.run(_with_listener(http_client, events=events))
    assert answer == b"" and any("not a linkready throughput test" in e for e in events)


def test_listener_exits_after_max_seconds_without_a_test() -> None:
    async def run() -> list[Report]:
        return await listen("127.0.0.1", 0, 0.2, once=True)

    assert asyncio.run(run()) == []


def test_refused_and_silent_targets_are_clear_errors() -> None:
    with socket.socket() as sock:  # a port that is certainly closed: bound, never listening
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
        with pytest.raises(ThroughputError, match="connection refused"):
            asyncio.run(send("127.0.0.1", closed, 1.0, MIB, connect_timeout=2))
    with socket.socket() as silent:  # accepts TCP (kernel backlog) but never answers the header
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(ThroughputError, match=r"no linkready throughput listener answered within 0\.3 s"):
            asyncio.run(send("127.0.0.1", silent.getsockname()[1], 1.0, MIB, connect_timeout=0.3))


# ------------------------------------------------------------------ the real CLI, both sides


@contextmanager
def cli_listener(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "linkready", "throughput", "listen", "--bind", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Listening on 127.0.0.1:"), first + (process.stderr.read() if process.stderr else "")
        yield process, int(first.split("127.0.0.1:")[1].split()[0])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_cli_test_against_cli_listener_with_the_demo_plan() -> None:
    with cli_listener("--once", "--max-seconds", "60") as (listener, port):
        result = run_cli("throughput", "test", f"127.0.0.1:{port}", "--seconds", "1", "--max-mb", "50", "--json",
                         "--snapshot", str(DEMO))
        out, _ = listener.communicate(timeout=20)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["measured_by"] == "listener" and data["bytes"] <= 50 * MIB and data["gb_per_hour"] > 0
    key, _, value = data["config_line"].partition(" = ")
    assert key == "seeding_throughput_gb_per_hour" and float(value) == pytest.approx(data["gb_per_hour"], abs=0.06)
    assert [d["name"] for d in data["seeding"]["databases"]] == ["Membership", "Ticketing"]
    assert listener.returncode == 0 and "received" in out and "Done: 1 test(s) served." in out


def test_cli_text_output_names_the_line_to_paste() -> None:
    with cli_listener("--once") as (listener, port):
        result = run_cli("throughput", "test", f"127.0.0.1:{port}", "--seconds", "1", "--max-mb", "20")
        listener.communicate(timeout=20)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2] == "[network]" and lines[-1].startswith("seeding_throughput_gb_per_hour = ")
    assert "No seeding estimate: give --config or --snapshot" in result.stdout
    assert "GB/hour" in lines[1] and "as counted by the listener" in lines[1]


def test_cli_config_reads_the_planned_sizes_from_sql_server(tmp_path: Path) -> None:
    from tests.standins.tds.conftest import LOGIN, PASSWORD, require_freetds, serve
    from tests.standins.tds.scenarios import HEALTHY

    require_freetds()
    config = tmp_path / "target.toml"
    with serve(HEALTHY) as sql, cli_listener("--once") as (listener, port):
        config.write_text(f'''
[source]
server = "127.0.0.1,{sql.port}"
username = "{LOGIN}"
driver = "FreeTDS"
encrypt = false

[[link]]
name = "link-sales"
databases = ["Sales", "Missing"]
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "TCP://127.0.0.1:5022"
''', encoding="utf-8")
        result = run_cli("throughput", "test", f"127.0.0.1:{port}", "--seconds", "1", "--max-mb", "20",
                         "--config", str(config), env={"LINKREADY_SQL_PASSWORD": PASSWORD})
        listener.communicate(timeout=20)
    assert result.returncode == 0, result.stderr
    # Sales: 20 GB data + 4 GB log in the stand-in.
    assert "  Sales: 24.0 GB, " in result.stdout and "  Missing: not found on SQL Server" in result.stdout
    assert "All planned databases: 24.0 GB in " in result.stdout
    assert PASSWORD not in result.stdout + result.stderr


def test_cli_errors() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = run_cli("throughput", "test", f"127.0.0.1:{sock.getsockname()[1]}", "--seconds", "1")
    assert refused.returncode == 3 and refused.stdout == ""
    assert refused.stderr.strip().startswith("linkready: could not measure:") and len(refused.stderr.splitlines()) == 1
    bad = run_cli("throughput", "test", "no-port-here")
    assert bad.returncode == 2 and "not HOST:PORT" in bad.stderr
    both = run_cli("throughput", "test", "h:1", "--config", "a.toml", "--snapshot", "b.json")
    assert both.returncode == 2 and "not both" in both.stderr


def test_cli_listener_stops_by_itself() -> None:
    result = run_cli("throughput", "listen", "--bind", "127.0.0.1", "--port", "0", "--max-seconds", "0.5",
                     timeout=30)
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "Done: 0 test(s) served."


def test_listed_in_help() -> None:
    result = run_cli("--help")
    assert "throughput" in result.stdout and "bounded transfer test" in result.stdout
