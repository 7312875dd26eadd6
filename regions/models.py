from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from common.choices import RoleChoices
from common.models import (
    UNIQUE_NAME_MESSAGE,
    ProvenanceModel,
    ScopedManager,
    ScopedQuerySet,
    TimestampedModel,
    choice_constraint,
)
from common.scope import user_city_ids, user_role
from common.validators import validate_no_bidi_controls

from .choices import ParkKindChoices, ParkLevelChoices, RegionLevelChoices, ZoneKindChoices


class RegionQuerySet(ScopedQuerySet):
    def assignable_by(self, user):
        """The regions a user may put a city-scoped record in: all for the province, else own cities and their counties.

        The admin asks any related model for ``assignable_by`` (common.admin), so it never names Region.
        """
        if user_role(user) == RoleChoices.PROVINCE:
            return self
        ids = user_city_ids(user)
        return self.filter(Q(pk__in=ids) | Q(parent_id__in=ids, level=RegionLevelChoices.COUNTY))


class Region(TimestampedModel):
    """An administrative division by GB/T 2260 code: the province, its cities, named counties."""

    code = models.CharField("行政区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=32)
    short_name = models.CharField("简称", max_length=16, blank=True)
    level = models.CharField("层级", max_length=16, choices=RegionLevelChoices.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级区划",
    )
    boundary = models.JSONField("边界（GeoJSON 几何）", null=True, blank=True, editable=False)
    center_lon = models.DecimalField("中心经度", max_digits=9, decimal_places=6, null=True, blank=True)
    center_lat = models.DecimalField("中心纬度", max_digits=9, decimal_places=6, null=True, blank=True)

    #: Read by the maps only: lists that join regions defer it (common.models.defer_heavy_fields).
    heavy_fields = ("boundary",)
    #: The API names a region by its code, in relations too (common.api.serializers).
    api_slug_field = "code"

    objects = models.Manager.from_queryset(RegionQuerySet)()
    history = HistoricalRecords(excluded_fields=["boundary"])

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[1-9][0-9]{5}$"),
                name="%(app_label)s_%(class)s_code_gbt2260",
                violation_error_message="行政区划代码须为 6 位数字（GB/T 2260）。",
            ),
            choice_constraint("level", RegionLevelChoices, "level_valid", "层级须为省、设区市或县。"),
            models.CheckConstraint(
                condition=Q(level=RegionLevelChoices.PROVINCE, parent__isnull=True)
                | (~Q(level=RegionLevelChoices.PROVINCE) & Q(parent__isnull=False)),
                name="%(app_label)s_%(class)s_parent_by_level",
                violation_error_message="省没有上级区划；市、县必须有上级区划。",
            ),
        ]
        indexes = [models.Index(fields=["level", "code"], name="regions_region_level_idx")]

    def __str__(self):
        return self.name

    @property
    def city(self):
        """The prefecture-level city this region is or belongs to (None for the province)."""
        if self.level == RegionLevelChoices.CITY:
            return self
        if self.level == RegionLevelChoices.COUNTY:
            return self.parent
        return None


