from django.contrib import admin

from common.admin import (
    PROVENANCE_FIELDSET,
    ScopedModelAdmin,
    ScopedTabularInline,
)
from common.services import ModelServices
from regions.admin import CityListFilter, ZoneListFilter

from .models import Enterprise, EnterpriseAlias, IndustryBase, KeyProject, ProjectReport
from .services import (
    enterprise_alias_create,
    enterprise_alias_delete,
    enterprise_alias_update,
    enterprise_create,
    enterprise_delete,
    enterprise_update,
    industry_base_create,
    industry_base_delete,
    industry_base_update,
    key_project_create,
    key_project_delete,
    key_project_update,
    project_report_create,
    project_report_delete,
    project_report_update,
)


class EnterpriseAliasInline(ScopedTabularInline):
    model = EnterpriseAlias
    services = ModelServices(
        create=enterprise_alias_create, update=enterprise_alias_update, delete=enterprise_alias_delete
    )
    fields = ["alias"]
    extra = 1
    show_change_link = False


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedModelAdmin):
    services = ModelServices(create=enterprise_create, update=enterprise_update, delete=enterprise_delete)
    list_display = ["name", "alias_list", "kind", "city", "is_leading"]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "kind",
        "is_leading",
        ("industries", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["city"]
    search_fields = ["name", "aliases__alias"]
    autocomplete_fields = ["city", "county", "industries"]
    inlines = [EnterpriseAliasInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "city", "county", "industries", "is_leading", "description"]}),
        PROVENANCE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="简称")
    def alias_list(self, obj):
        return "、".join(a.alias for a in obj.aliases.all())


@admin.register(IndustryBase)
class IndustryBaseAdmin(ScopedModelAdmin):
    services = ModelServices(create=industry_base_create, update=industry_base_update, delete=industry_base_delete)
    list_display = ["name", "kind", "plan", "industry", "city_list", "revenue_target", "revenue_target_year"]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "plan",
        "kind",
        ("industry", admin.RelatedOnlyFieldListFilter),
        "revenue_target_year",
    ]
    list_select_related = ["plan", "industry"]
    search_fields = ["name", "description", "anchors__name", "anchors__aliases__alias"]
    autocomplete_fields = ["plan", "industry", "key_area", "cities", "parks", "anchors"]
    fieldsets = [
        (None, {"fields": ["plan", "key", "name", "kind", "industry", "key_area", "cities", "parks", "anchors"]}),
        ("目标", {"fields": [("revenue_target", "revenue_target_year")]}),
        (None, {"fields": ["description"]}),
        PROVENANCE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cities")

    @admin.display(description="城市/县")
    def city_list(self, obj):
        return "、".join(c.short_name or c.name for c in obj.cities.all())


class ProjectReportInline(ScopedTabularInline):
    model = ProjectReport
    services = ModelServices(create=project_report_create, update=project_report_update, delete=project_report_delete)
    fields = ["year", "month", "stage", "investment_completed", "note"]
    ordering = ["-year", "-month"]
    show_change_link = False


@admin.register(KeyProject)
class KeyProjectAdmin(ScopedModelAdmin):
    services = ModelServices(create=key_project_create, update=key_project_update, delete=key_project_delete)
    list_display = ["name", "enterprise", "city", "industry", "stage", "total_investment", "capacity"]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "stage",
        "plan",
        ("industry", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["enterprise", "city", "industry"]
    search_fields = ["name", "enterprise__name", "enterprise__aliases__alias", "capacity"]
    autocomplete_fields = ["plan", "enterprise", "industry", "city", "county", "park", "base"]
    inlines = [ProjectReportInline]
    fieldsets = [
        (None, {"fields": ["name", "plan", "enterprise", "industry", "stage"]}),
        ("地点", {"fields": ["city", "county", "park", "base"]}),
        ("规模", {"fields": ["capacity", ("capacity_value", "capacity_unit"), "total_investment"]}),
        ("进度", {"fields": [("signed_on", "started_on", "production_on")]}),
        (None, {"fields": ["description"]}),
        PROVENANCE_FIELDSET,
    ]


@admin.register(ProjectReport)
class ProjectReportAdmin(ScopedModelAdmin):
    services = ModelServices(create=project_report_create, update=project_report_update, delete=project_report_delete)
    list_display = ["project", "year", "month", "stage", "investment_completed", "reported_by"]
    list_filter = [CityListFilter, "year", "month", "stage"]
    list_select_related = ["project", "reported_by"]
    search_fields = ["project__name", "note"]
    autocomplete_fields = ["project"]
    readonly_fields = ["reported_by"]
    fields = ["project", "year", "month", "stage", "investment_completed", "note", "reported_by"]


@admin.register(EnterpriseAlias)
class EnterpriseAliasAdmin(ScopedModelAdmin):
    services = ModelServices(
        create=enterprise_alias_create, update=enterprise_alias_update, delete=enterprise_alias_delete
    )
    list_display = ["alias", "enterprise"]
    list_select_related = ["enterprise"]
    search_fields = ["alias", "enterprise__name"]
    autocomplete_fields = ["enterprise"]
