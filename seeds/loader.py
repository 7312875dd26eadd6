"""Load seeds/data into the database: idempotent upserts by natural keys, in one transaction.

The loader reads every file first, resolves references between records (cities by code,
counties by name, industries by code, enterprises and parks by name or alias, sections / key
areas / targets / bases by key within their plan), validates each record with the model's
``full_clean`` (so the same constraints as the admin and the API apply) and checks that each
quote occurs in its source document. Any error aborts the whole load and names the file and
the record.

A record that staff changed after the loader last wrote it is left as it is and reported
(``seeds.guard`` reads that from the record's history); ``force=True`` overwrites it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

from common.constraints import known_rows
from common.scope import PROVINCE_CODE
from plans import services as plans_services
from plans.choices import (
    CityAggregationChoices,
    ComparatorChoices,
    IndicatorCategoryChoices,
    MonthChoices,
    ObservationStatusChoices,
    QualifierChoices,
    QuarterChoices,
    TargetNatureChoices,
    TimeAggregationChoices,
)
from plans.models import (
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
)
from plans.services import plan_update
from projects import services as projects_services
from projects.models import (
    BaseCity,
    Enterprise,
    EnterpriseAlias,
    IndustryBase,
    KeyProject,
    ProjectBuilder,
    ProjectMention,
)
from projects.services import base_city_delete, project_builder_delete, project_mention_delete
from regions import services as regions_services
from regions.choices import RegionLevelChoices
from regions.models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership
from regions.services import region_group_membership_delete, zone_membership_delete

from .guard import FORCE_REASON, LOADER_REASON, StaffEdit, StaffEditGuard
from .quotes import document_stems, quote_occurs

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The services the loader writes each kind with, as (create, update); user=None: a trusted system writer.
SERVICES = {
    Region: (regions_services.region_create, regions_services.region_update),
    LayoutScheme: (regions_services.layout_scheme_create, regions_services.layout_scheme_update),
    Zone: (regions_services.zone_create, regions_services.zone_update),
    ZoneMembership: (regions_services.zone_membership_create, regions_services.zone_membership_update),
    RegionGroup: (regions_services.region_group_create, regions_services.region_group_update),
    RegionGroupMembership: (
        regions_services.region_group_membership_create,
        regions_services.region_group_membership_update,
    ),
    Park: (regions_services.park_create, regions_services.park_update),
    Industry: (plans_services.industry_create, plans_services.industry_update),
    Plan: (plans_services.plan_create, plans_services.plan_update),
    PlanSection: (plans_services.plan_section_create, plans_services.plan_section_update),
    KeyArea: (plans_services.key_area_create, plans_services.key_area_update),
    Indicator: (plans_services.indicator_create, plans_services.indicator_update),
    Target: (plans_services.target_create, plans_services.target_update),
    Observation: (plans_services.observation_create, plans_services.observation_update),
    Program: (plans_services.program_create, plans_services.program_update),
    Measure: (plans_services.measure_create, plans_services.measure_update),
    CityRole: (plans_services.city_role_create, plans_services.city_role_update),
    Enterprise: (projects_services.enterprise_create, projects_services.enterprise_update),
    EnterpriseAlias: (projects_services.enterprise_alias_create, projects_services.enterprise_alias_update),
    IndustryBase: (projects_services.industry_base_create, projects_services.industry_base_update),
    BaseCity: (projects_services.base_city_create, projects_services.base_city_update),
    KeyProject: (projects_services.key_project_create, projects_services.key_project_update),
    ProjectMention: (projects_services.project_mention_create, projects_services.project_mention_update),
    ProjectBuilder: (projects_services.project_builder_create, projects_services.project_builder_update),
}


#: Not indexed (``StoredRecords``): the services rewrite a project's search text with SQL, behind its instances.
UNINDEXED = frozenset({KeyProject})


class StoredRecords:
    """The records a load looks up by natural key, read with one query per model instead of one per record.

    ``get`` answers what ``model.objects.filter(**lookup).first()`` would: a model's index is read
    on its first lookup and kept in step with the loader's own writes (``write``). Any other save
    or delete of a row of an indexed model while the load runs (a service's side effect, a stale
    link's deletion) drops that model's index, so that its next lookup reads the table again.
    """

    def __init__(self) -> None:
        self.index: dict[tuple[type[models.Model], tuple[str, ...]], dict[tuple, models.Model]] = {}
        self.seen: list[tuple[type[models.Model], models.Model]] | None = None

    def __enter__(self) -> StoredRecords:
        post_save.connect(self.changed, weak=False, dispatch_uid=id(self))
        post_delete.connect(self.changed, weak=False, dispatch_uid=id(self))
        return self

    def __exit__(self, *exc) -> None:
        post_save.disconnect(dispatch_uid=id(self))
        post_delete.disconnect(dispatch_uid=id(self))
        self.index.clear()

    @staticmethod
    def attnames(model, lookup: dict) -> tuple[str, ...] | None:
        if model in UNINDEXED or any("__" in name for name in lookup):
            return None
        return tuple(model._meta.get_field(name).attname for name in sorted(lookup))

    @staticmethod
    def key(lookup: dict) -> tuple:
        return tuple(value.pk if isinstance(value, models.Model) else value for _, value in sorted(lookup.items()))

    def get(self, model, lookup: dict) -> models.Model | None:
        attnames = self.attnames(model, lookup)
        if attnames is None:
            return model.objects.filter(**lookup).first()
        index = self.index.get((model, attnames))
        if index is None:
            index = {}
            # In .first()'s order: the first record of a natural key wins.
            for obj in model.objects.order_by(*(model._meta.ordering or ["pk"]), "pk"):
                index.setdefault(tuple(getattr(obj, name) for name in attnames), obj)
            self.index[(model, attnames)] = index
        return index.get(self.key(lookup))

    def related_ids(self, obj: models.Model, name: str) -> set[int]:
        """The ids ``obj``'s many-to-many field ``name`` holds, read for every record of the model in one query."""
        model = type(obj)
        key = (model, ("m2m", name))
        by_owner = self.index.get(key)
        if by_owner is None:
            field_ = model._meta.get_field(name)
            through = field_.remote_field.through
            by_owner = defaultdict(set)
            for owner_id, related_id in through.objects.values_list(
                field_.m2m_field_name() + "_id", field_.m2m_reverse_field_name() + "_id"
            ):
                by_owner[owner_id].add(related_id)
            self.index[key] = by_owner
        return by_owner.get(obj.pk, set())

    def links_of(self, model, owner_field: str, owner: models.Model) -> list[models.Model]:
        """The rows of ``model`` whose ``owner_field`` is ``owner`` (with the owner and region), one query per model."""
        key = (model, ("links", owner_field))
        by_owner = self.index.get(key)
        if by_owner is None:
            by_owner = defaultdict(list)
            attname = model._meta.get_field(owner_field).attname
            rows = model.objects.select_related(owner_field, "region").order_by(*(model._meta.ordering or ["pk"]), "pk")
            for row in rows:
                by_owner[getattr(row, attname)].append(row)
            self.index[key] = by_owner
        return list(by_owner.get(owner.pk, ()))

    def related_written(self, obj: models.Model, m2m: dict) -> None:
        """Keep ``related_ids`` in step with the loader's own write of ``obj``'s many-to-many fields."""
        for name, wanted in m2m.items():
            by_owner = self.index.get((type(obj), ("m2m", name)))
            if by_owner is not None:
                by_owner[obj.pk] = {item.pk for item in wanted}

    def links_written(self, model, owner_field: str, owner: models.Model, rows: list[models.Model]) -> None:
        """Keep ``links_of`` in step after the loader made ``owner``'s rows ``rows``."""
        by_owner = self.index.get((model, ("links", owner_field)))
        if by_owner is not None:  # dropped when a row was deleted: read again when next asked for
            by_owner[owner.pk] = rows

    def write(self, model, lookup: dict, save: Callable[[], models.Model]) -> models.Model:
        """Run the loader's write of the record ``lookup`` names; index the record it returns."""
        self.seen = []
        try:
            saved = save()
        finally:
            seen, self.seen = self.seen, None
        # Rows the write touched besides its own record (a service's side effects): read them again.
        for sender, instance in seen:
            if instance is not saved:
                self.drop(sender)
        attnames = self.attnames(model, lookup)
        if attnames is not None and (model, attnames) in self.index:
            self.index[(model, attnames)][self.key(lookup)] = saved
        return saved

    def changed(self, sender, instance, **kwargs) -> None:
        if self.seen is not None:
            self.seen.append((sender, instance))
        else:
            self.drop(sender)

    def drop(self, model) -> None:
        for indexed in [key for key in self.index if key[0] is model]:
            del self.index[indexed]


class SeedError(Exception):
    """A seed file or record is wrong; the message names the file and the record."""


@dataclass
class Record:
    """One YAML mapping and where it came from."""

    data: dict
    file: str
    index: int | None = None
    stem: str = ""

    @property
    def where(self) -> str:
        label = self.data.get("key") or self.data.get("name") or self.data.get("indicator") or self.data.get("city")
        position = f"[{self.index}]" if self.index is not None else ""
        return f"{self.file}{position}" + (f" ({label})" if label else "")

    def get(self, name, default=None):
        return self.data.get(name, default)

    def require(self, name):
        if self.data.get(name) in (None, ""):
            raise SeedError(f"{self.where}: 缺少必填字段 {name!r}")
        return self.data[name]


@dataclass
class LoadReport:
    """Counts per kind (created / updated / unchanged / kept) and per document, and notes for people.

    ``kept`` counts records staff changed after the loader last wrote them and that the load left
    alone; ``notes`` say which, by whom and when (and what ``--force`` overwrote or a load re-created).
    """

    changes: dict = field(default_factory=lambda: defaultdict(Counter))
    per_document: dict = field(default_factory=lambda: defaultdict(Counter))
    kept_per_document: dict = field(default_factory=lambda: defaultdict(Counter))
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, status: str, stem: str | None = None):
        self.changes[kind][status] += 1
        if stem:
            self.per_document[stem][kind] += 1
            if status == "kept":
                self.kept_per_document[stem][kind] += 1

    @property
    def total_changes(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.changes.values())


YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def label(path: Path) -> str:
    """A file's name as people know it: ``002_…/bases.yaml`` or ``industries.yaml``."""
    return f"{path.parent.name}/{path.name}" if path.parent.name[:3].isdigit() else path.name


def read_yaml(path: Path, default):
    if not path.exists():
        return default
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise SeedError(f"{label(path)}: YAML 格式错误：{exc}") from exc
    return default if content is None else content


def records(path: Path, stem: str = "", key: str | None = None) -> list[Record]:
    content = read_yaml(path, {} if key else [])
    if key:
        if not isinstance(content, dict):
            raise SeedError(f"{label(path)}: 顶层应为映射（含 {key}）")
        content = content.get(key) or []
    if not isinstance(content, list):
        raise SeedError(f"{label(path)}: 顶层应为列表")
    name = str(label(path)) + (f":{key}" if key else "")
    out = []
    for i, item in enumerate(content):
        if not isinstance(item, dict):
            raise SeedError(f"{name}[{i}]: 每条记录应为映射")
        out.append(Record(item, name, i, stem))
    return out


def decimal(value, record: Record, name: str):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise SeedError(f"{record.where}: {name} 不是数字：{value!r}") from exc
    if not number.is_finite():
        raise SeedError(f"{record.where}: {name} 不是有限数值：{value!r}")
    return number


