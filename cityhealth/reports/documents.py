"""Word and PDF beside a report's HTML: what offices edit, forward and file.

Both are made from the report's own page, so they say exactly what it says: its headings,
paragraphs, lists, tables and images (charts, maps), read from the HTML once (``_parse``).

- ``.pdf``: typeset by Typst (a compiler in the ``typst`` wheel: no browser, no system
  library), A4, a cover with the title and the release, page numbers ``n / N``, table
  header rows repeated on each page and rows never split across pages, figures numbered
  图 1, 图 2 … with their captions. Text in Noto Sans CJK SC, the charts' font (the
  ``mplfonts`` wheel); the PDF embeds the glyphs it uses. About 0.3 s for a city's 12
  pages, where laying out the HTML page itself (WeasyPrint) took 1.4 to 2.3 s.
- ``.docx``: python-docx rebuilds the same blocks on A4 with page numbers and a cover
  (header row repeated on each page, rows not split). Word shows it in the reader's
  Chinese font (宋体 asked).
"""

from __future__ import annotations

import base64
import io
import logging
import re
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from cityhealth.core.settings import REPORT_DOCUMENT_FORMATS, settings
from cityhealth.reports.workers import Helper, helpers, print_result, shares

if TYPE_CHECKING:
    import typst

log = logging.getLogger(__name__)

# The PDF's page, type and tables (Typst markup); the page's own blocks follow. The
# spacing between Chinese and Latin text is the page's own (reports.html.zh_typography),
# not one Typst would add.
PDF_STYLE = """\
#set page(paper: "a4", margin: (top: 18mm, bottom: 20mm, x: 16mm),
  footer: context align(center, text(9pt, fill: luma(40%),
    str(here().page()) + " / " + str(counter(page).final().first()))))
#set text(font: "Noto Sans CJK SC", size: 10pt, lang: "zh", region: "cn",
  cjk-latin-spacing: none)
#set par(leading: 0.7em, spacing: 0.9em)
#show heading: set text(fill: rgb("#1f3a5f"))
#show heading: set block(above: 1.3em, below: 0.7em)
#show heading.where(level: 1): set text(size: 17pt)
#show heading.where(level: 2): set text(size: 13.5pt)
#show heading.where(level: 3): set text(size: 11pt)
#set table(stroke: 0.5pt + luma(65%), inset: (x: 4pt, y: 3pt))
#set table.cell(breakable: false)
#show table: set text(size: 8.5pt)
#show figure.caption: set text(size: 9pt, fill: luma(25%))
"""
# The width of the PDF's text column (A4 less the margins), in points: an image is shown
# at its pixel size as the page shows it (a CSS pixel is 0.75 pt), at most this wide.
PDF_TEXT_WIDTH_PT = (210 - 2 * 16) / 25.4 * 72
RELEASE_LINE = re.compile(r"发布版本 ?([0-9A-Za-z_.-]+)")


@dataclass
class _Block:
    kind: str  # h1, h2, h3, p, li, table, img
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    image: bytes = b""
    header: bool = False


