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
from django.db.models import Exists, F, OuterRef, Prefetch, Q
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
from monitoring.filtersets import SubmissionValueFilterSet
from monitoring.models import Round, Submission, SubmissionValue
from monitoring.selectors import submission_value_queryset
from monitoring.services import submission_value_create, submission_value_update
from plans.choices import ComparatorChoices, ObservationStatusChoices, QualifierChoices, TargetNatureChoices
from plans.filtersets import ObservationFilterSet, TargetFilterSet, TargetStepFilterSet
from plans.models import Indicator, Industry, Observation, Plan, Target, TargetStep
from plans.services import (
    observation_create,
    observation_create_many,
    observation_update,
    target_create,
    target_step_create,
    target_step_update,
    target_update,
)
from projects.choices import CoordinationLevelChoices, EnterpriseKindChoices, ProjectStageChoices
from projects.filtersets import (
    EnterpriseFilterSet,
    KeyProjectFilterSet,
    ProjectReportFilterSet,
    ProjectYearPlanFilterSet,
)
from projects.models import Enterprise, KeyProject, ProjectBuilder, ProjectMention, ProjectReport, ProjectYearPlan
from projects.services import (
    enterprise_aliases_set,
    enterprise_create,
    enterprise_update,
    key_project_builders_set,
    key_project_create,
    key_project_create_many,
    key_project_mentions_set,
    key_project_update,
    project_report_create,
    project_report_create_many,
    project_report_update,
    project_year_plan_create,
    project_year_plan_update,
)
from regions.choices import RegionLevelChoices
from regions.models import Park, Region

LIST_SEPARATOR = "、"
QUARTER_LABELS = {"全年": 0, "一季度": 1, "二季度": 2, "三季度": 3, "四季度": 4}


class CellError(Exception):
    """One cell is wrong; the message says what, without the row and column (added by the caller).

    A check of several cells together (a dataset's ``finish`` or ``resolve``) names the ``field``
    whose column the error is reported under.
    """

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


#: What ``Dataset.existing`` gives for a natural key that more than one stored record has.
AMBIGUOUS = object()


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
            raise CellError(f"未找到规划「{text}」，请填写规划简称或标题（如 十四五战新规划），也可填写规划编号。")
        return found

    def indicator(self, text: str) -> Indicator:
        found = self.cached(
            ("indicator", text),
            lambda: Indicator.objects.filter(Q(key=text) | Q(name=text) | Q(national_code=text)).first(),
        )
        if found is None:
            raise CellError(f"未找到指标「{text}」，请填写指标库中的指标编号或名称。")
        return found

    def plan_target(self, *, plan: Plan, indicator: Indicator, scope: Region, target_year: int) -> Target:
        """The target of a plan for an indicator, a region and a year (what a yearly step belongs to)."""
        found = self.cached(
            ("plan_target", plan.pk, indicator.pk, scope.pk, target_year),
            lambda: list(
                Target.objects.select_related("plan").filter(
                    plan=plan, indicator=indicator, scope=scope, target_year=target_year
                )[:2]
            ),
        )
        where = f"规划「{plan_name(plan)}」中{scope.name}「{indicator.name}」{target_year} 年的目标"
        if not found:
            raise CellError(f"未找到{where}，请先导入该目标。", field="target")
        if len(found) > 1:
            raise CellError(f"{where}有多条，无法确定是哪一条，请在管理后台填写。", field="target")
        return found[0]

    def provincial_target(self, *, plan: Plan, indicator: Indicator, target_year: int) -> Target | None:
        """The province-wide target a city's target of this plan, indicator and year is allocated from.

        Not cached: an earlier row of the file may have just created it. Several: ``CellError``.
        """
        found = list(
            Target.objects.filter(
                plan=plan,
                indicator=indicator,
                target_year=target_year,
                scope__level=RegionLevelChoices.PROVINCE,
                parent__isnull=True,
            )[:2]
        )
        if len(found) > 1:
            raise CellError(
                f"规划「{plan_name(plan)}」中「{indicator.name}」{target_year} 年的省级目标有多条，"
                "无法确定分解自哪一条，请在管理后台填写。",
                field="allocation",
            )
        return found[0] if found else None

    def project(self, text: str) -> KeyProject:
        found = self.cached(
            ("project", text),
            lambda: self.referenceable(KeyProject.objects.select_related("city").filter(name=text)).first(),
        )
        if found is None:
            raise CellError(f"未找到项目「{text}」，请先导入该项目。")
        return found

    def round(self, text: str) -> Round:
        found = self.cached(("round", text), lambda: Round.objects.filter(name=text).first())
        if found is None:
            raise CellError(
                f"未找到填报任务「{text}」，请填写任务名称（如 年度监测：十四五战新规划全部指标（2025年））。"
            )
        return found

    def submission(self, *, round: Round, city: Region) -> Submission:
        """A city's submission to a round, if the user may see it (another city's is "not found")."""
        found = self.cached(
            ("submission", round.pk, city.pk),
            lambda: (
                self.referenceable(Submission.objects.select_related("round", "city"))
                .filter(round=round, city=city)
                .first()
            ),
        )
        if found is None:
            raise CellError(f"未找到{city.name}在填报任务「{round.name}」中的报送。", field="city")
        return found

    def target(self, text: str) -> Target:
        plan_code, _, key = text.partition("/")
        found = self.cached(("target", text), lambda: Target.objects.filter(plan__code=plan_code, key=key).first())
        if found is None:
            raise CellError(f"未找到指标「{text}」，请按“规划编号/指标编号”填写，如 sx-14th-sei/share。")
        return found


def plan_name(plan: Plan) -> str:
    """How a cell names a plan: its short title (what clerks call it), else its title."""
    return plan.short_title or plan.title


# Dropdown lists of the templates: what a cell may name, as the clerk writes it.


def choice_options(choices) -> Callable[[], list[str]]:
    return lambda: [label for label in choices.labels if label != "（无）"]


def yes_no_options() -> list[str]:
    return ["是", "否"]


def plan_options() -> list[str]:
    return [plan_name(plan) for plan in Plan.objects.order_by(F("period_start").desc(nulls_last=True), "code")]


def indicator_options() -> list[str]:
    return list(Indicator.objects.order_by("category", "name").values_list("name", flat=True))


def city_options() -> list[str]:
    cities = Region.objects.filter(level=RegionLevelChoices.CITY).order_by("code")
    return list(cities.values_list("name", flat=True))


def region_options() -> list[str]:
    province = Region.objects.filter(level=RegionLevelChoices.PROVINCE).values_list("name", flat=True)
    return [*province, *city_options()]


def industry_options() -> list[str]:
    names = list(Industry.objects.order_by("code").values_list("name", flat=True))
    return [name for name in names if names.count(name) == 1]


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


def choice_reader(choices, aliases: dict[str, str] | None = None):
    """A choice by its label or value (or one of ``aliases``: other words a clerk writes for it)."""
    by_text = {
        **(aliases or {}),
        **{label: value for value, label in choices.choices},
        **{value: value for value in choices.values},
    }

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
    #: Not a field of the model: read for the dataset's ``finish`` / ``resolve`` (an empty cell is None).
    virtual: bool = False
    #: The cell of the template's example row.
    example: object = ""
    #: ``options() -> list[str]``: what the cell may say, offered as the template's dropdown list.
    options: Callable[[], list[str]] | None = None
    #: Headers this column had in earlier templates, still read so that older files import.
    former: tuple[str, ...] = ()

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
    #: Fields set after the record is written, each by a service of its own
    #: (``set(*, instance, user, value) -> bool`` changed): an enterprise's short names, a project's co-builders.
    extras: dict[str, Callable] = field(default_factory=dict)
    #: ``finish(values, lookups) -> values``: checks of several cells of a row, when it is read (``CellError``).
    finish: Callable | None = None
    #: ``resolve(values, lookups) -> values``: lookups made when the row is written, so that a row may
    #: name a record an earlier row of the same file creates (``CellError``).
    resolve: Callable | None = None
    #: Fields that no column fills (found by ``finish``), with the field of the column their errors are shown under.
    derived: dict[str, str] = field(default_factory=dict)
    #: ``export_prefetch(user) -> [Prefetch]``: related records an export writes, limited to what the user may see.
    export_prefetch: Callable | None = None

    @property
    def label(self) -> str:
        return DatasetChoices(self.name).label

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column_for(self, field_name: str) -> Column | None:
        field_name = self.derived.get(field_name, field_name)
        return next((c for c in self.columns if c.field == field_name), None)

    def export_queryset(self, user):
        # The regions' map outlines are never exported: not read either.
        return defer_heavy_fields(
            self.model.objects.for_user(user)
            .select_related(*self.select_related)
            .prefetch_related(*self.prefetch_related, *(self.export_prefetch(user) if self.export_prefetch else ()))
            .order_by("pk")
        )

    def identity(self, values: dict) -> tuple:
        return tuple(getattr(values[name], "pk", values[name]) for name in self.key)

    def existing(self, rows: list[dict], chunk: int = 1000) -> dict[tuple, object]:
        """The records already stored under these rows' natural keys, whoever's they are (scope is the caller's).

        A key no database constraint makes unique (a target's plan, indicator, region and year) may
        belong to several records: it maps to ``AMBIGUOUS``.
        """
        first = self.key[0]
        attnames = [self.model._meta.get_field(name).attname for name in self.key]
        wanted = list({getattr(values[first], "pk", values[first]) for values in rows})
        found = {}
        scope = getattr(self.model, "city_scope", None)
        queryset = self.model._default_manager.select_related(*self.select_related, *([scope] if scope else []))
        # Not the regions' map outlines: decoding one per stored row was most of an import's time.
        queryset = defer_heavy_fields(queryset.prefetch_related(*self.prefetch_related))
        # Narrowed by every other key field's values too (a superset of the keys wanted: each row is
        # matched below), so that a file of new values does not read all of its indicators' history.
        for name, attname in zip(self.key[1:], attnames[1:], strict=True):
            values = {getattr(row[name], "pk", row[name]) for row in rows}
            if None not in values and len(values) <= chunk:
                queryset = queryset.filter(**{f"{attname}__in": values})
        for start in range(0, len(wanted), chunk):
            for obj in queryset.filter(**{f"{attnames[0]}__in": wanted[start : start + chunk]}):
                identity = tuple(getattr(obj, name) for name in attnames)
                found[identity] = AMBIGUOUS if identity in found else obj
        return found

    def key_text(self, values: dict) -> str:
        return " / ".join(str(getattr(values[name], "name", values[name])) for name in self.key)


