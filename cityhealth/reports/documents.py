"""Word and PDF beside a report's HTML: what offices edit, forward and file.

Both are made from the report's own page, so they say exactly what it says:

- ``.pdf``: WeasyPrint renders the page (no browser), A4, a cover with the title and the
  release, page numbers, table rows never split across pages, the page's embedded
  font. WeasyPrint needs the Pango libraries of the system (``libpango-1.0``); without
  them no PDF is written, a warning says why, and the HTML and Word files stand.
- ``.docx``: python-docx rebuilds the page's headings, paragraphs, lists, tables
  (header row repeated on each page, rows not split) and images (charts, maps) on A4
  with page numbers and a cover. Word shows it in the reader's Chinese font (宋体 asked).
"""

from __future__ import annotations

import base64
import io
import logging
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from cityhealth.core.settings import REPORT_DOCUMENT_FORMATS, settings
from cityhealth.reports.workers import Helper, helpers, print_result, shares

log = logging.getLogger(__name__)
# WeasyPrint logs its progress at INFO, a line per laid-out page of every PDF, into the
# task log; its warnings (a missing font, an image it cannot read) are kept.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PRINT_CSS = """
@page{size:A4;margin:18mm 16mm 20mm 16mm;
@bottom-center{content:counter(page) " / " counter(pages);font-size:9pt;color:#666}}
body{max-width:none;margin:0}
.cover{break-after:page;padding-top:35%;text-align:center}
.cover h1{border:none;font-size:26pt}.cover p{font-size:13pt;color:#444}
tr{break-inside:avoid}h2{break-after:avoid}
.charts{display:block}.charts img{max-width:100%;display:block;margin:0 auto 1em}
"""
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


def write_pdf(html_path: Path) -> Path | None:
    """The page as an A4 PDF beside it; None (and a warning) without Pango."""
    try:
        import weasyprint
    except OSError as error:  # the Pango libraries are missing
        log.warning("no PDF for %s: WeasyPrint needs the Pango libraries (%s); "
                    "the HTML and Word files are written", html_path.name, error)
        return None
    import html as html_module

    text = html_path.read_text(encoding="utf-8")
    page = _parse(text)
    release_id = _release_id(text)
    cover = (f'<section class="cover"><h1>{html_module.escape(page.title)}</h1>'
             + (f"<p>发布版本 {html_module.escape(release_id)}</p>" if release_id else "")
             + "</section>")
    printable = text.replace("</style>", PRINT_CSS + "</style>", 1).replace(
        "<body>", "<body>" + cover, 1)
    target = html_path.with_suffix(".pdf")
    # full_fonts: the page embeds its own subset of the font already (reports.fonts);
    # cutting it again per PDF took longer than laying out the pages
    weasyprint.HTML(string=printable, base_url=str(html_path.parent)).write_pdf(
        target, full_fonts=True)
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
    from docx.oxml import OxmlElement

    width = max(len(r) for r in block.rows)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    for index, cells in enumerate(block.rows):
        row = table.add_row()
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        if index == 0 and block.header:
            properties.append(OxmlElement("w:tblHeader"))  # repeated on every page
        for cell, value in zip(row.cells, cells, strict=False):
            cell.text = value
            if index == 0 and block.header:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


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
    """The documents of ``formats`` beside one page (no PDF without Pango)."""
    files = []
    if "docx" in formats:
        files.append(write_docx(html_path))
    pdf = write_pdf(html_path) if "pdf" in formats else None
    if pdf is not None:
        files.append(pdf)
    return files


def _write_each(html_paths: list[Path], formats: tuple[str, ...]) -> dict[Path, list[Path]]:
    return {path: page_documents(path, formats) for path in html_paths}


def write_documents(html_paths: list[Path], formats: tuple[str, ...] | None = None,
                    workers: int | None = None) -> list[Path]:
    """``.docx`` and ``.pdf`` beside each page (PDF only where Pango is there); the
    formats are the deployment's (``CITYHEALTH_REPORT_DOCUMENTS``) unless given.

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
