"""The PowerShell linkready prints, judged against each cmdlet's reference page (issue 14 §1).

Only cmdlets listed here may appear in a "powershell" block, each with the parameters its page
documents; a block must hold at least one command (a comment is not a command). Facts only: the
cmdlet, its module, the page it was read from, and its documented parameter names.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

COMMON = frozenset({"Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable",
                    "OutVariable", "OutBuffer", "PipelineVariable", "Verbose", "WarningAction", "WarningVariable",
                    "WhatIf", "Confirm"})


@dataclass(frozen=True)
class Cmdlet:
    module: str
    source: str
    parameters: frozenset[str]


VERIFIED: dict[str, Cmdlet] = {
    "Enable-SqlAlwaysOn": Cmdlet(
        "SqlServer",
        "MicrosoftDocs/sql-docs-powershell sqlserver-cmdlets/sqlserver/vlatest/Enable-SqlAlwaysOn.md "
        "@ b925b18b49186ab91cfeb5201e061d569d0eeae2",
        frozenset({"Path", "InputObject", "ServerInstance", "NoServiceRestart", "Force", "Credential"})),
    "Add-DnsServerConditionalForwarderZone": Cmdlet(
        "DnsServer",
        "MicrosoftDocs/windows-powershell-docs dnsserver/Add-DnsServerConditionalForwarderZone.md "
        "(ms.date 12/20/2016; stored copy read through the search index, id 7269532528)",
        frozenset({"LoadExisting", "MasterServers", "ComputerName", "UseRecursion", "ForwarderTimeout", "PassThru",
                   "DirectoryPartitionName", "ReplicationScope", "Name", "CimSession", "ThrottleLimit", "AsJob"})),
}
CMDLET = re.compile(r"^[A-Z][a-z]+-[A-Za-z]+$")


def problems(block: str) -> list[str]:
    """What a real PowerShell host would reject or a reviewer could not run; empty when the block is good."""
    commands = [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not commands:
        return ["a comment is not a command: the block holds nothing that runs"]
    found = []
    for command in commands:
        words = shlex.split(command, posix=False)
        name = words[0]
        cmdlet = VERIFIED.get(name)
        if cmdlet is None:
            found.append(f"{name} is not checked against its reference page" if CMDLET.match(name)
                         else f"{name} is not a cmdlet")
            continue
        for word in words[1:]:
            if word.startswith("-") and not word[1:].replace(".", "").isdigit():
                parameter = word[1:].rstrip(":")
                if parameter not in cmdlet.parameters | COMMON:
                    found.append(f"{name} has no parameter -{parameter} ({cmdlet.source})")
    return found
