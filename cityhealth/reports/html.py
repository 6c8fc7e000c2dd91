"""The HTML every report shares: one stylesheet, tables, numbers, the page shell.

Pages are self-contained (CSS inline, charts as data URIs, the subset of the Chinese
font they use embedded: :mod:`cityhealth.reports.fonts`): they open offline and read
the same on a machine with no Chinese system font.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

STYLE = """
body{font-family:"CityHealthCJK","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",
"PingFang SC",
sans-serif;max-width:980px;margin:2em auto;color:#1d1d1f;line-height:1.6}
h1{color:#123c6b;border-bottom:3px solid #123c6b;padding-bottom:.3em}
h2{color:#123c6b;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:1em 0;font-size:14px}
td,th{border:1px solid #d0d7de;padding:4px 8px}th{background:#eef3f8;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.headline{font-size:20px;background:#f5f8fb;padding:1em;border-left:6px solid #1f5fa8}
.miss{color:#b3261e}.ok{color:#1a7f37}.note{color:#666;font-size:13px}
.red{color:#fff;background:#c62828;padding:0 .4em}.yellow{background:#f9d74c;padding:0 .4em}
.green{color:#fff;background:#2e7d32;padding:0 .4em}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts img{max-width:470px}
.basis{color:#444;font-size:14px}
.gaps{background:#fff7e6;border-left:6px solid #e0a000;padding:.6em 1em;margin:1em 0}
.gaps ul{margin:.3em 0 0 0;padding-left:1.4em}.gap{color:#8a4b00}
"""

WARNING_ZH = {"red": '<span class="red">红</span>', "yellow": '<span class="yellow">黄</span>',
              "green": '<span class="green">绿</span>'}


def esc(value) -> str:
    """Escaped text of a cell; a missing value (None, NaN, pandas NA) is empty."""
    try:
        absent = value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cells
        absent = False
    return html.escape("" if absent else str(value))


def fmt(value, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table of already-escaped cells; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str) -> str:
    from cityhealth.reports.fonts import font_face

    face = font_face(_visible(f"{html.escape(title)} {body}"))
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{face}{STYLE}</style></head>"
            f"<body>{body}</body></html>")


_TAG = re.compile(r"<[^>]*>")


def _visible(markup: str) -> str:
    """The text of a page's markup (tags and their attributes, e.g. image data, removed)."""
    return _TAG.sub(" ", markup)


@dataclass(frozen=True)
class ReportSet:
    """What one report run wrote for a period: the files and the index page to open."""

    period: str
    files: list[Path]
    index: Path


def save_report(period: str, out_dir: Path | None, html_name: str, html_text: str,
                workbook_name: str, title: str, sheets: dict[str, pd.DataFrame]) -> ReportSet:
    """A period's page and its workbook into ``out_dir`` (default ``reports/<period>/``)."""
    from cityhealth.core.settings import settings
    from cityhealth.reports.xlsx import write_workbook

    out_dir = out_dir or settings().reports_dir / period
    out_dir.mkdir(parents=True, exist_ok=True)
    page_path = out_dir / html_name
    page_path.write_text(html_text, encoding="utf-8")
    workbook = write_workbook(out_dir / workbook_name, title, sheets)
    return ReportSet(period, [page_path, workbook], page_path)


@contextmanager
def release(release_dir: Path | None = None, period: str | None = None
            ) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict]]:
    """The published release a report reads, and its manifest.

    ``release_dir`` when given (a DAG passes the release it has just published); else
    the current release of ``period`` (``cityhealth.warehouse.release.release_of``): a report of
    2023 written again reads 2023's release, not the newest; else ``releases/latest``.
    """
    from cityhealth.core.settings import settings
    from cityhealth.warehouse.release import LATEST_LINK, MANIFEST, RELEASE_DB, release_of

    folder = release_dir
    if folder is None and period is not None:
        try:
            folder = release_of(period)
        except FileNotFoundError:
            folder = None
    folder = (folder or settings().releases_dir / LATEST_LINK).resolve()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    con = duckdb.connect(str(folder / RELEASE_DB), read_only=True)
    try:
        yield con, manifest
    finally:
        con.close()
