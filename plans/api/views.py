import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.api.views import FORMAT_PARAMETER, AggregateViewSet, ScopedModelViewSet, ScopedReadOnlyViewSet
from common.models import defer_heavy_fields
from common.scope import visibility_q
from common.services import ModelServices

from .. import selectors
from ..filtersets import (
    CityRoleFilterSet,
    IndicatorFilterSet,
    IndustryFilterSet,
    KeyAreaFilterSet,
    MeasureFilterSet,
    ObservationFilterSet,
    PlanFilterSet,
    PlanSectionFilterSet,
    ProgramFilterSet,
    TargetFilterSet,
    TargetProgressSnapshotFilterSet,
    TargetStepFilterSet,
)
from ..models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetProgressSnapshot,
    TargetStep,
)
from ..progress import attach_progress
from ..services import (
    city_role_create,
    city_role_delete,
    city_role_update,
    indicator_create,
    indicator_delete,
    indicator_update,
    industry_create,
    industry_delete,
    industry_update,
    key_area_create,
    key_area_delete,
    key_area_update,
    measure_create,
    measure_delete,
    measure_update,
    observation_create,
    observation_delete,
    observation_update,
    plan_create,
    plan_delete,
    plan_section_create,
    plan_section_delete,
    plan_section_update,
    plan_update,
    program_create,
    program_delete,
    program_update,
    target_create,
    target_delete,
    target_step_create,
    target_step_delete,
    target_step_update,
    target_update,
)
from .serializers import (
    CityRoleSerializer,
    IndicatorSerializer,
    IndustrySerializer,
    IndustryTreeSerializer,
    KeyAreaSerializer,
    MeasureSerializer,
    ObservationSerializer,
    PlanSectionSerializer,
    PlanSerializer,
    ProgramSerializer,
    TargetProgressSnapshotSerializer,
    TargetsByStatusSerializer,
    TargetSerializer,
    TargetStepSerializer,
    TargetWithObservationsSerializer,
)

AS_OF_PARAMETER = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="评估日期（YYYY-MM-DD），默认今天：进度按该日期计算。"
)


def requested_as_of(request) -> datetime.date | None:
    """The ``as_of`` date of the request; None for today (the rollup answers)."""
    raw = request.query_params.get("as_of")
    if not raw:
        return None
    try:
        as_of = datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({"as_of": "日期格式须为 YYYY-MM-DD。"}) from None
    return None if as_of == timezone.localdate() else as_of


class PlanViewSet(ScopedModelViewSet):
    queryset = Plan.objects.prefetch_related("sections")
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    services = ModelServices(create=plan_create, update=plan_update, delete=plan_delete)


class PlanSectionViewSet(ScopedModelViewSet):
    queryset = PlanSection.objects.all()
    serializer_class = PlanSectionSerializer
    filterset_class = PlanSectionFilterSet
    services = ModelServices(create=plan_section_create, update=plan_section_update, delete=plan_section_delete)


