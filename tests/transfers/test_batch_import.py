"""New rows created in batches: the same records, history, errors and counts as row by row, in few queries."""

import dataclasses
import math
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.models import AutoField
from django.test.utils import CaptureQueriesContext

import common.services
import plans.services
import projects.services
from plans.models import Observation, TargetProgress
from projects.models import KeyProject, ProjectReport
from transfers import services
from transfers.datasets import DATASETS
from transfers.spreadsheet import Table

from .conftest import header, project_row

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

PROJECTS, REPORTS = DATASETS["projects"], DATASETS["reports"]


def table(dataset, rows) -> Table:
    return Table(header=header(dataset.name), rows=list(enumerate(rows, start=2)), file_format="csv")


def run(user, rows, *, dataset=PROJECTS, dry_run=False, progress=None) -> services.ImportResult:
    return services.import_table(
        dataset=dataset, table=table(dataset, rows), user=user, dry_run=dry_run, progress=progress
    )


def one_by_one(dataset):
    """The dataset with every row going through the app's service (the path before batches)."""
    return dataclasses.replace(dataset, create_many=None)


def texts(result) -> list[str]:
    return [str(error) for error in result.errors]


def many(count: int, prefix="批量项目", **cells) -> list[list]:
    return [
        project_row(f"{prefix}{i:05d}", **{"总投资（亿元）": i % 50, "阶段": "开工", **cells}) for i in range(count)
    ]


def test_import_larger_than_a_batch_creates_every_row_with_its_history(world, taiyuan_user):
    rows = many(services.BATCH_ROWS * 2 + 100, **{"建设单位": "太重集团", "所在县（市、区）": "小店区"})
    result = run(taiyuan_user, rows)
    assert result.errors == []
    assert result.counts == {"total": len(rows), "created": len(rows), "updated": 0, "unchanged": 0}
    assert [row["row"] for row in result.rows] == list(range(2, services.PREVIEW_ROWS + 2))
    assert {row["action"] for row in result.rows} == {"created"}
    projects = KeyProject.objects.filter(name__startswith="批量项目")
    assert projects.count() == len(rows)
    assert set(projects.values_list("enterprise", "county__code", "city__code")) == {
        (world["ty_ent"].pk, "140105", "140100")
    }
    assert projects.get(name="批量项目00007").total_investment == Decimal("7")
    history = KeyProject.history.filter(name__startswith="批量项目")
    assert history.count() == len(rows)
    assert set(history.values_list("history_type", "history_user")) == {("+", taiyuan_user.pk)}
    assert set(history.values_list("id", flat=True)) == set(projects.values_list("pk", flat=True))


def test_progress_reports_count_rows_already_written(world, province_user):
    rows = many(services.BATCH_ROWS + services.PROGRESS_EVERY + 50)
    written = []

    def progress(done):
        written.append((done, KeyProject.objects.filter(name__startswith="批量项目").count()))

    assert run(province_user, rows, progress=progress).counts["created"] == len(rows)
    assert written == [(done, done) for done in range(services.PROGRESS_EVERY, len(rows) + 1, services.PROGRESS_EVERY)]


@pytest.fixture
def refused(monkeypatch) -> list[IntegrityError]:
    """The IntegrityErrors that made a batch fall back to row by row."""
    errors = []
    records_create = projects.services.records_create

    def spy(**kwargs):
        try:
            return records_create(**kwargs)
        except IntegrityError as exc:
            errors.append(exc)
            raise

    monkeypatch.setattr(projects.services, "records_create", spy)
    return errors


def test_check_constraint_in_a_batch_row_names_row_and_column_and_writes_nothing(world, province_user, refused):
    rows = many(700)
    rows[3] = project_row("签约晚于开工", **{"签约日期": "2024-05-01", "开工日期": "2024-01-01"})
    rows[650] = project_row("开工晚于投产", **{"开工日期": "2024-05-01", "投产日期": "2023-01-01"})
    before = KeyProject.objects.count(), KeyProject.history.count()
    result = run(province_user, rows)
    assert texts(result) == [
        "第 5 行「签约日期」：签约日期不能晚于开工日期。",
        "第 652 行「开工日期」：开工日期不能晚于投产日期。",
    ]
    assert (KeyProject.objects.count(), KeyProject.history.count()) == before
    assert refused == []  # found by the checks, not by the database


def test_duplicate_name_in_another_batch_is_an_error(world, province_user):
    rows = many(700)
    rows[600] = project_row("批量项目00000")
    result = run(province_user, rows)
    assert texts(result) == ["第 602 行「项目名称」：与第 2 行重复（批量项目00000）。"]
    assert not KeyProject.objects.filter(name__startswith="批量项目").exists()


