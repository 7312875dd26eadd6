"""Synthetic key projects, progress reports and observations at provincial scale, for benchmarks.

Everything is drawn from one ``random.Random(seed)`` on top of the seed data (real cities,
counties, industries, enterprises, parks, bases, plans and targets), so a seed gives the same
rows on the same seeded database. The shape follows reality roughly: 太原 has the most
projects, investments have a long tail (log-normal, median about 3 亿元), the stages are mixed
with most projects started, and each city leans toward the focus industries its plans give it.

This is the one writer that bypasses the services (plans.services, projects.services): raw
COPY is what makes benchmark scale possible. It therefore writes no history and repairs the
derived rows itself: ``refresh_progress()`` after its observations are written or deleted.

Rows are written in chunks: with PostgreSQL's COPY where available, else with ``bulk_create``.
Every chunk commits on its own (a 10-million-row transaction would queue one deferred
foreign-key check per row until commit); a failed run is cleaned up with ``replace=True``.
Generated records are marked with ``source_file = SOURCE`` (reports through their project).
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, models, transaction

from plans.choices import MonthChoices, ObservationStatusChoices, QualifierChoices, QuarterChoices
from plans.models import CityRole, Observation, Plan, Target, TargetProgress
from plans.progress import refresh_progress
from projects.choices import BatchKindChoices, MilestoneCodeChoices, MilestoneStatusChoices, ProjectStageChoices
from projects.models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    EnterpriseAlias,
    KeyProject,
    Milestone,
    ProjectFigures,
    ProjectReport,
    ProjectRollup,
    ProjectWarning,
    ProjectYearFigures,
    ProjectYearPlan,
)
from projects.services import project_rollup_rebuild, warnings_evaluate
from regions.choices import RegionLevelChoices
from regions.models import Park, Region, ZoneMembership

SOURCE = "synthetic"
#: The last reporting month: reports run back from here, dates never pass it.
REPORT_END = (2025, 6)
TODAY = date(2025, 6, 30)
FIRST_SIGNING = date(2016, 1, 1)

#: Share of all projects per city (GB/T 2260 code); 太原 leads, as in the provincial project lists.
CITY_WEIGHTS = {
    "140100": 22, "140200": 9, "140300": 4, "140400": 10, "140500": 8, "140600": 5,
    "140700": 10, "140800": 10, "140900": 6, "141000": 9, "141100": 7,
}  # fmt: skip
STAGE_WEIGHTS = {
    ProjectStageChoices.PLANNED: 14,
    ProjectStageChoices.SIGNED: 18,
    ProjectStageChoices.STARTED: 32,
    ProjectStageChoices.IN_PRODUCTION: 20,
    ProjectStageChoices.AT_CAPACITY: 11,
    ProjectStageChoices.CANCELLED: 5,
}
#: How much more often a city's focus industries (its zones and its plan roles) occur.
FOCUS_WEIGHT = 4
NAME_SUFFIXES = ("", "产业化", "扩建", "技术改造", "一期", "二期", "智能制造", "示范", "产业园", "研发及产业化")
CAPACITY_UNITS = (("万吨", 1, 200), ("兆瓦", 10, 2000), ("万台（套）", 1, 100), ("万平方米", 1, 500), ("亿只", 1, 50))
REPORT_NOTES = (
    "",
    "",
    "",
    "",
    "按计划推进",
    "设备安装调试中",
    "主体工程施工中",
    "完成厂房封顶",
    "办理环评手续",
    "试生产",
)
STAGE_ORDER = list(ProjectStageChoices.values)
ADVANCING = STAGE_ORDER[:5]  # cancelled is not a step forward

PROJECT_COLUMNS = (
    "id", "name", "plan_id", "enterprise_id", "industry_id", "city_id", "county_id", "park_id", "base_id",
    "capacity", "capacity_value", "capacity_unit", "total_investment", "stage",
    "signed_on", "started_on", "production_on", "description", "source_file", "source_quote", "created", "updated",
)  # fmt: skip
REPORT_COLUMNS = (
    "id",
    "project_id",
    "year",
    "month",
    "stage",
    "investment_completed",
    "note",
    "reported_by_id",
    "created",
    "updated",
)
OBSERVATION_COLUMNS = (
    "id", "indicator_id", "value", "qualifier", "year", "quarter", "month", "scope_id", "status", "source_plan_id",
    "source", "reported_by_id", "source_file", "source_quote", "created", "updated",
)  # fmt: skip


@dataclass
class GenerateReport:
    projects: int = 0
    reports: int = 0
    observations: int = 0
    seconds: float = 0.0
    #: Seconds per phase, in the order they ran (printed by generate_data).
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.projects + self.reports + self.observations


@dataclass
class City:
    pk: int
    code: str
    short_name: str
    counties: list[int] = field(default_factory=list)
    enterprises: list[tuple[int, str]] = field(default_factory=list)
    parks: list[int] = field(default_factory=list)
    bases: list[int] = field(default_factory=list)
    industries: list[int] = field(default_factory=list)
    industry_cum: list[float] = field(default_factory=list)


class Universe:
    """The seed records synthetic rows point to, read once, in a stable order."""

    def __init__(self):
        self.cities: list[City] = []
        for region in Region.objects.filter(level=RegionLevelChoices.CITY).order_by("code"):
            self.cities.append(City(region.pk, region.code, region.short_name or region.name))
        if not self.cities:
            raise ValueError("没有城市数据：请先运行 manage.py load_seeds。")
        by_pk = {city.pk: city for city in self.cities}
        for pk, parent in (
            Region.objects.filter(level=RegionLevelChoices.COUNTY).order_by("code").values_list("pk", "parent_id")
        ):
            if parent in by_pk:
                by_pk[parent].counties.append(pk)
        aliases = {}
        for enterprise_id, alias in EnterpriseAlias.objects.order_by("alias").values_list("enterprise_id", "alias"):
            if enterprise_id not in aliases or len(alias) < len(aliases[enterprise_id]):
                aliases[enterprise_id] = alias
        self.provincial_enterprises: list[tuple[int, str]] = []
        for pk, name, city_id in Enterprise.objects.order_by("name").values_list("pk", "name", "city_id"):
            entry = (pk, aliases.get(pk, name))
            (by_pk[city_id].enterprises if city_id in by_pk else self.provincial_enterprises).append(entry)
        for pk, city_id in Park.objects.order_by("name").values_list("pk", "city_id"):
            if city_id in by_pk:
                by_pk[city_id].parks.append(pk)
        for pk, city_id in BaseCity.objects.order_by("base_id", "region_id").values_list("base_id", "region_id"):
            if city_id in by_pk:
                by_pk[city_id].bases.append(pk)
        from plans.models import Industry

        parents = set(Industry.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
        self.industries = {pk: name for pk, name in Industry.objects.order_by("code").values_list("pk", "name")}
        leaves = [pk for pk in self.industries if pk not in parents] or list(self.industries)
        focus = defaultdict(set)
        memberships = ZoneMembership.objects.values_list("region_id", "zone__industries")
        roles = CityRole.objects.values_list("city_id", "industries")
        for city_id, industry_id in [*memberships, *roles]:
            if industry_id is not None:
                focus[city_id].add(industry_id)
        for city in self.cities:
            city.industries = sorted(set(leaves) | focus[city.pk])
            weights = [FOCUS_WEIGHT if pk in focus[city.pk] else 1 for pk in city.industries]
            city.industry_cum = list(_cumulative(weights))
        self.plans = list(Plan.objects.order_by("code").values_list("pk", flat=True))
        self.city_cum = list(_cumulative(CITY_WEIGHTS.get(city.code, 1) for city in self.cities))


def _cumulative(weights: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _pick(rng: random.Random, items: list, cum: list[float]):
    # random.choices with cum_weights, without building a list per call.
    x = rng.random() * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return items[lo]


def _timestamp(day: date, seconds: int) -> str:
    return f"{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}+08:00"


class Generator:
    """Draws rows; ``projects()`` yields one project row and its reports at a time."""

    def __init__(self, universe: Universe, *, seed: int, reports_per_project: int, first_id: int, first_report_id: int):
        self.u = universe
        self.rng = random.Random(seed)
        self.seed = seed
        self.reports_per_project = reports_per_project
        self.next_id = first_id
        self.next_report_id = first_report_id
        self.stages = list(STAGE_WEIGHTS)
        self.stage_cum = list(_cumulative(STAGE_WEIGHTS.values()))

    def project(self, serial: int) -> tuple[tuple, list[tuple]]:
        rng, u = self.rng, self.u
        city = _pick(rng, u.cities, u.city_cum)
        industry_id = _pick(rng, city.industries, city.industry_cum)
        stage = _pick(rng, self.stages, self.stage_cum)
        r = rng.random()
        if r < 0.7 and city.enterprises:
            # A few enterprises carry many projects: square the uniform draw toward the front.
            enterprise = city.enterprises[int(rng.random() ** 2 * len(city.enterprises))]
        elif r < 0.9 and u.provincial_enterprises:
            enterprise = u.provincial_enterprises[int(rng.random() ** 2 * len(u.provincial_enterprises))]
        else:
            enterprise = None
        county_id = rng.choice(city.counties) if city.counties and rng.random() < 0.7 else None
        park_id = rng.choice(city.parks) if city.parks and rng.random() < 0.4 else None
        base_id = rng.choice(city.bases) if city.bases and rng.random() < 0.1 else None
        plan_id = rng.choice(u.plans) if u.plans and rng.random() < 0.8 else None
        investment = None
        if rng.random() >= 0.03:
            investment = min(max(rng.lognormvariate(math.log(3.0), 1.2), 0.05), 2000.0)
        capacity = capacity_value = capacity_unit = ""
        if rng.random() < 0.7:
            unit, low, high = rng.choice(CAPACITY_UNITS)
            value = rng.randint(low, high)
            capacity, capacity_value, capacity_unit = f"年产{value}{unit}", f"{value}.00", unit
        signed = started = production = None
        if stage != ProjectStageChoices.PLANNED:
            signed = FIRST_SIGNING + timedelta(days=rng.randrange((TODAY - FIRST_SIGNING).days))
            index = STAGE_ORDER.index(stage) if stage != ProjectStageChoices.CANCELLED else rng.randrange(1, 3)
            if index >= 2:
                started = min(signed + timedelta(days=rng.randint(30, 400)), TODAY)
            if index >= 3:
                production = min(started + timedelta(days=rng.randint(180, 900)), TODAY)
        updated_day = (production or started or signed or TODAY - timedelta(days=rng.randrange(1500))) + timedelta(
            days=rng.randrange(90)
        )
        updated = _timestamp(min(updated_day, TODAY), rng.randrange(86400))
        created = _timestamp(min(signed or updated_day, TODAY), rng.randrange(86400))
        prefix = enterprise[1] if enterprise else city.short_name
        name = f"{prefix}{u.industries[industry_id]}{rng.choice(NAME_SUFFIXES)}项目（G{self.seed}-{serial:07d}）"
        pk = self.next_id
        self.next_id += 1
        row = (
            pk, name, plan_id, enterprise[0] if enterprise else None, industry_id, city.pk, county_id, park_id,
            base_id, capacity, capacity_value or None, capacity_unit,
            None if investment is None else f"{investment:.2f}", stage, signed, started, production, "", SOURCE, "",
            created, updated,
        )  # fmt: skip
        return row, self.reports(pk, stage, investment, signed, started, production)

    def reports(self, project_id, stage, investment, signed, started, production) -> list[tuple]:
        count = self.reports_per_project
        if not count:
            return []
        rng = self.rng
        # Months as integers (year * 12 + month - 1) to compare without building dates.
        marks = [d.year * 12 + d.month - 1 if d else None for d in (signed, started, production)]
        per_month = (investment or 0.0) / max(count * 2, 1)
        end_year, end_month = REPORT_END
        last = end_year * 12 + end_month - 1
        rows = []
        for offset in range(count - 1, -1, -1):
            index = last - offset
            if stage == ProjectStageChoices.CANCELLED and offset == 0:
                report_stage = stage
            elif marks[2] is not None and index >= marks[2]:
                report_stage = "at_capacity" if stage == "at_capacity" and offset < count // 3 else "in_production"
            elif marks[1] is not None and index >= marks[1]:
                report_stage = "started"
            elif marks[0] is not None and index >= marks[0]:
                report_stage = "signed"
            else:
                report_stage = "planned"
            year, month = divmod(index, 12)
            amount = per_month * (0.5 + rng.random()) if report_stage in ("started", "in_production") else 0.0
            stamp = f"{year}-{month + 1:02d}-28 10:00:00+08:00"
            rows.append(
                (
                    self.next_report_id,
                    project_id,
                    year,
                    month + 1,
                    report_stage,
                    f"{amount:.2f}",
                    rng.choice(REPORT_NOTES),
                    None,
                    stamp,
                    stamp,
                )  # fmt: skip
            )
            self.next_report_id += 1
        return rows


def observation_rows(
    universe: Universe, rng: random.Random, first_id: int, per_target: int | None = None
) -> Iterator[tuple]:
    """Annual and quarterly observations of every target's indicator, from its baseline toward its goal.

    Observations belong to an indicator and a region: a province-wide target's indicator is observed
    in the province and in each city, a city target's in its city, each (indicator, region) once, by
    the first target naming it. Values move along the straight line from baseline to goal with noise;
    they are final (正式) statistical-bulletin figures without a qualifier. ``per_target`` caps the
    rows of each target (its scope's first, then the cities', earliest first); None: no cap.
    """
    pk = first_id
    city_ids = [city.pk for city in universe.cities]
    observed: set[tuple[int, int]] = set()
    targets = Target.objects.order_by("plan__code", "key").select_related("scope")
    for target in targets:
        scopes = [target.scope_id] + (city_ids if target.scope.level == RegionLevelChoices.PROVINCE else [])
        scopes = [scope_id for scope_id in scopes if (target.indicator_id, scope_id) not in observed]
        observed.update((target.indicator_id, scope_id) for scope_id in scopes)
        start = target.baseline_year or max(target.target_year - 5, 2016)
        end = min(target.target_year, TODAY.year)
        goal = float(target.target_value)
        base = float(target.baseline_value) if target.baseline_value is not None else goal * 0.6
        span = max(target.target_year - start, 1)
        budget = math.inf if per_target is None else per_target
        for scope_id in scopes:
            share = 1.0 if scope_id == target.scope_id else 1.0 / len(city_ids)
            for year in range(start, end + 1):
                for quarter in QuarterChoices.values:
                    if year == TODAY.year and quarter in (QuarterChoices.YEAR, QuarterChoices.Q3, QuarterChoices.Q4):
                        continue  # the current year has no annual figure and no late quarters yet
                    if budget <= 0:
                        break
                    budget -= 1
                    trend = base + (goal - base) * (year - start + (quarter or 4) / 4 - 1) / span
                    value = trend * share * rng.uniform(0.85, 1.1)
                    stamp = f"{year}-12-31 12:00:00+08:00"
                    yield (
                        pk, target.indicator_id, f"{value:.4f}", QualifierChoices.NONE, year, quarter,
                        MonthChoices.NONE, scope_id, ObservationStatusChoices.FINAL, None, SOURCE, None, SOURCE, "",
                        stamp, stamp,
                    )  # fmt: skip
                    pk += 1


# ---- writers ------------------------------------------------------------------------------------


def _copy_text(rows: Iterable[tuple]) -> str:
    # Generated text never holds tabs, newlines or backslashes, so no escaping is needed.
    return "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)


@contextmanager
def _explicit_timestamps(*models_: type[models.Model]):
    # bulk_create would stamp auto_now / auto_now_add fields with now(); generated rows carry their own.
    fields = [
        f
        for m in models_
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def write_rows(model: type[models.Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows (values in ``columns`` order, attnames) with COPY on PostgreSQL, else bulk_create."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        return
    decimal_fields = {f.attname for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)}
    objs = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        for name in decimal_fields & values.keys():
            if values[name] is not None:
                values[name] = Decimal(values[name])
        objs.append(model(**values))
    with _explicit_timestamps(model):
        model.objects.bulk_create(objs, batch_size=500)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequences(*models_: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite and others continue from the highest key by themselves
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))",
                [table],
            )


@contextmanager
def _deferred_indexes(*models_: type[models.Model]):
    """Drop the secondary indexes and foreign keys of these tables, and build them again at the end.

    What pg_restore does: building an index once over sorted data and checking a foreign key
    with one join is many times faster than maintaining them row by row. Primary keys and
    unique constraints stay, so the data is checked as it comes in.
    """
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique"
            " ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            # Inside an outer transaction, deferred checks still pending would forbid the ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor, transaction.atomic():
            # More memory for the sorts of the index builds, for this transaction only.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def delete_synthetic() -> None:
    """Remove every generated row (reports go with their projects)."""
    with transaction.atomic():
        delete_synthetic_dispatch()
        projects = KeyProject.objects.filter(source_file=SOURCE).values("pk")
        ProjectReport.objects.filter(project__in=projects)._raw_delete(connection.alias)
        KeyProject.objects.filter(source_file=SOURCE)._raw_delete(connection.alias)
        TargetProgress.objects.filter(observation__source_file=SOURCE).update(observation=None)
        Observation.objects.filter(source_file=SOURCE)._raw_delete(connection.alias)
        refresh_progress()  # the services are bypassed: repair the derived rows
        project_rollup_rebuild()


def synthetic_exists() -> bool:
    return (
        KeyProject.objects.filter(source_file=SOURCE).exists()
        or Observation.objects.filter(source_file=SOURCE).exists()
    )


def generate(
    *,
    projects: int,
    reports_per_project: int,
    seed: int,
    observations: bool = True,
    observations_per_target: int | None = None,
    chunk: int = 20_000,
    defer_indexes: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerateReport:
    """Generate and write the rows; ``progress(n)`` is called with the projects written so far.

    ``observations_per_target`` caps each target's observations (None: every year and quarter from
    its baseline; tests use a few to stay fast).

    ``defer_indexes`` (PostgreSQL only; by default for more than 200,000 rows) rebuilds the
    secondary indexes and foreign keys of the project and report tables after the load.
    """
    started_at = time.perf_counter()
    if defer_indexes is None:
        defer_indexes = projects * (1 + reports_per_project) > 200_000
    deferred = (
        _deferred_indexes(KeyProject, ProjectReport)
        if defer_indexes and connection.vendor == "postgresql"
        else nullcontext()
    )
    phases = {}
    with deferred:
        report = _generate(
            projects, reports_per_project, seed, observations, observations_per_target, chunk, progress, phases
        )
        # COPY bypassed the services that keep the dashboards' counts and the search text (written
        # here, before the deferred indexes are built again).
        with _phase(phases, "rollups"):
            project_rollup_rebuild()
        mark = time.perf_counter()
    phases["indexes"] = time.perf_counter() - mark
    _reset_sequences(KeyProject, ProjectReport, Observation)
    if connection.vendor == "postgresql":
        # Fresh statistics for the planner; outside a transaction also VACUUM, which marks the
        # new pages all-visible so that counts can use index-only scans (as autovacuum would later).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with _phase(phases, "analyze"), connection.cursor() as cursor:
            for model in (KeyProject, ProjectReport, Observation, TargetProgress, ProjectRollup):
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    report.phases = phases
    report.seconds = time.perf_counter() - started_at
    return report


@contextmanager
def _phase(phases: dict[str, float], name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - started


def _generate(
    projects, reports_per_project, seed, observations, observations_per_target, chunk, progress, phases
) -> GenerateReport:
    universe = Universe()
    generator = Generator(
        universe,
        seed=seed,
        reports_per_project=reports_per_project,
        first_id=_next_id(KeyProject),
        first_report_id=_next_id(ProjectReport),
    )
    report = GenerateReport()
    done = 0
    mark = time.perf_counter()
    while done < projects:
        size = min(chunk, projects - done)
        project_rows, report_rows = [], []
        for serial in range(done + 1, done + size + 1):
            row, reports = generator.project(serial)
            project_rows.append(row)
            report_rows.extend(reports)
        with transaction.atomic():
            write_rows(KeyProject, PROJECT_COLUMNS, project_rows)
            write_rows(ProjectReport, REPORT_COLUMNS, report_rows)
        done += size
        report.projects += len(project_rows)
        report.reports += len(report_rows)
        if progress:
            progress(done)
    phases["projects and reports"] = time.perf_counter() - mark
    if observations:
        with _phase(phases, "observations and progress"):
            rows = list(
                observation_rows(universe, random.Random(seed + 1), _next_id(Observation), observations_per_target)
            )
            with transaction.atomic():
                for start in range(0, len(rows), chunk):
                    write_rows(Observation, OBSERVATION_COLUMNS, rows[start : start + chunk])
                refresh_progress()  # the services are bypassed: repair the derived rows
        report.observations = len(rows)
    return report


# Monthly dispatch (issue 15): milestones, year investment plans, gaps in reporting, “三个一批” batches
# and the warnings the rules find in them, as of TODAY. Milestones, plans and batches are written in
# bulk (no history, like the rest of this module); the warnings through projects.services, so that
# they are exactly what the nightly run would open (without notices: synthetic data fills no inbox).

#: Procedure milestones before the start, then the stage milestones, in order.
PRE_START_MILESTONES = (
    MilestoneCodeChoices.APPROVAL,
    MilestoneCodeChoices.LAND,
    MilestoneCodeChoices.EIA,
    MilestoneCodeChoices.CONSTRUCTION_PERMIT,
)
MILESTONE_COLUMNS = (
    "id", "project_id", "code", "name", "planned_on", "baseline_on", "actual_on", "status", "responsible_unit",
    "note", "created", "updated",
)  # fmt: skip
YEAR_PLAN_COLUMNS = ("id", "project_id", "year", "planned_investment", "note", "created", "updated")
RESPONSIBLE_UNITS = {
    MilestoneCodeChoices.APPROVAL: "发展改革部门",
    MilestoneCodeChoices.LAND: "自然资源部门",
    MilestoneCodeChoices.EIA: "生态环境部门",
    MilestoneCodeChoices.CONSTRUCTION_PERMIT: "住房城乡建设部门",
}
#: Shares of reporting projects whose last reports are missing: May and June (a yellow no_report
#: warning on TODAY), April to June (red).
MISSING_TWO_MONTHS, MISSING_THREE_MONTHS = 0.06, 0.03
#: “三个一批” events: (date, name); projects signed, started or put into production in the quarter
#: before an event join it, as most of them do.
BATCH_EVENTS = (
    (date(2024, 3, 28), "2024年一季度全省“三个一批”活动（合成）"),
    (date(2024, 9, 26), "2024年三季度全省“三个一批”活动（合成）"),
    (date(2025, 3, 27), "2025年一季度全省“三个一批”活动（合成）"),
)


@dataclass
class DispatchReport:
    milestones: int = 0
    year_plans: int = 0
    reports_removed: int = 0
    batch_entries: int = 0
    warnings: dict = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


def generate_dispatch(*, seed: int, today: date = TODAY) -> DispatchReport:
    """Dispatch data for every synthetic project, then the warnings as of ``today`` (deterministic per seed)."""
    rng = random.Random(seed + 2)
    report = DispatchReport()
    mark = time.perf_counter()
    projects = list(
        KeyProject.objects.filter(source_file=SOURCE)
        .order_by("pk")
        .values_list("pk", "stage", "signed_on", "started_on", "production_on", "total_investment")
    )
    stamp = _timestamp(today, 36000)
    milestones, removed = [], []
    next_id = _next_id(Milestone)
    for pk, stage, signed, started, production, _ in projects:
        for row in _milestones(rng, pk, stage, signed, started, production, today):
            milestones.append((next_id, *row, stamp, stamp))
            next_id += 1
        if stage in (ProjectStageChoices.SIGNED, ProjectStageChoices.STARTED, ProjectStageChoices.IN_PRODUCTION):
            draw = rng.random()
            if draw < MISSING_THREE_MONTHS:
                removed.append((pk, 4))
            elif draw < MISSING_THREE_MONTHS + MISSING_TWO_MONTHS:
                removed.append((pk, 5))
    with transaction.atomic():
        for start in range(0, len(milestones), 20_000):
            write_rows(Milestone, MILESTONE_COLUMNS, milestones[start : start + 20_000])
    report.phases["milestones"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with transaction.atomic():
        for month in (4, 5):
            ids = [pk for pk, first in removed if first == month]
            for start in range(0, len(ids), 5_000):
                gone = ProjectReport.objects.filter(
                    project__in=ids[start : start + 5_000], year=today.year, month__gte=month
                )
                report.reports_removed += gone._raw_delete(connection.alias) or 0
        report.year_plans = _year_plans(rng, projects, today, stamp)
        report.batch_entries = _batches(rng, projects)
    report.milestones = len(milestones)
    _reset_sequences(Milestone, ProjectYearPlan, Batch, BatchProject)
    report.phases["year plans, batches"] = time.perf_counter() - mark
    with _phase(report.phases, "warnings"):
        warnings_evaluate(today=today, projects=KeyProject.objects.filter(source_file=SOURCE), notify=False)
    report.warnings = dict(
        ProjectWarning.objects.filter(project__source_file=SOURCE, resolved_on__isnull=True)
        .order_by()
        .values_list("rule")
        .annotate(n=models.Count("pk"))
    )
    return report


def _milestones(rng, pk, stage, signed, started, production, today) -> list[tuple]:
    """A project's milestones: met ones with their actual dates, the others planned around today."""
    if stage == ProjectStageChoices.CANCELLED:
        return []
    reached = {
        MilestoneCodeChoices.START: started,
        MilestoneCodeChoices.PRODUCTION: production,
        MilestoneCodeChoices.FULL_CAPACITY: production + timedelta(days=rng.randint(180, 540))
        if stage == ProjectStageChoices.AT_CAPACITY and production
        else None,
    }
    if reached[MilestoneCodeChoices.FULL_CAPACITY] is not None:
        reached[MilestoneCodeChoices.FULL_CAPACITY] = min(reached[MilestoneCodeChoices.FULL_CAPACITY], today)
    basis = signed or today - timedelta(days=rng.randint(0, 365))
    rows = []
    # Procedures: done before the start, or after signing for a signed project (most of them), else pending.
    for index, code in enumerate(PRE_START_MILESTONES):
        planned = basis + timedelta(days=30 * (index + 1) + rng.randint(-15, 45))
        done = started is not None or (signed is not None and rng.random() < 0.75 - index * 0.2)
        if done:
            actual = min(planned + timedelta(days=rng.randint(-20, 60)), started or today, today)
            rows.append(_milestone_row(pk, code, planned, planned, actual, MilestoneStatusChoices.MET))
        else:
            rows.append(_pending(rng, pk, code, planned, today))
    codes = [MilestoneCodeChoices.START, MilestoneCodeChoices.PRODUCTION]
    if stage in (ProjectStageChoices.IN_PRODUCTION, ProjectStageChoices.AT_CAPACITY):
        codes.append(MilestoneCodeChoices.FULL_CAPACITY)
    previous = basis + timedelta(days=150)
    for code in codes:
        actual = reached[code]
        planned = (actual or previous) + timedelta(days=rng.randint(-60, 30 if actual else 240))
        if actual is not None:
            rows.append(_milestone_row(pk, code, planned, planned, actual, MilestoneStatusChoices.MET))
        else:
            rows.append(_pending(rng, pk, code, planned, today))
        previous = max(actual or planned, previous) + timedelta(days=rng.randint(180, 600))
    return rows


