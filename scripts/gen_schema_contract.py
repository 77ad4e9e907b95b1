#!/usr/bin/env python3
"""Regenerate ``tests/conformance/schema_contract.json`` from Microsoft's reference pages.

What is referenced comes from the product itself: every SELECT the SQL probe can send and every one
linkready prints (``tests/conformance/queries.py``), parsed with sqlglot. Where each object and
column comes from is pinned below (MicrosoftDocs/sql-docs path + commit). The pages are read from
a local cache (``$LINKREADY_SQL_DOCS``, default ``~/.cache/linkready/sql-docs/<commit>/<path>``;
nothing of the pages is committed, only the facts this script draws from them: object, column,
lowest SQL Server major version). A referenced column its page does not list stops the script.

    python scripts/gen_schema_contract.py           # write the file (needs the cache)
    python scripts/gen_schema_contract.py --only sys.availability_groups ...
                                                    # rewrite only those objects' entries (needs only
                                                    # their pages cached; the rest of the file is kept)
    python scripts/gen_schema_contract.py --check   # exit 1 when the file is stale: with the cache,
                                                    # regenerated and compared; without it, every
                                                    # referenced name must be in the file with its pinned source
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "conformance" / "schema_contract.json"
CACHE = Path(os.environ.get("LINKREADY_SQL_DOCS", Path.home() / ".cache" / "linkready" / "sql-docs"))
REPO = "MicrosoftDocs/sql-docs"
CV = "docs/relational-databases/system-catalog-views/"
DMV = "docs/relational-databases/system-dynamic-management-views/"
TABLES = "docs/relational-databases/system-tables/"
FUNCS = "docs/t-sql/functions/"
#: The lowest major this contract speaks for (SQL Server 2016): older "applies to" notes mean "all".
FLOOR = 13

#: object → (page, commit) of the stored reference page the facts were read from.
SOURCES: dict[str, tuple[str, str]] = {
    "sys.all_objects": (CV + "sys-all-objects-transact-sql.md", "0012fba8a0bfa66945bf77c1329dde07e9e582e3"),
    "sys.availability_databases_cluster": (CV + "sys-availability-databases-cluster-transact-sql.md",
                                           "0730a54c013867c3d8214917943d7ca4d45f0f9c"),
    "sys.availability_group_listener_ip_addresses": (CV + "sys-availability-group-listener-ip-addresses-transact-sql.md",
                                                     "07a65d0d50f4372d4a4af019b733c7b04ad04091"),
    "sys.availability_group_listeners": (CV + "sys-availability-group-listeners-transact-sql.md",
                                         "00e01244edabb266fbdde9727001a4f3d2272fd4"),
    "sys.availability_groups": (CV + "sys-availability-groups-transact-sql.md",
                                "00e01244edabb266fbdde9727001a4f3d2272fd4"),
    "sys.availability_replicas": (CV + "sys-availability-replicas-transact-sql.md",
                                  "02d7f50dea000c65eb707d4dacd21836e2e61fc8"),
    "sys.certificates": (CV + "sys-certificates-transact-sql.md", "09a0bb13ca22daf585b30c73a0d9727a4704fff4"),
    "sys.data_spaces": (CV + "sys-data-spaces-transact-sql.md", "07a65d0d50f4372d4a4af019b733c7b04ad04091"),
    "sys.database_files": (CV + "sys-database-files-transact-sql.md", "0448eab4ffff0f0d0b6943f47edff2711a26318d"),
    "sys.database_mirroring_endpoints": (CV + "sys-database-mirroring-endpoints-transact-sql.md",
                                         "07a65d0d50f4372d4a4af019b733c7b04ad04091"),
    "sys.database_recovery_status": (CV + "sys-database-recovery-status-transact-sql.md",
                                     "02d7f50dea000c65eb707d4dacd21836e2e61fc8"),
    "sys.databases": (CV + "sys-databases-transact-sql.md", "f29335f92247a8c47b03760629f891ab15570dd7"),
    "sys.endpoints": (CV + "sys-endpoints-transact-sql.md", "01aa880b1f1f11e9a433bce5c2a689d53ea3314a"),
    "sys.filegroups": (CV + "sys-filegroups-transact-sql.md", "067d6a0d6f3494babdbf5882648932a48cb0253b"),
    "sys.master_files": (CV + "sys-master-files-transact-sql.md", "01aa880b1f1f11e9a433bce5c2a689d53ea3314a"),
    "sys.server_audits": (CV + "sys-server-audits-transact-sql.md", "002ebd403d4d1a2e4bb3153e6c6d79053fbd5354"),
    "sys.symmetric_keys": (CV + "sys-symmetric-keys-transact-sql.md", "010d3de67cd9c8004ab4a1648817c125100d7bb0"),
    "sys.tables": (CV + "sys-tables-transact-sql.md", "067d6a0d6f3494babdbf5882648932a48cb0253b"),
    "sys.tcp_endpoints": (CV + "sys-tcp-endpoints-transact-sql.md", "07a65d0d50f4372d4a4af019b733c7b04ad04091"),
    "sys.dm_database_encryption_keys": (DMV + "sys-dm-database-encryption-keys-transact-sql.md",
                                        "00e01244edabb266fbdde9727001a4f3d2272fd4"),
    "sys.dm_hadr_automatic_seeding": (DMV + "sys-dm-hadr-automatic-seeding.md",
                                      "b97d209a3c1750d29c0cc18de1215115b6cd06ba"),
    "sys.dm_hadr_availability_replica_states": (DMV + "sys-dm-hadr-availability-replica-states-transact-sql.md",
                                                "07a65d0d50f4372d4a4af019b733c7b04ad04091"),
    "sys.dm_hadr_database_replica_states": (DMV + "sys-dm-hadr-database-replica-states-transact-sql.md",
                                            "00e01244edabb266fbdde9727001a4f3d2272fd4"),
    "sys.dm_hadr_physical_seeding_stats": (DMV + "sys-dm_hadr_physical_seeding_stats.md",
                                           "4ef08bc99828c4e92875f011178e8f8fb916cefc"),
    "sys.dm_os_host_info": (DMV + "sys-dm-os-host-info-transact-sql.md", "02d7f50dea000c65eb707d4dacd21836e2e61fc8"),
    "sys.dm_os_performance_counters": (DMV + "sys-dm-os-performance-counters-transact-sql.md",
                                       "029873b7fed8f9feab8c605110db59bcb8b54bb4"),
    "sys.dm_os_sys_info": (DMV + "sys-dm-os-sys-info-transact-sql.md", "00823cf4cae602824bef8d107865a8bf169ac048"),
    "sys.dm_server_registry": (DMV + "sys-dm-server-registry-transact-sql.md",
                               "02d7f50dea000c65eb707d4dacd21836e2e61fc8"),
    "sys.dm_tran_persistent_version_store_stats": (DMV + "sys-dm-tran-persistent-version-store-stats.md",
                                                   "0c7c28c725775cda62ba26a7555f88d172169e22"),
    "sys.fn_my_permissions": ("docs/relational-databases/system-functions/sys-fn-my-permissions-transact-sql.md",
                              "0448eab4ffff0f0d0b6943f47edff2711a26318d"),
    "msdb.dbo.backupset": (TABLES + "backupset-transact-sql.md", "0568b49ce7054efd1b7cb1fd14a0a5b13359fda1"),
    "msdb.dbo.sysjobs": (TABLES + "dbo-sysjobs-transact-sql.md", "0f735b009eccc3ba22d8876f520476a9e855f54c"),
    "msdb.dbo.sysjobsteps": (TABLES + "dbo-sysjobsteps-transact-sql.md", "02d7f50dea000c65eb707d4dacd21836e2e61fc8"),
    "msdb.dbo.sysjobstepslogs": (TABLES + "dbo-sysjobstepslogs-transact-sql.md",
                                 "029873b7fed8f9feab8c605110db59bcb8b54bb4"),
}
#: Catalog views whose page says "inherits columns from" another view.
INHERITS = {"sys.database_mirroring_endpoints": "sys.endpoints", "sys.tcp_endpoints": "sys.endpoints",
            "sys.filegroups": "sys.data_spaces"}
#: Built-in functions (all in every supported version), with their reference page and commit.
FUNCTIONS: dict[str, tuple[str, str]] = {
    "SERVERPROPERTY": (FUNCS + "serverproperty-transact-sql.md", "4a082dd68a1d0b68ff611b4edb444a867ae7850d"),
    "CERTENCODED": (FUNCS + "certencoded-transact-sql.md", "09a0bb13ca22daf585b30c73a0d9727a4704fff4"),
    "CERT_ID": (FUNCS + "cert-id-transact-sql.md", "4a082dd68a1d0b68ff611b4edb444a867ae7850d"),
    "HAS_PERMS_BY_NAME": (FUNCS + "has-perms-by-name-transact-sql.md", "2f6b70738a1496197e829bc408235826d957d0a5"),
    "IS_SRVROLEMEMBER": (FUNCS + "is-srvrolemember-transact-sql.md", "b752620f61a7f65e2a6f641e96b5c5e108383db3"),
    "SUSER_SNAME": (FUNCS + "suser-sname-transact-sql.md", "d6db352cbc7b9f7aa9ccf8e1fc00ee251de2e37c"),
    "SCHEMA_ID": (FUNCS + "schema-id-transact-sql.md", "933c96e31082e577b88c01d0192cd1bb7a992941"),
    "DB_NAME": (FUNCS + "db-name-transact-sql.md", "4a082dd68a1d0b68ff611b4edb444a867ae7850d"),
    "FN_MY_PERMISSIONS": SOURCES["sys.fn_my_permissions"],
}
#: Columns whose stored page is known to misspell them, with the spelling the engine uses and why.
ERRATA = {
    ("sys.dm_hadr_physical_seeding_stats", "transferred_size_bytes"): (
        "transfered_size_bytes",
        "the reference page at this commit spells it 'transfered'; the engine and Microsoft's automatic "
        "seeding troubleshooting page use transferred_size_bytes"),
}

#: Version includes and "(NN.x)" notes → SQL Server major version.
VERSION_TOKENS = (
    (r"sqlserver2017|sssql17|sssqlv14|sql-server-2017|ssSQLv14", 14),
    (r"sqlserver2019|sssql19|sssqlv15|sql-server-2019", 15),
    (r"sqlserver2022|sssql22|sssqlv16|sql-server-2022", 16),
    (r"sqlserver2025|sssql25|sssqlv17|sql-server-2025", 17),
    (r"sssql16|sql-server-2016|ssSQL15", 13),
)
ROW = re.compile(r"^\|\s*(?:\*\*)?([A-Za-z_\\<>][\w\\<> ]*?)(?:\*\*)?\s*\|\s*([^|]*)\|(.*)$")


def version_in(text: str) -> int | None:
    """The SQL Server major an include or note names (None: none, or only older ones)."""
    for pattern, major in VERSION_TOKENS:
        if re.search(pattern, text, re.IGNORECASE):
            return major
    match = re.search(r"\((\d\d)\.x\)", text)
    return int(match.group(1)) if match else None


def parse_page(text: str) -> tuple[int | None, dict[str, int | None]]:
    """(lowest major of the object, {column: lowest major or None when not on SQL Server})."""
    lines = text.splitlines()
    head = next((line for line in lines if "[!INCLUDE" in line), "")
    page_since = version_in(head) or FLOOR
    columns: dict[str, int | None] = {}
    for line in lines:
        match = ROW.match(line.strip())
        if match is None or match.group(1).lower() in ("column name", "-") or "inherited" in match.group(1):
            continue
        rest = match.group(3)
        if not match.group(2).strip() or set(match.group(2).strip()) <= {"-"}:
            continue
        since: int | None = page_since
        note = re.search(r"(\*\*Applies to:?\*\*:?|Introduced in|Starting with)(.*)", rest)
        if note is not None:
            fragment = note.group(2)
            if not re.search(r"sql-?server|sssql|ssNoVersion|sqlserver|\(\d\d\.x\)|sssqlv|sql20", fragment,
                             re.IGNORECASE):
                since = None  # Azure SQL Database, Synapse, PDW only
            else:
                since = max(page_since, version_in(fragment) or FLOOR)
        columns[match.group(1).lower().replace("\\_", "_")] = since
    return page_since, columns


def read_page(name: str) -> str:
    path, commit = SOURCES[name]
    return (CACHE / commit / path).read_text(encoding="utf-8")


def _columns_of(name: str) -> dict[str, int | None]:
    _, columns = parse_page(read_page(name))
    parent = INHERITS.get(name)
    return {**(_columns_of(parent) if parent else {}), **columns}


def referenced() -> dict[str, set[str]]:
    """{object: {columns}} and {'()': {functions}} that linkready's statements use."""
    sys.path.insert(0, str(ROOT))
    from tests.conformance.queries import printed, sent
    from tests.conformance.schema import references

    out: dict[str, set[str]] = {"()": set()}
    texts = [text for _, _, text in sent()] + [text for _, text in printed()]
    for text in texts:
        for ref in references(text):
            if ref.kind == "function":
                out["()"].add(ref.object)
            elif ref.kind == "object":
                out.setdefault(ref.object, set())
            elif "|" not in ref.object and not ref.object.startswith("("):
                out.setdefault(ref.object, set()).add(ref.column)
    return out