def test_city_user_cannot_take_the_name_of_another_citys_project(world, taiyuan_user, monkeypatch):
    rows = [*many(3), project_row("大同机车项目")]
    assert texts(run(taiyuan_user, rows)) == ["第 5 行「项目名称」：「大同机车项目」已被使用，您无权修改该记录。"]
    # Written meanwhile by someone else (the natural-key lookup did not see it): the unique check does.
    monkeypatch.setattr(type(PROJECTS), "existing", lambda self, rows: {})
    result = run(taiyuan_user, rows)
    assert texts(result) == ["第 5 行「项目名称」：该名称已被使用。"]
    assert texts(result) == texts(run(taiyuan_user, rows, dataset=one_by_one(PROJECTS)))
    assert not KeyProject.objects.filter(name__startswith="批量项目").exists()
    assert KeyProject.objects.get(name="大同机车项目").city.code == "140200"


BAD_FILES = {
    "mixed": [
        project_row("新项目甲", **{"总投资（亿元）": 12.5, "阶段": "开工", "建设单位": "太重集团"}),
        project_row("太原轨道交通项目", **{"总投资（亿元）": 11}),
        project_row("新项目乙", **{"签约日期": "2024-05-01", "开工日期": "2024-01-01"}),
        project_row("新项目丙", city="大同市"),
        project_row("新项目丁", **{"所在县（市、区）": "小店区", "所在园区": "太原高新技术产业开发区"}),
        project_row("新项目戊", **{"建设规模": "长" * 300}),
        project_row("大同机车项目"),
        project_row("新项目甲"),
        project_row("新项目己", **{"开工日期": "2024-05-01", "投产日期": "2024-01-01", "签约日期": "2024-06-01"}),
        project_row("", **{"签约日期": "2024-13-45"}),
    ],
    "valid": [project_row("新项目甲"), project_row("太原轨道交通项目", **{"阶段": "投产"}), project_row("新项目乙")],
}


@pytest.mark.parametrize("name", BAD_FILES)
@pytest.mark.parametrize("user", ["province_user", "taiyuan_user"])
def test_batches_give_the_same_outcome_as_row_by_row(world, request, name, user):
    user = request.getfixturevalue(user)
    batched = run(user, BAD_FILES[name], dry_run=True)
    single = run(user, BAD_FILES[name], dataset=one_by_one(PROJECTS), dry_run=True)
    assert texts(batched) == texts(single)
    assert (batched.counts, batched.rows) == (single.counts, single.rows)


def test_reports_in_batches_are_reported_by_the_importing_user(world, taiyuan_user):
    rows = [
        ["太原轨道交通项目", 2024, 2, "开工", "1.5", "进展顺利"],
        ["太原轨道交通项目", 2024, 3, "开工", "-1", ""],
        ["太原轨道交通项目", 2024, 4, "开工", "2", ""],
        ["太原轨道交通项目", 2024, 5, "开工", "2.5", ""],
    ]
    failed = run(taiyuan_user, rows, dataset=REPORTS)
    assert texts(failed) == ["第 3 行「本期完成投资（亿元）」：不能为负数。"]
    assert texts(failed) == texts(run(taiyuan_user, rows, dataset=one_by_one(REPORTS)))
    del rows[1]
    assert run(taiyuan_user, rows, dataset=REPORTS).counts["created"] == 3
    reports = ProjectReport.objects.filter(project=world["ty_proj"], year=2024, month__gte=2)
    assert {(r.month, r.reported_by) for r in reports} == {(2, taiyuan_user), (4, taiyuan_user), (5, taiyuan_user)}
    history = ProjectReport.history.filter(project=world["ty_proj"], year=2024, month__gte=2)
    assert set(history.values_list("history_type", "history_user")) == {("+", taiyuan_user.pk)}


