import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.models import ProvenanceModel, ScopedManager, TimestampedModel, choice_constraint, year_range_q
from common.validators import (
    MAX_INDICATOR_VALUE,
    MagnitudeValidator,
    validate_no_bidi_controls,
    validate_plausible_date,
)
from regions.choices import RegionLevelChoices

from .choices import (
    CityAggregationChoices,
    ComparatorChoices,
    IndicatorCategoryChoices,
    IndicatorDirectionChoices,
    MonthChoices,
    ObservationStatusChoices,
    PlanKindChoices,
    PlanStatusChoices,
    ProgramKindChoices,
    ProgressGradeChoices,
    ProgressStatusChoices,
    QualifierChoices,
    QuarterChoices,
    TargetNatureChoices,
    TimeAggregationChoices,
)


class Plan(ProvenanceModel):
    """One plan document: a five-year plan, an opinion or a notice."""

    code = models.SlugField("编号", max_length=64, unique=True, help_text="稳定的英文短标识，如 sx-14th-sei。")
    title = models.CharField("标题", max_length=255, validators=[validate_no_bidi_controls])
    short_title = models.CharField("简称", max_length=64, blank=True)
    kind = models.CharField("文种", max_length=16, choices=PlanKindChoices.choices, default=PlanKindChoices.PLAN)
    issuer = models.CharField("发布机关", max_length=128, blank=True)
    doc_number = models.CharField("文号", max_length=64, blank=True)
    period_start = models.PositiveSmallIntegerField("规划期起", null=True, blank=True)
    period_end = models.PositiveSmallIntegerField("规划期止", null=True, blank=True)
    signed_on = models.DateField("成文日期", null=True, blank=True, validators=[validate_plausible_date])
    published_on = models.DateField("发布日期", null=True, blank=True, validators=[validate_plausible_date])
    status = models.CharField(
        "状态", max_length=16, choices=PlanStatusChoices.choices, default=PlanStatusChoices.IN_FORCE
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name="承接规划",
        help_text="本规划接续的上一规划。",
    )
    summary = models.TextField("摘要", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "规划"
        verbose_name_plural = "规划"
        ordering = ["-period_start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=F("period_end")),
                name="%(app_label)s_%(class)s_period_ordered",
                violation_error_message="规划期起始年份不能晚于终止年份。",
            ),
            models.CheckConstraint(
                condition=year_range_q("period_start") & year_range_q("period_end"),
                name="%(app_label)s_%(class)s_period_sane",
                violation_error_message="规划期年份须在 1949 至 2100 年之间。",
            ),
            choice_constraint("status", PlanStatusChoices, "status_valid", "规划状态无效。"),
            choice_constraint("kind", PlanKindChoices, "kind_valid", "文种无效。"),
        ]

    def __str__(self):
        return self.short_title or self.title

    def status_on(self, date: datetime.date) -> PlanStatusChoices:
        """The status to show on ``date``: a plan still recorded 实施中 whose period ended before it is 已到期
        (已被替代 and 草案 stand as recorded)."""
        status = PlanStatusChoices(self.status)
        if status == PlanStatusChoices.IN_FORCE and self.period_end is not None and date.year > self.period_end:
            return PlanStatusChoices.EXPIRED
        return status


class PlanSection(TimestampedModel):
    """A heading of a plan's table of contents; ``key`` is its dotted position (“3.2”)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections", verbose_name="规划")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name="上级章节"
    )
    key = models.CharField("位置", max_length=32, help_text="层级编号，如 3 或 3.2。")
    number = models.CharField("序号", max_length=16, blank=True, help_text="原文序号，如“三、”“（二）”。")
    title = models.CharField("标题", max_length=255)
    order = models.PositiveIntegerField("排序", default=0)
    page = models.PositiveSmallIntegerField("页码", null=True, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "规划章节"
        verbose_name_plural = "规划章节"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下章节位置不能重复。",
            ),
        ]

    def __str__(self):
        return f"{self.number}{self.title}"


class Industry(TimestampedModel):
    """A node of the shared industry taxonomy (national 2018 classification plus Shanxi's own)."""

    code = models.CharField("分类代码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上级产业"
    )
    is_national = models.BooleanField(
        "国家分类", default=True, help_text="属于《战略性新兴产业分类（2018）》；否则为山西省增列。"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "产业分类"
        verbose_name_plural = "产业分类"
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="%(app_label)s_%(class)s_unique_parent_name",
                violation_error_message="同一上级产业下名称不能重复。",
            ),
        ]

    def __str__(self):
        return self.name


