"""What a runbook is made of: steps, the pieces each phase returns, and what every phase reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from linkready.domain.azcli import shell_quote
from linkready.domain.clouds import CLOUDS
from linkready.facts import Facts
from linkready.facts.sql import MirroringEndpoint, SqlCertificate
from linkready.model import CodeBlock, Finding, Verdict

MASTER_KEY_VARIABLE = "MASTER_KEY_PASSWORD"
MI_CERT_VARIABLE = "MI_ENDPOINT_CERT_HEX"
SQL_CERT_VARIABLE = "SQL_CERT_PUBLIC_KEY"
DEFAULT_ENDPOINT_NAME = "Hadr_endpoint"
#: Issuer mapping suffix per cloud: the MI endpoint certificates are issued for this domain.
CLOUD_SUFFIXES = {c.name: c.issuer_pattern for c in CLOUDS.values()}
#: Step numbers are "<script prefix>.<position in that script>".
SCRIPT_PREFIX = {"sql": "1", "mi": "2", "verify": "3"}


class RunbookError(ValueError):
    """The snapshot lacks something no runbook can do without (one line, names the fact)."""


@dataclass(frozen=True)
class Step:
    """One step: what to run where, why, and how to check it worked."""

    number: str
    title: str
    #: "sql" (01-sqlserver.sql), "mi" (02-managed-instance.sh) or "verify" (03-verify.sql).
    script: str
    why: str
    #: T-SQL statements (script "sql"/"verify") or shell commands (script "mi"), in order.
    commands: tuple[str, ...]
    #: Queries (T-SQL for SQL Server steps, az CLI for MI steps) that show the step worked.
    verify: tuple[str, ...] = ()
    note: str = ""


def step(title: str, script: str, why: str, commands: list[str], verify: list[str] | None = None,
         note: str = "") -> Step:
    """A step not numbered yet: numbers are given when the phases are put together."""
    return Step("", title, script, why, tuple(commands), tuple(verify or ()), note)


@dataclass(frozen=True)
class Piece:
    """What one phase contributes: its steps, what the facts show in place, the variables it needs."""

    steps: tuple[Step, ...] = ()
    in_place: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Prerequisite:
    """A change a finding recommends that must be made before the link (the instance refuses it while seeding)."""

    check_id: str
    target: str
    message: str
    remediation: str
    fix: tuple[CodeBlock, ...] = ()
    #: False when the check could not be evaluated (ERROR): whether the change is needed is unknown.
    known: bool = True
    #: The check's title: what an unknown line could not tell.
    title: str = ""


@dataclass(frozen=True)
class Runbook:
    title: str
    verdict: Verdict
    forced: bool
    digest: str
    generated_at: datetime
    steps: tuple[Step, ...]
    #: Things the facts show are already in place (no step generated).
    in_place: tuple[str, ...] = ()
    #: Variables the user sets before running (name, how to obtain it).
    variables: tuple[tuple[str, str], ...] = ()
    blockers: tuple[Finding, ...] = ()
    #: Changes to make before the first step (empty: none applies).
    prerequisites: tuple[Prerequisite, ...] = ()
    facts_summary: dict[str, str] = field(default_factory=dict)
    server: str = ""


@dataclass(frozen=True)
class Context:
    """The facts every phase reads, resolved once (and checked: a missing essential is a RunbookError)."""

    facts: Facts
    generated_at: datetime
    server: str
    version: str
    edition: str
    major: int
    group: str
    mi_name: str
    mi_fqdn: str
    master_key_present: bool | None
    certificates: tuple[SqlCertificate, ...]
    endpoint: MirroringEndpoint | None
    #: The endpoint certificate with a usable private key, if SQL Server has one.
    sql_cert: SqlCertificate | None
    cert_name: str
    #: Port of the first link's partner endpoint: a new mirroring endpoint listens there.
    first_port: int
    existing_ags: frozenset[str]

    @property
    def target(self) -> str:
        """The az CLI arguments that name the managed instance."""
        return f"--resource-group {shell_quote(self.group)} --instance-name {shell_quote(self.mi_name)}"


def hex_blob(der_hex: str) -> str:
    """DER as T-SQL/az binary: 0x-prefixed upper-case hex (a RunbookError when it is not hex)."""
    value = der_hex.strip()
    value = value[2:] if value.lower().startswith("0x") else value
    if not re.fullmatch(r"[0-9A-Fa-f]+", value) or len(value) % 2:
        raise RunbookError("a certificate in the snapshot is not hexadecimal DER")
    return "0x" + value.upper()
