from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from common.admin import (
    EMPTY_VALUE,
    PROVENANCE_FIELDSET,
    ScopedModelAdmin,
    ScopedTabularInline,
    format_number,
)
from common.locking import LOCKED_MESSAGE
from common.services import ModelServices
from regions.admin import CityListFilter

from .choices import QualifierChoices
from .models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetStep,
)
from .selectors import allocation_summary
from .services import (
    city_role_create,
    city_role_delete,
    city_role_update,
    indicator_create,
    indicator_delete,
    indicator_update,
    industry_create,
    industry_delete,
    industry_update,
    key_area_create,
    key_area_delete,
    key_area_update,
    measure_create,
    measure_delete,
    measure_update,
    observation_create,
    observation_delete,
    observation_delete_many,
    observation_update,
    plan_create,
    plan_delete,
    plan_section_create,
    plan_section_delete,
    plan_section_update,
    plan_update,
    program_create,
    program_delete,
    program_update,
    target_create,
    target_delete,
    target_step_create,
    target_step_delete,
    target_step_update,
    target_update,
)


class KeyAreaInline(ScopedTabularInline):
    model = KeyArea
    services = ModelServices(create=key_area_create, update=key_area_update, delete=key_area_delete)
    fields = ["key", "name", "section"]
    autocomplete_fields = ["section"]


class TargetInline(ScopedTabularInline):
    model = Target
    services = ModelServices(create=target_create, update=target_update, delete=target_delete)
    fields = ["key", "indicator", "name", "comparator", "target_value", "target_year", "scope"]
    autocomplete_fields = ["indicator", "scope"]


class ProgramInline(ScopedTabularInline):
    model = Program
    services = ModelServices(create=program_create, update=program_update, delete=program_delete)
    fields = ["key", "kind", "name"]


class MeasureInline(ScopedTabularInline):
    model = Measure
    services = ModelServices(create=measure_create, update=measure_update, delete=measure_delete)
    fields = ["key", "name"]