@pytest.mark.parametrize(
    ("dataset", "row", "key"),
    [
        (
            PROJECTS,
            project_row(
                "对照项目",
                **{
                    "建设单位": "太重集团",
                    "产业（代码或名称）": "2",
                    "所属规划（简称或标题）": "sx-14th-sei",
                    "阶段": "签约",
                },
                **{"签约日期": "2024-01-02", "总投资（亿元）": "3.25", "产能数值": "60", "产能单位": "万吨"},
            ),
            {"name": "对照项目"},
        ),
        (REPORTS, ["太原轨道交通项目", 2024, 7, "开工", "1.5", "顺利"], {"year": 2024, "month": 7}),
    ],
)
def test_a_batch_saves_what_the_apps_create_service_saves(world, taiyuan_user, dataset, row, key):
    """The batched path (``..._create_many``) saves what the create service saves (reports: by the user)."""
    skip = {"id", "created", "updated"}

    def imported(through):
        assert run(taiyuan_user, [row], dataset=through).counts["created"] == 1
        record = dataset.model.objects.get(**key)
        values = {f.attname: getattr(record, f.attname) for f in dataset.model._meta.concrete_fields}
        history = record.history.values_list("history_type", "history_user").get()
        record.delete()
        return {name: value for name, value in values.items() if name not in skip}, history

    by_service, by_batch = imported(one_by_one(dataset)), imported(dataset)
    assert by_batch == by_service
    assert by_batch[1] == ("+", taiyuan_user.pk)


def test_what_the_database_refuses_comes_back_as_row_errors(world, province_user, monkeypatch, refused):
    """An IntegrityError in a batch (here: the batch's checks are switched off) redoes the batch row by row."""
    monkeypatch.setattr(common.services, "full_clean_many", lambda instances: [None] * len(instances))
    rows = many(30)
    rows[20] = project_row("签约晚于开工", **{"签约日期": "2024-05-01", "开工日期": "2024-01-01"})
    before = KeyProject.objects.count(), KeyProject.history.count()
    result = run(province_user, rows)
    assert len(refused) == 1
    assert texts(result) == ["第 22 行「签约日期」：签约日期不能晚于开工日期。"]
    assert result.counts["created"] == 29
    assert (KeyProject.objects.count(), KeyProject.history.count()) == before


def insert_statements(model, rows: int) -> int:
    """The INSERT statements ``bulk_create`` needs for so many new records (SQLite caps the parameters)."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    return math.ceil(rows / max(connection.ops.bulk_batch_size(fields, [None] * rows), 1))


def queries(user, count: int, prefix: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        result = run(user, many(count, prefix, **{"所在县（市、区）": "小店区"}), dry_run=True)
    assert result.counts["created"] == count, result.errors
    # The projects' and their history's rows; the rollup upserts (one per batch) count with the other queries.
    inserts = sum(
        query["sql"].lstrip().upper().startswith("INSERT") and "projects_projectrollup" not in query["sql"]
        for query in captured.captured_queries
    )
    return inserts, len(captured.captured_queries) - inserts


def test_query_count_does_not_grow_per_row(world, province_user):
    small, large = 600, 1200
    small_inserts, small_other = queries(province_user, small, "小批")
    large_inserts, large_other = queries(province_user, large, "大批")
    batches = {
        n: [min(services.BATCH_ROWS, n - start) for start in range(0, n, services.BATCH_ROWS)] for n in (small, large)
    }
    for n, inserts in ((small, small_inserts), (large, large_inserts)):
        # The history of a batch is copied from its new rows in one INSERT … SELECT.
        expected = sum(insert_statements(KeyProject, b) + 1 for b in batches[n])
        assert inserts == expected
    # One more batch (and one more chunk of the natural-key lookup): a few queries, not a few per row.
    assert len(batches[large]) - len(batches[small]) == 1
    # (Since issue 17 a batch also reads its rollup keys, upserts the rollups and writes the search text: 12.)
    assert large_other - small_other <= 12


def test_observations_refresh_the_targets_progress_once_per_batch(world, province_user, monkeypatch):
    count = services.BATCH_ROWS + 100
    rows = [["太原指标", "140100", 1950 + i // 12, "", i % 12 + 1, str(i % 90 + 1)] for i in range(count)]
    refreshed, reported = [], []
    refresh = plans.services.refresh_progress
    monkeypatch.setattr(plans.services, "refresh_progress", lambda *a, **k: refreshed.append(1) or refresh(*a, **k))
    result = run(province_user, rows, dataset=DATASETS["observations"], progress=reported.append)
    assert result.counts["created"] == count and not result.errors
    batches = math.ceil(count / services.BATCH_ROWS)
    assert len(refreshed) == batches and reported == [services.PROGRESS_EVERY]
    created = Observation.objects.filter(indicator=world["ty_obs"].indicator, year__lt=2000)
    assert created.count() == count
    assert Observation.history.filter(id__in=created.values("pk")).count() == count
    # What the batches left equals a full recount.
    stored = list(TargetProgress.objects.order_by("target").values_list("target", "observation", "progress"))
    refresh()
    assert list(TargetProgress.objects.order_by("target").values_list("target", "observation", "progress")) == stored
