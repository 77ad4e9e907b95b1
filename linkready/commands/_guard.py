"""The process edge: every way a command can end becomes an exit code and at most one stderr line.

click's standalone mode turns a closed stdout pipe into exit 1 and lets any other exception print
a traceback and exit 1, the code for "not ready". A gate must tell a crash from a verdict, so the
command runs outside standalone mode and this module maps each ending itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from linkready.commands._common import EXIT_INTERNAL, EXIT_USAGE, StdoutClosed, silence_stdout
from linkready.redact import redact

if TYPE_CHECKING:
    from linkready.config import Config

EXIT_INTERRUPTED = 130
EXIT_COULD_NOT_EVALUATE = 3
#: Set by :func:`skip_teardown`: the command's output is all there is, so the process ends at once.
_teardown_skipped = False


def skip_teardown() -> None:
    """End the process right after the command's output is flushed, without the interpreter's teardown.

    For short commands whose whole run is measured against a native tool (``probe-port`` against
    ``nmap``): freeing every module and object of an interpreter that is about to exit costs about
    as much as importing the report model did. Only :func:`run` (the real process) acts on it.
    """
    global _teardown_skipped
    _teardown_skipped = True


def crash_log_dir() -> Path:
    """Where crash details go: $LINKREADY_LOG_DIR, else a linkready folder in the temp dir."""
    import tempfile  # only on a crash: every command imports this module at start-up

    return Path(os.environ.get("LINKREADY_LOG_DIR") or Path(tempfile.gettempdir()) / "linkready")


def write_crash_log(exc: BaseException) -> Path | None:
    """The traceback (secrets redacted) in a log file; None if even that cannot be written."""
    import datetime as dt
    import traceback

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = redact("".join(traceback.format_exception(exc)))
    directory = crash_log_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"crash-{stamp}-{os.getpid()}.log"
        path.write_text(f"linkready {_version()} {' '.join(sys.argv[1:2])}\n{text}", encoding="utf-8")
    except OSError:
        return None
    return path


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("linkready")
    except Exception:  # the version is decoration in a crash log
        return "(unknown version)"


def internal_error_line(exc: BaseException, log: Path | None) -> str:
    summary = redact(f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__)
    where = f"details in {log}" if log else "no log could be written"
    return f"linkready: internal error: {summary[:200]} — please report, {where}"


def _echo_err(line: str) -> None:
    with contextlib.suppress(OSError):
        click.echo(line, err=True)


def run(command: click.Command, **kwargs: Any) -> None:
    """Run ``command`` and exit with its code: 0-3 as it decides, 2 for usage, 4 for a crash."""
    code: int
    try:
        result = command.main(standalone_mode=False, **kwargs)
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
        if not isinstance(exc.code, int) and exc.code is not None:
            _echo_err(f"linkready: error: {exc.code}")
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        # Usage errors and bad parameters; every one of them is a usage error for the gate.
        # One line like every other usage error (click's own is a three-line block), with the hint.
        message = " ".join(exc.format_message().split())
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see `{exc.ctx.command_path} --help`)"
        _echo_err(f"linkready: error: {message}{hint}")
        code = EXIT_USAGE
    except click.Abort:
        _echo_err("linkready: aborted")
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _echo_err("linkready: interrupted")
        code = EXIT_INTERRUPTED
    except (BrokenPipeError, StdoutClosed):
        # The reader of stdout left (`| head`): nothing more to say to it, and no traceback.
        silence_stdout()
        code = 0
    except RecursionError as exc:
        code = _crash(exc)
    except Exception as exc:  # the one place every unexpected failure is caught
        code = _crash(exc)
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        silence_stdout()
    if _teardown_skipped or _lingering_threads():
        # The report is out and the code decided: a read abandoned at its deadline (an SDK or
        # resolver thread that is not a daemon) must not hold the process open for its timeout.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _lingering_threads() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and t.is_alive() and not t.daemon]


def arm_watchdog(seconds: float) -> None:
    """``--deadline``: if the run is not over ``seconds`` from now, end it with exit 3 (could not evaluate)."""
    from linkready.deadline import arm

    arm(seconds)

    def expire() -> None:
        _echo_err(f"linkready: error: the run did not finish within --deadline {seconds:g} s; "
                  "no verdict (raise --deadline or lower probe_timeout)")
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(EXIT_COULD_NOT_EVALUATE)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def _crash(exc: BaseException) -> int:
    _echo_err(internal_error_line(exc, write_crash_log(exc)))
    return EXIT_INTERNAL


def arm_deadlines(config: Config, deadline: float | None) -> Config:
    """Bound the run: every read by probe_timeout, and the process by ``--deadline`` (a watchdog).

    With ``--deadline``, probes get at most 80% of it, so the report is written before it expires.
    """
    from linkready.deadline import arm

    if deadline is not None:
        arm_watchdog(deadline)
        if config.options.probe_timeout > deadline * 0.8:
            options = config.options.model_copy(update={"probe_timeout": deadline * 0.8})
            config = config.model_copy(update={"options": options})
    arm(config.options.probe_timeout)
    return config