class _Page(HTMLParser):
    """The page's blocks in order: the parts a document shows (styles and title skipped)."""

    BLOCKS = {"h1", "h2", "h3", "p", "li", "div"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.title = ""
        self._text: list[str] | None = None
        self._tag = ""
        self._skip = 0
        self._rows: list[list[str]] | None = None
        self._header_row = False
        self._cell: list[str] | None = None
        self._in_title = False

    def _flush(self) -> None:
        if self._text is not None:
            text = " ".join("".join(self._text).split())
            if text:
                self.blocks.append(_Block("p" if self._tag == "div" else self._tag, text))
        self._text = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "table":
            self._flush()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
            self._header_row = self._header_row or (tag == "th" and len(self._rows) == 1)
        elif tag == "img":
            source = dict(attrs).get("src") or ""
            if source.startswith("data:image/png;base64,"):
                self._flush()
                self.blocks.append(_Block("img", image=base64.b64decode(source.split(",", 1)[1]),
                                          text=dict(attrs).get("alt") or ""))
        elif tag == "br" and self._text is not None:
            self._text.append(" ")
        elif tag in self.BLOCKS and self._rows is None:
            self._flush()
            self._tag, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.blocks.append(_Block("table", rows=[r for r in self._rows if r],
                                      header=self._header_row))
            self._rows, self._header_row = None, False
        elif tag in self.BLOCKS and self._rows is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
        elif self._cell is not None:
            self._cell.append(data)
        elif self._text is not None:
            self._text.append(data)


def _parse(html_text: str) -> _Page:
    parser = _Page()
    parser.feed(html_text)
    parser.close()
    parser._flush()
    return parser


def _release_id(html_text: str) -> str:
    match = RELEASE_LINE.search(html_text)
    return match[1] if match else ""


def _typst_string(text: str) -> str:
    """``text`` as a Typst string literal (control characters dropped)."""
    kept = "".join(c for c in text if c >= " " or c == "\t")
    return '"' + kept.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _png_width(image: bytes) -> int:
    """The pixel width of a PNG (its IHDR chunk); 0 when ``image`` is not a PNG."""
    if image[:8] != b"\x89PNG\r\n\x1a\n":
        return 0
    return int.from_bytes(image[16:20], "big")


def _typst_table(block: _Block) -> str:
    width = max(len(r) for r in block.rows)
    rows = [[*r, *[""] * (width - len(r))] for r in block.rows]
    cells = []
    if block.header:
        cells.append("table.header(" + ", ".join(map(_typst_string, rows.pop(0))) + ")")
    cells += [", ".join(map(_typst_string, r)) for r in rows]
    fill = ", fill: (_, y) => if y == 0 { luma(92%) }" if block.header else ""
    return f"#table(columns: {width}{fill},\n  " + ",\n  ".join(cells) + ")"


def typst_source(page: _Page, release_id: str, images: Path) -> str:
    """The Typst markup of a parsed page: style, cover, then its blocks in order; each
    image written into ``images`` (the compilation's root), which the markup names."""
    lines = [PDF_STYLE, f"#set document(title: {_typst_string(page.title)})",
             "#page(footer: none, align(center)[",
             f"  #v(30%) #text(22pt, {_typst_string(page.title)})",
             *([f"  #v(1.5em) #text(13pt, fill: luma(27%), "
                f"{_typst_string(f'发布版本 {release_id}')})"] if release_id else []),
             "])", ""]
    for number, block in enumerate(page.blocks):
        if block.kind in ("h1", "h2", "h3"):
            lines.append(f"#heading(level: {block.kind[1]}, {_typst_string(block.text)})")
        elif block.kind == "li":
            lines.append(f"- #{_typst_string(block.text)}")
        elif block.kind == "table" and block.rows:
            lines.append(_typst_table(block))
        elif block.kind == "img":
            name = f"image-{number}.png"
            (images / name).write_bytes(block.image)
            width = min(_png_width(block.image) * 0.75 or PDF_TEXT_WIDTH_PT, PDF_TEXT_WIDTH_PT)
            image = f'image("{name}", width: {width:.1f}pt)'
            lines.append(f"#figure({image}, caption: {_typst_string(block.text)})"
                         if block.text else f"#align(center, {image})")
        elif block.text:
            lines.append(f"#{_typst_string(block.text)}")
        lines.append("")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _fonts() -> typst.Fonts:
    """The fonts a PDF may use: the folder of the charts' Chinese font (read once per
    process) and Typst's own; none of the system's, so that every machine typesets alike."""
    import typst

    from cityhealth.reports.charts import cjk_font_path

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[str(cjk_font_path().parent)])


def write_pdf(html_path: Path) -> Path:
    """The page as an A4 PDF beside it (typeset by Typst)."""
    import typst

    text = html_path.read_text(encoding="utf-8")
    target = html_path.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="cityhealth-pdf-") as folder:
        source = typst_source(_parse(text), _release_id(text), Path(folder))
        try:
            pdf = typst.compile(source.encode("utf-8"), root=folder, font_paths=_fonts(),
                                ignore_system_fonts=True)
        except typst.TypstError as error:
            raise RuntimeError(f"the PDF of {html_path.name} could not be typeset: "
                               f"{error.message}") from error
    target.write_bytes(pdf)
    return target