class SeedLoader:
    def __init__(self, data_dir: Path = DATA_DIR, *, force: bool = False):
        self.data_dir = data_dir
        self.force = force
        self.guard = StaffEditGuard()
        self.stored = StoredRecords()
        self.report = LoadReport()
        self.regions: dict[str, Region] = {}
        self.counties: dict[str, list[Region]] = defaultdict(list)
        self.industries: dict[str, Industry] = {}
        self.plans: dict[str, Plan] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.parks: dict[str, Park] = {}
        self.targets: dict[tuple[str, str], Target] = {}
        self.region_groups: dict[str, RegionGroup] = {}
        self.plan_by_stem: dict[str, Plan] = {}
        self.bases: dict[str, dict[str, IndustryBase]] = {}
        self.indicators: dict[str, Indicator] = {}
        self.project_sources: dict[str, str] = {}

    # ---- entry point -------------------------------------------------------------------

    def load(self, *, dry_run: bool = False) -> LoadReport:
        # One transaction; a record the load found or wrote is not looked up again for the next.
        with transaction.atomic(), self.stored, known_rows():
            self.load_industries()
            self.load_regions()
            self.load_region_groups()
            self.load_indicators()
            stems = [s for s in document_stems() if (self.data_dir / s).is_dir()]
            for stem in stems:
                self.load_plan(stem)
            self.resolve_follows(stems)
            self.load_enterprises(stems)
            self.load_parks(stems)
            for stem in stems:
                self.load_plan_content(stem)
            self.load_projects(stems)
            for stem in stems:
                self.load_observations(stem)
            if dry_run:
                transaction.set_rollback(True)
        return self.report

    # ---- generic upsert ------------------------------------------------------------------

    def upsert(self, model, lookup: dict, values: dict, record: Record | None, m2m: dict | None = None):
        kind = model._meta.verbose_name
        stem = record.stem if record else None
        create, update = SERVICES[model]
        obj = self.stored.get(model, lookup)
        try:
            if obj is None:
                self.note_staff_edit(kind, lookup, self.guard.deletion_of(model, lookup), "已按种子数据重新创建")
                data = {**lookup, **values, **(m2m or {})}
                obj = self.stored.write(model, lookup, lambda: create(user=None, data=data, reason=LOADER_REASON))
                self.stored.related_written(obj, m2m or {})
                status = "created"
            else:
                changed = {name: value for name, value in values.items() if not self._same(obj, name, value)}
                for name, wanted in (m2m or {}).items():
                    if self.stored.related_ids(obj, name) != {item.pk for item in wanted}:
                        changed[name] = wanted
                status = "updated" if changed else "unchanged"
                if changed:
                    reason = self.write_reason(obj, lookup)
                    if reason is None:
                        self.report.count(kind, "kept", stem)
                        return obj
                    current = obj
                    obj = self.stored.write(
                        model, lookup, lambda: update(instance=current, user=None, data=changed, reason=reason)
                    )
                    self.stored.related_written(obj, {name: changed[name] for name in m2m or {} if name in changed})
        except ValidationError as exc:
            raise self.seed_error(exc, record, obj) from exc
        self.report.count(kind, status, stem)
        return obj

    def write_reason(self, obj, lookup: dict) -> str | None:
        """The history reason for overwriting ``obj``; None when staff changed it and the load keeps it."""
        edit = self.guard.edit_of(obj)
        if edit is None:
            return LOADER_REASON
        if not self.force:
            self.note_staff_edit(obj._meta.verbose_name, lookup, edit, "保留当前值")
            return None
        self.note_staff_edit(obj._meta.verbose_name, lookup, edit, "已用种子数据覆盖（--force）")
        return FORCE_REASON

    def note_staff_edit(self, kind: str, lookup: dict, edit: StaffEdit | None, outcome: str) -> None:
        if edit is None:
            return
        key = lookup.get("key") or "/".join(str(value) for value in lookup.values())
        note = f"{kind} {key}：{edit.describe()}，{outcome}"
        if note not in self.report.notes:
            self.report.notes.append(note)

    @staticmethod
    def _same(obj, name, value) -> bool:
        field_ = obj._meta.get_field(name)
        if field_.is_relation:
            return getattr(obj, field_.attname) == (value.pk if value is not None else None)
        current = getattr(obj, name)
        if isinstance(field_, models.DecimalField) and current is not None and value is not None:
            return Decimal(current) == Decimal(value)
        return current == value

    @staticmethod
    def seed_error(exc: ValidationError, record: Record | None, obj) -> SeedError:
        where = record.where if record else str(obj)
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return SeedError(f"{where}: {messages}")

    def provenance(self, record: Record) -> dict:
        quote = record.require("quote")
        if not isinstance(quote, str) or not quote_occurs(record.stem, quote):
            raise SeedError(f"{record.where}: 原文摘录在 {record.stem}.txt 中找不到：{quote!r}")
        return {"source_file": f"{record.stem}.txt", "source_quote": quote.strip()}

    # ---- references ------------------------------------------------------------------------

    def region(self, code, record: Record, *, field_name="city") -> Region | None:
        if code in (None, ""):
            return None
        region = self.regions.get(str(code))
        if region is None:
            raise SeedError(f"{record.where}: {field_name} 未知的行政区划代码 {code!r}")
        return region

    def county(self, name, record: Record) -> Region | None:
        if name in (None, ""):
            return None
        named = self.counties.get(str(name), [])
        if len(named) > 1:
            codes = "、".join(r.code for r in named)
            raise SeedError(f"{record.where}: 县（市、区）名称 {name!r} 不唯一，请改用代码（{codes}）")
        region = named[0] if named else self.regions.get(str(name))
        if region is None or region.level != RegionLevelChoices.COUNTY:
            raise SeedError(f"{record.where}: 未知的县（市、区）{name!r}")
        return region

    def industry(self, code, record: Record) -> Industry | None:
        if code in (None, ""):
            return None
        industry = self.industries.get(str(code))
        if industry is None:
            raise SeedError(f"{record.where}: 未知的产业分类代码 {code!r}")
        return industry

    def industry_list(self, codes, record: Record) -> list[Industry]:
        return [self.industry(code, record) for code in codes or []]

    def enterprise(self, name, record: Record) -> Enterprise | None:
        if name in (None, ""):
            return None
        enterprise = self.enterprises.get(str(name))
        if enterprise is None:
            raise SeedError(f"{record.where}: 未知的企业 {name!r}（请先在 enterprises.yaml 中登记）")
        return enterprise

    def park(self, name, record: Record) -> Park | None:
        if name in (None, ""):
            return None
        park = self.parks.get(str(name))
        if park is None:
            raise SeedError(f"{record.where}: 未知的园区 {name!r}（请先在 parks.yaml 中登记）")
        return park

    @staticmethod
    def by_key(items: dict, key, record: Record, what: str):
        if key in (None, ""):
            return None
        item = items.get(str(key))
        if item is None:
            raise SeedError(f"{record.where}: 本规划中没有{what} {key!r}")
        return item

    # ---- shared reference data -------------------------------------------------------------

    def load_industries(self):
        for record in records(self.data_dir / "industries.yaml"):
            parent = self.industry(record.get("parent"), record)
            code = str(record.require("code"))
            self.industries[code] = self.upsert(
                Industry,
                {"code": code},
                {
                    "name": record.require("name"),
                    "parent": parent,
                    "is_national": bool(record.get("national", True)),
                    "order": int(record.get("order", 0)),
                },
                record,
            )

    def load_indicators(self):
        for record in records(self.data_dir / "indicators.yaml"):
            key = str(record.require("key"))
            self.indicators[key] = self.upsert(
                Indicator,
                {"key": key},
                {
                    "name": record.require("name"),
                    "unit": str(record.get("unit", "") or ""),
                    "definition": record.get("definition", "") or "",
                    "direction": record.get("direction", "higher"),
                    "time_aggregation": record.get("time_aggregation", TimeAggregationChoices.STOCK),
                    "city_aggregation": record.get("city_aggregation", CityAggregationChoices.NONE),
                    "category": record.get("category", IndicatorCategoryChoices.OTHER),
                    "national_code": str(record.get("national_code", "") or ""),
                },
                record,
            )

    def indicator(self, key, record: Record) -> Indicator:
        indicator = self.indicators.get(str(record.require("indicator") if key is None else key))
        if indicator is None:
            raise SeedError(f"{record.where}: indicators.yaml 中没有指标 {key!r}")
        return indicator

    def load_regions(self):
        items = records(self.data_dir / "regions.yaml")
        boundaries = self.data_dir / "boundaries"
        for record in items:
            code = str(record.require("code"))
            parent = self.regions.get(str(record.get("parent"))) if record.get("parent") else None
            if record.get("parent") and parent is None:
                raise SeedError(f"{record.where}: 上级区划 {record.get('parent')!r} 须排在其下级之前")
            values = {
                "name": record.require("name"),
                "short_name": record.get("short_name", ""),
                "level": record.require("level"),
                "parent": parent,
            }
            center = record.get("center")
            if center:
                values["center_lon"] = decimal(center[0], record, "center").quantize(Decimal("0.000001"))
                values["center_lat"] = decimal(center[1], record, "center").quantize(Decimal("0.000001"))
            boundary_file = boundaries / f"{code}.geojson"
            if boundary_file.exists():
                feature = json.loads(boundary_file.read_text(encoding="utf-8"))
                values["boundary"] = feature.get("geometry", feature)
            region = self.upsert(Region, {"code": code}, values, record)
            self.regions[code] = region
            if region.level == RegionLevelChoices.COUNTY:
                self.counties[region.name].append(region)

    def load_region_groups(self):
        """Named sets of cities (晋北 …): quoted from the document that defines them, else inferred."""
        for record in records(self.data_dir / "region_groups.yaml"):
            record.stem = str(record.get("document", "") or "")
            provenance = self.provenance(record) if record.stem else {"source_file": "", "source_quote": ""}
            group = self.upsert(
                RegionGroup,
                {"name": record.require("name")},
                {"note": record.get("note", "") or "", **provenance},
                record,
            )
            self.region_groups[group.name] = group
            links = {}
            for item in record.get("cities") or []:
                item = item if isinstance(item, dict) else {"city": item}
                links[self.region(item.get("city"), record)] = {
                    "inferred": bool(item.get("inferred", False)),
                    "note": item.get("note", "") or "",
                }
            self.sync_links(
                RegionGroupMembership,
                {"group": group},
                links,
                region_group_membership_delete,
                record,
            )

    def sync_links(self, model, owner: dict, links: dict, delete, record: Record) -> None:
        """Make an owner's region links (``region`` → inferred / note) exactly ``links``, keeping staff edits.

        ``owner``: the one field naming the owner, ``{"base": base}``."""
        ((owner_field, owner_obj),) = owner.items()
        # Read before the writes below, which touch only the regions of ``links``: the others are the stale ones.
        current = self.stored.links_of(model, owner_field, owner_obj)
        rows = [self.upsert(model, {**owner, "region": region}, values, record) for region, values in links.items()]
        for stale in current:
            if stale.region_id in {region.pk for region in links}:
                continue
            reason = self.write_reason(stale, {**owner, "region": stale.region})
            if reason is None:
                self.report.count(model._meta.verbose_name, "kept", record.stem or None)
                rows.append(stale)
                continue
            delete(instance=stale, user=None, reason=reason)
        self.stored.links_written(model, owner_field, owner_obj, rows)

    # ---- plans ------------------------------------------------------------------------------

    def load_plan(self, stem: str):
        path = self.data_dir / stem / "plan.yaml"
        content = read_yaml(path, {})
        if not isinstance(content, dict) or not isinstance(content.get("plan"), dict):
            raise SeedError(f"{stem}/plan.yaml: 缺少 plan 映射")
        record = Record(content["plan"], f"{stem}/plan.yaml:plan", None, stem)
        fields_ = {
            name: record.get(name, "") or "" for name in ("title", "short_title", "issuer", "doc_number", "summary")
        }
        fields_.update(
            kind=record.get("kind", "plan"),
            status=record.get("status", "in_force"),
            period_start=record.get("period_start"),
            period_end=record.get("period_end"),
            signed_on=record.get("signed_on"),
            published_on=record.get("published_on"),
            **self.provenance(record),
        )
        record.require("title")
        code = record.require("code")
        self.plans[code] = self.plan_by_stem[stem] = self.upsert(Plan, {"code": code}, fields_, record)

    def resolve_follows(self, stems):
        for stem in stems:
            content = read_yaml(self.data_dir / stem / "plan.yaml", {})
            record = Record(content["plan"], f"{stem}/plan.yaml:plan", None, stem)
            follows = record.get("follows")
            if follows:
                if follows not in self.plans:
                    raise SeedError(f"{record.where}: follows 指向未知规划 {follows!r}")
                plan = self.plans[record.get("code")]
                if plan.follows_id != self.plans[follows].pk:
                    reason = self.write_reason(plan, {"code": plan.code})
                    if reason is None:
                        continue
                    plan_update(instance=plan, user=None, data={"follows": self.plans[follows]}, reason=reason)

    def load_plan_content(self, stem: str):
        folder = self.data_dir / stem
        plan = self.plans[read_yaml(folder / "plan.yaml", {})["plan"]["code"]]
        sections = self.load_sections(plan, stem)
        key_areas = self.load_key_areas(plan, stem, sections)
        self.load_layout(plan, stem)
        bases = self.load_bases(plan, stem, key_areas)
        self.bases[stem] = bases
        self.load_targets(plan, stem, sections, key_areas, bases)
        self.load_programs(plan, stem, sections)
        self.load_city_roles(plan, stem)

    def load_sections(self, plan, stem) -> dict[str, PlanSection]:
        sections: dict[str, PlanSection] = {}
        for order, record in enumerate(records(self.data_dir / stem / "plan.yaml", stem, key="sections"), 1):
            key = str(record.require("key"))
            parent_key = key.rsplit(".", 1)[0] if "." in key else None
            parent = self.by_key(sections, parent_key, record, "上级章节") if parent_key else None
            sections[key] = self.upsert(
                PlanSection,
                {"plan": plan, "key": key},
                {
                    "parent": parent,
                    "number": record.get("number", "") or "",
                    "title": record.require("title"),
                    "order": order,
                    "page": record.get("page"),
                },
                record,
            )
        return sections

    def load_key_areas(self, plan, stem, sections) -> dict[str, KeyArea]:
        areas: dict[str, KeyArea] = {}
        for order, record in enumerate(records(self.data_dir / stem / "key_areas.yaml", stem), 1):
            key = str(record.require("key"))
            parent_key = key.rsplit(".", 1)[0] if "." in key else None
            areas[key] = self.upsert(
                KeyArea,
                {"plan": plan, "key": key},
                {
                    "parent": self.by_key(areas, parent_key, record, "上级领域") if parent_key else None,
                    "section": self.by_key(sections, record.get("section"), record, "章节"),
                    "name": record.require("name"),
                    "order": order,
                    "description": record.get("description", "") or "",
                    **self.provenance(record),
                },
                record,
                m2m={"industries": self.industry_list(record.get("industries"), record)},
            )
        return areas

    def load_layout(self, plan, stem):
        path = self.data_dir / stem / "layout.yaml"
        content = read_yaml(path, {})
        if not content:
            return
        record = Record(content.get("scheme") or {}, f"{stem}/layout.yaml:scheme", None, stem)
        scheme = self.upsert(
            LayoutScheme,
            {"plan": plan, "name": record.require("name")},
            {"description": record.get("description", "") or "", **self.provenance(record)},
            record,
        )
        for order, zone_record in enumerate(records(path, stem, key="zones"), 1):
            group = self.region_group(zone_record.get("region_group"), zone_record)
            zone = self.upsert(
                Zone,
                {"scheme": scheme, "name": zone_record.require("name")},
                {
                    "kind": zone_record.require("kind"),
                    "order": int(zone_record.get("order", order)),
                    "corridor": zone_record.get("corridor", "") or "",
                    "description": zone_record.get("description", "") or "",
                    "region_group": group,
                    **self.provenance(zone_record),
                },
                zone_record,
                m2m={"industries": self.industry_list(zone_record.get("industries"), zone_record)},
            )
            self.sync_links(
                ZoneMembership,
                {"zone": zone},
                self.region_links(zone_record, group),
                zone_membership_delete,
                zone_record,
            )

    def load_bases(self, plan, stem, key_areas) -> dict[str, IndustryBase]:
        bases: dict[str, IndustryBase] = {}
        for record in records(self.data_dir / stem / "bases.yaml", stem):
            key = str(record.require("key"))
            group = self.region_group(record.get("region_group"), record)
            links = self.region_links(record, group)
            revenue = decimal(record.get("revenue_target"), record, "revenue_target")
            base = self.upsert(
                IndustryBase,
                {"plan": plan, "key": key},
                {
                    "name": record.require("name"),
                    "kind": record.get("kind", "base"),
                    "industry": self.industry(record.get("industry"), record),
                    "key_area": self.by_key(key_areas, record.get("key_area"), record, "重点领域"),
                    "region_group": group,
                    "revenue_target": revenue,
                    "revenue_target_year": record.get("revenue_target_year"),
                    "description": record.get("description", "") or "",
                    **self.provenance(record),
                },
                record,
                m2m={
                    "parks": [self.park(name, record) for name in record.get("parks") or []],
                    "anchors": [self.enterprise(name, record) for name in record.get("anchors") or []],
                },
            )
            self.sync_links(
                BaseCity,
                {"base": base},
                links,
                base_city_delete,
                record,
            )
            bases[key] = base
            if revenue is not None:
                self.upsert_base_revenue_target(plan, base, list(links), record)
        return bases

    def region_group(self, name, record: Record) -> RegionGroup | None:
        if name in (None, ""):
            return None
        group = self.region_groups.get(str(name))
        if group is None:
            raise SeedError(f"{record.where}: 未知的区域分组 {name!r}（请先在 region_groups.yaml 中登记）")
        return group

    def region_links(self, record: Record, group: RegionGroup | None) -> dict[Region, dict]:
        """A base's or a zone's places: the cities (and counties) the text names, then its region group's
        cities, inferred (the text names the region, not its cities)."""
        links: dict[Region, dict] = {}
        for item in record.get("cities") or []:
            item = item if isinstance(item, dict) else {"city": item}
            links[self.region(item.get("city"), record)] = {
                "inferred": bool(item.get("inferred", False)),
                "note": item.get("note", "") or "",
            }
        for name in record.get("counties") or []:
            links[self.county(name, record)] = {"inferred": False, "note": ""}
        if group is not None:
            for membership in group.memberships.select_related("region"):
                links.setdefault(
                    membership.region,
                    {"inferred": True, "note": f"原文以“{group.name}”命名，城市取自区域分组。"},
                )
        return links

    def upsert_base_revenue_target(self, plan, base, regions, record):
        cities = {region.city for region in regions if region.city is not None}
        scope = cities.pop() if len(cities) == 1 else self.regions[PROVINCE_CODE]
        key = f"base-{base.key}-revenue"[:64]
        # Each base's revenue is its own quantity (two bases in one city must not share observations);
        # a base that two plans name by the same name shares it.
        name = f"{base.name}销售收入"
        indicator = Indicator.objects.filter(name=name).first() or self.upsert(
            Indicator,
            {"key": f"{plan.code}-{key}"[:64]},
            {
                "name": name,
                "unit": "亿元",
                "time_aggregation": TimeAggregationChoices.FLOW,
                "city_aggregation": CityAggregationChoices.SUM,
                "category": IndicatorCategoryChoices.SCALE,
            },
            record,
        )
        self.targets[(plan.code, key)] = self.upsert(
            Target,
            {"plan": plan, "key": key},
            {
                "indicator": indicator,
                "name": name,
                "comparator": ComparatorChoices.GE,
                "target_value": base.revenue_target,
                "target_year": base.revenue_target_year,
                "scope": scope,
                "industry": base.industry,
                "key_area": base.key_area,
                "base": base,
                "description": "由产业基地的销售收入目标生成。",
                "source_file": base.source_file,
                "source_quote": base.source_quote,
            },
            record,
        )

    def load_targets(self, plan, stem, sections, key_areas, bases):
        for record in records(self.data_dir / stem / "targets.yaml", stem, key="targets"):
            key = str(record.require("key"))
            self.targets[(plan.code, key)] = self.upsert(
                Target,
                {"plan": plan, "key": key},
                {
                    "indicator": self.indicator(record.get("indicator"), record),
                    "name": record.require("name"),
                    "nature": record.get("nature", TargetNatureChoices.UNSTATED),
                    "is_cumulative": bool(record.get("is_cumulative", False)),
                    "is_per_year": bool(record.get("is_per_year", False)),
                    "parent": self.parent_target(record.get("parent"), plan, record),
                    "comparator": record.get("comparator", ComparatorChoices.GE),
                    "target_value": decimal(record.require("target_value"), record, "target_value"),
                    "target_value_max": decimal(record.get("target_value_max"), record, "target_value_max"),
                    "target_year": record.require("target_year"),
                    "baseline_value": decimal(record.get("baseline_value"), record, "baseline_value"),
                    "baseline_year": record.get("baseline_year"),
                    "scope": self.region(record.get("scope", PROVINCE_CODE), record, field_name="scope"),
                    "industry": self.industry(record.get("industry"), record),
                    "key_area": self.by_key(key_areas, record.get("key_area"), record, "重点领域"),
                    "section": self.by_key(sections, record.get("section"), record, "章节"),
                    "base": self.by_key(bases, record.get("base"), record, "产业基地"),
                    "description": record.get("description", "") or "",
                    **self.provenance(record),
                },
                record,
            )

    def parent_target(self, ref, plan, record: Record) -> Target | None:
        """An allocation's provincial target: its key in the same plan, or ``<plan code>/<key>``."""
        if not ref:
            return None
        plan_code, _, key = str(ref).rpartition("/")
        target = self.targets.get((plan_code or plan.code, key))
        if target is None:
            raise SeedError(f"{record.where}: 未知的被分解目标 {ref!r}（须列在分解目标之前）")
        return target

    def load_observations(self, stem):
        folder = self.data_dir / stem
        plan = self.plans[read_yaml(folder / "plan.yaml", {})["plan"]["code"]]
        for record in records(folder / "targets.yaml", stem, key="observations"):
            self.upsert(
                Observation,
                {
                    "indicator": self.indicator(None, record),
                    "scope": self.region(record.get("scope", PROVINCE_CODE), record, field_name="scope"),
                    "year": record.require("year"),
                    "quarter": int(record.get("quarter") or QuarterChoices.YEAR),
                    "month": int(record.get("month") or MonthChoices.NONE),
                    "source_plan": plan,
                    "source": "",
                },
                {
                    "value": decimal(record.require("value"), record, "value"),
                    "qualifier": record.get("qualifier", QualifierChoices.NONE) or QualifierChoices.NONE,
                    "status": record.get("status", ObservationStatusChoices.FINAL),
                    **self.provenance(record),
                },
                record,
            )

    @staticmethod
    def tree_parent(nodes: dict, record: Record, what: str):
        """A program's or measure's parent: ``parent:`` if given, else the key's dotted prefix (“2.1” → “2”)."""
        key = str(record.require("key"))
        parent_key = record.get("parent") or (key.rsplit(".", 1)[0] if "." in key else None)
        return SeedLoader.by_key(nodes, parent_key, record, what)

    def load_programs(self, plan, stem, sections):
        """Programs and measures as trees: every named sub-initiative is a child with its own quote."""
        path = self.data_dir / stem / "programs.yaml"
        programs: dict[str, Program] = {}
        for order, record in enumerate(records(path, stem, key="programs"), 1):
            programs[str(record.require("key"))] = self.upsert(
                Program,
                {"plan": plan, "key": str(record.require("key"))},
                {
                    "parent": self.tree_parent(programs, record, "上级工程/任务"),
                    "kind": record.get("kind", "program"),
                    "name": record.require("name"),
                    "section": self.by_key(sections, record.get("section"), record, "章节"),
                    "order": order,
                    "description": record.get("description", "") or "",
                    **self.provenance(record),
                },
                record,
                m2m={"industries": self.industry_list(record.get("industries"), record)},
            )
        measures: dict[str, Measure] = {}
        for order, record in enumerate(records(path, stem, key="measures"), 1):
            measures[str(record.require("key"))] = self.upsert(
                Measure,
                {"plan": plan, "key": str(record.require("key"))},
                {
                    "parent": self.tree_parent(measures, record, "上级措施"),
                    "name": record.require("name"),
                    "section": self.by_key(sections, record.get("section"), record, "章节"),
                    "order": order,
                    "description": record.get("description", "") or "",
                    **self.provenance(record),
                },
                record,
            )

    def load_projects(self, stems):
        """Key projects, merged by name across documents like enterprises.

        The earliest plan naming a project is its plan (``KeyProject.plan``) and gives its fields
        and quote; every later plan naming it is a mention with that plan's own quote. ``builders``
        lists the enterprises that build it with its lead builder (``enterprise``).
        """
        by_name = self.merged(stems, "projects.yaml")
        for name, items in sorted(by_name.items()):
            items = sorted(items, key=lambda r: (self.plan_of(r.stem).period_start or 0, r.stem))
            first, others = items[0], items[1:]
            plan = self.plan_of(first.stem)
            project = self.upsert(
                KeyProject,
                {"name": name},
                {
                    "plan": plan,
                    "enterprise": self.enterprise(first.get("enterprise"), first),
                    "industry": self.industry(first.get("industry"), first),
                    "city": self.region(first.require("city"), first),
                    "county": self.county(first.get("county"), first),
                    "park": self.park(first.get("park"), first),
                    "base": self.by_key(self.bases.get(first.stem, {}), first.get("base"), first, "产业基地"),
                    "capacity": first.get("capacity", "") or "",
                    "capacity_value": decimal(first.get("capacity_value"), first, "capacity_value"),
                    "capacity_unit": first.get("capacity_unit", "") or "",
                    "total_investment": decimal(first.get("total_investment"), first, "total_investment"),
                    "stage": first.get("stage", "planned"),
                    "description": first.get("description", "") or "",
                    **self.provenance(first),
                },
                first,
            )
            for record in others:
                if record.stem == first.stem:
                    raise SeedError(f"{record.where}: 项目 {name!r} 在同一文件中重复登记")
                self.upsert(
                    ProjectMention,
                    {"project": project, "plan": self.plan_of(record.stem)},
                    self.provenance(record),
                    record,
                )
            self.delete_stale(
                project.mentions.exclude(plan__in=[self.plan_of(r.stem) for r in others]), project_mention_delete, first
            )
            builders = []
            for order, item in enumerate(first.get("builders") or [], 1):
                item = item if isinstance(item, dict) else {"enterprise": item}
                enterprise = self.enterprise(item.get("enterprise"), first)
                builders.append(enterprise)
                self.upsert(
                    ProjectBuilder,
                    {"project": project, "enterprise": enterprise},
                    {"role": item.get("role", "") or "", "order": order},
                    first,
                )
            self.delete_stale(project.builders.exclude(enterprise__in=builders), project_builder_delete, first)

    def plan_of(self, stem: str) -> Plan:
        return self.plan_by_stem[stem]

    def delete_stale(self, queryset, delete, record: Record) -> None:
        """Delete the rows the seeds no longer name, unless staff changed them since the loader wrote them."""
        for stale in queryset:
            reason = self.write_reason(stale, {"pk": stale.pk})
            if reason is None:
                self.report.count(stale._meta.verbose_name, "kept", record.stem)
                continue
            delete(instance=stale, user=None, reason=reason)

    def load_city_roles(self, plan, stem):
        """A plan's roles for its cities; a city may have several, one record each (keyed by its text)."""
        kept = []
        for record in records(self.data_dir / stem / "city_roles.yaml", stem):
            role = self.upsert(
                CityRole,
                {"plan": plan, "city": self.region(record.require("city"), record), "role": record.require("role")},
                self.provenance(record),
                record,
                m2m={"industries": self.industry_list(record.get("industries"), record)},
            )
            kept.append(role.pk)
        stale = CityRole.objects.filter(plan=plan).exclude(pk__in=kept)
        self.delete_stale(stale, plans_services.city_role_delete, Record({}, f"{stem}/city_roles.yaml", None, stem))

    # ---- enterprises and parks, merged across documents ----------------------------------------

    def merged(self, stems, filename) -> dict[str, list[Record]]:
        by_name: dict[str, list[Record]] = defaultdict(list)
        for stem in stems:
            for record in records(self.data_dir / stem / filename, stem):
                by_name[str(record.require("name"))].append(record)
        return by_name

    def alias_map(self, by_name, alias_field) -> dict[str, str]:
        owner: dict[str, str] = {name: name for name in by_name}
        for name, items in by_name.items():
            for record in items:
                aliases = record.get(alias_field) or []
                aliases = [aliases] if isinstance(aliases, str) else aliases
                for alias in aliases:
                    alias = str(alias)
                    if alias == name:
                        continue
                    if owner.get(alias, name) != name:
                        raise SeedError(f"{record.where}: 简称 {alias!r} 同时指向 {owner[alias]!r} 和 {name!r}")
                    owner[alias] = name
        return owner

    def load_enterprises(self, stems):
        by_name = self.merged(stems, "enterprises.yaml")
        owner = self.alias_map(by_name, "aliases")
        for name, items in sorted(by_name.items()):
            first = items[0]
            industries = []
            for record in items:
                industries += [i for i in self.industry_list(record.get("industries"), record) if i not in industries]
            enterprise = self.upsert(
                Enterprise,
                {"name": name},
                {
                    "kind": first.get("kind", "other"),
                    "city": self.region(next((r.get("city") for r in items if r.get("city")), None), first),
                    "county": self.county(next((r.get("county") for r in items if r.get("county")), None), first),
                    "is_leading": any(bool(r.get("is_leading")) for r in items),
                    "description": first.get("description", "") or "",
                    **self.provenance(first),
                },
                first,
                m2m={"industries": industries},
            )
            self.enterprises[name] = enterprise
            for record in items[1:]:
                self.provenance(record)  # every document's quote must still be real
                self.report.per_document[record.stem]["企业"] += 1
        for alias, name in owner.items():
            self.enterprises[alias] = self.enterprises[name]
            if alias != name:
                self.upsert(EnterpriseAlias, {"alias": alias}, {"enterprise": self.enterprises[name]}, None)

    def load_parks(self, stems):
        by_name = self.merged(stems, "parks.yaml")
        owner = self.alias_map(by_name, "short_name")
        for name, items in sorted(by_name.items()):
            first = items[0]
            self.parks[name] = self.upsert(
                Park,
                {"name": name},
                {
                    "short_name": first.get("short_name", "") or "",
                    "level": first.get("level", "other"),
                    "kind": first.get("kind", "other"),
                    "city": self.region(first.require("city"), first),
                    "county": self.county(first.get("county"), first),
                    "description": first.get("description", "") or "",
                    **self.provenance(first),
                },
                first,
                m2m={"industries": self.industry_list(first.get("industries"), first)},
            )
            for record in items[1:]:
                self.provenance(record)
                self.report.per_document[record.stem]["开发区/园区"] += 1
        for alias, name in owner.items():
            self.parks[alias] = self.parks[name]
