"""The fast path of streamed CSV exports: rows read as tuples, not as serialized model instances.

``stream_csv`` writes what the list's serializer gives for each record; at about 2.5 ms a record
(model instances with their related records, the serializer's per-field machinery, nested
serializers) a 100,000-row export took minutes. This module compiles, once per export, the
serializer's readable fields into the values to read (``values_list`` of each field's source,
through foreign keys) and a small formatter per column, so that a row costs a few microseconds
and the bytes stay those of ``stream_csv``: the same columns and Chinese headers (``export_columns``
of the serializer's keys), the same values (each field's own ``to_representation`` then
``_typed``, short-cut only where the result is provably the same), the same masking (a
``LinkedNameField`` names a linked record the reader may not see as ``HIDDEN_RECORD_LABEL``,
decided in SQL by ``common.scope.visibility_q``, the rule the lists are scoped by).

What it reads:

- a field whose source is a model field, an annotation of the list's queryset, or a path of
  single-valued relations to one (``city.name``); a relation field's key (``plan``) or slug (``city``);
- a ``LinkedNameField`` (masked as above);
- a nested list serializer over a reverse foreign key (``mentions``): its records are read a chunk
  at a time with the queryset's own ``Prefetch`` query and serialized by the nested serializer;
- a field the view declares in ``csv_fields`` (``CsvField``: what to read and how to build the
  object that the field's serializer reads, e.g. a method field's figures).

Any other field (a method field not declared, a JSON field, a many-valued relation, a nested
single serializer, a property) makes ``compile_csv`` answer None: the export then takes the
serializer path, as before.

On PostgreSQL (``SqlLines``), the database writes the cells it can write exactly as the formatters
do (text, CSV-quoted; integers, decimals of the field's scale, dates, moments in the current time
zone, choice and yes/no labels), so that a row arrives as a few text segments around the cells
Python writes (nested lists, declared fields); a row holding a value the database could write
differently (text that ``escape_formula`` changes, a choice outside the field's choices) is
flagged and written by Python from its values. A thread (``read_ahead``) fetches and prepares the next
chunk on the same connection while the caller writes the current one. SQLite takes the values path.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from operator import attrgetter, itemgetter

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.fields.reverse_related import ManyToOneRel
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from rest_framework import relations, serializers
from rest_framework.fields import empty
from rest_framework.settings import ISO_8601, api_settings

from common.scope import HIDDEN_RECORD_LABEL, is_city_scoped, visibility_q
from common.tables import CSV_BOM, FORMULA_PREFIXES, escape_formula

from .renderers import LIST_SEPARATOR, _children, _typed, export_columns


class Unsupported(Exception):
    """A field the fast path cannot read: the export takes the serializer path."""


class CsvField:
    """How the fast path reads a field the compiler cannot (a method field): declared in a view's ``csv_fields``.

    ``prepare`` adds what it needs to the queryset (annotations), ``fetch`` names the values it reads
    (in that order) and ``value`` builds, from them, what the field's serializer reads: for a method
    field that declares a return serializer, the mapping or object that serializer represents, whose
    children listed in ``columns`` are instead read as the named values.
    """

    fetch: Sequence[str] = ()
    #: Children of the field's serializer whose value is a value the queryset reads, by name: read as columns.
    columns: dict[str, str] = {}

    def prepare(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset

    def value(self, values: tuple):
        raise NotImplementedError

    def cells(self, attrs: tuple[str, ...]) -> Callable[[tuple], tuple] | None:
        """Optionally, a function of the fetched values giving the values of ``attrs`` (children of the field's
        serializer, in that order) that ``value`` would give, without building its whole object; None: read ``value``.
        """
        return None


# -- formatters: the cell ``csv_row([_typed(field, field.to_representation(value))])`` gives -----------------


def _cell(value):
    """What ``csv_row`` makes of a typed value."""
    return "" if value is None else escape_formula(value)


def _formula_safe(text: str):
    return escape_formula(text) if text.startswith(FORMULA_PREFIXES) else text


def _general(field) -> Callable:
    def format_value(value):
        if value is None:
            return ""
        return _cell(_typed(field, field.to_representation(value)))

    return format_value


def _memoized(format_value: Callable, limit: int = 4096) -> Callable:
    """For columns of few distinct values (choices, yes/no, dates)."""
    memo: dict = {}

    def cached(value):
        try:
            return memo[value]
        except KeyError:
            cell = format_value(value)
            if len(memo) < limit:
                memo[value] = cell
            return cell
        except TypeError:  # unhashable
            return format_value(value)

    return cached


def _text(value):
    if value is None:
        return ""
    if type(value) is not str:
        value = str(value)
    return _formula_safe(value)


def _float(value):
    return "" if value is None else float(value)


def _integer(general: Callable) -> Callable:
    def format_value(value):
        if value is None:
            return ""
        return value if type(value) is int else general(value)

    return format_value


def _decimal(field, general: Callable) -> Callable:
    # DRF quantizes to the field's places and writes '{:f}'; _typed reads that back as a Decimal.
    # A Decimal already at those places (a numeric(p, s) column) and within max_digits is that Decimal.
    exponent = -field.decimal_places if field.decimal_places is not None and not field.localize else None
    max_digits = field.max_digits

    def format_value(value):
        if value is None:
            return ""
        if type(value) is Decimal and exponent is not None and value.is_finite():
            _sign, digits, value_exponent = value.as_tuple()
            if value_exponent == exponent and (max_digits is None or len(digits) <= max_digits):
                return value  # quantizing changes nothing; str() of it is str() of Decimal('{:f}' of it)
        return general(value)

    return format_value


def _datetime(field, general: Callable) -> Callable:
    # DRF writes the moment in the current time zone (ISO 8601); _typed reads it back in local time,
    # naive and to the second.
    iso = _iso(field, "DATETIME_FORMAT")

    def format_value(value):
        if value is None:
            return ""
        if iso and type(value) is datetime.datetime and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
        return general(value)

    return format_value


def _date(field, general: Callable) -> Callable:
    iso = _iso(field, "DATE_FORMAT")

    def format_value(value):
        if value is None:
            return ""
        if iso and type(value) is datetime.date:
            return value
        return general(value)

    return format_value


def _iso(field, setting: str) -> bool:
    """Whether the field writes ISO 8601 (or the value itself), which ``_typed`` reads back."""
    output_format = getattr(field, "format", getattr(api_settings, setting))
    return output_format is None or (isinstance(output_format, str) and output_format.lower() == ISO_8601)


def formatter(field) -> Callable:
    """The cell of a value of ``field`` (the attribute DRF would read), as the serializer path writes it."""
    general = _general(field)
    if isinstance(field, serializers.BooleanField | serializers.ChoiceField):
        return _memoized(general)
    if isinstance(field, serializers.DecimalField):
        return _decimal(field, general)
    if isinstance(field, serializers.DateTimeField):
        return _datetime(field, general)
    if isinstance(field, serializers.DateField):
        return _memoized(_date(field, general))
    if isinstance(field, serializers.BigIntegerField):
        if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING):
            return general
        return _integer(general)
    if isinstance(field, serializers.IntegerField):
        return _integer(general)
    if isinstance(field, serializers.CharField):
        return _text
    if type(field) is serializers.FloatField:  # float(value), which _typed keeps and csv_row too
        return _float
    return general


def _relation_formatter(field) -> Callable:
    """A relation's key or slug, read as a value: the representation is the value itself."""
    if isinstance(field, relations.SlugRelatedField):
        return _text
    return _integer(lambda value: _cell(value))


