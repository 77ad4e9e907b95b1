"""Write the bundled demo's other scenarios, derived from linkready/data/demo_snapshot.json.

``linkready demo`` shows the museum's single-database plan. Some checks only judge other plans, so the
demo has scenarios (``linkready demo --scenario NAME``), each the museum's snapshot with the changes below:

* ``multidb``: the museum's two databases in one availability group on a two-node SQL Server 2022
  (CU26) with a listener, linked in the multiple-database mode (preview) with failback planned. It
  exercises the multiple-database checks (SVC-020, SVC-024, SVC-025, the CU27 minimum), and SVC-008's
  judgement of the managed instance's TDE protector for data that flows back to SQL Server.

Run ``python scripts/make_demo_variants.py`` after editing the demo snapshot, and commit the output;
``--check`` fails when a committed scenario is not what this script makes of the demo (tested).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "linkready" / "data"
BASE = DATA / "demo_snapshot.json"

Snapshot = dict[str, Any]

AG = "AG_Collections"
LISTENER_IP = "10.20.1.50"
SECONDARY = "SQLPROD02"


def multidb(snapshot: Snapshot) -> Snapshot:
    facts = snapshot["facts"]
    sql = facts["sql"]
    # SQL Server 2022 CU26 (16.0.4265.3, KB5093420): the newest 2022 CU on Microsoft's pages; the mode needs CU27.
    sql["instance"].update(product_version="16.0.4265.3", product_update_level="CU26",
                           product_update_reference="KB5093420", is_clustered=False)
    sql["has_sp_multidb_milink"] = False
    sql["multidb_mode_enabled"] = None
    names = [db["name"] for db in sql["databases"]]
    for db in sql["databases"]:
        db.update(ag_name=AG, ag_database_count=len(names))
    replicas = [
        {"name": name, "endpoint_url": f"TCP://{name.lower()}.museum.local:5022", "role": role,
         "availability_mode": "SYNCHRONOUS_COMMIT", "synchronization_health": "HEALTHY", "connected_state": "CONNECTED"}
        for name, role in ((sql["instance"]["server_name"], "PRIMARY"), (SECONDARY, "SECONDARY"))
    ]
    sql["availability_groups"] = [{
        "name": AG, "is_distributed": False, "basic_features": False, "cluster_type": "WSFC", "databases": names,
        "replicas": replicas, "is_contained": False,
        "listeners": [{"dns_name": "museum-ag", "port": 1433,
                       "addresses": [{"ip_address": LISTENER_IP, "state": "ONLINE"}]}],
    }]
    plan = facts["plan"]
    # The partner endpoint names the primary replica's own address: the mistake SVC-025 catches.
    plan["links"] = [{
        "name": "link-collections", "databases": names, "instance_ag_name": f"{AG}_MI", "partner_ag_name": AG,
        "partner_endpoint": f"TCP://{plan['source_address']}:5022", "replication_mode": "Async",
        "link_mode": "MultiDatabase",
    }]
    plan["failback"] = True
    return snapshot


SCENARIOS: dict[str, Callable[[Snapshot], Snapshot]] = {"multidb": multidb}


def path_of(name: str) -> Path:
    return DATA / f"demo_{name}_snapshot.json"


def render(name: str) -> str:
    base = json.loads(BASE.read_text(encoding="utf-8"))
    return json.dumps(SCENARIOS[name](copy.deepcopy(base)), indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed scenario is out of date")
    args = parser.parse_args()
    stale = []
    for name in SCENARIOS:
        text = render(name)
        if args.check:
            if not path_of(name).is_file() or path_of(name).read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path_of(name).write_text(text, encoding="utf-8")
            print(f"wrote {path_of(name)}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/make_demo_variants.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