def _region_name(name: str):
    return related_attr(name, "name")


def _yes_no(name: str):
    return lambda obj: "是" if getattr(obj, name) else "否"


# A project's co-builders (ProjectBuilder) and the other plans naming it (ProjectMention).


def read_enterprises(value, lookups, row) -> list[Enterprise]:
    enterprises = [lookups.enterprise(part) for part in _split(_text(value))]
    if len({enterprise.pk for enterprise in enterprises}) != len(enterprises):
        raise CellError("合作建设单位有重复。")
    return enterprises


def read_plans(value, lookups, row) -> list[Plan]:
    plans = [lookups.plan(part) for part in _split(_text(value))]
    if len({plan.pk for plan in plans}) != len(plans):
        raise CellError("规划有重复。")
    return plans


def write_co_builders(project: KeyProject) -> str:
    return LIST_SEPARATOR.join(builder.enterprise.name for builder in project.builders.all())


def write_mentions(project: KeyProject) -> str:
    return LIST_SEPARATOR.join(plan_name(mention.plan) for mention in project.mentions.all())


def finish_project(values: dict, lookups) -> dict:
    lead, plan = values.get("enterprise"), values.get("plan")
    if lead is not None and lead in values.get("co_builders", []):
        raise CellError(f"「{lead.name}」已是牵头建设单位，不必再填为合作建设单位。", field="co_builders")
    if plan is not None and plan in values.get("mentioned_in", []):
        raise CellError(f"「{plan_name(plan)}」已是所属规划，不必再填为其他提及规划。", field="mentioned_in")
    return values


def project_export_prefetch(user) -> list[Prefetch]:
    """Co-builders the user may see (another city's enterprise is left out, and kept on import), and mentions."""
    enterprises = Enterprise.objects.all() if user is None else referenceable_queryset(Enterprise.objects.all(), user)
    builders = ProjectBuilder.objects.filter(enterprise__in=enterprises).select_related("enterprise")
    return [
        Prefetch("builders", queryset=builders.order_by("order", "pk")),
        Prefetch("mentions", queryset=ProjectMention.objects.select_related("plan").order_by("plan__code")),
    ]


def _set_co_builders(*, instance: KeyProject, user, value: list[Enterprise]) -> bool:
    return key_project_builders_set(project=instance, user=user, enterprises=value)


