"""A whole customer estate on loopback: SQL Server, Entra ID, Resource Manager, DNS and the network.

:class:`Estate` starts every stand-in in this process and writes the target file that points the
real CLI at them:

* SQL Server: the TDS stand-in (tests/standins/tds) answering as a healthy SQL Server 2019 whose
  certificates pair with the managed instance's (the endpoint certificate the MI trusts, the MI's
  endpoint certificate under its FQDN, the root CA that issued it), read by pyodbc + FreeTDS;
* Entra ID: the token stand-in (tests/standins/entra) for azure-identity's EnvironmentCredential
  (``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``);
* Resource Manager: the ARM stand-in (tests/standins/arm) with the target room's finished target
  (tests/standins/arm_target/finished.json) merged in, and the estate's addresses moved from
  10.20.0.0/16 (MI VNet) and 10.10.0.0/16 (SQL Server VNet) into 127.20.0.0/16 and 127.10.0.0/16,
  so that every address the network probe dials is on this machine's loopback;
* DNS: the DNS test server on 127.0.0.153:53 answering the MI FQDN with the MI's address;
* the network: listeners on the MI address (5022 and 11000-11999) and on the SQL Server's
  endpoint (127.10.2.4:5022).

The network probe always asks the system resolver too (``/etc/resolv.conf``), which would send
the MI FQDN to the machine's real DNS server. :meth:`Estate.command` therefore runs the CLI in a
private mount namespace (``unshare --mount``, root) where ``/etc/resolv.conf`` names only the DNS
test server: nothing the run does leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.standins.arm import ArmStandIn
from tests.standins.arm.certs import CertMaterial, link_certificates
from tests.standins.arm.server import merge_patch
from tests.standins.arm_target import FINISHED, read_scenario
from tests.standins.arm_target import variables as target_variables
from tests.standins.dns.server import DnsTestServer, Zone
from tests.standins.entra import EntraStandIn
from tests.standins.tds.protocol import ResultSet, SqlError, TdsServer
from tests.standins.tds.scenarios import HEALTHY, TAG, Certificate, Endpoint, Server, responder, result_for

ROOT = Path(__file__).resolve().parents[2]
SQL_LOGIN, SQL_PASSWORD = "linkready", "Probe-pass-1"
#: The DNS test server's address: port 53, because resolv.conf cannot name another port.
DNS_ADDRESS = "127.0.0.153"
#: The MI's address inside its (loopback-mapped) subnet 127.20.1.0/24, and the SQL Server's.
MI_ADDRESS = "127.20.1.4"
SQL_ADDRESS = "127.10.2.4"
#: The SQL Server's name in the partner endpoint (the DNS test server answers it with SQL_ADDRESS).
SQL_HOST = "sqlsrv01.corp.example"
MI_PORTS = (5022, *range(11000, 12000))
_LOOPBACK_MAP = re.compile(r"\b10\.(10|20)\.")
SQL_CERT = "Cert_SQLSRV01_endpoint"


# --------------------------------------------------------------------------- the SQL Server side


def paired_sql_server(mi_fqdn: str) -> Server:
    """HEALTHY with the certificate names of a SQL Server prepared for a link to ``mi_fqdn``."""
    return replace(
        HEALTHY,
        server_name="SQLSRV01",
        endpoints=(Endpoint(certificate=SQL_CERT),),
        certificates=(Certificate(name=SQL_CERT, certificate_id=256),
                      Certificate(name=mi_fqdn, certificate_id=257, private_key="NA"),
                      Certificate(name="AzureTestRootG2", certificate_id=258, private_key="NA")),
    )


def paired_responder(server: Server, mi_fqdn: str, delay: float = 0.0) -> Any:
    """The TDS stand-in's answers, with master's certificates being the very ones ARM serves.

    ``delay`` seconds before every answer stand for a remote SQL Server's round trips.
    """
    base = responder(server)
    certs = link_certificates(mi_fqdn)
    materials: dict[int, CertMaterial] = {256: certs.sql_endpoint, 257: certs.mi_endpoint, 258: certs.azure_root}

    def answer(sql: str) -> ResultSet | SqlError:
        if delay:
            time.sleep(delay)
        found = TAG.search(sql)
        if found is None or found.group(1) != "certificates":
            return base(sql)
        scripted = result_for(server, "certificates", sql)
        if isinstance(scripted, SqlError):
            return scripted
        rows = []
        for row in scripted.rows:
            m = materials[int(str(row[1]))]
            rows.append((row[0], row[1], hashlib.sha1(m.der).digest(), m.subject_cn, m.issuer_cn,
                         m.not_before.replace(tzinfo=None), m.not_after.replace(tzinfo=None), row[7], m.der))
        return ResultSet(scripted.columns, tuple(rows))

    return answer


# --------------------------------------------------------------------------- sealing


def sealing_available() -> tuple[bool, str]:
    """Whether this machine can run the CLI with a private /etc/resolv.conf (root + unshare)."""
    if os.geteuid() != 0:
        return False, "a private mount namespace and port 53 need root"
    if shutil.which("unshare") is None:
        return False, "unshare (util-linux) is missing"
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"unshare --mount failed: {probe.stderr.strip()}"
    return True, ""


def sealed(command: list[str], resolv_conf: Path) -> list[str]:
    """``command`` in a private mount namespace whose /etc/resolv.conf is ``resolv_conf``."""
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sealed", str(resolv_conf),
            *command]


# --------------------------------------------------------------------------- the estate


@dataclass(frozen=True)
class Run:
    """One CLI run: its exit code and its two streams, kept apart."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


