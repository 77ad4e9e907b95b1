"""Full preflight wall time as a ratio to its slowest single probe (DESIGN §4: ≤ 1.2), in one run.

    python benchmarks/preflight.py [--arm-latency 0.1] [--sql-latency 0.05] [--dns-latency 0.05]
                                   [--token-latency 0.2] [--repeat 3]

Starts the end-to-end estate (tests/e2e/estate.py: TDS, Entra ID, ARM and DNS stand-ins, loopback
listeners at the MI's and the SQL Server's addresses) with added latency: every ARM answer
``--arm-latency`` late (the stand-in's slow mode), every SQL statement ``--sql-latency`` late (a
TDS responder delay), every DNS answer ``--dns-latency`` late, the token ``--token-latency`` late.
Then, in this one process and through the engine the CLI uses (``linkready.engine.collect``, real
pyodbc + FreeTDS, real EnvironmentCredential + azure-mgmt, real dnspython and sockets), it times
each probe alone and the full preflight (all probes at once), ``--repeat`` times each after a
warm-up, and prints the medians and the ratio full / slowest probe.

The network probe asks the system resolver too, so the script re-runs itself in a private mount
namespace whose /etc/resolv.conf names only the DNS test server (root, ``unshare``): nothing
leaves the machine.

Measured on the 2-core development machine (medians of 3; two runs of the defaults, then
``--arm-latency 0.3 --sql-latency 0.02``):

    python benchmarks/preflight.py
    probe sql      alone  1.04 s | 1.03 s
    probe azure    alone  1.02 s | 1.01 s
    probe network  alone  0.47 s | 0.39 s
    probe target   alone  1.44 s | 1.42 s
    full preflight        1.47 s | 1.45 s
    ratio full / slowest probe (target) = 1.02 | 1.02   (DESIGN §4: ≤ 1.2)

    python benchmarks/preflight.py --arm-latency 0.3 --sql-latency 0.02
    probe sql 0.43 s, azure 2.01 s, network 0.37 s, target 3.01 s; full 3.04 s
    ratio full / slowest probe (target) = 1.01

The one dependency between probes: the network probe resolves the partner endpoint's host name
through the MI VNet's custom DNS servers, which the Azure probe reads. The network probe
now asks the system resolver for that name while the Azure probe runs and only the VNet servers'
lookups wait; when it waited for Azure first (before the target probe existed), the full run took
1.13-1.21 s for the defaults, ratio 1.10-1.17 (then vs sql 1.03 s, azure 1.00 s): one DNS round
trip (A and AAAA, 2 x 50 ms) after the Azure probe. With it: ratio 1.00-1.03.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._load import load_line  # noqa: E402
from linkready.config import Config, load_config  # noqa: E402
from linkready.engine import collect  # noqa: E402
from linkready.probes import PROBES, ProbeSpec, Secrets  # noqa: E402
from tests.e2e.estate import DNS_ADDRESS, SQL_PASSWORD, Estate, sealed, sealing_available  # noqa: E402

_SEALED = "LINKREADY_BENCH_SEALED"
#: Child mode of the cold variant: run one probe through the engine in a fresh interpreter, then exit.
_ONE = "--cold-probe"


def cold_one(name: str, config_path: str) -> None:
    """A fresh interpreter that imports what the CLI imports for one probe, runs it, and exits normally."""
    secrets = Secrets(sql_password=SQL_PASSWORD)
    spec = next(s for s in PROBES if s.name == name)
    collect(load_config(Path(config_path)), secrets, probes=[spec])


def cold_env(estate: Estate) -> dict[str, str]:
    # An installed package has compiled bytecode: do not time the compiler for the shell's sake.
    return {k: v for k, v in estate.env().items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_process(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of a process: interpreter start, imports, the work, flushing and teardown."""
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    assert proc.returncode in (0, 1), f"{argv[2:5]}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return seconds


def reexec_sealed() -> None:
    """Run this script again with a private /etc/resolv.conf naming the DNS test server."""
    available, why = sealing_available()
    if not available:
        sys.exit(f"benchmarks/preflight.py: cannot seal the run: {why}")
    resolv = Path(tempfile.gettempdir()) / "linkready-bench-resolv.conf"
    resolv.write_text(f"nameserver {DNS_ADDRESS}\noptions timeout:1 attempts:1\n", encoding="utf-8")
    command = sealed([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], resolv)
    os.execvpe(command[0], command, {**os.environ, _SEALED: "1"})


