"""CSV and XLSX exports of any list: ``?format=csv`` / ``?format=xlsx``.

The export is the list the JSON would give (same filters, ordering and scope), unpaginated,
one row per record; nested objects become ``parent.child`` columns, lists of values are joined
with “; ” and lists of objects are written as JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from rest_framework.renderers import BaseRenderer

from common.tables import CSV_BOM, csv_row, write_table

LIST_SEPARATOR = "; "


def flatten(record: dict, prefix: str = "") -> dict[str, object]:
    """One export row from a serialized record."""
    row: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(not isinstance(item, dict | list) for item in value):
                row[name] = LIST_SEPARATOR.join("" if item is None else str(item) for item in value)
            else:
                row[name] = json.dumps(value, ensure_ascii=False)
        else:
            row[name] = value
    return row


def columns(records: list[dict]) -> list[str]:
    header: list[str] = []
    for record in records:
        header.extend(key for key in record if key not in header)
    return header


def table(data) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a list (or of a single record, or a paginated page)."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    records = [flatten(item) for item in (data if isinstance(data, list) else [data])]
    header = columns(records)
    return header, [[record.get(key) for key in header] for record in records]


def stream_csv(chunks: Iterable[list[dict]]) -> Iterator[bytes]:
    """The CSV of serialized records given a chunk at a time: the same bytes as ``CSVRenderer``, written as they come.

    The header is the columns of the first chunk (every record of a list has the same fields; a
    nested record that is null in a whole first chunk but not later is the one case that could differ).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    header = None
    for chunk in chunks:
        records = [flatten(item) for item in chunk]
        if header is None:
            header = columns(records)
            out.write(CSV_BOM)
            writer.writerow(header)
        writer.writerows(csv_row([record.get(key) for key in header]) for record in records)
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    if header is None:
        writer.writerow([])
        yield (CSV_BOM + out.getvalue()).encode("utf-8")


class _ExportRenderer(BaseRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None:
            name = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        return self.write(*table(data if data is not None else []))


class CSVRenderer(_ExportRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def write(self, header, rows) -> bytes:
        return write_table(header, rows, self.format)


class XLSXRenderer(_ExportRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None

    def write(self, header, rows) -> bytes:
        return write_table(header, rows, self.format)
