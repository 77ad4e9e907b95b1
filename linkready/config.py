"""The target file (TOML) and its validation: the only place user input is trusted into types.

Every problem becomes a :class:`ConfigError` whose message is one line naming the key, so the CLI
can print it and exit 2.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linkready.domain.clouds import CLOUDS
from linkready.domain.names import database_list_problems
from linkready.facts.plan import PlanFacts, PlannedLink
from linkready.tomlfile import read_toml

RESOURCE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.Sql/managedInstances/(?P<name>[a-z0-9][a-z0-9-]{0,61}[a-z0-9]?)$",
    re.IGNORECASE,
)


class ConfigError(ValueError):
    """Bad configuration; the message is one line that names the key."""


class _Section(BaseModel):
    # inf/nan are never a sensible timeout or throughput: reject them at load, not at the first probe.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SourceConfig(_Section):
    """The SQL Server. The password is never in the file: it comes from ``password_env`` or a prompt."""

    server: str
    auth: Literal["sql", "windows", "entra-password", "entra-integrated", "entra-default"] = "sql"
    username: str = ""
    password_env: str = "LINKREADY_SQL_PASSWORD"
    driver: str = "auto"
    encrypt: bool = True
    trust_server_certificate: bool = False
    login_timeout: float = Field(15, gt=0)
    query_timeout: float = Field(30, gt=0)
    #: The address the managed instance reaches SQL Server at (for NSG/route evaluation).
    address: str = ""
    network_prefixes: list[str] = []

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        # The same forms the SQL probe accepts; a bad port is a usage error now, not an ERROR later.
        text = value.strip().removeprefix("tcp:")
        if not text:
            raise ValueError("must name the SQL Server (host, host,port or host\\instance)")
        if "," in text:
            port = text.partition(",")[2].strip()
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r}: the port after ',' must be 1-65535")
        return value

    @field_validator("network_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        import ipaddress

        for prefix in value:
            try:
                ipaddress.ip_network(prefix, strict=False)
            except ValueError:
                raise ValueError(f"{prefix!r} is not a CIDR prefix") from None
        return value


class ManagedInstanceConfig(_Section):
    resource_id: str
    fqdn: str = ""

    @field_validator("resource_id")
    @classmethod
    def _resource_id(cls, value: str) -> str:
        if not RESOURCE_ID.match(value):
            raise ValueError(
                "is not a managed instance resource ID "
                "(/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Sql/managedInstances/<name>)"
            )
        return value

    @property
    def subscription_id(self) -> str:
        return RESOURCE_ID.match(self.resource_id)["subscription"]  # type: ignore[index]

    @property
    def resource_group(self) -> str:
        return RESOURCE_ID.match(self.resource_id)["group"]  # type: ignore[index]

    @property
    def name(self) -> str:
        return RESOURCE_ID.match(self.resource_id)["name"]  # type: ignore[index]


class AzureConfig(_Section):
    cloud: Literal["public", "usgov", "china"] = "public"
    credential: Literal["default", "cli", "environment", "managed-identity", "workload-identity"] = "default"
    #: Override the Resource Manager endpoint (sovereign clouds, the test stand-in).
    arm_endpoint: str = ""
    authority: str = ""
    #: true, false, or the path of a CA bundle.
    verify_tls: bool | str = True
    timeout: float = Field(30, gt=0)
    retries: int = Field(3, ge=0, le=10)
    #: Microsoft.Sql API version (default: the SDK's); e.g. "2023-08-01" where a cloud lags behind.
    sql_api_version: str = ""
    #: The SQL Server VM's NIC resource ID when it is an Azure VM (else found by source.address).
    source_nic_id: str = ""

    @property
    def resource_manager(self) -> str:
        return self.arm_endpoint or CLOUDS[self.cloud].arm_endpoint

    @property
    def cloud_name(self) -> str:
        return CLOUDS[self.cloud].name


class LinkConfig(_Section):
    name: str
    databases: list[str]
    instance_ag_name: str
    partner_ag_name: str
    partner_endpoint: str
    replication_mode: str = "Async"
    link_mode: Literal["SingleDatabase", "MultiDatabase"] = "SingleDatabase"

    @field_validator("databases", mode="before")
    @classmethod
    def _databases(cls, value: Any) -> Any:
        names = split_database_list(value) if isinstance(value, str) else value
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            problems = database_list_problems(names)
            if problems:
                raise ValueError(problems[0])
        return names


class NetworkConfig(_Section):
    #: DNS servers to ask besides the system resolver (the VNet's custom DNS servers are added).
    dns_servers: list[str] = []
    dns_timeout: float = Field(5, gt=0)
    connect_timeout: float = Field(3, gt=0)
    #: 0 scans all of 11000-11999; N scans a sample of N ports.
    port_sample: int = Field(0, ge=0, le=1000)
    #: Sockets open at once: 1024 lets 5022 and all of 11000-11999 be tried together, so a scan of
    #: dropped ports costs one connect timeout (the TCP probe caps it by the open-files limit).
    concurrency: int = Field(1024, ge=1, le=2000)
    #: Set when linkready runs on the SQL Server host itself (otherwise detected).
    runs_on_sql_host: bool | None = None
    #: Measured or expected initial-seeding throughput to the managed instance (SEED-001/002).
    seeding_throughput_gb_per_hour: float | None = Field(None, gt=0)


class BrandingConfig(_Section):
    customer: str = ""
    prepared_by: str = ""
    logo: str = ""
    summary: str = ""


class OptionsConfig(_Section):
    profile: str = "preflight"
    waivers: str = ""
    output: str = "linkready-report"
    formats: list[str] = ["console", "html", "json"]
    probe_timeout: float = Field(120, gt=0)
    initial_primary: Literal["SQLServer", "ManagedInstance"] = "SQLServer"
    failback: bool = False
    tsql_failover: bool = False


class Config(_Section):
    source: SourceConfig | None = None
    managed_instance: ManagedInstanceConfig | None = None
    azure: AzureConfig = AzureConfig()
    link: list[LinkConfig] = []
    network: NetworkConfig = NetworkConfig()
    branding: BrandingConfig = BrandingConfig()
    options: OptionsConfig = OptionsConfig()

    @model_validator(mode="before")
    @classmethod
    def _single_link_table(cls, data: Any) -> Any:
        # [link] (one table) and [[link]] (several) are both natural to write.
        if isinstance(data, dict) and isinstance(data.get("link"), dict):
            data = {**data, "link": [data["link"]]}
        return data

    def plan(self) -> PlanFacts:
        """The plan as facts: what the checks judge. Holds no secret."""
        return PlanFacts(
            links=tuple(
                PlannedLink(
                    name=link.name,
                    databases=tuple(link.databases),
                    instance_ag_name=link.instance_ag_name,
                    partner_ag_name=link.partner_ag_name,
                    partner_endpoint=link.partner_endpoint,
                    replication_mode=link.replication_mode,
                    link_mode=link.link_mode,
                )
                for link in self.link
            ),
            initial_primary=self.options.initial_primary,
            failback=self.options.failback,
            tsql_failover=self.options.tsql_failover,
            source_server=self.source.server if self.source else "",
            source_address=self.source.address if self.source else "",
            source_prefixes=tuple(self.source.network_prefixes) if self.source else (),
            mi_resource_id=self.managed_instance.resource_id if self.managed_instance else "",
            mi_fqdn=self.managed_instance.fqdn if self.managed_instance else "",
            cloud=self.azure.cloud_name,
            seeding_throughput_gb_per_hour=self.network.seeding_throughput_gb_per_hour,
        )


def split_database_list(text: str) -> list[str]:
    """``"Sales, HR"`` → ``["Sales", "HR"]``; empty entries are kept so validation can name them."""
    return [part.strip() for part in text.split(",")]


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    location = ".".join(str(part) for part in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"unknown key '{location}'"
    if err["type"] == "missing":
        return f"missing required key '{location}'"
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"'{location}': {message}"


def parse_config(data: dict[str, Any], origin: str = "config") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_one_line(exc)}") from None


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the TOML file (if any), apply CLI overrides (dotted keys), validate."""
    data: dict[str, Any] = {}
    origin = str(path) if path else "command line"
    if path is not None:
        data = read_toml(path, ConfigError)
    for dotted, value in (overrides or {}).items():
        try:
            _set_dotted(data, dotted, value)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
    return parse_config(data, origin)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    section, _, key = dotted.partition(".")
    if section == "link":
        # A link override applies to every planned link (or creates the one link).
        links = data.get("link")
        if isinstance(links, dict):
            links = [links]
        links = links or [{}]
        if not isinstance(links, list) or not all(isinstance(link, dict) for link in links):
            raise ConfigError("'link' must be a [link] table or [[link]] tables")
        data["link"] = [{**link, key: value} for link in links]
        return
    target = data.setdefault(section, {})
    if not isinstance(target, dict):
        raise ConfigError(f"'{section}' must be a table")
    target[key] = value


