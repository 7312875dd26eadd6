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

from django.template.loader import render_to_string

from .content import Block


def html(blocks: list[Block], *, title: str) -> str:
    items = []
    for block in blocks:
        item = {"block": block}
        if block.kind == "chart":
            item["src"] = "data:image/png;base64," + base64.b64encode(block.image).decode()
        items.append(item)
    return render_to_string("evaluations/report.html", {"items": items, "title": title})


def render(blocks: list[Block], *, title: str) -> bytes:
    from weasyprint import HTML  # loads pango: only where a PDF is made

    return HTML(string=html(blocks, title=title)).write_pdf()
