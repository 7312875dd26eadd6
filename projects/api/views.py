import copy
import json
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from common.api.filters import narrowed
from common.api.versioning import record_etag
from common.api.views import AggregateViewSet, ScopedModelViewSet, ScopedReadOnlyViewSet
from common.models import defer_heavy_fields
from common.scope import can_change
from common.services import ModelServices
from regions.filtersets import RegionFilterSet, ZoneFilterSet
from regions.models import Region, Zone
from regions.selectors import city_feature_collection, zone_feature_collection

from .. import dashboard_cache, selectors
from ..exports import InvestmentProgressCsv
from ..filtersets import (
    BatchFilterSet,
    BatchProjectFilterSet,
    EnterpriseFilterSet,
    IndustryBaseFilterSet,
    KeyProjectFilterSet,
    MilestoneFilterSet,
    ProjectBuilderFilterSet,
    ProjectMentionFilterSet,
    ProjectReportFilterSet,
    ProjectRollupFilterSet,
    ProjectWarningFilterSet,
    ProjectYearPlanFilterSet,
)
from ..models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectRollup,
    ProjectWarning,
    ProjectYearPlan,
)
from ..services import (
    batch_create,
    batch_delete,
    batch_project_create,
    batch_project_delete,
    batch_project_update,
    batch_update,
    enterprise_create,
    enterprise_delete,
    enterprise_update,
    industry_base_create,
    industry_base_delete,
    industry_base_update,
    key_project_create,
    key_project_delete,
    key_project_update,
    milestone_create,
    milestone_delete,
    milestone_update,
    project_builder_create,
    project_builder_delete,
    project_builder_update,
    project_mention_create,
    project_mention_delete,
    project_mention_update,
    project_report_create,
    project_report_delete,
    project_report_update,
    project_year_plan_create,
    project_year_plan_delete,
    project_year_plan_update,
    warning_acknowledge,
    warning_resolve,
)
from .rows import compile_rows
from .serializers import (
    BaseCountsSerializer,
    BatchProjectSerializer,
    BatchSerializer,
    CityFeatureCollectionSerializer,
    EnterpriseSerializer,
    IndustryBaseSerializer,
    KeyProjectSerializer,
    MilestoneSerializer,
    ProjectBreakdownSerializer,
    ProjectBuilderSerializer,
    ProjectMentionSerializer,
    ProjectReportSerializer,
    ProjectWarningSerializer,
    ProjectYearPlanSerializer,
    WarningAcknowledgeSerializer,
    WarningResolveSerializer,
    ZoneFeatureCollectionSerializer,
)

#: What the rollups are kept by: requests filtering by these only are answered from them.
ROLLUP_FILTERS = frozenset(ProjectRollupFilterSet.declared_filters) - {"search"}
LIST_PARAMETERS = frozenset({"page", "page_size", "cursor", "ordering"})


def _rollup_parameters(request, *, paging: bool) -> set[str]:
    return set(request.query_params) - {"format"} - (LIST_PARAMETERS if paging else set())


def rollup_answers(request, *, paging: bool = False) -> bool:
    """Whether the rollups answer the request's filters (it names only filters they are kept by)."""
    return _rollup_parameters(request, paging=paging) <= ROLLUP_FILTERS


def rollup_filterset(request, *, paging: bool = False, validated=None) -> ProjectRollupFilterSet | None:
    """The request's filters over the rollups, or None when it names a filter they cannot answer.

    ``validated``: the list's own filterset of the same request, already valid; its values are taken
    as they are (the rollups' filters have the same names, fields and choices).
    """
    given = _rollup_parameters(request, paging=paging)
    if not given <= ROLLUP_FILTERS:
        return None
    rows = ProjectRollup.objects.for_user(request.user)
    if validated is None or not given <= set(validated.filters):
        return ProjectRollupFilterSet(request.query_params, queryset=rows, request=request)
    filterset = narrowed(ProjectRollupFilterSet, frozenset(given))(request.query_params, queryset=rows, request=request)
    filterset._form = ValidatedForm({name: validated.form.cleaned_data[name] for name in given})
    return filterset


class ValidatedForm:
    """Stands in for a filterset's form whose values another form of the same request validated."""

    errors: dict = {}

    def __init__(self, cleaned_data: dict):
        self.cleaned_data = cleaned_data

    def is_valid(self) -> bool:
        return True


