"""``linkready check`` against nothing that answers: it must give up by its own timeouts, not ``probe_timeout``.

    python benchmarks/unreachable.py [--timeout 2] [--retries 1] [--probe-timeout 120]

Every endpoint is a loopback socket that never answers: the Entra authority and ARM are TCP listeners
that never accept (the handshake completes in the kernel, TLS never starts), the DNS server is a UDP
socket that never replies, the SQL Server a listener that never accepts. The CLI runs cold in a
subprocess with ``[azure] timeout``/``retries``, ``login_timeout``, ``dns_timeout`` and
``connect_timeout`` set small and ``probe_timeout`` left large. Prints the run's time, the bound its
own timeouts give (the slowest probe's: Azure ``timeout x (retries + 1)`` plus backoff, SQL
``login_timeout``, DNS + TCP), and the ratio run / own bound (goal <= 1.5; before issue 20 the
token request waited for SDK defaults and the run ended at ``probe_timeout``).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._load import load_line  # noqa: E402

MI_ID = ("/subscriptions/6f0b3a4e-2c1d-4f7a-9b8e-1a2b3c4d5e6f/resourceGroups/rg/providers/Microsoft.Sql/"
         "managedInstances/mi")


def silent_tcp() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # never accepted: connects complete, nothing is ever read or written
    return sock, sock.getsockname()[1]


def silent_udp() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def write_config(folder: Path, args: argparse.Namespace, tcp: int, udp: int) -> Path:
    path = folder / "target.toml"
    path.write_text(f'''
[source]
server = "127.0.0.1,{tcp}"
username = "linkready"
login_timeout = {args.timeout}

[managed_instance]
resource_id = "{MI_ID}"
fqdn = "mi.example.database.windows.net"

[azure]
credential = "environment"
authority = "https://127.0.0.1:{tcp}"
arm_endpoint = "https://127.0.0.1:{tcp}"
timeout = {args.timeout}
retries = {args.retries}

[network]
dns_servers = ["127.0.0.1:{udp}"]
dns_timeout = {args.timeout}
connect_timeout = {args.timeout}

[[link]]
name = "l"
databases = ["db"]
instance_ag_name = "AG_MI"
partner_ag_name = "AG1"
partner_endpoint = "TCP://127.0.0.1:{tcp}"

[options]
probe_timeout = {args.probe_timeout}
formats = ["json"]
output = "{folder / "out"}"
''', encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--probe-timeout", type=float, default=120.0)
    args = parser.parse_args()
    tcp_sock, tcp = silent_tcp()
    udp_sock, udp = silent_udp()
    with tcp_sock, udp_sock, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), args, tcp, udp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSAL_", "IDENTITY_"))}
        env |= {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s",
                "LINKREADY_SQL_PASSWORD": "x", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
        load = load_line()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "linkready", "check", "-c", str(config)], capture_output=True,
                              text=True, env=env, cwd=tmp, timeout=args.probe_timeout + 60, stdin=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    # Backoff between attempts is at most 10 s (retry_backoff_max) and 0.8 s x 2^n before that.
    backoff = sum(min(10.0, 0.8 * 2**n) for n in range(args.retries))
    own = max(args.timeout * (args.retries + 1) + backoff, args.timeout, 2 * args.timeout)
    lines = [line for line in done.stderr.splitlines() if line.startswith("probe ") and " in " in line]
    for line in lines:
        print(f"  {line}")
    print(f"exit {done.returncode}; run {seconds:.1f} s; own-timeout bound {own:.1f} s; "
          f"probe_timeout {args.probe_timeout:g} s")
    ratio = seconds / own
    print(f"ratio run / own-timeout bound = {ratio:.2f}  (goal <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})  {load}")


if __name__ == "__main__":
    main()
