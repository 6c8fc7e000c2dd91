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
from dataclasses import dataclass, field
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
.small-maps img{max-width:230px}
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


def fmt_measure(value) -> str:
    """An indicator's value or standard: a whole number without decimals (15 个, ≤0),
    otherwise two decimals (28.01%)."""
    if value is None or pd.isna(value):
        return "—"
    return fmt(value, 0 if float(value).is_integer() else 2)


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

    body = zh_typography(body)
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
    """What one report run wrote for a period: the files and the index page to open, and
    the Word and PDF files it wrote itself beside its pages ({page: [files]}; a writer
    that shares its pages among processes writes each page's documents where it wrote
    the page)."""

    period: str
    files: list[Path]
    index: Path
    documents: dict[Path, list[Path]] = field(default_factory=dict)


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


# Chinese typography (GB/T 15834): in Chinese text the punctuation is full-width. The
# reports' sentences are written from many parts (numbers, names, codes), so the rule is
# applied once, to the text of the finished page: a half-width mark beside a Chinese
# character (or a pair of brackets around Chinese text) becomes full-width; marks between
# digits or Latin letters (1,234 / 12:30 / GB/T 2260) stay as they are.
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_SKIP_TEXT_OF = ("style", "script")
_PARTS = re.compile(r"(<[^>]*>)")
# A character reference in a page's text (&lt; &amp; &#20013; &#x4e2d;): its ";" is markup.
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _is_chinese(char: str) -> bool:
    return ("\u4e00" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f"
            or "\uff00" <= char <= "\uffef" or char in "“”‘’—…·")


def zh_typography(markup: str) -> str:
    """The page with full-width punctuation in its Chinese text (tags, attributes, styles
    and scripts untouched; spaces beside a mark made full-width dropped)."""
    parts = _PARTS.split(markup)
    # the text nodes, in order, as one string with their positions
    chars: list[str] = []
    owner: list[tuple[int, int]] = []  # (part index, offset in part) per char
    skipping = None
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = part[1:].split(None, 1)[0].lower().rstrip(">") if len(part) > 2 else ""
            if skipping is None and name in _SKIP_TEXT_OF:
                skipping = name
            elif skipping is not None and name == "/" + skipping:
                skipping = None
            chars.append(" ")  # a tag separates words, never joins them
            owner.append((-1, -1))
            continue
        if skipping is not None:
            continue
        for offset, char in enumerate(part):
            chars.append(char)
            owner.append((index, offset))
    text = "".join(chars)

    def neighbour(position: int, step: int) -> str:
        position += step
        while 0 <= position < len(text) and text[position] == " ":
            position += step
        return text[position] if 0 <= position < len(text) else ""

    references = {match.end() - 1 for match in _REFERENCE.finditer(text)}
    change: dict[int, str] = {}
    opened: list[int] = []
    for position, char in enumerate(text):
        if char == "(":
            opened.append(position)
        elif char == ")" and opened:
            start = opened.pop()
            inner = text[start + 1:position]
            if (any(_is_chinese(c) for c in inner) or _is_chinese(neighbour(start, -1))):
                change[start], change[position] = "（", "）"
        elif char == ")":  # unpaired (a fragment): by its Chinese neighbour
            if _is_chinese(neighbour(position, -1)):
                change[position] = "）"
        elif char in ",;:?!" and position not in references:
            before, after = text[position - 1: position], text[position + 1: position + 2]
            if before.isdigit() and after.isdigit():
                continue  # 1,234 and 12:30
            if _is_chinese(neighbour(position, -1)) or _is_chinese(neighbour(position, 1)):
                change[position] = _FULL[char]
    for start in opened:  # unpaired "(" (a fragment): by its Chinese neighbours
        if (_is_chinese(neighbour(start, -1))
                or any(_is_chinese(c) for c in text[start + 1:start + 21])):
            change[start] = "（"
    if not change:
        return markup
    # spaces next to a full-width mark go (the mark carries its own space)
    drop = set()
    for position in change:
        for step in (-1, 1):
            cursor = position + step
            while 0 <= cursor < len(text) and text[cursor] == " " and owner[cursor][0] >= 0:
                drop.add(cursor)
                cursor += step
    edited = [list(part) if not part.startswith("<") else None for part in parts]
    for position, new in change.items():
        index, offset = owner[position]
        edited[index][offset] = new
    for position in drop:
        index, offset = owner[position]
        edited[index][offset] = ""
    return "".join(part if chars_ is None else "".join(chars_)
                   for part, chars_ in zip(parts, edited, strict=True))