def cached_response(request, name: str, answer) -> HttpResponse | Response:
    """The JSON of ``answer()`` for this request's parameters and the user's scope, from the dashboard
    cache (``dashboard_cache``): rendered once per generation; other formats are rendered each time."""
    parameters = tuple(sorted((key, tuple(values)) for key, values in request.query_params.lists()))
    renderer, media_type = request.accepted_renderer, request.accepted_media_type
    if type(renderer) is not JSONRenderer:
        return Response(dashboard_cache.cached(name, user=request.user, parts=parameters, compute=_plain(answer)))
    body = dashboard_cache.cached(
        name, user=request.user, parts=(*parameters, media_type), compute=lambda: renderer.render(answer(), media_type)
    )
    return HttpResponse(body, content_type=renderer.media_type)


def _plain(answer):
    # A serializer's data keeps its serializer: cache plain data.
    return lambda: json.loads(JSONRenderer().render(answer()))


class EnterpriseViewSet(ScopedModelViewSet):
    queryset = Enterprise.objects.select_related("city", "county").prefetch_related("aliases", "industries")
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    services = ModelServices(create=enterprise_create, update=enterprise_update, delete=enterprise_delete)


class IndustryBaseViewSet(ScopedModelViewSet):
    queryset = IndustryBase.objects.select_related("industry").prefetch_related(
        "cities", Prefetch("city_links", BaseCity.objects.select_related("region")), "parks", "anchors"
    )
    serializer_class = IndustryBaseSerializer
    filterset_class = IndustryBaseFilterSet
    services = ModelServices(create=industry_base_create, update=industry_base_update, delete=industry_base_delete)


@lru_cache(maxsize=4)
def annotated_projects(queryset, year: int):
    """``queryset`` with the year's investment progress (never evaluated: GenericAPIView clones it)."""
    return selectors.with_investment_progress(queryset, year=year)


class KeyProjectViewSet(ScopedModelViewSet):
    queryset = KeyProject.objects.select_related("city", "county", "industry", "enterprise__city").prefetch_related(
        Prefetch("mentions", ProjectMention.objects.select_related("plan")),
        Prefetch("builders", defer_heavy_fields(ProjectBuilder.objects.select_related("enterprise__city"))),
    )
    serializer_class = KeyProjectSerializer
    filterset_class = KeyProjectFilterSet
    services = ModelServices(create=key_project_create, update=key_project_update, delete=key_project_delete)
    csv_fields = {"investment_progress": InvestmentProgressCsv()}

    def get_queryset(self):
        # Investment progress of the current year and open warnings, in the list's own query. The annotated
        # queryset is built once a year (its seven subqueries took a tenth of a list request); each request
        # clones it and scopes it (ScopedViewMixin). The annotations read other tables by key: filtering
        # after them is the same query as before them.
        self.queryset = annotated_projects(type(self).queryset, timezone.localdate().year)
        return super().get_queryset()

    def list(self, request, *args, **kwargs):
        """A JSON page is read as plain rows and represented by the serializer's fields without model
        instances (projects.api.rows); exports, the browsable API and anything the rows cannot represent
        go through the serializer as usual."""
        self.rows = None
        if getattr(request.accepted_renderer, "format", None) == "json":
            queryset = self.filter_queryset(self.get_queryset())
            self.rows = compile_rows(self.get_serializer_class(), queryset)
            if self.rows is not None:
                page = self.paginate_queryset(queryset)
                if page is not None:
                    return self.get_paginated_response(self.rows.represent(page, request.user))
        return super().list(request, *args, **kwargs)

    def read_page(self, queryset) -> list:
        if getattr(self, "rows", None) is None:
            return list(queryset)
        keyset = getattr(self.paginator, "keyset", None)
        return self.rows.read(queryset, keyset.columns() if keyset is not None else [])

    def known_count(self, queryset) -> int | None:
        """The list's count from the rollups, when it filters only by what they are kept by (no COUNT).

        The filters' values are those the list's own filterset validated (StrictFilterBackend), not
        validated (nor looked up) a second time.
        """
        if self.action != "list":
            return None
        filterset = rollup_filterset(self.request, paging=True, validated=getattr(self, "filterset", None))
        if filterset is None or not filterset.is_valid():
            return None
        return selectors.project_rollup_count(queryset=filterset.qs)

    def perform_update(self, serializer):
        # The record was read under its row lock in this request's transaction (VersionedViewMixin._write),
        # with its mentions: the service takes the rollups' state from it instead of locking and reading again.
        locked = serializer.instance is self._locked_object
        instance = key_project_update(
            instance=serializer.instance, user=self.request.user, data=serializer.validated_data, locked=locked
        )
        serializer.instance = self.written(instance)

    def written(self, instance):
        # A change answers with the record read under the lock: its annotations and prefetched mentions and
        # builders come from other tables, which a project's own fields do not change. A new one is read back.
        if hasattr(instance, "open_warnings"):
            # A copy: DRF's update empties the prefetch cache of the object it read, not of this one.
            return copy.copy(instance)
        return self.get_queryset().get(pk=instance.pk)