class LayoutScheme(ProvenanceModel):
    """A plan's spatial layout, such as “一核两带四板块”."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="layout_schemes", verbose_name="规划")
    name = models.CharField("名称", max_length=64)
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "空间布局"
        verbose_name_plural = "空间布局"
        ordering = ["plan", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "name"],
                name="%(app_label)s_%(class)s_unique_plan_name",
                violation_error_message="同一规划下空间布局名称不能重复。",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.plan.short_title or self.plan.title}）"


class Zone(ProvenanceModel):
    """A core, belt or block of a layout scheme, made of cities, with its focus industries."""

    scheme = models.ForeignKey(LayoutScheme, on_delete=models.CASCADE, related_name="zones", verbose_name="空间布局")
    kind = models.CharField("类型", max_length=8, choices=ZoneKindChoices.choices)
    name = models.CharField("名称", max_length=64)
    order = models.PositiveSmallIntegerField("排序", default=0)
    corridor = models.CharField("依托通道", max_length=64, blank=True, help_text="发展带依托的铁路通道，如“大西线”。")
    description = models.TextField("说明", blank=True)
    cities = models.ManyToManyField(Region, through="ZoneMembership", related_name="zones", verbose_name="城市")
    region_group = models.ForeignKey(
        "RegionGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="zones",
        verbose_name="区域分组",
        help_text="原文以区域（如“晋北”）命名分区时，其城市取自该分组。",
    )
    industries = models.ManyToManyField("plans.Industry", blank=True, related_name="zones", verbose_name="重点产业")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "布局分区"
        verbose_name_plural = "布局分区"
        ordering = ["scheme", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"],
                name="%(app_label)s_%(class)s_unique_scheme_name",
                violation_error_message="同一空间布局下分区名称不能重复。",
            ),
            choice_constraint("kind", ZoneKindChoices, "kind_valid", "分区类型须为核、带或板块。"),
        ]

    def __str__(self):
        return self.name


class ZoneMembership(models.Model):
    """A city in a zone; ``inferred`` marks memberships read from a corridor's route, not quoted."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="memberships", verbose_name="分区")
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="zone_memberships",
        verbose_name="城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
    )
    inferred = models.BooleanField("推断", default=False, help_text="原文未直接列出，由通道走向推断。")
    note = models.CharField("说明", max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "分区城市"
        verbose_name_plural = "分区城市"
        ordering = ["zone", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "region"],
                name="%(app_label)s_%(class)s_unique_zone_region",
                violation_error_message="该城市已在此分区中。",
            ),
        ]

    def __str__(self):
        return f"{self.zone} · {self.region}"


class Park(ProvenanceModel):
    """A development zone or industrial park (开发区 / 园区)."""

    city_scope = "city"

    name = models.CharField(
        "名称",
        max_length=128,
        unique=True,
        validators=[validate_no_bidi_controls],
        error_messages={"unique": UNIQUE_NAME_MESSAGE},
    )
    short_name = models.CharField("简称", max_length=64, blank=True)
    level = models.CharField("级别", max_length=16, choices=ParkLevelChoices.choices, default=ParkLevelChoices.OTHER)
    kind = models.CharField("类型", max_length=16, choices=ParkKindChoices.choices, default=ParkKindChoices.OTHER)
    city = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="parks",
        verbose_name="所在城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
    )
    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="county_parks",
        verbose_name="所在县（市、区）",
        limit_choices_to={"level": RegionLevelChoices.COUNTY},
    )
    industries = models.ManyToManyField("plans.Industry", blank=True, related_name="parks", verbose_name="主导产业")
    description = models.TextField("说明", blank=True)

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "开发区/园区"
        verbose_name_plural = "开发区/园区"
        ordering = ["city__code", "name"]
        constraints = [
            choice_constraint("level", ParkLevelChoices, "level_valid", "园区级别无效。"),
            choice_constraint("kind", ParkKindChoices, "kind_valid", "园区类型无效。"),
        ]

    def __str__(self):
        return self.name


class RegionGroup(ProvenanceModel):
    """A named set of cities the documents use (晋北, 晋东南 …); province-wide, like the regions themselves.

    The quote is where a document defines the group; where none does, the memberships are
    ``inferred`` and the note says from what.
    """

    name = models.CharField("名称", max_length=32, unique=True, validators=[validate_no_bidi_controls])
    cities = models.ManyToManyField(
        Region, through="RegionGroupMembership", related_name="region_groups", verbose_name="城市"
    )
    note = models.TextField("说明", blank=True, help_text="分组依据；原文未列出城市时说明推断来源。")

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "区域分组"
        verbose_name_plural = "区域分组"
        ordering = ["name"]

    def __str__(self):
        return self.name


class RegionGroupMembership(models.Model):
    """A city in a region group; ``inferred`` marks cities no document lists for the group."""

    group = models.ForeignKey(RegionGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name="分组")
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="region_group_memberships",
        verbose_name="城市",
        limit_choices_to={"level": RegionLevelChoices.CITY},
    )
    inferred = models.BooleanField("推断", default=False, help_text="原文未直接列出，按地理方位推断。")
    note = models.CharField("说明", max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "区域分组城市"
        verbose_name_plural = "区域分组城市"
        ordering = ["group", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "region"],
                name="%(app_label)s_%(class)s_unique_group_region",
                violation_error_message="该城市已在此分组中。",
            ),
        ]

    def __str__(self):
        return f"{self.group} · {self.region}"

    def clean(self):
        super().clean()
        if self.region_id is not None and self.region.level != RegionLevelChoices.CITY:
            raise ValidationError({"region": "区域分组只能包含设区市。"})
