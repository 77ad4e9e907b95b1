"""A local stand-in for Azure Resource Manager: HTTPS on 127.0.0.1, JSON shaped like ARM's.

The real ``azure-mgmt-sql`` / ``azure-mgmt-network`` clients talk to it through their normal
pipeline (bearer-token policy, retry policy, paging), so what the probe sees is what it would
see from Azure. Everything it serves is data:

* ``baseline.json`` is a healthy estate: resources keyed by resource ID, with ``${VAR}``
  placeholders filled in at load (resource names, certificate blobs from :mod:`.certs`);
* ``scenarios/<name>.json`` overlays the baseline with an RFC 7396 merge patch (``null``
  deletes a resource or a key), may generate many similar resources (``generate``), and may
  inject faults (``faults``: status, ARM error code, denied action, Retry-After, delay).

Collections are derived from the resource IDs (a GET on ``.../databases`` lists every
resource whose ID is directly below it) and paginated with ``nextLink``; child resources that
ARM embeds in their parent (subnets in a VNet, rules in an NSG, routes in a route table) are
served both embedded and on their own URLs. Every request is recorded so that a test can
prove the probe only ever sent GETs.
"""

from __future__ import annotations

import copy
import json
import re
import string
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.standins import tls
from tests.standins.arm.certs import link_certificates

DATA = Path(__file__).parent
SCENARIOS = DATA / "scenarios"

#: The static bearer token the stand-in accepts (tests' TokenCredential hands it out).
TOKEN = "linkready-test-token"

