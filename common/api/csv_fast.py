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
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import islice

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.fields.reverse_related import ManyToOneRel
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
    field that declares a return serializer, the mapping or object that serializer represents.
    """

    fetch: Sequence[str] = ()

    def prepare(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset

    def value(self, values: tuple):
        raise NotImplementedError


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
        for record in queryset.filter(**{f"{foreign_key.name}__in": ids}):
            grouped.setdefault(getattr(record, foreign_key.attname), []).append(child.to_representation(record))
        return grouped

    key_index = plan.read(plan.model._meta.pk.name)

    def cell(row, state):
        items = state[slot].get(row[key_index], ())
        if all(not isinstance(item, dict | list) for item in items):
            return LIST_SEPARATOR.join("" if item is None else str(item) for item in items)
        return json.dumps(items, ensure_ascii=False)

    plan.chunk_readers.append(read_chunk)
    plan.extras.append((lambda row, state: (cell(row, state),), 1))
    plan.getters[key] = (("extra", len(plan.extras) - 1, 0), _text)


def _declared(plan: _Plan, key: str, field, declared: CsvField) -> list[str]:
    """A field the view declares: the object its serializer reads, built from the values it names."""
    plan.queryset = declared.prepare(plan.queryset)
    indexes = [plan.read(name) for name in declared.fetch]
    children = _children(field)
    keys = []
    if children:
        names = [name for name, child in children.items() if not child.write_only]
        for name in names:
            child = children[name]
            if len(child.source_attrs) != 1:
                raise Unsupported(f"{key}.{name}")
        attrs = [children[name].source_attrs[0] for name in names]

        def cells(row, state):
            value = declared.value(tuple(row[index] for index in indexes))
            if isinstance(value, dict):
                return tuple(value.get(attr) for attr in attrs)
            return tuple(getattr(value, attr, None) for attr in attrs)

        plan.extras.append((cells, len(names)))
        for position, name in enumerate(names):
            child_key = f"{key}.{name}"
            plan.getters[child_key] = (("extra", len(plan.extras) - 1, position), formatter(children[name]))
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
        return [key]
    if type(field).to_representation is not _BASE_TO_REPRESENTATION.get(_kind(field)):
        raise Unsupported(key)  # a field class that writes its own representation
    plan.getters[key] = (plan.read(_source_path(plan, field)), formatter(field))
    return [key]


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

    def __init__(self, plan: _Plan, header: list[str], order: list):
        self.plan = plan
        self.header = header
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
    return CompiledCsv(plan, header, order)


def _left_out(name: str, serializer) -> bool:
    """A ``x_display`` choice label beside its choice column ``x``: ``export_columns`` leaves it out."""
    base = name.removesuffix("_display")
    return base != name and isinstance(serializer.fields.get(base), serializers.ChoiceField)
