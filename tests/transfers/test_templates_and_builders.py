"""Template dropdowns for every dataset; projects with co-builders (合作建设单位) and the other plans naming them."""

import io
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from common.choices import RoleChoices
from common.tables import write_table
from plans.models import Industry
from plans.services import target_step_create
from projects.models import KeyProject, ProjectBuilder, ProjectMention
from tests import factories
from tests.shared import built_once, fresh_copy
from transfers import services
from transfers.datasets import DATASETS
from transfers.spreadsheet import Table, read_table

PROJECTS = DATASETS["projects"]


def build() -> SimpleNamespace:
    d = SimpleNamespace()
    d.regions = factories.make_regions()
    taiyuan, datong = d.regions["140100"], d.regions["140200"]
    d.sheng = factories.make_user("sheng", RoleChoices.PROVINCE)
    d.taiyuan_user = factories.make_user("taiyuan", RoleChoices.CITY, [taiyuan])
    d.plan = factories.make_plan()
    d.old_plan = factories.make_plan(
        "sx-13th-sei",
        title="山西省“十三五”战略性新兴产业发展规划",
        short_title="十三五战新规划",
        period_start=2016,
        period_end=2020,
    )
    factories.make_indicator("战略性新兴产业增加值占地区生产总值比重")
    d.lead = factories.make_enterprise("中海石油（中国）有限公司", None)
    d.tongmei = factories.make_enterprise("大同煤矿集团有限责任公司", datong)
    d.taizhong = factories.make_enterprise("太原重工股份有限公司", taiyuan)
    d.taizhong.aliases.create(alias="太重")
    d.project = factories.make_project("示例煤层气液化项目", taiyuan, enterprise=d.lead, plan=d.plan)
    cloud = Industry.objects.create(code="1.4", name="互联网与云计算、大数据服务")
    shared = [Industry.objects.create(code=code, name="其他相关服务") for code in ("1.9", "2.9")]
    d.taizhong.industries.set([cloud, shared[1]])
    return d


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


@pytest.fixture
def d(built, db) -> SimpleNamespace:
    return fresh_copy(built)


def dropdowns(name: str) -> dict[str, list]:
    """Each validated column of a dataset's XLSX template, by header, with the values of its list."""
    book = load_workbook(io.BytesIO(services.template_file(dataset=DATASETS[name], file_format="xlsx")))
    sheet, options = book.worksheets[0], book[services.OPTIONS_SHEET]
    assert options.sheet_state == "hidden"
    headers = [cell.value for cell in sheet[1]]
    found = {}
    for validation in sheet.data_validations.dataValidation:
        assert (validation.type, validation.allow_blank) == ("list", True)
        target = str(validation.sqref)
        letter = target.split(":")[0].rstrip("0123456789")
        assert target == f"{letter}2:{letter}{50001}"
        source = validation.formula1.split("!")[1].replace("$", "")
        start, end = source.split(":")
        column = start.rstrip("0123456789")
        values = [options[f"{column}{row}"].value for row in range(2, int(end[len(column) :]) + 1)]
        found[headers[ord(letter) - ord("A")]] = values
    return found


def test_every_dataset_template_offers_its_lists_as_dropdowns(d):
    targets = dropdowns("targets")
    assert targets["属性"] == ["约束性", "预期性", "未说明"]
    assert targets["比较方式"] == ["≥（不低于）", ">（超过）", "≤（不高于）", "<（低于）", "达到", "约", "区间"]
    assert targets["规划（简称或标题）"] == ["十四五战新规划", "十三五战新规划"]
    assert targets["范围（省或城市）"][:3] == ["山西省", "太原市", "大同市"]
    assert targets["指标（名称或编号）"] == ["战略性新兴产业增加值占地区生产总值比重"]
    assert targets["分解自省级目标"] == ["是", "否", "十四五战新规划", "十三五战新规划"]
    assert targets["期内累计（是/否）"] == targets["每年目标（是/否）"] == ["是", "否"]
    steps = dropdowns("target_steps")
    assert set(steps) == {"规划（简称或标题）", "指标（名称或编号）", "范围（省或城市）"}
    projects = dropdowns("projects")
    assert projects["阶段"] == ["谋划", "签约", "开工", "投产", "达产", "取消"]
    assert projects["所属规划（简称或标题）"] == ["十四五战新规划", "十三五战新规划"]
    assert "山西省" not in projects["所在城市（代码或名称）"] and "太原市" in projects["所在城市（代码或名称）"]
    assert dropdowns("reports")["阶段"] == projects["阶段"]
    observations = dropdowns("observations")
    assert observations["限定词"] == ["以上", "超过", "左右", "约", "接近", "突破", "不足"]
    assert observations["数据状态"] == ["初步", "正式", "修订"]
    assert observations["季度"] == ["全年", "一季度", "二季度", "三季度", "四季度"]
    assert dropdowns("enterprises")["龙头企业（是/否）"] == ["是", "否"]