def _object_entry(name: str, columns: set[str]) -> dict[str, object]:
    if name not in SOURCES:
        raise SystemExit(f"gen_schema_contract: no reference page pinned for {name}: add it to SOURCES")
    page_since, _ = parse_page(read_page(name))
    documented = _columns_of(name)
    entry_columns: dict[str, dict[str, object]] = {}
    for column in sorted(columns):
        erratum = ERRATA.get((name, column))
        key = erratum[0] if erratum else column
        if key not in documented or documented[key] is None:
            raise SystemExit(f"gen_schema_contract: {name}.{column} is not a SQL Server column on {SOURCES[name][0]}")
        entry_columns[column] = {"since": documented[key], **({"erratum": erratum[1]} if erratum else {})}
    path, commit = SOURCES[name]
    return {"source": path, "commit": commit, "since": page_since, "columns": entry_columns}


def build() -> dict[str, object]:
    refs = referenced()
    functions = sorted(refs.pop("()"))
    unknown = [f for f in functions if f not in FUNCTIONS]
    if unknown:
        raise SystemExit(f"gen_schema_contract: no reference page pinned for function(s) {', '.join(unknown)}")
    return {
        "_": "Generated by scripts/gen_schema_contract.py from MicrosoftDocs/sql-docs reference pages; "
             "facts only (object, column, lowest SQL Server major). Do not edit by hand.",
        "repository": REPO,
        "objects": {name: _object_entry(name, cols) for name, cols in sorted(refs.items())},
        "functions": {name: {"source": FUNCTIONS[name][0], "commit": FUNCTIONS[name][1], "since": FLOOR}
                      for name in functions},
    }


