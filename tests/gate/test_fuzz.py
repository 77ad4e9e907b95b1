"""Fuzzing the user inputs at the process edge: snapshot, target file, waivers, profiles, NSG documents.

Whatever the input, linkready answers with a verdict (0, 1, 3) or a one-line usage error (2): never
a traceback, never exit 4. The CLI runs in-process through the same guard as ``python -m linkready``
(``linkready.commands._guard.run``) inside click's CliRunner isolation, for speed; the fault matrix
and :func:`test_a_sample_through_a_subprocess` check that the in-process run is faithful.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from linkready.cli import cli
from linkready.commands._guard import run
from tests.conftest import ROOT, run_cli

DEMO = ROOT / "linkready" / "data" / "demo_snapshot.json"
DEMO_DATA = json.loads(DEMO.read_text())
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NSG_DOC: dict[str, Any] = {
    "name": "nsg", "properties": {"securityRules": [{"name": "allow-5022", "properties": {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "sourceAddressPrefix": "10.0.0.0/8", "destinationAddressPrefix": "*", "sourcePortRange": "*",
        "destinationPortRange": "5022"}}]},
}


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI in-process through the guard: (exit code, stdout, stderr)."""
    runner = CliRunner()
    code: Any = 0
    with runner.isolation() as streams:
        try:
            run(cli, args=list(args), prog_name="linkready")
        except SystemExit as exc:
            code = exc.code
    return int(code), streams[0].getvalue().decode(errors="replace"), streams[1].getvalue().decode(errors="replace")


def assert_gate_grade(code: int, err: str) -> None:
    assert code in (0, 1, 2, 3), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("linkready: error: "), err


# --- values -------------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)

toml_scalars = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.dates(), st.datetimes(min_value=dt.datetime(1, 1, 1, 0, 0, 1)), st.times(),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "name", "check"]), inner, max_size=3)),
    max_leaves=6)