def row(**cells) -> list:
    return [cells.get(header, "") for header in PROJECTS.headers]


def project_row(co_builders="", mentions="", name="示例煤层气液化项目", **cells):
    values = {
        "项目名称": name,
        "所在城市（代码或名称）": "太原市",
        "建设单位": "中海石油（中国）有限公司",
        "所属规划（简称或标题）": "十四五战新规划",
        "合作建设单位（以、分隔）": co_builders,
        "其他提及规划（以、分隔）": mentions,
    }
    return row(**{**values, **cells})


def run(user, rows, *, header=None) -> services.ImportResult:
    table = Table(header=header or PROJECTS.headers, rows=list(enumerate(rows, start=2)), file_format="csv")
    return services.import_table(dataset=PROJECTS, table=table, user=user, dry_run=False)


def texts(result) -> list[str]:
    return [str(error) for error in result.errors]


def builders(project) -> list[str]:
    return [b.enterprise.name for b in ProjectBuilder.objects.filter(project=project).order_by("order")]


def test_co_builders_and_mentions_are_set_in_order_and_reimport_changes_nothing(d):
    rows = [
        project_row("大同煤矿集团有限责任公司、太重", "十三五战新规划"),
        project_row("太重", name="新合建项目"),
    ]
    result = run(d.sheng, rows)
    assert result.counts == {"total": 2, "created": 1, "updated": 1, "unchanged": 0}, texts(result)
    assert builders(d.project) == ["大同煤矿集团有限责任公司", "太原重工股份有限公司"]
    assert list(ProjectMention.objects.filter(project=d.project).values_list("plan__code", flat=True)) == [
        "sx-13th-sei"
    ]
    assert builders(KeyProject.objects.get(name="新合建项目")) == ["太原重工股份有限公司"]
    histories = ProjectBuilder.history.count()
    assert run(d.sheng, rows).counts["unchanged"] == 2
    assert ProjectBuilder.history.count() == histories
    reordered = run(d.sheng, [project_row("太重、大同煤矿集团有限责任公司", "十三五战新规划")])
    assert reordered.counts["updated"] == 1
    assert builders(d.project) == ["太原重工股份有限公司", "大同煤矿集团有限责任公司"]
    cleared = run(d.sheng, [project_row("", "")])
    assert cleared.counts["updated"] == 1
    assert builders(d.project) == [] and not ProjectMention.objects.filter(project=d.project).exists()


def test_co_builder_row_errors(d):
    rows = [
        project_row("不存在的企业"),
        project_row("太重、太原重工股份有限公司", name="甲"),
        project_row("中海石油（中国）有限公司", name="乙"),
        project_row("", "十四五战新规划", name="丙"),
    ]
    assert texts(run(d.sheng, rows)) == [
        "第 2 行「合作建设单位（以、分隔）」：未找到企业「不存在的企业」，"
        "请填写企业全称或已登记的简称，或先导入该企业。",
        "第 3 行「合作建设单位（以、分隔）」：合作建设单位有重复。",
        "第 4 行「合作建设单位（以、分隔）」：「中海石油（中国）有限公司」已是牵头建设单位，不必再填为合作建设单位。",
        "第 5 行「其他提及规划（以、分隔）」：「十四五战新规划」已是所属规划，不必再填为其他提及规划。",
    ]
    assert not ProjectBuilder.objects.exists()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_import_round_trips_co_builders(d, file_format):
    run(d.sheng, [project_row("大同煤矿集团有限责任公司、太重", "十三五战新规划")])
    content = write_table(PROJECTS.headers, services.export_rows(dataset=PROJECTS, user=d.sheng), file_format)
    table = read_table(content, f"p.{file_format}")
    cells = table.rows[0][1]
    assert cells[PROJECTS.headers.index("合作建设单位（以、分隔）")] == "大同煤矿集团有限责任公司、太原重工股份有限公司"
    assert cells[PROJECTS.headers.index("其他提及规划（以、分隔）")] == "十三五战新规划"
    again = services.import_table(dataset=PROJECTS, table=table, user=d.sheng, dry_run=False)
    assert again.counts == {"total": 1, "created": 0, "updated": 0, "unchanged": 1}, texts(again)


