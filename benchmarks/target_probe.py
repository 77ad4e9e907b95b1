"""Target probe on a managed instance with many databases: bounded-parallel per-database reads vs one at a time.

Every database costs two GETs (short-term and long-term retention). Against the local ARM stand-in,
with each of those answers delayed by ``--delay`` seconds (Resource Manager's latency), the probe is
run with its default parallelism and with parallelism 1, in the same process; the ratio is printed.

    python benchmarks/target_probe.py [--databases 100] [--delay 0.02] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import linkready.probes.target as target_probe
from linkready.config import parse_config
from tests.standins.arm import StaticTokenCredential
from tests.standins.arm_target import target_stand_in


def add_databases(server: object, count: int) -> None:
    mi_id = server.variables["MI_ID"]  # type: ignore[attr-defined]
    resources = server.state.resources  # type: ignore[attr-defined]
    for n in range(count):
        db = f"{mi_id}/databases/bench{n:03d}"
        resources[db.lower()] = {"id": db, "name": f"bench{n:03d}", "type": "Microsoft.Sql/managedInstances/databases",
                                 "properties": {"status": "Online"}}
        resources[f"{db}/backupShortTermRetentionPolicies/default".lower()] = {
            "name": "default", "properties": {"retentionDays": 7}}
        resources[f"{db}/backupLongTermRetentionPolicies/default".lower()] = {
            "name": "default", "properties": {"weeklyRetention": "P4W", "monthlyRetention": "PT0S",
                                              "yearlyRetention": "PT0S", "weekOfYear": 0}}


def timed(server: object, parallel: int) -> float:
    target_probe._PARALLEL = parallel
    config = parse_config({
        "managed_instance": {"resource_id": server.variables["MI_ID"]},  # type: ignore[attr-defined]
        "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle},  # type: ignore[attr-defined]
    })
    started = time.perf_counter()
    outcome = target_probe.collect_target(config, StaticTokenCredential())
    elapsed = time.perf_counter() - started
    assert outcome.errors == (), outcome.errors
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    default = target_probe._PARALLEL
    with target_stand_in("finished") as server:
        add_databases(server, args.databases)
        server.add_fault(path=r"/backup(Short|Long)TermRetentionPolicies$", delay=args.delay)
        parallel = [timed(server, default) for _ in range(args.runs)]
        serial = [timed(server, 1) for _ in range(args.runs)]
    p, s = statistics.median(parallel), statistics.median(serial)
    print(f"target probe, {args.databases + 4} databases, {args.delay * 1000:g} ms per policy GET, median of {args.runs}")
    print(f"  parallel {default}: {p:.2f} s   one at a time: {s:.2f} s   ratio serial/parallel: {s / p:.1f}x")


if __name__ == "__main__":
    main()
