"""A list page represented from ``.values()`` rows, with the serializer's own fields (issue 17).

The serializer stays the one definition of a list's fields: ``compile_rows`` reads its fields (names,
order, sources, and each field's own ``to_representation``) and prepares, once per request, how
each one is taken from a row of plain values instead of a model instance. What it skips is the
work around the values: building model instances and their related instances, the per-instance
querysets of ``prefetch_related``, and DRF's generic attribute walk for every field of every row.

A field it does not know how to take from a row (a new kind of field, a method field that did
not declare what it reads, a nested serializer that is not a list of related rows) makes
``compile_rows`` answer None, and the list is served by the serializer as usual.
Tests (tests/projects/test_api_rows.py) pin the rows equal to the serializer's output for every
kind of reader.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework import relations, serializers
from rest_framework.fields import SerializerMethodField, empty
from rest_framework.settings import ISO_8601, api_settings

from common.api.serializers import ChoiceLabelField, LinkedNameField
from common.scope import HIDDEN_RECORD_LABEL, is_city_scoped, is_visible, visibility_q
from regions.models import Region

SKIP = object()


class Unsupported(Exception):
    """A field the rows cannot represent exactly: the serializer represents the list."""


class RowPlan:
    """How to represent rows of ``model`` (dicts of ``columns``) exactly as ``serializer`` represents instances."""

    def __init__(self, serializer: serializers.ModelSerializer, queryset: QuerySet):
        self.serializer = serializer
        self.model = queryset.model
        self.queryset = queryset
        self.columns: list[str] = [self.model._meta.pk.attname]
        self.steps: list[tuple[str, Callable[[dict, dict], Any]]] = []
        self.nested: list[tuple[str, RowPlan, str]] = []  # (field name, plan of the related rows, their key column)
        self.linked: list[LinkedNames] = []
        annotations = set(queryset.query.annotations)
        method_sources = getattr(serializer, "row_method_sources", {})
        for field in serializer._readable_fields:
            self.steps.append((field.field_name, self._step(field, annotations, method_sources)))

    # -- compiling

    def _column(self, path: str) -> str:
        if path not in self.columns:
            self.columns.append(path)
        return path

    def _model_field(self, name: str):
        try:
            return self.model._meta.get_field(name)
        except Exception:  # noqa: BLE001 (FieldDoesNotExist, or not a field at all)
            return None

    def _step(self, field, annotations: set[str], method_sources: dict) -> Callable[[dict, dict], Any]:
        if isinstance(field, SerializerMethodField):
            return self._method_step(field, method_sources)
        if isinstance(field, serializers.ListSerializer):
            return self._nested_step(field)
        if isinstance(field, serializers.BaseSerializer):
            raise Unsupported(field.field_name)
        if isinstance(field, LinkedNameField):
            return self._linked_step(field)
        if isinstance(field, ChoiceLabelField):
            return self._choice_label_step(field)
        attrs = field.source_attrs
        if len(attrs) == 1:
            return self._own_step(field, attrs[0], annotations)
        if len(attrs) == 2 and not isinstance(field, relations.RelatedField | relations.ManyRelatedField):
            return self._through_step(field, *attrs)
        raise Unsupported(field.field_name)

    def _own_step(self, field, name: str, annotations: set[str]):
        model_field = self._model_field(name)
        if isinstance(field, relations.ManyRelatedField):
            raise Unsupported(field.field_name)
        if isinstance(field, relations.RelatedField):
            if model_field is None or not (model_field.many_to_one or model_field.one_to_one):
                raise Unsupported(field.field_name)
            if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
                column = self._column(model_field.attname)
                return lambda row, state: row[column]
            if isinstance(field, relations.SlugRelatedField) and "." not in field.slug_field:
                # SlugRelatedField.to_representation(record) is the record's slug, as it is.
                column = self._column(f"{name}__{field.slug_field}")
                return lambda row, state: row[column]
            raise Unsupported(field.field_name)
        if name in annotations or (model_field is not None and model_field.concrete and not model_field.is_relation):
            column = self._column(name)
            represent = _representer(field)
            return lambda row, state: None if (value := row[column]) is None else represent(value, state)
        raise Unsupported(field.field_name)

    def _through_step(self, field, relation: str, attribute: str):
        """``source="city.name"``: an attribute of a record linked by a foreign key (DRF's rules for a missing link)."""
        model_field = self._model_field(relation)
        if model_field is None or not (model_field.many_to_one or model_field.one_to_one):
            raise Unsupported(field.field_name)
        target = model_field.related_model._meta.get_field(attribute)
        if not target.concrete or target.is_relation:
            raise Unsupported(field.field_name)
        key, column = self._column(model_field.attname), self._column(f"{relation}__{attribute}")
        # What DRF's Field.get_attribute gives when the link is empty (AttributeError on None).
        if field.default is not empty:
            missing = field.get_default
        elif field.allow_null:
            missing = _none
        elif not field.required:
            missing = _skip
        else:
            raise Unsupported(field.field_name)
        represent = field.to_representation
        return lambda row, state: missing() if row[key] is None else _value(represent, row[column])

    def _choice_label_step(self, field):
        name = field.source.removeprefix("get_").removesuffix("_display")
        model_field = self._model_field(name)
        if model_field is None or not model_field.choices or field.source != f"get_{name}_display":
            raise Unsupported(field.field_name)
        column = self._column(model_field.attname)
        labels: dict = {}
        represent = field.to_representation

        def step(row, state):
            value = row[column]
            if value not in labels:
                # The model's own get_FOO_display, on the value alone.
                label = models.Model._get_FIELD_display(SimpleNamespace(**{model_field.attname: value}), model_field)
                labels[value] = _value(represent, label)
            return labels[value]

        return step

    def _method_step(self, field, method_sources: dict):
        """A method field reads the attributes its serializer declares in ``row_method_sources`` (and no context:
        the plan is kept for every request)."""
        sources = method_sources.get(field.field_name)
        if sources is None:
            raise Unsupported(field.field_name)
        for name in sources:
            self._column(name)
        represent = field.to_representation
        return lambda row, state: represent(SimpleNamespace(**{name: row[name] for name in sources}))

    def _linked_step(self, field):
        *path, attribute = field.source_attrs
        if len(path) != 1:
            raise Unsupported(field.field_name)
        model_field = self._model_field(path[0])
        if model_field is None or not (model_field.many_to_one or model_field.one_to_one):
            raise Unsupported(field.field_name)
        linked = LinkedNames(self, path[0], model_field.related_model, attribute, field)
        self.linked.append(linked)
        return linked.step

    def _nested_step(self, field: serializers.ListSerializer):
        name = field.source
        descriptor = getattr(self.model, name, None)
        relation = getattr(descriptor, "rel", None)
        if relation is None or not relation.one_to_many or getattr(descriptor, "reverse", True) is False:
            raise Unsupported(field.field_name)
        child = field.child
        if not isinstance(child, serializers.ModelSerializer):
            raise Unsupported(field.field_name)
        related = self._prefetch_queryset(name, relation.related_model)
        plan = RowPlan(child, related)
        key = plan._column(relation.field.attname)
        self.nested.append((field.field_name, plan, key))
        return lambda row, state: row[_NESTED][field.field_name]

    def _prefetch_queryset(self, name: str, model) -> QuerySet:
        """The queryset the list's ``prefetch_related`` reads ``name`` with (order, filters), else the default."""
        for lookup in self.queryset._prefetch_related_lookups:
            if isinstance(lookup, Prefetch) and lookup.prefetch_through == name and lookup.to_attr is None:
                if lookup.queryset is not None:
                    return lookup.queryset
            elif lookup == name:
                break
        return model._default_manager.all()

    # -- reading and representing

    def read(self, queryset: QuerySet, extra: list[str] = ()) -> list[dict]:
        """The rows of a page's queryset (same filters, order and annotations), as plain values;
        ``extra``: further value paths to read (e.g. the ordering's, for a cursor)."""
        columns = [*self.columns, *(path for path in extra if path not in self.columns)]
        return list(queryset.prefetch_related(None).values(*columns))

    def represent(self, rows: list[dict], user) -> list[dict]:
        """The serializer's representation of ``rows`` for this reader."""
        pk = self.model._meta.pk.attname
        keys = [row[pk] for row in rows]
        nested = {key: {} for key in keys}
        for name, plan, key in self.nested:
            children: dict = {k: [] for k in keys}
            related = plan.read(plan.queryset.filter(**{f"{key}__in": keys})) if keys else []
            for child, child_row in zip(plan.represent(related, user), related, strict=True):
                children[child_row[key]].append(child)
            for k in keys:
                nested[k][name] = children[k]
        state = {linked: linked.prepare(rows, user) for linked in self.linked}
        state[_TZ] = timezone.get_current_timezone() if settings.USE_TZ else None
        results = []
        for row in rows:
            row[_NESTED] = nested[row[pk]]
            item = {}
            for name, step in self.steps:
                value = step(row, state)
                if value is not SKIP:
                    item[name] = value
            results.append(item)
        return results


_NESTED = "\x00nested"


def _representer(field) -> Callable[[Any, dict], Any]:
    """``field.to_representation``, with the same result by a shorter way for the common kinds of DRF field
    (exact classes only, a subclass may differ): a str for a CharField (``str(value)``), an int for an
    IntegerField (``int(value)``), an aware datetime in ISO 8601 (the request's time zone, taken once per
    page) and a Decimal as a string (its quantizing context taken once per page); anything else as DRF does."""
    represent = field.to_representation
    if type(field) is serializers.CharField:
        return lambda value, state: value if type(value) is str else represent(value)
    if type(field) is serializers.IntegerField:
        return lambda value, state: value if type(value) is int else represent(value)
    if type(field) is serializers.DateTimeField:
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if isinstance(output_format, str) and output_format.lower() == ISO_8601 and not hasattr(field, "timezone"):

            def datetime_value(value, state):
                if type(value) is not datetime.datetime or value.utcoffset() is None or state[_TZ] is None:
                    return represent(value)
                try:
                    text = value.astimezone(state[_TZ]).isoformat()
                except OverflowError:
                    return represent(value)
                return text[:-6] + "Z" if text.endswith("+00:00") else text

            return datetime_value
    if type(field) is serializers.DecimalField:
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        if coerce and not field.localize and not field.normalize_output and field.decimal_places is not None:
            exponent = decimal.Decimal(".1") ** field.decimal_places

            def decimal_value(value, state):
                if type(value) is not decimal.Decimal:
                    return represent(value)
                context = state.get((_DECIMALS, field.max_digits))
                if context is None:
                    context = state[(_DECIMALS, field.max_digits)] = decimal.getcontext().copy()
                    if field.max_digits is not None:
                        context.prec = field.max_digits
                return f"{value.quantize(exponent, rounding=field.rounding, context=context):f}"

            return decimal_value
    return lambda value, state: represent(value)


_TZ = "\x00tz"
_DECIMALS = "\x00decimals"


def _value(represent, value):
    return None if value is None else represent(value)


def _none():
    return None


def _skip():
    return SKIP


class LinkedNames:
    """``LinkedNameField`` from rows: the linked record's name, or HIDDEN_RECORD_LABEL where the reader may not see it.

    Whether a record is visible is decided by ``common.scope.is_visible``, on a stand-in record that
    holds only its scope (the region it is scoped by): once per region on the page and reader.
    """

    def __init__(self, plan: RowPlan, relation: str, model, attribute: str, field):
        self.model = model
        self.field = field
        self.key = plan._column(f"{relation}__{model._meta.pk.attname}")
        self.name = plan._column(f"{relation}__{attribute}")
        self.region = []
        if is_city_scoped(model):
            scope = model.city_scope
            scope_field = model._meta.get_field(scope) if "__" not in scope else None
            if scope_field is None or not scope_field.many_to_one or scope_field.related_model is not Region:
                raise Unsupported(field.field_name)
            self.scope = scope
            self.region = [plan._column(f"{relation}__{scope}__{name}") for name in ("id", "code", "level", "parent")]

    def prepare(self, rows: list[dict], user) -> dict | None:
        """Which regions' records this reader sees (None: all of them)."""
        if not self.region or visibility_q(user, self.model) is None:
            return None
        visible = {}
        for row in rows:
            region = tuple(row[column] for column in self.region)
            if region not in visible:
                probe = self.model()
                if region[0] is not None:
                    setattr(
                        probe,
                        self.scope,
                        Region(id=region[0], code=region[1], level=region[2], parent_id=region[3]),
                    )
                visible[region] = is_visible(user, probe)
        return visible

    def step(self, row: dict, state: dict):
        visible = state[self]
        if row[self.key] is None:
            value = None  # LinkedNameField: no linked record
        elif visible is None or visible[tuple(row[column] for column in self.region)]:
            value = row[self.name]
        else:
            value = HIDDEN_RECORD_LABEL
        return None if value is None else self.field.to_representation(value)


_plans: dict = {}


def compile_rows(serializer_class, queryset: QuerySet) -> RowPlan | None:
    """How to represent ``queryset``'s rows as ``serializer_class`` does (a ModelSerializer), or None.

    Prepared once per process for each serializer and shape of queryset (its annotations and prefetched
    relations): the fields come from a serializer without a request, whose readable fields are those of
    every request (only writes and forms depend on the reader); the reader counts in ``represent``.
    """
    prefetched = tuple(getattr(lookup, "prefetch_to", lookup) for lookup in queryset._prefetch_related_lookups)
    key = (serializer_class, queryset.model, frozenset(queryset.query.annotations), prefetched)
    if key not in _plans:
        try:
            _plans[key] = RowPlan(serializer_class(), queryset)
        except Unsupported:
            _plans[key] = None
    return _plans[key]