class KeyArea(ProvenanceModel):
    """A plan's own key area or sub-direction (“——先进轨道交通装备”), mapped to Industry."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="key_areas", verbose_name="规划")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name="上级领域"
    )
    section = models.ForeignKey(
        PlanSection, on_delete=models.SET_NULL, null=True, blank=True, related_name="key_areas", verbose_name="所在章节"
    )
    key = models.CharField("位置", max_length=32, help_text="在本规划中的编号，如 1 或 1.3。")
    name = models.CharField("名称", max_length=128)
    order = models.PositiveIntegerField("排序", default=0)
    description = models.TextField("内容", blank=True)
    industries = models.ManyToManyField(Industry, blank=True, related_name="key_areas", verbose_name="对应产业")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "重点领域"
        verbose_name_plural = "重点领域"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下重点领域编号不能重复。",
            ),
        ]

    def __str__(self):
        return self.name


class Indicator(TimestampedModel):
    """One measured quantity (指标库): targets and observations of every plan refer to it."""

    key = models.SlugField("编号", max_length=64, unique=True, help_text="稳定的英文短标识，如 sei-value-added-share。")
    name = models.CharField("指标名称", max_length=255, unique=True, validators=[validate_no_bidi_controls])
    unit = models.CharField("单位", max_length=32, blank=True)
    definition = models.TextField("定义", blank=True)
    direction = models.CharField(
        "方向", max_length=8, choices=IndicatorDirectionChoices.choices, default=IndicatorDirectionChoices.HIGHER
    )
    time_aggregation = models.CharField(
        "时间汇总方式", max_length=8, choices=TimeAggregationChoices.choices, default=TimeAggregationChoices.STOCK
    )
    city_aggregation = models.CharField(
        "跨城市汇总方式", max_length=8, choices=CityAggregationChoices.choices, default=CityAggregationChoices.NONE
    )
    numerator = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="分子指标"
    )
    denominator = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="分母指标"
    )
    category = models.CharField(
        "类别", max_length=16, choices=IndicatorCategoryChoices.choices, default=IndicatorCategoryChoices.OTHER
    )
    national_code = models.CharField("国家指标代码", max_length=32, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标库"
        verbose_name_plural = "指标库"
        ordering = ["category", "name"]
        constraints = [
            choice_constraint("direction", IndicatorDirectionChoices, "direction_valid", "指标方向无效。"),
            choice_constraint("time_aggregation", TimeAggregationChoices, "time_valid", "时间汇总方式无效。"),
            choice_constraint("city_aggregation", CityAggregationChoices, "city_valid", "跨城市汇总方式无效。"),
            choice_constraint("category", IndicatorCategoryChoices, "category_valid", "指标类别无效。"),
            models.CheckConstraint(
                condition=Q(city_aggregation=CityAggregationChoices.RATIO)
                | Q(numerator__isnull=True, denominator__isnull=True),
                name="%(app_label)s_%(class)s_ratio_parts_only_for_ratio",
                violation_error_message="只有“分子、分母分别求和后相除”的指标可以填写分子、分母指标。",
            ),
            models.CheckConstraint(
                condition=~Q(city_aggregation=CityAggregationChoices.RATIO)
                | Q(numerator__isnull=False, denominator__isnull=False),
                name="%(app_label)s_%(class)s_ratio_has_parts",
                violation_error_message="按分子、分母汇总的指标须填写分子指标和分母指标。",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）" if self.unit else self.name

    @property
    def is_additive(self) -> bool:
        """Whether the cities' values add up to the province's (allocations are checked by sum)."""
        return self.city_aggregation == CityAggregationChoices.SUM


class Target(ProvenanceModel):
    """A quantitative target of a plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets", verbose_name="规划")
    key = models.SlugField("编号", max_length=64, help_text="在本规划中唯一的英文短标识。")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets", verbose_name="指标")
    name = models.CharField(
        "目标表述",
        max_length=255,
        validators=[validate_no_bidi_controls],
        help_text="规划原文对该目标的表述（如“新建国家级重点实验室数量”）；单位取自指标。",
    )
    nature = models.CharField(
        "属性", max_length=8, choices=TargetNatureChoices.choices, default=TargetNatureChoices.UNSTATED
    )
    is_cumulative = models.BooleanField(
        "期内累计", default=False, help_text="目标值为规划期内累计数（如“累计下降18%”）。"
    )
    is_per_year = models.BooleanField(
        "每年目标", default=False, help_text="目标值为每年应达到的数值（如“每年10家左右”）。"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name="分解自",
        help_text="指标分解：本目标是该省级目标分解到城市的部分。",
    )
    comparator = models.CharField(
        "比较方式", max_length=8, choices=ComparatorChoices.choices, default=ComparatorChoices.GE
    )
    baseline_value = models.DecimalField(
        "基期值",
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)],
    )
    baseline_year = models.PositiveSmallIntegerField("基期年份", null=True, blank=True)
    target_value = models.DecimalField(
        "目标值", max_digits=20, decimal_places=4, validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)]
    )
    target_value_max = models.DecimalField(
        "目标值上限",
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="仅用于区间目标。",
        validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)],
    )
    target_year = models.PositiveSmallIntegerField("目标年份")
    scope = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="targets", verbose_name="范围")
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, null=True, blank=True, related_name="targets", verbose_name="产业"
    )
    key_area = models.ForeignKey(
        KeyArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="targets", verbose_name="重点领域"
    )
    section = models.ForeignKey(
        PlanSection, on_delete=models.SET_NULL, null=True, blank=True, related_name="targets", verbose_name="所在章节"
    )
    base = models.ForeignKey(
        "projects.IndustryBase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name="产业基地",
    )
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["plan", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下指标编号不能重复。",
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_year__lte=F("target_year")),
                name="%(app_label)s_%(class)s_baseline_before_target",
                violation_error_message="基期年份不能晚于目标年份。",
            ),
            models.CheckConstraint(
                condition=year_range_q("baseline_year") & year_range_q("target_year", nullable=False),
                name="%(app_label)s_%(class)s_years_sane",
                violation_error_message="年份须在 1949 至 2100 年之间。",
            ),
            choice_constraint("comparator", ComparatorChoices, "comparator_valid", "比较方式无效。"),
            choice_constraint("nature", TargetNatureChoices, "nature_valid", "目标属性无效。"),
            models.CheckConstraint(
                condition=Q(target_value_max__isnull=True) | Q(target_value_max__gte=F("target_value")),
                name="%(app_label)s_%(class)s_range_ordered",
                violation_error_message="目标值上限不能小于目标值。",
            ),
            models.CheckConstraint(
                condition=~Q(comparator=ComparatorChoices.RANGE) | Q(target_value_max__isnull=False),
                name="%(app_label)s_%(class)s_range_has_max",
                violation_error_message="区间目标须填写目标值上限。",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_year__isnull=False),
                name="%(app_label)s_%(class)s_baseline_has_year",
                violation_error_message="填写基期值时须同时填写基期年份。",
            ),
        ]
        indexes = [
            models.Index(fields=["target_year"], name="plans_target_year_idx"),
            # The targets an observation bears on (plans.progress): one probe per observation written.
            models.Index(fields=["indicator", "scope"], name="plans_target_indicator_idx"),
        ]

    def __str__(self):
        return f"{self.name}（{self.target_year}年）"

    @property
    def unit(self) -> str:
        return self.indicator.unit

    def clean(self):
        super().clean()
        if self.parent_id is None:
            return
        parent = self.parent
        errors = {}
        if parent.pk is not None and parent.pk == self.pk:
            errors["parent"] = "目标不能分解自其本身。"
        elif parent.parent_id is not None:
            errors["parent"] = "只能分解省级目标，分解所得的城市目标不能再分解。"
        if self.scope_id is not None and (self.scope.parent_id != parent.scope_id or self.scope_id == parent.scope_id):
            errors["scope"] = f"分解目标的范围须为{parent.scope}所辖的城市。"
        if self.indicator_id is not None and self.indicator_id != parent.indicator_id:
            errors["indicator"] = "分解目标须与被分解目标为同一指标。"
        if self.target_year is not None and self.target_year != parent.target_year:
            errors["target_year"] = "分解目标须与被分解目标的目标年份相同。"
        if errors:
            raise ValidationError(errors)