# -- compiling a serializer -------------------------------------------------------------------------------------


class _Plan:
    def __init__(self, queryset, user):
        self.queryset = queryset
        self.user = user
        self.model = queryset.model
        self.names: list[str] = []  # what values_list reads
        self.annotations: dict = {}
        self.extras: list[tuple[Callable, int]] = []  # per row: (row, chunk state) -> that many values appended
        self.chunk_readers: list[Callable] = []  # per chunk: ids -> state
        self.getters: dict[str, tuple[int, Callable]] = {}  # key -> (index in the extended row, formatter)
        self.sql: dict[str, tuple] = {}  # key -> (kind, values name, detail): a column PostgreSQL can write
        self.extra_names: set[str] = set()  # values the extras read

    def read(self, name: str, expression=None) -> int:
        if expression is not None:
            self.annotations[name] = expression
        if name in self.names:
            return self.names.index(name)
        self.names.append(name)
        return len(self.names) - 1


def _model_path(model, attrs: list[str]):
    """The ORM path of a source through single-valued relations, with the last model field (or None)."""
    path, field = [], None
    for position, attr in enumerate(attrs):
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, None
        if field.many_to_many or field.one_to_many:
            return None, None
        path.append(field.name)
        if field.is_relation and position < len(attrs) - 1:
            model = field.related_model
        elif position < len(attrs) - 1:
            return None, None
    return "__".join(path), field


