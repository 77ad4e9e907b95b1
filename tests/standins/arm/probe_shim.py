"""An engine probe target for tests: the real Azure probe with the stand-in's TokenCredential.

``linkready.probes.azure.probe`` builds an azure-identity credential, which needs Entra ID; this
entry point hands the same collection code a static-token credential instead.
"""

from __future__ import annotations

from linkready.probes import ProbeContext, ProbeOutcome
from linkready.probes.azure import collect_azure
from tests.standins.arm.credential import StaticTokenCredential


def probe(ctx: ProbeContext) -> ProbeOutcome:
    return collect_azure(ctx.config, StaticTokenCredential())
