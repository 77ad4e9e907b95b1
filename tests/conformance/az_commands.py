"""Every az command linkready can print, as argument lists for the real parser.

Three sources, so that neither a scenario nobody built nor a code path nobody reached hides a command:
- every f-string in the product that starts with ``az `` (static: each placeholder filled with a
  typed dummy chosen from the expression, e.g. a resource ID for ``_mi_id(...)``, a number for a size);
- every ``azcli`` fix of every finding for the demo snapshot and the fact builders' scenarios;
- every runbook shape (one-way, failback, managed instance as initial primary, multiple-database mode,
  Sync, each sovereign cloud, certificates still to be created);
- every ``az network nsg rule create`` of the network flows table for the flow scenarios below.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from linkready.checks import all_checks

from linkready.domain.azcli import ENDPOINT_BLOB_SHELL
from linkready.domain.flows import network_flows
from linkready.engine import run_check
from linkready.facts import Facts
from linkready.facts.azure import NetworkSecurityGroup, SecurityRule
from linkready.model import Settings, Verdict
from linkready.snapshot import loads
from linkready.tools.runbook import CLOUD_SUFFIXES, generate
from tests.builders import azure_facts, sql_facts
from tests.conftest import ROOT

MI_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-x/providers/Microsoft.Sql/managedInstances/mi-x"
#: Typed dummies for placeholders, by what the expression names (first match wins).
DUMMIES: tuple[tuple[str, str], ...] = (
    (r"mi_target|\btarget\b", "--resource-group rg-x --instance-name mi-x"),
    (r"failover_type", "Planned"),
    (r"_mi_id|mi_id|subnet\.id|\.id\b", MI_ID),
    (r"grow|size|capacity|vcores|minimum|prios|priority", "64"),
    (r"direction", "Inbound"),
    (r"replication_mode", "Sync"),
    (r"allowed", "Geo"),
    (r"location|region", "westeurope"),
    (r"\bsub\b", "00000000-0000-0000-0000-000000000000"),
    (r"sources|destinations", "10.0.0.0/24"),
    (r"port", "5022"),
    (r"blob", "ABCD"),
)
ANGLE = re.compile(r"<[^<>\n]+>")
SHELL_VARIABLE = re.compile(r"\"?\$\{(\w+)\}\"?")
SOURCE_DIRS = ("linkready", "checks", "reports")


def _dummy(expression: str) -> str:
    return next((value for pattern, value in DUMMIES if re.search(pattern, expression)), "x1")


def _fill(node: ast.JoinedStr | ast.Constant, source: str) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        else:
            assert isinstance(value, ast.FormattedValue)
            parts.append(_dummy(ast.unparse(value.value)))
    return "".join(parts)


def static_commands() -> Iterator[tuple[str, str]]:
    """(where, command) for every string literal in the product that starts with ``az ``."""
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text()
            tree = ast.parse(source)
            # The literal pieces of an f-string are Constant children: the f-string is the command.
            pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
            for node in ast.walk(tree):
                if id(node) in pieces:
                    continue
                if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                    first = node.values[0].value
                elif isinstance(node, ast.Constant):
                    first = node.value
                else:
                    continue
                if isinstance(first, str) and first.startswith("az "):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", _fill(node, source)


def _settings() -> Settings:
    return Settings({})


def _finding_commands(name: str, facts: Facts) -> Iterator[tuple[str, str]]:
    for spec in all_checks():
        for finding in run_check(spec, facts, _settings()):
            for block in finding.fix:
                if block.language == "azcli":
                    yield f"{name}:{finding.check_id}", block.code


def _scenarios() -> dict[str, Facts]:
    demo = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text()).facts
    broken_mi = azure_facts.facts()
    return {
        "demo": demo,
        "azure-builder": broken_mi,
        "sql-builder": sql_facts.facts(),
        "sync-plan": replace(broken_mi, plan=replace(broken_mi.plan, links=tuple(
            replace(link, replication_mode="Sync") for link in broken_mi.plan.links))),
        "multi-db-plan": replace(broken_mi, plan=replace(broken_mi.plan, links=tuple(
            replace(link, link_mode="MultiDatabase", databases=("Sales", "Orders"))
            for link in broken_mi.plan.links))),
    }


def finding_commands() -> Iterator[tuple[str, str]]:
    for name, facts in _scenarios().items():
        yield from _finding_commands(name, facts)


def runbook_shapes() -> dict[str, Facts]:
    demo = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text()).facts
    plan = demo.plan
    shapes = {
        "one-way": demo,
        "failback": replace(demo, plan=replace(plan, failback=True)),
        "mi-initial-primary": replace(demo, plan=replace(plan, initial_primary="ManagedInstance")),
        "sync": replace(demo, plan=replace(plan, links=tuple(replace(x, replication_mode="Sync") for x in plan.links))),
        "multi-database": replace(demo, plan=replace(plan, links=tuple(
            replace(x, link_mode="MultiDatabase", databases=(*x.databases, "Extra")) for x in plan.links))),
    }
    for cloud in CLOUD_SUFFIXES:
        shapes[f"cloud-{cloud}"] = replace(demo, plan=replace(plan, cloud=cloud))
    assert demo.sql is not None
    bare = replace(demo, sql=replace(demo.sql, certificates=(), endpoints=()),
                   azure=replace(demo.azure, endpoint_certificate_hex=None, server_trust_certificates=())
                   if demo.azure else None)
    shapes["nothing-in-place"] = bare
    return shapes


def runbook_commands() -> Iterator[tuple[str, str]]:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    for name, facts in runbook_shapes().items():
        runbook = generate(facts, verdict=Verdict.READY, digest="sha256:0", generated_at=now)
        for step in runbook.steps:
            if step.script == "mi":
                for command in (*step.commands, *step.verify):
                    yield f"runbook {name} step {step.number}", command
        for variable, how in runbook.variables:
            for inner in re.findall(r"\$\((az [^)]*)\)", how):
                yield f"runbook {name} variable {variable}", inner


def flow_scenarios() -> dict[str, Facts]:
    """Facts whose network flows table prints NSG commands: the demo, a SQL Server VM whose NSG blocks,
    a reverse port other than 5022, and two blocked legs on one NSG and direction."""
    demo = loads((ROOT / "linkready" / "data" / "demo_snapshot.json").read_text()).facts
    assert demo.azure is not None and demo.azure.nsg is not None
    vm_nsg = NetworkSecurityGroup(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sql (prod)/providers/"
        "Microsoft.Network/networkSecurityGroups/nsg-sql.vm_01", "nsg-sql.vm_01",
        (SecurityRule("deny-all-out", 200, "Outbound", "Deny", "*", ("*",), ("*",), ("*",), ("*",)),
         SecurityRule("deny-all-in", 200, "Inbound", "Deny", "*", ("*",), ("*",), ("*",), ("*",))))
    closed = tuple(r for r in demo.azure.nsg.rules if not r.name.startswith("allow-link"))
    return {
        "demo": demo,
        "vm-nsg": replace(demo, azure=replace(demo.azure, source_vm_nsgs=(vm_nsg,), source_vm_nic_id="nic"),
                          errors=()),
        "other-port": replace(demo, plan=replace(demo.plan, links=tuple(
            replace(x, partner_endpoint="TCP://10.20.1.10:5023") for x in demo.plan.links))),
        "all-closed": replace(demo, azure=replace(demo.azure, nsg=replace(demo.azure.nsg, rules=closed))),
    }


def flow_commands() -> Iterator[tuple[str, str]]:
    for name, facts in flow_scenarios().items():
        for row in network_flows(facts).rows:
            if row.command:
                yield f"flows {name} row {row.number}", row.command


def shell_snippets() -> Iterator[tuple[str, str]]:
    for inner in re.findall(r"\$\((az [^)]*)\)", ENDPOINT_BLOB_SHELL.format(target="--resource-group rg-x --mi mi-x")):
        yield "domain/azcli.py ENDPOINT_BLOB_SHELL", inner


def to_arguments(command: str) -> list[list[str]]:
    """Shell text → argument lists after ``az`` (one per command line), placeholders filled."""
    text = command.replace("\\\n", " ")
    text = ANGLE.sub("x1", text)
    text = SHELL_VARIABLE.sub("0xABCD", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[0] == "az", f"not an az command: {line}"
        out.append(words[1:])
    return out


def every_command() -> list[tuple[str, list[str]]]:
    seen: dict[tuple[str, ...], str] = {}
    for where, command in (*static_commands(), *finding_commands(), *runbook_commands(), *flow_commands(),
                           *shell_snippets()):
        for args in to_arguments(command):
            seen.setdefault(tuple(args), where)
    return [(where, list(args)) for args, where in seen.items()]


def source_root() -> Path:
    return ROOT