def _source_path(plan: _Plan, field) -> str:
    """The values name of a plain field's source (a model field, an annotation or a relation path)."""
    attrs = field.source_attrs
    if len(attrs) == 1 and attrs[0] in plan.queryset.query.annotations:
        return attrs[0]
    path, model_field = _model_path(plan.model, attrs)
    if path is None or model_field is None:
        raise Unsupported(field.source)
    if isinstance(model_field, models.JSONField) or model_field.is_relation and len(attrs) > 1:
        raise Unsupported(field.source)  # a JSON value is flattened; a related object as a value has no text here
    if len(attrs) > 1 and field.default not in (empty, None):
        raise Unsupported(field.source)  # a missing relation gives the default, not null
    return path


def _linked_name(plan: _Plan, key: str, field) -> None:
    """A LinkedNameField: the linked record's name, or HIDDEN_RECORD_LABEL where the reader may not see it."""
    *relation, attribute = field.source_attrs
    path, model_field = _model_path(plan.model, relation)
    if path is None or model_field is None or not model_field.is_relation or field.default not in (empty, None):
        raise Unsupported(field.source)
    linked = model_field.related_model
    name = f"{path}__{attribute}"
    condition = visibility_q(plan.user, linked, prefix=f"{path}__") if is_city_scoped(linked) else None
    if condition is None:
        plan.getters[key] = (plan.read(name), _text)
        if _is_text(_model_path(plan.model, field.source_attrs)[1]):
            plan.sql[key] = ("text", name, None)
        return
    try:
        masked = Case(
            When(**{f"{path}__isnull": True}, then=Value(None)),
            When(condition, then=F(name)),
            default=Value(HIDDEN_RECORD_LABEL),
            output_field=models.TextField(),
        )
    except ValueError as error:  # a many-valued scope: no prefixed condition
        raise Unsupported(field.source) from error
    plan.getters[key] = (plan.read(f"_csv_{key}", masked), _text)
    if _is_text(_model_path(plan.model, field.source_attrs)[1]):
        plan.sql[key] = ("text", f"_csv_{key}", None)


def _nested_list(plan: _Plan, key: str, field) -> None:
    """A nested list serializer over a reverse foreign key: its records a chunk at a time, serialized by it."""
    attrs = field.source_attrs
    if len(attrs) != 1:
        raise Unsupported(field.source)
    try:
        relation = plan.model._meta.get_field(attrs[0])
    except FieldDoesNotExist as error:
        raise Unsupported(field.source) from error
    if not isinstance(relation, ManyToOneRel) or relation.many_to_many:
        raise Unsupported(field.source)
    queryset = relation.related_model._default_manager.all()
    for lookup in plan.queryset._prefetch_related_lookups:
        if isinstance(lookup, models.Prefetch) and lookup.prefetch_to == attrs[0] and lookup.queryset is not None:
            queryset = lookup.queryset
    foreign_key = relation.field
    child = field.child
    slot = len(plan.chunk_readers)

    def read_chunk(ids):
        grouped: dict = {}
        for record in _with_keys(queryset, foreign_key, ids):
            grouped.setdefault(getattr(record, foreign_key.attname), []).append(child.to_representation(record))
        return grouped

    key_index = plan.read(plan.model._meta.pk.name)
    plan.extra_names.add(plan.model._meta.pk.name)

    def cell(row, state):
        items = state[slot].get(row[key_index])
        if not items:
            return ""
        if all(not isinstance(item, dict | list) for item in items):
            return LIST_SEPARATOR.join("" if item is None else str(item) for item in items)
        return json.dumps(items, ensure_ascii=False)

    plan.chunk_readers.append(read_chunk)
    plan.extras.append((lambda row, state: (cell(row, state),), 1))
    plan.getters[key] = (("extra", len(plan.extras) - 1, 0), _text)


def _with_keys(queryset, foreign_key, ids):
    """The records whose ``foreign_key`` is one of ``ids``: on PostgreSQL as one array (``= ANY``), since an
    ``IN`` of a chunk's thousands of keys costs more to build and parse than the query to run."""
    connection = connections[queryset.db]
    if ids and connection.vendor == "postgresql" and all(type(key) is int for key in ids):
        quote = connection.ops.quote_name
        column = f"{quote(queryset.model._meta.db_table)}.{quote(foreign_key.column)}"
        # The array as its text: psycopg's list adapter takes longer over thousands of keys than the query.
        array = "{" + ",".join(map(str, ids)) + "}"
        return queryset.extra(where=[f"{column} = ANY(%s::bigint[])"], params=[array])
    return queryset.filter(**{f"{foreign_key.name}__in": ids})


