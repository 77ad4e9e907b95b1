"""The network flows table: ``--format flows-csv`` (one row per flow and place) and the HTML/PDF section.

The rows are :func:`linkready.domain.flows.network_flows` over the report's facts: every flow the link
needs (source prefix -> destination prefix, ports, protocol, direction) at every place it must be open,
the state the facts show, and the ``az network nsg rule create`` that opens an NSG that blocks it.
Columns are fixed and documented (README); values are plain text, defused like ``--format csv``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from linkready.reports.csv_export import cell

from linkready.domain.flows import FlowRow, FlowState, FlowTable, network_flows
from linkready.model import Status
from linkready.report import Report

COLUMNS = ("number", "source", "source_prefixes", "destination", "destination_prefixes", "protocol", "ports",
           "direction", "where", "place", "state", "observed", "observed_by", "purpose", "az_command", "docs")

#: How a state looks: the finding status whose colour, shape and word it borrows (open is only open).
STATE_STATUS = {
    FlowState.OPEN: Status.PASS,
    FlowState.BLOCKED: Status.FAIL,
    FlowState.UNDECIDED: Status.WARN,
    FlowState.NOT_OBSERVED: Status.ERROR,
}


def table(report: Report) -> FlowTable:
    return network_flows(report.snapshot.facts)


def _prefixes(values: tuple[str, ...], note: str) -> str:
    return " ".join(values) if values else f"unknown: {note}"


def render(report: Report) -> str:
    """One CSV row per flow and place, header first (CRLF, like ``--format csv``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in table(report).rows:
        f = row.flow
        writer.writerow([cell(v) for v in (
            str(row.number), f.source_label, _prefixes(f.source, f.source_note), f.destination_label,
            _prefixes(f.destination, f.destination_note), f.protocol, f.ports, row.direction.value, row.where.value,
            row.place, row.state.value, row.observed, row.basis, f.purpose, one_line(row.command), f.docs)])
    return out.getvalue()


def data(report: Report) -> dict[str, Any]:
    """The JSON report's ``network_flows``: the CSV's rows with prefixes as lists and a one-line command."""
    flows = table(report)
    return {"rows": [{
        "number": r.number, "source": r.flow.source_label, "source_prefixes": list(r.flow.source),
        "destination": r.flow.destination_label, "destination_prefixes": list(r.flow.destination),
        "protocol": r.flow.protocol, "ports": r.flow.ports, "direction": r.direction.value, "where": r.where.value,
        "place": r.place, "state": r.state.value, "observed": r.observed, "observed_by": r.basis,
        "purpose": r.flow.purpose, "az_command": one_line(r.command), "docs": r.flow.docs,
    } for r in flows.rows], "notes": list(flows.notes)}


@dataclass(frozen=True)
class RowView:
    row: FlowRow
    status: Status
    #: The command as one line (the cell stays narrow; the copy button copies the same text).
    command: str
    code_id: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The command cut before each option: the page wraps between ``--option value`` pairs, not inside."""
        head, *options = self.command.split(" --")
        return (head, *(f"--{option}" for option in options)) if self.command else ()


@dataclass(frozen=True)
class Section:
    rows: tuple[RowView, ...]
    notes: tuple[str, ...]
    counts: tuple[tuple[FlowState, int], ...]
    docs: tuple[str, ...]
    #: Some row was observed; else the table is folded (on paper: one line) behind a summary.
    observed: bool = True


def one_line(command: str) -> str:
    return " ".join(command.replace("\\\n", " ").split())


def section(report: Report) -> Section:
    """The HTML section's view model."""
    flows = table(report)
    if not report.snapshot.facts.plan.links and all(r.state is FlowState.NOT_OBSERVED for r in flows.rows):
        return Section((), (), (), ())  # nothing planned and nothing seen: no section to read
    rows = tuple(RowView(r, STATE_STATUS[r.state], one_line(r.command) if r.command else "", f"flow-cmd-{r.number}")
                 for r in flows.rows)
    counts = tuple((state, flows.count(state)) for state in FlowState if flows.count(state))
    docs = tuple(dict.fromkeys(r.flow.docs for r in flows.rows))
    observed = any(r.state is not FlowState.NOT_OBSERVED for r in flows.rows)
    return Section(rows, flows.notes, counts, docs, observed)