def read_password(source: SourceConfig) -> str | None:
    """The SQL password from the environment variable the config names, if set."""
    return os.environ.get(source.password_env) or None


TEMPLATE = '''\
# linkready target file. Every key is optional unless marked "required".
# Secrets are never written here: the SQL password comes from the environment variable
# named by source.password_env (or a prompt on a terminal).

[source]                       # the SQL Server (required for SQL checks)
server = "sqlprod01.contoso.local"   # host, "host,port" or "host\\\\instance"
auth = "sql"                   # sql | windows | entra-password | entra-integrated | entra-default
username = "linkready_probe"   # see `linkready grant-script` for least privilege
password_env = "LINKREADY_SQL_PASSWORD"
driver = "auto"                # auto | "ODBC Driver 18 for SQL Server" | FreeTDS ...
encrypt = true
trust_server_certificate = false
address = "10.10.1.4"          # SQL Server address as the managed instance sees it
network_prefixes = ["10.10.1.0/24"]

[managed_instance]             # required for Azure checks
resource_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.Sql/managedInstances/sqlmi-prod"

[azure]
cloud = "public"               # public | usgov | china
credential = "default"         # default | cli | environment | managed-identity | workload-identity
verify_tls = true              # true | false | path to a CA bundle
# source_nic_id = ""           # the SQL Server VM's NIC resource ID, when it is an Azure VM

[[link]]                       # one table per planned link
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "TCP://10.10.1.4:5022"
replication_mode = "Async"     # Async | Sync
link_mode = "SingleDatabase"   # SingleDatabase | MultiDatabase

[network]
dns_servers = []               # extra DNS servers to ask (the VNet's custom DNS servers are added)
connect_timeout = 3
port_sample = 0                # 0 = scan all of 11000-11999
# seeding_throughput_gb_per_hour = 40   # for the seeding estimate (measure: linkready throughput)

[options]
profile = "preflight"          # preflight | audit | pipeline | failover | path/to/profile.toml
waivers = ""                   # path to a waivers TOML file
output = "linkready-report"
formats = ["console", "html", "json"]
initial_primary = "SQLServer"  # SQLServer | ManagedInstance
failback = false               # plan to fail back to SQL Server after failing over

[branding]
customer = ""
prepared_by = ""
logo = ""                      # PNG or SVG file embedded in the HTML report
summary = ""
'''
