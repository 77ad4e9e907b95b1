"""The fault matrix: each fault, end to end through the real CLI, → exit code, message, files written.

Every case runs ``python -m linkready`` in a subprocess (the process edge is what is under test:
exit codes, one stderr line, no traceback, no partial files).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from linkready.snapshot import dumps, loads
from tests.conftest import ROOT, run_cli
from tests.gate.junit import assert_junit_agrees

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
MI = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi"
WAIVER = '[[waiver]]\ncheck = "SQL-001"\nreason = "r"\nowner = "o"\nexpires = {expires}\n'
NSG = ('{"name": "n", "properties": {"securityRules": [{"name": "r", "properties": {"priority": PRIORITY, '
       '"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "*", '
       '"destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "5022"}}]}}')


@dataclass(frozen=True)
class Case:
    name: str
    #: Files to create in tmp_path (name → text or bytes); "{tmp}" in args is replaced by tmp_path.
    files: dict[str, str | bytes]
    args: tuple[str, ...]
    exit: int
    #: A fragment of the one stderr line (empty: stderr must be empty of errors).
    message: str
    #: Files (relative to tmp_path) that must exist afterwards / must not.
    written: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


def _demo_text(**plan_changes: object) -> str:
    snapshot = loads(DEMO.read_text())
    if plan_changes:
        links = tuple(replace(link, **plan_changes) for link in snapshot.facts.plan.links)  # type: ignore[arg-type]
        snapshot = replace(snapshot, facts=replace(snapshot.facts, plan=replace(snapshot.facts.plan, links=links)))
    return dumps(snapshot)


def _deep_snapshot() -> str:
    text = DEMO.read_text().rstrip()
    return text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _surrogate_snapshot() -> str:
    data = json.loads(DEMO.read_text())
    data["tool_version"] = "\ud800"
    return json.dumps(data)  # ensure_ascii: the file itself is valid UTF-8, the string is not text


CASES = [
    Case("waiver expires is a TOML datetime", {"w.toml": WAIVER.format(expires="2099-01-01T00:00:00")},
         ("demo", "-q", "--waivers", "{tmp}/w.toml", "-o", "{tmp}/out", "--format", "json"), 1, "",
         written=("out/linkready-report.json",)),
    Case("waiver = 5", {"w.toml": "waiver = 5\n"}, ("demo", "-q", "--waivers", "{tmp}/w.toml", "-o", "{tmp}/out"),
         2, "'waiver' must be [[waiver]] tables", absent=("out",)),
    Case("waivers not UTF-8", {"w.toml": b"\xff\xfe[[waiver]]"},
         ("demo", "-q", "--waivers", "{tmp}/w.toml", "-o", "{tmp}/out"), 2, "not UTF-8 text", absent=("out",)),
    Case("waiver expires is a time", {"w.toml": WAIVER.format(expires="10:00:00")},
         ("demo", "-q", "--waivers", "{tmp}/w.toml"), 2, "'expires' must be a date"),
    Case("profile extends = 5", {"p.toml": "extends = 5\n"}, ("demo", "-q", "--profile", "{tmp}/p.toml"),
         2, "'extends' must be a string"),
    Case("profile not UTF-8", {"p.toml": b"name = \"\xff\"\n"}, ("demo", "-q", "--profile", "{tmp}/p.toml"),
         2, "not UTF-8 text"),
    Case("link = 5 plus --databases", {"c.toml": "link = 5\n"},
         ("check", "-c", "{tmp}/c.toml", "--databases", "Sales", "-q"), 2, "'link' must be a [link] table"),
    Case("port 99999 in source.server", {"c.toml": '[source]\nserver = "h,99999"\n'},
         ("check", "-c", "{tmp}/c.toml", "-q"), 2, "the port after ',' must be 1-65535"),
    Case("probe_timeout = inf", {"c.toml": "[options]\nprobe_timeout = inf\n"},
         ("check", "-c", "{tmp}/c.toml", "-q"), 2, "'options.probe_timeout': Input should be a finite number"),
    Case("connect_timeout = nan", {"c.toml": "[network]\nconnect_timeout = nan\n"},
         ("check", "-c", "{tmp}/c.toml", "-q"), 2, "'network.connect_timeout'"),
    Case("snapshot with a lone surrogate", {"s.json": _surrogate_snapshot()}, ("evaluate", "{tmp}/s.json", "-q"),
         2, "not Unicode text"),
    Case("snapshot nested 100000 deep", {"s.json": _deep_snapshot()}, ("evaluate", "{tmp}/s.json", "-q"),
         2, "nested too deeply"),
    Case("nsg-eval priority Infinity", {"n.json": NSG.replace("PRIORITY", "Infinity")},
         ("nsg-eval", "{tmp}/n.json", "--direction", "inbound", "--source", "10.0.0.1", "--port", "5022"),
         2, "lacks priority"),
    Case("rich markup in a link name", {"s.json": _demo_text(name="[/]x [dbo].[t] [managed_instance]")},
         ("evaluate", "{tmp}/s.json", "--format", "console", "--profile", "audit"), 1, ""),
    Case("report directory under a file", {"f": "x"}, ("demo", "-q", "-o", "{tmp}/f/out"),
         2, "cannot write", absent=("f/out",)),
    Case("--save-snapshot under a file", {"f": "x"}, ("demo", "-q", "--save-snapshot", "{tmp}/f/s.json"),
         2, "a parent of it is a file"),
    Case("--save-snapshot is a directory", {"d/keep": "x"}, ("demo", "-q", "--save-snapshot", "{tmp}/d"),
         2, "is a directory"),
    Case("evaluate snapshot missing", {}, ("evaluate", "{tmp}/none.json"), 2, "no such file"),
    Case("--databases with nothing to probe (no --server, no --mi)", {},
         ("check", "--databases", "Sales", "--partner-endpoint", "TCP://10.0.0.4:5022", "-o", "{tmp}/out"), 2,
         "needs --server (the SQL Server) and/or --mi", absent=("out",)),
    Case("--sarif-root is a file", {"f": "x"}, ("demo", "-q", "--format", "sarif", "--sarif-root", "{tmp}/f",
                                                "-o", "{tmp}/out"), 2, "'--sarif-root'", absent=("out",)),
    Case("unknown report format next to sarif", {}, ("demo", "-q", "--format", "sarif,xml", "-o", "{tmp}/out"),
         2, "unknown format 'xml'", absent=("out",)),
    Case("one-shot tool --format yaml", {"n.json": NSG.replace("PRIORITY", "100")},
         ("nsg-eval", "{tmp}/n.json", "--direction", "inbound", "--source", "10.0.0.1", "--port", "5022",
          "--format", "yaml"), 2, "'yaml' is not one of 'text', 'json'"),
    Case("SARIF with waived results opted in", {"w.toml": WAIVER.format(expires="2099-01-01")},
         ("demo", "-q", "--waivers", "{tmp}/w.toml", "--format", "sarif,junit", "--sarif-waived", "-o", "{tmp}/out"),
         1, "", written=("out/linkready.sarif", "out/linkready-junit.xml")),
    Case("--databases without a file, --server nor --partner-endpoint", {},
         ("check", "--mi", MI, "--databases", "Sales"), 2, "needs --server (the partner endpoint defaults to its host)"),
]


def _make_files(tmp_path: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def assert_clean_stderr(stderr: str, exit_code: int, message: str) -> None:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("linkready: ")]
    if message:
        assert len(errors) >= 1 and message in errors[0], stderr
        assert len(errors[0]) < 400
    else:
        assert not [e for e in errors if "error" in e], stderr
    if exit_code == 2:
        assert errors and errors[0].startswith("linkready: error: "), stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case: Case, tmp_path: Path) -> None:
    _make_files(tmp_path, case.files)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    result = run_cli(*args, env=case.env, cwd=tmp_path)
    assert result.returncode == case.exit, result.stdout[-2000:] + result.stderr
    assert_clean_stderr(result.stderr, case.exit, case.message)
    for name in case.written:
        assert (tmp_path / name).is_file(), name
        if name.endswith(".xml"):
            assert_junit_agrees(tmp_path / name, case.exit)
        if name.endswith(".sarif"):
            results = json.loads((tmp_path / name).read_text(encoding="utf-8"))["runs"][0]["results"]
            assert {r["properties"]["status"] for r in results} <= {"FAIL", "WARN", "ERROR", "WAIVED"}
    for name in case.absent:
        assert not (tmp_path / name).exists(), name
    assert not list(tmp_path.rglob("*.partial-*"))


def test_markup_values_are_printed_literally(tmp_path: Path) -> None:
    """`[dbo].[t]` and `[managed_instance]` used to vanish; `[/]` used to raise MarkupError."""
    path = tmp_path / "s.json"
    path.write_text(_demo_text(name="[/]x [dbo].[t] [managed_instance]"))
    result = run_cli("evaluate", str(path), "--format", "console", "--profile", "audit", cwd=tmp_path)
    flat = result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    assert "[/]x[dbo].[t][managed_instance]" in flat, result.stdout


def _limited_file_size() -> None:
    # A full disk, without filling one: writes past 64 KiB fail with EFBIG (SIGXFSZ ignored).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_disk_full_while_writing_reports_is_exit_2_and_leaves_no_partial_file(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "linkready", "demo", "-q", "-o", str(tmp_path / "out"), "--format", "html"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, preexec_fn=_limited_file_size,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("linkready: error: cannot write") and result.stderr.count("\n") == 1
    assert not (tmp_path / "out" / "linkready-report.html").exists()


def test_live_check_whose_output_fails_keeps_the_snapshot(tmp_path: Path) -> None:
    """A real probe run (SQL on a closed loopback port); the report dir is under a file → exit 2, facts saved."""
    (tmp_path / "f").write_text("x")
    result = run_cli("check", "--server", "127.0.0.1,1", "--databases", "Sales", "--partner-endpoint",
                     "TCP://127.0.0.1:5022", "--probe-timeout", "5", "-q", "-o", str(tmp_path / "f" / "out"),
                     env={"LINKREADY_SQL_PASSWORD": "x"}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("linkready: error: cannot write") and "Traceback" not in result.stderr
    saved = Path(lines[1].split("saved in ")[1].split(" ")[0])
    try:
        judged = run_cli("evaluate", str(saved), "-q", "-o", str(tmp_path / "judged"))
        assert judged.returncode in (1, 3), judged.stderr
    finally:
        saved.unlink(missing_ok=True)


def test_closed_stdout_ends_quietly_with_the_verdict() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    script = f"{sys.executable} -m linkready demo --format console -o \"$T\" | head -1; exit ${{PIPESTATUS[0]}}"
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                                env={**env, "T": directory})
    assert result.stdout.startswith("linkready: Not ready")
    assert result.returncode == 1 and result.stderr == "", result.stderr


Invoke = Callable[..., None]


def test_internal_error_is_exit_4_with_one_line_and_a_redacted_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The guard around a real click command that hits a bug (the command is the test's, not ours)."""
    import click

    from linkready.commands._guard import run

    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

    @click.command()
    def broken() -> None:
        raise KeyError(f"Authorization: Bearer {token}")

    monkeypatch.setenv("LINKREADY_LOG_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        run(broken, args=[], prog_name="linkready")
    assert exited.value.code == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("linkready: internal error: KeyError")
    assert "please report, details in " in err and token not in err
    log = Path(err.strip().split("details in ")[1])
    text = log.read_text()
    assert "Traceback" in text and token not in text and "Bearer ***" in text