def timed(config: Config, secrets: Secrets, probes: list[ProbeSpec],
          finished: dict[str, list[float]] | None = None) -> float:
    """Wall time of one collect; ``finished`` gets each probe's own time within it."""

    def on_event(name: str, state: str, seconds: float, detail: str) -> None:
        if state != "start" and finished is not None:
            finished.setdefault(name, []).append(seconds)

    started = time.perf_counter()
    snapshot = collect(config, secrets, probes=probes, on_event=on_event)
    seconds = time.perf_counter() - started
    errors = [f"{e.fact}: {e.reason}" for e in snapshot.facts.errors]
    assert not errors, f"the benchmark estate must be healthy: {errors}"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arm-latency", type=float, default=0.1, help="seconds added to every ARM answer")
    parser.add_argument("--sql-latency", type=float, default=0.05, help="seconds added to every SQL statement")
    parser.add_argument("--dns-latency", type=float, default=0.05, help="seconds added to every DNS answer")
    parser.add_argument("--token-latency", type=float, default=0.2, help="seconds added to the token request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold", action="store_true",
                        help="also time `linkready check` as a process against each probe alone as a process")
    parser.add_argument(_ONE, nargs=2, metavar=("PROBE", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_probe:
        cold_one(*args.cold_probe)
        return
    if os.environ.get(_SEALED) != "1":
        reexec_sealed()

    with Estate(tds_delay=args.sql_latency, dns_delay=args.dns_latency) as estate:
        estate.arm.add_fault(path=".", delay=args.arm_latency)
        estate.entra.token_delay = args.token_latency
        os.environ.update(estate.entra.env())
        config = load_config(estate.config("bench.toml"))
        secrets = Secrets(sql_password=SQL_PASSWORD)
        everything = list(PROBES)
        timed(config, secrets, everything)  # warm-up: imports, driver load, TLS
        alone: dict[str, list[float]] = {spec.name: [] for spec in everything}
        full: list[float] = []
        within: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for spec in everything:
                alone[spec.name].append(timed(config, secrets, [spec]))
            full.append(timed(config, secrets, everything, within))
        cold_alone: dict[str, list[float]] = {spec.name: [] for spec in everything}
        cold_full: list[float] = []
        if args.cold:
            config_path = estate.config("bench-cold.toml")
            env = cold_env(estate)
            out = Path(tempfile.mkdtemp(prefix="linkready-bench-"))
            check = [sys.executable, "-m", "linkready", "check", "--config", str(config_path), "--format", "json",
                     "--output", str(out), "--quiet"]
            timed_process(check, env)  # warm-up: bytecode, page cache
            for _ in range(args.repeat):
                for spec in everything:
                    cold_alone[spec.name].append(
                        timed_process([sys.executable, str(Path(__file__).resolve()), _ONE, spec.name,
                                       str(config_path)], env))
                cold_full.append(timed_process(check, env))

    medians = {name: statistics.median(times) for name, times in alone.items()}
    slowest = max(medians, key=lambda name: medians[name])
    wall = statistics.median(full)
    print(f"latency: ARM {args.arm_latency * 1000:.0f} ms/request, SQL {args.sql_latency * 1000:.0f} ms/statement, "
          f"DNS {args.dns_latency * 1000:.0f} ms/answer, token {args.token_latency * 1000:.0f} ms; "
          f"medians of {args.repeat}")
    for name, seconds in medians.items():
        print(f"probe {name:<8} alone  {seconds:.2f} s")
    print(f"full preflight        {wall:.2f} s   ({' + '.join(medians)} at once; within it: "
          + ", ".join(f"{name} {statistics.median(times):.2f} s" for name, times in within.items()) + ")")
    print(f"ratio full / slowest probe ({slowest}) = {wall / medians[slowest]:.2f}   (DESIGN §4: ≤ 1.2)")
    if cold_full:
        cold = {name: statistics.median(times) for name, times in cold_alone.items()}
        cold_slowest = max(cold, key=lambda name: cold[name])
        cold_wall = statistics.median(cold_full)
        print("cold (each a fresh process: interpreter, imports, work, teardown):")
        for name, seconds in cold.items():
            print(f"probe {name:<8} alone  {seconds:.2f} s")
        print(f"linkready check       {cold_wall:.2f} s")
        print(f"ratio cold check / slowest cold probe ({cold_slowest}) = {cold_wall / cold[cold_slowest]:.2f}"
              "   (issue 20: ≤ 1.2)")
    print(load_line())


if __name__ == "__main__":
    main()
