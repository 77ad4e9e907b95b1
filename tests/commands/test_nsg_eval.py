"""``linkready nsg-eval`` end to end: the real CLI in a subprocess, exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

NSG = {
    "name": "nsg-sqlmi",
    "properties": {
        "securityRules": [
            {"name": "allow-5022", "properties": {"priority": 1000, "direction": "Inbound", "access": "Allow",
             "protocol": "Tcp", "sourceAddressPrefix": "10.1.0.0/24", "sourcePortRange": "*",
             "destinationAddressPrefix": "10.20.1.0/24", "destinationPortRange": "5022"}},
            {"name": "allow-hadr-part", "properties": {"priority": 1010, "direction": "Inbound", "access": "Allow",
             "protocol": "Tcp", "sourceAddressPrefix": "10.1.0.0/24", "sourcePortRange": "*",
             "destinationAddressPrefix": "10.20.1.0/24", "destinationPortRanges": ["11000-11499"]}},
            {"name": "deny-web", "properties": {"priority": 1020, "direction": "Inbound", "access": "Deny",
             "protocol": "Tcp", "sourceAddressPrefix": "*", "sourcePortRange": "*", "sourceApplicationSecurityGroups": [],
             "destinationAddressPrefix": "*", "destinationPortRange": "80"}},
        ]
    },
}


@pytest.fixture
def nsg_file(tmp_path: Path) -> Path:
    path = tmp_path / "nsg.json"
    path.write_text(json.dumps(NSG))
    return path


def test_all_allowed_exits_0(nsg_file: Path) -> None:
    out = run_cli("nsg-eval", str(nsg_file), "--direction", "inbound", "--source", "10.1.0.4", "--port", "5022",
                  "--destination", "10.20.1.0/24", "--vnet-prefix", "10.20.0.0/16")
    assert out.returncode == 0, out.stderr
    assert "ALLOW" in out.stdout and "allow-5022 (priority 1000)" in out.stdout and out.stderr == ""


def test_partly_denied_range_exits_1_and_compresses_ports(nsg_file: Path) -> None:
    out = run_cli("nsg-eval", str(nsg_file), "--direction", "inbound", "--source", "10.1.0.4", "--port", "11000-11999",
                  "--protocol", "tcp", "--destination", "10.20.1.0/24", "--vnet-prefix", "10.20.0.0/16")
    assert out.returncode == 1
    lines = [line.split() for line in out.stdout.splitlines() if line.startswith("  ") and "note:" not in line]
    assert [(w[0], w[1]) for w in lines] == [("ALLOW", "11000-11499"), ("DENY", "11500-11999")]
    assert "DenyAllInBound (priority 65500)" in out.stdout
    assert "Verdict: DENY (500 of 1000 ports denied)" in out.stdout


def test_json_output(nsg_file: Path) -> None:
    out = run_cli("nsg-eval", str(nsg_file), "--direction", "inbound", "--source", "10.1.0.4", "--port", "5022,80",
                  "--vnet-prefix", "10.20.0.0/16", "--json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert [(d["ports"], d["verdict"], d["rule"]) for d in data["decisions"]] == [
        ("5022", "Allow", "allow-5022"), ("80", "Deny", "deny-web")]


def test_unresolvable_tag_exits_3(nsg_file: Path) -> None:
    out = run_cli("nsg-eval", str(nsg_file), "--direction", "inbound", "--source", "10.9.0.4", "--port", "5022")
    assert out.returncode == 3
    assert "UNKNOWN" in out.stdout and "VirtualNetwork" in out.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("{not json", (), "not JSON"),
        ('{"name": "x"}', (), "not an NSG document"),
        (json.dumps(NSG), ("--port", "70000"), "out of order or bounds"),
        (json.dumps(NSG), ("--source", "10.1.0.999"), "not an IP address or CIDR"),
    ],
)
def test_malformed_input_exits_2_with_one_line(tmp_path: Path, content: str, args: tuple[str, ...], message: str) -> None:
    path = tmp_path / "nsg.json"
    path.write_text(content)
    base = {"--source": "10.1.0.4", "--port": "5022"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["nsg-eval", str(path), "--direction", "inbound"] + [x for kv in base.items() for x in kv]
    out = run_cli(*argv)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    out = run_cli("nsg-eval", str(tmp_path / "nope.json"), "--direction", "inbound", "--source", "10.1.0.4", "--port", "1")
    assert out.returncode == 2 and "cannot be read" in out.stderr


def _effective(rules: list[dict[str, object]]) -> dict[str, object]:
    """NSG in the ``az network nic list-effective-nsg`` shape: flat rules, "All", "a-b" ports, prefixed names."""
    flat = []
    for r in rules:
        props = dict(r["properties"])  # type: ignore[call-overload]
        props["protocol"] = "All" if props["protocol"] == "*" else props["protocol"]
        for key in ("destinationPortRange", "sourcePortRange"):
            if key in props:
                value = props.pop(key)
                props[key + "s"] = ["0-65535" if value == "*" else value if "-" in value else f"{value}-{value}"]
        if "destinationPortRanges" in props:
            props["destinationPortRanges"] = [p if "-" in p else f"{p}-{p}" for p in props["destinationPortRanges"]]
        flat.append({"name": f"securityRules/{r['name']}", **props})
    return {"value": [{"networkSecurityGroup": {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                                                     "networkSecurityGroups/nsg-sqlmi"},
                       "effectiveSecurityRules": flat}]}


def test_effective_nsg_document_gives_the_same_answer_as_the_get_format(tmp_path: Path, nsg_file: Path) -> None:
    effective = tmp_path / "effective.json"
    effective.write_text(json.dumps(_effective(NSG["properties"]["securityRules"])))  # type: ignore[index]
    args = ("--direction", "inbound", "--source", "10.1.0.4", "--port", "5022,80,11000-11999",
            "--vnet-prefix", "10.20.0.0/16", "--json")
    get, eff = (run_cli("nsg-eval", str(path), *args) for path in (nsg_file, effective))
    assert get.returncode == eff.returncode == 1, eff.stderr
    assert json.loads(get.stdout)["decisions"] == json.loads(eff.stdout)["decisions"]


def test_effective_nsg_document_with_two_nsgs_exits_2_naming_the_format(tmp_path: Path) -> None:
    doc = _effective(NSG["properties"]["securityRules"])  # type: ignore[index]
    doc["value"] = [*doc["value"], {"networkSecurityGroup": {"id": "/x/networkSecurityGroups/nsg-nic"},  # type: ignore[misc]
                                    "effectiveSecurityRules": []}]
    path = tmp_path / "effective.json"
    path.write_text(json.dumps(doc))
    out = run_cli("nsg-eval", str(path), "--direction", "inbound", "--source", "10.1.0.4", "--port", "5022")
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "az network nic list-effective-nsg" in out.stderr