#: Child collections that ARM embeds in the parent resource's ``properties``.
EMBEDDED: dict[str, tuple[str, str]] = {
    # child collection segment -> (parent type segment, property holding the children)
    "subnets": ("virtualnetworks", "subnets"),
    "virtualnetworkpeerings": ("virtualnetworks", "virtualNetworkPeerings"),
    "securityrules": ("networksecuritygroups", "securityRules"),
    "defaultsecurityrules": ("networksecuritygroups", "defaultSecurityRules"),
    "routes": ("routetables", "routes"),
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass
class Fault:
    """An injected failure for requests whose path matches ``path`` (a regex, case-insensitive)."""

    path: str
    status: int = 0
    code: str = ""
    message: str = ""
    action: str = ""
    retry_after: int | None = None
    #: Seconds to wait before answering (a slow endpoint; with status 0 the answer is normal).
    delay: float = 0.0
    #: Fault only the first ``times`` matching requests, then answer normally (None: always).
    times: int | None = None
    hits: int = 0

    def matches(self, path: str) -> bool:
        return re.search(self.path, path, re.IGNORECASE) is not None

    def take(self) -> bool:
        """Count one hit; False once the fault has been used up."""
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    api_version: str
    authorized: bool


@dataclass
class State:
    """What the stand-in currently serves."""

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    api_versions: dict[str, list[str]] = field(default_factory=dict)
    page_size: int = 50
    shapes: dict[str, Any] = field(default_factory=dict)


def load_scenario_data(name: str, variables: dict[str, str]) -> dict[str, Any]:
    """Baseline merged with scenario ``name`` ("healthy" is the baseline itself), vars filled in."""

    def read(path: Path) -> Any:
        text = string.Template(path.read_text(encoding="utf-8")).substitute(variables)
        return json.loads(text)

    data = read(DATA / "baseline.json")
    if name != "healthy":
        scenario_path = SCENARIOS / f"{name}.json"
        if not scenario_path.exists():
            raise KeyError(f"no ARM stand-in scenario named {name!r}")
        scenario = read(scenario_path)
        data = merge_patch(data, scenario.get("patch", {}))
        for edit in scenario.get("edits", []):
            _apply_edit(data["resources"], edit)
        for gen in scenario.get("generate", []):
            for n in range(gen.get("start", 1), gen.get("start", 1) + gen["count"]):
                rendered = json.loads(json.dumps(gen["template"]).replace("{n}", f"{n:03d}"))
                data["resources"][gen["id"].replace("{n}", f"{n:03d}")] = rendered
        data["faults"] = scenario.get("faults", [])
        if "page_size" in scenario:
            data["page_size"] = scenario["page_size"]
    _add_database_tde(data["resources"])
    check_link_roles(data["resources"])
    return data


#: The roles ARM reports for each side of a link (LinkRole in the Microsoft.Sql specs: Primary | Secondary).
DAG_TYPE = "Microsoft.Sql/managedInstances/distributedAvailabilityGroups"
LINK_ROLES = ("Primary", "Secondary")


def check_link_roles(resources: dict[str, Any]) -> None:
    """Refuse a link whose instanceLinkRole or partnerLinkRole is a value ARM cannot return (a scenario error).

    Absent is allowed: the 2023-08-01 shape carries no roles, and a scenario may drop them to show it.
    """
    for key, body in resources.items():
        if body.get("type") != DAG_TYPE:
            continue
        for field_name in ("instanceLinkRole", "partnerLinkRole"):
            role = body.get("properties", {}).get(field_name)
            if role is not None and role not in LINK_ROLES:
                raise ValueError(f"scenario error: {key} {field_name} {role!r} is not one ARM returns "
                                 f"({' or '.join(LINK_ROLES)})")


#: A managed database's TDE resource as ARM serves it (ManagedDatabaseTransparentDataEncryption_Get): every
#: database has exactly one, addressed as "current"; new databases are encrypted (state Enabled) unless turned off.
#: The body is the spec's own example (2023-08-01 examples/ManagedTransparentDataEncryptionGet.json, the only
#: documented response): "name" is "default" and "id" is the database's, not the path asked for. The probe takes the
#: database from its request, so it must not depend on either.
DATABASE_TYPE = "Microsoft.Sql/managedInstances/databases"
TDE_TYPE = "Microsoft.Sql/managedInstances/databases/transparentDataEncryption"
TDE_STATES = ("Enabled", "Disabled")


def _add_database_tde(resources: dict[str, Any]) -> None:
    """Give every managed database its ``transparentDataEncryption/current`` child.

    A scenario sets a database's state by patching that child (``{"properties": {"state": "Disabled"}}``);
    a child without its database, a name other than "current" or a state ARM cannot return is a scenario
    error, never served.
    """
    databases = {k.lower(): k for k, v in resources.items() if v.get("type") == DATABASE_TYPE}
    for key in [k for k in resources if "/transparentdataencryption/" in k.lower()]:
        parent, _, name = key.rpartition("/transparentDataEncryption/")
        if parent.lower() not in databases or name != "current":
            raise ValueError(f"scenario error: ARM has no TDE resource {key}")
    for key in databases.values():
        tde_id = f"{key}/transparentDataEncryption/current"
        body = merge_patch({"id": key, "name": "default", "type": TDE_TYPE, "properties": {"state": "Enabled"}},
                           resources.get(tde_id, {}))
        if body["properties"].get("state") not in TDE_STATES:
            raise ValueError(f"scenario error: TDE state {body['properties'].get('state')!r} is not one ARM returns")
        resources[tde_id] = body


def _apply_edit(resources: dict[str, Any], edit: dict[str, Any]) -> None:
    """Edit a named item in a resource's embedded list (rules, routes, subnets, databases).

    ``{"resource": ID, "list": "properties.securityRules", "remove": NAME}``,
    ``{..., "append": ITEM}`` or ``{..., "name": NAME, "merge": PATCH}``; list items are matched
    by their ``name`` (or ``databaseName``) field.
    """
    node: Any = resources[edit["resource"]]
    *parents, leaf = edit["list"].split(".")
    for part in parents:
        node = node.setdefault(part, {})
    items: list[dict[str, Any]] = node.setdefault(leaf, [])

    def named(item: dict[str, Any], name: str) -> bool:
        return str(item.get("name", item.get("databaseName", ""))).lower() == name.lower()

    if "remove" in edit:
        node[leaf] = [i for i in items if not named(i, edit["remove"])]
    elif "append" in edit:
        items.append(edit["append"])
    elif "merge" in edit:
        node[leaf] = [merge_patch(i, edit["merge"]) if named(i, edit["name"]) else i for i in items]
    else:
        raise ValueError(f"unknown scenario edit {edit!r}")


def default_variables() -> dict[str, str]:
    """Names and certificate material the baseline's ``${VAR}`` placeholders refer to."""
    sub = "6f0b3a4e-2c1d-4f7a-9b8e-1a2b3c4d5e6f"
    rg = "rg-data-weu"
    mi = "sqlmi-contoso-weu"
    zone = "3f6c9a1d2b4e"
    fqdn = f"{mi}.{zone}.database.windows.net"
    certs = link_certificates(fqdn)
    return {
        "SUB": sub,
        "RG": rg,
        "MI": mi,
        "DNS_ZONE": zone,
        "MI_FQDN": fqdn,
        "MI_ID": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql/managedInstances/{mi}",
        "NET_RG": "rg-network-weu",
        "NET": f"/subscriptions/{sub}/resourceGroups/rg-network-weu/providers/Microsoft.Network",
        "APP_NET": f"/subscriptions/{sub}/resourceGroups/rg-app-weu/providers/Microsoft.Network",
        "SQL_CERT_HEX": certs.sql_endpoint.der_hex,
        "SQL_CERT_THUMBPRINT": certs.sql_endpoint.thumbprint,
        "OLD_CERT_HEX": certs.sql_other.der_hex,
        "OLD_CERT_THUMBPRINT": certs.sql_other.thumbprint,
        "MI_CERT_HEX": certs.mi_endpoint.der_hex,
        "TENANT": "72f988bf-0000-4000-8000-00000000c0de",
    }


def scenario_names() -> list[str]:
    """Every scenario the stand-in can serve, "healthy" first."""
    return ["healthy", *sorted(p.stem for p in SCENARIOS.glob("*.json"))]


def scenario_description(name: str) -> str:
    if name == "healthy":
        return "A managed instance ready for a link from an Azure VM in a peered VNet."
    return str(json.loads((SCENARIOS / f"{name}.json").read_text(encoding="utf-8")).get("description", ""))


def _legacy_dag(body: dict[str, Any]) -> dict[str, Any]:
    """A distributed availability group as API version 2023-08-01 returns it (older field names)."""
    props = body.get("properties", {})
    dbs = props.get("databases") or [{}]
    first = dbs[0]
    state = "Catchup" if first.get("connectedState") == "CONNECTED" else "Disconnected"
    legacy = {
        "targetDatabase": first.get("databaseName"),
        "sourceEndpoint": props.get("partnerEndpoint"),
        "primaryAvailabilityGroupName": props.get("partnerAvailabilityGroupName"),
        "secondaryAvailabilityGroupName": props.get("instanceAvailabilityGroupName"),
        "replicationMode": props.get("replicationMode"),
        "distributedAvailabilityGroupId": props.get("distributedAvailabilityGroupId"),
        "sourceReplicaId": first.get("partnerReplicaId"),
        "targetReplicaId": first.get("instanceReplicaId"),
        "linkState": state,
        "lastHardenedLsn": first.get("lastHardenedLsn"),
    }
    return {**{k: v for k, v in body.items() if k != "properties"}, "properties": legacy}


def _drop(body: dict[str, Any], dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


class ArmStandIn:
    """The server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, scenario: str = "healthy", variables: dict[str, str] | None = None) -> None:
        self.variables = default_variables() | (variables or {})
        self.state = State()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.ca = tls.new_ca()
        self._bundle = tls.CaBundle(self.ca, prefix="arm-standin-")
        self.ca_bundle = self._bundle.path
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        tls.serve_tls(self._httpd, self.ca)
        self._thread: threading.Thread | None = None
        self.load(scenario)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"https://{host!s}:{port}"

    def start(self) -> ArmStandIn:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="arm-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._bundle.cleanup()

    def __enter__(self) -> ArmStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- data -----------------------------------------------------------------------------
    def load(self, scenario: str) -> None:
        """Serve ``scenario`` from now on and forget the requests recorded so far."""
        data = load_scenario_data(scenario, self.variables)
        with self._lock:
            self.scenario = scenario
            self.state = State(
                resources={k.lower(): v for k, v in data.get("resources", {}).items()},
                lists={k.lower(): v for k, v in data.get("lists", {}).items()},
                faults=[Fault(**f) for f in data.get("faults", [])],
                api_versions={k.lower(): v for k, v in data.get("api_versions", {}).items()},
                page_size=int(data.get("page_size", 50)),
                shapes={k.lower(): v for k, v in data.get("shapes", {}).items()},
            )
            self.requests.clear()

    def add_fault(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._lock:
            self.state.faults.append(fault)
        return fault

    def record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    # -- request handling (called from the handler thread) ---------------------------------
    def respond(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/")
        query = parse_qs(split.query)
        api_version = (query.get("api-version") or [""])[0]
        authorized = headers.get("authorization", "") == f"Bearer {TOKEN}"
        self.record(RecordedRequest(method, path, split.query, api_version, authorized))

        if method != "GET":
            # The probe must never get here; answer as ARM would for a write we refuse.
            return 405, {}, _error("MethodNotAllowed", f"The stand-in serves reads only, not {method}.")
        if not authorized:
            return (
                401,
                {"WWW-Authenticate": f'Bearer authorization_uri="https://login.example/{self.variables["TENANT"]}", '
                 'error="invalid_token", error_description="The access token is missing or invalid."'},
                _error("InvalidAuthenticationToken", "The access token is invalid."),
            )
        fault = self._fault_for(path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                return self._fault_response(fault, path)
        if not api_version:
            return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        namespace = _namespace(path)
        allowed = self.state.api_versions.get(namespace)
        if allowed is not None and api_version not in allowed:
            return 400, {}, _error(
                "NoRegisteredProviderFound",
                f"No registered resource provider found for location 'westeurope' and API version '{api_version}' "
                f"for type '{_resource_type(path)}'. The supported api-versions are '{', '.join(allowed)}'.",
            )
        status, body = self._lookup(path, query, api_version)
        return status, {}, body

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.state.faults:
                if fault.matches(path) and fault.take():
                    return fault
        return None

    def _fault_response(self, fault: Fault, path: str) -> tuple[int, dict[str, str], Any]:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        code = fault.code
        message = fault.message
        if fault.status == 403 and not code:
            code = "AuthorizationFailed"
        if code == "AuthorizationFailed" and not message:
            message = (
                f"The client 'linkready-reader@contoso.example' with object id '1c2d3e4f-0000-4000-8000-00000000beef' "
                f"does not have authorization to perform action '{fault.action}' over scope '{path}' or the scope "
                "is invalid. If access was recently granted, please refresh your credentials."
            )
        if fault.status == 429 and not code:
            code, message = "SubscriptionTooManyRequests", message or "Requests beyond max requests that can be processed by available resources."
        if fault.status == 404 and not code:
            code, message = "ResourceNotFound", message or f"The Resource '{_resource_type(path)}' was not found."
        return fault.status, headers, _error(code or "InternalServerError", message or "The server encountered an unexpected exception.")

    def _lookup(self, path: str, query: dict[str, list[str]], api_version: str) -> tuple[int, Any]:
        key = path.lower()
        st = self.state
        missing = self._missing_ancestor(key)
        if missing:
            return 404, _error(
                "ParentResourceNotFound",
                f"Can not perform requested operation on nested resource. Parent resource '{missing.rsplit('/', 1)[-1]}' not found.",
            )
        body = st.resources.get(key)
        if body is None:
            body = self._embedded_child(key)
        if body is not None:
            return 200, self._shape(key, copy.deepcopy(body), api_version)
        items = self._collection(key)
        if items is None:
            return 404, _error(
                "ResourceNotFound",
                f"The Resource '{_resource_type(path)}/{path.rsplit('/', 1)[-1]}' under resource group "
                f"'{_resource_group(path)}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            )
        items = [self._shape(str(i.get("id", key)).lower(), copy.deepcopy(i), api_version) for i in items]
        skip = int((query.get("$skiptoken") or ["0"])[0])
        page = items[skip : skip + st.page_size]
        result: dict[str, Any] = {"value": page}
        if skip + st.page_size < len(items):
            result["nextLink"] = f"{self.url}{quote(path)}?api-version={api_version}&$skiptoken={skip + st.page_size}"
        return 200, result

    def _missing_ancestor(self, key: str) -> str | None:
        """The first parent resource of ``key`` that does not exist (ARM answers 404 for its children)."""
        for match in re.finditer(r"/providers/[^/]+/", key):
            rest = key[match.end() :].split("/")
            if "providers" in rest:
                rest = [*rest[:rest.index("providers")], "", ""]
            for depth in range(2, len(rest), 2):
                ancestor = key[: match.end()] + "/".join(rest[:depth])
                if rest[0] == "locations" and depth == 2:
                    continue
                if ancestor not in self.state.resources and self._embedded_child(ancestor) is None:
                    return ancestor
        return None

    def _embedded_child(self, key: str) -> dict[str, Any] | None:
        parts = key.rsplit("/", 2)
        if len(parts) != 3:
            return None
        parent_key, segment, name = parts
        spec = EMBEDDED.get(segment)
        parent = self.state.resources.get(parent_key)
        if spec is None or parent is None:
            return None
        for child in parent.get("properties", {}).get(spec[1], []):
            if str(child.get("name", "")).lower() == name:
                return dict(child)
        return None

    def _collection(self, key: str) -> list[dict[str, Any]] | None:
        st = self.state
        if key in st.lists:
            return list(st.lists[key])
        parent_key, _, segment = key.rpartition("/")
        spec = EMBEDDED.get(segment)
        if spec is not None:
            parent = st.resources.get(parent_key)
            if parent is None:
                return None
            return list(parent.get("properties", {}).get(spec[1], []))
        scope = re.match(r"^(/subscriptions/[^/]+)/providers/([^/]+/[^/]+)$", key)
        if scope:
            # A subscription-wide list (e.g. every NIC): resources of that type in any resource group.
            kind = f"/providers/{scope.group(2)}/"
            return sorted(
                (body for rid, body in st.resources.items()
                 if rid.startswith(scope.group(1) + "/") and kind in rid and rid.count("/") == key.count("/") + 3),
                key=lambda b: str(b.get("id", "")).lower(),
            )
        prefix = key + "/"
        found = [body for rid, body in st.resources.items() if rid.startswith(prefix) and "/" not in rid[len(prefix) :]]
        if found:
            return sorted(found, key=lambda b: str(b.get("name", "")).lower())
        # An empty collection exists when its parent resource exists (or it is location-scoped).
        if parent_key in st.resources or "/locations/" in key:
            return []
        return None

    def _shape(self, key: str, body: dict[str, Any], api_version: str) -> dict[str, Any]:
        """Older API versions return fewer or differently named fields."""
        rtype = _resource_type(key).lower()
        rule = self.state.shapes.get(rtype, {}).get(api_version)
        if not rule:
            return body
        if rule.get("legacy_dag"):
            body = _legacy_dag(body)
        for dotted in rule.get("drop", []):
            _drop(body, dotted)
        return body

    def paths(self, method: str | None = None) -> list[str]:
        """Recorded request paths (optionally only those of one method)."""
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def methods(self) -> set[str]:
        with self._lock:
            return {r.method for r in self.requests}


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a timed-out probe read) is not a server error worth a traceback.

    The listen backlog is raised from socketserver's 5: a probe opens a dozen connections at once,
    and a dropped SYN costs the client a one-second retransmit.
    """

    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _namespace(path: str) -> str:
    """The resource provider namespace a path belongs to (the last ``providers/X`` in it)."""
    found = re.findall(r"/providers/([^/]+)", path, re.IGNORECASE)
    return found[-1].lower() if found else ""


def _resource_type(path: str) -> str:
    """``Microsoft.Sql/managedInstances/databases`` for a path (or collection path)."""
    match = list(re.finditer(r"/providers/([^/]+)/(.*)$", path, re.IGNORECASE))
    if not match:
        return ""
    ns, rest = match[-1].group(1), match[-1].group(2).split("/")
    types = [rest[i] for i in range(0, len(rest), 2)]
    return "/".join([ns, *types])


def _resource_group(path: str) -> str:
    found = re.search(r"/resourceGroups/([^/]+)", path, re.IGNORECASE)
    return found.group(1) if found else ""


def _handler_for(server: ArmStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "arm-standin"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.respond(self.command, self.path, headers)
            payload = json.dumps(body).encode()
            request_id = str(uuid.uuid4())
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("x-ms-request-id", request_id)
            self.send_header("x-ms-correlation-request-id", request_id)
            self.send_header("x-ms-ratelimit-remaining-subscription-reads", "11999")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def iter_resources(server: ArmStandIn) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every stored resource (ID, body), for shape tests."""
    yield from server.state.resources.items()
