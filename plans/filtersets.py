import django_filters

from common.filters import (
    BaseFilterSet,
    ChoicesFilter,
    HasFilter,
    StrictBooleanFilter,
    range_filters,
)
from regions.filters import CityFilter, RegionCodeFilter

from .choices import (
    ComparatorChoices,
    IndicatorCategoryChoices,
    ObservationStatusChoices,
    PlanKindChoices,
    PlanStatusChoices,
    ProgramKindChoices,
    ProgressGradeChoices,
    ProgressStatusChoices,
    QualifierChoices,
    TargetNatureChoices,
)
from .filters import IndustryFilter
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
    TargetProgressSnapshot,
    TargetStep,
)
from .progress import annotate_progress, progress_as_of


class PlanFilterSet(BaseFilterSet):
    search_fields = ("title", "short_title", "doc_number", "issuer")

    kind = ChoicesFilter(choices=PlanKindChoices.choices, label="文种")
    status = ChoicesFilter(choices=PlanStatusChoices.choices, label="状态")
    year = django_filters.NumberFilter(method="filter_year", label="规划期含该年份")
    period_start_min, period_start_max = range_filters("period_start", "规划期起")
    period_end_min, period_end_max = range_filters("period_end", "规划期止")
    has_targets = StrictBooleanFilter(method="filter_has_targets", label="有量化指标")
    ordering = django_filters.OrderingFilter(
        fields=("period_start", "period_end", "published_on", "title", "code"), label="排序"
    )

    class Meta:
        model = Plan
        fields = ["follows"]

    def filter_year(self, queryset, name, value: int):
        return queryset.filter(period_start__lte=value, period_end__gte=value)

    def filter_has_targets(self, queryset, name, value: bool):
        matching = Target.objects.values("plan")
        return queryset.filter(pk__in=matching) if value else queryset.exclude(pk__in=matching)


class PlanSectionFilterSet(BaseFilterSet):
    search_fields = ("title", "number", "key")

    ordering = django_filters.OrderingFilter(fields=("order", "key", "title"), label="排序")

    class Meta:
        model = PlanSection
        fields = ["plan", "parent"]


class IndustryFilterSet(BaseFilterSet):
    search_fields = ("name", "code")

    industry = IndustryFilter(field_name="pk", label="产业分类 ID（该节点及其下级）")
    is_national = StrictBooleanFilter(label="属于国家分类")
    has_parent = HasFilter(field_name="parent", label="有上级产业（false：门类）")
    ordering = django_filters.OrderingFilter(fields=("order", "code", "name"), label="排序")

    class Meta:
        model = Industry
        fields = ["parent"]


class KeyAreaFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    industry = IndustryFilter(field_name="industries")
    ordering = django_filters.OrderingFilter(fields=("order", "key", "name"), label="排序")

    class Meta:
        model = KeyArea
        fields = ["plan", "parent", "section"]


class IndicatorFilterSet(BaseFilterSet):
    search_fields = ("name", "key", "definition", "national_code")

    category = ChoicesFilter(choices=IndicatorCategoryChoices.choices, label="类别")
    ordering = django_filters.OrderingFilter(fields=("key", "name", "category"), label="排序")

    class Meta:
        model = Indicator
        fields = ["direction", "time_aggregation", "city_aggregation"]


class TargetFilterSet(BaseFilterSet):
    search_fields = ("name", "key", "description", "indicator__name")

    industry = IndustryFilter(field_name="industry")
    city = CityFilter(field_name="scope")
    scope = RegionCodeFilter(field_name="scope", label="范围（行政区划代码）")
    comparator = ChoicesFilter(choices=ComparatorChoices.choices, label="比较方式")
    target_year_min, target_year_max = range_filters("target_year", "目标年份")
    baseline_year_min, baseline_year_max = range_filters("baseline_year", "基期年份")
    has_baseline = HasFilter(field_name="baseline_value", label="有基期值")
    has_industry = HasFilter(field_name="industry", label="有对应产业")
    nature = ChoicesFilter(choices=TargetNatureChoices.choices, label="属性（约束性 / 预期性）")
    has_parent = HasFilter(field_name="parent", label="为分解目标（false：未分解自其他目标）")
    as_of = django_filters.DateFilter(method="filter_as_of", label="评估日期（YYYY-MM-DD，默认今天）")
    status = ChoicesFilter(
        choices=ProgressStatusChoices.choices, method="filter_status", label="进度状态（按评估日期，见 plans.progress）"
    )
    grade = ChoicesFilter(
        choices=ProgressGradeChoices.choices, method="filter_grade", label="进展等级（Open SDG，按评估日期）"
    )
    ordering = django_filters.OrderingFilter(
        fields=("key", "name", "target_year", "baseline_year", "plan", ("progress_status", "status"), "progress"),
        field_labels={"progress_status": "进度状态", "progress": "完成进度"},
        label="排序",
    )

    class Meta:
        model = Target
        fields = ["plan", "indicator", "parent", "key_area", "section", "base"]

    def filter_as_of(self, queryset, name, value):
        return queryset  # read by filter_status and filter_grade, and by the views

    def filter_status(self, queryset, name, value: list[str]):
        return self._by_progress(queryset, "progress_status", "status", value)

    def filter_grade(self, queryset, name, value: list[str]):
        return self._by_progress(queryset, "grade", "grade", value)

    def _by_progress(self, queryset, annotation: str, attribute: str, value: list[str]):
        if not value:
            return queryset
        as_of = self.form.cleaned_data.get("as_of")
        if as_of is None:
            return annotate_progress(queryset, user=self.request.user).filter(**{f"{annotation}__in": value})
        computed = progress_as_of(queryset, as_of=as_of, user=self.request.user)
        return queryset.filter(
            pk__in=[pk for pk, progress in computed.items() if getattr(progress, attribute) in value]
        )


