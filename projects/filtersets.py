import django_filters
from django.db.models import Exists, F, OuterRef, Q

from common.filters import (
    BaseFilterSet,
    ChoicesFilter,
    HasFilter,
    StrictBooleanFilter,
    range_filters,
)
from common.scope import visibility_q
from plans.filters import IndustryFilter
from plans.models import Plan
from regions.filters import CityFilter, RegionCodeFilter, ZoneFilter
from regions.models import Park, RegionGroup

from . import search_text
from .choices import (
    BaseKindChoices,
    BatchKindChoices,
    CoordinationLevelChoices,
    EnterpriseKindChoices,
    MilestoneCodeChoices,
    MilestoneStatusChoices,
    ProjectStageChoices,
    WarningLevelChoices,
    WarningRuleChoices,
)
from .models import (
    Batch,
    BatchProject,
    Enterprise,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectRollup,
    ProjectWarning,
    ProjectYearPlan,
)


def named_by_plan_q(plan, *, prefix: str = "") -> Q:
    """Projects (through ``prefix``) that ``plan`` names: as their first plan or in a further mention.

    An EXISTS instead of a join, so that a project is never listed twice.
    """
    mention = ProjectMention.objects.filter(project=OuterRef(f"{prefix}pk"), plan=plan)
    return Q(**{f"{prefix}plan": plan}) | Q(Exists(mention))


def built_by_q(enterprise) -> Q:
    """Projects that ``enterprise`` builds: as the lead builder or as a co-builder."""
    builder = ProjectBuilder.objects.filter(project=OuterRef("pk"), enterprise=enterprise)
    return Q(enterprise=enterprise) | Q(Exists(builder))


class EnterpriseFilterSet(BaseFilterSet):
    search_fields = ("name", "aliases__alias")

    city = CityFilter(field_name="city")
    county = RegionCodeFilter(field_name="county", label="县（市、区）代码")
    zone = ZoneFilter(field_name="city")
    industry = IndustryFilter(field_name="industries")
    kind = ChoicesFilter(choices=EnterpriseKindChoices.choices, label="类型")
    is_leading = StrictBooleanFilter(label="龙头企业")
    has_city = HasFilter(field_name="city", label="有所在城市（false：省属或不详）")
    ordering = django_filters.OrderingFilter(fields=("name", ("city__code", "city"), "kind"), label="排序")

    class Meta:
        model = Enterprise
        fields = []


class IndustryBaseFilterSet(BaseFilterSet):
    search_fields = ("name", "key", "description")

    city = CityFilter(field_name="cities")
    zone = ZoneFilter(field_name="cities")
    region_group = django_filters.ModelChoiceFilter(queryset=RegionGroup.objects.all(), label="区域分组 ID")
    industry = IndustryFilter(field_name="industry")
    # A base lists a park or an anchor once, so these joins cannot duplicate rows.
    park = django_filters.ModelChoiceFilter(field_name="parks", queryset=Park.objects.all(), label="载体园区 ID")
    anchor = django_filters.ModelChoiceFilter(
        field_name="anchors", queryset=Enterprise.objects.all(), label="依托企业 ID"
    )
    kind = ChoicesFilter(choices=BaseKindChoices.choices, label="类型")
    revenue_target_min, revenue_target_max = range_filters("revenue_target", "销售收入目标（亿元）")
    revenue_target_year_min, revenue_target_year_max = range_filters("revenue_target_year", "目标年份")
    has_revenue_target = HasFilter(field_name="revenue_target", label="有销售收入目标")
    ordering = django_filters.OrderingFilter(
        fields=("key", "name", "revenue_target", "revenue_target_year", "plan"), label="排序"
    )

    class Meta:
        model = IndustryBase
        fields = ["plan", "key_area", "region_group"]


