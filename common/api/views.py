from itertools import islice

from django.conf import settings
from django.db import connections, transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet, ReadOnlyModelViewSet

from common.models import defer_heavy_fields
from common.routers import reading_from_replica, replica_reads
from common.scope import scope_queryset
from common.services import ModelServices

from .csv_fast import SqlLines, compile_csv, sql_lines
from .filters import StrictFilterBackend, StrictWriteQueryMixin
from .pagination import stable_ordering
from .renderers import CSVRenderer, XLSXRenderer, stream_csv
from .versioning import HistoryViewMixin, VersionedReadMixin, VersionedViewMixin

EXPORT_FORMATS = (CSVRenderer.format, XLSXRenderer.format)
#: Records in a streamed export's first chunk (later ones: ``export_chunk_size``).
FIRST_CHUNK = 100

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", *EXPORT_FORMATS],
    description="导出格式：csv 或 xlsx 返回全部符合条件的记录（不分页）；默认 json。",
)


class ScopedViewMixin(StrictWriteQueryMixin):
    """Every queryset goes through the city-scope rule; filters and a write's query string are strict
    (StrictFilterBackend, StrictWriteQueryMixin)."""

    filter_backends = [StrictFilterBackend]

    def get_queryset(self):
        return defer_heavy_fields(scope_queryset(super().get_queryset(), self.request.user))