def _set_mentions(*, instance: KeyProject, user, value: list[Plan]) -> bool:
    return key_project_mentions_set(project=instance, user=user, plans=value)


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
        Column(
            "项目名称", "name", required=True, help="必填；按项目名称识别，已存在则更新。", example="示例煤制烯烃项目"
        ),
        Column(
            "所在城市（代码或名称）",
            "city",
            lookup_reader("city"),
            _region_name("city"),
            required=True,
            help="如 太原市 或 140100。",
            example="太原市",
            options=city_options,
        ),
        Column(
            "所在县（市、区）",
            "county",
            read_county,
            _region_name("county"),
            help="须属于所在城市。",
            example="小店区",
        ),
        Column(
            "建设单位",
            "enterprise",
            lookup_reader("enterprise"),
            LinkedName("enterprise"),
            help="牵头建设单位：企业全称或已登记的简称。",
            example="太原重工股份有限公司",
        ),
        Column(
            "合作建设单位（以、分隔）",
            "co_builders",
            read_enterprises,
            write_co_builders,
            help="与牵头单位共同建设的其他企业，按顺序以“、”分隔；不填表示没有。",
            example="中国中车股份有限公司",
        ),
        Column(
            "产业（代码或名称）",
            "industry",
            lookup_reader("industry"),
            related_attr("industry", "name"),
            example="高端装备制造产业",
            options=industry_options,
        ),
        Column(
            "所属规划（简称或标题）",
            "plan",
            lookup_reader("plan"),
            lambda obj: plan_name(obj.plan) if obj.plan else None,
            help="首先点名本项目的规划，如 十四五战新规划；也可填写规划编号。",
            example="十四五战新规划",
            options=plan_options,
            former=("所属规划（编号）",),
        ),
        Column(
            "其他提及规划（以、分隔）",
            "mentioned_in",
            read_plans,
            write_mentions,
            help="同样点名本项目的其他规划，以“、”分隔；不填表示没有。",
            example="十三五战新规划",
        ),
        Column("所在园区", "park", lookup_reader("park"), LinkedName("park"), example="太原高新技术产业开发区"),
        Column("建设规模", "capacity", help="原文表述，如“年产60万吨烯烃”。", example="年产60万吨烯烃"),
        Column(
            "产能数值",
            "capacity_value",
            decimal_reader(maximum=MAX_CAPACITY),
            write_decimal("capacity_value"),
            example=60,
        ),
        Column("产能单位", "capacity_unit", example="万吨"),
        Column(
            "总投资（亿元）",
            "total_investment",
            decimal_reader(maximum=MAX_INVESTMENT),
            write_decimal("total_investment"),
            help="单位：亿元，不能为负数。",
            example=120.5,
        ),
        Column(
            "阶段",
            "stage",
            choice_reader(ProjectStageChoices),
            display("stage"),
            help="谋划、签约、开工、投产、达产或取消。",
            example="开工",
            options=choice_options(ProjectStageChoices),
        ),
        Column("签约日期", "signed_on", read_date, help="如 2024-03-01。", example="2024-03-01"),
        Column("开工日期", "started_on", read_date, example="2024-06-18"),
        Column("投产日期", "production_on", read_date),
        Column("说明", "description"),
    ],
    finish=finish_project,
    export_prefetch=project_export_prefetch,
    extras={"co_builders": _set_co_builders, "mentioned_in": _set_mentions},
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
            example="示例煤制烯烃项目",
        ),
        Column("年份", "year", integer_reader(2000, 2100), required=True, example=2024),
        Column("月份", "month", integer_reader(1, 12), required=True, example=6),
        Column(
            "阶段",
            "stage",
            choice_reader(ProjectStageChoices),
            display("stage"),
            required=True,
            help="谋划、签约、开工、投产、达产或取消。",
            example="开工",
            options=choice_options(ProjectStageChoices),
        ),
        Column(
            "本期完成投资（亿元）",
            "investment_completed",
            decimal_reader(maximum=MAX_INVESTMENT),
            write_decimal("investment_completed"),
            help="单位：亿元，不能为负数；不详时留空（不要填 0），留空的金额不计入合计。",
            example=3.2,
        ),
        Column("进展说明", "note", example="主体厂房封顶"),
        Column("形象进度", "progress", help="本月工程形象进度，如“主体结构完成 60%”。", example="主体结构完成60%"),
        Column(
            "需协调解决的问题",
            "problems",
            help="需要政府协调解决的问题；填写时须同时填写协调层级。",
            example="施工用电线路尚未接通",
        ),
        Column(
            "协调层级",
            "problem_level",
            choice_reader(CoordinationLevelChoices, aliases={"市": "city", "省": "province", "国家级": "national"}),
            display("problem_level"),
            help="应由哪一级协调解决：市级、省级或国家；填写问题时必填，没有问题时留空。",
            example="市级",
            options=choice_options(CoordinationLevelChoices),
        ),
    ],
)