def _page_number(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field_ = OxmlElement("w:fldSimple")
    field_.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_.append(run)
    paragraph._p.append(field_)


def _table(document, block: _Block) -> None:
    """The block as a Word table: grid lines, rows never split across pages, the header
    row repeated on every page and bold. The rows are written as XML at once (as
    python-docx's ``add_row`` and ``cell.text`` would write them, cell by cell, at five
    times the time: a city report has about 1,500 cells)."""
    from xml.sax.saxutils import escape

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    width = max(len(r) for r in block.rows)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    widths = [column.w for column in table._tbl.tblGrid.gridCol_lst]
    rows = []
    for index, cells in enumerate(block.rows):
        header = index == 0 and block.header
        bold = "<w:rPr><w:b/></w:rPr>" if header else ""
        xml = ["<w:tr><w:trPr><w:cantSplit/>", "<w:tblHeader/>" if header else "",
               "</w:trPr>"]
        for cell_width, value in zip(widths, [*cells, *[None] * width], strict=False):
            xml.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{cell_width.twips}"/></w:tcPr>')
            if value is None:  # a row shorter than the table: the cell left empty
                xml.append("<w:p/></w:tc>")
            else:
                text = f"<w:t>{escape(value)}</w:t>" if value else ""
                xml.append(f"<w:p><w:r>{bold}{text}</w:r></w:p></w:tc>")
        rows.append("".join(xml) + "</w:tr>")
    for row in parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>"):
        table._tbl.append(row)


def write_docx(html_path: Path) -> Path:
    """The page as a Word document beside it (A4, cover, page numbers)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    text = html_path.read_text(encoding="utf-8")
    page = _parse(text)
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)

    cover_title = document.add_heading(page.title, level=0)
    cover_title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    release_id = _release_id(text)
    if release_id:
        line = document.add_paragraph(f"发布版本 {release_id}")
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for block in page.blocks:
        if block.kind in ("h1", "h2", "h3"):
            document.add_heading(block.text, level=int(block.kind[1]))
        elif block.kind == "li":
            document.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "table" and block.rows:
            _table(document, block)
        elif block.kind == "img":
            document.add_picture(io.BytesIO(block.image), width=Mm(150))
            if block.text:
                caption = document.add_paragraph(block.text)
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.text:
            document.add_paragraph(block.text)
    target = html_path.with_suffix(".docx")
    document.save(str(target))
    return target


def page_documents(html_path: Path, formats: tuple[str, ...]) -> list[Path]:
    """The documents of ``formats`` beside one page."""
    files = []
    if "docx" in formats:
        files.append(write_docx(html_path))
    if "pdf" in formats:
        files.append(write_pdf(html_path))
    return files


def _write_each(html_paths: list[Path], formats: tuple[str, ...]) -> dict[Path, list[Path]]:
    return {path: page_documents(path, formats) for path in html_paths}


def write_documents(html_paths: list[Path], formats: tuple[str, ...] | None = None,
                    workers: int | None = None) -> list[Path]:
    """``.docx`` and ``.pdf`` beside each page; the formats are the deployment's
    (``CITYHEALTH_REPORT_DOCUMENTS``) unless given.

    The pages are shared among ``workers`` processes (``CITYHEALTH_REPORT_WORKERS``, one
    per core by default; ``cityhealth.reports.workers``)."""
    formats = settings().report_documents if formats is None else formats
    paths = [Path(p) for p in html_paths]
    if not formats or not paths:
        return []
    mine, *others = shares(paths, workers)
    with helpers() as started:
        started += [Helper(__name__, ["--formats", ",".join(formats), *map(str, share)],
                           f"Word/PDF of {', '.join(p.name for p in share)}")
                    for share in others]
        written = _write_each(mine, formats)
        for helper in started:
            written.update({Path(page): [Path(f) for f in files]
                            for page, files in helper.result().items()})
    return [file for path in paths for file in written.get(path, [])]


def main(argv: list[str] | None = None) -> int:
    """``python -m cityhealth.reports.documents --formats docx,pdf page.html ...``: the
    documents of the pages; prints ``{page: [files]}`` as JSON."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--formats", default=",".join(REPORT_DOCUMENT_FORMATS))
    parser.add_argument("pages", nargs="+", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    formats = tuple(f for f in args.formats.split(",") if f)
    written = _write_each(args.pages, formats)
    print_result({str(page): [str(f) for f in files] for page, files in written.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