class ProjectMentionViewSet(ScopedModelViewSet):
    queryset = ProjectMention.objects.select_related("project__city", "plan")
    serializer_class = ProjectMentionSerializer
    filterset_class = ProjectMentionFilterSet
    services = ModelServices(
        create=project_mention_create, update=project_mention_update, delete=project_mention_delete
    )


class ProjectBuilderViewSet(ScopedModelViewSet):
    queryset = ProjectBuilder.objects.select_related("project__city", "enterprise__city")
    serializer_class = ProjectBuilderSerializer
    filterset_class = ProjectBuilderFilterSet
    services = ModelServices(
        create=project_builder_create, update=project_builder_update, delete=project_builder_delete
    )


class ProjectReportViewSet(ScopedModelViewSet):
    queryset = ProjectReport.objects.select_related("project__city")
    serializer_class = ProjectReportSerializer
    filterset_class = ProjectReportFilterSet
    services = ModelServices(create=project_report_create, update=project_report_update, delete=project_report_delete)


class ProjectYearPlanViewSet(ScopedModelViewSet):
    queryset = ProjectYearPlan.objects.select_related("project__city")
    serializer_class = ProjectYearPlanSerializer
    filterset_class = ProjectYearPlanFilterSet
    services = ModelServices(
        create=project_year_plan_create, update=project_year_plan_update, delete=project_year_plan_delete
    )


class MilestoneViewSet(ScopedModelViewSet):
    """项目里程碑：计划日期、基线日期（首次计划日期，不可修改）、实际日期与状态。调整计划日期须填写 change_reason。"""

    queryset = Milestone.objects.select_related("project__city")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilterSet
    services = ModelServices(create=milestone_create, update=milestone_update, delete=milestone_delete)

    def perform_create(self, serializer):
        reason = serializer.validated_data.pop("change_reason", "")
        instance = milestone_create(user=self.request.user, data=serializer.validated_data, reason=reason)
        serializer.instance = self.written(instance)

    def perform_update(self, serializer):
        reason = serializer.validated_data.pop("change_reason", "")
        instance = milestone_update(
            instance=serializer.instance, user=self.request.user, data=serializer.validated_data, reason=reason
        )
        serializer.instance = self.written(instance)


class BatchViewSet(ScopedModelViewSet):
    """“三个一批”活动；counts 为本人可见项目按签约、开工、投产的个数。项目在 /batch-projects/ 维护。"""

    queryset = Batch.objects.all()
    serializer_class = BatchSerializer
    filterset_class = BatchFilterSet
    services = ModelServices(create=batch_create, update=batch_update, delete=batch_delete)

    def get_queryset(self):
        entries = BatchProject.objects.for_user(self.request.user).only("pk", "batch", "kind")
        return super().get_queryset().prefetch_related(Prefetch("entries", entries, to_attr="visible_entries"))

    def written(self, instance):
        return self.get_queryset().get(pk=instance.pk)


class BatchProjectViewSet(ScopedModelViewSet):
    queryset = BatchProject.objects.select_related("project__city", "batch")
    serializer_class = BatchProjectSerializer
    filterset_class = BatchProjectFilterSet
    services = ModelServices(create=batch_project_create, update=batch_project_update, delete=batch_project_delete)