class IndustryViewSet(ScopedModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    filterset_class = IndustryFilterSet
    services = ModelServices(create=industry_create, update=industry_update, delete=industry_delete)

    @extend_schema(responses=IndustryTreeSerializer(many=True), filters=False, parameters=[])
    @action(detail=False, pagination_class=None, filterset_class=None)
    def tree(self, request):
        """整个产业分类树（嵌套的 children），一次返回。"""
        return Response(selectors.industry_tree())


class KeyAreaViewSet(ScopedModelViewSet):
    queryset = KeyArea.objects.prefetch_related("industries")
    serializer_class = KeyAreaSerializer
    filterset_class = KeyAreaFilterSet
    services = ModelServices(create=key_area_create, update=key_area_update, delete=key_area_delete)


class IndicatorViewSet(ScopedModelViewSet):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    services = ModelServices(create=indicator_create, update=indicator_update, delete=indicator_delete)


class TargetStepViewSet(ScopedModelViewSet):
    queryset = TargetStep.objects.all()
    serializer_class = TargetStepSerializer
    filterset_class = TargetStepFilterSet
    services = ModelServices(create=target_step_create, update=target_step_update, delete=target_step_delete)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]), retrieve=extend_schema(parameters=[AS_OF_PARAMETER])
)
class TargetViewSet(ScopedModelViewSet):
    queryset = Target.objects.select_related("scope", "indicator")
    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet
    services = ModelServices(create=target_create, update=target_update, delete=target_delete)
    # Progress as of a date is attached to the whole list, and monitoring's subclass adds to the serialized
    # rows: its CSV is built whole (a few thousand targets at most).
    stream_csv = False

    def get_queryset(self):
        targets = selectors.annotate_allocations(selectors.target_list(user=self.request.user, queryset=self.queryset))
        return defer_heavy_fields(targets)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        as_of = requested_as_of(self.request)
        if as_of is None:
            return page
        return attach_progress(list(queryset if page is None else page), as_of=as_of, user=self.request.user)

    def get_object(self):
        target = super().get_object()
        as_of = requested_as_of(self.request)
        if as_of is not None:
            attach_progress([target], as_of=as_of, user=self.request.user)
        return target

    def written(self, instance):
        # A target just written is read back so that its progress reflects the change.
        return self.get_queryset().get(pk=instance.pk)

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=TargetWithObservationsSerializer(many=True))
    @action(detail=False, url_path="with-observations", serializer_class=TargetWithObservationsSerializer)
    def with_observations(self, request, *args, **kwargs):
        """指标及其进度（筛选、排序、分页同指标列表），每个指标附本人可见的全部监测值（用于进度图）。"""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        targets = selectors.attach_observation_history(list(queryset if page is None else page), user=request.user)
        data = self.get_serializer(targets, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)


class TargetProgressSnapshotViewSet(ScopedReadOnlyViewSet):
    """指标进度年度快照（只读）：每年 1 月 2 日记录的各指标上年末进度。"""

    queryset = TargetProgressSnapshot.objects.select_related("target__scope", "target__indicator")
    serializer_class = TargetProgressSnapshotSerializer
    filterset_class = TargetProgressSnapshotFilterSet

    def get_queryset(self):
        # A snapshot holds the value of an observation in its target's region: it is seen by whoever
        # sees that region's observations (another city's: as if it did not exist), like a target's progress.
        queryset = super().get_queryset()
        visible = visibility_q(self.request.user, Observation, prefix="target__")
        return queryset if visible is None else queryset.filter(visible)


class ObservationViewSet(ScopedModelViewSet):
    queryset = Observation.objects.select_related("scope")
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilterSet
    services = ModelServices(create=observation_create, update=observation_update, delete=observation_delete)


class ProgramViewSet(ScopedModelViewSet):
    queryset = Program.objects.prefetch_related("industries")
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilterSet
    services = ModelServices(create=program_create, update=program_update, delete=program_delete)


class MeasureViewSet(ScopedModelViewSet):
    queryset = Measure.objects.all()
    serializer_class = MeasureSerializer
    filterset_class = MeasureFilterSet
    services = ModelServices(create=measure_create, update=measure_update, delete=measure_delete)


class CityRoleViewSet(ScopedModelViewSet):
    queryset = CityRole.objects.select_related("city").prefetch_related("industries")
    serializer_class = CityRoleSerializer
    filterset_class = CityRoleFilterSet
    services = ModelServices(create=city_role_create, update=city_role_update, delete=city_role_delete)


class TargetsByStatusViewSet(AggregateViewSet):
    """指标进度状态统计：按规划分组的各状态指标数及合计（筛选参数与指标列表相同）。"""

    queryset = Target.objects.all()
    filterset_class = TargetFilterSet
    serializer_class = TargetsByStatusSerializer

    @extend_schema(parameters=[AS_OF_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def aggregate(self, queryset):
        return selectors.target_status_counts(
            user=self.request.user, queryset=queryset, as_of=requested_as_of(self.request)
        )