def _pending(rng, pk, code, baseline, today) -> tuple:
    """A milestone not met yet: a baseline long past has been re-planned (most), or is simply overdue."""
    planned = baseline
    if baseline < today - timedelta(days=60) and rng.random() < 0.85:
        planned = today + timedelta(days=int(rng.gauss(100, 110)))
    return _milestone_row(pk, code, planned, baseline, None, MilestoneStatusChoices.SCHEDULED)


def _milestone_row(pk, code, planned, baseline, actual, status) -> tuple:
    unit = RESPONSIBLE_UNITS.get(code, "项目单位")
    return (pk, code, "", planned, min(baseline, planned), actual, status, unit, "")


def _year_plans(rng, projects, today, stamp) -> int:
    """The year's planned investment of projects under construction or producing: what they reported by
    the months elapsed, scaled to the year and by a log-normal factor (some plans are too ambitious)."""
    months = today.month - 1
    building = [p[0] for p in projects if p[1] in (ProjectStageChoices.STARTED, ProjectStageChoices.IN_PRODUCTION)]
    done = defaultdict(Decimal)
    for start in range(0, len(building), 5_000):
        rows = (
            ProjectReport.objects.filter(
                project__in=building[start : start + 5_000], year=today.year, month__lte=months
            )
            .values_list("project")
            .annotate(total=models.Sum("investment_completed"))
        )
        done.update({pk: total or Decimal(0) for pk, total in rows})
    rows, next_id = [], _next_id(ProjectYearPlan)
    for pk in building:
        if months == 0 or rng.random() < 0.1:  # one project in ten has no plan for the year on file
            continue
        pace = done.get(pk, Decimal(0)) * 12 / months
        if pace <= 0:
            continue
        planned = pace * Decimal(str(round(rng.lognormvariate(0, 0.3), 3)))
        rows.append((next_id, pk, today.year, f"{planned:.2f}", "", stamp, stamp))
        next_id += 1
    write_rows(ProjectYearPlan, YEAR_PLAN_COLUMNS, rows)
    return len(rows)


def _batches(rng, projects) -> int:
    entries = []
    for held_on, name in BATCH_EVENTS:
        batch = Batch.objects.create(name=name, held_on=held_on, note="合成数据")
        window = held_on - timedelta(days=100)
        for pk, _, signed, started, production, _ in projects:
            for kind, day in (
                (BatchKindChoices.PRODUCTION, production),
                (BatchKindChoices.START, started),
                (BatchKindChoices.SIGN, signed),
            ):
                if day is not None and window <= day <= held_on and rng.random() < 0.8:
                    entries.append(BatchProject(batch=batch, project_id=pk, kind=kind))
                    break
    BatchProject.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def delete_synthetic_dispatch() -> None:
    """Remove the dispatch rows of generated projects (before the projects themselves are removed)."""
    projects = KeyProject.objects.filter(source_file=SOURCE).values("pk")
    # The projects' kept figures too (raw deletes do not cascade); delete_synthetic recounts what remains.
    for model in (Milestone, ProjectYearPlan, ProjectWarning, BatchProject, ProjectFigures, ProjectYearFigures):
        model.objects.filter(project__in=projects)._raw_delete(connection.alias)
    Batch.objects.filter(name__endswith="（合成）").delete()
