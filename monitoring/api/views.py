"""Monitoring over the API: ``/api/v1/rounds/``, ``/api/v1/submissions/`` and their parts.

A submission is read-only but for its actions ``submit/``, ``approve/``, ``return/`` and
``reopen/`` (If-Match honoured: a stale version answers 412; a submission someone else moved
meanwhile answers 409). Its values are written through ``/api/v1/submission-values/`` while it is
a draft or returned and the round is open. A city sees its own submissions, the province all, a
viewer only approved ones (monitoring.selectors).
"""

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from common.api.versioning import (
    IF_MATCH,
    PRECONDITION_FAILED,
    record_etag,
)
from common.api.views import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewMixin
from common.choices import RoleChoices
from common.models import defer_heavy_fields
from common.scope import user_role
from common.services import ModelServices
from plans.api.views import TargetsByStatusViewSet, TargetViewSet

from ..filtersets import (
    LockExceptionFilterSet,
    RoundFilterSet,
    RoundTemplateFilterSet,
    SubmissionFilterSet,
    SubmissionTransitionFilterSet,
    SubmissionValueFilterSet,
    TargetReviewFilterSet,
)
from ..models import LockException, Round, RoundTemplate, Submission, SubmissionTransition, SubmissionValue
from ..selectors import submission_queryset, submission_value_queryset, values_under_review
from ..services import (
    SubmissionConflict,
    lock_exception_create,
    lock_exception_delete,
    lock_exception_update,
    round_create,
    round_create_from_template,
    round_create_next,
    round_delete,
    round_template_create,
    round_template_delete,
    round_template_update,
    round_update,
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
    submission_value_create,
    submission_value_delete,
    submission_value_update,
)
from .serializers import (
    LockExceptionSerializer,
    ReopenSerializer,
    RoundFromTemplateSerializer,
    RoundSerializer,
    RoundTemplateSerializer,
    SubmissionSerializer,
    SubmissionTransitionSerializer,
    SubmissionValueSerializer,
    TargetsByStatusReviewSerializer,
    TransitionSerializer,
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "该报送已被其他人处理，请刷新后查看最新状态。"
    default_code = "conflict"


CONFLICT = OpenApiResponse(description="该报送已被其他人处理（如已被审核），未作任何修改。")


class RoundTemplateViewSet(ScopedModelViewSet):
    queryset = RoundTemplate.objects.select_related("plan").prefetch_related("indicators", "cities")
    serializer_class = RoundTemplateSerializer
    filterset_class = RoundTemplateFilterSet
    services = ModelServices(create=round_template_create, update=round_template_update, delete=round_template_delete)


class RoundViewSet(ScopedModelViewSet):
    queryset = Round.objects.select_related("template").prefetch_related("indicators", "cities")
    serializer_class = RoundSerializer
    filterset_class = RoundFilterSet
    services = ModelServices(create=round_create, update=round_update, delete=round_delete)

    def written(self, instance):
        return self.get_queryset().get(pk=instance.pk)

    @extend_schema(request=None, responses={201: RoundSerializer})
    @action(detail=True, methods=["post"])
    def next(self, request, pk=None):
        """为下一时期创建同样的填报任务（指标、城市相同，日期顺延一期）。"""
        created = round_create_next(user=request.user, round=self.get_object())
        return Response(self.get_serializer(self.written(created)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoundFromTemplateSerializer, responses={201: RoundSerializer})
    @action(detail=False, methods=["post"], url_path="from-template", filter_backends=[])
    def from_template(self, request):
        """按模板为某一时期创建填报任务。"""
        params = RoundFromTemplateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        created = round_create_from_template(user=request.user, **params.validated_data)
        return Response(self.get_serializer(self.written(created)).data, status=status.HTTP_201_CREATED)


class SubmissionViewSet(ScopedReadOnlyViewSet):
    queryset = Submission.objects.select_related("round", "city", "submitted_by", "reviewed_by").prefetch_related(
        Prefetch("values", SubmissionValue.objects.select_related("indicator", "region")),
        Prefetch("transitions", SubmissionTransition.objects.select_related("user", "submission__city")),
    )
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.filter(pk__in=submission_queryset(self.request.user).values("pk"))

    def _transition(self, request, service, params_class):
        params = params_class(data=request.data)
        params.is_valid(raise_exception=True)
        with transaction.atomic():
            self._lock_and_check(request)
            try:
                moved = service(user=request.user, submission=self._object, **params.validated_data)
            except SubmissionConflict as exc:
                raise Conflict(str(exc)) from exc
        submission = self.get_queryset().get(pk=moved.pk)
        response = Response(self.get_serializer(submission).data)
        response["ETag"] = record_etag(submission)
        return response

    @extend_schema(
        request=TransitionSerializer,
        parameters=[IF_MATCH],
        responses={200: SubmissionSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        """报送（市级工作人员；全部数值须已填写且有效）。"""
        return self._transition(request, submission_submit, TransitionSerializer)

    @extend_schema(
        request=TransitionSerializer,
        parameters=[IF_MATCH],
        responses={200: SubmissionSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """审核通过（省级工作人员）：数值作为正式监测值发布并锁定。"""
        return self._transition(request, submission_approve, TransitionSerializer)

    @extend_schema(
        request=TransitionSerializer,
        parameters=[IF_MATCH],
        responses={200: SubmissionSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED},
    )
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    def return_(self, request, pk=None):
        """退回（省级工作人员；须填写意见）。"""
        return self._transition(request, submission_return, TransitionSerializer)

    @extend_schema(
        request=ReopenSerializer,
        parameters=[IF_MATCH],
        responses={200: SubmissionSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        """重新打开已审核通过的报送（省级工作人员；须填写理由），退回城市修改。"""
        return self._transition(request, submission_reopen, ReopenSerializer)


class SubmissionValueViewSet(ScopedModelViewSet):
    queryset = SubmissionValue.objects.select_related("indicator", "region", "submission__city")
    serializer_class = SubmissionValueSerializer
    filterset_class = SubmissionValueFilterSet
    services = ModelServices(
        create=submission_value_create, update=submission_value_update, delete=submission_value_delete
    )

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.filter(pk__in=submission_value_queryset(self.request.user).values("pk"))


class SubmissionTransitionViewSet(ScopedViewMixin, ReadOnlyModelViewSet):
    queryset = SubmissionTransition.objects.select_related("user", "submission__city")
    serializer_class = SubmissionTransitionSerializer
    filterset_class = SubmissionTransitionFilterSet

    def get_queryset(self):
        queryset = defer_heavy_fields(super().get_queryset())
        return queryset.filter(submission__in=submission_queryset(self.request.user).values("pk"))


class LockExceptionViewSet(ScopedModelViewSet):
    queryset = LockException.objects.select_related("round", "city", "granted_by")
    serializer_class = LockExceptionSerializer
    filterset_class = LockExceptionFilterSet
    services = ModelServices(create=lock_exception_create, update=lock_exception_update, delete=lock_exception_delete)


class IncludeUnapprovedMixin:
    """Reads ``include_unapproved`` (its value checked by TargetReviewFilterSet): provincial staff only."""

    filterset_class = TargetReviewFilterSet

    def _include_unapproved(self) -> bool:
        raw = self.request.query_params.get("include_unapproved", "false").lower()
        wanted = raw in ("true", "1", "yes")  # other values are refused by the filter (400)
        if wanted and user_role(self.request.user) != RoleChoices.PROVINCE:
            raise exceptions.PermissionDenied("只有省级工作人员可以查看尚未审核的数据。")
        return wanted


class TargetReviewViewSet(IncludeUnapprovedMixin, TargetViewSet):
    """The targets (plans.api.views.TargetViewSet), and with ``include_unapproved=true`` (provincial staff only)
    each target's latest value reported but not yet approved, marked ``under_review``.

    Registered at ``/api/v1/targets/`` in place of plans' viewset (sxplan_site.api_urls): plans cannot read
    submissions, which live in a layer above it. Official progress is left as it is.
    """

    def _overlay(self, rows: list) -> None:
        found = values_under_review(pairs=[(row["indicator"], row["scope"]) for row in rows])
        for row in rows:
            value = found.get((row["indicator"], row["scope"]))
            row["under_review"] = value is not None
            row["review_value"] = None if value is None else str(value.value)
            row["review_period"] = None if value is None else value.submission.round.period_label
            row["review_round"] = None if value is None else value.submission.round.name
            row["review_submission"] = None if value is None else value.submission_id

    def list(self, request, *args, **kwargs):
        wanted = self._include_unapproved()
        response = super().list(request, *args, **kwargs)
        if wanted:
            rows = response.data.get("results") if isinstance(response.data, dict) else response.data
            self._overlay(rows)
        return response

    def retrieve(self, request, *args, **kwargs):
        wanted = self._include_unapproved()
        response = super().retrieve(request, *args, **kwargs)
        if wanted:
            self._overlay([response.data])
        return response


class TargetsByStatusReviewViewSet(IncludeUnapprovedMixin, TargetsByStatusViewSet):
    """指标进度状态统计：按规划分组的各状态指标数及合计（状态按已审核数据）；include_unapproved=true（仅省级工作人员）时另计已有尚未审核的新数值的指标。"""

    # Registered at /api/v1/dashboard/targets-by-status/ in place of plans' viewset, like TargetReviewViewSet:
    # the counts by status stay the official ones; each plan and the total add ``under_review``, the targets
    # whose row in targets/?include_unapproved=true says ``under_review``, and ``under_review_targets`` lists them.

    serializer_class = TargetsByStatusReviewSerializer

    def aggregate(self, queryset):
        wanted = self._include_unapproved()
        data = {**super().aggregate(queryset), "include_unapproved": wanted}
        if not wanted:
            return data
        rows = list(queryset.order_by().values_list("pk", "plan", "indicator", "scope__code"))
        found = values_under_review(pairs=[(indicator, scope) for _, _, indicator, scope in rows])
        marked = [(pk, plan) for pk, plan, indicator, scope in rows if (indicator, scope) in found]
        data["total"]["under_review"] = len(marked)
        for entry in data["results"]:
            entry["under_review"] = sum(plan == entry["plan"] for _, plan in marked)
        data["under_review_targets"] = sorted(pk for pk, _ in marked)
        return data