def test_city_user_never_sees_nor_drops_another_citys_co_builder(d):
    run(d.sheng, [project_row("大同煤矿集团有限责任公司、太重")])
    exported = services.export_rows(dataset=PROJECTS, user=d.taiyuan_user)
    assert exported[0][PROJECTS.headers.index("合作建设单位（以、分隔）")] == "太原重工股份有限公司"
    table = Table(header=PROJECTS.headers, rows=[(2, exported[0])], file_format="csv")
    again = services.import_table(dataset=PROJECTS, table=table, user=d.taiyuan_user, dry_run=False)
    assert again.counts["unchanged"] == 1, texts(again)
    assert texts(run(d.taiyuan_user, [project_row("大同煤矿集团有限责任公司")])) == [
        "第 2 行「合作建设单位（以、分隔）」：未找到企业「大同煤矿集团有限责任公司」，"
        "请填写企业全称或已登记的简称，或先导入该企业。"
    ]
    assert run(d.taiyuan_user, [project_row("")]).counts["updated"] == 1
    assert builders(d.project) == ["大同煤矿集团有限责任公司"]  # kept: the clerk could not see it


def test_files_with_the_former_plan_slug_header_still_import(d):
    header = [h if h != "所属规划（简称或标题）" else "所属规划（编号）" for h in PROJECTS.headers]
    result = run(d.sheng, [project_row(**{"所属规划（简称或标题）": "sx-13th-sei"})], header=header)
    assert result.counts["updated"] == 1, texts(result)
    assert KeyProject.objects.get(pk=d.project.pk).plan == d.old_plan


@pytest.mark.parametrize("count", [1, 6])
def test_exports_read_a_fixed_number_of_queries(d, count, django_assert_max_num_queries):
    """Co-builders, mentions, targets' plans, indicators, regions and parents are read with the page, not per row."""
    run(
        d.sheng,
        [project_row("大同煤矿集团有限责任公司、太重", "十三五战新规划", name=f"项目{i}") for i in range(count)],
    )
    indicator = factories.make_indicator("战略性新兴产业增加值占地区生产总值比重")
    province = factories.make_target(d.plan, d.regions["140000"], "share", indicator=indicator, target_year=2025)
    cities = [code for code in sorted(d.regions) if d.regions[code].level == "city"][:count]
    for code in cities:
        target = factories.make_target(d.plan, d.regions[code], f"share-{code}", indicator=indicator, parent=province)
        target_step_create(user=None, data={"target": target, "year": 2024, "value": 10})
    assert len(services.export_rows(dataset=DATASETS["target_steps"], user=d.sheng)) == count
    for name in ("projects", "targets", "target_steps"):
        with django_assert_max_num_queries(4):
            services.export_rows(dataset=DATASETS[name], user=d.taiyuan_user)


def test_enterprises_round_trip_industries_whose_names_would_not_import_back(d):
    """A name with the list separator, or shared by two industries, is exported as the industry's code."""
    enterprises = DATASETS["enterprises"]
    rows = services.export_rows(dataset=enterprises, user=d.sheng)
    column = enterprises.headers.index("所属产业（以、分隔）")
    assert [row[column] for row in rows if row[0] == "太原重工股份有限公司"] == ["1.4、2.9"]
    table = Table(header=enterprises.headers, rows=list(enumerate(rows, start=2)), file_format="csv")
    again = services.import_table(dataset=enterprises, table=table, user=d.sheng, dry_run=False)
    assert again.counts == {"total": 3, "created": 0, "updated": 0, "unchanged": 3}, texts(again)


def test_template_options_are_text_an_xlsx_can_hold(d):
    """Names staff typed reach the hidden options sheet as plain text: no control characters, no formulas."""
    Industry.objects.create(code="SX.9", name='=HYPERLINK("http://x")测试\x10产业')
    book = load_workbook(io.BytesIO(services.template_file(dataset=DATASETS["projects"], file_format="xlsx")))
    cells = [cell for row in book[services.OPTIONS_SHEET].iter_rows() for cell in row if cell.value]
    odd = [cell for cell in cells if "测试" in str(cell.value)]
    assert [(cell.value, cell.data_type) for cell in odd] == [('=HYPERLINK("http://x")测试产业', "s")]
