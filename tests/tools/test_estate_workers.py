"""Live estates in forked worker processes: same outcomes as threads, dead workers, orphaned workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from linkready.reports.estate import warm_up, write_target_files

from linkready.model import Verdict
from linkready.tools.estate import EstateTarget, RunOptions, TargetOutcome, choose_executor, load_estate, run_estate
from linkready.tools.estate.workers import fork_available, run_in_workers
from tests.conftest import ROOT
from tests.tools.test_estate import NOW, mixed  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(not fork_available() or (os.cpu_count() or 1) < 2,
                                reason="worker processes need fork and two cores")


def test_live_estate_in_workers_gives_the_threads_outcomes(mixed: Path, tmp_path: Path) -> None:  # noqa: F811
    estate = replace(load_estate(mixed), concurrency=4)
    options = RunOptions(writer=write_target_files, output=tmp_path / "w", live=True, now=NOW, warm=warm_up)
    assert choose_executor(estate, options) == "workers"
    workers = run_estate(estate, options)
    threads = run_estate(estate, replace(options, output=tmp_path / "t"), executor="thread")
    processes = min(4, os.cpu_count() or 1)
    assert workers.executor == f"{processes} worker processes, 4 threads" and threads.executor == "thread pool of 4"
    strip = [(o.name, o.verdict, o.reason, o.findings, o.files) for o in threads.outcomes]
    assert strip == [(o.name, o.verdict, o.reason, o.findings, o.files) for o in workers.outcomes]
    live = next(o for o in workers.outcomes if o.name == "live-08")
    assert live.verdict is Verdict.READY and live.mode == "live"
    assert (tmp_path / "w" / live.files[0]).is_file()


def test_few_or_serial_live_targets_stay_on_threads(mixed: Path, tmp_path: Path) -> None:  # noqa: F811
    options = RunOptions(output=tmp_path, live=True)
    estate = load_estate(mixed)
    assert choose_executor(replace(estate, concurrency=1), options) == "thread"
    assert choose_executor(replace(estate, concurrency=3), options) == "thread"
    assert choose_executor(replace(estate, targets=estate.targets[:4], concurrency=8), options) == "thread"
    assert choose_executor(replace(estate, concurrency=8), replace(options, live=False)) == "thread"  # 8 < 16


def _outcome(target: EstateTarget) -> TargetOutcome:
    if target.name == "dies":
        os._exit(9)  # the worker process ends here, as a crashed driver would take it down
    return TargetOutcome(name=target.name, slug=target.slug, source="", mode="live", verdict=Verdict.READY)


def test_a_worker_that_dies_makes_only_its_target_unknown() -> None:
    targets = [EstateTarget(name=n, slug=n) for n in ("a", "b", "dies", "c", "d", "e")]
    seen: list[tuple[int, TargetOutcome]] = []
    run_in_workers(
        targets, _outcome, processes=2, concurrency=2, on_outcome=lambda i, o: seen.append((i, o)),
        failed=lambda t, reason: TargetOutcome(t.name, t.slug, "", "live", Verdict.UNKNOWN, reason=reason),
    )
    assert sorted(i for i, _ in seen) == list(range(len(targets)))  # each exactly once
    by_name = {o.name: o for _, o in seen}
    assert by_name["dies"].verdict is Verdict.UNKNOWN
    assert by_name["dies"].reason == "worker failed: exit code 9"
    # The other worker took every target the dead one did not reach.
    assert all(o.verdict is Verdict.READY for name, o in by_name.items() if name != "dies")


ORPHAN = """
import os, sys, time
from pathlib import Path
from linkready.model import Verdict
from linkready.tools.estate import EstateTarget, TargetOutcome
from linkready.tools.estate.workers import run_in_workers

folder = Path(sys.argv[1])

def run(target):
    (folder / f"{os.getpid()}.pid").write_text(target.name)
    time.sleep(120)
    return TargetOutcome(target.name, target.slug, "", "live", Verdict.READY)

run_in_workers([EstateTarget(name=n, slug=n) for n in "ab"], run, processes=2, concurrency=2,
               on_outcome=lambda i, o: None, failed=lambda t, r: None)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by init) is gone for our purposes.
    status = Path(f"/proc/{pid}/stat")
    return status.is_file() and status.read_text().split(") ")[-1][:1] != "Z"


def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN, str(tmp_path)], env=env, stdin=subprocess.DEVNULL)
    try:
        for _ in range(600):  # both workers have started their target
            if len(list(tmp_path.glob("*.pid"))) == 2:
                break
            time.sleep(0.05)
        pids = [int(p.stem) for p in tmp_path.glob("*.pid")]
        assert len(pids) == 2
        parent.send_signal(signal.SIGKILL)  # no cleanup at all, like --deadline's os._exit
        parent.wait()
        for _ in range(200):  # far less than the targets' 120 s
            if not any(_alive(pid) for pid in pids):
                break
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in pids)
    finally:
        parent.kill()
        for pid in (int(p.stem) for p in tmp_path.glob("*.pid")):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