@admin.register(Plan)
class PlanAdmin(ScopedModelAdmin):
    services = ModelServices(create=plan_create, update=plan_update, delete=plan_delete)
    list_display = ["title", "short_title", "doc_number", "issuer", "period", "status", "target_total"]
    list_filter = ["status", "kind", "period_start"]
    list_select_related = ["follows"]
    search_fields = ["title", "short_title", "doc_number", "issuer", "code"]
    autocomplete_fields = ["follows"]
    # The table of contents (hundreds of rows) is edited on its own list, linked from the page.
    inlines = [KeyAreaInline, TargetInline, ProgramInline, MeasureInline]
    readonly_fields = ["section_list"]
    fieldsets = [
        (None, {"fields": ["code", "title", "short_title", "kind", "issuer", "doc_number", "status", "follows"]}),
        ("时间", {"fields": ["period_start", "period_end", "signed_on", "published_on"]}),
        (None, {"fields": ["summary", "section_list"]}),
        PROVENANCE_FIELDSET,
    ]

    @admin.display(description="目录章节")
    def section_list(self, obj):
        if obj.pk is None:
            return "保存规划后可添加章节。"
        changelist = reverse(admin_urlname(PlanSection._meta, "changelist"))
        add = reverse(admin_urlname(PlanSection._meta, "add"))
        return format_html(
            '共 {} 个章节：<a href="{}?plan__id__exact={}">查看、修改章节</a> · <a href="{}?plan={}">添加章节</a>',
            obj.sections.count(),
            changelist,
            obj.pk,
            add,
            obj.pk,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(target_count=Count("targets", distinct=True))

    @admin.display(description="规划期", ordering="period_start")
    def period(self, obj):
        if obj.period_start and obj.period_end:
            return f"{obj.period_start}–{obj.period_end}"
        return obj.period_start or "—"

    @admin.display(description="指标数", ordering="target_count")
    def target_total(self, obj):
        return obj.target_count


@admin.register(PlanSection)
class PlanSectionAdmin(ScopedModelAdmin):
    services = ModelServices(create=plan_section_create, update=plan_section_update, delete=plan_section_delete)
    list_display = ["plan", "key", "number", "title", "page"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
    search_fields = ["title", "number"]
    autocomplete_fields = ["plan", "parent"]
    ordering = ["plan", "order"]


@admin.register(Industry)
class IndustryAdmin(ScopedModelAdmin):
    services = ModelServices(create=industry_create, update=industry_update, delete=industry_delete)
    list_display = ["code", "name", "parent", "is_national"]
    list_filter = ["is_national", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    ordering = ["order", "code"]


@admin.register(KeyArea)
class KeyAreaAdmin(ScopedModelAdmin):
    services = ModelServices(create=key_area_create, update=key_area_update, delete=key_area_delete)
    list_display = ["name", "key", "plan", "parent", "industry_list"]
    list_filter = ["plan", ("industries", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan", "parent"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["plan", "parent", "section", "industries"]
    fieldsets = [
        (None, {"fields": ["plan", "key", "name", "parent", "section", "order", "industries", "description"]}),
        PROVENANCE_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("industries")

    @admin.display(description="对应产业")
    def industry_list(self, obj):
        return "、".join(i.name for i in obj.industries.all())


@admin.register(Indicator)
class IndicatorAdmin(ScopedModelAdmin):
    services = ModelServices(create=indicator_create, update=indicator_update, delete=indicator_delete)
    list_display = ["name", "key", "unit", "category", "direction", "time_aggregation", "city_aggregation"]
    list_filter = ["category", "direction", "time_aggregation", "city_aggregation"]
    search_fields = ["name", "key", "definition", "national_code"]
    autocomplete_fields = ["numerator", "denominator"]
    fieldsets = [
        (None, {"fields": ["key", "name", "unit", "category", "national_code", "definition"]}),
        ("汇总方式", {"fields": ["direction", "time_aggregation", "city_aggregation", ("numerator", "denominator")]}),
    ]


class TargetStepInline(ScopedTabularInline):
    model = TargetStep
    services = ModelServices(create=target_step_create, update=target_step_update, delete=target_step_delete)
    fields = ["year", "value"]
    show_change_link = False


class AllocationInline(ScopedTabularInline):
    model = Target
    fk_name = "parent"
    verbose_name = "分解到城市的目标"
    verbose_name_plural = "指标分解"
    services = ModelServices(create=target_create, update=target_update, delete=target_delete)
    fields = ["plan", "key", "indicator", "name", "scope", "comparator", "target_value", "target_year"]
    autocomplete_fields = ["plan", "indicator", "scope"]


#: Qualifiers written after the value ("2,600以上"); the others before it ("约2,600").
QUALIFIERS_AFTER = {QualifierChoices.ABOVE, QualifierChoices.AROUND}
#: A target's comparator as a sign before its value ("≥1,000"); "约" and ranges read as words.
COMPARATOR_SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "", "approx": "约", "range": ""}


def _rollup(target: Target):
    try:
        return target.rollup
    except Target.rollup.RelatedObjectDoesNotExist:
        return None


@admin.register(Target)
class TargetAdmin(ScopedModelAdmin):
    services = ModelServices(create=target_create, update=target_update, delete=target_delete)
    list_display = [
        "name",
        "plan",
        "nature",
        "goal",
        "baseline",
        "latest_value",
        "progress_status",
        "scope",
    ]
    list_filter = [
        "plan",
        "target_year",
        "nature",
        "comparator",
        CityListFilter,
        ("indicator", admin.RelatedOnlyFieldListFilter),
        ("industry", admin.RelatedOnlyFieldListFilter),
    ]
    city_filter_path = "scope"
    list_select_related = ["plan", "scope", "industry", "indicator", "rollup__observation"]
    search_fields = ["name", "key", "description", "indicator__name"]
    autocomplete_fields = ["plan", "indicator", "parent", "scope", "industry", "key_area", "section", "base"]
    readonly_fields = ["allocated_total", "allocation_gap"]
    inlines = [TargetStepInline, AllocationInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "plan",
                    "key",
                    "indicator",
                    "name",
                    "nature",
                    "comparator",
                    ("is_cumulative", "is_per_year"),
                    "scope",
                    "parent",
                    "industry",
                    "key_area",
                    "section",
                    "base",
                ]
            },
        ),
        (
            "数值",
            {"fields": [("baseline_value", "baseline_year"), ("target_value", "target_value_max", "target_year")]},
        ),
        ("指标分解", {"fields": [("allocated_total", "allocation_gap")]}),
        (None, {"fields": ["description"]}),
        PROVENANCE_FIELDSET,
    ]

    @admin.display(description="目标", ordering="target_year")
    def goal(self, obj):
        comparator = COMPARATOR_SIGNS.get(obj.comparator, "")
        value = format_number(obj.target_value)
        if obj.target_value_max is not None:
            value = f"{value}–{format_number(obj.target_value_max)}"
        return f"{obj.target_year}年 {comparator}{value} {obj.indicator.unit}".strip()

    @admin.display(description="基期")
    def baseline(self, obj):
        if obj.baseline_value is None:
            return EMPTY_VALUE
        return f"{obj.baseline_year}年 {format_number(obj.baseline_value)} {obj.indicator.unit}".strip()

    @admin.display(description="最新监测值")
    def latest_value(self, obj):
        observation = _rollup(obj) and obj.rollup.observation
        if observation is None:
            return EMPTY_VALUE
        value = format_number(observation.value)
        word = QualifierChoices(observation.qualifier).label if observation.qualifier else ""
        value = f"{value}{word}" if observation.qualifier in QUALIFIERS_AFTER else f"{word}{value}"
        return f"{observation.year}年 {value} {obj.indicator.unit}".strip()

    @admin.display(description="进度状态", ordering="rollup__status")
    def progress_status(self, obj):
        rollup = _rollup(obj)
        return rollup.get_status_display() if rollup is not None and rollup.status else EMPTY_VALUE

    @admin.display(description="分解合计")
    def allocated_total(self, obj):
        summary = allocation_summary(target=obj)
        return "—" if summary is None else summary["allocated_total"]

    @admin.display(description="差额")
    def allocation_gap(self, obj):
        summary = allocation_summary(target=obj)
        return "—" if summary is None else summary["allocation_gap"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        target = self.get_object(request, object_id)
        summary = None if target is None else allocation_summary(target=target)
        if request.method == "GET" and summary is not None and summary["allocation_gap"] > 0:
            messages.warning(
                request,
                f"分解到城市的目标合计 {summary['allocated_total']}，尚差 {summary['allocation_gap']}，未覆盖本目标。",
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Observation)
class ObservationAdmin(ScopedModelAdmin):
    services = ModelServices(
        create=observation_create,
        update=observation_update,
        delete=observation_delete,
        delete_many=observation_delete_many,
    )
    list_display = [
        "indicator",
        "year",
        "quarter",
        "month",
        "value",
        "qualifier",
        "status",
        "scope",
        "source_plan",
        "source",
    ]
    list_filter = [
        "year",
        "quarter",
        "status",
        CityListFilter,
        "source_plan",
        ("indicator", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["scope", "indicator", "source_plan"]
    search_fields = ["indicator__name", "source"]
    autocomplete_fields = ["indicator", "scope", "source_plan"]
    readonly_fields = ["reported_by", "locked"]

    # An observation published by an approved monitoring submission is read-only until the province reopens it.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.locked)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.locked)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.locked and request.method == "GET":
            self.message_user(request, LOCKED_MESSAGE, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "indicator",
                    ("value", "qualifier"),
                    ("year", "quarter", "month"),
                    "scope",
                    "status",
                    ("source_plan", "source"),
                    ("reported_by", "locked"),
                ]
            },
        ),
        PROVENANCE_FIELDSET,
    ]


class TreeLevelFilter(admin.SimpleListFilter):
    """Programs or measures at the top of their plan's tree, or the named sub-initiatives under them."""

    title = "层级"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("top", "顶层"), ("child", "子项")]

    def queryset(self, request, queryset):
        if self.value() in ("top", "child"):
            return queryset.filter(parent__isnull=self.value() == "top")
        return queryset


def _children(obj) -> str:
    """A tree node's children, linked to their change pages."""
    if obj.pk is None:
        return "—"
    children = obj.children.order_by("order")
    links = [
        format_html('<a href="{}">{}</a>', reverse(admin_urlname(child._meta, "change"), args=[child.pk]), child.name)
        for child in children
    ]
    return format_html_join("、", "{}", ((link,) for link in links)) if links else "—"


@admin.register(Program)
class ProgramAdmin(ScopedModelAdmin):
    services = ModelServices(create=program_create, update=program_update, delete=program_delete)
    list_display = ["name", "kind", "plan", "key", "parent"]
    list_filter = ["plan", "kind", TreeLevelFilter]
    list_select_related = ["plan", "parent"]
    search_fields = ["name", "description", "parent__name"]
    autocomplete_fields = ["plan", "parent", "section", "industries"]
    readonly_fields = ["child_list"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "plan",
                    "parent",
                    "key",
                    "kind",
                    "name",
                    "section",
                    "order",
                    "industries",
                    "description",
                    "child_list",
                ]
            },
        ),
        PROVENANCE_FIELDSET,
    ]

    @admin.display(description="下级工程/任务")
    def child_list(self, obj):
        return _children(obj)