class KeyProjectFilterSet(BaseFilterSet):
    search_fields = (
        "name",
        "enterprise__name",
        "enterprise__aliases__alias",
        "builders__enterprise__name",
        "builders__enterprise__aliases__alias",
        "capacity",
    )

    city = CityFilter(field_name="city")
    county = RegionCodeFilter(field_name="county", label="县（市、区）代码")
    zone = ZoneFilter(field_name="city")
    industry = IndustryFilter(field_name="industry")
    stage = ChoicesFilter(choices=ProjectStageChoices.choices, label="阶段")
    investment_min, investment_max = range_filters("total_investment", "总投资（亿元）")
    capacity_min, capacity_max = range_filters("capacity_value", "产能数值")
    signed_on_min, signed_on_max = range_filters("signed_on", "签约日期", django_filters.DateFilter)
    started_on_min, started_on_max = range_filters("started_on", "开工日期", django_filters.DateFilter)
    production_on_min, production_on_max = range_filters("production_on", "投产日期", django_filters.DateFilter)
    has_investment = HasFilter(field_name="total_investment", label="有总投资")
    has_enterprise = HasFilter(field_name="enterprise", label="有建设单位")
    has_base = HasFilter(field_name="base", label="属于产业基地")
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(), method="filter_plan", label="规划 ID（所属或提及本项目的任一规划）"
    )
    enterprise = django_filters.ModelChoiceFilter(
        queryset=Enterprise.objects.all(), method="filter_enterprise", label="建设单位 ID（牵头或合作建设）"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            "name",
            "total_investment",
            "capacity_value",
            "stage",
            "signed_on",
            "started_on",
            "production_on",
            "updated",
            ("city__code", "city"),
        ),
        label="排序",
    )

    class Meta:
        model = KeyProject
        fields = ["park", "base"]

    def filter_plan(self, queryset, name, value):
        return queryset.filter(named_by_plan_q(value)) if value else queryset

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(built_by_q(value)) if value else queryset

    def filter_search(self, queryset, name, value):
        """One condition on the maintained ``search_text`` (one trigram index scan on PostgreSQL) for
        readers who may see every enterprise; others search field by field, so that a project is
        never found through the name of an enterprise they may not see (their lists are one city's)."""
        value = value.strip()
        if value and (self.user is None or visibility_q(self.user, Enterprise) is None):
            return search_text.matching(queryset, value)
        return super().filter_search(queryset, name, value)