def _declared(plan: _Plan, key: str, field, declared: CsvField) -> list[str]:
    """A field the view declares: the object its serializer reads, built from the values it names."""
    plan.queryset = declared.prepare(plan.queryset)
    indexes = [plan.read(name) for name in declared.fetch]
    plan.extra_names.update(declared.fetch)
    children = _children(field)
    keys = []
    if children:
        names = [name for name, child in children.items() if not child.write_only]
        for name in names:
            child = children[name]
            if len(child.source_attrs) != 1:
                raise Unsupported(f"{key}.{name}")
        computed = [name for name in names if name not in declared.columns]
        attrs = [children[name].source_attrs[0] for name in computed]

        from_dict = itemgetter(*attrs) if attrs else None
        from_object = attrgetter(*attrs) if attrs else None
        single = len(attrs) == 1
        direct = declared.cells(tuple(attrs)) if attrs else None

        def cells(row, state):
            if direct is not None:
                return direct(tuple([row[index] for index in indexes]))
            value = declared.value(tuple([row[index] for index in indexes]))
            try:
                found = from_dict(value) if isinstance(value, dict) else from_object(value)
            except (KeyError, AttributeError):  # a missing key or attribute reads as null, one at a time
                get = dict.get if isinstance(value, dict) else lambda item, attr: getattr(item, attr, None)
                return tuple(get(value, attr) for attr in attrs)
            return (found,) if single else found

        if computed:
            plan.extras.append((cells, len(computed)))
        for name in names:
            child_key, child = f"{key}.{name}", children[name]
            if name in declared.columns:  # the value itself: read (and, on PostgreSQL, written) like a column
                column = declared.columns[name]
                plan.getters[child_key] = (plan.read(column), formatter(child))
                kind = _sql_kind(child, _output_field(plan, column))
                if kind is not None:
                    plan.sql[child_key] = (kind[0], column, kind[1])
            else:
                plan.getters[child_key] = (("extra", len(plan.extras) - 1, computed.index(name)), formatter(child))
            keys.append(child_key)
        return keys
    plan.extras.append((lambda row, state: (declared.value(tuple(row[index] for index in indexes)),), 1))
    plan.getters[key] = (("extra", len(plan.extras) - 1, 0), formatter(field))
    return [key]


def _compile_field(plan: _Plan, key: str, field, declared: dict) -> list[str]:
    """Register how to read ``field``; the flattened keys it gives."""
    from .serializers import ChoiceLabelField, LinkedNameField

    if key in declared:
        return _declared(plan, key, field, declared[key])
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(field.child, serializers.ModelSerializer):
            raise Unsupported(key)
        _nested_list(plan, key, field)
        return [key]
    if isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField | ChoiceLabelField):
        raise Unsupported(key)  # ChoiceLabelField: left out of exports beside its choice column, see below
    if isinstance(field, LinkedNameField):
        _linked_name(plan, key, field)
        return [key]
    if isinstance(field, relations.RelatedField):
        if not isinstance(field, relations.PrimaryKeyRelatedField | relations.SlugRelatedField):
            raise Unsupported(key)
        if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is not None:
            raise Unsupported(key)
        path, model_field = _model_path(plan.model, field.source_attrs)
        if path is None or model_field is None or not model_field.is_relation:
            raise Unsupported(key)
        if isinstance(field, relations.SlugRelatedField):
            path = f"{path}__{field.slug_field}"
        plan.getters[key] = (plan.read(path), _relation_formatter(field))
        end = _model_path(plan.model, path.split("__"))[1]
        target = end.target_field if end is not None and end.is_relation else end
        if isinstance(field, relations.SlugRelatedField) and _is_text(target):
            plan.sql[key] = ("text", path, None)
        elif isinstance(field, relations.PrimaryKeyRelatedField) and isinstance(target, models.IntegerField):
            plan.sql[key] = ("int", path, None)
        return [key]
    if type(field).to_representation is not _BASE_TO_REPRESENTATION.get(_kind(field)):
        raise Unsupported(key)  # a field class that writes its own representation
    name = _source_path(plan, field)
    plan.getters[key] = (plan.read(name), formatter(field))
    kind = _sql_kind(field, _output_field(plan, name))
    if kind is not None:
        plan.sql[key] = (kind[0], name, kind[1])
    return [key]


def _is_text(model_field) -> bool:
    return isinstance(model_field, models.CharField | models.TextField) and not model_field.choices


def _output_field(plan: _Plan, name: str):
    if name in plan.queryset.query.annotations:
        return plan.queryset.query.annotations[name].output_field
    return _model_path(plan.model, name.split("__"))[1]


