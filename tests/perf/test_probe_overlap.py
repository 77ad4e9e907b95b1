"""A probe whose imports are slow does not hold back the others (issue 20: the Azure SDK's ~1.7 s).

The engine imports each probe's module in that probe's own thread. Here, in a fresh interpreter,
the Azure probe's module import is held until the network probe has published its outcome: with
the imports in the probe threads the network probe runs meanwhile and releases it at once; with the
imports done one after another before the threads start, the hold would run out instead.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = r"""
import importlib.abc, importlib.machinery, json, sys, threading
from linkready.config import parse_config
from linkready.engine import collect
from linkready.probes import ProbeContext, Secrets

released = threading.Event()
held = {}

class HoldingLoader(importlib.abc.Loader):
    # Held in exec_module, not find_spec: finders run under the interpreter's global import lock.
    def __init__(self, real):
        self.real = real
    def create_module(self, spec):
        return self.real.create_module(spec)
    def exec_module(self, module):
        held["azure"] = released.wait(20)  # True: released by the network probe, False: ran out
        self.real.exec_module(module)

class HoldAzure(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "linkready.probes.azure" or "azure" in held:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        spec.loader = HoldingLoader(spec.loader)
        return spec

publish = ProbeContext.publish
def publish_and_release(self, name, outcome):
    publish(self, name, outcome)
    if name == "network":
        released.set()
ProbeContext.publish = publish_and_release
sys.meta_path.insert(0, HoldAzure())

config = parse_config({
    "managed_instance": {"resource_id": "/subscriptions/6f0b3a4e-2c1d-4f7a-9b8e-1a2b3c4d5e6f/resourceGroups/rg"
                         "/providers/Microsoft.Sql/managedInstances/mi", "fqdn": "localhost"},
    "azure": {"credential": "environment", "authority": "https://127.0.0.1:9", "arm_endpoint": "https://127.0.0.1:9"},
    "network": {"connect_timeout": 1, "dns_timeout": 1},
    "options": {"probe_timeout": 60},
})
events = []
snapshot = collect(config, Secrets(), on_event=lambda name, state, seconds, detail: events.append([name, state]))
print(json.dumps({"held": held, "events": events, "network": snapshot.facts.network is not None}))
"""


def test_the_network_probe_runs_while_the_azure_probe_imports() -> None:
    env_clear = {"AZURE_CLIENT_ID": "", "AZURE_TENANT_ID": "", "AZURE_CLIENT_SECRET": ""}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**_env(), **env_clear})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["held"] == {"azure": True}, "the Azure probe's import held back the network probe"
    assert result["network"]
    finished = [name for name, state in result["events"] if state != "start"]
    assert finished.index("network") < finished.index("azure")


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSAL_"))} | {"PYTHONPATH": str(ROOT)}
