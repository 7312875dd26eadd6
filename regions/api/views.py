from common.api.views import ScopedModelViewSet

from ..filtersets import LayoutSchemeFilterSet, ParkFilterSet, RegionFilterSet, ZoneFilterSet
from ..models import LayoutScheme, Park, Region, Zone
from .serializers import LayoutSchemeSerializer, ParkSerializer, RegionSerializer, ZoneSerializer


class RegionViewSet(ScopedModelViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"


class LayoutSchemeViewSet(ScopedModelViewSet):
    queryset = LayoutScheme.objects.all()
    serializer_class = LayoutSchemeSerializer
    filterset_class = LayoutSchemeFilterSet


class ZoneViewSet(ScopedModelViewSet):
    queryset = Zone.objects.select_related("scheme").prefetch_related("memberships__region", "industries")
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilterSet


class ParkViewSet(ScopedModelViewSet):
    queryset = Park.objects.select_related("city", "county").prefetch_related("industries")
    serializer_class = ParkSerializer
    filterset_class = ParkFilterSet
