"""Azure side: probe concurrency and NSG range evaluation, as ratios measured in one run.

    python benchmarks/azure_side.py [--latency 0.1]

1. The Azure probe against the local ARM stand-in with every answer delayed by ``--latency``
   seconds (a stand-in for ARM round trips): its wall time as a ratio to the sum of the delays
   of the requests it made (what a one-request-at-a-time probe would wait).
2. The NSG evaluator over TCP 11000-11999 from a /24 to a /24: segment evaluation as a ratio to
   deciding every (source address, port) pair one by one with the same first-match function.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkready.config import parse_config  # noqa: E402
from linkready.domain.netrules import Context, Flow, decide, default_rules, evaluate  # noqa: E402
from linkready.probes.azure import collect_azure  # noqa: E402
from tests.builders.azure_facts import MI_NSG_RULES  # noqa: E402
from tests.standins.arm import ArmStandIn, StaticTokenCredential  # noqa: E402


def probe_ratio(latency: float) -> None:
    with ArmStandIn() as server:
        v = server.variables
        config = parse_config({
            "managed_instance": {"resource_id": v["MI_ID"]},
            "azure": {"arm_endpoint": server.url, "verify_tls": server.ca_bundle, "retries": 0},
            "source": {"server": "10.10.2.4", "address": "10.10.2.4"},
        })
        collect_azure(config, StaticTokenCredential())  # warm up TLS and imports
        server.load("healthy")
        server.add_fault(path=".", delay=latency)
        started = time.perf_counter()
        outcome = collect_azure(config, StaticTokenCredential())
        wall = time.perf_counter() - started
        serial = len(server.requests) * latency
    assert not outcome.errors
    print(f"azure probe: {len(server.requests)} GETs, {latency * 1000:.0f} ms each: wall {wall:.2f} s, "
          f"one at a time {serial:.2f} s, ratio {wall / serial:.2f}")


def nsg_ratio() -> None:
    rules = [*MI_NSG_RULES, *default_rules()]
    ctx = Context(("10.20.0.0/16", "10.10.0.0/16"))
    started = time.perf_counter()
    spans = evaluate(rules, "Inbound", "tcp", ["10.10.2.0/24"], ["10.20.1.4"], [(11000, 11999)], ctx)
    segmented = time.perf_counter() - started
    started = time.perf_counter()
    for ip in ipaddress.ip_network("10.10.2.0/24"):
        for port in range(11000, 12000):
            decide(rules, "Inbound", Flow("tcp", str(ip), "10.20.1.4", port), ctx)
    brute = time.perf_counter() - started
    print(f"nsg-eval 256 sources x 1000 ports: segments {segmented * 1000:.1f} ms ({len(spans)} span), "
          f"one by one {brute:.2f} s, ratio {segmented / brute:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    probe_ratio(args.latency)
    nsg_ratio()


if __name__ == "__main__":
    main()
