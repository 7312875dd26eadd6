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
    # What ``search=`` looks in, in one column (lower case): the name, the capacity, the county and the
    # names and short names of the lead and co-builders. Kept by the services (projects.search_text);
    # a trigram index (PostgreSQL, migration 0005) answers substring searches in one index scan.
    search_text = models.TextField("检索文本", blank=True, default="", db_default="", editable=False)

    objects = ScopedManager()
    history = HistoricalRecords(excluded_fields=["search_text"])

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
            # The default order, ending with the key: cursor pages (common.api.pagination.Keyset) walk it.
            models.Index(fields=["-updated", "name", "id"], name="projects_project_order_id"),
        ]

    def __str__(self):
        return self.name


class ProjectRollup(models.Model):
    """Key projects counted by plan, city, stage and industry: what the dashboards and maps show.

    Kept by the project services in the transaction of each write (``projects.rollups``) and
    rebuilt after bulk loads that bypass them (``project_rollup_rebuild``). ``plan`` None counts
    every project; a plan's rows count the projects it names (first or in a mention), so a
    project counts once in the "all" rows and once under each plan naming it. ``investment`` is
    the sum of the known amounts; the projects without one are counted in ``investment_unknown``.
    Rows that fall to zero stay (count 0) and are skipped by the reads.
    """

    city_scope = "city"

    key = models.CharField("键", max_length=64, unique=True, help_text="规划:城市:阶段:产业（0 表示全部/未分类）")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="规划"
    )
    city = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name="所在城市")
    stage = models.CharField("阶段", max_length=16, choices=ProjectStageChoices.choices)
    industry = models.ForeignKey(
        "plans.Industry", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="产业"
    )
    count = models.BigIntegerField("项目数", default=0)
    investment = models.DecimalField("已知总投资合计（亿元）", max_digits=20, decimal_places=2, default=0)
    investment_unknown = models.BigIntegerField("总投资未知的项目数", default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = "重点项目汇总"
        verbose_name_plural = "重点项目汇总"
        ordering = ["key"]
        # No CHECK on the counts: the upsert's proposed row carries a delta, negative when a project leaves.
        indexes = [models.Index(fields=["plan", "city"], name="projects_rollup_plan_city")]

    def __str__(self):
        return self.key


class ProjectFigures(models.Model):
    """A project's figures from its reports and warnings, read by the lists and dashboards in one join.

    Kept by the project services in the transaction of each write that changes reports, year plans or
    warnings (``projects.figures``) and rebuilt after bulk loads (``project_rollup_rebuild``). A project
    without a row has no report and no open warning.
    """

    project = models.OneToOneField(
        KeyProject, on_delete=models.CASCADE, primary_key=True, related_name="figures", verbose_name="项目"
    )
    completed_total = models.DecimalField(
        "累计完成投资（亿元，已知金额之和）", max_digits=20, decimal_places=2, null=True, blank=True
    )
    reports_unknown = models.IntegerField("未填金额的月报数", default=0)
    open_warnings = models.IntegerField("未解除预警数", default=0)
    red_warnings = models.IntegerField("未解除红色预警数", default=0)

    class Meta:
        verbose_name = "项目进度汇总"
        verbose_name_plural = "项目进度汇总"

    def __str__(self):
        return str(self.project_id)


class ProjectYearFigures(models.Model):
    """A project's investment of one year: the year's plan and the reports' known sum and unknown count.

    One row per project and year with a plan or a report, kept with ``ProjectFigures``.
    """

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="year_figures", verbose_name="项目")
    year = models.PositiveSmallIntegerField("年份")
    planned = models.DecimalField("本年度计划投资（亿元）", max_digits=20, decimal_places=2, null=True, blank=True)
    completed = models.DecimalField(
        "本年度已完成投资（亿元，已知金额之和）", max_digits=20, decimal_places=2, null=True, blank=True
    )
    reports_unknown = models.IntegerField("本年度未填金额的月报数", default=0)

    class Meta:
        verbose_name = "项目年度投资汇总"
        verbose_name_plural = "项目年度投资汇总"
        ordering = ["project", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="%(app_label)s_%(class)s_unique_project_year")
        ]

    def __str__(self):
        return f"{self.project_id}:{self.year}"


class DashboardChange(models.Model):
    """Writes to what the dashboards read, counted so that their answers can be cached until the next one.

    A trigger on each table the dashboards read (migration 0008) adds a row in the writer's own
    transaction (on PostgreSQL one per statement, on SQLite one per row), so a reader's snapshot
    counts exactly the writes committed before it (``projects.dashboard_cache``). The rows are
    folded into one now and then; ``weight`` keeps their number.
    """

    weight = models.BigIntegerField("写入次数", default=1)

    class Meta:
        verbose_name = "看板数据写入记录"
        verbose_name_plural = "看板数据写入记录"

    def __str__(self):
        return f"{self.pk}:{self.weight}"


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
    # Unknown stays unknown (empty), never 0: sums count the reports without an amount apart.
    investment_completed = models.DecimalField(
        "本期完成投资（亿元）",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MagnitudeValidator(MAX_INVESTMENT)],
        help_text="不详时留空（不要填 0）。",
    )
    note = models.TextField("进展说明", blank=True)
    # Monthly dispatch (issue 15): 形象进度 and the problems to coordinate. ``db_default`` lets the
    # synthetic generator's COPY leave these columns out.
    progress = models.TextField("形象进度", blank=True, default="", db_default="")
    problems = models.TextField("需协调解决的问题", blank=True, default="", db_default="")
    problem_level = models.CharField(
        "协调层级",
        max_length=16,
        choices=CoordinationLevelChoices.choices,
        blank=True,
        default="",
        db_default="",
        help_text="应由哪一级政府协调解决；填写问题时必填。",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_reports",
        verbose_name="填报人",
    )
    locked = models.BooleanField(
        "已锁定",
        default=False,
        # The database's own default too: generate_data's COPY (benchmarks) writes rows without this column.
        db_default=False,
        editable=False,
        help_text="经审核通过的调度报送，重新打开报送前不能修改或删除。",
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
                condition=Q(investment_completed__isnull=True) | Q(investment_completed__gte=0),
                name="%(app_label)s_%(class)s_investment_nonnegative",
                violation_error_message="完成投资不能为负数。",
            ),
            choice_constraint("stage", ProjectStageChoices, "stage_valid", "项目阶段无效。"),
            # Monthly dispatch (issue 15): a problem names the level that should solve it, and only then.
            models.CheckConstraint(
                condition=Q(problem_level__in=["", *CoordinationLevelChoices.values]),
                name="%(app_label)s_%(class)s_problem_level_valid",
                violation_error_message="协调层级无效。",
            ),
            models.CheckConstraint(
                condition=(Q(problems="") & Q(problem_level="")) | (~Q(problems="") & ~Q(problem_level="")),
                name="%(app_label)s_%(class)s_problem_has_level",
                violation_error_message="填写需协调解决的问题时须同时选择协调层级（反之亦然）。",
            ),
        ]
        indexes = [models.Index(fields=["year", "month"], name="projects_report_period")]

    def __str__(self):
        return f"{self.project} {self.year}年{self.month}月"


class ProjectYearPlan(TimestampedModel):
    """A project's planned investment for one year (年度计划投资): the base of 投资完成率 and 序时进度."""

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="year_plans", verbose_name="项目")
    year = models.PositiveSmallIntegerField("年份")
    planned_investment = models.DecimalField(
        "年度计划投资（亿元）",
        max_digits=14,
        decimal_places=2,
        validators=[MagnitudeValidator(MAX_INVESTMENT)],
    )
    note = models.CharField("说明", max_length=255, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度投资计划"
        verbose_name_plural = "年度投资计划"
        ordering = ["project", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="%(app_label)s_%(class)s_unique_project_year",
                violation_error_message="该项目本年度投资计划已存在。",
            ),
            models.CheckConstraint(
                condition=Q(planned_investment__gte=0),
                name="%(app_label)s_%(class)s_investment_nonnegative",
                violation_error_message="年度计划投资不能为负数。",
            ),
            models.CheckConstraint(
                condition=year_range_q("year", low=2000, high=2100, nullable=False),
                name="%(app_label)s_%(class)s_year_sane",
                violation_error_message="年份须在 2000 至 2100 年之间。",
            ),
        ]

    def __str__(self):
        return f"{self.project} {self.year}年"


class Milestone(TimestampedModel):
    """A step of a project with its planned, baseline and actual dates (OC4IDS dueDate / dateMet / status).

    ``baseline_on`` is the first planned date; the services keep it when the planned date moves
    (which needs a reason, kept in the history).
    """

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="milestones", verbose_name="项目")
    code = models.CharField("里程碑", max_length=24, choices=MilestoneCodeChoices.choices)
    name = models.CharField(
        "名称", max_length=128, blank=True, validators=[validate_no_bidi_controls], help_text="选择“其他”时必填。"
    )
    planned_on = models.DateField("计划日期", validators=[validate_plausible_date])
    baseline_on = models.DateField("基线日期", validators=[validate_plausible_date], help_text="首次填报的计划日期。")
    actual_on = models.DateField("实际日期", null=True, blank=True, validators=[validate_plausible_date])
    status = models.CharField(
        "状态", max_length=16, choices=MilestoneStatusChoices.choices, default=MilestoneStatusChoices.SCHEDULED
    )
    responsible_unit = models.CharField("责任单位", max_length=128, blank=True, validators=[validate_no_bidi_controls])
    note = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "里程碑"
        verbose_name_plural = "里程碑"
        ordering = ["project", "planned_on", "pk"]
        constraints = [
            choice_constraint("code", MilestoneCodeChoices, "code_valid", "里程碑类型无效。"),
            choice_constraint("status", MilestoneStatusChoices, "status_valid", "里程碑状态无效。"),
            models.UniqueConstraint(
                fields=["project", "code"],
                condition=~Q(code=MilestoneCodeChoices.OTHER),
                name="%(app_label)s_%(class)s_unique_project_code",
                violation_error_message="该项目已有此类里程碑。",
            ),
            models.CheckConstraint(
                condition=~Q(code=MilestoneCodeChoices.OTHER) | ~Q(name=""),
                name="%(app_label)s_%(class)s_other_has_name",
                violation_error_message="“其他”里程碑须填写名称。",
            ),
            models.CheckConstraint(
                condition=Q(actual_on__isnull=True)
                | Q(status__in=[MilestoneStatusChoices.MET, MilestoneStatusChoices.PARTIALLY_MET]),
                name="%(app_label)s_%(class)s_actual_only_when_met",
                violation_error_message="只有“已完成”或“部分完成”的里程碑才能填写实际日期。",
            ),
            models.CheckConstraint(
                condition=~Q(status=MilestoneStatusChoices.MET) | Q(actual_on__isnull=False),
                name="%(app_label)s_%(class)s_met_has_actual",
                violation_error_message="“已完成”的里程碑须填写实际日期。",
            ),
        ]
        indexes = [models.Index(fields=["status", "planned_on"], name="projects_milestone_due")]

    def __str__(self):
        return f"{self.project} · {self.label}"

    @property
    def label(self) -> str:
        return self.name if self.code == MilestoneCodeChoices.OTHER else self.get_code_display()


class Batch(TimestampedModel):
    """A “三个一批” event: on one day the province signs, starts and puts into production batches of projects."""

    name = models.CharField("名称", max_length=128, unique=True, validators=[validate_no_bidi_controls])
    held_on = models.DateField("日期", validators=[validate_plausible_date])
    note = models.TextField("说明", blank=True)
    projects = models.ManyToManyField(
        KeyProject, through="BatchProject", blank=True, related_name="batches", verbose_name="项目"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "三个一批活动"
        verbose_name_plural = "三个一批活动"
        ordering = ["-held_on", "name"]

    def __str__(self):
        return self.name


class BatchProject(TimestampedModel):
    """A project in a batch, as signed, started or put into production there."""

    city_scope = "project__city"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="entries", verbose_name="活动")
    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="batch_entries", verbose_name="项目")
    kind = models.CharField("类别", max_length=16, choices=BatchKindChoices.choices)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "三个一批项目"
        verbose_name_plural = "三个一批项目"
        ordering = ["batch", "kind", "project"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "project"],
                name="%(app_label)s_%(class)s_unique_batch_project",
                violation_error_message="该项目已在此次活动中。",
            ),
            choice_constraint("kind", BatchKindChoices, "kind_valid", "类别无效。"),
        ]

    def __str__(self):
        return f"{self.batch} · {self.get_kind_display()} · {self.project}"


class ProjectWarning(TimestampedModel):
    """A warning (预警) that a project broke a rule: one open warning per project and rule.

    Opened, escalated (yellow → red, keeping the opened date), acknowledged with a comment and
    resolved by projects.warnings / projects.services; ``figures`` are the numbers behind it.
    """

    city_scope = "project__city"

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="warnings", verbose_name="项目")
    rule = models.CharField("预警规则", max_length=24, choices=WarningRuleChoices.choices)
    level = models.CharField("预警等级", max_length=8, choices=WarningLevelChoices.choices)
    message = models.CharField("说明", max_length=255)
    figures = models.JSONField("依据数据", default=dict, blank=True)
    opened_on = models.DateField("发出日期")
    escalated_on = models.DateField("升级日期", null=True, blank=True)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="acknowledged_warnings",
        verbose_name="确认人",
    )
    comment = models.TextField("确认意见", blank=True)
    resolved_on = models.DateField("解除日期", null=True, blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["resolved_on", "-opened_on", "pk"]
        constraints = [
            choice_constraint("rule", WarningRuleChoices, "rule_valid", "预警规则无效。"),
            choice_constraint("level", WarningLevelChoices, "level_valid", "预警等级无效。"),
            models.UniqueConstraint(
                fields=["project", "rule"],
                condition=Q(resolved_on__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_rule",
                violation_error_message="该项目此规则已有未解除的预警。",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("opened_on")),
                name="%(app_label)s_%(class)s_resolved_after_opened",
                violation_error_message="解除日期不能早于发出日期。",
            ),
            models.CheckConstraint(
                condition=Q(escalated_on__isnull=True) | Q(escalated_on__gte=F("opened_on")),
                name="%(app_label)s_%(class)s_escalated_after_opened",
                violation_error_message="升级日期不能早于发出日期。",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=False) | Q(comment=""),
                name="%(app_label)s_%(class)s_comment_when_acknowledged",
                violation_error_message="确认意见只能在确认时填写。",
            ),
        ]
        indexes = [models.Index(fields=["resolved_on", "level"], name="projects_warning_open")]

    def __str__(self):
        return f"{self.project} · {self.get_rule_display()}（{self.get_level_display()}）"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None
