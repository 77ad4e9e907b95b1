"""An engine probe target for tests: the real target probe with the stand-in's TokenCredential.

``linkready.probes.target.probe`` builds an azure-identity credential, which needs Entra ID; this
entry point hands the same collection code a static-token credential instead (as the Azure room's
``tests.standins.arm.probe_shim`` does for the Azure probe).
"""

from __future__ import annotations

from linkready.probes import ProbeContext, ProbeOutcome
from linkready.probes.target import collect_target
from tests.standins.arm.credential import StaticTokenCredential


def probe(ctx: ProbeContext) -> ProbeOutcome:
    return collect_target(ctx.config, StaticTokenCredential())