class TargetStep(TimestampedModel):
    """A yearly step (年度目标) of a target: the value expected by the end of a year of its period."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="steps", verbose_name="目标")
    year = models.PositiveSmallIntegerField("年份")
    value = models.DecimalField(
        "年度目标值", max_digits=20, decimal_places=4, validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)]
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        ordering = ["target", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "year"],
                name="%(app_label)s_%(class)s_unique_target_year",
                violation_error_message="该目标本年度的年度目标已存在。",
            ),
            models.CheckConstraint(
                condition=year_range_q("year", nullable=False),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="年份须在 1949 至 2100 年之间。",
            ),
        ]

    def __str__(self):
        return f"{self.target} · {self.year}年"

    def clean(self):
        super().clean()
        if self.target_id is None or self.year is None:
            return
        target = self.target
        first = target.baseline_year if target.baseline_year is not None else target.plan.period_start
        if self.year > target.target_year or (first is not None and self.year <= first):
            raise ValidationError({"year": "年度目标的年份须在基期年份之后、目标年份及以前。"})


class Observation(ProvenanceModel):
    """A value of an indicator in a region for a year, a quarter or a month, as a source reports it.

    Several sources may report a period; ``plans.progress`` prefers one (see there).
    """

    city_scope = "scope"

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations", verbose_name="指标")
    value = models.DecimalField(
        "数值", max_digits=20, decimal_places=4, validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)]
    )
    qualifier = models.CharField(
        "限定词",
        max_length=8,
        choices=QualifierChoices.choices,
        default=QualifierChoices.NONE,
        blank=True,
        help_text="原文对数值的限定，如“2600亿元以上”记为 2600、以上。",
    )
    year = models.PositiveSmallIntegerField("年份")
    quarter = models.PositiveSmallIntegerField("季度", default=QuarterChoices.YEAR, choices=QuarterChoices.choices)
    month = models.PositiveSmallIntegerField("月份", default=MonthChoices.NONE, choices=MonthChoices.choices)
    scope = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="observations", verbose_name="范围"
    )
    status = models.CharField(
        "数据状态", max_length=12, choices=ObservationStatusChoices.choices, default=ObservationStatusChoices.FINAL
    )
    source_plan = models.ForeignKey(
        Plan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_observations",
        verbose_name="来源规划",
        help_text="报告该数值的规划文件（若有）。",
    )
    source = models.CharField("数据来源", max_length=128, blank=True, help_text="如统计公报；来源为规划文件时可留空。")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name="填报人",
    )
    locked = models.BooleanField(
        "已锁定",
        default=False,
        # The database's own default too: generate_data's COPY (benchmarks) writes rows without this column.
        db_default=False,
        editable=False,
        help_text="经审核通过的填报数值，重新打开报送前不能修改或删除。",
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "监测值"
        verbose_name_plural = "监测值"
        ordering = ["indicator", "year", "quarter", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "scope", "year", "quarter", "month", "source"],
                condition=Q(source_plan__isnull=True),
                name="%(app_label)s_%(class)s_unique_period",
                violation_error_message="同一来源、范围和时期的该指标监测值已存在。",
            ),
            models.UniqueConstraint(
                fields=["indicator", "scope", "year", "quarter", "month", "source_plan", "source"],
                condition=Q(source_plan__isnull=False),
                name="%(app_label)s_%(class)s_unique_plan_period",
                violation_error_message="同一来源规划、范围和时期的该指标监测值已存在。",
            ),
            models.CheckConstraint(
                condition=year_range_q("year", low=1949, high=2100, nullable=False),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="年份须在 1949 至 2100 年之间。",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=QuarterChoices.YEAR, quarter__lte=QuarterChoices.Q4),
                name="%(app_label)s_%(class)s_quarter_valid",
                violation_error_message="季度须为 0（全年）或 1–4。",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=MonthChoices.NONE, month__lte=MonthChoices.M12),
                name="%(app_label)s_%(class)s_month_valid",
                violation_error_message="月份须为 0（全年或季度）或 1–12。",
            ),
            models.CheckConstraint(
                condition=Q(quarter=QuarterChoices.YEAR) | Q(month=MonthChoices.NONE),
                name="%(app_label)s_%(class)s_quarter_or_month",
                violation_error_message="季度和月份不能同时填写。",
            ),
            choice_constraint("qualifier", QualifierChoices, "qualifier_valid", "限定词无效。"),
            choice_constraint("status", ObservationStatusChoices, "status_valid", "数据状态无效。"),
        ]
        indexes = [
            models.Index(fields=["year", "quarter"], name="plans_observation_period_idx"),
            # An indicator's observations in a region (plans.progress): one index probe per target.
            models.Index(fields=["indicator", "scope", "-year"], name="plans_observation_latest_idx"),
        ]

    def __str__(self):
        period = (
            f"{self.year}年"
            + (f"第{self.quarter}季度" if self.quarter else "")
            + (f"{self.month}月" if self.month else "")
        )
        return f"{self.indicator.name} {period}"

    @property
    def unit(self) -> str:
        return self.indicator.unit


class TargetProgress(models.Model):
    """A target's latest observation and its progress: a rollup that ``plans.progress`` keeps.

    Reading progress from this row, instead of computing it from correlated subqueries on every
    read, keeps target lists and status counts as cheap as a join. ``refresh_progress``
    rewrites the row whenever a service writes an observation or a target (plans.services) and
    after the benchmark generator's raw inserts; every target has one.
    """

    target = models.OneToOneField(
        Target, on_delete=models.CASCADE, primary_key=True, related_name="rollup", verbose_name="指标"
    )
    observation = models.ForeignKey(
        Observation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="最新监测值"
    )
    progress = models.FloatField("完成进度", null=True, blank=True)
    expected_progress = models.FloatField("序时进度", null=True, blank=True)
    sdg_ratio = models.FloatField("进展比率", null=True, blank=True)
    grade = models.CharField(
        "进展等级", max_length=20, choices=ProgressGradeChoices.choices, default=ProgressGradeChoices.UNKNOWN
    )
    stale = models.BooleanField("数据陈旧", default=False)
    status = models.CharField("进度状态", max_length=16, choices=ProgressStatusChoices.choices)
    as_of = models.DateField("评估日期", null=True)

    class Meta:
        verbose_name = "指标进度"
        verbose_name_plural = "指标进度"
        constraints = [
            choice_constraint("status", ProgressStatusChoices, "status_valid", "进度状态无效。"),
            choice_constraint("grade", ProgressGradeChoices, "grade_valid", "进展等级无效。"),
        ]

    def __str__(self):
        return f"{self.target_id}: {self.status}"


def validate_tree_parent(node: "Program | Measure", *, what: str) -> None:
    """A child of a program or measure tree belongs to its parent's plan and is not its own ancestor."""
    parent = node.parent
    if parent is None:
        return
    if node.plan_id is not None and parent.plan_id != node.plan_id:
        raise ValidationError({"parent": f"上级{what}须属于同一规划。"})
    seen = {node.pk} if node.pk is not None else set()
    while parent is not None:
        if parent.pk in seen:
            raise ValidationError({"parent": f"上级{what}不能是本项或其下级。"})
        seen.add(parent.pk)
        parent = parent.parent


