from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html

from common.admin import (
    EMPTY_VALUE,
    PROVENANCE_FIELDSET,
    RefusedWrite,
    RelatedInUseListFilter,
    ScopedModelAdmin,
    ScopedTabularInline,
    VersionedModelForm,
    format_number,
)
from common.services import ModelServices
from plans.models import Plan
from regions.admin import CityListFilter, ZoneListFilter

from .choices import ProjectStageChoices
from .filtersets import named_by_plan_q
from .models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
)
from .selectors import project_rollup_count, project_rollups, with_cumulative_progress
from .services import (
    base_city_create,
    base_city_delete,
    base_city_update,
    batch_create,
    batch_delete,
    batch_project_create,
    batch_project_delete,
    batch_project_update,
    batch_update,
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
    milestone_create,
    milestone_delete,
    milestone_update,
    project_builder_create,
    project_builder_delete,
    project_builder_update,
    project_mention_create,
    project_mention_delete,
    project_mention_update,
    project_report_create,
    project_report_delete,
    project_report_update,
    project_year_plan_create,
    project_year_plan_delete,
    project_year_plan_update,
    warning_acknowledge,
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
    fields = ["year", "month", "stage", "investment_completed", "progress", "problems", "problem_level"]
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
    list_display = ["name", "enterprise", "city", "industry", "stage", "total_investment", "completed", "warnings"]
    list_filter = [
        CityListFilter,
        ZoneListFilter,
        "stage",
        NamingPlanFilter,
        ("industry", RelatedInUseListFilter),
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

    def get_queryset(self, request):
        # The columns show the cumulative figures only, not the year's.
        return with_cumulative_progress(super().get_queryset(request))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if (count := self.rollup_count(request)) is not None:
            paginator.__dict__["count"] = count  # the paginator's cached count: no COUNT over the projects
        return paginator

    #: Filters of this list whose counts the rollups keep (ProjectRollup): parameter → rollup lookup.
    ROLLUP_COUNTED = {"city": "city__code", "stage__exact": "stage", "industry__id__exact": "industry_id"}

    def rollup_count(self, request) -> int | None:
        """The list's length from the rollups when it is filtered only by what they are kept by (or not at all).

        Counting the 220,000 projects of 太原 took 13 ms of a 55 ms page at a million projects; the rollup
        rows of the same filter are a few dozen. Any other parameter (a search, a zone, a popup) counts the rows.
        """
        params = {name: request.GET.getlist(name) for name in request.GET if name not in ("o", "p")}
        if not set(params) <= {*self.ROLLUP_COUNTED, NamingPlanFilter.parameter_name}:
            return None
        if any(len(values) != 1 for values in params.values()):
            return None
        plan = params.pop(NamingPlanFilter.parameter_name, [None])[0]
        lookups = {self.ROLLUP_COUNTED[name]: values[0] for name, values in params.items()}
        try:
            if plan is not None:
                plan = int(plan)
            if "industry_id" in lookups:
                lookups["industry_id"] = int(lookups["industry_id"])
        except ValueError:
            return None  # the list answers a bad value as it does (its own error page)
        if "stage" in lookups and lookups["stage"] not in ProjectStageChoices.values:
            return None
        return project_rollup_count(queryset=project_rollups(user=request.user, plan=plan).filter(**lookups))

    @admin.display(description="累计完成投资", ordering="completed_total")
    def completed(self, obj):
        if obj.completed_total is None:
            return EMPTY_VALUE
        unknown = f"（{obj.completed_total_unknown} 期未填）" if obj.completed_total_unknown else ""
        return f"{format_number(obj.completed_total)}{unknown}"

    @admin.display(description="未解除预警", ordering="open_warnings")
    def warnings(self, obj):
        if not obj.open_warnings:
            return "无"
        level = "red" if obj.red_warnings else "yellow"
        return format_html('<span class="warning-{}">{} 条</span>', level, obj.open_warnings)


@admin.register(ProjectReport)
class ProjectReportAdmin(ScopedModelAdmin):
    services = ModelServices(create=project_report_create, update=project_report_update, delete=project_report_delete)
    list_display = ["project", "year", "month", "stage", "investment_completed", "problem_level", "reported_by"]
    list_filter = [CityListFilter, "year", "month", "stage", "problem_level"]
    list_select_related = ["project__city", "reported_by"]
    search_fields = ["project__name", "note", "progress", "problems"]
    autocomplete_fields = ["project"]
    readonly_fields = ["reported_by"]
    fields = [
        "project",
        ("year", "month"),
        "stage",
        "investment_completed",
        "progress",
        ("problems", "problem_level"),
        "note",
        "reported_by",
    ]


@admin.register(EnterpriseAlias)
class EnterpriseAliasAdmin(ScopedModelAdmin):
    services = ModelServices(
        create=enterprise_alias_create, update=enterprise_alias_update, delete=enterprise_alias_delete
    )
    list_display = ["alias", "enterprise"]
    list_select_related = ["enterprise__city"]
    search_fields = ["alias", "enterprise__name"]
    autocomplete_fields = ["enterprise"]


@admin.register(ProjectYearPlan)
class ProjectYearPlanAdmin(ScopedModelAdmin):
    services = ModelServices(
        create=project_year_plan_create, update=project_year_plan_update, delete=project_year_plan_delete
    )
    list_display = ["project", "year", "planned_investment"]
    list_filter = [CityListFilter, "year"]
    list_select_related = ["project"]
    search_fields = ["project__name"]
    autocomplete_fields = ["project"]
    fields = ["project", "year", "planned_investment", "note"]


class MilestoneForm(VersionedModelForm):
    change_reason = forms.CharField(
        label="修改原因", required=False, max_length=255, help_text="调整计划日期时必填，记入修改历史；基线日期不变。"
    )

    class Meta:
        model = Milestone
        fields = "__all__"


@admin.register(Milestone)
class MilestoneAdmin(ScopedModelAdmin):
    services = ModelServices(create=milestone_create, update=milestone_update, delete=milestone_delete)
    form = MilestoneForm
    list_display = ["project", "label", "planned_on", "baseline_on", "actual_on", "status", "responsible_unit"]
    list_filter = [CityListFilter, "code", "status"]
    list_select_related = ["project"]
    search_fields = ["project__name", "name", "responsible_unit"]
    autocomplete_fields = ["project"]
    readonly_fields = ["baseline_on"]
    fields = [
        "project",
        ("code", "name"),
        ("planned_on", "baseline_on"),
        "change_reason",
        ("status", "actual_on"),
        "responsible_unit",
        "note",
    ]

    @admin.display(description="里程碑")
    def label(self, obj):
        return obj.label


class BatchProjectInline(ScopedTabularInline):
    model = BatchProject
    services = ModelServices(create=batch_project_create, update=batch_project_update, delete=batch_project_delete)
    autocomplete_fields = ["project"]
    fields = ["kind", "project"]
    show_change_link = False


@admin.register(Batch)
class BatchAdmin(ScopedModelAdmin):
    services = ModelServices(create=batch_create, update=batch_update, delete=batch_delete)
    list_display = ["name", "held_on"]
    search_fields = ["name", "note"]
    inlines = [BatchProjectInline]
    fields = ["name", "held_on", "note"]


@admin.register(ProjectWarning)
class ProjectWarningAdmin(ScopedModelAdmin):
    """Warnings come from the rules; here they are read and acknowledged with a comment (warning_acknowledge)."""

    list_display = ["project", "rule", "level", "opened_on", "escalated_on", "acknowledged_at", "resolved_on"]
    list_filter = [CityListFilter, "rule", "level", ("resolved_on", admin.EmptyFieldListFilter)]
    list_select_related = ["project"]
    search_fields = ["project__name", "message", "comment"]
    fields = [
        "project",
        ("rule", "level"),
        "message",
        "figures",
        ("opened_on", "escalated_on", "resolved_on"),
        ("acknowledged_at", "acknowledged_by"),
        "comment",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields_flat() if name != "comment"]

    def fields_flat(self) -> list[str]:
        return [name for row in self.fields for name in (row if isinstance(row, tuple) else (row,))]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    actions = ["acknowledge"]

    @admin.action(description="确认所选的预警")
    def acknowledge(self, request, queryset):
        done = 0
        for warning in queryset.filter(resolved_on__isnull=True, acknowledged_at__isnull=True):
            try:
                warning_acknowledge(instance=warning, user=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{warning}：{exc}", level="error")
        self.message_user(request, f"已确认 {done} 条预警。")

    def save_model(self, request, obj, form, change):
        # Saving the form unchanged writes nothing; a comment acknowledges the warning.
        if not form.has_changed():
            return
        stored = ProjectWarning.objects.get(pk=obj.pk)
        try:
            comment = form.cleaned_data.get("comment", "")
            saved = warning_acknowledge(instance=stored, user=request.user, comment=comment)
        except (ValidationError, PermissionDenied) as exc:
            raise RefusedWrite(exc) from exc
        for name in ("acknowledged_at", "acknowledged_by", "comment"):
            setattr(obj, name, getattr(saved, name))