def _sql_kind(field, model_field) -> tuple | None:
    """How PostgreSQL writes this column's cells exactly as ``formatter(field)`` does, or None (Python writes them)."""
    if model_field is None:
        return None
    kind = _kind(field)
    if kind is serializers.ChoiceField and isinstance(model_field, models.CharField | models.IntegerField):
        values = list(field.choice_strings_to_values.values())
        return "choice", {value: formatter(field)(value) for value in values}
    if kind is serializers.BooleanField and isinstance(model_field, models.BooleanField):
        return "choice", {value: formatter(field)(value) for value in (True, False)}
    if kind is serializers.CharField and _is_text(model_field):
        return "text", None
    integer = kind is serializers.IntegerField or (
        kind is serializers.BigIntegerField
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    )
    if integer and isinstance(model_field, models.IntegerField) and not model_field.choices:
        return "int", None
    if (
        kind is serializers.DecimalField
        and isinstance(model_field, models.DecimalField)
        and not field.localize
        and field.decimal_places is not None
        and field.decimal_places == model_field.decimal_places
        and field.decimal_places <= 6  # str() of such a Decimal never takes an exponent
        and (field.max_digits is None or field.max_digits >= model_field.max_digits)
    ):
        return "decimal", field.decimal_places
    if (
        kind is serializers.DateTimeField
        and isinstance(model_field, models.DateTimeField)
        and _iso(field, "DATETIME_FORMAT")
        and settings.USE_TZ
    ):
        return "datetime", None
    if (
        kind is serializers.DateField
        and isinstance(model_field, models.DateField)
        and not isinstance(model_field, models.DateTimeField)
        and _iso(field, "DATE_FORMAT")
    ):
        return "date", None
    return None


def _kind(field):
    for kind in _BASE_TO_REPRESENTATION:
        if isinstance(field, kind):
            return kind
    return None


#: The field classes whose representation the formatters reproduce (a subclass overriding it is not read here).
_BASE_TO_REPRESENTATION = {
    kind: kind.to_representation
    for kind in (
        serializers.BooleanField,
        serializers.MultipleChoiceField,
        serializers.ChoiceField,
        serializers.DecimalField,
        serializers.DateTimeField,
        serializers.DateField,
        serializers.BigIntegerField,
        serializers.IntegerField,
        serializers.FloatField,
        serializers.CharField,
        serializers.TimeField,
        serializers.UUIDField,
    )
}


class CompiledCsv:
    """One export's reading and writing of rows (see the module's docstring)."""

    def __init__(self, plan: _Plan, header: list[str], order: list, keys: list[str]):
        self.plan = plan
        self.header = header
        self.keys = keys  # the exported columns' keys
        self.order = order  # per exported column: (index in the extended row, formatter)

    def rows(self, queryset_rows: Iterator[tuple], chunk_size: int, first_chunk: int) -> Iterator[list[list]]:
        plan, order = self.plan, self.order
        key_index = plan.names.index(plan.model._meta.pk.name) if plan.chunk_readers else None
        size = first_chunk
        while chunk := list(islice(queryset_rows, size)):
            size = chunk_size
            state = [read([row[key_index] for row in chunk]) for read in plan.chunk_readers]
            if plan.extras:
                extras = [extra for extra, _width in plan.extras]
                chunk = [row + tuple(value for extra in extras for value in extra(row, state)) for row in chunk]
            yield [[format_value(row[index]) for index, format_value in order] for row in chunk]

    def stream(self, queryset_rows, chunk_size: int, first_chunk: int) -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        started = False
        for rows in self.rows(queryset_rows, chunk_size, first_chunk):
            if not started:
                out.write(CSV_BOM)
                writer.writerow(self.header)
                started = True
            writer.writerows(rows)
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
        if not started:
            yield (CSV_BOM + "\r\n").encode("utf-8")

    def values(self):
        """The rows' values, each under an alias of its own: a value named like a field (``project``) would
        otherwise replace that field in the list's ordering (ordered by the key, not by the related record's order).
        """
        queryset = self.plan.queryset.prefetch_related(None)
        if self.plan.annotations:
            queryset = queryset.annotate(**self.plan.annotations)
        aliases = {f"_csv_column_{position}": F(name) for position, name in enumerate(self.plan.names)}
        return queryset.annotate(**aliases).values_list(*aliases)


