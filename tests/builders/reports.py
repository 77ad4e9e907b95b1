"""Hand-made reports for the report tests, the browser tests and the render benchmark.

Findings are written out here (not produced by checks) so that every status, every kind of
content (waivers, probe errors, fix blocks, hostile text) is present whatever the catalogue
currently holds, and so that golden files change only when the report's rendering changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources

from linkready.checks.service import SERVICE_ERRORS

from linkready.facts import Collector, Facts, PlanFacts, PlannedLink, ProbeError
from linkready.model import Area, CodeBlock, Finding, Owner, Severity, Status, Verdict, Waiver
from linkready.report import Branding, Report
from linkready.snapshot import SCHEMA_VERSION, Snapshot, loads

#: Clock and version injected into every sample report, so output is deterministic.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
VERSION = "0.1.0-test"
DOCS = "https://learn.microsoft.com/azure/azure-sql/managed-instance/managed-instance-link-preparation"

# A 1x1 transparent PNG: enough to prove the logo is embedded, not fetched.
LOGO = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def demo_snapshot() -> Snapshot:
    text = resources.files("linkready.data").joinpath("demo_snapshot.json").read_text("utf-8")
    return loads(text, "bundled demo snapshot")


COLLECTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
MI_ID = ("/subscriptions/6d1f0c9e-3b7a-4c1e-9a55-0f2b8e4d7c11/resourceGroups/rg-museum-data/providers/"
         "Microsoft.Sql/managedInstances/sqlmi-museum-prod")


def sample_snapshot(errors: tuple[ProbeError, ...] = ()) -> Snapshot:
    """A small hand-made snapshot (plan and collector only): independent of the bundled demo's content."""
    links = (
        PlannedLink("link-membership", ("Membership",), "AG_Membership_MI", "AG_Membership",
                    "TCP://sqlprod01.museum.local:5022"),
        PlannedLink("link-ticketing", ("Ticketing",), "AG_Ticketing_MI", "AG_Ticketing",
                    "TCP://sqlprod01.museum.local:5022"),
    )
    plan = PlanFacts(links=links, source_server="sqlprod01.museum.local", source_address="10.20.1.10",
                     source_prefixes=("10.20.1.0/24",), mi_resource_id=MI_ID)
    collector = Collector(hostname="SQLPROD01", platform="Windows 10.0.17763", source_addresses=("10.20.1.10",),
                          runs_on_sql_host=True, collected_at=COLLECTED)
    return Snapshot(SCHEMA_VERSION, VERSION, COLLECTED, Facts(plan=plan, collector=collector, errors=errors))


def finding(
    check_id: str,
    status: Status,
    message: str,
    *,
    area: Area = Area.SQL,
    title: str = "",
    target: str = "",
    severity: Severity = Severity.HIGH,
    owner: Owner = Owner.DBA,
    observed: str = "",
    expected: str = "",
    evidence: tuple[str, ...] = (),
    fix: tuple[CodeBlock, ...] = (),
    prevents: tuple[int, ...] = (),
    waiver: Waiver | None = None,
    rationale: str = "",
    remediation: str = "",
    service_errors: tuple[str, ...] | None = None,
) -> Finding:
    """A finding as the engine makes it; its service error codes default to what the catalogue says of the check."""
    if service_errors is None:
        service_errors = SERVICE_ERRORS.get(check_id, ())
    return Finding(
        check_id=check_id,
        title=title or f"Condition {check_id} holds",
        area=area,
        severity=severity,
        status=status,
        message=message,
        target=target,
        observed=observed,
        expected=expected,
        evidence=evidence,
        rationale=rationale or f"Why {check_id} matters: without it the link cannot be created.",
        remediation=remediation or f"How to fix {check_id}.",
        fix=fix,
        docs=DOCS,
        owner=owner,
        prevents=prevents,
        service_errors=service_errors,
        waiver=waiver,
    )


def verdict_of(findings: tuple[Finding, ...]) -> Verdict:
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return Verdict.NOT_READY
    if Status.ERROR in statuses:
        return Verdict.UNKNOWN
    if not statuses - {Status.SKIP}:
        return Verdict.UNKNOWN  # as the engine: nothing judged is never "Ready"
    return Verdict.READY


def make_report(findings: tuple[Finding, ...] | list[Finding], *, snapshot: Snapshot | None = None,
                branding: Branding | None = None, profile: str = "preflight") -> Report:
    found = tuple(findings)
    return Report(
        findings=found,
        verdict=verdict_of(found),
        profile=profile,
        snapshot=snapshot or sample_snapshot(),
        generated_at=NOW,
        tool_version=VERSION,
        branding=branding or Branding(),
        checks_selected=len({f.check_id for f in found}),
        checks_ran=len({f.check_id for f in found if f.status is not Status.SKIP}),
    )


