from __future__ import annotations

from pathlib import Path

import pytest

GOOD_LINK = """
[[link]]
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "AG_Sales_MI"
partner_ag_name = "AG_Sales"
partner_endpoint = "TCP://10.1.0.4:5022"
"""

BAD_LINK = """
[[link]]
name = "link-sales"
databases = ["Sales"]
instance_ag_name = "AG_Sales"
partner_ag_name = "AG_Sales"
partner_endpoint = "sqlbox:5022"
"""


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "target.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
