from django.db.models import Prefetch

from common.api.views import AggregateViewSet, ScopedModelViewSet
from common.models import defer_heavy_fields
from common.services import ModelServices
from regions.filtersets import RegionFilterSet, ZoneFilterSet
from regions.models import Region, Zone
from regions.selectors import city_feature_collection, zone_feature_collection

from .. import selectors
from ..filtersets import (
    EnterpriseFilterSet,
    IndustryBaseFilterSet,
    KeyProjectFilterSet,
    ProjectBuilderFilterSet,
    ProjectMentionFilterSet,
    ProjectReportFilterSet,
)
from ..models import BaseCity, Enterprise, IndustryBase, KeyProject, ProjectBuilder, ProjectMention, ProjectReport
from ..services import (
    enterprise_create,
    enterprise_delete,
    enterprise_update,
    industry_base_create,
    industry_base_delete,
    industry_base_update,
    key_project_create,
    key_project_delete,
    key_project_update,
    project_builder_create,
    project_builder_delete,
    project_builder_update,
    project_mention_create,
    project_mention_delete,
    project_mention_update,
    project_report_create,
    project_report_delete,
    project_report_update,
)
from .serializers import (
    BaseCountsSerializer,
    CityFeatureCollectionSerializer,
    EnterpriseSerializer,
    IndustryBaseSerializer,
    KeyProjectSerializer,
    ProjectBreakdownSerializer,
    ProjectBuilderSerializer,
    ProjectMentionSerializer,
    ProjectReportSerializer,
    ZoneFeatureCollectionSerializer,
)


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


class KeyProjectViewSet(ScopedModelViewSet):
    queryset = KeyProject.objects.select_related("city", "county", "industry", "enterprise__city").prefetch_related(
        Prefetch("mentions", ProjectMention.objects.select_related("plan")),
        Prefetch("builders", defer_heavy_fields(ProjectBuilder.objects.select_related("enterprise__city"))),
    )
    serializer_class = KeyProjectSerializer
    filterset_class = KeyProjectFilterSet
    services = ModelServices(create=key_project_create, update=key_project_update, delete=key_project_delete)


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


class ProjectBreakdownViewSet(AggregateViewSet):
    """重点项目数与总投资的分组统计；筛选参数与项目列表（/api/v1/projects/）相同。"""

    queryset = KeyProject.objects.all()
    filterset_class = KeyProjectFilterSet
    serializer_class = ProjectBreakdownSerializer
    breakdown = ""

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
    """A GeoJSON FeatureCollection: ``collection(summary(user, filtered queryset))``."""

    summary = staticmethod(selectors.city_summary_list)
    collection = staticmethod(city_feature_collection)

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
