#!/usr/bin/env python3
"""Regenerate ``linkready/domain/sql_builds/builds.json`` from Microsoft's published SQL Server build lists.

Source: the Microsoft Learn support articles "SQL Server 20xx build versions"
(KB3177312 for 2016, KB4047329 for 2017, KB4518398 for 2019, KB5023451 for 2022,
KB5005684 for 2025), kept in the public MicrosoftDocs/SupportArticles-docs repository as
``support/sql/releases/<sqlserver-20xx>/build-versions.md``. Save each page's markdown and
pass the files (or a folder holding them) to this script::

    python scripts/gen_sql_builds.py pages/sqlserver-2019-build-versions.md pages/...

Every table whose header has a name column ("Cumulative update name" or "GDR name"), a
build column ("SQL Server build version" or "Product version"), a "Knowledge Base number"
and a "Release date" is read; other tables are ignored. Builds that the lists do not
carry (for example an RTM that the page omits) come from ``additional_builds`` in
``linkready/domain/sql_builds/minimums.json``. Entries already in builds.json that no page lists
are kept, so regenerating from a subset of pages never loses data; a page always wins
over an older entry for the same build. ``--check`` validates the data file and exits
non-zero on problems.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "linkready" / "domain" / "sql_builds" / "builds.json"
MINIMUMS = ROOT / "linkready" / "domain" / "sql_builds" / "minimums.json"

VERSION_NAMES = {13: "2016", 14: "2017", 15: "2019", 16: "2022", 17: "2025"}
BUILD_RE = re.compile(r"^\d{2}\.\d\.\d{3,5}\.\d{1,4}$")
KB_RE = re.compile(r"KB ?(\d{6,7})", re.IGNORECASE)


def build_key(build: str) -> tuple[int, ...]:
    return tuple(int(part) for part in build.split("."))


def sp_level_2016(build: str) -> str:
    """SQL Server 2016 rows are named per service-pack branch; the build number says which."""
    number = build_key(build)[2]
    if number >= 7000:
        return "SP3"
    for floor, level in ((6300, "SP3"), (5026, "SP2"), (4001, "SP1")):
        if number >= floor:
            return level
    return "RTM"


def classify(name: str) -> str:
    lowered = name.lower()
    if "azure connect" in lowered:
        return "azure-connect+gdr" if "gdr" in lowered else "azure-connect"
    if "gdr" in lowered or "servicing update" in lowered:
        return "cu+gdr" if re.search(r"\bcu\d+", lowered) else "gdr"
    if re.search(r"\bcu\d+", lowered):
        return "cu"
    if re.fullmatch(r"(sp\d+)", lowered):
        return "sp"
    if lowered == "rtm":
        return "rtm"
    return "other"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _column(header: list[str], *needles: str) -> int | None:
    for index, title in enumerate(header):
        if any(needle in title.lower() for needle in needles):
            return index
    return None


def parse_page(text: str) -> list[dict[str, Any]]:
    """Rows of every build table in one build-versions page."""
    rows: list[dict[str, Any]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.lstrip().startswith("|") or i + 1 >= len(lines) or "---" not in lines[i + 1]:
            i += 1
            continue
        header = _cells(line)
        name_col = _column(header, "update name", "gdr name")
        build_col = _column(header, "sql server build version", "product version", "sql server product version")
        kb_col = _column(header, "knowledge base")
        date_col = _column(header, "release date")
        i += 2
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            cells = _cells(lines[i])
            i += 1
            if None in (name_col, build_col, kb_col, date_col) or len(cells) < len(header):
                continue
            assert name_col is not None and build_col is not None and kb_col is not None
            assert date_col is not None
            build = cells[build_col].strip()
            if not BUILD_RE.match(build):
                continue
            raw_name = cells[name_col]
            removed = "removed" in raw_name.lower()
            name = re.sub(r"\s*\((latest|removed)\)\s*", "", raw_name, flags=re.IGNORECASE).strip()
            name = re.sub(r"\s*\+\s*", " + ", name)
            major = build_key(build)[0]
            if major == 13 and not name.upper().startswith(("SP", "AZURE")):
                name = f"{sp_level_2016(build)} {name}"
            kb_match = KB_RE.search(cells[kb_col])
            released = None
            date_text = cells[date_col].strip()
            if date_text and date_text.upper() != "NA":
                released = datetime.strptime(date_text, "%B %d, %Y").date().isoformat()
            rows.append({
                "build": build,
                "version": VERSION_NAMES.get(major, str(major)),
                "name": name,
                "kind": classify(name),
                "kb": f"KB{kb_match.group(1)}" if kb_match else None,
                "released": released,
                **({"note": "withdrawn by Microsoft"} if removed else {}),
            })
    return rows


def merge(existing: list[dict[str, Any]], pages: list[dict[str, Any]], extra: list[dict[str, Any]]
          ) -> list[dict[str, Any]]:
    by_build: dict[str, dict[str, Any]] = {row["build"]: row for row in existing}
    for row in extra:
        by_build.setdefault(row["build"], row)
    seen: set[str] = set()
    for row in pages:
        # A build listed twice on one page (e.g. "CU3" and "CU3 + GDR") keeps its first, plain name.
        if row["build"] in seen and row["kind"] in ("cu+gdr", "gdr"):
            continue
        seen.add(row["build"])
        by_build[row["build"]] = {**by_build.get(row["build"], {}), **row}
    return sorted(by_build.values(), key=lambda row: build_key(row["build"]))


def check(data: dict[str, Any]) -> list[str]:
    problems = []
    seen: set[str] = set()
    previous: tuple[int, ...] = ()
    for row in data["builds"]:
        build = row["build"]
        if not BUILD_RE.match(build):
            problems.append(f"{build}: not a four-part build")
        if build in seen:
            problems.append(f"{build}: listed twice")
        if build_key(build) < previous:
            problems.append(f"{build}: out of order")
        if row.get("kb") is not None and not re.fullmatch(r"KB\d{6,7}", row["kb"]):
            problems.append(f"{build}: bad KB {row['kb']!r}")
        if row.get("released") is not None:
            datetime.strptime(row["released"], "%Y-%m-%d")
        seen.add(build)
        previous = build_key(build)
    return problems


def write(data: dict[str, Any], path: Path) -> None:
    """One build per line, so a regeneration diff reads like a changelog."""
    head = {key: value for key, value in data.items() if key != "builds"}
    body = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    lines = [json.dumps(row, ensure_ascii=False) for row in data["builds"]]
    path.write_text(body + ',\n  "builds": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="build-versions markdown files or folders")
    parser.add_argument("--output", type=Path, default=DATA)
    parser.add_argument("--check", action="store_true", help="only validate the data file")
    args = parser.parse_args(argv)

    data = json.loads(args.output.read_text(encoding="utf-8")) if args.output.exists() else {"builds": []}
    if args.check:
        problems = check(data)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0

    files = [f for p in args.pages for f in (sorted(p.glob("*.md")) if p.is_dir() else [p])]
    rows: list[dict[str, Any]] = []
    sources = {s["page"]: s for s in data.get("sources", [])}
    for file in files:
        text = file.read_text(encoding="utf-8")
        rows += parse_page(text)
        title = re.search(r"^title:\s*(.+)$", text, re.MULTILINE)
        ms_date = re.search(r"^ms\.date:\s*(\S+)$", text, re.MULTILINE)
        page = title.group(1).strip() if title else file.name
        sources[page] = {"page": page, "ms_date": ms_date.group(1) if ms_date else None}
    extra = json.loads(MINIMUMS.read_text(encoding="utf-8")).get("additional_builds", [])
    data = {
        "about": "SQL Server builds since RTM for 2016-2025: name, KB and release date. Generated by "
                 "scripts/gen_sql_builds.py from Microsoft's 'SQL Server 20xx build versions' support "
                 "articles (MicrosoftDocs/SupportArticles-docs, support/sql/releases/*/build-versions.md). "
                 "Regenerate from the current pages; do not edit by hand. A null kb or released means the "
                 "source did not give one.",
        "sources": sorted(sources.values(), key=lambda s: s["page"]),
        "builds": merge(data.get("builds", []), rows, extra),
    }
    problems = check(data)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    write(data, args.output)
    print(f"{len(data['builds'])} builds written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
