"""``linkready runbook SNAPSHOT``: write the ordered steps that create the planned link(s).

The snapshot is evaluated first (preflight profile unless told otherwise); the runbook is written
only when the verdict is Ready, or with ``--force`` (then every file says so at the top).
Nothing is executed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click


@click.command(name="runbook")
@click.argument("snapshot_path", metavar="SNAPSHOT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("linkready-runbook"), show_default=True, help="Directory for the runbook files.")
@click.option("--force", is_flag=True, help="Write the runbook even when the verdict is not Ready (marked).")
@click.option("--profile", "profile_name", default="preflight", show_default=True,
              help="Profile whose verdict gates the runbook.")
@click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), help="Waivers TOML file.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def command(snapshot_path: Path, output: Path, force: bool, profile_name: str, waivers: Path | None,
            quiet: bool) -> None:
    """Generate the link runbook (T-SQL, az CLI, verification queries) from a snapshot; runs nothing."""
    from linkready.commands._common import fail_usage
    from linkready.commands._common import load_snapshot as _load_snapshot
    from linkready.commands._common import profile as _profile
    from linkready.commands._common import waivers as _waivers
    from linkready.engine import make_report
    from linkready.model import Settings, Verdict
    from linkready.reports.runbook import files as written
    from linkready.tools.runbook import RunbookError, generate

    snapshot = _load_snapshot(snapshot_path)
    now = datetime.now(UTC)
    profile = _profile(profile_name)
    report = make_report(snapshot, profile, _waivers(waivers), now=now)
    if report.verdict is not Verdict.READY and not force:
        blockers = report.blockers()
        detail = ", ".join(f.check_id for f in blockers[:5]) or "findings could not be evaluated"
        click.echo(
            f"linkready: the preflight verdict is {report.verdict.value} ({detail}); no runbook written. "
            "Fix the findings (see `linkready evaluate`) or use --force.",
            err=True,
        )
        sys.exit(report.verdict.exit_code)
    try:
        runbook = generate(
            snapshot.facts, verdict=report.verdict, digest=snapshot.digest, generated_at=now,
            forced=report.verdict is not Verdict.READY, blockers=tuple(report.blockers()),
            findings=report.findings, settings=Settings(profile.thresholds),
        )
    except RunbookError as exc:
        fail_usage(str(exc))
    output.mkdir(parents=True, exist_ok=True)
    for name, text in written(runbook).items():
        path = output / name
        path.write_text(text, encoding="utf-8")
        if name.endswith(".sh"):
            path.chmod(0o755)
        if not quiet:
            click.echo(f"wrote {path}")
    if runbook.forced and not quiet:
        click.echo(f"note: written with --force; the verdict is {report.verdict.value}", err=True)
