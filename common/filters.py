"""Filters shared by every app's FilterSets (API, web pages and selectors use the same ones).

Conventions, from DESIGN.md: a city is named by its GB/T 2260 code (``?city=140100``), a zone,
a plan and an industry by id; ``?industry=`` includes the industry's descendants. Every value
is validated: an unknown code or id, a malformed number or an unknown choice is a form error,
which the API answers with 400. A filter by a record of a city-scoped model offers only the
records the user may see: another city's id is answered exactly like an id that does not exist
(both 400, the same message). The filters that name a domain model live in its app
(``regions.filters``: city, region code, zone; ``plans.filters``: industry); this module names none.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q, QuerySet
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from common.scope import is_city_scoped, scope_queryset, visible_along_q
from common.validators import MagnitudeValidator

TRUE_VALUES = ("true", "1", "yes")
FALSE_VALUES = ("false", "0", "no")


def _single_valued(model, lookup: str) -> bool:
    """Whether a lookup path only follows foreign keys (so filtering on it cannot duplicate rows)."""
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True  # a lookup such as "in" or "icontains"
        if field.many_to_many or field.one_to_many:
            return False
        if not field.is_relation:
            return True
        model = field.related_model
    return True


def _q_paths(condition: Q):
    for child in condition.children:
        if isinstance(child, Q):
            yield from _q_paths(child)
        else:
            yield child[0]


def matching(queryset: QuerySet, *conditions: Q, **lookups) -> QuerySet:
    paths = [*lookups, *(path for condition in conditions for path in _q_paths(condition))]
    if all(_single_valued(queryset.model, path) for path in paths):
        return queryset.filter(*conditions, **lookups)
    # A sub-select on the primary key keeps many-valued joins from duplicating rows.
    return queryset.filter(pk__in=queryset.model.objects.filter(*conditions, **lookups).values("pk"))


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values of a choice field (``?stage=signed&stage=started``), without DISTINCT."""

    def __init__(self, *args, **kwargs):
        # The default distinct=True turns the whole list into SELECT DISTINCT: costly, and useless
        # on a field of the model itself.
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """true/false (also 1/0, yes/no); anything else is an error, not silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(v, v) for v in TRUE_VALUES + FALSE_VALUES])
        kwargs.setdefault("coerce", lambda value: value in TRUE_VALUES)
        super().__init__(*args, **kwargs)
        # What it takes, as the schema says it: one of the words, or empty (= not filtered, as a form sends it).
        schema = {"type": "string", "enum": [*TRUE_VALUES, *FALSE_VALUES, ""]}
        if self.label:
            schema["description"] = str(self.label)
        set_override(self, "field", schema)


class HasFilter(StrictBooleanFilter):
    """``has_<x>=true``: the field is set (``field_name`` is the nullable field)."""

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        return qs.filter(**{f"{self.field_name}__isnull": not value})


def related_model(model, path: str):
    """The model a lookup path leads to (``"pk"``: the model itself)."""
    for name in path.split("__"):
        if name != "pk":
            model = model._meta.get_field(name).related_model
    return model


@extend_schema_field(OpenApiTypes.INT)
class RelatedFilter(django_filters.ModelChoiceFilter):
    """``?<name>=<id>``: records related to that record; ``field_name`` is the path to it.

    Without a ``queryset``, the choices are every record of the model the path leads to, so a
    FilterSet filters through a relation its model declares (a zone's industries) without naming
    the related model, which may belong to an app above (common ← regions ← plans).
    """

    def get_queryset(self, request):
        if self.queryset is None:
            return related_model(self.model, self.field_name)._default_manager.all()
        return super().get_queryset(request)

    def filter(self, qs, value):
        if not value:
            return qs
        return matching(qs, **{self.field_name: value})


class SubtreeFilter(RelatedFilter):
    """Records of that node or of any node below it, in a tree linked by ``parent``."""

    def filter(self, qs, value):
        if not value:
            return qs
        # Kept on the node the form validated: a second filter of the same request (the list's count from
        # the rollups) does not read the tree again.
        ids = value.__dict__.get("_subtree_ids")
        if ids is None:
            ids = value.__dict__["_subtree_ids"] = descendant_ids(type(value)._default_manager, value.pk)
        return matching(qs, **{f"{self.field_name}__in": ids})


def descendant_ids(manager, pk: int) -> list[int]:
    """The node and every node below it in a tree linked by ``parent``, read in one query."""
    children: dict[int | None, list[int]] = {}
    for child, parent_id in manager.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(child)
    ids, frontier = [pk], [pk]
    while frontier:
        frontier = [child for node in frontier for child in children.get(node, ())]
        ids.extend(frontier)
    return ids


def range_filters(field_name: str, label: str, filter_class=django_filters.NumberFilter):
    """A ``<name>_min`` (≥) and ``<name>_max`` (≤) pair: ``year_min, year_max = range_filters("year", "年份")``."""
    return (
        filter_class(field_name=field_name, lookup_expr="gte", label=f"{label}（不低于）"),
        filter_class(field_name=field_name, lookup_expr="lte", label=f"{label}（不高于）"),
    )


def _model_field(model, path: str):
    """The model field a lookup path ends on, or None."""
    *relations, name = path.split("__")
    try:
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        return model._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return None


def whole_number_if_integer(filter_: django_filters.NumberFilter, model) -> None:
    """A number filter on an integer field takes a whole number (``?year_min=1e15`` is a 400, as the schema says)."""
    model_field = _model_field(model, filter_.field_name)
    if isinstance(model_field, models.IntegerField):
        filter_.field_class = forms.IntegerField
        # Only what the column can hold (?year=1048576 on a small integer is a 400, not the database's error).
        low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
        filter_.extra.update(min_value=low, max_value=high)
        schema = {"type": "integer", "minimum": low, "maximum": high}
        if filter_.label:
            schema["description"] = str(filter_.label)
        set_override(filter_, "field", schema)


def bound_by_magnitude(filter_: django_filters.NumberFilter, model) -> None:
    """A number filter on a field with a ``MagnitudeValidator`` refuses (400) what the field could never hold.

    The schema says so too (``minimum`` / ``maximum``), so a value it allows is one the filter takes.
    """
    model_field = _model_field(model, filter_.field_name)
    limits = [v.maximum for v in getattr(model_field, "validators", ()) if isinstance(v, MagnitudeValidator)]
    if not limits:
        return
    maximum = min(limits)
    filter_.extra.update(max_value=maximum, min_value=-maximum)
    schema = {"type": "number", "minimum": -int(maximum), "maximum": int(maximum)}
    if filter_.label:
        schema["description"] = str(filter_.label)
    set_override(filter_, "field", schema)


def chinese_ordering(filter_: django_filters.OrderingFilter, model) -> None:
    """``ordering`` choices named in Chinese ("名称", "名称（降序）"), not "Name" or "键 (descending)"."""
    choices = filter_.extra.get("choices", [])
    names = {}
    for value, label in choices:
        if not value.startswith("-"):
            # The parameter's own field ("scope": 范围) before the path it orders by (scope__code: 行政区划代码).
            field = _model_field(model, value) or _model_field(model, filter_.param_map.get(value, value))
            names[value] = str(getattr(field, "verbose_name", None) or label)
    filter_.extra["choices"] = [
        (value, f"{names[value[1:]]}（降序）" if value.startswith("-") else names[value]) for value, _ in choices
    ]


class BaseFilterSet(django_filters.FilterSet):
    """Adds ``search=`` over ``search_fields`` (case-insensitive substring, any of the fields).

    Number filters take whole numbers on integer fields, and only values within the bounds of a
    bounded field (``whole_number_if_integer``, ``bound_by_magnitude``).
    """

    search_fields: tuple[str, ...] = ()

    # A yes/no field named in Meta.fields gets the strict filter: django-filter's own BooleanFilter turns
    # ?includes_projects=maybe into "not filtered" and answers the whole list.
    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        if cls._meta.model is not None:
            for filter_ in filters.values():
                if isinstance(filter_, django_filters.NumberFilter):
                    whole_number_if_integer(filter_, cls._meta.model)
                    bound_by_magnitude(filter_, cls._meta.model)
                if isinstance(filter_, django_filters.OrderingFilter):
                    chinese_ordering(filter_, cls._meta.model)
        return filters

    search = django_filters.CharFilter(method="filter_search", label="搜索（名称等）")

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = user if user is not None else getattr(request, "user", None)
        self.user = user
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
                choices = filter_.get_queryset(request)
                if is_city_scoped(choices.model):
                    filter_.queryset = scope_queryset(choices, user)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value}) & self._visible_along(field)
        return matching(queryset, condition)

    def _visible_along(self, path: str) -> Q:
        return visible_along_q(self.user, self._meta.model, path) if self.user is not None else Q()


def scoped_filtered(*, queryset: QuerySet, user, filterset_class, filters=None, request=None) -> QuerySet:
    """The records this user may see, filtered by a FilterSet; invalid filters raise ValidationError."""
    from django.core.exceptions import ValidationError

    filterset = filterset_class(data=filters or {}, queryset=scope_queryset(queryset, user), request=request, user=user)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs
