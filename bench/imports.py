"""Scenario 4: importing a CSV of projects (Chinese headers, the transfers template's columns).

Three importers read the same file and insert the same rows, each inside a transaction that is
rolled back at the end, so the database is unchanged:

- the limit: COPY into a staging table, then one INSERT … SELECT resolving codes and names;
- the peer: django-import-export's ModelResource with ForeignKeyWidgets and
  ``clean_model_instances`` (full_clean per row), as a Django developer would set it up;
- sxplan: transfers.services.import_table (per-row services with full_clean, scope checks and
  history), when that app is present.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import time
from pathlib import Path

from django.db import connection, transaction

HEADERS = [
    "项目名称", "所在城市（代码或名称）", "所在县（市、区）", "建设单位", "产业（代码或名称）", "所属规划（编号）",
    "所在园区", "建设规模", "产能数值", "产能单位", "总投资（亿元）", "阶段", "签约日期", "开工日期", "投产日期",
    "说明",
]  # fmt: skip


class Rollback(Exception):
    pass


def write_project_file(path: Path, *, rows: int, seed: int) -> Path:
    """A CSV of new projects drawn by seeds.synthetic (names unseen in the database)."""
    from plans.models import Industry, Plan
    from projects.choices import ProjectStageChoices
    from projects.models import Enterprise
    from regions.models import Park, Region
    from seeds import synthetic

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = dict(Region.objects.values_list("pk", "code"))
    enterprises = dict(Enterprise.objects.values_list("pk", "name"))
    industries = dict(Industry.objects.values_list("pk", "code"))
    plans = dict(Plan.objects.values_list("pk", "code"))
    parks = dict(Park.objects.values_list("pk", "name"))
    stages = dict(ProjectStageChoices.choices)
    generator = synthetic.Generator(
        synthetic.Universe(), seed=seed, reports_per_project=0, first_id=1, first_report_id=1
    )
    generator.rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for serial in range(1, rows + 1):
            row, _ = generator.project(serial)
            values = dict(zip(synthetic.PROJECT_COLUMNS, row, strict=True))
            writer.writerow(
                [
                    values["name"].replace("（G", "（I"),
                    codes[values["city_id"]],
                    codes.get(values["county_id"], ""),
                    enterprises.get(values["enterprise_id"], ""),
                    industries.get(values["industry_id"], ""),
                    plans.get(values["plan_id"], ""),
                    parks.get(values["park_id"], ""),
                    values["capacity"],
                    values["capacity_value"] or "",
                    values["capacity_unit"],
                    values["total_investment"] or "",
                    stages[values["stage"]],
                    values["signed_on"] or "",
                    values["started_on"] or "",
                    values["production_on"] or "",
                    "",
                ]
            )
    return path


def _rate(rows: int, seconds: float, **more) -> dict:
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0, **more}


COPY_INSERT = """
INSERT INTO projects_keyproject (name, plan_id, enterprise_id, industry_id, city_id, county_id, park_id, capacity,
    capacity_value, capacity_unit, total_investment, stage, signed_on, started_on, production_on, description,
    source_file, source_quote, created, updated)
SELECT s.name, pl.id, e.id, i.id, c.id, co.id, pk.id, coalesce(s.capacity, ''), s.capacity_value::numeric,
    coalesce(s.capacity_unit, ''), s.total_investment::numeric, st.value, s.signed_on::date, s.started_on::date,
    s.production_on::date, coalesce(s.description, ''), '', '', now(), now()