YEAR_PLANS = Dataset(
    name=DatasetChoices.YEAR_PLANS,
    filterset=ProjectYearPlanFilterSet,
    model=ProjectYearPlan,
    key=("project", "year"),
    scope_field="project",
    create=project_year_plan_create,
    update=project_year_plan_update,
    select_related=("project",),
    columns=[
        Column(
            "项目名称",
            "project",
            lookup_reader("project"),
            related_attr("project", "name"),
            required=True,
            help="须为已登记的重点项目。",
            example="示例煤制烯烃项目",
        ),
        Column("年份", "year", integer_reader(2000, 2100), required=True, example=2025),
        Column(
            "年度计划投资（亿元）",
            "planned_investment",
            decimal_reader(maximum=MAX_INVESTMENT),
            write_decimal("planned_investment"),
            required=True,
            help="单位：亿元，不能为负数；是投资完成率和序时进度的基数。计划不详时不要导入该行（不要填 0）。",
            example=18.5,
        ),
        Column("说明", "note"),
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
            example="战略性新兴产业增加值占地区生产总值比重",
            options=indicator_options,
        ),
        Column(
            "范围（城市代码或名称）",
            "scope",
            lookup_reader("city", allow_province=True),
            _region_name("scope"),
            required=True,
            help="山西省、太原市或 140100 等。",
            example="山西省",
            options=region_options,
        ),
        Column("年份", "year", integer_reader(1949, 2100), required=True, example=2024),
        Column(
            "季度",
            "quarter",
            integer_reader(0, 4, QUARTER_LABELS),
            display("quarter"),
            help="全年、一季度…四季度，或 0–4；不填为全年。",
            example="全年",
            options=lambda: list(QUARTER_LABELS),
        ),
        Column("月份", "month", integer_reader(0, 12), help="1–12；不填为全年或季度数据。季度和月份不能同时填写。"),
        Column(
            "数值",
            "value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("value"),
            required=True,
            example=9.1,
        ),
        Column(
            "限定词",
            "qualifier",
            choice_reader(QualifierChoices),
            display("qualifier"),
            help="原文对数值的限定：以上、超过、左右、约、接近、突破、不足；没有则不填。",
            example="左右",
            options=choice_options(QualifierChoices),
        ),
        Column(
            "数据状态",
            "status",
            choice_reader(ObservationStatusChoices),
            display("status"),
            help="初步、正式或修订；不填为正式。",
            example="正式",
            options=choice_options(ObservationStatusChoices),
        ),
        Column(
            "来源规划（简称或标题）",
            "source_plan",
            lookup_reader("plan"),
            lambda obj: plan_name(obj.source_plan) if obj.source_plan else None,
            help="数值出自某一规划文件时填写，如 十四五战新规划；也可填写规划编号。",
            options=plan_options,
            former=("来源规划（编号）",),
        ),
        Column(
            "数据来源",
            "source",
            help="如 2023年山西省国民经济和社会发展统计公报。",
            example="2024年山西省国民经济和社会发展统计公报",
        ),
    ],
)


# Targets (指标目标) and their yearly steps (年度目标). Targets are province-wide records
# (common.scope: no city scope), so only provincial staff import them, allocations to cities included.

COMPARATOR_WORDS = {
    "≥": ComparatorChoices.GE,
    ">=": ComparatorChoices.GE,
    "不低于": ComparatorChoices.GE,
    ">": ComparatorChoices.GT,
    "超过": ComparatorChoices.GT,
    "≤": ComparatorChoices.LE,
    "<=": ComparatorChoices.LE,
    "不高于": ComparatorChoices.LE,
    "<": ComparatorChoices.LT,
    "低于": ComparatorChoices.LT,
    "=": ComparatorChoices.EQ,
    "达到": ComparatorChoices.EQ,
}
ALLOCATED, NOT_ALLOCATED = "是", "否"


def comparator_options() -> list[str]:
    return ["达到" if value == ComparatorChoices.EQ else label for value, label in ComparatorChoices.choices]


def write_comparator(target: Target) -> str:
    # "=（达到）" would be read back as a formula: its word is written instead.
    return "达到" if target.comparator == ComparatorChoices.EQ else target.get_comparator_display()


YEARS = (1949, 2100)


def read_allocation(value, lookups, row):
    """是 / 否, or the plan whose provincial target this one is allocated from; empty: decided from the data."""
    text = _text(value)
    if text in ("", ALLOCATED, NOT_ALLOCATED):
        return text or None
    return lookups.plan(text)


def write_allocation(target: Target) -> str:
    if target.parent is None:
        return NOT_ALLOCATED
    return ALLOCATED if target.parent.plan_id == target.plan_id else plan_name(target.parent.plan)


def finish_target(values: dict, lookups) -> dict:
    """The unit must be the indicator's; an empty wording or key keeps the stored one (or is made for a new target)."""
    unit, indicator = values.pop("unit", None), values["indicator"]
    if unit and unit != indicator.unit:
        shown = indicator.unit or "无单位"
        raise CellError(f"「{unit}」与指标「{indicator.name}」的单位「{shown}」不一致。", field="unit")
    for name in ("name", "key"):
        if values.get(name) == "":
            del values[name]
    return values


def resolve_target(values: dict, lookups) -> dict:
    """Find the provincial target a city's target is allocated from (指标分解).

    是: the province-wide target of the same plan, indicator and target year; a plan's name: that
    plan's; 否: none; empty: the same plan's if there is one (a city's row for a provincial
    target's indicator and year is its allocation).
    """
    allocation = values.pop("allocation", None)
    scope = values["scope"]
    if scope.level == RegionLevelChoices.PROVINCE or allocation == NOT_ALLOCATED:
        if allocation not in (None, NOT_ALLOCATED):
            raise CellError("省级目标不能分解自其他目标，请填写“否”或不填。", field="allocation")
        return {**values, "parent": None}
    plan = allocation if isinstance(allocation, Plan) else values["plan"]
    parent = lookups.provincial_target(plan=plan, indicator=values["indicator"], target_year=values["target_year"])
    if parent is None and allocation is not None:
        raise CellError(
            f"规划「{plan_name(plan)}」中没有「{values['indicator'].name}」{values['target_year']} 年的省级目标，"
            "无法分解；请先导入省级目标，或填写“否”。",
            field="allocation",
        )
    return {**values, "parent": parent}


