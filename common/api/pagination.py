import base64
import binascii
import json
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

#: Above this many rows a list's ``count`` is the planner's estimate (``count_is_estimate``), not a COUNT.
EXACT_COUNT_LIMIT = 100_000


def planner_estimate(queryset: QuerySet) -> int | None:
    """The number of rows PostgreSQL's planner expects the queryset to give (None on other databases)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


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

    #: A count known without counting (e.g. from rollups), given by the view.
    known_count: int | None = None
    count_is_estimate = False
    #: How the view reads a page's queryset (e.g. as plain rows, ``read_page``); None: as model instances.
    read = None

    @cached_property
    def count(self):
        """Exact up to ``EXACT_COUNT_LIMIT`` rows; above it, the planner's estimate (flagged)."""
        if self.known_count is not None:
            return self.known_count
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and connections[queryset.db].vendor == "postgresql":
            # One bounded COUNT (it stops after EXACT_COUNT_LIMIT + 1 rows): exact for every list that is not
            # huge, in the one query a count always took; only a longer list asks the planner for its estimate.
            bounded = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1].count()
            if bounded <= EXACT_COUNT_LIMIT:
                return bounded
            self.count_is_estimate = True
            return max(planner_estimate(queryset) or 0, bounded)
        return super().count

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
        page = queryset.filter(pk__in=queryset.values("pk")[bottom:top])
        return page if self.read is None else self.read(page)


