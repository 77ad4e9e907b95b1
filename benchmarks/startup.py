"""Start-up cost of the CLI, as a ratio to a bare interpreter measured in the same run.

    python benchmarks/startup.py [--runs N]

Targets (DESIGN.md §4): `linkready --help` and `linkready checks` in < 0.3 s; the ratio shows
how much linkready adds on top of Python itself on this machine.
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


def timed(argv: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    baseline = timed([sys.executable, "-c", "pass"], runs)
    print(f"baseline  python -c pass            {baseline * 1000:7.1f} ms")
    for label, args in (("--help", ["--help"]), ("checks", ["checks", "--format", "json"])):
        seconds = timed([sys.executable, "-m", "linkready", *args], runs)
        verdict = "ok" if seconds < 0.3 else "over the 0.3 s target"
        print(f"linkready {label:<24}  {seconds * 1000:7.1f} ms  ratio {seconds / baseline:5.2f}x  ({verdict})")


if __name__ == "__main__":
    main()