class ProjectWarningViewSet(ScopedReadOnlyViewSet):
    """项目预警（由规则每晚及每次报送后评估产生）；POST {id}/acknowledge/ 确认（附意见），{id}/resolve/ 解除。"""

    queryset = ProjectWarning.objects.select_related("project__city", "acknowledged_by")
    serializer_class = ProjectWarningSerializer
    filterset_class = ProjectWarningFilterSet

    def _act(self, request, serializer_class, act):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            self._lock_and_check(request)
            warning = self._object
            if not can_change(request.user, warning):
                raise exceptions.PermissionDenied("您无权处理此预警。")
            try:
                warning = act(warning, serializer.validated_data)
            except ValidationError as exc:
                raise exceptions.ValidationError(exc.message_dict) from exc
            except PermissionDenied as exc:
                raise exceptions.PermissionDenied(str(exc)) from exc
        response = Response(self.get_serializer(warning).data)
        response["ETag"] = record_etag(warning)
        return response

    @extend_schema(request=WarningAcknowledgeSerializer, responses=ProjectWarningSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """确认预警，可附确认意见（市级工作人员确认本市项目的预警）。"""
        return self._act(
            request,
            WarningAcknowledgeSerializer,
            lambda warning, data: warning_acknowledge(
                instance=warning, user=request.user, comment=data.get("comment", "")
            ),
        )

    @extend_schema(request=WarningResolveSerializer, responses=ProjectWarningSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """手工解除预警（规则仍不满足时，下次评估会重新发出）。"""
        return self._act(
            request,
            WarningResolveSerializer,
            lambda warning, data: warning_resolve(instance=warning, user=request.user, reason=data.get("reason", "")),
        )


class ProjectBreakdownViewSet(AggregateViewSet):
    """重点项目数与总投资的分组统计；筛选参数与项目列表（/api/v1/projects/）相同。

    Served from the rollups (ProjectRollup) when the request filters only by what they are
    kept by (city, zone, industry, stage, plan); any other filter groups the projects themselves.
    """

    queryset = KeyProject.objects.all()
    filterset_class = KeyProjectFilterSet
    serializer_class = ProjectBreakdownSerializer
    breakdown = ""

    def list(self, request, *args, **kwargs):
        if not rollup_answers(request):
            return super().list(request, *args, **kwargs)

        def answer():
            filterset = rollup_filterset(request)
            if not filterset.is_valid():
                raise exceptions.ValidationError(filterset.errors)
            figures = selectors.project_rollup_breakdown(queryset=filterset.qs, by=self.breakdown)
            return self.get_serializer(figures).data

        return cached_response(request, f"projects-by-{self.breakdown}", answer)

    def aggregate(self, queryset):
        return selectors.project_breakdown(queryset=queryset, by=self.breakdown)


def project_breakdown_viewset(by: str, doc: str):
    return type(f"ProjectsBy{by.capitalize()}ViewSet", (ProjectBreakdownViewSet,), {"breakdown": by, "__doc__": doc})


ProjectsByStageViewSet = project_breakdown_viewset(
    "stage", "按阶段统计重点项目（谋划、签约、开工、投产、达产、取消）。"
)
ProjectsByCityViewSet = project_breakdown_viewset("city", "按城市统计重点项目；key 为城市代码。")
ProjectsByZoneViewSet = project_breakdown_viewset(
    "zone", "按布局分区统计重点项目（按所在城市归入分区）；一个城市可属多个分区，各行之和可大于合计。"
)
ProjectsByIndustryViewSet = project_breakdown_viewset("industry", "按产业统计重点项目；key 为产业 ID，null 为未分类。")


class BasesByZoneIndustryViewSet(AggregateViewSet):
    """按布局分区和产业统计产业基地（按基地所在城市归入分区）；筛选参数与基地列表相同。"""

    queryset = IndustryBase.objects.all()
    filterset_class = IndustryBaseFilterSet
    serializer_class = BaseCountsSerializer

    def aggregate(self, queryset):
        return selectors.base_counts(queryset=queryset)


class GeoViewSet(AggregateViewSet):
    """A GeoJSON FeatureCollection: ``collection(summary(user, filtered queryset))``, cached until the
    next write to what it reads (``dashboard_cache``)."""

    summary = staticmethod(selectors.city_summary_list)
    collection = staticmethod(city_feature_collection)

    def list(self, request, *args, **kwargs):
        parent = super().list
        return cached_response(request, self.basename, lambda: parent(request, *args, **kwargs).data)

    def aggregate(self, queryset):
        return self.collection(self.summary(user=self.request.user, queryset=queryset))


class CityGeoViewSet(GeoViewSet):
    """城市 GeoJSON：各设区市边界、所属布局分区及汇总数据（仅统计本人可见的记录）。"""

    queryset = Region.objects.all()
    filterset_class = RegionFilterSet
    serializer_class = CityFeatureCollectionSerializer


class ZoneGeoViewSet(GeoViewSet):
    """布局分区 GeoJSON：分区由成员城市边界组成（MultiPolygon），附成员城市的重点项目汇总。"""

    queryset = Zone.objects.all()
    filterset_class = ZoneFilterSet
    serializer_class = ZoneFeatureCollectionSerializer
    summary = staticmethod(selectors.zone_summary_list)
    collection = staticmethod(zone_feature_collection)
