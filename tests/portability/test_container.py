"""The Dockerfile: built where a container daemon exists, otherwise parsed and checked against the README.

This machine (and CI on it) has the docker client but no daemon, so the build test skips with the
reason; the parse test always runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
KNOWN = {"FROM", "RUN", "COPY", "ADD", "WORKDIR", "ENV", "USER", "ENTRYPOINT", "CMD", "ARG", "LABEL", "EXPOSE"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text("utf-8").splitlines()
                                         if not line.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word, rest.strip()))
    return out


def test_dockerfile_parses_and_installs_like_the_readme() -> None:
    steps = instructions()
    assert {word for word, _ in steps} <= KNOWN, {word for word, _ in steps} - KNOWN
    assert steps[0][0] == "FROM"
    for word, rest in steps:
        if word in ("ENTRYPOINT", "CMD"):
            json.loads(rest)  # exec form: signals reach linkready
    runs = " && ".join(rest for word, rest in steps if word == "RUN")
    readme = (ROOT / "README.md").read_text("utf-8")
    # The README's fresh-machine install is `pip install .`: the image installs the same way, from the same files.
    assert "pip install -q . &&" in readme
    assert re.search(r"pip install (--no-cache-dir )?\.( |$)", runs)
    apt = re.search(r"apt-get install -y --no-install-recommends ([\w\s-]+?)(?:&&|$)", runs)
    assert apt is not None and set(apt[1].split()) == {"tdsodbc", "unixodbc"}
    # The snippets install the same driver packages the image does.
    for snippet in ("github-actions.yml", "azure-pipelines.yml"):
        assert "tdsodbc unixodbc" in (ROOT / "docs" / "pipelines" / snippet).read_text("utf-8")
    # Microsoft's ODBC Driver 18 is documented in the image and the README.
    text = DOCKERFILE.read_text("utf-8")
    assert "ACCEPT_EULA=Y" in text and "msodbcsql18" in text and "msodbcsql18" in readme


def _daemon() -> str:
    if shutil.which("docker") is None:
        return "no docker client"
    proc = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                          timeout=30)
    return "" if proc.returncode == 0 else f"no container daemon: {(proc.stderr or proc.stdout).strip()[:200]}"


@pytest.mark.slow
def test_image_builds_and_runs_the_demo() -> None:
    reason = _daemon()
    if reason:
        pytest.skip(reason)
    tag = "linkready-test:portability"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stderr[-3000:]
    demo = subprocess.run(["docker", "run", "--rm", tag, "demo", "--no-color"], capture_output=True, text=True,
                          timeout=300)
    assert demo.returncode == 1 and "linkready: Not ready" in demo.stdout, demo.stderr
