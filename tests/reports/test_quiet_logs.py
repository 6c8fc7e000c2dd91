"""The report step's task log says what the platform did, not every step of its libraries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cityhealth.reports.documents import write_pdf
from cityhealth.reports.fonts import characters, subset_font
from cityhealth.reports.html import page


def _library_records(caplog: pytest.LogCaptureFixture, *names: str) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:80]}" for r in caplog.records
            if r.levelno < logging.WARNING and r.name.split(".")[0] in names]


def test_cutting_a_font_logs_no_glyph_lists(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        font = subset_font(characters("南昌市城市体检报告 2025"))
    assert font[:4] == b"OTTO"  # an OpenType (CFF) font was cut
    assert _library_records(caplog, "fontTools") == []


def test_a_pdf_logs_no_progress_per_page(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    html_path = tmp_path / "报告.html"
    html_path.write_text(page("城市体检报告", "<h1>城市体检报告</h1><p>城市健康指数 75.2</p>"),
                         encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        pdf = write_pdf(html_path)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert [r.name for r in caplog.records if not r.name.startswith("cityhealth")] == []
