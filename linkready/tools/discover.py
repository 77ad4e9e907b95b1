"""`linkready discover`: from Resource Graph rows to an inventory, a pre-assessment and an estate file.

The pre-assessment runs the catalogue's own checks where inventory facts are enough for them
(SQL-001/002/003 on the version, build, edition and host OS that Arc reports; MI-003 on the
instance's update policy; MI-001 needs the management operations, which Resource Graph does not index) and says "needs a live check" for everything else:
a fact Resource Graph does not index is unknown, never assumed. Nothing here does I/O except
:func:`write_outputs`, which writes the files the user asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from linkready.domain import resource_graph as rg
from linkready.model import Finding, Status

#: Checks that inventory facts alone can judge, by the side they need.
SQL_CHECKS = ("SQL-001", "SQL-002", "SQL-003")
MI_CHECKS = ("MI-003",)
#: The update policy (databaseFormat, lower case) that keeps failback possible for a SQL Server major version.
MATCHING_POLICY = {16: "sqlserver2022", 17: "sqlserver2025"}
#: What only a live `linkready check` can tell (the facts Resource Graph does not index).
LIVE_ONLY = (
    "Always On enabled, database mirroring endpoint, certificates and master key (SQL Server)",
    "database recovery model, backups, files and availability-group membership (per database)",
    "network: DNS, ports 5022 and 11000-11999, NSG and routes between the two sides",
    "trust: certificates exchanged between SQL Server and the managed instance",
    "existing links, failover groups, management operations and permissions on the managed instance",
)


class Readiness(StrEnum):
    """The pre-assessment's word on one SQL Server: a live check always has the last word."""

    BLOCKED = "blocked"
    CANDIDATE = "candidate (needs a live check)"
    UNKNOWN = "unknown (inventory incomplete)"


@dataclass(frozen=True)
class SourceServer:
    """A SQL Server found in the inventory: Arc-enabled or an Azure SQL VM."""

    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    origin: str
    major: int | None
    build: str | None
    edition: str | None
    os_name: str | None
    os_type: str | None
    collation: str | None
    databases: tuple[rg.ArcDatabase, ...] | None

    @property
    def data_size_gb(self) -> float | None:
        if self.databases is None or any(db.size_mb is None for db in self.databases):
            return None
        return sum(db.size_mb or 0.0 for db in self.databases) / 1024


@dataclass(frozen=True)
class Pairing:
    """A suggested managed instance for a SQL Server, and why; the user confirms it."""

    instance: rg.ManagedInstanceRow
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    source: SourceServer
    readiness: Readiness
    findings: tuple[Finding, ...]
    pairing: Pairing | None
    notes: tuple[str, ...] = ()


@dataclass
class Inventory:
    instances: list[rg.ManagedInstanceRow] = field(default_factory=list)
    sources: list[SourceServer] = field(default_factory=list)
    #: (scope, kind, reason) for every scope whose rows are missing or incomplete.
    gaps: list[tuple[str, str, str]] = field(default_factory=list)


def build_inventory(rows: dict[rg.Kind, list[dict[str, Any]]], gaps: Iterable[tuple[str, str, str]] = ()) -> Inventory:
    """Join Arc SQL Servers with their databases and machines; SQL VMs by their image offer."""
    inventory = Inventory(gaps=list(gaps))
    inventory.instances = sorted((rg.managed_instance(r) for r in rows.get(rg.Kind.MANAGED_INSTANCE, [])),
                                 key=lambda mi: mi.id.lower())
    databases: dict[str, list[rg.ArcDatabase]] = {}
    for row in rows.get(rg.Kind.ARC_DATABASE, []):
        parent, db = rg.arc_database(row)
        databases.setdefault(parent.lower(), []).append(db)
    machines = {mid.lower(): (name, kind) for mid, name, kind in map(rg.arc_machine_os, rows.get(rg.Kind.ARC_MACHINE, []))}
    database_gap = any(kind in (rg.Kind.ARC_DATABASE.value, "*") for _, kind, _ in inventory.gaps)
    for arc in map(rg.arc_sql_server, rows.get(rg.Kind.ARC_SQL_SERVER, [])):
        os_name, os_type = machines.get((arc.machine_id or "").lower(), (None, None))
        dbs = databases.get(arc.id.lower())
        inventory.sources.append(SourceServer(
            id=arc.id, name=arc.name, subscription_id=arc.subscription_id, resource_group=arc.resource_group,
            location=arc.location, origin="Arc-enabled SQL Server", major=arc.major, build=arc.build,
            edition=arc.edition, os_name=os_name, os_type=os_type, collation=arc.collation,
            # No database rows and a failed database query: unknown, not "no databases".
            databases=tuple(dbs) if dbs is not None else (None if database_gap else ()),
        ))
    for vm in map(rg.sql_virtual_machine, rows.get(rg.Kind.SQL_VM, [])):
        inventory.sources.append(SourceServer(
            id=vm.id, name=vm.name, subscription_id=vm.subscription_id, resource_group=vm.resource_group,
            location=vm.location, origin="SQL Server on Azure VM", major=vm.major, build=None,
            edition=vm.image_sku, os_name=vm.os_name, os_type=None, collation=None, databases=None,
        ))
    inventory.sources.sort(key=lambda s: s.id.lower())
    return inventory


