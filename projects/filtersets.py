import django_filters
from django.db.models import Exists, OuterRef, Q

from common.filters import (
    BaseFilterSet,
    ChoicesFilter,
    HasFilter,
    StrictBooleanFilter,
    range_filters,
)
from plans.filters import IndustryFilter
from plans.models import Plan
from regions.filters import CityFilter, RegionCodeFilter, ZoneFilter
from regions.models import Park, RegionGroup

from .choices import BaseKindChoices, EnterpriseKindChoices, ProjectStageChoices
from .models import Enterprise, IndustryBase, KeyProject, ProjectBuilder, ProjectMention, ProjectReport


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