def compile_csv(serializer, queryset: models.QuerySet, user, declared: dict | None = None) -> CompiledCsv | None:
    """The fast reading of ``serializer``'s records from ``queryset``, or None where a field needs the serializer."""
    declared = declared or {}
    plan = _Plan(queryset, user)
    keys: list[str] = []
    try:
        plan.read(plan.model._meta.pk.name)
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            try:
                keys.extend(_compile_field(plan, name, field, declared))
            except Unsupported:
                if _left_out(name, serializer):
                    keys.append(name)
                    continue
                raise
    except Unsupported:
        return None
    header, kept = export_columns(keys, serializer)
    offsets, total = [], len(plan.names)  # the extras' values follow the row's, in the order of ``plan.extras``
    for _extra, width in plan.extras:
        offsets.append(total)
        total += width
    order = []
    for key, _field in kept:
        if key not in plan.getters:
            return None  # a column only the serializer can give
        where, format_value = plan.getters[key]
        order.append((offsets[where[1]] + where[2] if isinstance(where, tuple) else where, format_value))
    return CompiledCsv(plan, header, order, [key for key, _field in kept])


def _left_out(name: str, serializer) -> bool:
    """A ``x_display`` choice label beside its choice column ``x``: ``export_columns`` leaves it out."""
    base = name.removesuffix("_display")
    return base != name and isinstance(serializer.fields.get(base), serializers.ChoiceField)


# -- PostgreSQL writes the cells it can: each row arrives as text ----------------------------------------------

_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _csv_field(value) -> str:
    """One cell as ``csv.writer`` (QUOTE_MINIMAL, more than one column) writes it."""
    text = value if type(value) is str else str(value)  # a float: repr() and str() agree
    if text and _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


class _CsvQuoted(Func):
    """A text value as ``csv.writer`` writes it: quoted, its quotes doubled, when it holds , " CR or LF.

    PostgreSQL quotes CSV by the same rule, but its COPY ends lines with LF, and ``csv.writer`` with CRLF.
    """

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if params:  # written once: the one-pass form (a doubled quote is itself , " CR LF-free otherwise)
            return f"""regexp_replace(replace({sql}, '"', '""'), '^(.*[,"\\r\\n].*)$', '"\\1"')""", params
        # strpos is cheaper than a regular expression, for the common value that needs no quotes.
        special = " OR ".join(f"strpos({sql}, {char}) > 0" for char in ("','", "'\"'", "chr(13)", "chr(10)"))
        return f"""CASE WHEN {special} THEN '"' || replace({sql}, '"', '""') || '"' ELSE {sql} END""", params


class _Joined(Func):
    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = models.TextField()


class _Template(Func):
    output_field = models.TextField()


def _text_or_empty(expression):
    return Coalesce(expression, Value(""), output_field=models.TextField())


def _joined(expressions: list):
    return _Joined(*expressions) if len(expressions) > 1 else expressions[0]


def _segment(piece: list[tuple], texts: list):
    """The SQL of a run of cells: their plain join, or, when any of its texts holds , " CR or LF, the quoted one.

    One test a row instead of one a text: most rows need no quotes at all.
    """
    if not piece:
        return Value("")
    plain = _joined([cell for cell, _quoted in piece])
    if not texts:
        return plain
    quoted = _joined([quoted for _cell, quoted in piece])
    return Case(When(_AnySpecial(*texts), then=quoted), default=plain, output_field=models.TextField())


class _AnySpecial(Func):
    """Whether any of these texts holds a character that makes ``csv.writer`` quote it."""

    template = """concat(%(expressions)s) ~ '[,"\\r\\n]'"""
    output_field = models.BooleanField()


class _FormulaStarts(Func):
    """Whether any of these texts starts as ``escape_formula`` may change it (then Python writes the row).

    ``ascii()`` of each text's first character against the prefixes' codes: half the cost of joining the
    first characters and matching a pattern (null for a null text, 0 for an empty one: neither flags the row).
    """

    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return "(" + " OR ".join(f"ascii({sql}) IN ({_FORMULA_CODES})" for sql in parts) + ")", params


# Each prefix is one character (ascii() reads one), as escape_formula's startswith() tests them.
assert all(len(prefix) == 1 for prefix in FORMULA_PREFIXES)
_FORMULA_CODES = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)


_SAFE_ZONE = re.compile(r"^[A-Za-z0-9_/+\-]+$")