def _plan_column(name: str = "plan", write: Callable | None = None, **kwargs) -> Column:
    return Column(
        "规划（简称或标题）",
        name,
        lookup_reader("plan"),
        write or (lambda obj: plan_name(obj.plan)),
        required=True,
        help="如 十四五战新规划；也可填写规划的完整标题或编号。",
        example="十四五战新规划",
        options=plan_options,
        **kwargs,
    )


def _indicator_column(name: str = "indicator", write: Callable | None = None, **kwargs) -> Column:
    return Column(
        "指标（名称或编号）",
        name,
        lookup_reader("indicator"),
        write or related_attr("indicator", "name"),
        required=True,
        help="指标库中的指标名称或编号，如 战略性新兴产业增加值占地区生产总值比重。",
        example="战略性新兴产业增加值占地区生产总值比重",
        options=indicator_options,
        **kwargs,
    )


def _scope_column(name: str = "scope", write: Callable | None = None, **kwargs) -> Column:
    return Column(
        "范围（省或城市）",
        name,
        lookup_reader("city", allow_province=True),
        write or _region_name("scope"),
        required=True,
        help="山西省，或设区市名称（如 太原市）或 6 位行政区划代码。",
        example="山西省",
        options=region_options,
        **kwargs,
    )


TARGETS = Dataset(
    name=DatasetChoices.TARGETS,
    filterset=TargetFilterSet,
    model=Target,
    key=("plan", "indicator", "scope", "target_year"),
    scope_field="scope",
    create=target_create,
    update=target_update,
    select_related=("plan", "indicator", "scope", "industry", "parent__plan"),
    finish=finish_target,
    resolve=resolve_target,
    columns=[
        _plan_column(),
        _indicator_column(),
        _scope_column(),
        Column(
            "目标年份",
            "target_year",
            integer_reader(*YEARS),
            required=True,
            help="规划、指标、范围和目标年份确定一个目标：已存在则更新。",
            example=2025,
        ),
        Column(
            "属性",
            "nature",
            choice_reader(TargetNatureChoices),
            display("nature"),
            help="约束性、预期性或未说明；不填时新目标为未说明。",
            example="预期性",
            options=choice_options(TargetNatureChoices),
        ),
        Column(
            "比较方式",
            "comparator",
            choice_reader(ComparatorChoices, COMPARATOR_WORDS),
            write_comparator,
            help="≥、>、≤、<、达到、约 或 区间；不填时新目标为 ≥。",
            example="≥（不低于）",
            options=comparator_options,
        ),
        Column(
            "基期年份",
            "baseline_year",
            integer_reader(*YEARS),
            help="填写基期值时必填，不能晚于目标年份。",
            example=2020,
        ),
        Column(
            "基期值",
            "baseline_value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("baseline_value"),
            example=9.1,
        ),
        Column(
            "目标值",
            "target_value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("target_value"),
            required=True,
            help="区间目标填写下限。",
            example=15,
        ),
        Column(
            "目标值上限",
            "target_value_max",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("target_value_max"),
            help="仅区间目标填写。",
        ),
        Column(
            "单位",
            "unit",
            write=lambda obj: obj.indicator.unit,
            virtual=True,
            help="可不填；填写时须与指标库中该指标的单位一致（用于核对）。",
            example="%",
        ),
        Column(
            "期内累计（是/否）",
            "is_cumulative",
            read_bool,
            _yes_no("is_cumulative"),
            help="如“累计下降18%”。",
            example="否",
            options=yes_no_options,
        ),
        Column(
            "每年目标（是/否）",
            "is_per_year",
            read_bool,
            _yes_no("is_per_year"),
            help="如“每年10家左右”。",
            example="否",
            options=yes_no_options,
        ),
        Column(
            "分解自省级目标",
            "allocation",
            read_allocation,
            write_allocation,
            virtual=True,
            help=(
                "城市目标适用：“是”表示分解自同一规划中同一指标、同一目标年份的省级目标；"
                "填写规划简称表示分解自该规划的省级目标；“否”表示不是分解目标。"
                "不填时，同一规划有对应省级目标的城市目标即为其分解目标。"
            ),
            example="否",
            options=lambda: [ALLOCATED, NOT_ALLOCATED, *plan_options()],
        ),
        Column(
            "目标表述",
            "name",
            help="规划原文的表述；不填时新目标取指标名称。",
            example="战略性新兴产业增加值占地区生产总值比重达到15%",
        ),
        Column(
            "产业（代码或名称）",
            "industry",
            lookup_reader("industry"),
            related_attr("industry", "name"),
            options=industry_options,
        ),
        Column("目标编号", "key", help="英文短标识，可不填：新目标自动生成，已有目标保持不变。"),
        Column("说明", "description"),
    ],
)


