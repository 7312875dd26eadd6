"""The inbox over the API: ``/api/v1/notices/``.

Everyone reads only their own notices. ``POST notices/{id}/read/`` marks one read,
``POST notices/read-all/`` all, ``GET notices/unread-count/`` gives the header's badge number.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from common.api.filters import StrictFilterBackend, StrictWriteQueryMixin

from ..filtersets import NoticeFilterSet
from ..models import Notice
from ..services import notice_mark_read, unread_count
from .serializers import MarkedSerializer, NoticeSerializer, UnreadCountSerializer


class NoticeViewSet(StrictWriteQueryMixin, ReadOnlyModelViewSet):
    queryset = Notice.objects.all()
    serializer_class = NoticeSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [StrictFilterBackend]
    filterset_class = NoticeFilterSet

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """标记为已读。"""
        marked = notice_mark_read(user=request.user, notices=[self.get_object()])
        return Response({"marked": marked})

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """全部标记为已读。"""
        return Response({"marked": notice_mark_read(user=request.user)})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[])
    def unread_count(self, request):
        """未读消息数。"""
        return Response({"unread": unread_count(user=request.user)})
