from functools import lru_cache

from django import forms
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings


class StrictWriteQueryMixin:
    """A write takes no query parameter of its own: one it does not know is an error (400), not silently
    ignored (a list's unknown parameters: StrictFilterBackend).

    Known are ``format`` and the list's own parameters (filters, paging): the browsable API posts its
    forms to the page's whole address, the list's query string included.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions answer first
        if request.method in SAFE_METHODS:
            return
        filterset_class = getattr(self, "filterset_class", None)
        known = _reserved(self) | set(filterset_class.base_filters if filterset_class else ())
        unknown = set(request.query_params) - known
        if unknown:
            raise ValidationError({name: ["未知的查询参数。"] for name in sorted(unknown)})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, where an unknown query parameter is an error too.

    A mistyped ``?cty=140100`` must answer 400, not the whole unfiltered list. The paging
    parameters stay known when an export (``?format=csv``) switches paging off: the export is the
    whole list, and a well-formed ``page`` or ``page_size`` it ignores is not an error (a
    malformed one still is, as it is for the JSON list).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        _check_unused_paging(request, view)
        given = set(request.query_params) - _reserved(view)
        unknown = given - set(filterset_class.base_filters)
        if unknown:
            raise ValidationError({name: ["未知的查询参数。"] for name in sorted(unknown)})
        repeated = [
            name
            for name in sorted(given)
            if len(request.query_params.getlist(name)) > 1 and not _takes_many(filterset_class.base_filters[name])
        ]
        if repeated:
            # django-filter would quietly use the last value: ?city=140100&city=140200 is not "both cities".
            raise ValidationError({name: ["只能指定一个值。"] for name in repeated})
        if not given:
            # No filter named: every filter would pass the queryset through (none has a default),
            # so the form that validates nothing is not built (a dashboard's usual request).
            return queryset
        # Only the filters the request names are built and validated (the others would pass the queryset
        # through): copying and validating a list's two dozen filters was a large part of a request.
        filterset = narrowed(filterset_class, frozenset(given))(**self.get_filterset_kwargs(request, queryset, view))
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        # The view may reuse the validated values (e.g. to count from rollups without validating again).
        view.filterset = filterset
        return filterset.qs


def _takes_many(filter_) -> bool:
    """Whether a filter takes a parameter given several times (?stage=planned&stage=started)."""
    return issubclass(filter_.field_class, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)


@lru_cache(maxsize=256)
def narrowed(filterset_class, names: frozenset[str]):
    """``filterset_class`` with only the filters ``names`` (a subclass, so its methods and Meta stay)."""
    subclass = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    subclass.base_filters = {name: f for name, f in filterset_class.base_filters.items() if name in names}
    return subclass


def _paging_parameters(view) -> list[str]:
    pagination_class = getattr(view, "pagination_class", None)
    names = (getattr(pagination_class, attr, None) for attr in ("page_query_param", "page_size_query_param"))
    return [name for name in names if name]


def _reserved(view) -> set[str]:
    cursor = getattr(getattr(view, "pagination_class", None), "cursor_query_param", None)
    return {api_settings.URL_FORMAT_OVERRIDE, *_paging_parameters(view), *filter(None, [cursor])}


def _check_unused_paging(request, view) -> None:
    """When the view does not page (an export), its paging parameters must still be one positive whole number."""
    if getattr(view, "paginator", None) is not None:
        return
    errors = {}
    for name in _paging_parameters(view):
        values = request.query_params.getlist(name)
        if values and (len(values) > 1 or not values[0].isascii() or not values[0].isdigit() or int(values[0]) < 1):
            errors[name] = ["须为一个正整数。"]
    if errors:
        raise ValidationError(errors)