class ProjectRollupFilterSet(BaseFilterSet):
    """The filters of the project dashboards that the rollups answer, named and checked as in KeyProjectFilterSet.

    Without ``plan`` the rows of all projects are read; with it, the rows of the projects it names.
    """

    city = CityFilter(field_name="city")
    zone = ZoneFilter(field_name="city")
    industry = IndustryFilter(field_name="industry")
    stage = ChoicesFilter(choices=ProjectStageChoices.choices, label="阶段")
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(), method="filter_plan", label="规划 ID（所属或提及本项目的任一规划）"
    )

    class Meta:
        model = ProjectRollup
        fields = []

    def filter_plan(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        plan = self.form.cleaned_data.get("plan")
        queryset = queryset.filter(plan=plan) if plan else queryset.filter(plan__isnull=True)
        return super().filter_queryset(queryset)


class ProjectReportFilterSet(BaseFilterSet):
    search_fields = ("project__name", "note")

    city = CityFilter(field_name="project__city")
    zone = ZoneFilter(field_name="project__city")
    industry = IndustryFilter(field_name="project__industry")
    plan = django_filters.ModelChoiceFilter(
        field_name="project__plan",
        queryset=Plan.objects.all(),
        method="filter_plan",
        label="规划 ID（所属或提及项目的任一规划）",
    )
    stage = ChoicesFilter(choices=ProjectStageChoices.choices, label="阶段")
    year_min, year_max = range_filters("year", "年份")
    investment_min, investment_max = range_filters("investment_completed", "本期完成投资（亿元）")
    has_investment = HasFilter(field_name="investment_completed", label="本期完成投资已知")
    problem_level = ChoicesFilter(choices=CoordinationLevelChoices.choices, label="协调层级")
    ordering = django_filters.OrderingFilter(
        fields=("year", "month", "investment_completed", ("project__name", "project")), label="排序"
    )

    class Meta:
        model = ProjectReport
        fields = ["project", "year", "month"]

    def filter_plan(self, queryset, name, value):
        return queryset.filter(named_by_plan_q(value, prefix="project__")) if value else queryset


class ProjectMentionFilterSet(BaseFilterSet):
    search_fields = ("project__name", "source_quote")

    city = CityFilter(field_name="project__city")

    class Meta:
        model = ProjectMention
        fields = ["project", "plan"]


class ProjectBuilderFilterSet(BaseFilterSet):
    search_fields = ("project__name", "enterprise__name", "role")

    city = CityFilter(field_name="project__city")

    class Meta:
        model = ProjectBuilder
        fields = ["project", "enterprise"]


class ProjectYearPlanFilterSet(BaseFilterSet):
    search_fields = ("project__name", "note")

    city = CityFilter(field_name="project__city")
    year_min, year_max = range_filters("year", "年份")
    ordering = django_filters.OrderingFilter(
        fields=("year", "planned_investment", ("project__name", "project")), label="排序"
    )

    class Meta:
        model = ProjectYearPlan
        fields = ["project", "year"]


class MilestoneFilterSet(BaseFilterSet):
    search_fields = ("project__name", "name", "responsible_unit", "note")

    city = CityFilter(field_name="project__city")
    zone = ZoneFilter(field_name="project__city")
    code = ChoicesFilter(choices=MilestoneCodeChoices.choices, label="里程碑")
    status = ChoicesFilter(choices=MilestoneStatusChoices.choices, label="状态")
    planned_on_min, planned_on_max = range_filters("planned_on", "计划日期", django_filters.DateFilter)
    actual_on_min, actual_on_max = range_filters("actual_on", "实际日期", django_filters.DateFilter)
    rescheduled = StrictBooleanFilter(method="filter_rescheduled", label="计划日期已调整（与基线不同）")
    ordering = django_filters.OrderingFilter(
        fields=("planned_on", "baseline_on", "actual_on", "code", "status", ("project__name", "project")),
        label="排序",
    )

    class Meta:
        model = Milestone
        fields = ["project"]

    def filter_rescheduled(self, queryset, name, value):
        if value in ("", None):
            return queryset
        moved = ~Q(planned_on=F("baseline_on"))
        return queryset.filter(moved) if value else queryset.exclude(moved)


class BatchFilterSet(BaseFilterSet):
    search_fields = ("name", "note")

    held_on_min, held_on_max = range_filters("held_on", "日期", django_filters.DateFilter)
    ordering = django_filters.OrderingFilter(fields=("held_on", "name"), label="排序")

    class Meta:
        model = Batch
        fields = []


class BatchProjectFilterSet(BaseFilterSet):
    search_fields = ("project__name", "batch__name")

    city = CityFilter(field_name="project__city")
    kind = ChoicesFilter(choices=BatchKindChoices.choices, label="类别")
    ordering = django_filters.OrderingFilter(fields=(("batch__held_on", "batch"), "kind"), label="排序")

    class Meta:
        model = BatchProject
        fields = ["batch", "project"]


class ProjectWarningFilterSet(BaseFilterSet):
    search_fields = ("project__name", "message", "comment")

    city = CityFilter(field_name="project__city")
    zone = ZoneFilter(field_name="project__city")
    industry = IndustryFilter(field_name="project__industry")
    plan = django_filters.ModelChoiceFilter(
        field_name="project__plan",
        queryset=Plan.objects.all(),
        method="filter_plan",
        label="规划 ID（所属或提及项目的任一规划）",
    )
    rule = ChoicesFilter(choices=WarningRuleChoices.choices, label="预警规则")
    level = ChoicesFilter(choices=WarningLevelChoices.choices, label="预警等级")
    is_open = StrictBooleanFilter(method="filter_open", label="未解除")
    acknowledged = HasFilter(field_name="acknowledged_at", label="已确认")
    opened_on_min, opened_on_max = range_filters("opened_on", "发出日期", django_filters.DateFilter)
    ordering = django_filters.OrderingFilter(
        fields=("opened_on", "level", "rule", "resolved_on", ("project__name", "project")), label="排序"
    )

    class Meta:
        model = ProjectWarning
        fields = ["project"]

    def filter_plan(self, queryset, name, value):
        return queryset.filter(named_by_plan_q(value, prefix="project__")) if value else queryset

    def filter_open(self, queryset, name, value):
        if value in ("", None):
            return queryset
        return queryset.filter(resolved_on__isnull=value)
