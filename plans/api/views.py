from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.views import FORMAT_PARAMETER, AggregateViewSet, ScopedModelViewSet
from common.models import defer_heavy_fields

from .. import selectors
from ..filtersets import (
    CityRoleFilterSet,
    IndustryFilterSet,
    KeyAreaFilterSet,
    MeasureFilterSet,
    ObservationFilterSet,
    PlanFilterSet,
    PlanSectionFilterSet,
    ProgramFilterSet,
    TargetFilterSet,
)
from ..models import CityRole, Industry, KeyArea, Measure, Observation, Plan, PlanSection, Program, Target
from .serializers import (
    CityRoleSerializer,
    IndustrySerializer,
    IndustryTreeSerializer,
    KeyAreaSerializer,
    MeasureSerializer,
    ObservationSerializer,
    PlanSectionSerializer,
    PlanSerializer,
    ProgramSerializer,
    TargetsByStatusSerializer,
    TargetSerializer,
    TargetWithObservationsSerializer,
)


class PlanViewSet(ScopedModelViewSet):
    queryset = Plan.objects.prefetch_related("sections")
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet


class PlanSectionViewSet(ScopedModelViewSet):
    queryset = PlanSection.objects.all()
    serializer_class = PlanSectionSerializer
    filterset_class = PlanSectionFilterSet


class IndustryViewSet(ScopedModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    filterset_class = IndustryFilterSet

    @extend_schema(responses=IndustryTreeSerializer(many=True), filters=False, parameters=[])
    @action(detail=False, pagination_class=None, filterset_class=None)
    def tree(self, request):
        """整个产业分类树（嵌套的 children），一次返回。"""
        return Response(selectors.industry_tree())


class KeyAreaViewSet(ScopedModelViewSet):
    queryset = KeyArea.objects.prefetch_related("industries")
    serializer_class = KeyAreaSerializer
    filterset_class = KeyAreaFilterSet


class TargetViewSet(ScopedModelViewSet):
    queryset = Target.objects.select_related("scope")
    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet

    def get_queryset(self):
        return defer_heavy_fields(selectors.target_list(user=self.request.user, queryset=self.queryset))

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=TargetWithObservationsSerializer(many=True))
    @action(detail=False, url_path="with-observations", serializer_class=TargetWithObservationsSerializer)
    def with_observations(self, request, *args, **kwargs):
        """指标及其进度（筛选、排序、分页同指标列表），每个指标附本人可见的全部监测值（用于进度图）。"""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        targets = selectors.attach_observation_history(list(queryset if page is None else page), user=request.user)
        data = self.get_serializer(targets, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)


class ObservationViewSet(ScopedModelViewSet):
    queryset = Observation.objects.select_related("scope")
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilterSet


class ProgramViewSet(ScopedModelViewSet):
    queryset = Program.objects.prefetch_related("industries")
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilterSet


class MeasureViewSet(ScopedModelViewSet):
    queryset = Measure.objects.all()
    serializer_class = MeasureSerializer
    filterset_class = MeasureFilterSet


class CityRoleViewSet(ScopedModelViewSet):
    queryset = CityRole.objects.select_related("city").prefetch_related("industries")
    serializer_class = CityRoleSerializer
    filterset_class = CityRoleFilterSet


class TargetsByStatusViewSet(AggregateViewSet):
    """指标进度状态统计：按规划分组的各状态指标数及合计（筛选参数与指标列表相同）。"""

    queryset = Target.objects.all()
    filterset_class = TargetFilterSet
    serializer_class = TargetsByStatusSerializer

    def aggregate(self, queryset):
        return selectors.target_status_counts(user=self.request.user, queryset=queryset)
