from common.api.views import AggregateViewSet, ScopedModelViewSet
from common.services import ModelServices

from .. import selectors
from ..filtersets import LayoutSchemeFilterSet, ParkFilterSet, RegionFilterSet, ZoneFilterSet
from ..models import LayoutScheme, Park, Region, Zone
from ..services import (
    layout_scheme_create,
    layout_scheme_delete,
    layout_scheme_update,
    park_create,
    park_delete,
    park_update,
    region_create,
    region_delete,
    region_update,
    zone_create,
    zone_delete,
    zone_update,
)
from .serializers import (
    CityFeatureCollectionSerializer,
    LayoutSchemeSerializer,
    ParkSerializer,
    RegionSerializer,
    ZoneFeatureCollectionSerializer,
    ZoneSerializer,
)


class RegionViewSet(ScopedModelViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    services = ModelServices(create=region_create, update=region_update, delete=region_delete)
    lookup_field = "code"


class LayoutSchemeViewSet(ScopedModelViewSet):
    queryset = LayoutScheme.objects.all()
    serializer_class = LayoutSchemeSerializer
    filterset_class = LayoutSchemeFilterSet
    services = ModelServices(create=layout_scheme_create, update=layout_scheme_update, delete=layout_scheme_delete)


class ZoneViewSet(ScopedModelViewSet):
    queryset = Zone.objects.select_related("scheme").prefetch_related("memberships__region", "industries")
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilterSet
    services = ModelServices(create=zone_create, update=zone_update, delete=zone_delete)


class ParkViewSet(ScopedModelViewSet):
    queryset = Park.objects.select_related("city", "county").prefetch_related("industries")
    serializer_class = ParkSerializer
    filterset_class = ParkFilterSet
    services = ModelServices(create=park_create, update=park_update, delete=park_delete)


class GeoViewSet(AggregateViewSet):
    """A GeoJSON FeatureCollection: ``collection(summary(user, filtered queryset))``."""

    summary = staticmethod(selectors.city_summary_list)
    collection = staticmethod(selectors.city_feature_collection)

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
    collection = staticmethod(selectors.zone_feature_collection)