def toml_value(value: Any) -> str:
    """A value written as TOML (a tiny writer: the test must not depend on the code under test)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_tables(sections: dict[str, list[str]], array: bool = False) -> st.SearchStrategy[str]:
    """TOML documents whose tables and keys are mostly the real ones, with values of any type."""
    def document(draw: Any) -> str:
        lines = []
        for section in draw(st.lists(st.sampled_from(sorted(sections)), max_size=4)):
            lines.append(f"[[{section}]]" if array else f"[{section}]")
            keys = st.sampled_from([*sections[section], "unknown_key"])
            for key in draw(st.lists(keys, max_size=5, unique=True)):
                lines.append(f"{key} = {toml_value(draw(toml_values))}")
        return "\n".join(lines) + "\n"
    return st.composite(lambda draw: document(draw))()


files = st.one_of(st.binary(max_size=60), st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")))


# --- the fuzz targets ---------------------------------------------------------------------------


def _mutate(data: Any, path: list[int], value: Any) -> Any:
    """Replace the node that ``path`` (indices into children, wrapping) leads to by ``value``."""
    if not path or not isinstance(data, (dict, list)) or not data:
        return value
    if isinstance(data, dict):
        key = sorted(data)[path[0] % len(data)]
        return {**data, key: _mutate(data[key], path[1:], value)}
    index = path[0] % len(data)
    return [*data[:index], _mutate(data[index], path[1:], value), *data[index + 1:]]


@FUZZ
@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=6), value=json_values)
@example(path=[3], value="\ud800")  # a lone surrogate in tool_version
def test_snapshot_loader(tmp_path: Path, path: list[int], value: Any) -> None:
    snapshot = tmp_path / "s.json"
    snapshot.write_text(json.dumps(_mutate(DEMO_DATA, path, value)), encoding="utf-8")
    code, _, err = invoke("evaluate", str(snapshot), "-q", "--format", "console")
    assert_gate_grade(code, err)


@FUZZ
@given(raw=files)
def test_snapshot_loader_raw_bytes(tmp_path: Path, raw: bytes) -> None:
    snapshot = tmp_path / "s.json"
    snapshot.write_bytes(raw)
    code, _, err = invoke("evaluate", str(snapshot), "-q", "--format", "console")
    assert code == 2 and err.count("\n") == 1, err


TARGET_SECTIONS = {
    "source": ["server", "auth", "username", "password_env", "login_timeout", "query_timeout", "network_prefixes",
               "address", "encrypt"],
    "managed_instance": ["resource_id", "fqdn"],
    "azure": ["cloud", "credential", "timeout", "retries", "verify_tls", "arm_endpoint"],
    "network": ["dns_servers", "dns_timeout", "connect_timeout", "port_sample", "concurrency",
                "seeding_throughput_gb_per_hour"],
    "options": ["profile", "waivers", "output", "formats", "probe_timeout", "initial_primary", "failback"],
    "branding": ["customer", "logo", "summary"],
    "link": ["name", "databases", "instance_ag_name", "partner_ag_name", "partner_endpoint", "link_mode"],
}


@FUZZ
@given(document=st.one_of(toml_tables(TARGET_SECTIONS), files.map(lambda b: b.decode("latin-1"))))
@example(document="link = 5\n")
@example(document='[source]\nserver = "h,99999"\n')
@example(document="[options]\nprobe_timeout = inf\n")
def test_target_file(tmp_path: Path, document: str) -> None:
    # evaluate --config loads and validates the target file without probing anything.
    config = tmp_path / "c.toml"
    config.write_text(document, encoding="utf-8", errors="surrogatepass")
    code, _, err = invoke("evaluate", str(DEMO), "--config", str(config), "-q", "--format", "console")
    assert_gate_grade(code, err)


@FUZZ
@given(document=st.one_of(toml_tables({"waiver": ["check", "target", "reason", "owner", "expires"]}, array=True),
                          toml_tables({"waiver": ["check"]}), files.map(lambda b: b.decode("latin-1"))))
@example(document="waiver = 5\n")
@example(document='[[waiver]]\ncheck = "X"\nreason = "r"\nowner = "o"\nexpires = 2030-01-01T00:00:00\n')
@example(document="[waiver]\ncheck = 1\n")
def test_waivers(tmp_path: Path, document: str) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text(document, encoding="utf-8", errors="surrogatepass")
    code, _, err = invoke("demo", "-q", "--format", "console", "--waivers", str(waivers))
    assert_gate_grade(code, err)


@FUZZ
@given(top=st.dictionaries(st.sampled_from(["name", "description", "extends", "include", "exclude",
                                            "warn_is_failure", "thresholds", "other"]), toml_values, max_size=5),
       raw=st.none() | files)
@example(top={"extends": 5}, raw=None)
@example(top={}, raw=b"name = '\xff'")
def test_profiles(tmp_path: Path, top: dict[str, Any], raw: bytes | None) -> None:
    profile = tmp_path / "p.toml"
    if raw is None:
        profile.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in top.items()), encoding="utf-8",
                           errors="surrogatepass")
    else:
        profile.write_bytes(raw)
    code, _, err = invoke("demo", "-q", "--format", "console", "--profile", str(profile))
    assert_gate_grade(code, err)


@FUZZ
@given(path=st.lists(st.integers(min_value=0, max_value=20), max_size=6),
       value=st.one_of(json_values, st.sampled_from(["Infinity", "-Infinity", "NaN", 1e400])))
@example(path=[1, 0, 0, 1, 4], value=math.inf)  # properties.securityRules[0].properties.priority
def test_nsg_eval(tmp_path: Path, path: list[int], value: Any) -> None:
    nsg = tmp_path / "n.json"
    nsg.write_text(json.dumps(_mutate(NSG_DOC, path, value), allow_nan=True), encoding="utf-8")
    code, _, err = invoke("nsg-eval", str(nsg), "--direction", "inbound", "--source", "10.1.2.3",
                          "--port", "5022,11000-11999")
    assert_gate_grade(code, err)


def test_a_sample_through_a_subprocess(tmp_path: Path) -> None:
    """The in-process runs above are faithful: the same inputs give the same code and line here."""
    cases = [
        ("w.toml", "waiver = 5\n", ("demo", "-q", "--format", "console", "--waivers")),
        ("p.toml", "extends = 5\n", ("demo", "-q", "--format", "console", "--profile")),
        ("s.json", '{"schema_version": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}",
         ("evaluate", "-q", "--format", "console")),
    ]
    for name, text, args in cases:
        path = tmp_path / name
        path.write_text(text)
        result = run_cli(*args, str(path))
        code, _, err = invoke(*args, str(path))
        assert (result.returncode, result.stderr) == (code, err)
