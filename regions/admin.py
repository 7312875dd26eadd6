from django.apps import apps
from django.contrib import admin

from common.admin import PROVENANCE_FIELDSET, ScopedModelAdmin, ScopedTabularInline
from common.choices import RoleChoices
from common.scope import is_city_scoped, user_city_ids, user_role
from common.services import ModelServices

from .choices import RegionLevelChoices
from .models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership
from .services import (
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
    region_group_membership_create,
    region_group_membership_delete,
    region_group_membership_update,
    region_group_update,
    region_update,
    zone_create,
    zone_delete,
    zone_membership_create,
    zone_membership_delete,
    zone_membership_update,
    zone_update,
)


class CityListFilter(admin.SimpleListFilter):
    """Filter any city-scoped changelist by city code; city users see only their own cities."""

    title = "城市"
    parameter_name = "city"

    def __init__(self, request, params, model, model_admin):
        self.path = getattr(model_admin, "city_filter_path", None) or getattr(model, "city_scope", None) or "city"
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        cities = Region.objects.filter(level=RegionLevelChoices.CITY).only("code", "name")  # not the outlines
        if user_role(request.user) != RoleChoices.PROVINCE and user_city_ids(request.user):
            cities = cities.filter(pk__in=user_city_ids(request.user))
        return [(city.code, city.name) for city in cities]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        lookup = {f"{self.path}__code": self.value()}
        if not is_many_valued(queryset.model, self.path):
            return queryset.filter(**lookup)  # one city per record: no duplicate rows, no DISTINCT
        # A record of several cities: matched by key, so that the rows neither repeat nor need DISTINCT.
        return queryset.filter(pk__in=queryset.model._default_manager.filter(**lookup).values("pk"))


class ZoneListFilter(admin.SimpleListFilter):
    """Filter city-scoped records by the layout zones their cities belong to."""

    title = "布局分区"
    parameter_name = "zone"

    def lookups(self, request, model_admin):
        return [(zone.pk, f"{zone.name}（{zone.scheme.name}）") for zone in Zone.objects.select_related("scheme")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = getattr(queryset.model, "city_scope", None) or "city"
        cities = Region.objects.filter(zones=self.value()).values("pk")
        if not is_many_valued(queryset.model, path):
            return queryset.filter(**{f"{path}__in": cities})
        return queryset.filter(pk__in=queryset.model._default_manager.filter(**{f"{path}__in": cities}).values("pk"))


def is_many_valued(model, path: str) -> bool:
    """Whether a lookup path crosses a to-many relation (so that a join can repeat a record)."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False


@admin.register(Region)
class RegionAdmin(ScopedModelAdmin):
    services = ModelServices(create=region_create, update=region_update, delete=region_delete)
    list_display = ["code", "name", "short_name", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "short_name"]
    ordering = ["code"]
    autocomplete_fields = ["parent"]
    fields = ["code", "name", "short_name", "level", "parent", "center_lon", "center_lat", "has_boundary"]
    readonly_fields = ["has_boundary"]

    @admin.display(description="有边界数据", boolean=True)
    def has_boundary(self, obj):
        return obj.boundary is not None

    def get_search_results(self, request, queryset, search_term):
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        # Autocomplete for a city-scoped record offers a city user only their own cities.
        source = request.GET.get("app_label"), request.GET.get("model_name")
        if all(source):
            try:
                model = apps.get_model(*source)
            except LookupError:
                model = None
            if model is not None and is_city_scoped(model):
                queryset = queryset.assignable_by(request.user)
        return queryset, distinct


class ZoneMembershipInline(ScopedTabularInline):
    model = ZoneMembership
    services = ModelServices(
        create=zone_membership_create, update=zone_membership_update, delete=zone_membership_delete
    )
    autocomplete_fields = ["region"]
    fields = ["region", "inferred", "note"]
    show_change_link = False


class RegionGroupMembershipInline(ScopedTabularInline):
    model = RegionGroupMembership
    services = ModelServices(
        create=region_group_membership_create,
        update=region_group_membership_update,
        delete=region_group_membership_delete,
    )
    autocomplete_fields = ["region"]
    fields = ["region", "inferred", "note"]
    show_change_link = False


@admin.register(RegionGroup)
class RegionGroupAdmin(ScopedModelAdmin):
    services = ModelServices(create=region_group_create, update=region_group_update, delete=region_group_delete)
    list_display = ["name", "city_list", "note"]
    search_fields = ["name", "note", "memberships__region__name"]
    inlines = [RegionGroupMembershipInline]
    fieldsets = [(None, {"fields": ["name", "note"]}), PROVENANCE_FIELDSET]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__region")

    @admin.display(description="城市")
    def city_list(self, obj):
        return "、".join(
            (m.region.short_name or m.region.name) + ("（推断）" if m.inferred else "") for m in obj.memberships.all()
        )


class ZoneInline(ScopedTabularInline):
    model = Zone
    services = ModelServices(create=zone_create, update=zone_update, delete=zone_delete)
    fields = ["order", "kind", "name", "corridor"]


@admin.register(LayoutScheme)
class LayoutSchemeAdmin(ScopedModelAdmin):
    services = ModelServices(create=layout_scheme_create, update=layout_scheme_update, delete=layout_scheme_delete)
    list_display = ["name", "plan", "zone_count"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["name", "plan__title"]
    autocomplete_fields = ["plan"]
    inlines = [ZoneInline]
    fieldsets = [(None, {"fields": ["plan", "name", "description"]}), PROVENANCE_FIELDSET]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(zone_total=Count("zones"))

    @admin.display(description="分区数", ordering="zone_total")
    def zone_count(self, obj):
        return obj.zone_total


@admin.register(Zone)
class ZoneAdmin(ScopedModelAdmin):
    services = ModelServices(create=zone_create, update=zone_update, delete=zone_delete)
    list_display = ["name", "kind", "scheme", "corridor", "region_group", "city_list", "industry_list"]
    list_filter = ["kind", "scheme__plan", "region_group", ("industries", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["scheme", "scheme__plan", "region_group"]
    search_fields = ["name", "corridor", "description", "memberships__region__name"]
    autocomplete_fields = ["scheme", "region_group", "industries"]
    inlines = [ZoneMembershipInline]
    fieldsets = [
        (
            None,
            {"fields": ["scheme", "kind", "name", "order", "corridor", "region_group", "description", "industries"]},
        ),
        PROVENANCE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__region", "industries")

    @admin.display(description="城市")
    def city_list(self, obj):
        return "、".join(m.region.short_name or m.region.name for m in obj.memberships.all())

    @admin.display(description="重点产业")
    def industry_list(self, obj):
        return "、".join(i.name for i in obj.industries.all())


@admin.register(Park)
class ParkAdmin(ScopedModelAdmin):
    services = ModelServices(create=park_create, update=park_update, delete=park_delete)
    list_display = ["name", "short_name", "level", "kind", "city", "county"]
    list_filter = [CityListFilter, "level", "kind", ("industries", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["city", "county"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["city", "county", "industries"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "level", "kind", "city", "county", "industries", "description"]}),
        PROVENANCE_FIELDSET,
    ]