def _sql_facts(source: SourceServer) -> Any:
    from linkready.facts.sql import SqlFacts, SqlInstance

    platform = "Linux" if (source.os_type or "").lower() == "linux" else ("Windows" if source.os_name else "")
    return SqlFacts(instance=SqlInstance(
        server_name=source.name, machine_name=source.name, instance_name=None,
        product_version=source.build or "", product_level="", product_update_level=None,
        product_update_reference=None, edition=source.edition or "", engine_edition=0,
        host_platform=platform, host_distribution=source.os_name or "", host_release="",
        collation=source.collation or "",
        # Not in the inventory; no check run here reads it (SQL-004 needs a live check).
        is_hadr_enabled=False,
    ))


def _mi_facts(mi: rg.ManagedInstanceRow) -> Any:
    from linkready.facts.azure import AzureFacts, ManagedInstance

    return AzureFacts(managed_instance=ManagedInstance(
        id=mi.id, name=mi.name, location=mi.location, state=mi.state or "", provisioning_state=mi.provisioning_state or "",
        sku_name=mi.sku_name or "", tier=mi.tier or "", v_cores=mi.v_cores or 0,
        storage_size_gb=mi.storage_size_gb or 0, fqdn=mi.fqdn or "", dns_zone=mi.dns_zone or "",
        subnet_id=mi.subnet_id or "", collation=mi.collation or "", database_format=mi.database_format,
    ))


def _run(check_ids: Sequence[str], facts: Any) -> list[Finding]:
    from linkready.checks import all_checks
    from linkready.engine import run_check
    from linkready.model import Settings

    specs = {spec.id: spec for spec in all_checks() if spec.id in check_ids}
    findings: list[Finding] = []
    for check_id in check_ids:
        findings.extend(run_check(specs[check_id], facts, Settings({})))
    return findings


def suggest_pairing(source: SourceServer, instances: Sequence[rg.ManagedInstanceRow]) -> Pairing | None:
    """The best managed instance by region, capacity and update policy; None when none fits at all."""
    scored: list[tuple[int, str, Pairing]] = []
    size = source.data_size_gb
    for mi in instances:
        reasons: list[str] = []
        score = 0
        if mi.location.lower() == source.location.lower():
            score += 4
            reasons.append(f"same region ({mi.location})")
        else:
            reasons.append(f"other region ({mi.location} vs {source.location})")
        if size is not None and mi.storage_size_gb is not None:
            if mi.storage_size_gb < size:
                continue  # cannot hold the databases at all
            score += 2
            reasons.append(f"{mi.storage_size_gb} GB storage for {size:.1f} GB of data (used space not indexed)")
        fmt = (mi.database_format or "").lower()
        if source.major == 17 and fmt == "sqlserver2022":
            continue  # SQL Server 2025 cannot link to the SQL Server 2022 update policy (MI-003)
        if fmt and fmt == MATCHING_POLICY.get(source.major or 0):
            score += 1
            reasons.append(f"update policy {mi.database_format} matches, so failback stays possible")
        elif fmt:
            reasons.append(f"update policy {mi.database_format}")
        scored.append((score, mi.id.lower(), Pairing(mi, tuple(reasons))))
    if not scored:
        return None
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored[0][2]


