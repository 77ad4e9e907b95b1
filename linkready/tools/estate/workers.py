"""Live estates in worker processes: forked after the imports, each with its own pool of collecting threads.

Collecting a live target is mostly waiting (SQL round trips, HTTPS, connects), but each target also
spends CPU on the Azure SDK, evaluating its findings and rendering its files. In one interpreter all
of that takes turns on one lock, so fifty targets finish well after the slowest one would alone.
Here the estate is shared by up to one process per core; each runs ``concurrency / processes``
threads that take the next target from one shared counter, so the estate's concurrency bound and
its order of starting are those of the thread pool.

The processes are *forked* after the parent has loaded what every target shares (the engine, the
checks, the compiled templates: :func:`linkready.tools.estate.runner.warm_up`), so a worker starts in
milliseconds; each imports the probes' SDKs itself, overlapping its targets' network waits. Each process has its own socket budget (``linkready.probes.tcp.SOCKETS``), sized from
its own descriptor limit, which the kernel counts per process. A worker never prompts (stdin is
closed), ends when its parent goes away, and a worker that dies makes the targets it was running
unknown ("worker failed") while the others finish them; the parent keeps the estate's order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from linkready.tools.estate.file import EstateTarget
from linkready.tools.estate.outcomes import TargetOutcome

#: Runs one target (``linkready.tools.estate.runner.run_target`` with the run's options bound).
TargetRunner = Callable[[EstateTarget], TargetOutcome]
#: Seconds between a worker's checks that its parent is still there.
_PARENT_POLL = 0.5


def fork_available() -> bool:
    """Whether worker processes can be forked here (POSIX; not Windows or macOS' spawn-only builds)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _watch_parent(parent: int) -> None:
    # An orphaned worker (the parent was killed, or ended by --deadline's os._exit) stops at once
    # instead of probing on for its targets' timeouts.
    while True:
        time.sleep(_PARENT_POLL)
        if os.getppid() != parent:
            os._exit(3)


def _worker(targets: Sequence[EstateTarget], run: TargetRunner, threads: int, counter: Any,
            send: Connection, parent: int) -> None:
    """One worker process: ``threads`` threads take target indices from the shared counter."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="estate-parent").start()
    lock = threading.Lock()

    def post(message: tuple[str, int, TargetOutcome | None]) -> None:
        with lock:
            send.send(message)

    def loop() -> None:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value += 1
            if index >= len(targets):
                return
            post(("start", index, None))
            post(("done", index, run(targets[index])))

    pool = [threading.Thread(target=loop, name=f"estate-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    send.close()
    # Every outcome is sent: end now. A normal exit would wait for every non-daemon thread, and a
    # read abandoned at its deadline (an SDK or resolver thread) would hold the worker, and the
    # estate, for that read's own timeout (the CLI's exit guard ends the process the same way).
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(0)


def run_in_workers(
    targets: Sequence[EstateTarget],
    run: TargetRunner,
    *,
    processes: int,
    concurrency: int,
    on_outcome: Callable[[int, TargetOutcome], None],
    failed: Callable[[EstateTarget, str], TargetOutcome],
) -> None:
    """Run every target in ``processes`` forked workers; ``on_outcome(index, outcome)`` as each ends.

    ``failed(target, reason)`` makes the outcome of a target whose worker died before reporting it.
    """
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    # Spread the threads over the processes; together they never exceed the estate's concurrency.
    shares = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    workers: dict[Connection, tuple[Any, set[int]]] = {}
    for threads in (s for s in shares if s > 0):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(targets, run, threads, counter, send, os.getpid()),
                                  daemon=True, name="linkready-estate")
        process.start()
        send.close()  # the parent's copy: the pipe reports end-of-file when the worker's end closes
        workers[receive] = (process, set())
    reported: set[int] = set()
    try:
        while workers:
            for ready in wait(list(workers)):
                assert isinstance(ready, Connection)
                process, running = workers[ready]
                try:
                    kind, index, outcome = ready.recv()
                except (EOFError, OSError):
                    process.join()
                    for index in sorted(running):
                        on_outcome(index, failed(targets[index], f"worker failed: exit code {process.exitcode}"))
                        reported.add(index)
                    del workers[ready]
                    continue
                if kind == "start":
                    running.add(index)
                elif outcome is not None:
                    running.discard(index)
                    reported.add(index)
                    on_outcome(index, outcome)
    finally:
        for process, _ in workers.values():
            with contextlib.suppress(Exception):
                process.kill()
    # Targets no worker took (every worker died first) are unknown too, never silently missing.
    for index in range(len(targets)):
        if index not in reported:
            on_outcome(index, failed(targets[index], "worker failed before the target started"))