def _field(model, path: str):
    """The model field at the end of an ordering path (``city__code``, ``pk``)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _nullable(model, path: str) -> bool:
    """Whether an ordering path can be empty: its field allows NULL, or a relation on the way does (a LEFT JOIN)."""
    *relations, name = path.split("__")
    for relation in relations:
        field = model._meta.get_field(relation)
        if field.null:
            return True
        model = field.related_model
    return name != "pk" and model._meta.get_field(name).null


def _value(obj, path: str):
    if isinstance(obj, dict):  # a row of plain values, read with the ordering's paths
        obj = obj[path]
    else:
        for name in path.split("__"):
            obj = None if obj is None else getattr(obj, name)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj if obj is None or isinstance(obj, int | str) else str(obj)


class Keyset:
    """Pages that continue after the last row of the previous one (``?cursor=``), whatever their depth.

    The cursor holds the ordering values of that row (the ordering ends with the primary key, so
    they name one row). A page is "the rows after it in this order", which the ordering's index
    reads from that point on, instead of counting off every row before it. Empty values sort last
    in both directions, on every database.
    """

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset
        self.paths = []  # (path, descending, field)
        for item in stable_ordering(queryset):
            if not isinstance(item, str):
                raise NotFound("此列表的排序不支持游标分页。")
            path = item.lstrip("-")
            try:
                field = _field(queryset.model, path)
            except FieldDoesNotExist:
                raise NotFound("此列表的排序不支持游标分页。") from None
            self.paths.append((path, item.startswith("-"), field))
        # Only a path that can be empty gets NULLS LAST and "or empty" in ``after``: on a column that
        # cannot, those words would stop the ordering's index from starting at the cursor's row (a
        # cursor at row 500,000 of a million then read every row before it).
        self.nullable = {path: _nullable(queryset.model, path) for path, _, _ in self.paths}

    def ordered(self) -> QuerySet:
        # NULLS LAST only where a column may be empty: elsewhere the plain order, which the indexes keep.
        return self.queryset.order_by(
            *(
                (F(path).desc if descending else F(path).asc)(**({"nulls_last": True} if self.nullable[path] else {}))
                for path, descending, _ in self.paths
            )
        )

    def columns(self) -> list[str]:
        """The value paths of the ordering (what ``encode`` reads from a row of plain values)."""
        return [path for path, _, _ in self.paths]

    def encode(self, obj) -> str:
        values = [_value(obj, path) for path, _, _ in self.paths]
        raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> list:
        invalid = NotFound("游标无效，请从列表第一页重新开始。")
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid from None
        if not isinstance(values, list) or len(values) != len(self.paths):
            raise invalid
        parsed = []
        for value, (_, _, field) in zip(values, self.paths, strict=True):
            if value is not None and not isinstance(value, str | int):
                raise invalid
            try:
                parsed.append(None if value is None else field.to_python(value))
            except (DjangoValidationError, ValueError, TypeError):
                raise invalid from None
        if parsed[-1] is None:
            raise invalid
        return parsed

    def after(self, values: list) -> Q:
        """Rows after the one with these ordering values (lexicographic, empty values last)."""
        condition = None
        for (path, descending, _), value in reversed(list(zip(self.paths, values, strict=True))):
            if value is None:
                beyond, same = Q(pk__in=[]), Q(**{f"{path}__isnull": True})
            else:
                beyond = self._or_empty(path, Q(**{f"{path}__{'lt' if descending else 'gt'}": value}))
                same = Q(**{path: value})
            condition = beyond if condition is None else beyond | (same & condition)
        first, descending, _ = self.paths[0]
        if values[0] is not None:
            # The same bound on the first column alone, so that the index scan starts at the row.
            bound = Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]})
            condition = self._or_empty(first, bound) & condition
        return condition

    def _or_empty(self, path: str, condition: Q) -> Q:
        # Empty values sort last: they come after any value (only where the path can be empty).
        return condition | Q(**{f"{path}__isnull": True}) if self.nullable[path] else condition


class StandardPagination(PageNumberPagination):
    """``count`` / ``next`` / ``previous`` / ``results``; ``?page=`` and ``?page_size=`` (at most 1000).

    ``?cursor=`` (empty for the first page, then the ``next`` link) pages by key instead of by
    number: each page costs the same at any depth (``Keyset``). ``count`` is exact up to
    ``EXACT_COUNT_LIMIT`` rows; above, it is the database's estimate and ``count_is_estimate`` is true.
    """

    cursor_query_param = "cursor"
    cursor_query_description = "游标：留空取第一页，之后沿 next 链接翻页（任意深度的页同样快）；与 page 不能同时使用。"
    page_size_query_param = "page_size"
    page_size_query_description = "每页条数（最多 1000）。"
    page_query_description = "页码。"
    max_page_size = 1000
    read_page = None

    def django_paginator_class(self, queryset, page_size) -> KeyFirstPaginator:
        paginator = KeyFirstPaginator(queryset, page_size)
        paginator.known_count = self.known_count
        paginator.read = self.read_page
        return paginator

    def paginate_queryset(self, queryset, request, view=None):
        """Pages by number or, with ``?cursor=``, by key; a view's ``known_count(queryset)`` spares the COUNT."""
        self.keyset = None
        # A view's ``read_page(queryset) -> list`` reads the page (e.g. as plain rows, projects.api.rows).
        self.read_page = getattr(view, "read_page", None)
        known = getattr(view, "known_count", None)
        self.known_count = known(queryset) if known is not None else None
        if self.cursor_query_param in request.query_params:
            return self.paginate_by_cursor(queryset, request)
        page = super().paginate_queryset(queryset, request, view)
        self.count_is_estimate = self.page.paginator.count_is_estimate if page is not None else False
        return page

    def paginate_by_cursor(self, queryset, request):
        values = request.query_params.getlist(self.cursor_query_param)
        if len(values) > 1 or self.page_query_param in request.query_params:
            raise NotFound("游标只能给一个，且不能与 page 同时使用。")
        self.request = request
        self.keyset = Keyset(queryset)
        size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, size)
        self.cursor_count = paginator.count
        self.count_is_estimate = paginator.count_is_estimate
        rows = self.keyset.ordered()
        if values[0]:
            rows = rows.filter(self.keyset.after(self.keyset.decode(values[0])))
        # Keys first (from the index), then the page's rows whole, as KeyFirstPaginator does.
        page = (self.read_page or list)(rows.filter(pk__in=rows.values("pk")[: size + 1]))
        self.cursor_next = self.keyset.encode(page[size - 1]) if len(page) > size else None
        return page[:size]

    def get_paginated_response(self, data):
        if self.keyset is None:
            response = super().get_paginated_response(data)
            response.data["count_is_estimate"] = self.count_is_estimate
            return response
        url = self.request.build_absolute_uri()
        return Response(
            {
                "count": self.cursor_count,
                "count_is_estimate": self.count_is_estimate,
                "next": replace_query_param(url, self.cursor_query_param, self.cursor_next)
                if self.cursor_next
                else None,
                "previous": None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": (
                f"count 是否为估计值（符合条件的记录超过 {EXACT_COUNT_LIMIT:,} 条时按数据库统计估计，不逐条计数）"
            ),
        }
        schema["required"] = [*schema.get("required", []), "count_is_estimate"]
        return schema

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
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            }
        )
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters
