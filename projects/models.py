from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.models import ProvenanceModel, ScopedManager, TimestampedModel, choice_constraint, year_range_q
from common.validators import (
    MAX_CAPACITY,
    MAX_INVESTMENT,
    MagnitudeValidator,
    validate_no_bidi_controls,
    validate_plausible_date,
)
from regions.choices import RegionLevelChoices

from .choices import BaseKindChoices, EnterpriseKindChoices, ProjectStageChoices


class Enterprise(ProvenanceModel):
    """An enterprise or research institution; short names live in EnterpriseAlias."""

    city_scope = "city"

    name = models.CharField("全称", max_length=128, unique=True, validators=[validate_no_bidi_controls])
    kind = models.CharField(
        "类型", max_length=16, choices=EnterpriseKindChoices.choices, default=EnterpriseKindChoices.OTHER
    )
    city = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name="所在城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
        help_text="不填表示省属或所在城市不详，全省可见。",
    )
    county = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="county_enterprises",
        verbose_name="所在县（市、区）",
        limit_choices_to={"level": RegionLevelChoices.COUNTY},
    )
    industries = models.ManyToManyField(
        "plans.Industry", blank=True, related_name="enterprises", verbose_name="所属产业"
    )
    is_leading = models.BooleanField("龙头企业", default=False)
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        constraints = [
            choice_constraint("kind", EnterpriseKindChoices, "kind_valid", "企业类型无效。"),
        ]

    def __str__(self):
        return self.name


class EnterpriseAlias(models.Model):
    """A short name the plans use for an enterprise (太重 → 太原重型机械集团有限公司)."""

    city_scope = "enterprise__city"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="aliases", verbose_name="企业")
    alias = models.CharField("简称", max_length=64, unique=True, validators=[validate_no_bidi_controls])

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "企业简称"
        verbose_name_plural = "企业简称"
        ordering = ["alias"]

    def __str__(self):
        return self.alias


class IndustryBase(ProvenanceModel):
    """An industry base, cluster, R&D centre or park cluster that a plan designates."""

    city_scope = "cities"
    city_scope_fields_province_only = ("cities",)
    # On a base of several cities, city staff maintain only their links (common.scope).
    city_shared_fields = ("parks", "anchors")

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="bases", verbose_name="规划")
    key = models.SlugField("编号", max_length=64, help_text="在本规划中唯一的英文短标识。")
    name = models.CharField("名称", max_length=128, validators=[validate_no_bidi_controls])
    kind = models.CharField("类型", max_length=16, choices=BaseKindChoices.choices, default=BaseKindChoices.BASE)
    industry = models.ForeignKey(
        "plans.Industry", on_delete=models.PROTECT, null=True, blank=True, related_name="bases", verbose_name="产业"
    )
    key_area = models.ForeignKey(
        "plans.KeyArea", on_delete=models.SET_NULL, null=True, blank=True, related_name="bases", verbose_name="重点领域"
    )
    cities = models.ManyToManyField("regions.Region", blank=True, related_name="bases", verbose_name="城市/县")
    parks = models.ManyToManyField("regions.Park", blank=True, related_name="bases", verbose_name="载体园区")
    anchors = models.ManyToManyField(Enterprise, blank=True, related_name="anchored_bases", verbose_name="依托企业")
    revenue_target = models.DecimalField(
        "销售收入目标（亿元）",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_INVESTMENT)],
    )
    revenue_target_year = models.PositiveSmallIntegerField("目标年份", null=True, blank=True)
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "产业基地"
        verbose_name_plural = "产业基地"
        ordering = ["plan", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "key"],
                name="%(app_label)s_%(class)s_unique_plan_key",
                violation_error_message="同一规划下基地编号不能重复。",
            ),
            models.CheckConstraint(
                condition=Q(revenue_target__isnull=True) | Q(revenue_target__gte=0),
                name="%(app_label)s_%(class)s_revenue_nonnegative",
                violation_error_message="销售收入目标不能为负数。",
            ),
            models.CheckConstraint(
                condition=year_range_q("revenue_target_year"),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="目标年份须在 1949 至 2100 年之间。",
            ),
            models.CheckConstraint(
                condition=Q(revenue_target__isnull=True) | Q(revenue_target_year__isnull=False),
                name="%(app_label)s_%(class)s_revenue_has_year",
                violation_error_message="填写销售收入目标时须同时填写目标年份。",
            ),
            choice_constraint("kind", BaseKindChoices, "kind_valid", "基地类型无效。"),
        ]

    def __str__(self):
        return self.name


class KeyProject(ProvenanceModel):
    """A named key project and the stage it has reached (签约 → 开工 → 投产 …)."""

    city_scope = "city"

    name = models.CharField("项目名称", max_length=255, unique=True, validators=[validate_no_bidi_controls])
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.SET_NULL, null=True, blank=True, related_name="projects", verbose_name="所属规划"
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="projects", verbose_name="建设单位"
    )
    industry = models.ForeignKey(
        "plans.Industry", on_delete=models.PROTECT, null=True, blank=True, related_name="projects", verbose_name="产业"
    )
    city = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name="所在城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
    )
    county = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="county_projects",
        verbose_name="所在县（市、区）",
        limit_choices_to={"level": RegionLevelChoices.COUNTY},
    )
    park = models.ForeignKey(
        "regions.Park",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="所在园区",
    )
    base = models.ForeignKey(
        IndustryBase, on_delete=models.SET_NULL, null=True, blank=True, related_name="projects", verbose_name="所属基地"
    )
    capacity = models.CharField("建设规模", max_length=255, blank=True, help_text="原文表述，如“年产60万吨烯烃”。")
    capacity_value = models.DecimalField(
        "产能数值",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_CAPACITY)],
    )
    capacity_unit = models.CharField("产能单位", max_length=32, blank=True)
    total_investment = models.DecimalField(
        "总投资（亿元）",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_INVESTMENT)],
    )
    stage = models.CharField(
        "阶段", max_length=16, choices=ProjectStageChoices.choices, default=ProjectStageChoices.PLANNED
    )
    signed_on = models.DateField("签约日期", null=True, blank=True, validators=[validate_plausible_date])
    started_on = models.DateField("开工日期", null=True, blank=True, validators=[validate_plausible_date])
    production_on = models.DateField("投产日期", null=True, blank=True, validators=[validate_plausible_date])
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "重点项目"
        verbose_name_plural = "重点项目"
        ordering = ["-updated", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__isnull=True) | Q(total_investment__gte=0),
                name="%(app_label)s_%(class)s_investment_nonnegative",
                violation_error_message="总投资不能为负数。",
            ),
            models.CheckConstraint(
                condition=Q(capacity_value__isnull=True) | Q(capacity_value__gte=0),
                name="%(app_label)s_%(class)s_capacity_nonnegative",
                violation_error_message="产能不能为负数。",
            ),
            choice_constraint("stage", ProjectStageChoices, "stage_valid", "项目阶段无效。"),
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True) | Q(started_on__isnull=True) | Q(signed_on__lte=F("started_on")),
                name="%(app_label)s_%(class)s_signed_before_started",
                violation_error_message="签约日期不能晚于开工日期。",
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(production_on__isnull=True)
                | Q(started_on__lte=F("production_on")),
                name="%(app_label)s_%(class)s_started_before_production",
                violation_error_message="开工日期不能晚于投产日期。",
            ),
        ]
        indexes = [
            # The project list's usual filters; the included columns let a page's keys and the
            # count come from the index alone (common.api.pagination: the page's rows are read by key).
            models.Index(
                fields=["city", "stage", "industry"],
                include=["total_investment", "updated", "id"],
                name="projects_project_city_list",
            ),
            models.Index(fields=["industry", "stage"], name="projects_project_ind_stage"),
            models.Index(fields=["stage"], name="projects_project_stage"),
            models.Index(fields=["-updated", "name"], name="projects_project_order"),
        ]

    def __str__(self):
        return self.name


class ProjectReport(TimestampedModel):
    """A monthly progress report of a key project."""

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="reports", verbose_name="项目")
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    stage = models.CharField("阶段", max_length=16, choices=ProjectStageChoices.choices)
    investment_completed = models.DecimalField(
        "本期完成投资（亿元）",
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MagnitudeValidator(MAX_INVESTMENT)],
    )
    note = models.TextField("进展说明", blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_reports",
        verbose_name="填报人",
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目进展报告"
        verbose_name_plural = "项目进展报告"
        ordering = ["-year", "-month", "project"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year", "month"],
                name="%(app_label)s_%(class)s_unique_period",
                violation_error_message="该项目本期进展报告已存在。",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12),
                name="%(app_label)s_%(class)s_month_valid",
                violation_error_message="月份须在 1 至 12 之间。",
            ),
            models.CheckConstraint(
                condition=year_range_q("year", low=2000, high=2100, nullable=False),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="年份须在 2000 至 2100 年之间。",
            ),
            models.CheckConstraint(
                condition=Q(investment_completed__gte=0),
                name="%(app_label)s_%(class)s_investment_nonnegative",
                violation_error_message="完成投资不能为负数。",
            ),
            choice_constraint("stage", ProjectStageChoices, "stage_valid", "项目阶段无效。"),
        ]
        indexes = [models.Index(fields=["year", "month"], name="projects_report_period")]

    def __str__(self):
        return f"{self.project} {self.year}年{self.month}月"
