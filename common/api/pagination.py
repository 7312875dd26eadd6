from django.core.paginator import Paginator
from django.db.models import QuerySet
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
