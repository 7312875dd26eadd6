"""CSV and XLSX exports of any list: ``?format=csv`` / ``?format=xlsx``.

The export is the list the JSON would give (same filters, ordering and scope), unpaginated,
one row per record; nested objects become ``parent.child`` columns, lists of values are joined
with “; ” and lists of objects are written as JSON.

It is written for people, like the admin's exports: each column is headed by its field's Chinese
label, a choice shows its label (阶段 “开工”, not ``started``), yes/no fields say 是 / 否, and
numbers and dates are typed cells (numbers and dates in Excel, not text).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import typing
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from common.tables import CSV_BOM, csv_row, write_table

LIST_SEPARATOR = "; "
YES_NO = {True: "是", False: "否"}


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
    """The keys of flattened records, in order of first appearance."""
    header: list[str] = []
    for record in records:
        header.extend(key for key in record if key not in header)
    return header


def records_of(data) -> list[dict]:
    """Flattened records of a list (or of a single record, or a paginated page)."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    return [flatten(item) for item in (data if isinstance(data, list) else [data])]


def table(data) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a list (or of a single record, or a paginated page), by the JSON keys."""
    records = records_of(data)
    header = columns(records)
    return header, [[record.get(key) for key in header] for record in records]


def _children(field) -> dict:
    """The fields inside a nested serializer field (a method field's declared return serializer too)."""
    if isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
        return dict(field.fields)
    if isinstance(field, serializers.SerializerMethodField) and field.parent is not None:
        method = getattr(field.parent, field.method_name, None)
        returned = typing.get_type_hints(method).get("return") if method else None
        if isinstance(returned, type) and issubclass(returned, serializers.Serializer):
            return dict(returned().fields)
    return {}


def _field_at(fields: dict, key: str):
    """The serializer field of a flattened key (``investment_progress.year_planned``), or None."""
    field = None
    for part in key.split("."):
        field = fields.get(part)
        if field is None:
            return None
        fields = _children(field)
    return field


def _label(field, key: str) -> str:
    """The field's Chinese label (or the first clause of its help text); DRF's label made from the name is none."""
    name = key.rsplit(".", 1)[-1]
    if name == "id":
        return "编号"
    label = getattr(field, "label", None)
    if not label or str(label) == name.replace("_", " ").capitalize():
        label = str(getattr(field, "help_text", None) or "").split("；")[0]
    return str(label) or key


def _typed(field, value):
    """A cell's value as people read it: a choice's label, 是/否, a number, a date."""
    if value is None or value == "" or field is None:
        return value
    if isinstance(field, serializers.BooleanField) and isinstance(value, bool):
        return YES_NO[value]
    if isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField):
        return field.choices.get(value, value) if isinstance(value, str | int) else value
    try:
        if isinstance(field, serializers.DecimalField):
            return Decimal(str(value))
        if isinstance(field, serializers.DateTimeField):
            moment = datetime.datetime.fromisoformat(str(value))
            moment = timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment
            return moment.replace(microsecond=0)
        if isinstance(field, serializers.DateField):
            return datetime.date.fromisoformat(str(value))
    except (ValueError, InvalidOperation):
        return value
    return value


def export_columns(keys: list[str], serializer=None) -> tuple[list[str], list[tuple[str, object]]]:
    """Chinese header and the (key, serializer field) of each exported column.

    ``serializer`` is the list's serializer (its fields give labels and types). A choice column
    shows its label, so the ``x_display`` column beside it would repeat it and is left out.
    """
    fields = dict(serializer.fields) if serializer is not None else {}
    keyed = [(key, _field_at(fields, key)) for key in keys]
    choice_keys = {key for key, field in keyed if isinstance(field, serializers.ChoiceField)}
    kept = [
        (key, field) for key, field in keyed if key.removesuffix("_display") not in choice_keys or key in choice_keys
    ]
    header, seen = [], set()
    for key, field in kept:
        label = _label(field, key)
        header.append(label if label not in seen else f"{label}（{key}）")
        seen.add(label)
    return header, kept


def export_row(record: dict, kept: list[tuple[str, object]]) -> list[object]:
    return [_typed(field, record.get(key)) for key, field in kept]


def export_table(data, serializer=None) -> tuple[list[str], list[list[object]]]:
    """Header (Chinese labels) and typed rows of a list, as the export writes it."""
    records = records_of(data)
    header, kept = export_columns(columns(records), serializer)
    return header, [export_row(record, kept) for record in records]


def stream_csv(chunks: Iterable[list[dict]], serializer=None) -> Iterator[bytes]:
    """The CSV of serialized records given a chunk at a time: the same bytes as ``CSVRenderer``, written as they come.

    The columns are those of the first chunk (every record of a list has the same fields; a
    nested record that is null in a whole first chunk but not later is the one case that could differ).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    kept = None
    for chunk in chunks:
        records = [flatten(item) for item in chunk]
        if kept is None:
            header, kept = export_columns(columns(records), serializer)
            out.write(CSV_BOM)
            writer.writerow(header)
        writer.writerows(csv_row(export_row(record, kept)) for record in records)
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    if kept is None:
        writer.writerow([])
        yield (CSV_BOM + out.getvalue()).encode("utf-8")


class _ExportRenderer(BaseRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None:
            name = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        return self.write(*export_table(data if data is not None else [], _serializer(view)))


def _serializer(view):
    """The view's serializer, for the labels and types of its fields (None for a view without one)."""
    try:
        return view.get_serializer() if view is not None else None
    except Exception:  # a view whose serializer needs more than a request: headers stay the keys
        return None


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
