"""Local HTTPS stand-in for Azure Resource Manager (see :mod:`tests.arm_server.server`)."""

from __future__ import annotations

from tests.arm_server.credential import StaticTokenCredential
from tests.arm_server.server import TOKEN, ArmStandIn, scenario_names

__all__ = ["TOKEN", "ArmStandIn", "StaticTokenCredential", "scenario_names"]
