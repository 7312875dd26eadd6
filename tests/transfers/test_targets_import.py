"""Targets (指标目标) and yearly steps (年度目标) by spreadsheet: preview, apply, errors, allocations, scope, rollup."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from common.choices import RoleChoices
from common.tables import write_table
from plans.choices import CityAggregationChoices, ComparatorChoices, TargetNatureChoices
from plans.models import Indicator, Target, TargetProgress, TargetStep
from plans.progress import progress_as_of
from tests import factories
from tests.shared import built_once, fresh_copy
from transfers import services
from transfers.datasets import DATASETS
from transfers.spreadsheet import Table, read_table

from .test_api import client_for, post_import

TARGETS, STEPS = DATASETS["targets"], DATASETS["target_steps"]


def build() -> SimpleNamespace:
    d = SimpleNamespace()
    d.regions = factories.make_regions()
    d.province, d.taiyuan, d.datong = (d.regions[code] for code in ("140000", "140100", "140200"))
    d.sheng = factories.make_user("sheng", RoleChoices.PROVINCE)
    d.taiyuan_user = factories.make_user("taiyuan", RoleChoices.CITY, [d.taiyuan])
    d.plan = factories.make_plan()
    d.old_plan = factories.make_plan(
        "sx-13th-sei", title="山西省“十三五”战略性新兴产业发展规划", short_title="十三五战新规划"
    )
    d.revenue = Indicator.objects.create(
        name="战略性新兴产业营业收入", unit="亿元", key="sei-revenue", city_aggregation=CityAggregationChoices.SUM
    )
    d.share = Indicator.objects.create(name="战略性新兴产业增加值占比", unit="%", key="sei-share")
    d.firms = Indicator.objects.create(name="高新技术企业数量", unit="家", key="high-tech-firms", national_code="GX01")
    d.province_revenue = factories.make_target(
        d.plan,
        d.province,
        "revenue",
        indicator=d.revenue,
        name="战略性新兴产业营业收入",
        baseline_value=Decimal("1000"),
        baseline_year=2020,
        target_value=Decimal("3000"),
        target_year=2030,
    )
    d.observed = factories.make_observation(d.province, 2025, "1800", indicator=d.revenue)
    return d


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def d(built, db) -> SimpleNamespace:
    return fresh_copy(built)


def row(dataset, **cells) -> list:
    return [cells.get(header, "") for header in dataset.headers]


def target_row(
    plan="十四五战新规划", indicator="战略性新兴产业营业收入", scope="山西省", year=2030, value=3000, **cells
):
    return row(
        TARGETS,
        **{"规划（简称或标题）": plan, "指标（名称或编号）": indicator, "范围（省或城市）": scope},
        **{"目标年份": year, "目标值": value},
        **cells,
    )


def step_row(year, value, scope="山西省", target_year=2030, indicator="战略性新兴产业营业收入"):
    return row(
        STEPS,
        **{"规划（简称或标题）": "十四五战新规划", "指标（名称或编号）": indicator, "范围（省或城市）": scope},
        **{"目标年份": target_year, "年份": year, "年度目标值": value},
    )


def run(user, dataset, rows, *, dry_run=False) -> services.ImportResult:
    table = Table(header=dataset.headers, rows=list(enumerate(rows, start=2)), file_format="csv")
    return services.import_table(dataset=dataset, table=table, user=user, dry_run=dry_run)


def texts(result) -> list[str]:
    return [str(error) for error in result.errors]


def test_preview_then_apply_creates_targets_and_allocates_city_rows(d):
    rows = [
        target_row(
            indicator="GX01",
            value=5000,
            **{"属性": "预期性", "比较方式": "≥", "基期年份": 2020, "基期值": 3188, "单位": "家"},
            **{"每年目标（是/否）": "否", "目标表述": "高新技术企业达到5000家"},
        ),
        target_row(indicator="高新技术企业数量", scope="太原市", value=2000),  # allocated from the row above
        target_row(scope="太原市", value=1200, **{"属性": "约束性", "分解自省级目标": "是"}),
        target_row(scope="大同市", value=500, **{"分解自省级目标": "否"}),
        target_row(
            indicator="sei-share", value=15, **{"比较方式": "区间", "目标值上限": 16, "期内累计（是/否）": "是"}
        ),
    ]
    before = Target.objects.count()
    preview = run(d.sheng, TARGETS, rows, dry_run=True)
    assert preview.errors == []
    assert preview.counts == {"total": 5, "created": 5, "updated": 0, "unchanged": 0}
    assert Target.objects.count() == before

    applied = run(d.sheng, TARGETS, rows)
    assert applied.counts == preview.counts, texts(applied)
    firms = Target.objects.get(indicator=d.firms, scope=d.province)
    assert (firms.key, firms.name, firms.nature, firms.comparator) == (
        "high-tech-firms-140000-2030", "高新技术企业达到5000家", TargetNatureChoices.EXPECTED, ComparatorChoices.GE
    )  # fmt: skip
    assert (firms.baseline_value, firms.baseline_year, firms.target_value) == (Decimal(3188), 2020, Decimal(5000))
    assert Target.objects.get(indicator=d.firms, scope=d.taiyuan).parent == firms
    taiyuan = Target.objects.get(indicator=d.revenue, scope=d.taiyuan)
    assert (taiyuan.parent, taiyuan.nature, taiyuan.name) == (d.province_revenue, "binding", "战略性新兴产业营业收入")
    assert Target.objects.get(indicator=d.revenue, scope=d.datong).parent is None
    share = Target.objects.get(indicator=d.share)
    assert (share.comparator, share.target_value_max, share.is_cumulative) == ("range", Decimal(16), True)
    assert TargetProgress.objects.filter(target__in=Target.objects.filter(plan=d.plan)).count() == before + 5
    record = taiyuan.history.get()
    assert (record.history_type, record.history_user) == ("+", d.sheng)


def test_every_bad_cell_is_a_row_error_and_nothing_is_written(d):
    rows = [
        target_row(indicator="不存在的指标"),
        target_row(**{"单位": "万元"}),
        target_row(year=2101),
        target_row(scope="火星市"),
        target_row(plan="sx-14th-sei", **{"基期年份": 1900}),
        target_row(plan="sx-14th-sei", scope="晋中市", value=1),
        target_row(scope="140700", value=2),
        target_row(indicator="高新技术企业数量", scope="太原市", **{"分解自省级目标": "是"}),
        target_row(scope="山西省", indicator="sei-share", **{"分解自省级目标": "十三五战新规划"}),
        target_row(indicator="sei-share", scope="晋中市", **{"比较方式": "区间"}),
        target_row(indicator="sei-share", scope="大同市", **{"比较方式": "大约"}),
    ]
    result = run(d.sheng, TARGETS, rows)
    assert texts(result) == [
        "第 2 行「指标（名称或编号）」：未找到指标「不存在的指标」，请填写指标库中的指标编号或名称。",
        "第 3 行「单位」：「万元」与指标「战略性新兴产业营业收入」的单位「亿元」不一致。",
        "第 4 行「目标年份」：应在 1949 至 2100 之间，实际为 2101。",
        "第 5 行「范围（省或城市）」：未找到城市「火星市」，"
        "请填写设区市的名称（如 太原市）或 6 位行政区划代码（如 140100）。",
        "第 6 行「基期年份」：应在 1949 至 2100 之间，实际为 1900。",
        "第 8 行「规划（简称或标题）」：与第 7 行重复（十四五战新规划 / 战略性新兴产业营业收入 / 晋中市 / 2030）。",
        "第 9 行「分解自省级目标」：规划「十四五战新规划」中没有「高新技术企业数量」2030 年的省级目标，"
        "无法分解；请先导入省级目标，或填写“否”。",
        "第 10 行「分解自省级目标」：省级目标不能分解自其他目标，请填写“否”或不填。",
        "第 11 行「比较方式」：区间目标须填写目标值上限。",
        "第 12 行「比较方式」：「大约」不是有效的选项，"
        "可选：≥（不低于）、>（超过）、≤（不高于）、<（低于）、=（达到）、约、区间。",
    ]
    assert not Target.objects.filter(indicator__in=[d.share, d.firms]).exists()


def test_reimport_changes_nothing_and_a_changed_value_updates(d):
    rows = [target_row(scope="太原市", value=1200), target_row(**{"基期年份": 2020, "基期值": 1000})]
    first = run(d.sheng, TARGETS, rows)
    assert first.counts == {"total": 2, "created": 1, "updated": 0, "unchanged": 1}, texts(first)
    histories = Target.history.count()
    assert run(d.sheng, TARGETS, rows).counts == {"total": 2, "created": 0, "updated": 0, "unchanged": 2}
    assert Target.history.count() == histories
    changed = run(d.sheng, TARGETS, [target_row(scope="140100", value=1300, **{"分解自省级目标": "否"})])
    assert changed.counts["updated"] == 1, texts(changed)
    city = Target.objects.get(indicator=d.revenue, scope=d.taiyuan)
    assert (city.target_value, city.parent, city.key) == (Decimal(1300), None, "sei-revenue-140100-2030")


def test_a_key_two_stored_targets_share_is_refused(d):
    factories.make_target(d.plan, d.province, "revenue-copy", indicator=d.revenue, target_value=1, target_year=2030)
    result = run(d.sheng, TARGETS, [target_row()])
    assert texts(result) == [
        "第 2 行「规划（简称或标题）」：「十四五战新规划 / 战略性新兴产业营业收入 / 山西省 / 2030」"
        "对应多条已有记录，无法确定修改哪一条，请在管理后台处理。"
    ]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_import_round_trips_targets_and_steps(d, file_format):
    run(d.sheng, TARGETS, [target_row(scope="太原市", value=1200, **{"基期年份": 2020, "基期值": 400})])
    run(d.sheng, STEPS, [step_row(2025, 2000), step_row(2026, 2300)])
    for dataset, count in ((TARGETS, 2), (STEPS, 2)):
        job = services.export_job_create(user=d.sheng, dataset_name=dataset.name, file_format=file_format)
        job.refresh_from_db()
        table = read_table(bytes(job.result), job.file_name)
        assert table.header == dataset.headers
        assert len(table.rows) == count
        again = services.import_table(dataset=dataset, table=table, user=d.sheng, dry_run=False)
        assert again.counts == {"total": count, "created": 0, "updated": 0, "unchanged": count}, texts(again)
    table = read_table(
        write_table(TARGETS.headers, services.export_rows(dataset=TARGETS, user=d.sheng), "csv"), "t.csv"
    )
    assert [cells[TARGETS.headers.index("分解自省级目标")] for _, cells in table.rows] == ["否", "是"]


def test_city_staff_may_not_import_targets_or_steps(d):
    """Targets are province-wide (common.scope): city staff read them but neither add nor change them."""
    client = client_for(d.taiyuan_user)
    content = write_table(TARGETS.headers, [target_row(scope="太原市")], "xlsx")
    assert post_import(client, content, dataset="targets").status_code == 403
    assert post_import(client, content, dataset="target_steps").status_code == 403
    result = run(d.taiyuan_user, TARGETS, [target_row(scope="太原市"), target_row(scope="大同市")])
    assert texts(result) == [
        "第 2 行「范围（省或城市）」：您无权新增此类记录。",
        "第 3 行「范围（省或城市）」：您无权新增此类记录。",
    ]
    assert texts(run(d.taiyuan_user, TARGETS, [target_row()])) == [
        "第 2 行「规划（简称或标题）」：「十四五战新规划 / 战略性新兴产业营业收入 / 山西省 / 2030」"
        "已被使用，您无权修改该记录。"
    ]
    exported = services.export_rows(dataset=TARGETS, user=d.taiyuan_user)
    assert len(exported) == 1  # province-wide records: every role reads them


def test_steps_preview_apply_update_and_refresh_the_rollup(d):
    rollup = TargetProgress.objects.get(target=d.province_revenue)
    before = rollup.expected_progress
    rows = [step_row(2025, 2000), step_row(2026, 2900)]
    preview = run(d.sheng, STEPS, rows, dry_run=True)
    assert preview.counts == {"total": 2, "created": 2, "updated": 0, "unchanged": 0}, texts(preview)
    assert not TargetStep.objects.exists()
    assert run(d.sheng, STEPS, rows).counts["created"] == 2
    assert dict(TargetStep.objects.values_list("year", "value")) == {2025: Decimal(2000), 2026: Decimal(2900)}
    rollup.refresh_from_db()
    fresh = progress_as_of(Target.objects.filter(pk=d.province_revenue.pk), as_of=timezone.localdate())
    assert rollup.expected_progress != before
    assert rollup.expected_progress == pytest.approx(fresh[d.province_revenue.pk].expected_progress)
    assert run(d.sheng, STEPS, rows).counts["unchanged"] == 2
    updated = run(d.sheng, STEPS, [step_row(2026, 2500)])
    assert updated.counts["updated"] == 1
    rollup.refresh_from_db()
    fresh = progress_as_of(Target.objects.filter(pk=d.province_revenue.pk), as_of=timezone.localdate())
    assert rollup.expected_progress == pytest.approx(fresh[d.province_revenue.pk].expected_progress)


def test_step_row_errors(d):
    rows = [
        step_row(2025, 2000, indicator="高新技术企业数量"),
        step_row(2031, 2000),
        step_row(1900, 2000),
        step_row(2020, 2000),
        step_row(2025, "很多"),
        step_row(2025, 2100, target_year=2030),
        step_row(2025, 2100, target_year=2030),
    ]
    assert texts(run(d.sheng, STEPS, rows)) == [
        "第 2 行「指标（名称或编号）」：未找到规划「十四五战新规划」中山西省「高新技术企业数量」2030 年的目标，"
        "请先导入该目标。",
        "第 3 行「年份」：年度目标的年份须在基期年份之后、目标年份及以前。",
        "第 4 行「年份」：应在 1949 至 2100 之间，实际为 1900。",
        "第 5 行「年份」：年度目标的年份须在基期年份之后、目标年份及以前。",
        "第 6 行「年度目标值」：「很多」不是有效的数字。",
        "第 8 行「指标（名称或编号）」：与第 7 行重复（战略性新兴产业营业收入 / 2025）。",
    ]
    assert not TargetStep.objects.exists()


def test_admin_import_page_offers_targets_to_provincial_staff_only(d, client):
    client.force_login(d.taiyuan_user)
    city_page = client.get(reverse("admin:transfers_job_import")).content.decode()
    assert 'value="projects"' in city_page and 'value="targets"' not in city_page
    client.force_login(d.sheng)
    province_page = client.get(reverse("admin:transfers_job_import")).content.decode()
    assert 'value="targets"' in province_page and 'value="target_steps"' in province_page
