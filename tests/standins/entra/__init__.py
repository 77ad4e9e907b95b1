"""A local Microsoft Entra ID stand-in for azure-identity's client-credentials flow."""

from tests.standins.entra.server import EntraStandIn

__all__ = ["EntraStandIn"]
