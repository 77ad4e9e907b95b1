"""Benchmark: a 1,000-port scan, most ports filtered, against ``nmap -sT`` in the same run.

Needs root (it creates two network namespaces joined by a veth pair, see tests/standins/netns/lab.py)
and nmap. The "managed instance" namespace drops 11000-11949 (filtered), resets 11950-11989
(refused) and listens on 11990-11999 (open). Both scanners run from the client namespace with
the same per-port timeout and one attempt per port, so each is measured on the same kernel,
the same rules and the same ports. Prints:

* probe-port (a process) / nmap -sT (a process), same per-port timeout, one attempt, full parallelism
  (goal <= 1.2), and whether both classify every port the same (compared port by port)
* full 1,000-port scan / a single filtered port's scan (target <= 1.3: everything concurrent)

Run:  python benchmarks/portscan.py [--timeout 1.0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._load import load_line  # noqa: E402
from linkready.domain.ports import format_ranges  # noqa: E402
from linkready.probes.tcp import scan_host  # noqa: E402
from tests.standins.netns.lab import SERVER_V4, NetnsLab, netns_supported  # noqa: E402

PORTS = list(range(11000, 12000))
DROPPED = range(11000, 11950)
RESET = range(11950, 11990)
LISTEN = range(11990, 12000)


def linkready_scan(lab: NetnsLab, ports: list[int], timeout: float) -> tuple[float, Counter[str]]:
    def run() -> tuple[float, Counter[str]]:
        started = time.perf_counter()
        result = asyncio.run(scan_host(SERVER_V4, ports, timeout=timeout))
        elapsed = time.perf_counter() - started
        return elapsed, Counter(r.state for r in result.ports)

    return lab.in_client(run)


def cli_scan(lab: NetnsLab, ports: list[int], timeout: float) -> tuple[float, dict[int, str]]:
    """``linkready probe-port`` as a process: includes interpreter start-up and teardown, like nmap's time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    argv = lab.client_cmd(
        sys.executable, "-m", "linkready", "probe-port", SERVER_V4, format_ranges(ports), "--timeout", str(timeout),
        "--concurrency", str(len(ports)), "--json",
    )
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return elapsed, {}
    return elapsed, {int(r["port"]): str(r["state"]) for r in data.get("ports", [])}


def _expand(ranges: str) -> list[int]:
    out: list[int] = []
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


#: nmap's names for the same classifications (nmap calls a reset "closed").
NMAP_STATE = {"open": "open", "closed": "refused", "filtered": "filtered"}


def nmap_scan(lab: NetnsLab, ports: list[int], timeout: float) -> tuple[float, dict[int, str]]:
    """nmap -sT with linkready's per-port timeout, one attempt per port, all ports in parallel."""
    argv = lab.client_cmd(
        "nmap",
        "-sT",  # TCP connect scan: the same system call linkready makes
        "-Pn",  # no host discovery: linkready does none either
        "-n",  # no reverse DNS
        "--max-retries", "0",  # one attempt per port, like linkready
        "--initial-rtt-timeout", f"{timeout}s",
        "--max-rtt-timeout", f"{timeout}s",
        "--min-rtt-timeout", f"{timeout}s",  # wait as long as linkready does for a filtered port
        "--min-parallelism", str(len(ports)),  # full parallelism, as probe-port --concurrency N
        "--max-parallelism", str(len(ports)),
        "-p", format_ranges(ports),
        "-oX", "-",
        SERVER_V4,
    )
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    states: dict[int, str] = {}
    root = ET.fromstring(proc.stdout)
    for port in root.iter("port"):
        state = port.find("state")
        if state is not None:
            states[int(port.get("portid", "0"))] = NMAP_STATE.get(state.get("state", "?"), state.get("state", "?"))
    for extra in root.iter("extraports"):
        name = NMAP_STATE.get(extra.get("state", "?"), extra.get("state", "?"))
        for reason in extra.iter("extrareasons"):  # nmap >= 7.80 names the collapsed ports
            for number in _expand(reason.get("ports", "")):
                states[number] = name
    return elapsed, states


def compare(ours: dict[int, str], theirs: dict[int, str], ports: list[int]) -> list[str]:
    """Ports classified differently (or missing on one side), as "port: linkready vs nmap"."""
    return [f"{p}: {ours.get(p, 'missing')} vs {theirs.get(p, 'missing')}" for p in ports
            if ours.get(p) != theirs.get(p)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1.0, help="per-port timeout in seconds (both tools)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median is used)")
    args = parser.parse_args()

    ok, reason = netns_supported()
    if not ok:
        print(f"portscan benchmark needs network namespaces: {reason}", file=sys.stderr)
        return 2
    if shutil.which("nmap") is None:
        print("portscan benchmark needs nmap (apt-get install nmap)", file=sys.stderr)
        return 2

    lab = NetnsLab(tag="bench")
    try:
        lab.create()
        lab.set_rules(drop=DROPPED, reset=RESET)
        with lab.listening(LISTEN):
            single, ours, theirs, cli = [], [], [], []
            ours_states: Counter[str] = Counter()
            nmap_ports: dict[int, str] = {}
            cli_ports: dict[int, str] = {}
            for _ in range(args.repeat):
                single.append(linkready_scan(lab, [DROPPED[0]], args.timeout)[0])
                elapsed, ours_states = linkready_scan(lab, PORTS, args.timeout)
                ours.append(elapsed)
                elapsed, nmap_ports = nmap_scan(lab, PORTS, args.timeout)
                theirs.append(elapsed)
                elapsed, cli_ports = cli_scan(lab, PORTS, args.timeout)
                cli.append(elapsed)
    finally:
        lab.destroy()

    t_single, t_ours, t_nmap, t_cli = (statistics.median(v) for v in (single, ours, theirs, cli))
    differ = compare(cli_ports, nmap_ports, PORTS)
    print(f"{load_line()}")
    print(f"ports: {len(PORTS)} ({len(DROPPED)} dropped, {len(RESET)} reset, {len(LISTEN)} listening)")
    print(f"per-port timeout: {args.timeout:g} s, runs: {args.repeat} (medians)")
    print(f"linkready states: {dict(sorted(ours_states.items()))}")
    print(f"nmap states:      {dict(sorted(Counter(nmap_ports.values()).items()))}")
    print(f"classification port by port (probe-port --json vs nmap -oX): "
          f"{'identical' if not differ else f'{len(differ)} differ: ' + ', '.join(differ[:10])}")
    print(f"single filtered port (linkready): {t_single:.3f} s")
    print(f"linkready full scan (in-process): {t_ours:.3f} s")
    print(f"nmap -sT full scan (process):     {t_nmap:.3f} s")
    print(f"linkready probe-port (process):   {t_cli:.3f} s")
    print(f"ratio probe-port process / nmap:  {t_cli / t_nmap:.2f}  (goal <= 1.2, both processes)")
    print(f"ratio in-process scan / nmap:     {t_ours / t_nmap:.2f}")
    print(f"ratio full scan / single port:    {t_ours / t_single:.2f}  (target <= 1.3)")
    return 0 if not differ else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
