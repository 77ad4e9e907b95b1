"""The link runbook's four files: runbook.md, 01-sqlserver.sql, 02-managed-instance.sh, 03-verify.sql.

``linkready.tools.runbook`` decides the steps; this module only writes them out.
"""

from __future__ import annotations

from linkready.domain.docs import DOCS_SCRIPTS
from linkready.tools.runbook import SQL_CERT_VARIABLE, Runbook
from linkready.tools.runbook.prerequisites import SEEDING_REFUSES


def files(runbook: Runbook) -> dict[str, str]:
    """File name → text, in the order the user reads and runs them."""
    return {
        "runbook.md": render_markdown(runbook),
        "01-sqlserver.sql": render_sql(runbook, "sql"),
        "02-managed-instance.sh": render_shell(runbook),
        "03-verify.sql": render_sql(runbook, "verify"),
    }


def _banner(runbook: Runbook, comment: str) -> list[str]:
    lines = [
        f"{comment} {runbook.title}",
        f"{comment} Generated {runbook.generated_at.strftime('%Y-%m-%d %H:%M UTC')} by linkready from snapshot "
        f"{runbook.digest}",
        f"{comment} Preflight verdict: {runbook.verdict.value}. Nothing here has been run by linkready.",
    ]
    if runbook.forced:
        lines += [
            f"{comment} !!! GENERATED WITH --force: the preflight verdict is {runbook.verdict.value}, NOT Ready.",
            f"{comment} !!! Fix the blocking findings listed in runbook.md first, or these steps will fail.",
        ]
    return lines


def render_sql(runbook: Runbook, script: str) -> str:
    """01-sqlserver.sql or 03-verify.sql: one batch per step (sqlcmd / SSMS SQLCMD mode)."""
    lines = [*_banner(runbook, "--"), ""]
    if script == "sql":
        lines += ["-- Run with sqlcmd (or SSMS in SQLCMD mode) as a sysadmin, step by step.", ":on error exit", ""]
    lines += ["USE master;", "GO", ""]
    for step in (s for s in runbook.steps if s.script == script):
        lines.append(f"-- Step {step.number}: {step.title}")
        if step.note:
            lines.append(f"-- Note: {step.note}")
        lines += [f"{command};" for command in step.commands]
        lines.append("GO")
        for query in step.verify:
            lines += [f"-- Verify {step.number}:", f"{query};", "GO"]
        lines.append("")
    return "\n".join(lines)


def render_shell(runbook: Runbook) -> str:
    lines = ["#!/usr/bin/env bash", *_banner(runbook, "#"), "# Run after 01-sqlserver.sql, signed in with `az login`."]
    if runbook.prerequisites:
        checks = ", ".join(dict.fromkeys(p.check_id for p in runbook.prerequisites))
        lines += [f"# Before you start (runbook.md): make the changes {checks} recommend first.", f"# {SEEDING_REFUSES}"]
    lines += ["set -euo pipefail", ""]
    for step in (s for s in runbook.steps if s.script == "mi"):
        lines.append(f"# Step {step.number}: {step.title}")
        if step.note:
            lines.append(f"# Note: {step.note}")
            if f"${{{SQL_CERT_VARIABLE}}}" in " ".join(step.commands):
                lines.append(f': "${{{SQL_CERT_VARIABLE}:?set {SQL_CERT_VARIABLE} (see runbook.md, Variables)}}"')
        lines += list(step.commands)
        for command in step.verify:
            lines += [f"# Verify {step.number}:", command]
        lines.append("")
    return "\n".join(lines)


def _prerequisites(runbook: Runbook) -> list[str]:
    """The changes to make before the link, each with the finding's fix (the instance refuses them while seeding)."""
    if not runbook.prerequisites:
        return []
    out = ["## Before you start", "", SEEDING_REFUSES, ""]
    for item in runbook.prerequisites:
        where = f" ({item.target})" if item.target else ""
        if not item.known:
            reason = item.message.removeprefix("Could not evaluate: ")
            out.append(f"- `{item.check_id}` {item.title}{where}: could not tell ({reason}); check it before "
                       "creating the link.")
            continue
        # The finding's fix when it has one (the commands to copy); its remediation text otherwise.
        out.append(f"- `{item.check_id}` {item.message}{where}" + ("." if item.fix else f". {item.remediation}"))
        for block in item.fix:
            language = {"azcli": "bash", "shell": "bash", "tsql": "sql"}.get(block.language, "")
            out += ["", f"  ```{language}", *(f"  {line}" for line in block.code.splitlines()), "  ```"]
    out.append("")
    return out


def render_markdown(runbook: Runbook) -> str:
    out = [f"# {runbook.title}", ""]
    if runbook.forced:
        out += [
            f"> **Generated with `--force`: the preflight verdict is _{runbook.verdict.value}_, not Ready.** "
            "These steps will fail or create a broken link until the blocking findings below are fixed.",
            "",
        ]
    out += [
        f"Generated {runbook.generated_at.strftime('%Y-%m-%d %H:%M UTC')} from snapshot `{runbook.digest}`. "
        f"Preflight verdict: **{runbook.verdict.value}**. linkready has run nothing: review each step, run it, "
        "then run its verification before the next.",
        "",
    ]
    out += [f"- **{key}:** {value}" for key, value in runbook.facts_summary.items()]
    out.append("")
    if runbook.blockers:
        out += ["## Blocking findings (fix first)", ""]
        out += [f"- `{f.check_id}` {f.message}" + (f" ({f.target})" if f.target else "") for f in runbook.blockers]
        out.append("")
    out += _prerequisites(runbook)
    out += ["## Files", "",
            "| File | Where | How |", "|---|---|---|",
            f"| `01-sqlserver.sql` | SQL Server, as sysadmin | `sqlcmd -S {runbook.server} -E -i 01-sqlserver.sql` "
            "(or SSMS in SQLCMD mode) |",
            "| `02-managed-instance.sh` | Azure CLI, signed in | `bash 02-managed-instance.sh` |",
            "| `03-verify.sql` | SQL Server | after the link is created, and while seeding |", ""]
    if runbook.variables:
        out += ["## Variables you set", "",
                "linkready never generates or stores secrets. Set these in the environment of the shell that runs "
                "the scripts (sqlcmd reads scripting variables from the environment):", ""]
        out += [f"- `{name}`: {how}" for name, how in runbook.variables]
        out.append("")
    if runbook.in_place:
        out += ["## Already in place (no step needed)", ""]
        out += [f"- {item}" for item in runbook.in_place]
        out.append("")
    out += ["## Steps", ""]
    for step in runbook.steps:
        where = {"sql": "SQL Server — 01-sqlserver.sql", "mi": "Managed instance — 02-managed-instance.sh",
                 "verify": "SQL Server — 03-verify.sql"}[step.script]
        language = "bash" if step.script == "mi" else "sql"
        out += [f"### {step.number} {step.title}", "", f"*{where}.* {step.why}", ""]
        if step.note:
            out += [f"**Note:** {step.note}", ""]
        out += [f"```{language}", *((c + ";") if language == "sql" else c for c in step.commands), "```", ""]
        if step.verify:
            out += ["Verify:", "", f"```{language}",
                    *((q + ";") if language == "sql" else q for q in step.verify), "```", ""]
    out += [f"Reference: {DOCS_SCRIPTS}", ""]
    return "\n".join(out)
