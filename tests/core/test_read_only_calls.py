"""Read-only against the customer's Azure: ARM GET/list only, plus exactly one named exception.

The exception is Azure Resource Graph's query (``POST /providers/Microsoft.ResourceGraph/resources``),
which reads an index and changes nothing; only ``linkready/probes/resource_graph.py`` may send it
(its test proves the stand-in saw nothing else). Every other ARM call goes through the azure-mgmt
clients' get/list operations (the probes' own tests prove the ARM stand-in saw only GETs); this
test proves no source file calls a writing SDK operation or builds a non-GET raw request.
"""

from __future__ import annotations

import re

from tests.conftest import ROOT

SOURCES = [p for d in ("linkready", "checks", "reports") for p in (ROOT / d).rglob("*.py")]
#: Azure SDK operations that write (begin_create_or_update, begin_delete, begin_failover, update, ...).
WRITING = re.compile(r"\.(begin_\w+|create_or_update|delete|update|set_role|failover|start|stop)\(")
RAW_REQUEST = re.compile(r"HttpRequest\(\s*[\"'](?P<verb>[A-Z]+)[\"']")
RESOURCE_GRAPH = ROOT / "linkready" / "probes" / "resource_graph.py"


def test_no_source_calls_a_writing_sdk_operation() -> None:
    offenders = []
    for path in SOURCES:
        text = path.read_text("utf-8")
        if "azure" not in text:
            continue
        for match in WRITING.finditer(text):
            line = text[: match.start()].count("\n") + 1
            source_line = text.splitlines()[line - 1]
            # dict.update / set.update / threading Events are not SDK calls: only flag client attributes.
            if re.search(r"(client|\.sql|\.network|managed_instances|distributed_availability_groups)\.", source_line):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {source_line.strip()}")
    assert not offenders, offenders


def test_raw_requests_are_gets() -> None:
    verbs = {m.group("verb") for p in SOURCES for m in RAW_REQUEST.finditer(p.read_text("utf-8"))}
    assert verbs <= {"GET"}, verbs


def test_the_one_post_is_the_resource_graph_query_in_its_own_probe() -> None:
    users = sorted(str(p.relative_to(ROOT)) for p in SOURCES
                   if "ResourceGraphClient" in p.read_text("utf-8") or ".resources(" in p.read_text("utf-8"))
    assert users == [str(RESOURCE_GRAPH.relative_to(ROOT))]
