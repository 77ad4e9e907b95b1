from __future__ import annotations

from linkready.cli import main

main()
