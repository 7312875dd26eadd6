from django.contrib import admin

from common.admin import (
    PROVENANCE_FIELDSET,
    ScopedModelAdmin,
    ScopedTabularInline,
)
from common.services import ModelServices
from plans.models import Plan
from regions.admin import CityListFilter, ZoneListFilter

from .filtersets import named_by_plan_q
from .models import (
    BaseCity,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
)
from .services import (
    base_city_create,
    base_city_delete,
    base_city_update,
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


class BaseCityInline(ScopedTabularInline):
    model = BaseCity
    services = ModelServices(create=base_city_create, update=base_city_update, delete=base_city_delete)
    autocomplete_fields = ["region"]
    fields = ["region", "inferred", "note"]
    show_change_link = False


@admin.register(IndustryBase)
class IndustryBaseAdmin(ScopedModelAdmin):
    services = ModelServices(create=industry_base_create, update=industry_base_update, delete=industry_base_delete)
    list_display = [
        "name",
        "kind",
        "plan",
        "industry",
        "region_group",
        "city_list",
        "revenue_target",
        "revenue_target_year",
    ]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "plan",
        "kind",
        ("industry", admin.RelatedOnlyFieldListFilter),
        "revenue_target_year",
    ]
    list_select_related = ["plan", "industry", "region_group"]
    search_fields = ["name", "description", "anchors__name", "anchors__aliases__alias"]
    autocomplete_fields = ["plan", "industry", "key_area", "region_group", "parks", "anchors"]
    inlines = [BaseCityInline]
    fieldsets = [
        (None, {"fields": ["plan", "key", "name", "kind", "industry", "key_area", "region_group", "parks", "anchors"]}),
        ("目标", {"fields": [("revenue_target", "revenue_target_year")]}),
        (None, {"fields": ["description"]}),
        PROVENANCE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("city_links__region")

    @admin.display(description="城市/县")
    def city_list(self, obj):
        return "、".join(
            (link.region.short_name or link.region.name) + ("（推断）" if link.inferred else "")
            for link in obj.city_links.all()
        )


class ProjectReportInline(ScopedTabularInline):
    model = ProjectReport
    services = ModelServices(create=project_report_create, update=project_report_update, delete=project_report_delete)
    fields = ["year", "month", "stage", "investment_completed", "note"]
    ordering = ["-year", "-month"]
    show_change_link = False


class NamingPlanFilter(admin.SimpleListFilter):
    """Projects that a plan names: as their first plan or in a further mention."""

    title = "规划"
    parameter_name = "plan"

    def lookups(self, request, model_admin):
        return [(plan.pk, str(plan)) for plan in Plan.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(named_by_plan_q(self.value()))


class ProjectMentionInline(ScopedTabularInline):
    model = ProjectMention
    services = ModelServices(
        create=project_mention_create, update=project_mention_update, delete=project_mention_delete
    )
    autocomplete_fields = ["plan"]
    fields = ["plan", "source_file", "source_quote"]
    show_change_link = False


class ProjectBuilderInline(ScopedTabularInline):
    model = ProjectBuilder
    services = ModelServices(
        create=project_builder_create, update=project_builder_update, delete=project_builder_delete
    )
    autocomplete_fields = ["enterprise"]
    fields = ["order", "enterprise", "role"]
    show_change_link = False


@admin.register(KeyProject)
class KeyProjectAdmin(ScopedModelAdmin):
    services = ModelServices(create=key_project_create, update=key_project_update, delete=key_project_delete)
    list_display = ["name", "enterprise", "city", "industry", "stage", "total_investment", "capacity"]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "stage",
        NamingPlanFilter,
        ("industry", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["enterprise__city", "city", "industry"]
    search_fields = ["name", "enterprise__name", "enterprise__aliases__alias", "capacity"]
    autocomplete_fields = ["plan", "enterprise", "industry", "city", "county", "park", "base"]
    inlines = [ProjectMentionInline, ProjectBuilderInline, ProjectReportInline]
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
    list_select_related = ["project__city", "reported_by"]
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
    list_select_related = ["enterprise__city"]
    search_fields = ["alias", "enterprise__name"]
    autocomplete_fields = ["enterprise"]