def assess(inventory: Inventory) -> list[Assessment]:
    from linkready.facts import Facts

    assessments: list[Assessment] = []
    for source in inventory.sources:
        pairing = suggest_pairing(source, inventory.instances)
        facts = Facts(sql=_sql_facts(source), azure=_mi_facts(pairing.instance) if pairing else None)
        notes: list[str] = []
        if source.build:
            findings = _run(SQL_CHECKS, facts)
        else:
            findings = _run(("SQL-003",), facts) if source.edition else []
            notes.append("no build in the inventory: SQL-001/002 need a live check")
        if pairing:
            findings += _run(MI_CHECKS, facts)
        else:
            notes.append("no managed instance in the inventory can hold it: none suggested")
        if source.databases is None:
            notes.append("its databases are not in the inventory: sizes need a live check")
        statuses = {f.status for f in findings}
        if Status.FAIL in statuses:
            readiness = Readiness.BLOCKED
        elif not source.build or Status.ERROR in statuses:
            readiness = Readiness.UNKNOWN
        else:
            readiness = Readiness.CANDIDATE
        assessments.append(Assessment(source, readiness, tuple(findings), pairing, tuple(notes)))
    return assessments


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "target"


def _toml_string(value: str) -> str:
    return json.dumps(value)


def target_file(assessment: Assessment, azure: dict[str, Any] | None = None) -> str:
    """A target file for one confirmed pair: Azure side filled in, connection details left to the user."""
    assert assessment.pairing is not None
    source, mi = assessment.source, assessment.pairing.instance
    databases = [db.name for db in source.databases or () if db.name.lower() not in
                 ("master", "model", "msdb", "tempdb")]
    first = databases[0] if databases else "FILL_IN_DATABASE"
    lines = [
        f"# linkready target file written by `linkready discover` for {source.name} -> {mi.name}.",
        f"# {source.origin} {source.id}",
        "# Fill in the connection details marked FILL_IN, then run: linkready check --estate <estate file>",
        "",
        "[source]",
        f"server = {_toml_string('FILL_IN_HOST')}   # host, \"host,port\" or \"host\\\\instance\" of {source.name}",
        'auth = "sql"',
        'username = "linkready_probe"',
        'password_env = "LINKREADY_SQL_PASSWORD"',
        "",
        "[managed_instance]",
        f"resource_id = {_toml_string(mi.id)}",
        "",
        *_azure_lines(azure or {}),
        "[[link]]",
        f"name = {_toml_string(slug(f'link-{first}'))}",
        f"databases = {json.dumps(databases or [first])}",
        f"instance_ag_name = {_toml_string(f'AG_{first}_MI')}",
        f"partner_ag_name = {_toml_string(f'AG_{first}')}",
        'partner_endpoint = "TCP://FILL_IN_HOST:5022"',
        "",
    ]
    return "\n".join(lines)


def _azure_lines(azure: dict[str, Any]) -> list[str]:
    if not azure:
        return []
    return ["[azure]", *(f"{key} = {json.dumps(value)}" for key, value in azure.items()), ""]


def estate_file(name: str, pairs: Sequence[tuple[str, str]]) -> str:
    lines = ["# Estate written by `linkready discover`: one [[target]] per confirmed pair.", "",
             "[estate]", f"name = {_toml_string(name)}", ""]
    for target, config in pairs:
        lines += ["[[target]]", f"name = {_toml_string(target)}", f"config = {_toml_string(config)}", ""]
    return "\n".join(lines)


def write_outputs(assessments: Sequence[Assessment], directory: Path, *, name: str,
                  confirmed: set[str] | None = None, azure: dict[str, Any] | None = None) -> list[Path]:
    """Write a target file per pair (all suggested pairs, or those in ``confirmed``) and the estate file."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pairs: list[tuple[str, str]] = []
    for assessment in assessments:
        if assessment.pairing is None or assessment.readiness is Readiness.BLOCKED:
            continue
        if confirmed is not None and assessment.source.name not in confirmed:
            continue
        target = slug(f"{assessment.source.name}-{assessment.pairing.instance.name}")
        path = directory / f"{target}.toml"
        path.write_text(target_file(assessment, azure), encoding="utf-8")
        written.append(path)
        pairs.append((target, path.name))
    estate = directory / "estate.toml"
    estate.write_text(estate_file(name, pairs), encoding="utf-8")
    written.append(estate)
    return written
