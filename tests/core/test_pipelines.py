"""Pipeline snippets, the container definition and plain output: what CI systems rely on."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from linkready.reports import Format, parse_formats

from linkready.cli import cli
from linkready.policy import builtin_profiles
from tests.conftest import ROOT

PIPELINES = ROOT / "docs" / "pipelines"
ANSI = re.compile(r"\x1b\[")


def scripts(document: Any) -> list[str]:
    """Every shell script in a GitHub Actions workflow or an Azure Pipelines definition."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("run", "script", "inlineScript") and isinstance(value, str):
                found.append(value)
            else:
                found += scripts(value)
    elif isinstance(document, list):
        for item in document:
            found += scripts(item)
    return found


def linkready_calls(text: str) -> list[list[str]]:
    calls = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line.strip()) if line.strip().startswith("linkready ") else []
        if words:
            calls.append(words[1:])
    return calls


def load(name: str) -> Any:
    return yaml.safe_load((PIPELINES / name).read_text())


def validate_call(args: list[str]) -> click.Context:
    """Parse the arguments with the real click command: an unknown flag or a missing value raises."""
    with click.Context(cli, info_name="linkready") as parent:
        command = cli.get_command(parent, args[0])
        assert command is not None, f"no command {args[0]!r}"
        return command.make_context(args[0], list(args[1:]), parent=parent)


@pytest.mark.parametrize("name", ["github-actions.yml", "azure-pipelines.yml"])
def test_pipeline_calls_the_cli_with_flags_that_exist(name: str) -> None:
    # The gate runs `check` once; other calls (the Windows job's demo) are checked by tests/portability.
    calls = [call for script in scripts(load(name)) for call in linkready_calls(script) if call[:1] == ["check"]]
    assert len(calls) == 1, calls
    ctx = validate_call(calls[0])
    params = ctx.params
    assert calls[0][0] == "check"
    assert params["profile_name"] == "pipeline" and "pipeline" in builtin_profiles()
    assert params["no_color"] is True
    wanted = {f.strip() for f in params["formats"].split(",")}
    assert {"junit", "html", "sarif"} <= wanted
    known = {f.value for f in Format}
    # SARIF is the report room's format: once it is on main, the whole list must parse.
    if "sarif" in known:
        parse_formats(params["formats"])
    else:
        parse_formats(",".join(sorted(wanted - {"sarif"})))
    assert Path(str(calls[0][calls[0].index("--config") + 1])).suffix == ".toml"


def test_validate_call_rejects_a_flag_that_does_not_exist() -> None:
    with pytest.raises(click.UsageError):
        validate_call(["check", "--config", "t.toml", "--fail-on-warn"])


def test_github_actions_publishes_and_fails_on_nonzero_exit() -> None:
    workflow = load("github-actions.yml")
    steps = workflow["jobs"]["preflight"]["steps"]
    by_uses = {s.get("uses", "").split("@")[0]: s for s in steps}
    output = workflow["jobs"]["preflight"]["env"]["LINKREADY_OUTPUT"]
    junit = by_uses["mikepenz/action-junit-report"]
    assert junit["with"]["report_paths"] == f"{output}/{Format.JUNIT.filename}" and junit["if"] == "always()"
    assert by_uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"] == output
    assert by_uses["actions/upload-artifact"]["with"]["path"].rstrip("/") == output
    assert workflow["permissions"]["security-events"] == "write"
    run = next(s for s in steps if s.get("id") == "linkready")
    assert run["run"].startswith("set +e") and 'exit_code=$?' in run["run"]
    gate = steps[-1]
    assert "steps.linkready.outputs.exit_code != '0'" in gate["if"] and "exit 1" in gate["run"]


def test_azure_pipelines_publishes_and_fails_on_nonzero_exit() -> None:
    pipeline = load("azure-pipelines.yml")
    steps = pipeline["steps"]
    tasks = {s.get("task", ""): s for s in steps}
    output = "$(LINKREADY_OUTPUT)"
    junit = tasks["PublishTestResults@2"]
    assert junit["inputs"]["testResultsFiles"] == f"{output}/{Format.JUNIT.filename}"
    assert junit["condition"] == "always()"
    artifacts = [s for s in steps if s.get("task") == "PublishPipelineArtifact@1"]
    assert {a["inputs"]["artifact"] for a in artifacts} == {"CodeAnalysisLogs", "linkready-report"}
    assert all(a["inputs"]["targetPath"] == output and a["condition"] == "always()" for a in artifacts)
    run = tasks["AzureCLI@2"]["inputs"]["inlineScript"]
    assert "##vso[task.setvariable variable=linkreadyExit]$code" in run and run.rstrip().endswith("exit 0")
    gate = steps[-1]
    assert gate["condition"] == "and(always(), ne(variables['linkreadyExit'], '0'))" and "exit 1" in gate["script"]


def test_dockerfile_uses_slim_python_freetds_and_the_package_layout() -> None:
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith(("#", " ", "\t"))]
    assert instructions[0] == "FROM python:3.11-slim"
    assert re.search(r"apt-get install -y --no-install-recommends tdsodbc unixodbc", text)
    assert "msodbcsql18" in text and "ACCEPT_EULA=Y" in text  # documented, in comments
    for line in instructions:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    copied = {line.split()[1] for line in instructions if line.startswith("COPY ")}
    # Every directory the build maps into the package must be in the image.
    assert {"linkready", "checks", "reports", "profiles", "pyproject.toml"} <= copied
    assert 'ENTRYPOINT ["linkready"]' in instructions and "USER linkready" in instructions


# --- plain output ----------------------------------------------------------------------------


def _demo(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Not run_cli: it sets NO_COLOR, and these tests need to control it.
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "linkready", "demo", "-o", str(tmp_path), *args],
        capture_output=True, text=True, env={**base, "PYTHONPATH": str(ROOT), **env}, timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _demo_console(tmp_path: Path, *extra: str, env: dict[str, str]) -> str:
    result = _demo(tmp_path, "--format", "console", *extra, env=env)
    assert result.returncode in (0, 1, 3), result.stderr
    return result.stdout


def test_no_color_env_gives_no_ansi_escapes(tmp_path: Path) -> None:
    # FORCE_COLOR makes rich style output even without a terminal: the control shows escapes appear...
    forced = _demo_console(tmp_path, env={"FORCE_COLOR": "1"})
    assert ANSI.search(forced)
    # ...and NO_COLOR removes every one of them, bold included.
    plain = _demo_console(tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not ANSI.search(plain) and "linkready:" in plain


def test_no_color_flag_gives_no_ansi_escapes(tmp_path: Path) -> None:
    plain = _demo_console(tmp_path, "--no-color", env={"FORCE_COLOR": "1"})
    assert not ANSI.search(plain) and "linkready:" in plain


def test_quiet_prints_nothing_and_keeps_the_exit_code(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--quiet", env={"FORCE_COLOR": "1"})
    assert result.stdout == "" and result.returncode in (0, 1, 3)
    assert (tmp_path / Format.HTML.filename).is_file()
