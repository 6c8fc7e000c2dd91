"""The PDF beside a report page says what the page says, whatever characters it holds."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from pypdf import PdfReader

from cityhealth.reports.documents import write_pdf
from cityhealth.reports.html import page


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf_text(pdf: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(pdf)).pages)


def test_a_pdf_keeps_markup_characters_of_the_page_as_text(tmp_path: Path) -> None:
    """Names and notes from deliveries may hold characters that are markup to a
    typesetter (# $ * _ [ ] " \\ @ <): the PDF shows them as written, nothing is
    interpreted or lost."""
    awkward = ['“幸福村”#1 $2 *3* _4_', r'[备注] "引号" C:\目录\文件 @某人 <5>']
    body = (f"<h1>{awkward[0]}</h1><p>{awkward[1]}</p>"
            "<table><tr><th>对象</th><th>数值</th></tr>"
            f"<tr><td>{awkward[0]}</td><td>1 #</td></tr></table>"
            f"<ul><li>{awkward[1]}</li></ul>")
    html_path = tmp_path / "报告.html"
    html_path.write_text(page("测试 # 报告", body), encoding="utf-8")
    text = _pdf_text(write_pdf(html_path))
    squeezed = "".join(text.split())
    assert "测试#报告" in squeezed  # the cover
    for phrase in awkward:
        assert squeezed.count("".join(phrase.split())) == 2, phrase  # text and table/list


def test_a_pdf_numbers_its_pages_and_figures_and_repeats_table_headers(
        tmp_path: Path) -> None:
    """A long table runs over pages with its header row on each; each image is a
    numbered figure with the page's caption; pages after the cover carry n / N."""
    rows = "".join(f"<tr><td>街区{n:03d}</td><td>{n}</td></tr>" for n in range(120))
    chart = base64.b64encode(_png(640, 480)).decode()
    body = (f'<h2>图表</h2><div class="charts"><img alt="维度得分雷达图" '
            f'src="data:image/png;base64,{chart}"></div>'
            f"<table><tr><th>对象名称</th><th>问题数</th></tr>{rows}</table>")
    html_path = tmp_path / "长表.html"
    html_path.write_text(page("长表报告", body), encoding="utf-8")
    reader = PdfReader(str(write_pdf(html_path)))
    # spaces as one kind: a PDF maps the font's one space glyph to one character, the
    # space or the no-break space (the figures' "图 1"), whichever it met first
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(pages) >= 4  # the cover, the figure, then at least two pages of rows
    assert "长表报告" in pages[0] and "1 /" not in pages[0]  # no number on the cover
    assert "图 1 维度得分雷达图" in pages[1]
    table_pages = [t for t in pages if "街区" in t]
    assert len(table_pages) >= 2
    assert all("对象名称" in t for t in table_pages)  # the header on every page of rows
    for number, text in enumerate(pages[1:], start=2):
        assert f"{number} / {len(pages)}" in text
    shown = "".join(pages)
    assert all(f"街区{n:03d}" in shown for n in range(120))  # no row lost at a break


def test_word_tables_are_what_python_docx_writes_cell_by_cell(tmp_path: Path) -> None:
    """The tables written as XML at once are, byte for byte, those of python-docx's own
    add_row and cell.text: header row bold and repeated, rows not split, an empty cell,
    a row shorter than the table, characters XML escapes."""
    import zipfile

    from docx import Document
    from docx.oxml import OxmlElement

    from cityhealth.reports import documents

    body = ("<table><tr><th>对象</th><th>数值</th><th>说明</th></tr>"
            "<tr><td>A&amp;B &lt;小区&gt;</td><td></td><td>1 &gt; 0</td></tr>"
            "<tr><td>只有一格</td></tr></table>"
            "<table><tr><td>无表头</td><td>2</td></tr></table>")
    html_path = tmp_path / "表格.html"
    html_path.write_text(page("表格", body), encoding="utf-8")

    def cell_by_cell(document, block) -> None:
        width = max(len(r) for r in block.rows)
        table = document.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        for index, cells in enumerate(block.rows):
            row = table.add_row()
            properties = row._tr.get_or_add_trPr()
            properties.append(OxmlElement("w:cantSplit"))
            if index == 0 and block.header:
                properties.append(OxmlElement("w:tblHeader"))
            for cell, value in zip(row.cells, cells, strict=False):
                cell.text = value
                if index == 0 and block.header:
                    for run in cell.paragraphs[0].runs:
                        run.bold = True

    def document_xml() -> bytes:
        with zipfile.ZipFile(documents.write_docx(html_path)) as archive:
            return archive.read("word/document.xml")

    written = document_xml()
    original = documents._table
    documents._table = cell_by_cell
    try:
        expected = document_xml()
    finally:
        documents._table = original
    assert written == expected
    table = Document(str(html_path.with_suffix(".docx"))).tables[0]
    assert [c.text for c in table.rows[1].cells] == ["A&B <小区>", "", "1 > 0"]
