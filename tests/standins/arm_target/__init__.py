"""Target-readiness scenarios for the Azure room's ARM stand-in (``tests/standins/arm``).

The stand-in serves any resource by its ID, so the target's resources (administrators, security
alert policies, retention policies, Microsoft.Insights diagnostic settings) need no new routes,
only data. This package keeps that data beside the stand-in without touching it:

* ``finished.json`` is a merge patch over the stand-in's healthy baseline that finishes the target
  (backups, Entra admin, Defender, diagnostic settings with audit records, a maintenance window,
  16 vCores);
* ``scenarios/<name>.json`` is a merge patch over that, with optional ``faults`` (as the stand-in's
  own scenarios), ``source`` (the SQL Server's CPUs and memory), ``plan`` overrides, ``expect``
  (check ID or ``ID:target`` → status) and, for link scenarios, ``links`` (max lag and flags).

:func:`target_stand_in` starts the stand-in and loads a scenario into it.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.standins.arm.server import ArmStandIn, Fault, State, load_scenario_data, merge_patch

DATA = Path(__file__).parent
SCENARIOS = DATA / "scenarios"
FINISHED = "finished"


def variables(now: datetime | None = None) -> dict[str, str]:
    """Times relative to the real clock, so "expires in 12 days" stays true whenever tests run."""
    now = now or datetime.now(UTC)

    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "CERT_SOON": iso(now + timedelta(days=12, hours=1)),
        "HARDENED_LAGGING": iso(now - timedelta(seconds=900)),
        "HARDENED_STALE": iso(now - timedelta(days=2)),
    }


def scenario_names() -> list[str]:
    return [FINISHED, *sorted(p.stem for p in SCENARIOS.glob("*.json"))]


def read_scenario(name: str, values: dict[str, str]) -> dict[str, Any]:
    path = DATA / f"{FINISHED}.json" if name == FINISHED else SCENARIOS / f"{name}.json"
    if not path.exists():
        raise KeyError(f"no target scenario named {name!r}")
    data: dict[str, Any] = json.loads(string.Template(path.read_text(encoding="utf-8")).substitute(values))
    return data


def scenario_data(name: str, values: dict[str, str]) -> dict[str, Any]:
    """The stand-in's baseline, then finished.json, then the scenario (each an RFC 7396 merge patch)."""
    data = load_scenario_data("healthy", values)
    data = merge_patch(data, read_scenario(FINISHED, values)["patch"])
    data["faults"] = []
    if name != FINISHED:
        scenario = read_scenario(name, values)
        data = merge_patch(data, scenario.get("patch", {}))
        data["faults"] = scenario.get("faults", [])
    return data


def load_into(server: ArmStandIn, name: str) -> None:
    """Serve target scenario ``name`` from now on (the stand-in's own ``load`` reads only its directory)."""
    data = scenario_data(name, server.variables)
    with server._lock:
        server.scenario = f"target:{name}"
        server.state = State(
            resources={k.lower(): v for k, v in data.get("resources", {}).items()},
            lists={k.lower(): v for k, v in data.get("lists", {}).items()},
            faults=[Fault(**f) for f in data.get("faults", [])],
            api_versions={k.lower(): v for k, v in data.get("api_versions", {}).items()},
            page_size=int(data.get("page_size", 50)),
            shapes={k.lower(): v for k, v in data.get("shapes", {}).items()},
        )
        server.requests.clear()


def target_stand_in(name: str = FINISHED, now: datetime | None = None) -> ArmStandIn:
    """A stand-in serving target scenario ``name``; use it as a context manager (it starts on enter)."""
    server = ArmStandIn("healthy", variables=variables(now))
    load_into(server, name)
    return server
