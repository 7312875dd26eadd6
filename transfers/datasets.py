"""What can be imported and exported: one ``Dataset`` per kind, its Chinese columns and natural key.

A column knows its header, the model field it fills, how to read a cell (raising ``CellError``
with a message a clerk understands) and how to write the field back, so that export → edit →
import round-trips. The import engine (``transfers.services``) is the same for every kind.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters import FilterSet

from common.models import defer_heavy_fields
from common.scope import HIDDEN_RECORD_LABEL, referenceable_queryset, shown_name
from common.tables import unescape_formula
from common.validators import (
    MAX_CAPACITY,
    MAX_INDICATOR_VALUE,
    MAX_INVESTMENT,
    MagnitudeValidator,
    validate_plausible_date,
)
from jobs.choices import DatasetChoices
from plans.choices import ObservationStatusChoices, QualifierChoices
from plans.filtersets import ObservationFilterSet
from plans.models import Indicator, Industry, Observation, Plan, Target
from plans.services import observation_create, observation_create_many, observation_update
from projects.choices import EnterpriseKindChoices, ProjectStageChoices
from projects.filtersets import EnterpriseFilterSet, KeyProjectFilterSet, ProjectReportFilterSet
from projects.models import Enterprise, KeyProject, ProjectReport
from projects.services import (
    enterprise_create,
    enterprise_update,
    key_project_create,
    key_project_create_many,
    key_project_update,
    project_report_create,
    project_report_create_many,
    project_report_update,
)
from regions.choices import RegionLevelChoices
from regions.models import Park, Region

LIST_SEPARATOR = "、"
QUARTER_LABELS = {"全年": 0, "一季度": 1, "二季度": 2, "三季度": 3, "四季度": 4}


class CellError(Exception):
    """One cell is wrong; the message says what, without the row and column (added by the caller)."""


class Lookups:
    """Finds the records that cells name (cities, industries, enterprises …), with a cache per import."""

    def __init__(self, user):
        self.user = user
        self._cache: dict[tuple, object] = {}
        regions = list(Region.objects.all())
        self.regions_by_code = {r.code: r for r in regions}
        self.cities = {}
        for region in regions:
            if region.level in (RegionLevelChoices.CITY, RegionLevelChoices.PROVINCE):
                for name in {region.code, region.name, region.short_name} - {""}:
                    self.cities[name] = region
        self.counties = [r for r in regions if r.level == RegionLevelChoices.COUNTY]
        industries = list(Industry.objects.all())
        names = [i.name for i in industries]
        self.industries = {i.code: i for i in industries}
        self.industry_names = {i.name: i for i in industries if names.count(i.name) == 1}
        self.ambiguous_industry_names = {n for n in names if names.count(n) > 1}

    def referenceable(self, queryset):
        """What the importing user may name in a cell: a record they may not see is "not found" (common.scope)."""
        return queryset if self.user is None else referenceable_queryset(queryset, self.user)

    def cached(self, key: tuple, find: Callable[[], object]):
        if key not in self._cache:
            self._cache[key] = find()
        return self._cache[key]

    def city(self, text: str, *, allow_province: bool = False) -> Region:
        region = self.cities.get(text) or self.cities.get(text.removesuffix("市"))
        if region is None or (region.level == RegionLevelChoices.PROVINCE and not allow_province):
            raise CellError(f"未找到城市「{text}」，请填写设区市的名称（如 太原市）或 6 位行政区划代码（如 140100）。")
        return region

    def county(self, text: str, city: Region | None) -> Region:
        matches = [c for c in self.counties if text in (c.code, c.name) and (city is None or c.parent_id == city.pk)]
        if len(matches) != 1:
            where = f"{city.name}下" if city else ""
            raise CellError(f"未找到{where}的县（市、区）「{text}」，请填写名称或 6 位行政区划代码。")
        return matches[0]

    def industry(self, text: str) -> Industry:
        if text in self.industries:
            return self.industries[text]
        if text in self.ambiguous_industry_names:
            raise CellError(f"产业名称「{text}」对应多个分类，请改填分类代码。")
        if text not in self.industry_names:
            raise CellError(f"未找到产业「{text}」，请填写产业分类的名称或代码。")
        return self.industry_names[text]

    def enterprise(self, text: str) -> Enterprise:
        found = self.cached(
            ("enterprise", text),
            lambda: (
                self.referenceable(Enterprise.objects.filter(Q(name=text) | Q(aliases__alias=text))).distinct().first()
            ),
        )
        if found is None:
            raise CellError(f"未找到企业「{text}」，请填写企业全称或已登记的简称，或先导入该企业。")
        return found

    def park(self, text: str) -> Park:
        found = self.cached(
            ("park", text), lambda: self.referenceable(Park.objects.filter(Q(name=text) | Q(short_name=text))).first()
        )
        if found is None:
            raise CellError(f"未找到开发区/园区「{text}」，请填写园区全称。")
        return found

    def plan(self, text: str) -> Plan:
        found = self.cached(
            ("plan", text), lambda: Plan.objects.filter(Q(code=text) | Q(short_title=text) | Q(title=text)).first()
        )
        if found is None:
            raise CellError(f"未找到规划「{text}」，请填写规划编号（如 sx-14th-sei）或简称。")
        return found

    def indicator(self, text: str) -> Indicator:
        found = self.cached(("indicator", text), lambda: Indicator.objects.filter(Q(key=text) | Q(name=text)).first())
        if found is None:
            raise CellError(f"未找到指标「{text}」，请填写指标库中的指标编号或名称。")
        return found

    def project(self, text: str) -> KeyProject:
        found = self.cached(
            ("project", text),
            lambda: self.referenceable(KeyProject.objects.select_related("city").filter(name=text)).first(),
        )
        if found is None:
            raise CellError(f"未找到项目「{text}」，请先导入该项目。")
        return found

    def target(self, text: str) -> Target:
        plan_code, _, key = text.partition("/")
        found = self.cached(("target", text), lambda: Target.objects.filter(plan__code=plan_code, key=key).first())
        if found is None:
            raise CellError(f"未找到指标「{text}」，请按“规划编号/指标编号”填写，如 sx-14th-sei/share。")
        return found


# Cell readers: raw cell value (str, int, float, date or None) → field value, or CellError.


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("="):
        raise CellError("不接受公式，请填写数值或文字。")
    return unescape_formula(text)


def read_text(value, lookups, row) -> str:
    return _text(value)


def decimal_reader(*, maximum: Decimal | None = None, negative: bool = False):
    def read(value, lookups, row):
        text = _text(value).replace(",", "").replace("，", "")
        if text == "":
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"「{text[:20]}」不是有效的数字。") from None
        if not number.is_finite():
            raise CellError(f"「{text[:20]}」不是有效的数字（不接受 NaN、无穷大）。")
        if number < 0 and not negative:
            raise CellError("不能为负数。")
        if maximum is not None:
            try:
                MagnitudeValidator(maximum)(number)
            except ValidationError as exc:
                # The model's message, quoting the cell as the clerk typed it.
                raise CellError(exc.message % {**exc.params, "value": text[:20]}) from None
        return number

    return read


def integer_reader(low: int, high: int, labels: dict[str, int] | None = None):
    def read(value, lookups, row):
        text = _text(value)
        if text == "":
            return None
        if labels and text in labels:
            return labels[text]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"「{text[:20]}」不是有效的整数。") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise CellError(f"「{text[:20]}」不是有效的整数。")
        if not low <= number <= high:
            raise CellError(f"应在 {low} 至 {high} 之间，实际为 {text[:20]}。")
        return int(number)

    return read


def read_date(value, lookups, row) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        text = _text(value)
        if text == "":
            return None
        normalised = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
        try:
            year, month, day = (int(part) for part in normalised.split("-"))
            value = datetime.date(year, month, day)
        except (ValueError, OverflowError):
            raise CellError(f"「{text[:20]}」不是有效的日期，请按 2024-03-01 的格式填写。") from None
    try:
        validate_plausible_date(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None
    return value


def choice_reader(choices):
    by_text = {**{label: value for value, label in choices.choices}, **{value: value for value in choices.values}}

    def read(value, lookups, row):
        text = _text(value)
        if text == "":
            return None
        if text not in by_text:
            raise CellError(f"「{text[:20]}」不是有效的选项，可选：{'、'.join(choices.labels)}。")
        return by_text[text]

    return read


def read_bool(value, lookups, row) -> bool | None:
    text = _text(value)
    if text == "":
        return None
    if text in ("是", "Y", "y", "1", "TRUE", "True", "true"):
        return True
    if text in ("否", "N", "n", "0", "FALSE", "False", "false"):
        return False
    raise CellError(f"「{text[:20]}」应填“是”或“否”。")


#: What a cell read as HIDDEN_RECORD_LABEL gives: the record keeps the link it has (an export names a
#: linked record of another city so; importing the file back changes nothing there).
KEEP_LINK = object()


def lookup_reader(method: str, **kwargs):
    def read(value, lookups, row):
        text = _text(value)
        if text == HIDDEN_RECORD_LABEL:
            return KEEP_LINK
        return getattr(lookups, method)(text, **kwargs) if text else None

    return read


def read_county(value, lookups, row):
    text = _text(value)
    city = row.get("city") or row.get("scope")
    return lookups.county(text, city) if text else None


def read_industries(value, lookups, row) -> list[Industry]:
    return [lookups.industry(part) for part in _split(_text(value))]


def read_aliases(value, lookups, row) -> list[str]:
    aliases = _split(_text(value))
    if len(set(aliases)) != len(aliases):
        raise CellError("简称有重复。")
    return aliases


def _split(text: str) -> list[str]:
    return [
        part.strip()
        for part in text.replace(",", LIST_SEPARATOR).replace("，", LIST_SEPARATOR).split(LIST_SEPARATOR)
        if part.strip()
    ]


# Cell writers: record → cell value in an export.


def attr(name: str):
    return lambda obj: getattr(obj, name)


def related_attr(name: str, attribute: str):
    def write(obj):
        related = getattr(obj, name)
        return getattr(related, attribute) if related is not None else None

    return write


class LinkedName:
    """An export cell naming a linked city-scoped record: HIDDEN_RECORD_LABEL if the exporting user may not see it."""

    def __init__(self, name: str, attribute: str = "name"):
        self.name, self.attribute = name, attribute

    def __call__(self, obj, user):
        return shown_name(user, getattr(obj, self.name), self.attribute)


def display(name: str):
    return lambda obj: getattr(obj, f"get_{name}_display")()


def write_decimal(name: str):
    def write(obj):
        value = getattr(obj, name)
        return None if value is None else float(value) if math.isfinite(value) else str(value)

    return write


@dataclass
class Column:
    header: str
    field: str
    read: Callable = read_text
    write: Callable | None = None
    required: bool = False
    help: str = ""

    def render(self, obj, user=None):
        if isinstance(self.write, LinkedName):
            return self.write(obj, user)
        return (self.write or attr(self.field))(obj)


@dataclass
class Dataset:
    """One importable kind: its model, columns, natural key and export queryset."""

    name: str
    model: type
    columns: list[Column]
    key: tuple[str, ...]
    #: The column that carries the record's city (for scope errors).
    scope_field: str
    #: The app's services that write a row: ``create(*, user, data)``, ``update(*, instance, user, data)``.
    create: Callable
    update: Callable
    #: The model's FilterSet, so that exports filter like the API lists.
    filterset: type[FilterSet]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)
    #: The app's batched create (``..._create_many(*, user, rows)``) for kinds whose new rows are
    #: created in batches; None: every new row goes through ``create``.
    create_many: Callable | None = None

    @property
    def label(self) -> str:
        return DatasetChoices(self.name).label

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column_for(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    def export_queryset(self, user):
        # The regions' map outlines are never exported: not read either.
        return defer_heavy_fields(
            self.model.objects.for_user(user)
            .select_related(*self.select_related)
            .prefetch_related(*self.prefetch_related)
            .order_by("pk")
        )

    def identity(self, values: dict) -> tuple:
        return tuple(getattr(values[name], "pk", values[name]) for name in self.key)

    def existing(self, rows: list[dict], chunk: int = 1000) -> dict[tuple, object]:
        """The records already stored under these rows' natural keys, whoever's they are (scope is the caller's)."""
        first = self.key[0]
        attnames = [self.model._meta.get_field(name).attname for name in self.key]
        wanted = list({getattr(values[first], "pk", values[first]) for values in rows})
        found = {}
        queryset = self.model._default_manager.select_related(*self.select_related, self.model.city_scope)
        queryset = queryset.prefetch_related(*self.prefetch_related)
        for start in range(0, len(wanted), chunk):
            for obj in queryset.filter(**{f"{attnames[0]}__in": wanted[start : start + chunk]}):
                found[tuple(getattr(obj, name) for name in attnames)] = obj
        return found

    def key_text(self, values: dict) -> str:
        return " / ".join(str(getattr(values[name], "name", values[name])) for name in self.key)


def _region_name(name: str):
    return related_attr(name, "name")


PROJECTS = Dataset(
    name=DatasetChoices.PROJECTS,
    filterset=KeyProjectFilterSet,
    model=KeyProject,
    key=("name",),
    scope_field="city",
    create=key_project_create,
    update=key_project_update,
    create_many=key_project_create_many,
    select_related=("city", "county", "enterprise__city", "industry", "plan", "park__city"),
    columns=[
        Column("项目名称", "name", required=True, help="必填；按项目名称识别，已存在则更新。"),
        Column(
            "所在城市（代码或名称）",
            "city",
            lookup_reader("city"),
            _region_name("city"),
            required=True,
            help="如 太原市 或 140100。",
        ),
        Column("所在县（市、区）", "county", read_county, _region_name("county"), help="须属于所在城市。"),
        Column(
            "建设单位",
            "enterprise",
            lookup_reader("enterprise"),
            LinkedName("enterprise"),
            help="企业全称或已登记的简称。",
        ),
        Column("产业（代码或名称）", "industry", lookup_reader("industry"), related_attr("industry", "name")),
        Column(
            "所属规划（编号）", "plan", lookup_reader("plan"), related_attr("plan", "code"), help="如 sx-14th-sei。"
        ),
        Column("所在园区", "park", lookup_reader("park"), LinkedName("park")),
        Column("建设规模", "capacity", help="原文表述，如“年产60万吨烯烃”。"),
        Column("产能数值", "capacity_value", decimal_reader(maximum=MAX_CAPACITY), write_decimal("capacity_value")),
        Column("产能单位", "capacity_unit"),
        Column(
            "总投资（亿元）",
            "total_investment",
            decimal_reader(maximum=MAX_INVESTMENT),
            write_decimal("total_investment"),
            help="单位：亿元，不能为负数。",
        ),
        Column(
            "阶段",
            "stage",
            choice_reader(ProjectStageChoices),
            display("stage"),
            help="谋划、签约、开工、投产、达产或取消。",
        ),
        Column("签约日期", "signed_on", read_date, help="如 2024-03-01。"),
        Column("开工日期", "started_on", read_date),
        Column("投产日期", "production_on", read_date),
        Column("说明", "description"),
    ],
)

REPORTS = Dataset(
    name=DatasetChoices.REPORTS,
    filterset=ProjectReportFilterSet,
    model=ProjectReport,
    key=("project", "year", "month"),
    scope_field="project",
    create=project_report_create,
    update=project_report_update,
    create_many=project_report_create_many,
    select_related=("project",),
    columns=[
        Column(
            "项目名称",
            "project",
            lookup_reader("project"),
            related_attr("project", "name"),
            required=True,
            help="须为已登记的重点项目。",
        ),
        Column("年份", "year", integer_reader(2000, 2100), required=True),
        Column("月份", "month", integer_reader(1, 12), required=True),
        Column(
            "阶段",
            "stage",
            choice_reader(ProjectStageChoices),
            display("stage"),
            required=True,
            help="谋划、签约、开工、投产、达产或取消。",
        ),
        Column(
            "本期完成投资（亿元）",
            "investment_completed",
            decimal_reader(maximum=MAX_INVESTMENT),
            write_decimal("investment_completed"),
            help="单位：亿元，不能为负数。",
        ),
        Column("进展说明", "note"),
    ],
)

OBSERVATIONS = Dataset(
    name=DatasetChoices.OBSERVATIONS,
    filterset=ObservationFilterSet,
    model=Observation,
    key=("indicator", "scope", "year", "quarter", "month", "source_plan", "source"),
    scope_field="scope",
    create=observation_create,
    update=observation_update,
    create_many=observation_create_many,
    select_related=("scope", "indicator", "source_plan"),
    defaults={"quarter": 0, "month": 0, "source_plan": None, "source": ""},
    columns=[
        Column(
            "指标（编号或名称）",
            "indicator",
            lookup_reader("indicator"),
            related_attr("indicator", "name"),
            required=True,
            help="指标库中的指标，如 战略性新兴产业增加值占地区生产总值比重。",
        ),
        Column(
            "范围（城市代码或名称）",
            "scope",
            lookup_reader("city", allow_province=True),
            _region_name("scope"),
            required=True,
            help="山西省、太原市或 140100 等。",
        ),
        Column("年份", "year", integer_reader(1949, 2100), required=True),
        Column(
            "季度",
            "quarter",
            integer_reader(0, 4, QUARTER_LABELS),
            display("quarter"),
            help="全年、一季度…四季度，或 0–4；不填为全年。",
        ),
        Column("月份", "month", integer_reader(0, 12), help="1–12；不填为全年或季度数据。季度和月份不能同时填写。"),
        Column(
            "数值",
            "value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("value"),
            required=True,
        ),
        Column(
            "限定词",
            "qualifier",
            choice_reader(QualifierChoices),
            display("qualifier"),
            help="原文对数值的限定：以上、超过、左右、约、接近、突破、不足；没有则不填。",
        ),
        Column(
            "数据状态",
            "status",
            choice_reader(ObservationStatusChoices),
            display("status"),
            help="初步、正式或修订；不填为正式。",
        ),
        Column(
            "来源规划（编号）",
            "source_plan",
            lookup_reader("plan"),
            related_attr("source_plan", "code"),
            help="数值出自某一规划文件时填写，如 sx-14th-sei。",
        ),
        Column("数据来源", "source", help="如 2023年山西省国民经济和社会发展统计公报。"),
    ],
)

ENTERPRISES = Dataset(
    name=DatasetChoices.ENTERPRISES,
    filterset=EnterpriseFilterSet,
    model=Enterprise,
    key=("name",),
    scope_field="city",
    create=enterprise_create,
    update=enterprise_update,
    select_related=("city", "county"),
    prefetch_related=("aliases", "industries"),
    columns=[
        Column("企业全称", "name", required=True, help="必填；按全称识别，已存在则更新。"),
        Column(
            "简称（以、分隔）",
            "aliases",
            read_aliases,
            lambda obj: LIST_SEPARATOR.join(a.alias for a in obj.aliases.all()),
        ),
        Column(
            "类型",
            "kind",
            choice_reader(EnterpriseKindChoices),
            display("kind"),
            help="国有企业、民营企业、外资企业、科研院所/高校或其他。",
        ),
        Column(
            "所在城市（代码或名称）",
            "city",
            lookup_reader("city"),
            _region_name("city"),
            help="不填表示省属或所在城市不详。",
        ),
        Column("所在县（市、区）", "county", read_county, _region_name("county")),
        Column(
            "所属产业（以、分隔）",
            "industries",
            read_industries,
            lambda obj: LIST_SEPARATOR.join(i.name for i in obj.industries.all()),
        ),
        Column("龙头企业（是/否）", "is_leading", read_bool, lambda obj: "是" if obj.is_leading else "否"),
        Column("说明", "description"),
    ],
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (PROJECTS, REPORTS, OBSERVATIONS, ENTERPRISES)}

#: Fields filled outside the model's own columns (an enterprise's short names), written by the engine.
ALIASES = "aliases"
