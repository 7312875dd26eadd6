from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet, ModelViewSet, ReadOnlyModelViewSet

from common.models import defer_heavy_fields
from common.scope import scope_queryset
from common.services import ModelServices

from .filters import StrictFilterBackend
from .renderers import CSVRenderer, XLSXRenderer
from .versioning import HistoryViewMixin, VersionedReadMixin, VersionedViewMixin

EXPORT_FORMATS = (CSVRenderer.format, XLSXRenderer.format)

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", *EXPORT_FORMATS],
    description="导出格式：csv 或 xlsx 返回全部符合条件的记录（不分页）；默认 json。",
)


class ScopedViewMixin:
    """Every queryset goes through the city-scope rule; filters are strict (see StrictFilterBackend)."""

    filter_backends = [StrictFilterBackend]

    def get_queryset(self):
        return defer_heavy_fields(scope_queryset(super().get_queryset(), self.request.user))


class ExportMixin:
    """Lists also export as CSV and XLSX (all matching records, unpaginated); errors stay JSON."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

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
