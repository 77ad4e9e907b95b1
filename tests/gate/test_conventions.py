"""One set of conventions across commands, each through the real CLI.

``--format json`` wherever a machine format exists (``--json`` its alias), ``md`` and ``markdown``
alike, ``--timeout`` for one-shot tools, ``network-test`` printing its T-SQL by default, and
``check --server --databases`` without a target file.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
NSG = ('{"name": "n", "properties": {"securityRules": [{"name": "r", "properties": {"priority": 100, '
       '"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "*", '
       '"destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "5022"}}]}}')


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _tools(tmp_path: Path) -> dict[str, list[str]]:
    nsg = tmp_path / "nsg.json"
    nsg.write_text(NSG, encoding="utf-8")
    return {
        "nsg-eval": ["nsg-eval", str(nsg), "--direction", "inbound", "--source", "10.0.0.1", "--port", "5022"],
        "probe-port": ["probe-port", "127.0.0.1", str(_closed_port()), "--timeout", "1"],
        "sql-build": ["sql-build", "15.0.4335.1"],
    }


def _stable(data: object) -> object:
    """The JSON without measured timings (connect_ms, elapsed): the same scan, timed twice."""
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if not k.endswith(("_ms", "_s"))}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


@pytest.mark.parametrize("tool", ["nsg-eval", "probe-port", "sql-build"])
def test_format_json_and_its_json_alias_agree(tool: str, tmp_path: Path) -> None:
    args = _tools(tmp_path)[tool]
    spelled = run_cli(*args, "--format", "json")
    alias = run_cli(*args, "--json")
    text = run_cli(*args, "--format", "text")
    assert spelled.returncode == alias.returncode == text.returncode, spelled.stderr + alias.stderr
    assert _stable(json.loads(spelled.stdout)) == _stable(json.loads(alias.stdout))
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.stdout)


def test_throughput_test_takes_timeout() -> None:
    result = run_cli("throughput", "test", f"127.0.0.1:{_closed_port()}", "--timeout", "1", "--seconds", "1",
                     "--format", "json")
    assert result.returncode in (2, 3), result.stderr
    assert "no such option" not in result.stderr


def test_md_and_markdown_are_one_format(tmp_path: Path) -> None:
    for name in ("md", "markdown"):
        result = run_cli("evaluate", str(DEMO), "--format", name, "-q", "-o", str(tmp_path / name))
        assert result.returncode == 1, result.stderr
    assert (tmp_path / "md" / "linkready-report.md").read_text() == \
        (tmp_path / "markdown" / "linkready-report.md").read_text()
    assert run_cli("checks", "--format", "md").stdout == run_cli("checks", "--format", "markdown").stdout


def test_network_test_prints_its_tsql_by_default() -> None:
    plain = run_cli("network-test", "--snapshot", str(DEMO))
    spelled = run_cli("network-test", "--print-tsql", "--snapshot", str(DEMO))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == spelled.stdout and "SELECT" in plain.stdout.upper()


def test_check_from_flags_alone_defaults_the_link(tmp_path: Path) -> None:
    """--server and --databases are enough: link and AG names from the database, endpoint from the host."""
    out = tmp_path / "out"
    result = run_cli("check", "--server", f"127.0.0.1,{_closed_port()}", "--databases", "Sales",
                     "--probe-timeout", "10", "--format", "json", "-q", "-o", str(out),
                     env={"LINKREADY_SQL_PASSWORD": "x"}, cwd=tmp_path)
    assert result.returncode in (1, 3), result.stderr
    report = json.loads((out / "linkready-report.json").read_text(encoding="utf-8"))
    assert report["target"]["Links"] == "link-Sales"
    plan = [f for f in report["findings"] if f["check_id"] == "PLAN-002"]
    assert plan and "127.0.0.1" in plan[0]["message"], "the partner endpoint defaulted to the --server host"


@pytest.mark.parametrize(("flags", "named"), [
    (("--databases", "Sales", "--partner-endpoint", "TCP://10.0.0.4:5022"), "needs --server (the SQL Server) and/or --mi"),
    (("--databases", "Sales", "--mi", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/"
      "providers/Microsoft.Sql/managedInstances/mi"), "needs --server (the partner endpoint defaults to its host)"),
])
def test_check_from_flags_names_the_missing_flag(flags: tuple[str, ...], named: str, tmp_path: Path) -> None:
    result = run_cli("check", *flags, "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1 and named in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
