from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def stable_ordering(queryset: QuerySet) -> list:
    """The queryset's ordering, ending with the primary key so that pages neither overlap nor skip rows."""
    query = queryset.query
    ordering = list(query.order_by or (queryset.model._meta.ordering if query.default_ordering else []))
    names = {item.lstrip("-") for item in ordering if isinstance(item, str)}
    if not names & {"pk", "id", queryset.model._meta.pk.name}:
        ordering.append("pk")
    return ordering


class KeyFirstPaginator(Paginator):
    """Reads a page in one query that first picks the page's keys, then joins the rows by key.

    Sorting and skipping need only the filter and order columns, which a covering index can give
    without visiting the table (``projects_project_city_list``); only the rows of the page are
    read whole, with their joins and annotations. Querysets it cannot rewrite (DISTINCT, UNION,
    lists) are sliced as usual.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int):
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.distinct or queryset.query.combinator:
            return queryset[bottom:top]
        queryset = queryset.order_by(*stable_ordering(queryset))
        return queryset.filter(pk__in=queryset.values("pk")[bottom:top])


class StandardPagination(PageNumberPagination):
    """``count`` / ``next`` / ``previous`` / ``results``; ``?page=`` and ``?page_size=`` (at most 1000)."""

    django_paginator_class = KeyFirstPaginator
    page_size_query_param = "page_size"
    page_size_query_description = "每页条数（最多 1000）。"
    page_query_description = "页码。"
    max_page_size = 1000

    def get_page_size(self, request):
        """``?page_size=`` once, a whole number from 1 up (more than 1000 gives 1000); anything else is a 400.

        DRF would ignore a bad value and answer the default page, so that a mistyped size passes unnoticed.
        """
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit() or int(values[0]) < 1:
            raise ValidationError({self.page_size_query_param: ["每页条数须为一个正整数。"]})
        return min(int(values[0]), self.max_page_size)

    def get_page_number(self, request, paginator):
        """``?page=`` once, a whole number from 1 up (or ``last``); anything else is a 400, like ``page_size``.

        DRF would read an empty ``?page=`` as the first page.
        """
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        value = values[0]
        if len(values) > 1 or not (value in self.last_page_strings or (value.isascii() and value.isdigit())):
            raise ValidationError({self.page_query_param: ["页码须为一个正整数。"]})
        return paginator.num_pages if value in self.last_page_strings else value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters
