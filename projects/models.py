from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.models import (
    UNIQUE_ALIAS_MESSAGE,
    UNIQUE_NAME_MESSAGE,
    ProvenanceModel,
    ScopedManager,
    TimestampedModel,
    choice_constraint,
    year_range_q,
)
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

    name = models.CharField(
        "全称",
        max_length=128,
        unique=True,
        validators=[validate_no_bidi_controls],
        error_messages={"unique": UNIQUE_NAME_MESSAGE},
    )
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
    alias = models.CharField(
        "简称",
        max_length=64,
        unique=True,
        validators=[validate_no_bidi_controls],
        error_messages={"unique": UNIQUE_ALIAS_MESSAGE},
    )

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
    cities = models.ManyToManyField(
        "regions.Region", through="BaseCity", blank=True, related_name="bases", verbose_name="城市/县"
    )
    region_group = models.ForeignKey(
        "regions.RegionGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bases",
        verbose_name="区域分组",
        help_text="原文以区域命名基地（如“晋北…基地”）时，其城市取自该分组。",
    )
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


class BaseCity(models.Model):
    """A city or county of a base; ``inferred`` marks places the text does not name (from a region group).

    Province-wide to write (no ``city_scope``), as a base's cities are for provincial staff to set.
    """

    base = models.ForeignKey(IndustryBase, on_delete=models.CASCADE, related_name="city_links", verbose_name="基地")
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="base_links", verbose_name="城市/县"
    )
    inferred = models.BooleanField("推断", default=False, help_text="原文未直接列出，由区域分组推断。")
    note = models.CharField("说明", max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "基地城市"
        verbose_name_plural = "基地城市"
        ordering = ["base", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "region"],
                name="%(app_label)s_%(class)s_unique_base_region",
                violation_error_message="该城市/县已在此基地中。",
            ),
        ]

    def __str__(self):
        return f"{self.base} · {self.region}"


class KeyProject(ProvenanceModel):
    """A named key project and the stage it has reached (签约 → 开工 → 投产 …)."""

    city_scope = "city"

    name = models.CharField(
        "项目名称",
        max_length=255,
        unique=True,
        validators=[validate_no_bidi_controls],
        error_messages={"unique": UNIQUE_NAME_MESSAGE},
    )
    plan = models.ForeignKey(
        "plans.Plan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="所属规划",
        help_text="首先点名本项目的规划（原文摘录即出自此规划）；其他点名本项目的规划见“其他提及规划”。",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="建设单位",
        help_text="牵头建设单位；共同建设的其他单位见“合作建设单位”。",
    )
    mentioned_in = models.ManyToManyField(
        "plans.Plan",
        through="ProjectMention",
        blank=True,
        related_name="mentioned_projects",
        verbose_name="其他提及规划",
    )
    co_builders = models.ManyToManyField(
        Enterprise, through="ProjectBuilder", blank=True, related_name="co_built_projects", verbose_name="合作建设单位"
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


class ProjectMention(ProvenanceModel):
    """Another plan naming a project, with that plan's own quote (the first plan is ``KeyProject.plan``)."""

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="mentions", verbose_name="项目")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, related_name="project_mentions", verbose_name="规划"
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目提及"
        verbose_name_plural = "项目提及"
        ordering = ["project", "plan"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "plan"],
                name="%(app_label)s_%(class)s_unique_project_plan",
                violation_error_message="该规划对此项目的提及已存在。",
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.plan}"

    def clean(self):
        super().clean()
        if self.project_id is not None and self.plan_id is not None and self.project.plan_id == self.plan_id:
            raise ValidationError({"plan": "该规划已是项目的所属规划。"})


class ProjectBuilder(TimestampedModel):
    """Another enterprise building a project together with its lead builder (``KeyProject.enterprise``)."""

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="builders", verbose_name="项目")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="project_builds", verbose_name="建设单位"
    )
    role = models.CharField("分工", max_length=64, blank=True, help_text="如“合作建设”“技术支持”。")
    order = models.PositiveSmallIntegerField("排序", default=0)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "合作建设单位"
        verbose_name_plural = "合作建设单位"
        ordering = ["project", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "enterprise"],
                name="%(app_label)s_%(class)s_unique_project_enterprise",
                violation_error_message="该单位已是此项目的建设单位。",
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.enterprise}"

    def clean(self):
        super().clean()
        if (
            self.project_id is not None
            and self.enterprise_id is not None
            and self.project.enterprise_id == self.enterprise_id
        ):
            raise ValidationError({"enterprise": "该单位已是项目的牵头建设单位。"})


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