def finish_target_step(values: dict, lookups) -> dict:
    """The target a step belongs to, by its plan, indicator, region and target year."""
    target = lookups.plan_target(
        plan=values.pop("plan"),
        indicator=values.pop("indicator"),
        scope=values.pop("scope"),
        target_year=values.pop("target_year"),
    )
    return {**values, "target": target}


TARGET_STEPS = Dataset(
    name=DatasetChoices.TARGET_STEPS,
    filterset=TargetStepFilterSet,
    model=TargetStep,
    key=("target", "year"),
    scope_field="target",
    create=target_step_create,
    update=target_step_update,
    select_related=("target__plan", "target__indicator", "target__scope"),
    finish=finish_target_step,
    derived={"target": "indicator"},
    columns=[
        _plan_column(write=lambda step: plan_name(step.target.plan), virtual=True),
        _indicator_column(write=lambda step: step.target.indicator.name, virtual=True),
        _scope_column(write=lambda step: step.target.scope.name, virtual=True),
        Column(
            "目标年份",
            "target_year",
            integer_reader(*YEARS),
            lambda step: step.target.target_year,
            required=True,
            virtual=True,
            help="规划、指标、范围和目标年份确定年度目标所属的目标（须已存在）。",
            example=2025,
        ),
        Column(
            "年份",
            "year",
            integer_reader(*YEARS),
            required=True,
            help="基期年份之后、目标年份及以前；同一目标同一年份已存在则更新。",
            example=2023,
        ),
        Column(
            "年度目标值",
            "value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("value"),
            required=True,
            example=12,
        ),
    ],
)


def industries_named():
    """Industries with ``name_shared``: whether another industry has the same name (its cell then holds the code)."""
    same_name = Industry.objects.filter(name=OuterRef("name")).exclude(pk=OuterRef("pk"))
    return Industry.objects.annotate(name_shared=Exists(same_name))


def industry_cell(industry: Industry) -> str:
    """An industry in a list cell: its name, or its code where the name would not import back.

    That is a name two industries share (Lookups.industry asks for the code) or one holding the
    list separator (“互联网与云计算、大数据服务”).
    """
    if getattr(industry, "name_shared", False) or _split(industry.name) != [industry.name]:
        return industry.code
    return industry.name


def _set_aliases(*, instance: Enterprise, user, value: list[str]) -> bool:
    return enterprise_aliases_set(enterprise=instance, user=user, aliases=value)


ENTERPRISES = Dataset(
    name=DatasetChoices.ENTERPRISES,
    filterset=EnterpriseFilterSet,
    model=Enterprise,
    key=("name",),
    scope_field="city",
    create=enterprise_create,
    update=enterprise_update,
    select_related=("city", "county"),
    prefetch_related=("aliases",),
    export_prefetch=lambda user: [Prefetch("industries", queryset=industries_named())],
    columns=[
        Column(
            "企业全称", "name", required=True, help="必填；按全称识别，已存在则更新。", example="示例装备制造有限公司"
        ),
        Column(
            "简称（以、分隔）",
            "aliases",
            read_aliases,
            lambda obj: LIST_SEPARATOR.join(a.alias for a in obj.aliases.all()),
            example="示例装备、示例集团",
        ),
        Column(
            "类型",
            "kind",
            choice_reader(EnterpriseKindChoices),
            display("kind"),
            help="国有企业、民营企业、外资企业、科研院所/高校或其他。",
            example="民营企业",
            options=choice_options(EnterpriseKindChoices),
        ),
        Column(
            "所在城市（代码或名称）",
            "city",
            lookup_reader("city"),
            _region_name("city"),
            help="不填表示省属或所在城市不详。",
            example="太原市",
            options=city_options,
        ),
        Column("所在县（市、区）", "county", read_county, _region_name("county"), example="小店区"),
        Column(
            "所属产业（以、分隔）",
            "industries",
            read_industries,
            lambda obj: LIST_SEPARATOR.join(industry_cell(i) for i in obj.industries.all()),
            example="高端装备制造产业",
        ),
        Column(
            "龙头企业（是/否）",
            "is_leading",
            read_bool,
            lambda obj: "是" if obj.is_leading else "否",
            example="否",
            options=yes_no_options,
        ),
        Column("说明", "description"),
    ],
    extras={"aliases": _set_aliases},
)