class SqlLines:
    """A compiled export whose cells PostgreSQL writes where it can write them exactly as ``formatter`` does.

    Each row is read as text segments (the columns PostgreSQL writes, CSV-quoted and joined by commas)
    around the cells Python writes (nested lists, declared fields, other types), the values those need,
    and a flag: a row holding a value whose cell PostgreSQL cannot be trusted with (text that
    ``escape_formula`` would change, a choice outside the field's choices, a decimal of another scale)
    is written whole by Python from its values, read again by key with the chunk.
    """

    def __init__(self, compiled: CompiledCsv, keys: list[str], zone: str, iso_dates: bool = False):
        self.compiled = compiled
        plan = compiled.plan
        pieces: list[list[tuple]] = [[]]  # per segment: (cell, cell of a row whose text needs quotes)
        texts: list[list] = [[]]  # per segment: its text values
        self.python_columns: list[tuple[int, Callable]] = []
        conditions = Q()
        for position, (key, (index, format_value)) in enumerate(zip(keys, compiled.order, strict=True)):
            if position:
                pieces[-1].append((Value(","), Value(",")))
            sql = plan.sql.get(key)
            if sql is None:
                self.python_columns.append((index, format_value))
                pieces.append([])
                texts.append([])
                continue
            kind, name, detail = sql
            value = F(name)
            if kind == "text":
                texts[-1].append(value)
                pieces[-1].append((_text_or_empty(value), _text_or_empty(_CsvQuoted(value))))
                continue
            if kind in ("int", "decimal"):
                cell = Cast(value, models.TextField())
                if kind == "decimal":
                    conditions |= Q(**{f"{name}__isnull": False}) & ~Q(
                        Exact(Func(value, function="scale", output_field=models.IntegerField()), detail)
                    )
            elif kind == "date":
                # A date's text in the ISO DateStyle is YYYY-MM-DD: a cast costs half of to_char's pattern.
                template = "(%(expressions)s)::text" if iso_dates else "to_char(%(expressions)s, 'YYYY-MM-DD')"
                cell = _Template(value, template=template)
            elif kind == "datetime":
                # Truncated to the second (as Python drops the microseconds), then YYYY-MM-DD HH:MI:SS.
                template = (
                    f"date_trunc('second', %(expressions)s AT TIME ZONE '{zone}')::text"
                    if iso_dates
                    else f"to_char(%(expressions)s AT TIME ZONE '{zone}', 'YYYY-MM-DD HH24:MI:SS')"
                )
                cell = _Template(value, template=template)
            else:  # choice
                cell = Case(
                    *(When(**{name: choice}, then=Value(_csv_field(label))) for choice, label in detail.items()),
                    default=Value(None),
                    output_field=models.TextField(),
                )
                if not all(isinstance(choice, bool) for choice in detail):
                    conditions |= Q(**{f"{name}__isnull": False}) & ~Q(**{f"{name}__in": list(detail)})
            pieces[-1].append((_text_or_empty(cell),) * 2)
        all_texts = [value for segment_texts in texts for value in segment_texts]
        if all_texts:
            conditions |= Q(_FormulaStarts(*all_texts))
        self.segments = [_segment(piece, segment_texts) for piece, segment_texts in zip(pieces, texts, strict=True)]
        self.flag = (
            Case(When(conditions, then=Value(True)), default=Value(False), output_field=models.BooleanField())
            if conditions
            else Value(False, output_field=models.BooleanField())
        )
        needed = {index for index, _format in self.python_columns if not isinstance(index, tuple)}
        needed |= {plan.names.index(name) for name in plan.extra_names}
        needed.add(0)  # the key
        self.needed = sorted(index for index in needed if index < len(plan.names))

    def values(self):
        plan = self.compiled.plan
        queryset = plan.queryset.prefetch_related(None)
        if plan.annotations:
            queryset = queryset.annotate(**plan.annotations)
        selected = {"_csv_flag": self.flag}
        selected.update({f"_csv_segment_{position}": segment for position, segment in enumerate(self.segments)})
        # The values Python reads, at their places in the compiled row (the others: null, loaded at no cost).
        needed = set(self.needed)
        selected.update(
            {
                f"_csv_value_{index}": F(name) if index in needed else Value(None, output_field=models.TextField())
                for index, name in enumerate(plan.names)
            }
        )
        return queryset.annotate(**selected).values_list(*selected)

    def chunks_ahead(self, chunk_size: int, first_chunk: int) -> Iterator[tuple]:
        """The prepared chunks (``chunks``) of ``values()``, read and prepared a chunk ahead by a thread
        (``read_ahead``) that shares this thread's connection; close it when done."""
        queryset = self.values()
        connection = connections[queryset.db]
        # As QuerySet.iterator(): a server-side cursor unless the database's settings turn them off. The query
        # is sent here, in the caller's thread (its connection and transaction).
        chunked = connection.features.can_use_chunked_reads and not connection.settings_dict.get(
            "DISABLE_SERVER_SIDE_CURSORS"
        )
        compiler = queryset.query.get_compiler(using=queryset.db)
        rows = compiler.results_iter(tuple_expected=True, chunked_fetch=chunked, chunk_size=chunk_size)
        return read_ahead(self.chunks(rows, chunk_size, first_chunk), connection)

    def chunks(self, rows: Iterator[tuple], chunk_size: int, first_chunk: int) -> Iterator[tuple]:
        """Per chunk of rows, what writing it reads of the database: (rows, the nested lists' records by key,
        the values of the rows Python writes whole by key)."""
        compiled, plan = self.compiled, self.compiled.plan
        key_position = 1 + len(self.segments)  # a row: the flag, the segments, then the values (the key first)
        size = first_chunk
        while chunk := list(islice(rows, size)):
            size = chunk_size
            keys = [row[key_position] for row in chunk]
            state = [read(keys) for read in plan.chunk_readers]
            flagged = [row[key_position] for row in chunk if row[0]]
            whole = {row[0]: row for row in compiled.values().filter(pk__in=flagged)} if flagged else {}
            yield chunk, state, whole

    def stream(self, rows: Iterator[tuple], chunk_size: int, first_chunk: int) -> Iterator[bytes]:
        return self.write(self.chunks(rows, chunk_size, first_chunk))

    def write(self, chunks: Iterator[tuple]) -> Iterator[bytes]:
        """The CSV's bytes from the prepared chunks (``chunks``): no database access here."""
        compiled, plan = self.compiled, self.compiled.plan
        base = 1 + len(self.segments)  # a row: the flag, the segments, then the values
        python_columns = [
            (index, format_value, position) for position, (index, format_value) in enumerate(self.python_columns, 2)
        ]
        extras = [extra for extra, _width in plan.extras]
        key_position = base  # the key is the first value
        out, scratch = io.StringIO(), io.StringIO()
        writer, scratch_writer = csv.writer(out), csv.writer(scratch)
        started = False
        for chunk, state, whole in chunks:
            if not started:
                out.write(CSV_BOM)
                writer.writerow(compiled.header)
                started = True
            lines = []
            for row in chunk:
                if row[0]:
                    values = whole[row[key_position]]
                    for extra in extras:
                        values += extra(values, state)
                    scratch_writer.writerow([format_value(values[index]) for index, format_value in compiled.order])
                    lines.append(scratch.getvalue())
                    scratch.seek(0)
                    scratch.truncate()
                    continue
                values = row[base:]
                for extra in extras:
                    values += extra(values, state)
                line = row[1]
                for index, format_value, position in python_columns:
                    line += _csv_field(format_value(values[index])) + row[position]
                lines.append(line + "\r\n")
            out.write("".join(lines))
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
        if not started:
            yield (CSV_BOM + "\r\n").encode("utf-8")


