"""Every SELECT linkready sends (the probe's statement catalogue) or prints (runbook steps and
verification, finding fixes, network-test, grant-script), with the SQL Server versions it is for."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from linkready.checks import all_checks

from linkready.commands.grant_script import grant_script
from linkready.domain.network_tsql import tsql_for
from linkready.engine import run_check
from linkready.model import Settings, Verdict
from linkready.probes.sql.statements import STATEMENTS
from linkready.tools.runbook import generate
from tests.conformance.az_commands import _fill, _scenarios, runbook_shapes
from tests.conftest import ROOT

#: The majors linkready supports as a link source: 2016 … 2025.
MAJORS = (13, 14, 15, 16, 17)
#: Printed queries are for a server that can host a link today (SQL Server 2016 SP3 and later).
PRINTED_MAJOR = 13
SELECT_WORD = re.compile(r"\bSELECT\b", re.IGNORECASE)
STRING = re.compile(r"'(?:[^']|'')*'")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def selects_in(script: str) -> Iterator[str]:
    """Each SELECT in a T-SQL script: a parenthesised one up to its closing parenthesis, a top-level
    one up to its ';' (or the end); comments and sqlcmd lines dropped, variables kept as written."""
    lines = [line.split("--")[0] for line in script.splitlines() if not line.lstrip().startswith(":")]
    text = "\n".join(lines)
    # A SELECT inside a string literal (a PRINT message) is not one; GRANT SELECT is a permission.
    masked = STRING.sub(lambda m: "'" + "x" * (len(m.group()) - 2) + "'", text)
    for match in SELECT_WORD.finditer(masked):
        before = text[:match.start()].rstrip()
        if re.search(r"\b(GRANT|DENY|REVOKE)\s*$", before, re.IGNORECASE):
            continue
        if before.endswith("(") and not before.upper().endswith(("IN (", "IN(")):
            depth, end = 1, match.start()
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            yield " ".join(text[match.start():end - 1].split())
        elif not re.search(r"[(,]\s*$|\bAS\s*$|\bUNION(\s+ALL)?\s*$", before, re.IGNORECASE):
            end = text.find(";", match.start())
            stop = re.search(r"\n\s*(GO|IF|EXEC|WHILE|BEGIN|END|PRINT|DECLARE|SET|USE)\b", text[match.start():])
            limit = len(text) if end < 0 else end
            if stop is not None:
                limit = min(limit, match.start() + stop.start())
            yield " ".join(text[match.start():limit].split())


def sent() -> list[tuple[str, int, str]]:
    """(where, major, text) for every statement the probe can send, each variant on each major it serves."""
    out = []
    for statement in STATEMENTS:
        for major in MAJORS:
            text = statement.text(major, "Sales")
            if text is not None and SELECT_WORD.search(text.split("*/", 1)[-1][:12]):
                out.append((f"probe {statement.name} on {major}", major, text))
    return out


def fix_blocks(language: str) -> Iterator[tuple[str, str]]:
    """(where, code) of every fix block in ``language`` that a scenario's findings carry."""
    for name, facts in _scenarios().items():
        for spec in all_checks():
            for finding in run_check(spec, facts, Settings({})):
                for block in finding.fix:
                    if block.language == language:
                        yield f"{name}:{finding.check_id} fix", block.code


def _fix_selects() -> Iterator[tuple[str, str]]:
    for where, code in fix_blocks("tsql"):
        for select in selects_in(code):
            yield where, select


def _runbook_selects() -> Iterator[tuple[str, str]]:
    for name, facts in runbook_shapes().items():
        runbook = generate(facts, verdict=Verdict.READY, digest="sha256:0", generated_at=NOW)
        for step in runbook.steps:
            if step.script == "mi":
                continue
            for text in (*step.commands, *step.verify):
                for select in selects_in(text):
                    yield f"runbook {name} step {step.number}", select


def printed() -> list[tuple[str, str]]:
    """(where, text) for every SELECT linkready prints, without repeats."""
    found = [*_runbook_selects(), *_fix_selects(), *static_selects(),
             *(("network-test", s) for s in selects_in(tsql_for("sql1.contoso.com", 5022))),
             *(("grant-script", s) for s in selects_in(grant_script("linkready")))]
    seen: dict[str, str] = {}
    for where, text in found:
        seen.setdefault(text, where)
    return [(where, text) for text, where in seen.items()]


def static_selects() -> Iterator[tuple[str, str]]:
    """SELECTs written as string literals in checks/ (finding fixes and messages a scenario may not reach),
    placeholders filled with typed dummies as for the az commands."""
    for path in sorted((ROOT / "checks").rglob("*.py")):
        tree = ast.parse(path.read_text())
        pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if id(node) in pieces or not isinstance(node, (ast.JoinedStr, ast.Constant)):
                continue
            # A placeholder compared with = is a value (a thumbprint): fill it with a binary literal.
            text = re.sub(r"= x1\b", "= 0x00AB", _fill(node, ""))
            if isinstance(text, str) and re.search(r"\bSELECT\b.*\bFROM\b|CERTENCODED", text, re.DOTALL):
                for select in selects_in(text):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", select
