"""Estate mode: N targets evaluated from snapshots, against one target's cost measured in the same run.

    python benchmarks/estate.py [--targets 200] [--runs 3] [--executor auto|thread|process]

The snapshots are variants of the bundled demo snapshot (different server names, databases and a
few broken facts, so verdicts differ). Prints the whole estate run (evaluate + write every
per-target JSON/JUnit/HTML file + the estate files), the serial estimate (one target × N), and
both ratios. Target (issue #8): 200 targets in under 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linkready.reports.estate import write_estate, write_target_files  # noqa: E402

from linkready.facts.plan import PlannedLink  # noqa: E402
from linkready.snapshot import dumps, loads  # noqa: E402
from linkready.tools.estate import Estate, EstateTarget, RunOptions, run_estate, run_target  # noqa: E402


def make_snapshots(folder: Path, count: int) -> list[Path]:
    """``count`` demo variants: a different server and database per target, some plans broken."""
    text = resources.files("linkready.data").joinpath("demo_snapshot.json").read_text("utf-8")
    demo = loads(text, "demo")
    paths = []
    for index in range(count):
        plan = demo.facts.plan
        links = tuple(
            replace(link, name=f"{link.name}-{index}", instance_ag_name=f"{link.instance_ag_name}_{index}",
                    partner_ag_name=f"{link.partner_ag_name}_{index}")
            for link in plan.links
        )
        if index % 7 == 3:  # a broken plan: the estate has blockers to rank
            links = (PlannedLink("bad", ("master",), "AG_X", "AG_X", "TCP://localhost:5022"), *links)
        facts = replace(demo.facts, plan=replace(plan, links=links, source_server=f"sql{index:03d}.museum.local"))
        path = folder / f"target-{index:03d}.json"
        path.write_text(dumps(replace(demo, facts=facts)), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--executor", choices=("auto", "thread", "process"), default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "snapshots").mkdir()
        paths = make_snapshots(folder / "snapshots", args.targets)
        targets = tuple(EstateTarget(name=p.stem, slug=p.stem, snapshot=p) for p in paths)
        estate = Estate(name="benchmark", path=folder / "estate.toml", targets=targets)

        # One target, warm (imports and template compilation are paid once per process, not per target).
        one_options = RunOptions(writer=write_target_files, output=folder / "one")
        run_target(targets[0], one_options)
        singles = []
        for _ in range(max(5, args.runs)):
            start = time.perf_counter()
            run_target(targets[1], one_options)
            singles.append(time.perf_counter() - start)
        one = statistics.median(singles)

        totals = []
        report = None
        for run in range(args.runs):
            start = time.perf_counter()
            options = RunOptions(writer=write_target_files, output=folder / f"out{run}")
            report = run_estate(estate, options, executor=args.executor)
            write_estate(report, folder / f"out{run}")
            totals.append(time.perf_counter() - start)
        total = statistics.median(totals)
        assert report is not None
        serial = one * args.targets
        tally = {verdict.value: count for verdict, count in report.tally.items()}
        verdict = "ok" if total < 5 else "over the 5 s target"
        print(f"targets                       {args.targets}  ({report.executor}; verdicts {tally})")
        print(f"one target (load+evaluate+write 3 files)   {one * 1000:8.1f} ms")
        print(f"serial estimate (one x {args.targets})           {serial:8.2f} s")
        print(f"estate run, median of {args.runs}              {total:8.2f} s  ({verdict})")
        print(f"ratio estate / serial estimate            {total / serial:8.2f}")
        print(f"ratio estate / one target                 {total / one:8.1f}x")


if __name__ == "__main__":
    main()
