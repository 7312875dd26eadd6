from common.api.views import ScopedModelViewSet
from common.services import ModelServices

from ..filtersets import LayoutSchemeFilterSet, ParkFilterSet, RegionFilterSet, RegionGroupFilterSet, ZoneFilterSet
from ..models import LayoutScheme, Park, Region, RegionGroup, Zone
from ..services import (
    layout_scheme_create,
    layout_scheme_delete,
    layout_scheme_update,
    park_create,
    park_delete,
    park_update,
    region_create,
    region_delete,
    region_group_create,
    region_group_delete,
    region_group_update,
    region_update,
    zone_create,
    zone_delete,
    zone_update,
)
from .serializers import (
    LayoutSchemeSerializer,
    ParkSerializer,
    RegionGroupSerializer,
    RegionSerializer,
    ZoneSerializer,
)


class RegionViewSet(ScopedModelViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    services = ModelServices(create=region_create, update=region_update, delete=region_delete)
    lookup_field = "code"


class RegionGroupViewSet(ScopedModelViewSet):
    queryset = RegionGroup.objects.prefetch_related("memberships__region")
    serializer_class = RegionGroupSerializer
    filterset_class = RegionGroupFilterSet
    services = ModelServices(create=region_group_create, update=region_group_update, delete=region_group_delete)


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