# A submission's values (报送数值): the clerk downloads the sheet of a submission, fills it in offline and
# imports it back. Rows are written through monitoring.services, so the submission's state, its round's dates
# and the city's scope are checked as on the data-entry page.


def read_city_or_county(value, lookups, row) -> Region | None:
    """The submission's city itself, or one of its counties."""
    text = _text(value)
    if not text:
        return None
    city = row.get("city")
    if city is not None and text in {city.code, city.name, city.short_name, city.name.removesuffix("市")} - {""}:
        return city
    return lookups.county(text, city)


def read_nothing(value, lookups, row) -> None:
    return None


def finish_submission_value(values: dict, lookups) -> dict:
    """The submission named by its round and city; the unit, if filled in, must be the indicator's."""
    unit, indicator = values.pop("unit", None), values["indicator"]
    if unit and unit != indicator.unit:
        shown = indicator.unit or "无单位"
        raise CellError(f"「{unit}」与指标「{indicator.name}」的单位「{shown}」不一致。", field="unit")
    values.pop("previous_value", None)
    submission = lookups.submission(round=values.pop("round"), city=values.pop("city"))
    return {**values, "submission": submission}


def round_options() -> list[str]:
    return list(Round.objects.order_by("-due_on", "name").values_list("name", flat=True))


class SubmissionValueDataset(Dataset):
    """Exports only the values the user may read (a viewer: approved submissions'), in the order of the form."""

    def export_queryset(self, user):
        queryset = super().export_queryset(user)
        if user is not None:
            queryset = queryset.filter(pk__in=submission_value_queryset(user).values("pk"))
        return queryset.order_by("submission__round__due_on", "submission__city__code", "indicator__pk", "region__code")


SUBMISSION_VALUES = SubmissionValueDataset(
    name=DatasetChoices.SUBMISSION_VALUES,
    filterset=SubmissionValueFilterSet,
    model=SubmissionValue,
    key=("submission", "indicator", "region"),
    scope_field="submission",
    create=submission_value_create,
    update=submission_value_update,
    select_related=("submission__round", "submission__city", "indicator", "region"),
    finish=finish_submission_value,
    derived={"submission": "city"},
    columns=[
        Column(
            "填报任务",
            "round",
            lookup_reader("round"),
            lambda value: value.submission.round.name,
            required=True,
            virtual=True,
            help="任务名称，与下载的填报表一致。",
            example="年度监测：十四五战新规划全部指标（2025年）",
            options=round_options,
        ),
        Column(
            "城市",
            "city",
            lookup_reader("city"),
            lambda value: value.submission.city.name,
            required=True,
            virtual=True,
            help="报送的设区市，如 太原市；只能导入本市的报送。",
            example="太原市",
            options=city_options,
        ),
        Column(
            "指标（名称或编号）",
            "indicator",
            lookup_reader("indicator"),
            related_attr("indicator", "name"),
            required=True,
            help="须为本填报任务的指标，名称与下载的填报表一致。",
            example="战略性新兴产业增加值占地区生产总值比重",
            options=indicator_options,
        ),
        Column(
            "地区（本市或所辖县）",
            "region",
            read_city_or_county,
            _region_name("region"),
            required=True,
            help="本市，或本市所辖县（市、区）；本市的每个指标都须填写。",
            example="太原市",
        ),
        Column(
            "单位",
            "unit",
            write=lambda value: value.indicator.unit,
            virtual=True,
            help="仅供核对：填写时须与指标库中该指标的单位一致。",
            example="%",
        ),
        Column(
            "上期值",
            "previous_value",
            read_nothing,
            write_decimal("previous_value"),
            virtual=True,
            help="上一期的正式数值，仅供参考，导入时不读取。",
            example=10,
        ),
        Column(
            "本期数值",
            "value",
            decimal_reader(maximum=MAX_INDICATOR_VALUE, negative=True),
            write_decimal("value"),
            help="只填数字；不填表示尚未填写（报送前本市的数值须全部填写）。",
            example=12.5,
        ),
        Column(
            "限定词",
            "qualifier",
            choice_reader(QualifierChoices),
            display("qualifier"),
            help="以上、超过、左右、约、接近、突破、不足；没有则不填。",
            options=choice_options(QualifierChoices),
        ),
        Column(
            "说明",
            "comment",
            help="与上期相比变化较大时须写明原因，否则不能报送。",
            example="新建项目投产，产值增加",
        ),
    ],
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (PROJECTS, REPORTS, YEAR_PLANS, OBSERVATIONS, ENTERPRISES, TARGETS, TARGET_STEPS, SUBMISSION_VALUES)
}
