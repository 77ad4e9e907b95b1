"""The Azure clouds a link can live in: ARM endpoint, sign-in authority, token audience, MI DNS suffix.

One table, because these values used to be copied into config, the Azure probe, the runbook and two
checks, keyed once by the config name (``public``) and once by the azure-cli name (``AzureCloud``).
Values: reference §2 (Azure clouds) and the azure-cli cloud definitions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    """One sovereign cloud."""

    #: The name in ``[azure] cloud`` (``public``, ``usgov``, ``china``).
    key: str
    #: The azure-cli / plan name (``AzureCloud``); facts.plan.cloud holds this one.
    name: str
    arm_endpoint: str
    authority: str
    #: The managed instance hosts' DNS suffix; CERT-005 maps the root CAs to ``*.<suffix>``.
    dns_suffix: str

    @property
    def audience(self) -> str:
        """The ARM token scope. It stays the cloud's even when the ARM endpoint is overridden (a stand-in)."""
        return f"{self.arm_endpoint}/.default"

    @property
    def issuer_pattern(self) -> str:
        """The ``sp_certificate_add_issuer`` pattern for the managed instance certificates."""
        return f"*.{self.dns_suffix}"


PUBLIC = Cloud("public", "AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
               "database.windows.net")
USGOV = Cloud("usgov", "AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
              "database.usgovcloudapi.net")
CHINA = Cloud("china", "AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
              "database.chinacloudapi.cn")

#: By config key (``public``).
CLOUDS: dict[str, Cloud] = {c.key: c for c in (PUBLIC, USGOV, CHINA)}
#: By azure-cli name (``AzureCloud``).
BY_NAME: dict[str, Cloud] = {c.name: c for c in CLOUDS.values()}
#: Every cloud's MI suffix with its leading dot, for "is this an Azure SQL host?".
DNS_SUFFIXES: tuple[str, ...] = tuple(f".{c.dns_suffix}" for c in CLOUDS.values())

#: The token audience of Azure SQL itself (Entra sign-in to SQL Server via the SQL driver).
SQL_AUDIENCE = "https://database.windows.net/.default"

#: The root CAs Microsoft documents for the MI's certificates (import at least these two), as
#: (the certificate name the documentation's scripts use, the CA's common name). Reference §3b.
ROOT_CAS: tuple[tuple[str, str], ...] = (
    ("DigiCertPKI", "DigiCert Global Root G2"),
    ("MicrosoftPKI", "Microsoft RSA Root Certificate Authority 2017"),
)


def by_name(name: str) -> Cloud:
    """The cloud for an azure-cli name; the public cloud for an unknown or empty one (the default)."""
    return BY_NAME.get(name, PUBLIC)
