"""Local HTTPS stand-in for Azure Resource Manager (see :mod:`tests.standins.arm.server`)."""

from __future__ import annotations

from tests.standins.arm.credential import StaticTokenCredential
from tests.standins.arm.server import TOKEN, ArmStandIn, scenario_names

__all__ = ["TOKEN", "ArmStandIn", "StaticTokenCredential", "scenario_names"]
