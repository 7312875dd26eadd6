"""The Word report (python-docx) from the report's blocks, on a template that staff may replace.

The template gives the page setup, the styles, headers and footers; its body is replaced by the
report. Which template: the one uploaded on the evaluation, else the file named by the setting
``EVALUATION_DOCX_TEMPLATE``, else ``default_template.docx`` in this folder (A4, official-document
margins). Every run names its East Asian font (``w:eastAsia``), as official documents do:
仿宋_GB2312 for the body, 黑体 for headings, 宋体 in tables (with Times New Roman for Latin text and
digits), so the text keeps its fonts whatever the template's styles say.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .content import INDICATOR_HEADERS, Block

DEFAULT_TEMPLATE = Path(__file__).with_name("default_template.docx")
BODY_FONT, HEADING_FONT, TABLE_FONT, TITLE_FONT, LATIN_FONT = (
    "仿宋_GB2312",
    "黑体",
    "宋体",
    "方正小标宋简体",
    "Times New Roman",
)
#: Column widths (cm) of the indicator tables, within the default template's 15.6 cm of text width:
#: the name a quarter of the line, 评估等级 wide enough for 基本符合预期 on two lines.
INDICATOR_WIDTHS = [0.8, 3.4, 1.0, 1.1, 1.8, 1.8, 1.8, 1.3, 1.3, 1.3]
BODY_SIZE, HEADING_SIZES, TABLE_SIZE, TITLE_SIZE = Pt(16), {1: Pt(16), 2: Pt(16)}, Pt(10.5), Pt(22)
#: The indicator tables' size (小五): ten columns on one line.
WIDE_TABLE_SIZE = Pt(9)


def template_bytes(uploaded: bytes | None = None) -> bytes:
    if uploaded:
        return bytes(uploaded)
    configured = getattr(settings, "EVALUATION_DOCX_TEMPLATE", "")
    return Path(configured or DEFAULT_TEMPLATE).read_bytes()


def template_check(body: bytes) -> None:
    """Raise unless ``body`` opens as a Word document."""
    Document(io.BytesIO(body))


def set_font(run, east_asian: str, *, size=None, bold: bool = False) -> None:
    """The run's fonts: Latin and East Asian (``w:eastAsia``), size and weight."""
    run.font.name = LATIN_FONT
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size is not None:
        run.font.size = size
    run.font.bold = bold


def _clear_body(document) -> None:
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _paragraph(document, text: str, *, font: str = BODY_FONT, size=BODY_SIZE, bold=False, indent=True, align=None):
    paragraph = document.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.paragraph_format.line_spacing = Pt(28)
    if align is not None:
        paragraph.alignment = align
    set_font(paragraph.add_run(text), font, size=size, bold=bold)
    return paragraph


def _heading(document, text: str, level: int) -> None:
    try:
        paragraph = document.add_paragraph(style=f"Heading {level}")
    except KeyError:  # a template without heading styles
        paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    font = HEADING_FONT if level == 1 else "楷体_GB2312"
    set_font(paragraph.add_run(text), font, size=HEADING_SIZES.get(level, BODY_SIZE), bold=level > 1)


def _table(document, block: Block) -> None:
    table = document.add_table(rows=1, cols=len(block.headers))
    try:
        table.style = document.styles["Table Grid"]
    except KeyError:
        pass
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    indicators = block.headers == INDICATOR_HEADERS
    size = WIDE_TABLE_SIZE if indicators else TABLE_SIZE
    for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
        _cell(cell, header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=size)
    for row in block.rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            align = WD_ALIGN_PARAGRAPH.RIGHT if index in block.numeric else WD_ALIGN_PARAGRAPH.LEFT
            _cell(cell, value, align=align, size=size)
    if indicators:
        # Both the grid (read by LibreOffice and WPS) and each cell (read by Word) carry the widths.
        table.autofit = False
        for column, width in zip(table.columns, INDICATOR_WIDTHS, strict=True):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, INDICATOR_WIDTHS, strict=True):
                cell.width = Cm(width)
    document.add_paragraph()


def _cell(cell, text: str, *, bold: bool = False, align=None, size=TABLE_SIZE) -> None:
    paragraph = cell.paragraphs[0]
    if align is not None:
        paragraph.alignment = align
    set_font(paragraph.add_run(text), TABLE_FONT, size=size, bold=bold)


def render(blocks: list[Block], *, template: bytes | None = None) -> bytes:
    """The .docx file of the report."""
    document = Document(io.BytesIO(template_bytes(template)))
    _clear_body(document)
    for block in blocks:
        if block.kind == "title":
            for _ in range(4):
                document.add_paragraph()
            _paragraph(
                document, block.text, font=TITLE_FONT, size=TITLE_SIZE, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER
            )
        elif block.kind == "paragraph" and block.name == "subtitle":
            _paragraph(document, block.text, font=HEADING_FONT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "paragraph":
            _paragraph(document, block.text)
        elif block.kind == "heading":
            _heading(document, block.text, block.level)
        elif block.kind == "bullets":
            for item in block.items:
                _paragraph(document, f"{item}")
        elif block.kind == "table":
            _table(document, block)
        elif block.kind == "chart":
            document.add_picture(io.BytesIO(block.image), width=Cm(15))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _paragraph(
                document, block.caption, font=HEADING_FONT, size=Pt(12), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER
            )
        elif block.kind == "page_break":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
