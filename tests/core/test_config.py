"""Every class of configuration error is exit 2 with one line that names the key."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.core.conftest import GOOD_LINK

MI = "/subscriptions/6d1f0c9e-3b7a-4c1e-9a55-0f2b8e4d7c11/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi-one"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[sourc]\nserver = 'x'\n", "unknown key 'sourc'"),
        ("[source]\nserver = 'x'\nport = 1433\n", "unknown key 'source.port'"),
        ("[source]\nserver = 'x'\nlogin_timeout = 'soon'\n", "'source.login_timeout'"),
        ("[source]\nusername = 'x'\n", "missing required key 'source.server'"),
        ("[managed_instance]\nresource_id = '/subscriptions/abc/mi'\n", "'managed_instance.resource_id'"),
        (GOOD_LINK.replace('["Sales"]', '["Sales", ""]'), "entry 2 is empty"),
        (GOOD_LINK.replace('["Sales"]', '"Sales,,HR"'), "entry 2 is empty (stray separator?)"),
        (GOOD_LINK.replace('["Sales"]', '"Sales,"'), "stray separator"),
        (GOOD_LINK.replace('["Sales"]', '["Sales", "sales"]'), "'sales' is listed twice"),
        (GOOD_LINK.replace('["Sales"]', '["msdb"]'), "'msdb' is a system database"),
        (GOOD_LINK.replace('["Sales"]', f'["{"x" * 129}"]'), "129 characters"),
        (GOOD_LINK.replace('["Sales"]', "[]"), "the list is empty"),
        (GOOD_LINK.replace('["Sales"]', "[1, 2]"), "'link.0.databases.0'"),
        ("[network]\nport_sample = -1\n", "'network.port_sample'"),
        ("[source]\nserver = 'x'\nnetwork_prefixes = ['10.0.0.0/33']\n", "'10.0.0.0/33' is not a CIDR prefix"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_config_errors_exit_2_with_one_line_naming_the_key(write_config, text: str, names: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("collect", "--config", str(write_config(text)), "-o", "/dev/null")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert lines[0].startswith("linkready: error: ")
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_a_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_cli_flags_override_the_file(write_config) -> None:  # type: ignore[no-untyped-def]
    from linkready.config import load_config

    config = load_config(write_config(GOOD_LINK), {"link.databases": "Orders", "managed_instance.resource_id": MI})
    assert config.link[0].databases == ["Orders"]
    assert config.managed_instance is not None and config.managed_instance.name == "mi-one"


def test_flag_database_list_is_validated_too(write_config) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("collect", "--config", str(write_config(GOOD_LINK)), "--databases", "Sales,,HR")
    assert result.returncode == 2
    assert "'link.0.databases'" in result.stderr and "stray separator" in result.stderr


def test_sql_auth_without_password_and_without_terminal_is_a_usage_error(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config("[source]\nserver = '127.0.0.1,1'\nusername = 'probe'\npassword_env = 'LR_TEST_NOPE'\n")
    result = run_cli("collect", "--config", str(path), "-o", "/dev/null", env={"LR_TEST_NOPE": ""})
    assert result.returncode == 2
    assert "LR_TEST_NOPE is not set" in result.stderr


def test_init_writes_a_template_that_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from linkready.config import load_config

    path = tmp_path / "t.toml"
    assert run_cli("init", str(path)).returncode == 0
    config = load_config(path)
    assert config.link[0].name == "link-sales"
    assert run_cli("init", str(path)).returncode == 2  # refuses to overwrite
