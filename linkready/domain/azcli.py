"""The az CLI commands linkready prints for links and certificates, in one place.

Checked against the real azure-cli parser (tests/conformance/test_az_commands.py): ``az sql mi link
create`` has no ``--replication-mode`` since 2024 (``az sql mi link update`` sets it), ``--databases``
takes the shorthand list form, and ``partner-cert create`` takes ``--public-blob``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: ``az sql mi endpoint-cert show`` prints publicBlob with or without 0x depending on the version:
#: normalising in the shell avoids ``0x0x…``.
ENDPOINT_BLOB_SHELL = "blob=$(az sql mi endpoint-cert show {target} --endpoint-type DATABASE_MIRRORING " \
    "--query publicBlob -o tsv); echo \"0x${{blob#0x}}\""


def shell_quote(text: str) -> str:
    """The text as one POSIX shell word (single-quoted unless it is plainly safe)."""
    if re.fullmatch(r"[A-Za-z0-9_./:=@,+-]+", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def hex_blob(value: str) -> str:
    """``0x`` + upper-case hex, whether or not the value already starts with 0x (never ``0x0x``)."""
    text = value.strip()
    return "0x" + (text[2:] if text.lower().startswith("0x") else text).upper()


def databases_argument(databases: Sequence[str]) -> str:
    """``--databases`` in the shorthand list form the current CLI takes: ``[{database-name:db}]``."""
    items = ",".join("{database-name:" + name + "}" for name in databases)
    return shell_quote("[" + items + "]")


def link_create(
    target: str,
    *,
    name: str,
    instance_ag: str,
    partner_ag: str,
    partner_endpoint: str,
    databases: Sequence[str],
    link_mode: str = "SingleDatabase",
    failover_mode: str = "",
    instance_link_role: str = "",
) -> str:
    """``az sql mi link create``; ``target`` is ``--resource-group X --instance-name Y``."""
    options = []
    if link_mode.lower() == "multidatabase":
        options.append("--link-mode MultiDatabase")
    if failover_mode:
        options.append(f"--failover-mode {failover_mode}")
    if instance_link_role:
        options.append(f"--instance-link-role {instance_link_role}")
    tail = (" \\\n  " + " ".join(options)) if options else ""
    return (
        f"az sql mi link create {target} --name {shell_quote(name)} \\\n"
        f"  --instance-ag-name {shell_quote(instance_ag)} --partner-ag-name {shell_quote(partner_ag)} \\\n"
        f"  --partner-endpoint {shell_quote(partner_endpoint)} --databases {databases_argument(databases)}"
        + tail
    )


def link_set_replication_mode(target: str, *, name: str, replication_mode: str) -> str:
    """The replication mode is set after creation (``create`` no longer takes it)."""
    return f"az sql mi link update {target} --name {shell_quote(name)} --replication-mode {shell_quote(replication_mode)}"


def link_failover(target: str, *, name: str, failover_type: str = "Planned") -> str:
    """Fail the link over from the managed instance (the service takes a planned one only where it is primary)."""
    return f"az sql mi link failover {target} --name {shell_quote(name)} --failover-type {shell_quote(failover_type)}"


def partner_cert_create(target: str, *, name: str, blob: str) -> str:
    """Trust SQL Server's endpoint certificate on the managed instance (server trust certificate)."""
    return f"az sql mi partner-cert create {target} \\\n  --name {shell_quote(name)} \\\n  --public-blob {blob}"


def nsg_rule_create(
    *,
    group: str,
    nsg_name: str,
    name: str,
    priority: int,
    direction: str,
    sources: Sequence[str],
    destinations: Sequence[str],
    ports: str,
    description: str = "",
) -> str:
    """``az network nsg rule create``: allow TCP ``ports`` from ``sources`` to ``destinations``.

    The NSG checks' fixes and the network flows table both print it; the priority and the name are
    the caller's to choose free (``flows.assign_commands``), the parser checks the rest.
    """
    tail = f" \\\n  --description {shell_quote(description)}" if description else ""
    return (
        f"az network nsg rule create --resource-group {shell_quote(group)} --nsg-name {shell_quote(nsg_name)} \\\n"
        f"  --name {shell_quote(name)} --priority {priority} --direction {direction} --access Allow --protocol Tcp \\\n"
        f"  --source-address-prefixes {' '.join(sources)} --source-port-ranges '*' \\\n"
        f"  --destination-address-prefixes {' '.join(destinations)} --destination-port-ranges {ports}"
        + tail
    )


def partner_cert_delete(target: str, *, name: str) -> str:
    """Remove a server trust certificate from the managed instance (``--yes``: no prompt in a script)."""
    return f"az sql mi partner-cert delete {target} --name {shell_quote(name)} --yes"