#: Worst first: how a check with several findings (one per target) is summarised.
SEVERITY_ORDER = ("FAIL", "ERROR", "WARN", "WAIVED", "PASS", "SKIP")


def read_report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def worst_by_check(report: dict[str, Any]) -> dict[str, str]:
    """Each check ID's worst status in a JSON report."""
    out: dict[str, str] = {}
    for finding in report["findings"]:
        check, status = finding["check_id"], finding["status"]
        if check not in out or SEVERITY_ORDER.index(status) < SEVERITY_ORDER.index(out[check]):
            out[check] = status
    return out


def secrets_found(secrets: dict[str, str], texts: dict[str, str], files: list[Path]) -> list[str]:
    """``label in where`` for every secret that appears in a text or a file (empty: none leaked)."""
    found = []
    for label, secret in secrets.items():
        for where, text in texts.items():
            if secret in text:
                found.append(f"{label} in {where}")
        for path in files:
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(f"{label} in {path}")
    return found


class Estate:
    """Every stand-in, started; :meth:`close` stops them."""

    def __init__(self, *, tds_delay: float = 0.0, dns_delay: float = 0.0) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="linkready-e2e-"))
        self.arm = ArmStandIn(variables=target_variables()).start()
        self.entra = EntraStandIn(self.arm.ca).start()
        v = self.arm.variables
        self.mi_id, self.mi_fqdn = v["MI_ID"], v["MI_FQDN"]
        self.zone = Zone(delay=dns_delay).add(self.mi_fqdn, "A", MI_ADDRESS).add(SQL_HOST, "A", SQL_ADDRESS)
        self.dns = DnsTestServer(self.zone, DNS_ADDRESS, 53)
        self.sql_server = paired_sql_server(self.mi_fqdn)
        self.tds = TdsServer(paired_responder(self.sql_server, self.mi_fqdn, tds_delay), login=SQL_LOGIN,
                             password=SQL_PASSWORD, server_name="SQLSRV01").start()
        self.listeners = Listeners([(MI_ADDRESS, p) for p in MI_PORTS] + [(SQL_ADDRESS, 5022)])
        self.resolv_conf = self.tmp / "resolv.conf"
        self.resolv_conf.write_text(f"nameserver {DNS_ADDRESS}\noptions timeout:1 attempts:1\n", encoding="utf-8")
        self.serve("healthy")

    def close(self) -> None:
        self.listeners.close()
        self.tds.stop()
        self.dns.stop()
        self.entra.stop()
        self.arm.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Estate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Resource Manager ------------------------------------------------------------------
    def serve(self, scenario: str) -> None:
        """Serve an ARM stand-in scenario, addresses moved onto loopback; forget recorded requests."""
        self.arm.load(scenario)
        st = self.arm.state
        # A finished target (backups, Entra admin, Defender, diagnostic settings: the target room's
        # finished.json) under the scenario, so that the target probe's checks have data too.
        finished = read_scenario(FINISHED, self.arm.variables)["patch"]
        st.resources = merge_patch(st.resources, {k.lower(): v for k, v in finished.get("resources", {}).items()})
        st.api_versions = merge_patch(st.api_versions,
                                      {k.lower(): v for k, v in finished.get("api_versions", {}).items()})
        st.resources = _on_loopback(st.resources)
        st.lists = _on_loopback(st.lists)
        self.entra.clear()

    # -- the CLI ---------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """The CLI's environment: the service principal and the SQL password, nothing inherited for Azure."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSAL_", "IDENTITY_"))}
        return {**base, **self.entra.env(), "LINKREADY_SQL_PASSWORD": SQL_PASSWORD, "PYTHONPATH": str(ROOT),
                "NO_COLOR": "1", "COLUMNS": "140", **extra}

    def config(self, name: str = "target.toml", *, formats: tuple[str, ...] = ("json",), output: str = "report",
               probe_timeout: float = 60, retries: int = 1, sql: bool = True, sql_port: int | None = None,
               **azure: Any) -> Path:
        """The target file: every endpoint on loopback, the Azure credential from the environment.

        ``sql=False`` leaves out ``[source]`` (no SQL probe, no source prefixes); ``sql_port`` points
        the SQL probe elsewhere (a closed port: the SQL probe fails). ``azure`` adds ``[azure]`` keys.
        """
        extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in azure.items())
        path = self.tmp / name
        source = f'''
[source]
server = "127.0.0.1,{sql_port or self.tds.port}"
username = "{SQL_LOGIN}"
driver = "FreeTDS"
encrypt = false
login_timeout = 5
query_timeout = 10
address = "{SQL_ADDRESS}"
network_prefixes = ["127.10.2.0/24"]
''' if sql else ""
        path.write_text(source + f'''
[managed_instance]
resource_id = "{self.mi_id}"
fqdn = "{self.mi_fqdn}"

[azure]
credential = "environment"
authority = "{self.entra.url}"
arm_endpoint = "{self.arm.url}"
verify_tls = "{self.arm.ca_bundle}"
timeout = 10
retries = {retries}
{extra}
[[link]]
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "mi-ag-sales"
partner_ag_name = "ag-sales"
partner_endpoint = "TCP://{SQL_HOST}:5022"

[network]
dns_servers = ["{DNS_ADDRESS}"]
dns_timeout = 2
connect_timeout = 1
runs_on_sql_host = true

[options]
probe_timeout = {probe_timeout}
output = "{self.tmp / output}"
formats = {json.dumps(list(formats))}
''', encoding="utf-8")
        return path

    def command(self, *args: str) -> list[str]:
        return sealed([sys.executable, "-m", "linkready", *args], self.resolv_conf)

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Run:
        """The real CLI in a subprocess, sealed; stdout and stderr kept apart."""
        started = time.perf_counter()
        done = subprocess.run(self.command(*args), capture_output=True, text=True, env=env or self.env(),
                              cwd=self.tmp, timeout=timeout, stdin=subprocess.DEVNULL)
        return Run(tuple(args), done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def _on_loopback(data: Any) -> Any:
    text = _LOOPBACK_MAP.sub(lambda m: f"127.{m.group(1)}.", json.dumps(data))
    return json.loads(text)


class Listeners:
    """Real TCP listeners that accept and close every connection (open ports, as a probe sees them)."""

    def __init__(self, endpoints: list[tuple[str, int]]) -> None:
        self._selector = selectors.DefaultSelector()
        self._sockets = []
        for address, port in endpoints:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(128)
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
            self._sockets.append(sock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="e2e-listeners", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                try:
                    conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._selector.close()
        for sock in self._sockets:
            sock.close()
