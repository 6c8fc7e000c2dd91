"""The Chinese font a page uses, embedded in the page (``@font-face`` with a data URI).

A report opened on a machine with no Chinese system font must not show empty boxes:
each page carries the subset of Noto Sans CJK SC (the charts' font, from the
``mplfonts`` wheel) holding exactly the characters on it, plus printable ASCII, as an
OpenType (CFF) font in base64 (about 50 KB for a city report; WOFF2 would need Brotli,
which the project does not install).

Subsetting the whole font (16 MB) takes about 0.5 s a page, so a base font is cut once,
~4 s, and kept in ``<home>/cache``; each page's subset is cut from it (~0.15 s), the same
bytes as cut from the whole font. The base holds the characters reports are made of (the
reference seeds' texts, the sentences the dbt models write and the report writers' own)
and the 7,445 of GB 2312, the national set of the names the deliveries carry (check
objects such as 紫薇苑 or 幸福村): a city's page shows a dozen such names beyond the seeds.
Only a page with a character outside both is cut from the whole font.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import os
from functools import lru_cache
from pathlib import Path

# fontTools logs every step of a cut at INFO, glyph lists included: an annual run's
# write_reports task log held 257 such lines (200 KB). Its warnings are kept.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "CityHealthCJK"
ASCII = frozenset(range(0x20, 0x7F))


def characters(text: str) -> frozenset[int]:
    """The code points a page shows (its text with entities decoded), plus ASCII."""
    return frozenset(ord(c) for c in html.unescape(text) if not c.isspace()) | ASCII


def _cut(source: bytes | str, code_points: frozenset[int]) -> bytes:
    """The font ``source`` (a path: the whole font; bytes: a cut of it) cut to
    ``code_points``. Cutting the whole font also drops its hints and subroutines; a cut of
    a cut has none left to drop and keeps its font box, which spares most of the work
    (the glyph programs are neither rewritten nor run again to measure them)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    whole = not isinstance(source, bytes)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the font's names and licence text
    options.notdef_outline = True
    options.layout_features = []
    options.hinting = not whole  # (False: drop them; True: nothing left to keep)
    options.desubroutinize = whole
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    font = TTFont(source if whole else io.BytesIO(source), lazy=True, recalcBBoxes=False,
                  recalcTimestamp=False)  # the same page, the same bytes, whenever cut
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


# Part of the base font's cache key: raise it when _cut changes what it makes.
_CUT_VERSION = 1


def gb2312() -> frozenset[int]:
    """The characters of GB 2312: 6,763 hanzi and 682 symbols, letters and digits."""
    points = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:  # a code the standard leaves empty
                continue
    return frozenset(points)


def report_characters() -> frozenset[int]:
    """The characters reports are made of: the reference seeds' texts, the sentences the
    dbt models write and the report writers' own."""
    from cityhealth.core.settings import DBT_PROJECT_DIR, SEEDS_DIR

    sources = [*SEEDS_DIR.glob("*.csv"), *DBT_PROJECT_DIR.glob("models/**/*.sql"),
               *Path(__file__).parent.glob("*.py")]
    return characters("".join(path.read_text(encoding="utf-8") for path in sorted(sources)))


@lru_cache(maxsize=1)
def _base() -> tuple[frozenset[int], bytes]:
    """The characters reports are made of and those of GB 2312, and the font cut to them.

    Cut once per deployment: kept in ``<home>/cache/fonts`` under a key of the font file,
    the characters and the way of cutting, so that a report task and each of its helper
    processes read it instead of cutting it again (about 4 s each). Any change of the
    seeds' or models' texts changes the characters, hence the key.
    """
    from cityhealth.core.settings import settings
    from cityhealth.reports.charts import cjk_font_path

    code_points = report_characters() | gb2312()
    font = cjk_font_path()
    stat = font.stat()
    key = hashlib.sha256(repr((_CUT_VERSION, str(font), stat.st_size, stat.st_mtime_ns,
                               sorted(code_points))).encode()).hexdigest()[:24]
    cached = settings().cache_dir / "fonts" / f"base-{key}.otf"
    if cached.is_file():
        return code_points, cached.read_bytes()
    cut = _cut(str(font), code_points)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
    partial.write_bytes(cut)
    os.replace(partial, cached)  # whole or not at all, whoever cuts it at the same time
    return code_points, cut


@lru_cache(maxsize=32)
def subset_font(code_points: frozenset[int]) -> bytes:
    """The embedded font's subset holding ``code_points`` (those it has glyphs for)."""
    from cityhealth.reports.charts import cjk_font_path

    base_points, base = _base()
    if code_points <= base_points:
        return _cut(base, code_points)
    return _cut(str(cjk_font_path()), code_points)


def font_face(text: str) -> str:
    """The ``@font-face`` rule embedding the subset for ``text``."""
    data = base64.b64encode(subset_font(characters(text))).decode("ascii")
    return (f'@font-face{{font-family:"{FAMILY}";'
            f'src:url(data:font/otf;base64,{data}) format("opentype")}}')