LONG_AZ = (
    "az sql mi link create --resource-group rg-museum-data --mi sqlmi-museum-prod --name link-membership "
    "--instance-ag-name AG_Membership_MI --partner-ag-name AG_Membership "
    "--partner-endpoint TCP://sqlprod01.museum.local:5022 --databases Membership --replication-mode Async"
)


def rich_findings() -> list[Finding]:
    """Every status, several areas, fix blocks, a waiver, an ERROR, and text that must be escaped."""
    return [
        finding(
            "SQL-004", Status.FAIL, "Always On availability groups are disabled on SQLPROD01",
            title="Always On availability groups are enabled", observed="IsHadrEnabled = 0",
            expected="IsHadrEnabled = 1", severity=Severity.CRITICAL, prevents=(41106,),
            fix=(
                CodeBlock("powershell", "Enable-SqlAlwaysOn -ServerInstance 'SQLPROD01' -Force",
                          "Enable Always On (restarts the service)"),
                CodeBlock("tsql", "SELECT SERVERPROPERTY('IsHadrEnabled') AS IsHadrEnabled;", "Verify"),
            ),
        ),
        finding(
            "SQL-005", Status.PASS, "A database master key exists in master",
            title="A database master key exists in master", observed="##MS_DatabaseMasterKey## present",
            expected="present",
        ),
        finding(
            "SQL-006", Status.WARN, "Trace flag 9567 is not enabled globally",
            title="Recommended trace flags are enabled", observed="1800 on; 9567 off", expected="1800, 9567 on",
            severity=Severity.LOW,
            fix=(CodeBlock("tsql", "DBCC TRACEON (9567, -1);", "Enable until the next restart"),),
        ),
        finding(
            "SQL-007", Status.ERROR,
            "Could not evaluate: sql.permissions could not be read: The SELECT permission was denied on "
            "sys.dm_hadr_database_replica_states",
            title="The probe login holds the permissions the checks need", severity=Severity.MEDIUM,
        ),
        finding(
            "EP-002", Status.FAIL, "The database mirroring endpoint Hadr_endpoint is STOPPED",
            area=Area.ENDPOINT, title="The database mirroring endpoint is started", observed="STOPPED",
            expected="STARTED",
            fix=(CodeBlock("tsql", "ALTER ENDPOINT [Hadr_endpoint] STATE = STARTED;", "Start the endpoint"),),
        ),
        finding(
            "EP-005", Status.PASS, "The endpoint listens on TCP 5022", area=Area.ENDPOINT,
            title="The endpoint listens on the expected port", observed="5022", expected="5022",
        ),
        finding(
            "CERT-003", Status.WAIVED, "SQL Server's endpoint certificate is not trusted by the managed instance",
            area=Area.CERTIFICATES, title="The managed instance trusts SQL Server's endpoint certificate",
            observed="no server trust certificate with thumbprint 0x3F2A…", expected="a matching trust certificate",
            prevents=(41973,), owner=Owner.AZURE,
            waiver=Waiver("CERT-003", "Imported during the change window on 2026-11-24", "Dana Whitfield (DBA lead)",
                          date(2026, 12, 15)),
            fix=(CodeBlock("azcli", LONG_AZ, "Create the link once every check passes"),),
        ),
        finding(
            "DB-003", Status.FAIL, "Ticketing uses the SIMPLE recovery model", area=Area.DATABASES,
            title="The database uses the FULL recovery model", target="Ticketing", observed="SIMPLE",
            expected="FULL", prevents=(1475,),
            fix=(CodeBlock("tsql", "ALTER DATABASE [Ticketing] SET RECOVERY FULL;\n"
                                   "BACKUP DATABASE [Ticketing] TO DISK = N'\\\\backup01\\sql\\Ticketing_full.bak';",
                           "Switch to FULL and take a full backup"),),
        ),
        finding(
            "DB-003", Status.PASS, "Membership uses the FULL recovery model", area=Area.DATABASES,
            title="The database uses the FULL recovery model", target="Membership", observed="FULL", expected="FULL",
        ),
        finding(
            "DB-006", Status.SKIP, "Not applicable: no database uses FILESTREAM", area=Area.DATABASES,
            title="No FILESTREAM or FileTable objects", target="Membership", severity=Severity.MEDIUM,
        ),
        finding(
            "DNS-001", Status.PASS, "sqlmi-museum-prod resolves to 10.30.4.12 inside the MI subnet", area=Area.DNS,
            title="The managed instance FQDN resolves to an address in the MI subnet", owner=Owner.NETWORK,
            observed="10.30.4.12", expected="an address in 10.30.4.0/24",
        ),
        finding(
            "NET-002", Status.FAIL, "TCP 11000-11999 to the managed instance is filtered (timeout) for 1,000 ports",
            area=Area.NETWORK, title="The redirect ports 11000-11999 are open to the managed instance",
            owner=Owner.NETWORK, observed="1000 filtered, 0 open", expected="all open",
            evidence=("tested from SQLPROD01 (10.20.1.10)", "timeout 2 s per port"),
        ),
        finding(
            "NSG-001", Status.FAIL, "Inbound rule deny-all-inbound (priority 200) blocks 5022 from 10.20.1.0/24",
            area=Area.NSG, title="The MI subnet NSG allows the link's inbound traffic", owner=Owner.NETWORK,
            observed="deny-all-inbound, priority 200", expected="allow 5022 and 11000-11999 from 10.20.1.0/24",
            fix=(CodeBlock(
                "azcli",
                "az network nsg rule create --resource-group rg-museum-data --nsg-name nsg-mi \\\n"
                "  --name allow-mi-link-in --priority 150 --direction Inbound --access Allow \\\n"
                "  --protocol Tcp --source-address-prefixes 10.20.1.0/24 \\\n"
                "  --destination-port-ranges 5022 11000-11999",
                "Allow the link through the NSG"),),
        ),
        finding(
            "MI-001", Status.PASS, "The managed instance is Ready", area=Area.MANAGED_INSTANCE,
            title="The managed instance is ready and idle", owner=Owner.AZURE, observed="Ready", expected="Ready",
        ),
        finding(
            "PLAN-003", Status.WARN, "Database list holds <script>alert('x')</script> & friends",
            area=Area.PLAN, title="The planned database list is valid", target="<b>evil</b>",
            severity=Severity.MEDIUM, observed="\"quoted\" & <tagged>", expected="plain names",
        ),
    ]


