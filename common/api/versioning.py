"""Edit conflicts and change history over the API, for every ``ScopedModelViewSet``.

``VersionedViewMixin`` — detail, update and delete responses carry an ``ETag`` (the record's
version); a PUT, PATCH or DELETE whose ``If-Match`` names another version answers 412 and
changes nothing. The row is locked (PostgreSQL) from the check to the write, so of many writers
starting from one version exactly one wins. Without ``If-Match`` a write goes ahead, as before.

``HistoryViewMixin`` — ``GET …/{id}/history/``: who changed the record, when, and what
(django-simple-history), newest first, paginated; only for records the user may see.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="读取时得到的 ETag；记录已被他人修改时返回 412，不作任何修改。",
)
PRECONDITION_FAILED = OpenApiResponse(description="记录已被他人修改（If-Match 与当前版本不符），未作任何修改。")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "保存失败：该记录已被他人修改。请重新读取最新内容后再提交。"
    default_code = "edit_conflict"


def record_etag(obj) -> str:
    """The version of a record: its last change time (every record has ``updated``) or, failing that, its pk."""
    version = getattr(obj, "updated", None)
    stamp = version.isoformat() if version is not None else ""
    digest = hashlib.sha256(f"{obj._meta.label}:{obj.pk}:{stamp}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class VersionedReadMixin:
    """ETag on detail responses, and the If-Match check (under a row lock) that a write or an action calls.

    For read-only resources with actions (warnings, submissions): it adds no PUT, PATCH or DELETE, which
    the router would otherwise route to a viewset that has no such write.
    """

    _locked_object = None
    _locking = False  # within _lock_and_check: filter_queryset locks what get_object reads

    def get_object(self):
        # Within a write, the record read under the row lock is the one written: not read twice.
        self._object = self._locked_object or super().get_object()
        return self._object

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = record_etag(self._object)
        return response

    def _write(self, write, request, *args, **kwargs):
        with transaction.atomic():
            self._lock_and_check(request)
            response = write(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            response["ETag"] = record_etag(self._object)
        return response

    def _lock_and_check(self, request) -> None:
        self._locking = True
        try:
            obj = self._locked_object = self.get_object()
        finally:
            self._locking = False
        expected = request.headers.get("If-Match")
        if expected and "*" not in _etags(expected) and record_etag(obj) not in _etags(expected):
            raise PreconditionFailed()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self._locking:
            return queryset
        # The record is read within scope and locked in one statement (PostgreSQL: FOR UPDATE OF its own
        # row; a row changed meanwhile is read as committed by that change): the version compared is the
        # one the write will replace.
        if _lockable_in_read(queryset.query):
            return queryset.select_for_update(of=("self",))
        # A query that cannot carry FOR UPDATE (DISTINCT, GROUP BY, …): lock by key first (no scope needed
        # to lock, nothing is read out), then read.
        try:
            lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            list(
                queryset.model._default_manager.select_for_update()
                .filter(**{self.lookup_field: lookup})
                .values_list("pk")
            )
        except (TypeError, ValueError, DjangoValidationError):
            pass  # not a valid key: get_object answers 404
        return queryset


def _lockable_in_read(query) -> bool:
    return not (
        query.distinct
        or query.group_by is not None
        or query.combinator
        or any(getattr(annotation, "contains_over_clause", False) for annotation in query.annotations.values())
    )


class VersionedViewMixin(VersionedReadMixin):
    """ETag on detail responses; If-Match checked under a row lock before PUT, PATCH and DELETE."""

    @extend_schema(parameters=[IF_MATCH], responses={412: PRECONDITION_FAILED})
    def update(self, request, *args, **kwargs):
        return self._write(super().update, request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH], responses={412: PRECONDITION_FAILED})
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH], responses={412: PRECONDITION_FAILED})
    def destroy(self, request, *args, **kwargs):
        return self._write(super().destroy, request, *args, **kwargs)


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="字段名")
    label = serializers.CharField(help_text="字段中文名")
    old = serializers.JSONField(allow_null=True, help_text="修改前")
    new = serializers.JSONField(allow_null=True, help_text="修改后")


class HistoryRecordSerializer(serializers.Serializer):
    # Labels head the columns of the history's CSV/XLSX export.
    history_id = serializers.IntegerField(label="历史记录编号")
    history_date = serializers.DateTimeField(label="时间", help_text="时间")
    history_type = serializers.ChoiceField(
        choices=[("+", "新增"), ("~", "修改"), ("-", "删除")], label="操作", help_text="+ 新增，~ 修改，- 删除"
    )
    history_type_display = serializers.CharField(label="操作（名称）", help_text="新增、修改或删除")
    history_user = serializers.CharField(allow_null=True, label="操作人", help_text="操作人（用户名）")
    history_change_reason = serializers.CharField(allow_null=True, label="修改原因")
    changes = ChangeSerializer(
        many=True, label="修改内容", help_text="与上一版本相比改变的字段（新增时为全部有值的字段）"
    )


HISTORY_TYPES = {"+": "新增", "~": "修改", "-": "删除"}
_SKIPPED = {"id", "created", "updated"}


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def history_rows(records: list, previous) -> list[dict]:
    """Newest-first historical records, each with its changes against the one before it."""
    rows = []
    for index, record in enumerate(records):
        before = records[index + 1] if index + 1 < len(records) else previous
        rows.append(
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_type": record.history_type,
                "history_type_display": HISTORY_TYPES.get(record.history_type, record.history_type),
                "history_user": record.history_user.get_username() if record.history_user else None,
                "history_change_reason": record.history_change_reason,
                "changes": _changes(record, before),
            }
        )
    return rows


def _changes(record, before) -> list[dict]:
    fields = [f for f in record.instance_type._meta.concrete_fields if f.attname not in _SKIPPED]
    changes = []
    for field in fields:
        new = getattr(record, field.attname, None)
        old = getattr(before, field.attname, None) if before is not None else None
        if new != old and not (before is None and new in (None, "")):
            label = str(field.verbose_name)
            changes.append({"field": field.name, "label": label, "old": _plain(old), "new": _plain(new)})
    return changes


class HistoryViewMixin:
    """``GET …/{id}/history/`` on every resource, within the user's scope."""

    @extend_schema(
        responses={200: HistoryRecordSerializer(many=True)},
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        filters=False,
    )
    @action(
        detail=True, methods=["get"], filter_backends=[], url_path="history", serializer_class=HistoryRecordSerializer
    )
    def history(self, request, *args, **kwargs):
        """变更历史：谁、何时、改了什么（最新在前）。"""
        obj = self.get_object()
        records = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
        page = self.paginate_queryset(records)
        page = list(page if page is not None else records)
        previous = None
        if page:
            last = page[-1]
            previous = (
                obj.history.filter(history_date__lte=last.history_date)
                .exclude(history_id=last.history_id)
                .order_by("-history_date", "-history_id")
                .first()
            )
        data = HistoryRecordSerializer(history_rows(page, previous), many=True).data
        return self.get_paginated_response(data) if self.paginator is not None else Response(data)
