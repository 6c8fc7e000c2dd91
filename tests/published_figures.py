"""The published figures of a release, as one digest per table.

A refactoring must not move a figure: ``tests/warehouse/test_published_figures.py``
compares the demo's releases with ``tests/fixtures/published_figures.json``. Rows are
compared as text, sorted, with floating-point values written to 9 significant digits
(the releases keep 12), so a change in the last bits of a sum does not count and any
real change of a figure does.

When a figure changes on purpose (a method change, a new indicator), write the new
digests with

    .venv/bin/python -m tests.published_figures <CITYHEALTH_HOME of a demo build>

and say in the commit which figures changed and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

FIXTURE = Path(__file__).parent / "fixtures" / "published_figures.json"
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def _row_text(columns: list[tuple[str, str]]) -> str:
    parts = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        value = (f"printf('%.9g', {quoted})" if data_type in FLOAT_TYPES
                 else f"cast({quoted} as varchar)")
        parts.append(f"coalesce({value}, '∅')")
    return "concat_ws('|', " + ", ".join(parts) + ")"


def figures(release_dir: Path) -> dict[str, dict[str, object]]:
    """Table -> rows and digest of the release's published tables."""
    con = duckdb.connect(str(release_dir / "published.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' order by table_name").fetchall()]
        digests: dict[str, dict[str, object]] = {}
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [table]).fetchall()
            rows, digest = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f"from (select {_row_text(columns)} as r from \"{table}\")").fetchone()
            digests[table] = {"rows": rows, "md5": digest}
        return digests
    finally:
        con.close()


def release_figures(home: Path) -> dict[str, dict[str, dict[str, object]]]:
    """Period label -> figures of the newest release of that period under ``home``."""
    result = {}
    for period_dir in sorted((home / "releases").iterdir()):
        if period_dir.is_symlink() or not period_dir.is_dir():
            continue
        releases = sorted(p for p in period_dir.iterdir()
                          if (p / "published.duckdb").is_file() and not p.is_symlink())
        if releases:
            newest = max(releases, key=lambda p: json.loads(
                (p / "manifest.json").read_text(encoding="utf-8"))["created_at"])
            result[period_dir.name] = figures(newest)
    return result


if __name__ == "__main__":
    home = Path(sys.argv[1])
    FIXTURE.write_text(json.dumps(release_figures(home), indent=1, sort_keys=True,
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
