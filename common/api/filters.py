from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, where an unknown query parameter is an error too.

    A mistyped ``?cty=140100`` must answer 400, not the whole unfiltered list.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        given = set(request.query_params) - _reserved(view)
        unknown = given - set(filterset_class.base_filters)
        if unknown:
            raise ValidationError({name: ["未知的查询参数。"] for name in sorted(unknown)})
        if not given:
            # No filter named: every filter would pass the queryset through (none has a default),
            # so the form that validates nothing is not built (a dashboard's usual request).
            return queryset
        return super().filter_queryset(request, queryset, view)


def _reserved(view) -> set[str]:
    names = {api_settings.URL_FORMAT_OVERRIDE}
    paginator = getattr(view, "paginator", None)
    for attr in ("page_query_param", "page_size_query_param"):
        if getattr(paginator, attr, None):
            names.add(getattr(paginator, attr))
    return names