def rich_report(*, branding: Branding | None = None) -> Report:
    snapshot = sample_snapshot((
        ProbeError("azure", "azure.source_vm_nsgs", "not_found",
                   "the SQL Server is not an Azure VM (no NIC found for 10.20.1.10)"),
        ProbeError("sql", "sql.permissions", "permission",
                   "The SELECT permission was denied on sys.dm_hadr_database_replica_states"),
    ))
    return make_report(
        rich_findings(), snapshot=snapshot,
        branding=branding or Branding(
            customer="Contoso Museums", prepared_by="Fabrikam Data Consulting", logo_data_uri=LOGO,
            summary="Two of the three databases can be linked once the endpoint is started and the network team "
                    "opens the redirect ports. Ticketing needs a change of recovery model first.",
        ),
    )


_AREAS = list(Area)
_OWNERS = list(Owner)


def estate_findings(n: int = 10_000) -> list[Finding]:
    """An estate run: many instances and databases, mostly PASS, deterministic."""
    out = []
    for i in range(n):
        bucket = i % 100
        status = (Status.FAIL if bucket < 5 else Status.WARN if bucket < 9 else Status.SKIP if bucket < 12
                  else Status.ERROR if bucket < 14 else Status.WAIVED if bucket < 15 else Status.PASS)
        area = _AREAS[i % len(_AREAS)]
        check_id = f"{area.value[:3].upper()}-{(i // len(_AREAS)) % 40 + 1:03d}"
        target = f"sql{i // 400:02d}/db{i:05d}"
        out.append(finding(
            check_id, status, f"{check_id} on {target}: observed value {i % 7} against the expected 0",
            area=area, title=f"Estate condition {check_id} holds", target=target, owner=_OWNERS[i % 3],
            severity=list(Severity)[i % 5], observed=str(i % 7), expected="0",
            waiver=Waiver(check_id, "Accepted for the pilot", "Estate owner", date(2027, 1, 31), target)
            if status is Status.WAIVED else None,
            fix=(CodeBlock("tsql", f"-- fix {check_id} on {target}\nSELECT 1;", "Fix"),)
            if status in (Status.FAIL, Status.WARN) else (),
        ))
    return out


def estate_report(n: int = 10_000) -> Report:
    return make_report(estate_findings(n), branding=Branding(customer="Northwind Estate", prepared_by="Platform team"))