FROM bench_staging s
JOIN regions_region c ON c.code = s.city AND c.level = 'city'
LEFT JOIN regions_region co ON co.code = s.county AND co.parent_id = c.id
LEFT JOIN projects_enterprise e ON e.name = s.enterprise
LEFT JOIN plans_industry i ON i.code = s.industry
LEFT JOIN plans_plan pl ON pl.code = s.plan
LEFT JOIN regions_park pk ON pk.name = s.park
JOIN (VALUES {stages}) st(label, value) ON st.label = s.stage
"""


def copy_limit(path: Path) -> dict:
    from projects.choices import ProjectStageChoices

    stages = ", ".join(f"('{label}', '{value}')" for value, label in ProjectStageChoices.choices)
    columns = ", ".join(f"{name} text" for name in (
        "name", "city", "county", "enterprise", "industry", "plan", "park", "capacity", "capacity_value",
        "capacity_unit", "total_investment", "stage", "signed_on", "started_on", "production_on", "description",
    ))  # fmt: skip
    started = time.perf_counter()
    inserted = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_staging ({columns}) ON COMMIT DROP")
            with (
                path.open("rb") as source,
                cursor.copy("COPY bench_staging FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            cursor.execute(COPY_INSERT.format(stages=stages))
            inserted = cursor.rowcount
            raise Rollback
    except Rollback:
        pass
    return _rate(inserted, time.perf_counter() - started)


def _project_resource():
    from import_export import fields, resources, widgets

    from plans.models import Industry, Plan
    from projects.choices import ProjectStageChoices
    from projects.models import Enterprise, KeyProject
    from regions.models import Park, Region

    class StageWidget(widgets.Widget):
        labels = {label: value for value, label in ProjectStageChoices.choices}

        def clean(self, value, row=None, **kwargs):
            return self.labels.get(value, value)

    def fk(model, field):
        return widgets.ForeignKeyWidget(model, field)

    class ProjectResource(resources.ModelResource):
        name = fields.Field("name", "项目名称")
        city = fields.Field("city", "所在城市（代码或名称）", widget=fk(Region, "code"))
        county = fields.Field("county", "所在县（市、区）", widget=fk(Region, "code"))
        enterprise = fields.Field("enterprise", "建设单位", widget=fk(Enterprise, "name"))
        industry = fields.Field("industry", "产业（代码或名称）", widget=fk(Industry, "code"))
        plan = fields.Field("plan", "所属规划（编号）", widget=fk(Plan, "code"))
        park = fields.Field("park", "所在园区", widget=fk(Park, "name"))
        capacity = fields.Field("capacity", "建设规模")
        capacity_value = fields.Field("capacity_value", "产能数值", widget=widgets.DecimalWidget())
        capacity_unit = fields.Field("capacity_unit", "产能单位")
        total_investment = fields.Field("total_investment", "总投资（亿元）", widget=widgets.DecimalWidget())
        stage = fields.Field("stage", "阶段", widget=StageWidget())
        signed_on = fields.Field("signed_on", "签约日期", widget=widgets.DateWidget("%Y-%m-%d"))
        started_on = fields.Field("started_on", "开工日期", widget=widgets.DateWidget("%Y-%m-%d"))
        production_on = fields.Field("production_on", "投产日期", widget=widgets.DateWidget("%Y-%m-%d"))
        description = fields.Field("description", "说明")

        class Meta:
            model = KeyProject
            import_id_fields = ("name",)
            clean_model_instances = True
            fields = (
                "name", "city", "county", "enterprise", "industry", "plan", "park", "capacity", "capacity_value",
                "capacity_unit", "total_investment", "stage", "signed_on", "started_on", "production_on", "description",
            )  # fmt: skip

    return ProjectResource()


def _first_rows(path: Path, limit: int | None) -> str:
    with path.open(encoding="utf-8") as source:
        lines = [line for _, line in zip(range((limit or 10**9) + 1), source, strict=False)]
    return "".join(lines)


def import_export_peer(path: Path, *, limit: int | None) -> dict:
    import tablib

    started = time.perf_counter()
    data = tablib.Dataset().load(_first_rows(path, limit), format="csv")
    result = _project_resource().import_data(data, dry_run=True, raise_errors=False, use_transactions=True)
    seconds = time.perf_counter() - started
    errors = len(result.invalid_rows) + sum(len(row.errors) for row in result.rows)
    return _rate(len(data), seconds, errors=errors)


def sxplan_import(path: Path, *, limit: int | None = None) -> dict | None:
    """transfers' import of the same file (a dry run: validated and written, then rolled back)."""
    if importlib.util.find_spec("transfers") is None:
        return None
    from django.apps import apps

    if not apps.is_installed("transfers"):
        return None
    from django.contrib.auth.models import User

    from transfers.datasets import DATASETS
    from transfers.services import import_table
    from transfers.spreadsheet import read_table

    user = User.objects.get(username="bench")
    dataset = next(d for name, d in DATASETS.items() if str(name) == "projects")
    started = time.perf_counter()
    table = read_table(_first_rows(path, limit).encode("utf-8"), path.name)
    result = import_table(dataset=dataset, table=table, user=user, dry_run=True)
    seconds = time.perf_counter() - started
    return _rate(result.total, seconds, errors=len(result.errors))