#: What ``read_ahead`` passes when the items end.
_END = object()


def read_ahead(items: Iterator, connection=None, depth: int = 2) -> Iterator:
    """``items``, computed by a thread up to ``depth`` items ahead of the caller.

    The database computes the next chunk while Python writes the current one (a cursor's FETCH releases
    the GIL while it waits): on two cores an export takes about the longer of the two, not their sum.
    Memory stays flat: at most ``depth`` items wait. With ``connection``, the thread uses the caller's
    connection (its transaction and server-side cursor) for the queries ``items`` makes: the caller must
    not use it meanwhile, and must close this generator (its ``finally`` stops and joins the thread)
    before the transaction ends.
    """
    queued: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                queued.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def compute():
        if connection is not None:
            connections[connection.alias] = connection  # this thread's connection is the caller's
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as error:  # passed on to the caller's thread, raised there
            put(error)
        finally:
            if connection is not None:
                del connections[connection.alias]

    if connection is not None:
        connection.inc_thread_sharing()
    worker = threading.Thread(target=compute, name="csv-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := queued.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
        if connection is not None:
            connection.dec_thread_sharing()


def sql_lines(compiled: CompiledCsv | None, connection) -> SqlLines | None:
    """The PostgreSQL writing of a compiled export, where the database is PostgreSQL and the time zone is named."""
    if compiled is None or connection.vendor != "postgresql":
        return None
    zone = getattr(timezone.get_current_timezone(), "key", None)
    if not zone or not _SAFE_ZONE.match(zone):
        return None
    return SqlLines(compiled, compiled.keys, zone, iso_dates=_iso_date_style(connection))


def _iso_date_style(connection) -> bool:
    """Whether the session writes dates and timestamps as ISO 8601 text (DateStyle ISO, the default): then
    a cast writes them, cheaper than ``to_char``. The server reports the setting: no query."""
    connection.ensure_connection()
    info = getattr(connection.connection, "info", None)
    style = info.parameter_status("DateStyle") if info is not None else None
    return bool(style) and style.split(",")[0].strip().upper() == "ISO"