def render(data: dict[str, object]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _check_without_cache() -> list[str]:
    data = json.loads(OUTPUT.read_text(encoding="utf-8"))
    problems = []
    refs = referenced()
    for function in refs.pop("()"):
        if function not in data["functions"]:
            problems.append(f"function {function} is referenced but not in the contract")
    for name, columns in refs.items():
        entry = data["objects"].get(name)
        if entry is None:
            problems.append(f"{name} is referenced but not in the contract")
            continue
        if (entry["source"], entry["commit"]) != SOURCES.get(name):
            problems.append(f"{name}: source differs from the pinned page")
        problems += [f"{name}.{c} is referenced but not in the contract" for c in sorted(columns - set(entry["columns"]))]
    return problems


def _update_only(names: list[str]) -> int:
    """Rewrite the named objects' entries from their cached pages; every other entry stays as it is."""
    refs = referenced()
    data = json.loads(OUTPUT.read_text(encoding="utf-8"))
    for name in names:
        if name not in refs:
            print(f"gen_schema_contract: {name} is not referenced by any statement", file=sys.stderr)
            return 2
        path, commit = SOURCES.get(name, ("", ""))
        if not (CACHE / commit / path).exists():
            print(f"gen_schema_contract: {name}'s page is not cached: {CACHE / commit / path}", file=sys.stderr)
            return 2
        data["objects"][name] = _object_entry(name, refs[name])
    OUTPUT.write_text(render(data), encoding="utf-8")
    print(f"updated {', '.join(names)} in {OUTPUT.relative_to(ROOT)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the contract is stale")
    parser.add_argument("--only", nargs="+", metavar="OBJECT",
                        help="regenerate only these objects' entries (only their pages need the cache)")
    args = parser.parse_args()
    if args.only:
        return _update_only(args.only)
    cached = all((CACHE / commit / path).exists() for path, commit in SOURCES.values())
    if args.check:
        if cached:
            stale = OUTPUT.read_text(encoding="utf-8") != render(build())
            problems = ["the contract differs from what the cached pages give: regenerate it"] if stale else []
        else:
            problems = _check_without_cache()
        for problem in problems:
            print(f"gen_schema_contract: {problem}", file=sys.stderr)
        return 1 if problems else 0
    if not cached:
        missing = [f"{commit}/{path}" for path, commit in SOURCES.values() if not (CACHE / commit / path).exists()]
        print(f"gen_schema_contract: reference pages not cached under {CACHE}: {', '.join(missing[:3])}…",
              file=sys.stderr)
        return 2
    OUTPUT.write_text(render(build()), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
