"""Every issue-20 goal once, in one run, as one table: goal, measured, met? — with the machine load.

    python benchmarks/run_all.py [--quick] [--only NAME ...]

Each benchmark runs as its own process (so imports and teardown count as a user pays them) and its
own same-run baseline; this script only picks the figure each prints and compares it with the goal.
The machine is shared: rerun on a quiet machine before reading a miss as a regression. ``--quick``
uses fewer repetitions and the small estate (200 targets only).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._load import load_line  # noqa: E402


@dataclass(frozen=True)
class Goal:
    name: str
    goal: str
    argv: tuple[str, ...]
    #: Picks the measured figure from the benchmark's output (group 1, a number).
    pattern: str
    #: True when the figure meets the goal.
    met: tuple[str, float]  # ("<=", 1.2): the figure must be at most 1.2
    unit: str = ""
    quick_argv: tuple[str, ...] | None = None
    #: A same-run comparison shown beside the figure (group 1, a number), e.g. a ratio to a baseline.
    beside: tuple[str, str] | None = None  # (label, pattern)


GOALS = (
    Goal("cold check", "check (CLI, cold) <= 1.2 x slowest probe alone cold",
         ("preflight.py", "--cold", "--repeat", "3"), r"ratio cold check / slowest cold probe \(\w+\) = ([\d.]+)",
         ("<=", 1.2), "x", ("preflight.py", "--cold", "--repeat", "1")),
    Goal("port scan", "1,000-port probe-port <= 1.2 x nmap -sT (same timeout)",
         ("portscan.py",), r"ratio probe-port process / nmap:\s+([\d.]+)", ("<=", 1.2), "x"),
    Goal("estate 200", "evaluate --estate, 200 snapshots < 5 s", ("estate.py", "--targets", "200", "--runs", "3"),
         r"estate run, median of \d+\s+([\d.]+) s", ("<", 5), " s", ("estate.py", "--targets", "200", "--runs", "1")),
    Goal("estate 1000", "evaluate --estate, 1,000 snapshots < 20 s", ("estate.py", "--targets", "1000", "--runs", "1"),
         r"estate run, median of \d+\s+([\d.]+) s", ("<", 20), " s"),
    Goal("live estate", "live estate of 50 <= 1.5 x slowest target alone", ("estate_live.py",),
         r"ratio estate / slowest alone\s+([\d.]+)", ("<=", 1.5), "x"),
    Goal("startup", "checks and every --help < +300 ms over python -c pass", ("startup.py",),
         r"worst margin over python -c pass: \+(\d+) ms", ("<", 300), " ms"),
    Goal("html render", "HTML of 10,000 findings renders < 1 s", ("html_render.py", "--runs", "3", "--browser"),
         r"html      render\s+([\d.]+) ms", ("<", 1000), " ms", ("html_render.py", "--runs", "1", "--browser")),
    Goal("html first paint", "first paint in Chromium < 1.5 s", ("html_render.py", "--runs", "1", "--browser"),
         r"first paint\s+([\d.]+) ms", ("<", 1500), " ms"),
    Goal("html long tasks", "longest task at load < 200 ms", ("html_render.py", "--runs", "1", "--browser"),
         r"longest (\d+) ms", ("<", 200), " ms"),
    Goal("demo pdf", "demo PDF (linkready demo --format pdf) < 2 s", ("pdf_render.py", "--runs", "5"),
         r"demo PDF, linkready demo --format pdf\s+([\d.]+) s", ("<", 2), " s", ("pdf_render.py", "--runs", "2"),
         beside=("x an empty page printed by the same engine", r"ratio demo PDF / empty page\s+([\d.]+)")),
    Goal("nothing reachable", "check against silent endpoints <= 1.5 x its own timeouts", ("unreachable.py",),
         r"ratio run / own-timeout bound = ([\d.]+)", ("<=", 1.5), "x"),
)


def run(argv: tuple[str, ...], cache: dict[tuple[str, ...], str]) -> str:
    if argv not in cache:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / argv[0]), *argv[1:]], capture_output=True,
                              text=True, cwd=ROOT, timeout=1800)
        cache[argv] = done.stdout + done.stderr
    return cache[argv]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="goal names (first word is enough)")
    args = parser.parse_args()
    cache: dict[tuple[str, ...], str] = {}
    rows = []
    for goal in GOALS:
        if args.only and not any(goal.name.startswith(o) for o in args.only):
            continue
        if args.quick and goal.name == "estate 1000":
            continue
        argv = goal.quick_argv if args.quick and goal.quick_argv else goal.argv
        started = time.perf_counter()
        output = run(argv, cache)
        match = re.search(goal.pattern, output)
        load = load_line()
        if match is None:
            tail = output.strip().splitlines()[-1:] or ["no output"]
            rows.append((goal.name, goal.goal, "not measured", "?", f"{tail[0][:60]}"))
            continue
        value = float(match.group(1))
        op, limit = goal.met
        met = value <= limit if op == "<=" else value < limit
        beside = re.search(goal.beside[1], output) if goal.beside else None
        extra = f"{beside.group(1)} {goal.beside[0]}; " if beside and goal.beside else ""
        rows.append((goal.name, goal.goal, f"{value:g}{goal.unit}", "met" if met else "NOT met",
                     f"{extra}{time.perf_counter() - started:.0f} s; {load}"))
        print(f"  {goal.name}: {value:g}{goal.unit} ({'met' if met else 'NOT met'})", file=sys.stderr)
    width = max(len(r[1]) for r in rows) if rows else 10
    print(f"{'goal':<{width}}  {'measured':>12}  {'':7}  notes")
    for _name, text, measured, verdict, note in rows:
        print(f"{text:<{width}}  {measured:>12}  {verdict:7}  {note}")
    print(load_line())


if __name__ == "__main__":
    main()
