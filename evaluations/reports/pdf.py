"""The PDF report: the report's blocks as HTML, laid out by WeasyPrint in Noto CJK.

Why WeasyPrint and not LibreOffice headless from the .docx: WeasyPrint is a pinned PyPI package
whose only system needs are pango and fontconfig (Debian's libpango-1.0-0, libpangoft2-1.0-0,
already present with chromium, and fonts-noto-cjk); LibreOffice is several hundred megabytes of
Debian packages, starts a process per conversion (seconds, one at a time per profile) and would
substitute fonts for 仿宋_GB2312 anyway. Both formats render the same blocks (reports.content),
so the PDF says what the .docx says.
"""

from __future__ import annotations

import base64
import re

from django.template.loader import render_to_string
from django.utils.html import format_html

from .content import INDICATOR_HEADERS, Block

#: A figure's trailing note in parentheses, e.g. the year in ``1000（2025年）``: kept on one line.
TRAILING_NOTE = re.compile(r"^(.+?)(（[^（）]{1,12}）)$")
#: Column widths (% of the line) of the indicator tables: 序号 … 评估等级.
INDICATOR_WIDTHS = [4, 22, 6, 8, 11, 11, 11, 8, 8, 11]


def html(blocks: list[Block], *, title: str) -> str:
    items = []
    for block in blocks:
        item = {"block": block}
        if block.kind == "table":
            item["rows"] = [
                [_figure(cell) if index in block.numeric else cell for index, cell in enumerate(row)]
                for row in block.rows
            ]
            if block.headers == INDICATOR_HEADERS:
                item["widths"] = INDICATOR_WIDTHS
        if block.kind == "chart":
            item["src"] = "data:image/png;base64," + base64.b64encode(block.image).decode()
        items.append(item)
    return render_to_string("evaluations/report.html", {"items": items, "title": title})


def _figure(cell: str):
    """A figure's cell: its note in parentheses never broken across lines (``100（2025`` / ``年）``)."""
    match = TRAILING_NOTE.match(cell)
    return format_html('{}<span class="note">{}</span>', *match.groups()) if match else cell


def render(blocks: list[Block], *, title: str) -> bytes:
    from weasyprint import HTML  # loads pango: only where a PDF is made

    return HTML(string=html(blocks, title=title)).write_pdf()