class Program(ProvenanceModel):
    """An engineering program (重点工程) or main task (主要任务) of a plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="programs", verbose_name="规划")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级工程/任务",
        help_text="原文在上级工程或任务中点名的子项（如“链长制”），与上级属于同一规划。",
    )
    section = models.ForeignKey(
        PlanSection, on_delete=models.SET_NULL, null=True, blank=True, related_name="programs", verbose_name="所在章节"
    )
    key = models.CharField("编号", max_length=32)
    kind = models.CharField(
        "类别", max_length=16, choices=ProgramKindChoices.choices, default=ProgramKindChoices.PROGRAM
    )
    name = models.CharField("名称", max_length=255)
    order = models.PositiveIntegerField("排序", default=0)
    description = models.TextField("内容", blank=True)
    industries = models.ManyToManyField(Industry, blank=True, related_name="programs", verbose_name="相关产业")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "重点工程/主要任务"
        verbose_name_plural = "重点工程/主要任务"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下工程编号不能重复。",
            ),
            choice_constraint("kind", ProgramKindChoices, "kind_valid", "工程类别无效。"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        validate_tree_parent(self, what="工程/任务")


class Measure(ProvenanceModel):
    """A safeguard measure (保障措施) of a plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures", verbose_name="规划")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级措施",
        help_text="原文在上级措施中点名的子项（如“首台（套）保险补偿”），与上级属于同一规划。",
    )
    section = models.ForeignKey(
        PlanSection, on_delete=models.SET_NULL, null=True, blank=True, related_name="measures", verbose_name="所在章节"
    )
    key = models.CharField("编号", max_length=32)
    name = models.CharField("名称", max_length=255)
    order = models.PositiveIntegerField("排序", default=0)
    description = models.TextField("内容", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "保障措施"
        verbose_name_plural = "保障措施"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下保障措施编号不能重复。",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        validate_tree_parent(self, what="保障措施")


class CityRole(ProvenanceModel):
    """The role a plan gives to a city (“太原、晋中突出培育高端装备制造和特色新材料”)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="city_roles", verbose_name="规划")
    city = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="plan_roles",
        verbose_name="城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
    )
    role = models.TextField("定位")
    industries = models.ManyToManyField(Industry, blank=True, related_name="city_roles", verbose_name="重点产业")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "城市定位"
        verbose_name_plural = "城市定位"
        # A plan may give a city several roles (one record each, with its own quote).
        ordering = ["plan", "city__code", "pk"]

    def __str__(self):
        return f"{self.city} · {self.plan}"


class TargetProgressSnapshot(TimestampedModel):
    """A target's progress as it stood at the end of a year, kept for year-on-year comparison."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="snapshots", verbose_name="指标")
    year = models.PositiveSmallIntegerField("快照年份")
    latest_value = models.DecimalField("最新监测值", max_digits=20, decimal_places=4, null=True, blank=True)
    latest_year = models.PositiveSmallIntegerField("监测年份", null=True, blank=True)
    latest_quarter = models.PositiveSmallIntegerField("监测季度", null=True, blank=True)
    progress = models.FloatField("完成进度", null=True, blank=True)
    expected_progress = models.FloatField("应达进度", null=True, blank=True)
    status = models.CharField("进度状态", max_length=16, choices=ProgressStatusChoices.choices)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标进度快照"
        verbose_name_plural = "指标进度快照"
        ordering = ["-year", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "year"],
                name="%(app_label)s_%(class)s_unique_target_year",
                violation_error_message="该指标本年度的进度快照已存在。",
            ),
            models.CheckConstraint(
                condition=year_range_q("year", nullable=False),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="年份须在 1949 至 2100 年之间。",
            ),
            choice_constraint("status", ProgressStatusChoices, "status_valid", "进度状态无效。"),
        ]

    def __str__(self):
        return f"{self.target} · {self.year}年快照"
