"""Monitoring rounds (填报任务): the province asks cities for a period's values, cities report, the province approves.

The shape follows DHIS2's data sets with data input periods, approval and lock exceptions, and Akvo
RSR's update states (draft → submitted → returned / approved, where only approved values count):

- ``RoundTemplate``: a standing request ("年度监测：十四五战新规划全部指标") a round is made from;
- ``Round``: one period's request, with its opening, due and closing dates, indicators and cities;
- ``Submission``: one city's answer to a round, with its state, and ``SubmissionTransition`` its log;
- ``SubmissionValue``: one indicator's value for the city or one of its counties;
- ``LockException``: a city may still enter values of a closed round until a date.

Approval publishes the values as ``plans.Observation`` rows (locked) and locks the city's project
reports of the period; reopening unlocks them (monitoring.services).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.models import ScopedManager, TimestampedModel, choice_constraint, year_range_q
from common.validators import MAX_INDICATOR_VALUE, MagnitudeValidator, validate_plausible_date
from plans.choices import MonthChoices, QualifierChoices, QuarterChoices
from plans.models import Indicator, Plan
from regions.choices import RegionLevelChoices

from .choices import PeriodTypeChoices, RoundKindChoices, RoundStatusChoices, SubmissionStateChoices

CITY_LEVEL = {"level": RegionLevelChoices.CITY}


def period_constraints() -> list[models.CheckConstraint]:
    """A period is a year, a quarter of it or a month of it (as on ``plans.Observation``)."""
    return [
        models.CheckConstraint(
            condition=year_range_q("year", low=2000, high=2100, nullable=False),
            name="%(app_label)s_%(class)s_year_sane",
            violation_error_message="年份须在 2000 至 2100 年之间。",
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
    ]


class RoundTemplate(TimestampedModel):
    """A standing request a round is made from, for any period of its type."""

    name = models.CharField("模板名称", max_length=128, unique=True)
    kind = models.CharField("填报内容", max_length=16, choices=RoundKindChoices.choices)
    period_type = models.CharField("填报周期", max_length=8, choices=PeriodTypeChoices.choices)
    plan = models.ForeignKey(
        Plan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="round_templates",
        verbose_name="规划",
        help_text="填写后，该规划全部目标的指标都纳入填报。",
    )
    indicators = models.ManyToManyField(
        Indicator,
        blank=True,
        related_name="round_templates",
        verbose_name="指标",
        help_text="规划指标以外另需填报的指标。",
    )
    cities = models.ManyToManyField(
        "regions.Region",
        blank=True,
        related_name="round_templates",
        verbose_name="填报城市",
        limit_choices_to=CITY_LEVEL,
        help_text="留空为全部设区市。",
    )
    due_days = models.PositiveSmallIntegerField("报送期限（期末后天数）", default=15)
    close_days = models.PositiveSmallIntegerField("关闭（期末后天数）", default=30)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "填报任务模板"
        verbose_name_plural = "填报任务模板"
        ordering = ["name"]
        constraints = [
            choice_constraint("kind", RoundKindChoices, "kind_valid", "填报内容无效。"),
            choice_constraint("period_type", PeriodTypeChoices, "period_type_valid", "填报周期无效。"),
            models.CheckConstraint(
                condition=Q(due_days__lte=F("close_days")),
                name="%(app_label)s_%(class)s_due_before_close",
                violation_error_message="报送期限不能晚于关闭日期。",
            ),
        ]

    def __str__(self):
        return self.name


class Round(TimestampedModel):
    """One period's request to the cities (填报任务): what to report, by when, and who."""

    name = models.CharField("任务名称", max_length=128, unique=True)
    template = models.ForeignKey(
        RoundTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name="模板",
    )
    year = models.PositiveSmallIntegerField("年份")
    quarter = models.PositiveSmallIntegerField("季度", default=QuarterChoices.YEAR, choices=QuarterChoices.choices)
    month = models.PositiveSmallIntegerField("月份", default=MonthChoices.NONE, choices=MonthChoices.choices)
    opens_on = models.DateField("开始填报日期", validators=[validate_plausible_date])
    due_on = models.DateField("报送期限", help_text="此日及以前报送为按时。", validators=[validate_plausible_date])
    closes_on = models.DateField(
        "关闭日期", help_text="此日以后不能再填报，除非省级工作人员授予例外。", validators=[validate_plausible_date]
    )
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="rounds", verbose_name="填报指标")
    includes_projects = models.BooleanField(
        "含重点项目调度", default=False, help_text="各市须为本市全部在建重点项目填报本期进展。"
    )
    cities = models.ManyToManyField(
        "regions.Region", related_name="rounds", verbose_name="填报城市", limit_choices_to=CITY_LEVEL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_rounds",
        verbose_name="创建人",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "填报任务"
        verbose_name_plural = "填报任务"
        ordering = ["-year", "-quarter", "-month", "name"]
        constraints = [
            *period_constraints(),
            models.CheckConstraint(
                condition=Q(opens_on__lte=F("due_on")),
                name="%(app_label)s_%(class)s_opens_before_due",
                violation_error_message="开始填报日期不能晚于报送期限。",
            ),
            models.CheckConstraint(
                condition=Q(due_on__lte=F("closes_on")),
                name="%(app_label)s_%(class)s_due_before_close",
                violation_error_message="报送期限不能晚于关闭日期。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def period_type(self) -> str:
        if self.month:
            return PeriodTypeChoices.MONTH
        return PeriodTypeChoices.QUARTER if self.quarter else PeriodTypeChoices.YEAR

    @property
    def period_label(self) -> str:
        return period_label(self.year, self.quarter, self.month)

    def status(self, today: datetime.date) -> str:
        if today < self.opens_on:
            return RoundStatusChoices.PENDING
        if today <= self.due_on:
            return RoundStatusChoices.OPEN
        return RoundStatusChoices.OVERDUE if today <= self.closes_on else RoundStatusChoices.CLOSED


def period_label(year: int, quarter: int = 0, month: int = 0) -> str:
    if month:
        return f"{year}年{month}月"
    return f"{year}年第{quarter}季度" if quarter else f"{year}年"


class Submission(TimestampedModel):
    """A city's answer to a round; its state moves only through the transition services."""

    city_scope = "city"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="submissions", verbose_name="填报任务")
    city = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name="城市",
        limit_choices_to=CITY_LEVEL,
    )
    state = models.CharField(
        "状态", max_length=12, choices=SubmissionStateChoices.choices, default=SubmissionStateChoices.DRAFT
    )
    version = models.PositiveIntegerField("版本", default=1, help_text="每次状态变化加一。")
    first_submitted_at = models.DateTimeField("首次报送时间", null=True, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="报送人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "报送"
        verbose_name_plural = "报送"
        ordering = ["round", "city__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "city"],
                name="%(app_label)s_%(class)s_unique_city",
                violation_error_message="该城市在本填报任务中已有报送。",
            ),
            choice_constraint("state", SubmissionStateChoices, "state_valid", "报送状态无效。"),
            models.CheckConstraint(
                condition=Q(state=SubmissionStateChoices.DRAFT) | Q(first_submitted_at__isnull=False),
                name="%(app_label)s_%(class)s_reported_has_time",
                violation_error_message="已报送的报送须有报送时间。",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.city}"


class SubmissionTransition(models.Model):
    """One change of a submission's state: who, when, from, to, and why."""

    city_scope = "submission__city"

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="transitions", verbose_name="报送"
    )
    from_state = models.CharField("原状态", max_length=12, choices=SubmissionStateChoices.choices)
    to_state = models.CharField("新状态", max_length=12, choices=SubmissionStateChoices.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    comment = models.TextField("意见或理由", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "报送流转记录"
        verbose_name_plural = "报送流转记录"
        ordering = ["submission", "at", "pk"]
        constraints = [
            choice_constraint("from_state", SubmissionStateChoices, "from_state_valid", "原状态无效。"),
            choice_constraint("to_state", SubmissionStateChoices, "to_state_valid", "新状态无效。"),
        ]

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class SubmissionValue(TimestampedModel):
    """One indicator's value in a submission, for the city or one of its counties.

    An empty value is not filled in yet; the city's own row of each indicator must be filled to
    report. ``previous_value`` is last period's official value when this one was saved, and
    ``needs_comment`` whether this value differs from it by more than ``MONITORING_OUTLIER_FACTOR``
    (then a comment is asked for, not a different value).
    """

    city_scope = "submission__city"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="values", verbose_name="报送")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="submission_values", verbose_name="指标"
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="submission_values",
        verbose_name="地区",
        help_text="本市或所辖县（市、区）。",
    )
    value = models.DecimalField(
        "数值",
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_INDICATOR_VALUE)],
    )
    qualifier = models.CharField(
        "限定词", max_length=8, choices=QualifierChoices.choices, default=QualifierChoices.NONE, blank=True
    )
    comment = models.TextField("说明", blank=True)
    previous_value = models.DecimalField(
        "上期值", max_digits=20, decimal_places=4, null=True, blank=True, editable=False
    )
    needs_comment = models.BooleanField("须填写说明", default=False, editable=False)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "报送数值"
        verbose_name_plural = "报送数值"
        ordering = ["submission", "indicator", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator", "region"],
                name="%(app_label)s_%(class)s_unique_region",
                violation_error_message="该地区本指标的数值已存在。",
            ),
            choice_constraint("qualifier", QualifierChoices, "qualifier_valid", "限定词无效。"),
        ]

    def __str__(self):
        return f"{self.indicator} · {self.region}"

    def clean(self):
        if self.submission_id and self.region_id:
            city_id = self.submission.city_id
            if self.region_id != city_id and self.region.parent_id != city_id:
                raise ValidationError({"region": f"地区须为{self.submission.city.name}或其所辖县（市、区）。"})


class LockException(TimestampedModel):
    """DHIS2's lock exception: a city may still enter a closed round's values until a date."""

    city_scope = "city"
    city_scope_fields_province_only = ("city",)

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="lock_exceptions", verbose_name="填报任务")
    city = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="lock_exceptions",
        verbose_name="城市",
        limit_choices_to=CITY_LEVEL,
    )
    until = models.DateField("有效期至", validators=[validate_plausible_date])
    reason = models.TextField("理由")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="授予人",
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "补报例外"
        verbose_name_plural = "补报例外"
        ordering = ["round", "city__code", "-until"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="%(app_label)s_%(class)s_reason_given",
                violation_error_message="须填写授予例外的理由。",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.city} 至 {self.until}"
