"""Start-up cost of the CLI, as a margin over a bare interpreter measured in the same run.

    python benchmarks/startup.py [--runs N]

Targets (issue 20): `linkready checks` and every subcommand's `--help` add < 0.3 s over `python -c pass`.
Each command is a fresh process, imports and interpreter teardown included; samples interleave the
baseline with the commands so that a load spike hits both; one uncounted warm-up round writes the
bytecode as an installed package has it. The median of N runs is reported with the machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._load import load_line  # noqa: E402

TARGET = 0.3


def once(argv: list[str]) -> float:
    # An installed package has its bytecode compiled (pip does it); a shell with PYTHONDONTWRITEBYTECODE
    # would otherwise make every run recompile whatever changed, and time the compiler instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def subcommands() -> list[str]:
    from linkready.cli import LAZY_COMMANDS, cli

    return sorted({*cli.commands, *LAZY_COMMANDS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    cases = [("--help", ["--help"]), ("checks", ["checks", "--format", "json"])]
    cases += [(f"{name} --help", [name, "--help"]) for name in subcommands()]
    base: list[float] = []
    samples: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _, args in cases:  # warm-up, not counted: bytecode written, files in the page cache
        once([sys.executable, "-m", "linkready", *args])
    for _ in range(runs):
        for label, args in cases:
            base.append(once([sys.executable, "-c", "pass"]))
            samples[label].append(once([sys.executable, "-m", "linkready", *args]))
    baseline = statistics.median(base)
    print(f"{load_line()}; median of {runs} runs")
    print(f"baseline  python -c pass                 {baseline * 1000:7.1f} ms")
    worst = 0.0
    for label, _ in cases:
        seconds = statistics.median(samples[label])
        over = seconds - baseline
        worst = max(worst, over)
        verdict = "ok" if over < TARGET else f"over the +{TARGET} s target"
        print(f"linkready {label:<30} {seconds * 1000:7.1f} ms  +{over * 1000:6.1f} ms  "
              f"ratio {seconds / baseline:5.2f}x  ({verdict})")
    print(f"worst margin over python -c pass: +{worst * 1000:.0f} ms (goal < +{TARGET * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
