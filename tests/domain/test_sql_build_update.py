"""`linkready sql-build --update`: a real HTTPS server on loopback (trustme CA) serving good and bad catalogues.

Every failure is one line on stderr, exit 3, and the catalogue in use (bundled, or the cached copy)
is byte-for-byte what it was before.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from linkready.commands.sql_build import MAX_BYTES
from linkready.domain import sql_builds
from tests.conftest import ROOT, run_cli

BUNDLED = json.loads((ROOT / "linkready" / "domain" / "sql_builds" / "builds.json").read_text(encoding="utf-8"))
NEW_BUILD = "17.0.4999.3"


def _catalogue(when: str, *, extra: bool = True) -> bytes:
    data: dict[str, Any] = {**BUNDLED, "catalogue_date": when, "builds": list(BUNDLED["builds"])}
    if extra:
        data["builds"].append({"build": NEW_BUILD, "version": "2025", "name": "CU42", "kind": "cu",
                               "kb": "KB5999999", "released": when, "page": "test", "commit": None})
    return json.dumps(data).encode()


ROUTES: dict[str, bytes] = {
    "/good.json": _catalogue("2099-01-01"),
    "/newer.json": _catalogue("2099-06-01"),
    "/older.json": _catalogue("2000-01-01"),
    "/corrupt.json": b'{"schema": 2, "catalogue_date": "2099-01-01", "builds": [{"build": "not a build"',
    "/wrong-schema.json": json.dumps({"schema": 99, "catalogue_date": "2099-01-01", "builds": []}).encode(),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        if self.path in ROUTES:
            body = ROUTES[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/huge-declared.json":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_BYTES * 4))
            self.end_headers()
        elif self.path == "/huge-streamed.json":  # no Content-Length: the reader must stop at the limit itself
            self.send_response(200)
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(MAX_BYTES // len(chunk) + 8):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client hung up at the limit, as it should
            self.close_connection = True
        elif self.path == "/slow.json":
            time.sleep(3)
            self.send_response(200)
            self.end_headers()
        else:
            self.send_error(404, "Not Found")


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, CA bundle) of an HTTPS server on 127.0.0.1 whose certificate a test CA signed."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", bundle
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _env(cache: Path, bundle: Path | None) -> dict[str, str]:
    env = {sql_builds.CACHE_ENV: str(cache), "LINKREADY_CATALOGUE_TIMEOUT": "1"}
    if bundle is not None:
        env["SSL_CERT_FILE"] = str(bundle)
    return env


def _update(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = run_cli("sql-build", "--update", *args, env=env)
    return result.returncode, result.stdout, result.stderr


def _digest(cache: Path) -> str | None:
    path = cache / "sql-builds.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _in_use(env: dict[str, str]) -> dict[str, Any]:
    result = run_cli("sql-build", "--catalogue-info", "--json", env=env)
    assert result.returncode == 0, result.stderr
    info: dict[str, Any] = json.loads(result.stdout)
    return info


def test_good_catalogue_is_cached_and_wins_over_the_bundled_one(https: tuple[str, Path], cache: Path) -> None:
    base, bundle = https
    env = _env(cache, bundle)
    assert _in_use(env)["origin"] == "bundled"
    assert "not in the catalogue" in run_cli("sql-build", NEW_BUILD, env=env).stdout
    code, out, err = _update(env, "--url", f"{base}/good.json")
    assert code == 0, err
    assert out.strip().startswith("updated the SQL Server build catalogue to 2099-01-01")
    info = _in_use(env)
    assert info["date"] == "2099-01-01" and info["origin"].startswith("cached")
    assert "CU42 (KB5999999" in run_cli("sql-build", NEW_BUILD, env=env).stdout
    assert "2099-01-01" in run_cli("--version", env=env).stdout
    assert not list(cache.glob(".sql-builds-*"))  # no temporary file left behind
    # The package data is never written.
    assert json.loads((ROOT / "linkready" / "domain" / "sql_builds" / "builds.json").read_text()) == BUNDLED


@pytest.mark.parametrize(("path", "needle"), [
    ("/corrupt.json", "not a JSON build catalogue"),
    ("/wrong-schema.json", "schema 99"),
    ("/huge-declared.json", "byte limit"),
    ("/huge-streamed.json", "byte limit"),
    ("/slow.json", "did not answer within 1 s"),
    ("/missing.json", "HTTP 404"),
])
def test_bad_downloads_leave_the_previous_catalogue_intact(https: tuple[str, Path], cache: Path, path: str,
                                                           needle: str) -> None:
    base, bundle = https
    env = _env(cache, bundle)
    assert _update(env, "--url", f"{base}/good.json")[0] == 0
    before = _digest(cache)
    code, out, err = _update(env, "--url", f"{base}{path}")
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err and "unchanged" in err, err
    assert "Traceback" not in err
    assert _digest(cache) == before and _in_use(env)["date"] == "2099-01-01"


def test_older_catalogue_is_not_installed(https: tuple[str, Path], cache: Path) -> None:
    base, bundle = https
    env = _env(cache, bundle)
    assert _update(env, "--url", f"{base}/newer.json")[0] == 0
    before = _digest(cache)
    code, out, _err = _update(env, "--url", f"{base}/older.json")
    assert code == 0 and "not newer than the catalogue in use (2099-06-01" in out and "kept" in out
    assert _digest(cache) == before
    # Older than the bundled one too, with an empty cache: nothing is written at all.
    fresh = cache.parent / "fresh"
    assert _update(_env(fresh, bundle), "--url", f"{base}/older.json")[0] == 0
    assert _digest(fresh) is None


def test_certificate_is_verified(https: tuple[str, Path], cache: Path) -> None:
    base, _bundle = https
    code, _out, err = _update(_env(cache, None), "--url", f"{base}/good.json")
    assert code == 3 and "CERTIFICATE_VERIFY_FAILED" in err and _digest(cache) is None


def test_plain_http_and_the_env_url(https: tuple[str, Path], cache: Path) -> None:
    base, bundle = https
    code, _out, err = _update(_env(cache, bundle), "--url", base.replace("https", "http") + "/good.json")
    assert code == 3 and "only downloaded over HTTPS" in err
    env = {**_env(cache, bundle), "LINKREADY_CATALOGUE_URL": f"{base}/good.json"}
    assert _update(env)[0] == 0 and _in_use(env)["date"] == "2099-01-01"


def test_update_from_a_local_file(tmp_path: Path, cache: Path) -> None:
    env = _env(cache, None)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(_catalogue("2099-02-02"))
    bad.write_bytes(b"<html>proxy login</html>")
    code, _out, err = _update(env, "--from", str(bad))
    assert code == 3 and len(err.strip().splitlines()) == 1 and _digest(cache) is None
    code, _out, err = _update(env, "--from", str(tmp_path / "absent.json"))
    assert code in (2, 3) and "Traceback" not in err
    assert _update(env, "--from", str(good))[0] == 0 and _in_use(env)["date"] == "2099-02-02"


def test_damaged_cache_falls_back_to_the_bundled_catalogue(cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "sql-builds.json").write_text("{ half a file", encoding="utf-8")
    info = _in_use(_env(cache, None))
    assert info["origin"] == "bundled" and info["date"] == BUNDLED["catalogue_date"]


def test_from_without_update_is_a_usage_error() -> None:
    result = run_cli("sql-build", "--from", "x.json")
    assert result.returncode == 2 and result.stderr.startswith("linkready: error:")
