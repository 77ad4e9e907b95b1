"""Rules for names in a link plan, shared by config validation and the PLAN checks."""

from __future__ import annotations

import re

SYSTEM_DATABASES = frozenset({"master", "model", "msdb", "tempdb"})
SYSNAME_MAX = 128
#: Multiple-database link names: lowercase letters, digits and hyphens, not at either end.
MULTI_DB_LINK_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
#: Characters that break the T-SQL and az CLI the link setup generates.
_BAD_NAME_CHARS = re.compile(r"[\[\]'\"\\/;\x00-\x1f]")


def database_list_problems(names: list[str]) -> list[str]:
    """Every reason a database list is malformed, in order; empty when it is fine."""
    problems: list[str] = []
    if not names:
        return ["the list is empty"]
    seen: dict[str, str] = {}
    for position, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            problems.append(f"entry {position} is empty (stray separator?)")
            continue
        if name != raw:
            problems.append(f"{raw!r} has leading or trailing spaces")
        if len(name) > SYSNAME_MAX:
            problems.append(f"{name[:20]!r}… is {len(name)} characters (at most {SYSNAME_MAX})")
        if name.lower() in SYSTEM_DATABASES:
            problems.append(f"{name!r} is a system database (only user databases can be replicated)")
        if _BAD_NAME_CHARS.search(name):
            problems.append(f"{name!r} contains a quote, bracket, slash, semicolon or control character")
        folded = name.lower()
        if folded in seen:
            problems.append(f"{name!r} is listed twice")
        seen[folded] = name
    return problems


def object_name_problems(kind: str, name: str) -> list[str]:
    """Problems with an availability group or link name (a SQL Server sysname)."""
    if not name.strip():
        return [f"{kind} is empty"]
    problems = []
    if len(name) > SYSNAME_MAX:
        problems.append(f"{kind} {name[:20]!r}… is longer than {SYSNAME_MAX} characters")
    if name != name.strip():
        problems.append(f"{kind} {name!r} has leading or trailing spaces")
    if _BAD_NAME_CHARS.search(name):
        problems.append(f"{kind} {name!r} contains a quote, bracket, slash, semicolon or control character")
    return problems
