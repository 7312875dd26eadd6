import django_filters

from common.filters import BaseFilterSet, ChoicesFilter, RelatedFilter, SubtreeFilter

from .choices import ParkKindChoices, ParkLevelChoices, RegionLevelChoices, ZoneKindChoices
from .filters import CityFilter, RegionCodeFilter, ZoneFilter
from .models import LayoutScheme, Park, Region, RegionGroup, Zone


class RegionFilterSet(BaseFilterSet):
    search_fields = ("name", "short_name", "code")

    level = ChoicesFilter(choices=RegionLevelChoices.choices, label="层级")
    parent = RegionCodeFilter(field_name="parent", label="上级区划代码")
    zone = django_filters.ModelChoiceFilter(field_name="zones", queryset=Zone.objects.all(), label="布局分区 ID")
    ordering = django_filters.OrderingFilter(fields=("code", "name", "level"), label="排序")

    class Meta:
        model = Region
        fields = ["level"]


class RegionGroupFilterSet(BaseFilterSet):
    search_fields = ("name", "note")

    city = CityFilter(field_name="cities")
    ordering = django_filters.OrderingFilter(fields=("name",), label="排序")

    class Meta:
        model = RegionGroup
        fields = []


class LayoutSchemeFilterSet(BaseFilterSet):
    search_fields = ("name",)

    ordering = django_filters.OrderingFilter(fields=("name", "created"), label="排序")

    class Meta:
        model = LayoutScheme
        fields = ["plan"]


class ZoneFilterSet(BaseFilterSet):
    search_fields = ("name", "corridor")

    plan = RelatedFilter(field_name="scheme__plan", label="规划 ID")
    kind = ChoicesFilter(choices=ZoneKindChoices.choices, label="类型")
    city = CityFilter(field_name="cities")
    industry = SubtreeFilter(field_name="industries", label="产业分类 ID（含下级）")
    ordering = django_filters.OrderingFilter(fields=("order", "name", "kind"), label="排序")

    class Meta:
        model = Zone
        fields = ["scheme", "region_group"]


class ParkFilterSet(BaseFilterSet):
    search_fields = ("name", "short_name")

    city = CityFilter(field_name="city")
    county = RegionCodeFilter(field_name="county", label="县（市、区）代码")
    zone = ZoneFilter(field_name="city")
    industry = SubtreeFilter(field_name="industries", label="产业分类 ID（含下级）")
    level = ChoicesFilter(choices=ParkLevelChoices.choices, label="级别")
    kind = ChoicesFilter(choices=ParkKindChoices.choices, label="类型")
    ordering = django_filters.OrderingFilter(fields=(("city__code", "city"), "name", "level", "kind"), label="排序")

    class Meta:
        model = Park
        fields = []
