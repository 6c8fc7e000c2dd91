"""Thin releases made by hand from a demo release: the same published tables, fewer rows.

A thin release is a folder with a self-contained ``published.duckdb`` (tables, not views
over Parquet files) and a ``manifest.json``: all a report reads of a release. The rows
are copied from a demo release, then SQL statements delete or blank what the case
leaves out (only the last year ingested, no register for a month, an indicator NULL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb

MANIFEST = "manifest.json"
RELEASE_DB = "published.duckdb"


def thin_release(source: Path, target: Path, edits: Iterable[str] = (),
                 period: str | None = None) -> Path:
    """Copy the published tables of ``source`` into ``target``, then run ``edits``."""
    target.mkdir(parents=True)
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    con = duckdb.connect(str(target / RELEASE_DB))
    try:
        con.execute(f"attach '{source / RELEASE_DB}' as src (read_only)")
        names = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'src' "
            "order by table_name").fetchall()]
        for name in names:
            con.execute(f'create table main."{name}" as select * from src."{name}"')
        con.execute("detach src")
        for sql in edits:
            con.execute(sql)
        counts = {name: con.execute(f'select count(*) from "{name}"').fetchone()[0]
                  for name in names}
    finally:
        con.close()
    period = period or manifest["period"]
    manifest.update(period=period, release_id=f"{period}-thin-{target.name}",
                    tables={name: {"rows": rows} for name, rows in counts.items()})
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    return target


def columns(source: Path) -> dict[str, set[str]]:
    """The columns of every published table of a release."""
    con = duckdb.connect(str(source / RELEASE_DB), read_only=True)
    try:
        rows = con.execute("select table_name, column_name from information_schema.columns"
                           ).fetchall()
    finally:
        con.close()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def only_year(source: Path, year: int) -> list[str]:
    """Edits leaving only ``year``: as if it were the first year ever ingested.

    Rows of earlier years go; the five-year assessment becomes what dbt makes of one
    year (start = end, every status ``no_data``) and the trajectory's changes are set to
    zero, the figure a report must not print as a change.
    """
    edits = []
    for table, cols in columns(source).items():
        for column in ("period_year", "recheck_year", "first_diagnosed_year"):
            if column in cols:
                edits.append(f'delete from "{table}" where {column} < {year}')
    return [*edits,
            f"delete from pub_recheck where baseline_year < {year}",
            f"update pub_five_year_assessment set start_year = {year}, end_year = {year}, "
            "start_value = end_value, start_score = end_score, start_attained = end_attained, "
            "change_abs = null, avg_annual_change = null, avg_annual_change_pct = null, "
            "is_improved = null, assessment_status = 'no_data'",
            "update pub_index_trajectory set index_change_from_baseline = 0, "
            "index_change_yoy = null, rank_change_from_baseline = 0"]


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def headline(text: str) -> str:
    match = re.search(r'<div class="headline">(.*?)</div>', text, re.S)
    return match[1] if match else ""


def duplicate_headings(text: str) -> list[str]:
    """Headings that repeat within one table's header row, or h2/h3 headings repeated."""
    found = []
    for header_row in re.findall(r"<table><tr>(.*?)</tr>", text, re.S):
        cells = re.findall(r"<th>(.*?)</th>", header_row, re.S)
        found += sorted({c for c in cells if cells.count(c) > 1})
    for level in ("h2", "h3"):
        titles = re.findall(rf"<{level}>(.*?)</{level}>", text, re.S)
        found += sorted({t for t in titles if titles.count(t) > 1})
    return found
