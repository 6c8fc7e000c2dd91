"""Writing files the way senders do: CSV in several encodings, XLSX with a title row.

Same rows, same bytes: XLSX files are repacked with fixed zip timestamps and fixed
document properties, so a generated demo is byte-for-byte reproducible.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

FIXED_TIME = datetime(2020, 1, 1, 0, 0, 0)
ENCODINGS = {"csv_utf8": "utf-8", "csv_utf8_bom": "utf-8-sig", "csv_gbk": "gb18030"}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]],
              delivery: str) -> None:
    """CSV as exported by office software: CRLF line ends, the delivery's encoding."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(ENCODINGS[delivery]))


def _repack(data: bytes) -> bytes:
    """The same workbook with fixed zip entry times and document timestamps."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                 FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), content)
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, content)
    return out.getvalue()


def write_xlsx(path: Path, title: str, header: Sequence[str],
               rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> None:
    """A sheet with a merged title row above the header, and an optional notes sheet."""
    workbook = Workbook()
    workbook.properties.creator = "demo"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    sheet = workbook.active
    sheet.title = "数据"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if notes:
        notes_sheet = workbook.create_sheet("填报说明")
        for line in notes:
            notes_sheet.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_repack(buffer.getvalue()))


def write_table(path_stem: Path, delivery: str, title: str, header: Sequence[str],
                rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> Path:
    """Write in the delivery's format; returns the file written."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    if delivery == "xlsx":
        path = path_stem.with_suffix(".xlsx")
        write_xlsx(path, title, header, rows, notes)
    else:
        path = path_stem.with_suffix(".csv")
        write_csv(path, header, rows, delivery)
    return path


def number(value: float) -> float | int:
    """How a sender writes a figure: whole numbers as such, others to a sensible precision."""
    if float(value).is_integer():
        return int(value)
    return round(value, 2) if abs(value) >= 100 else round(value, 4)