class ExportMixin:
    """Lists also export as CSV and XLSX (all matching records, unpaginated); errors stay JSON.

    A CSV is streamed: the records are read through a server-side cursor a chunk at a time and
    each chunk is serialized and sent before the next is read, so that the first bytes leave at
    once and a worker holds one chunk, not the list (``stream_csv = False`` for a view whose list
    adds to its records after serializing them). Where every field of the serializer allows it, the
    rows are not serialized but read as values and formatted by a table compiled once from the
    serializer, and on PostgreSQL the database writes the cells it can write exactly
    (common.api.csv_fast): the same bytes, at tens of thousands of rows a second instead of
    hundreds (``csv_fast = False``: always the serializer; ``csv_fields``: how to read a method field).
    An XLSX file is built whole, so a list of more than ``EXPORT_XLSX_MAX_ROWS`` records is refused
    with the way to a background export job.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    stream_csv = True
    export_chunk_size = 500
    #: Read the CSV's rows as tuples where every field allows it (common.api.csv_fast): the same bytes, faster.
    csv_fast = True
    csv_sql = True
    csv_fast_chunk_size = 5000
    #: A ``CsvField`` per field the fast path cannot read by itself (a method field), by its key.
    csv_fields: dict = {}

    def list(self, request, *args, **kwargs):
        file_format = getattr(request.accepted_renderer, "format", None)
        if file_format == CSVRenderer.format and self.stream_csv:
            return self.csv_stream_response(self.filter_queryset(self.get_queryset()))
        if file_format == XLSXRenderer.format:
            self.refuse_large_xlsx(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(getattr(self.request, "accepted_renderer", None), "format", None) in EXPORT_FORMATS:
            # As the pages (StablePagination): rows that tie on the asked-for ordering come in key order,
            # so that two exports of the same data list them alike.
            queryset = queryset.order_by(*stable_ordering(queryset))
        return queryset

    def csv_stream_response(self, queryset) -> StreamingHttpResponse:
        serializer = self.get_serializer(many=True).child  # the fields are built once, for every chunk
        replica_allowed = replica_reads.get()  # the body is read after the view (and its middleware) returned
        compiled = compile_csv(serializer, queryset, self.request.user, self.csv_fields) if self.csv_fast else None
        if compiled is not None:
            body = self._csv_fast_body(compiled, queryset.db, replica_allowed)
        else:
            body = stream_csv(self._csv_chunks(serializer, queryset, replica_allowed), serializer)
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{getattr(self, "basename", None) or "export"}.csv"'
        return response

    def _csv_fast_body(self, compiled, using, replica_allowed):
        # As below: a server-side cursor in a transaction, the first rows sent at once.
        # On PostgreSQL, the database writes the cells it can write exactly (csv_fast.SqlLines).
        writer = (sql_lines(compiled, connections[using]) if self.csv_sql else None) or compiled
        first_chunk = min(FIRST_CHUNK, self.csv_fast_chunk_size)
        with reading_from_replica(replica_allowed), transaction.atomic(using=using):
            if not isinstance(writer, SqlLines):
                rows = writer.values().iterator(chunk_size=self.csv_fast_chunk_size)
                yield from writer.stream(rows, self.csv_fast_chunk_size, first_chunk)
                return
            # A thread reads the next chunk (and its nested lists) while this one is written.
            chunks = writer.chunks_ahead(self.csv_fast_chunk_size, first_chunk)
            try:
                yield from writer.write(chunks)
            finally:
                chunks.close()  # the reading thread ends before the transaction does

    def _csv_chunks(self, serializer, queryset, replica_allowed):
        rows = queryset.iterator(chunk_size=self.export_chunk_size)

        def chunks():
            # In a transaction, the server-side cursor streams: outside one (autocommit) it would be
            # declared WITH HOLD, and PostgreSQL runs such a query to its end before the first row.
            with reading_from_replica(replica_allowed), transaction.atomic(using=queryset.db):
                size = min(FIRST_CHUNK, self.export_chunk_size)  # the first bytes leave at once
                while chunk := list(islice(rows, size)):
                    yield [serializer.to_representation(record) for record in chunk]
                    size = self.export_chunk_size

        return chunks()

    def refuse_large_xlsx(self, queryset) -> None:
        limit = settings.EXPORT_XLSX_MAX_ROWS
        if queryset.order_by().values("pk")[: limit + 1].count() > limit:
            raise ValidationError(
                {
                    "format": [
                        f"符合条件的记录超过 {limit:,} 条，XLSX 文件请用后台导出任务生成"
                        "（POST /api/v1/jobs/export/，完成后在 /api/v1/jobs/{id}/ 下载），"
                        "或改用 format=csv 直接下载（CSV 边查边传，不限条数）。"
                    ]
                }
            )

    @property
    def paginator(self):
        renderer = getattr(self.request, "accepted_renderer", None)
        if getattr(renderer, "format", None) in EXPORT_FORMATS:
            return None
        return super().paginator

    def handle_exception(self, exc):
        # Errors are always answered in JSON, even when a CSV or XLSX file was asked for.
        if getattr(getattr(self.request, "accepted_renderer", None), "format", None) in EXPORT_FORMATS:
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().handle_exception(exc)


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ScopedReadOnlyViewSet(ExportMixin, VersionedReadMixin, HistoryViewMixin, ScopedViewMixin, ReadOnlyModelViewSet):
    """Reads of one model within the user's scope, for records written only by rules or actions.

    Lists export as CSV and XLSX, details carry an ETag, ``{id}/history/`` lists the changes; a
    subclass's actions check If-Match with ``_lock_and_check`` (warnings, submissions).
    """


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ScopedModelViewSet(ExportMixin, VersionedViewMixin, HistoryViewMixin, ScopedViewMixin, ModelViewSet):
    """CRUD on one model: reads within the user's scope, writes through the model's services.

    Subclasses declare ``queryset`` (with its select_related / prefetch_related),
    ``serializer_class``, ``filterset_class`` and ``services`` (a ``ModelServices`` of the app's
    create, update and delete functions). Lists also export as CSV and XLSX; details carry an
    ETag and writes honour If-Match (412 when stale); ``{id}/history/`` lists the changes.
    """

    services: ModelServices

    def perform_create(self, serializer):
        instance = self.services.create(user=self.request.user, data=serializer.validated_data)
        serializer.instance = self.written(instance)

    def perform_update(self, serializer):
        instance = self.services.update(
            instance=serializer.instance, user=self.request.user, data=serializer.validated_data
        )
        serializer.instance = self.written(instance)

    def perform_destroy(self, instance):
        self.services.delete(instance=instance, user=self.request.user)

    def written(self, instance):
        """The record a write answers with (a subclass may read it back with its annotations)."""
        return instance


class AggregateViewSet(ScopedViewMixin, GenericViewSet):
    """A dashboard figure: ``aggregate()`` of the scoped queryset filtered like its list.

    Subclasses declare ``queryset``, ``filterset_class``, ``serializer_class`` (the response)
    and ``aggregate(queryset) -> dict``, which calls a selector (selectors clear the ordering
    before grouping, since ORDER BY columns would join the GROUP BY).
    """

    pagination_class = None

    def list(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.aggregate(self.filter_queryset(self.get_queryset()))).data)

    def aggregate(self, queryset) -> dict:
        raise NotImplementedError