class TargetStepFilterSet(BaseFilterSet):
    """Yearly steps, by their target or what identifies it (plan, indicator, region)."""

    search_fields = ("target__name", "target__indicator__name")

    plan = django_filters.ModelChoiceFilter(field_name="target__plan", queryset=Plan.objects.all(), label="规划 ID")
    indicator = django_filters.ModelChoiceFilter(
        field_name="target__indicator", queryset=Indicator.objects.all(), label="指标 ID"
    )
    city = CityFilter(field_name="target__scope")
    scope = RegionCodeFilter(field_name="target__scope", label="范围（行政区划代码）")
    year_min, year_max = range_filters("year", "年份")
    ordering = django_filters.OrderingFilter(fields=("target", "year"), label="排序")

    class Meta:
        model = TargetStep
        fields = ["target", "year"]


class ObservationFilterSet(BaseFilterSet):
    search_fields = ("indicator__name", "indicator__key", "source")

    indicator_key = django_filters.CharFilter(field_name="indicator__key", label="指标编号")
    plan = django_filters.ModelChoiceFilter(field_name="source_plan", queryset=Plan.objects.all(), label="来源规划 ID")
    city = CityFilter(field_name="scope")
    scope = RegionCodeFilter(field_name="scope", label="范围（行政区划代码）")
    year_min, year_max = range_filters("year", "年份")
    quarter = ChoicesFilter(choices=Observation._meta.get_field("quarter").choices, label="季度")
    month = ChoicesFilter(choices=Observation._meta.get_field("month").choices, label="月份")
    status = ChoicesFilter(choices=ObservationStatusChoices.choices, label="数据状态")
    qualifier = ChoicesFilter(choices=QualifierChoices.choices, label="限定词")
    value_min, value_max = range_filters("value", "数值")
    ordering = django_filters.OrderingFilter(
        fields=("year", "quarter", "month", ("indicator__name", "indicator"), "value", ("scope__code", "scope")),
        label="排序",
    )

    class Meta:
        model = Observation
        fields = ["indicator", "year", "source_plan"]


class ProgramFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    kind = ChoicesFilter(choices=ProgramKindChoices.choices, label="类别")
    industry = IndustryFilter(field_name="industries")
    has_parent = HasFilter(field_name="parent", label="是子项（false：顶层工程/任务）")
    ordering = django_filters.OrderingFilter(fields=("order", "key", "name"), label="排序")

    class Meta:
        model = Program
        fields = ["plan", "section", "parent"]


class MeasureFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    has_parent = HasFilter(field_name="parent", label="是子项（false：顶层措施）")
    ordering = django_filters.OrderingFilter(fields=("order", "key", "name"), label="排序")

    class Meta:
        model = Measure
        fields = ["plan", "section", "parent"]


class CityRoleFilterSet(BaseFilterSet):
    search_fields = ("role",)

    city = CityFilter(field_name="city")
    industry = IndustryFilter(field_name="industries")
    ordering = django_filters.OrderingFilter(fields=(("city__code", "city"), "plan"), label="排序")

    class Meta:
        model = CityRole
        fields = ["plan"]


class TargetProgressSnapshotFilterSet(BaseFilterSet):
    search_fields = ("target__name", "target__key", "target__indicator__name")

    plan = django_filters.NumberFilter(field_name="target__plan", label="规划 ID")
    city = CityFilter(field_name="target__scope")
    scope = RegionCodeFilter(field_name="target__scope", label="指标范围（行政区划代码）")
    year_min, year_max = range_filters("year", "快照年份")
    status = ChoicesFilter(choices=ProgressStatusChoices.choices, label="进度状态")
    ordering = django_filters.OrderingFilter(fields=("year", "target", "progress"), label="排序")

    class Meta:
        model = TargetProgressSnapshot
        fields = ["target", "year"]