@admin.register(Measure)
class MeasureAdmin(ScopedModelAdmin):
    services = ModelServices(create=measure_create, update=measure_update, delete=measure_delete)
    list_display = ["name", "plan", "key", "parent"]
    list_filter = ["plan", TreeLevelFilter]
    list_select_related = ["plan", "parent"]
    search_fields = ["name", "description", "parent__name"]
    autocomplete_fields = ["plan", "parent", "section"]
    readonly_fields = ["child_list"]
    fieldsets = [
        (None, {"fields": ["plan", "parent", "key", "name", "section", "order", "description", "child_list"]}),
        PROVENANCE_FIELDSET,
    ]

    @admin.display(description="下级措施")
    def child_list(self, obj):
        return _children(obj)


@admin.register(CityRole)
class CityRoleAdmin(ScopedModelAdmin):
    services = ModelServices(create=city_role_create, update=city_role_update, delete=city_role_delete)
    list_display = ["city", "plan", "role"]
    list_filter = ["plan", CityListFilter]
    list_select_related = ["city", "plan"]
    search_fields = ["role", "city__name"]
    autocomplete_fields = ["plan", "city", "industries"]
    fieldsets = [(None, {"fields": ["plan", "city", "role", "industries"]}), PROVENANCE_FIELDSET]
