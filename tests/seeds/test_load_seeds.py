"""load_seeds: provenance, idempotency, atomicity, and what a planner would check in the data."""

import shutil
from io import StringIO

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seeds.loader import DATA_DIR, SeedError, SeedLoader
from seeds.quotes import document_stems, quote_occurs

SEEDED_MODELS = [
    "regions.Region",
    "regions.LayoutScheme",
    "regions.Zone",
    "regions.ZoneMembership",
    "regions.Park",
    "plans.Plan",
    "plans.PlanSection",
    "plans.Industry",
    "plans.KeyArea",
    "plans.Target",
    "plans.Observation",
    "plans.Program",
    "plans.Measure",
    "plans.CityRole",
    "projects.Enterprise",
    "projects.EnterpriseAlias",
    "projects.IndustryBase",
    "projects.KeyProject",
]


def counts():
    return {label: apps.get_model(label).objects.count() for label in SEEDED_MODELS}


def walk_quotes(node, path=""):
    if isinstance(node, dict):
        if "quote" in node:
            yield path, node["quote"]
        for key, value in node.items():
            yield from walk_quotes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_quotes(value, f"{path}[{i}]")


def test_every_quote_occurs_in_its_document():
    checked, missing = 0, []
    for stem in document_stems():
        for file in sorted((DATA_DIR / stem).glob("*.yaml")):
            for path, quote in walk_quotes(yaml.safe_load(file.read_text(encoding="utf-8"))):
                checked += 1
                if not (isinstance(quote, str) and quote_occurs(stem, quote)):
                    missing.append(f"{stem}/{file.name}{path}: {quote!r}")
    assert checked > 500
    assert not missing, "\n".join(missing)


def test_first_load_fills_every_model(seeded):
    empty = [label for label, n in counts().items() if n == 0]
    assert not empty, f"no seed rows for {empty}"
    assert set(seeded.per_document) == set(document_stems())


def test_seed_loading_is_recorded(seeded):
    project = apps.get_model("projects.KeyProject").objects.first()
    assert project.history.get().history_change_reason == "load_seeds"


def test_second_load_changes_nothing(seeded):
    before = counts()
    with CaptureQueriesContext(connection) as queries:
        report = SeedLoader().load()
    assert report.total_changes == 0, {k: dict(v) for k, v in report.changes.items() if v["created"] or v["updated"]}
    assert counts() == before
    # Records are looked up by natural key a model at a time (seeds.loader.StoredRecords), not one query each.
    looked_up = sum(kinds["unchanged"] for kinds in report.changes.values())
    # Many-to-many fields and region links too, a model at a time (was a query per record and field).
    assert looked_up > 1500 and len(queries) < looked_up / 5, (looked_up, len(queries))


def test_a_load_puts_back_a_many_to_many_link_the_document_names(seeded):
    from projects.models import IndustryBase

    base = IndustryBase.objects.get(plan__code="sx-13th-sei", key="ty-rail")
    anchors = set(base.anchors.values_list("pk", flat=True))
    base.anchors.remove(base.anchors.order_by("pk").first())  # no history of its own: the loader wrote the base last
    report = SeedLoader().load()
    assert set(base.anchors.values_list("pk", flat=True)) == anchors
    assert report.total_changes == 1 and report.changes[IndustryBase._meta.verbose_name]["updated"] == 1


def test_every_record_carries_provenance(seeded):
    for label in SEEDED_MODELS:
        model = apps.get_model(label)
        if not hasattr(model, "source_quote"):
            continue
        for obj in model.objects.all():
            assert obj.source_file.endswith(".txt") and quote_occurs(obj.source_file[:-4], obj.source_quote), (
                label,
                obj,
            )


def test_check_mode_writes_nothing(seeded, broken_copy):
    import seeds.loader

    before = counts()
    edit_yaml(broken_copy / "002_503b1f66bc193934" / "plan.yaml", lambda c: c["plan"].update(summary="新摘要"))
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seeds.loader.SeedLoader.__init__, "__defaults__", (broken_copy,))
        call_command("load_seeds", "--check", stdout=out)
    assert "校验通过" in out.getvalue() and "1 条新增或更新" in out.getvalue()
    assert counts() == before
    assert not apps.get_model("plans.Plan").objects.filter(summary="新摘要").exists()


@pytest.fixture
def broken_copy(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    return data


def edit_yaml(path, change):
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def test_broken_file_loads_nothing_and_names_the_record(seeded, broken_copy):
    before = counts()
    stem = "002_503b1f66bc193934"
    edit_yaml(broken_copy / stem / "plan.yaml", lambda c: c["plan"].update(short_title="被改动的简称"))

    def break_target(content):
        content["targets"][-1]["target_value"] = "很多"

    edit_yaml(broken_copy / stem / "targets.yaml", break_target)
    bad_key = yaml.safe_load((broken_copy / stem / "targets.yaml").read_text(encoding="utf-8"))["targets"][-1]["key"]
    with pytest.raises(SeedError) as excinfo:
        SeedLoader(broken_copy).load()
    assert f"{stem}/targets.yaml" in str(excinfo.value) and bad_key in str(excinfo.value)
    assert counts() == before
    assert not apps.get_model("plans.Plan").objects.filter(short_title="被改动的简称").exists()


@pytest.mark.parametrize(
    "file,change,message",
    [
        ("bases.yaml", lambda c: c[0].update(revenue_target=-5, revenue_target_year=2020), "不能为负数"),
        ("bases.yaml", lambda c: c[0].update(cities=["999999"]), "未知的行政区划代码"),
        ("bases.yaml", lambda c: c[0].update(quote="这句话不在原文里"), "找不到"),
        ("projects.yaml", lambda c: c[0].update(stage="dreaming"), "stage"),
    ],
)
def test_invalid_records_are_refused(seeded, broken_copy, file, change, message):
    before = counts()
    edit_yaml(broken_copy / "002_503b1f66bc193934" / file, change)
    with pytest.raises(SeedError, match=message):
        SeedLoader(broken_copy).load()
    assert counts() == before


def test_command_reports_error_without_traceback(seeded, broken_copy, monkeypatch):
    import seeds.loader

    edit_yaml(broken_copy / "002_503b1f66bc193934" / "bases.yaml", lambda c: c[0].update(cities=["999999"]))
    monkeypatch.setattr(seeds.loader.SeedLoader.__init__, "__defaults__", (broken_copy,))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("load_seeds", stdout=StringIO())


# What a fresh load must hold: update these deliberately when the seed data is corrected.
EXPECTED_PER_KIND = {
    "产业分类": 78,
    "产业基地": 228,
    "企业": 117,
    "企业简称": 26,
    "保障措施": 44,
    "分区城市": 44,
    "区域分组": 5,
    "区域分组城市": 11,
    "基地城市": 320,
    "城市定位": 38,
    "布局分区": 13,
    "开发区/园区": 30,
    "指标": 146,
    "指标库": 219,
    "监测值": 107,
    "空间布局": 3,
    "行政区划": 129,
    "规划": 5,
    "规划章节": 188,
    "重点工程/主要任务": 67,
    "重点项目": 31,
    "项目提及": 1,
    "合作建设单位": 2,
    "重点领域": 198,
}
EXPECTED_PER_DOCUMENT = {
    "000_289449fffc4f1164": {
        "规划章节": 35,
        "重点领域": 51,
        "指标": 25,
        "监测值": 20,
        "产业基地": 25,
        "重点项目": 5,
        "项目提及": 1,
    },
    "001_885c7d013a413188": {"规划章节": 44, "重点领域": 14, "重点工程/主要任务": 8, "保障措施": 5, "监测值": 10},
    "002_503b1f66bc193934": {
        "规划章节": 42,
        "重点领域": 50,
        "指标": 42,
        "布局分区": 7,
        "产业基地": 81,
        "重点项目": 19,
        "企业": 104,
    },
    "003_20b7e8ad50f7031c": {"规划章节": 40, "重点领域": 74, "指标": 74, "监测值": 48, "产业基地": 115, "重点项目": 7},
    "004_634aec384abfa590": {"规划章节": 27, "重点领域": 9, "指标": 5, "城市定位": 11, "重点工程/主要任务": 5},
}


def test_counts_per_kind_and_per_document(seeded):
    assert {kind: c["created"] for kind, c in seeded.changes.items()} == EXPECTED_PER_KIND
    for stem, expected in EXPECTED_PER_DOCUMENT.items():
        got = {kind: seeded.per_document[stem][kind] for kind in expected}
        assert got == expected, stem


def zone_cities(plan_code, name):
    from regions.models import ZoneMembership

    rows = ZoneMembership.objects.filter(zone__scheme__plan__code=plan_code, zone__name=name)
    return {m.region.short_name: m.inferred for m in rows.select_related("region")}


def test_layout_of_the_13th_plan(seeded):
    from regions.models import Zone

    zones = Zone.objects.filter(scheme__plan__code="sx-13th-sei", scheme__name="一核两带四板块")
    assert sorted(zones.values_list("kind", flat=True)) == ["belt", "belt", "block", "block", "block", "block", "core"]
    assert zone_cities("sx-13th-sei", "一核") == {"太原": False, "晋中": False}
    assert zone_cities("sx-13th-sei", "晋东南煤层气和生物产业板块") == {"长治": False, "晋城": False}
    assert zone_cities("sx-13th-sei", "晋南新材料产业发展板块") == {"临汾": False, "运城": False}
    assert set(zone_cities("sx-13th-sei", "节能环保产业发展板块")) == {"太原", "吕梁", "忻州", "朔州"}
    # The belts follow railways; their cities are inferred, and say so.
    taijiao = zone_cities("sx-13th-sei", "太焦沿线战略性新兴产业发展带")
    assert set(taijiao) == {"太原", "晋中", "长治", "晋城"} and all(taijiao.values())
    assert Zone.objects.get(name="太焦沿线战略性新兴产业发展带").corridor == "太焦线"


@pytest.mark.parametrize(
    "plan,key,value,comparator,year,baseline",
    [
        ("sx-14th-sei", "sei-value-added-share", 12, "eq", 2025, (9.1, 2020)),
        ("sx-14th-sei", "sei-revenue", 10000, "gt", 2025, None),
        ("sx-14th-sei", "high-tech-enterprises", 5000, "approx", 2025, (3188, 2020)),
        ("sx-13th-sei", "sei-value-added", 1500, "approx", 2020, (700, 2014)),
        ("sx-13th-sei", "wind-capacity", 1800, "eq", 2020, None),
        ("sx-13th-sei", "hitech-enterprises", 1000, "ge", 2020, (720, 2015)),
        ("sx-2011-sei-opinions", "sei-value-added-share-2020", 15, "approx", 2020, None),
        ("sx-2011-sei-opinions", "pilot-projects-2015", 100, "eq", 2015, None),
    ],
)
def test_targets_a_planner_would_check(seeded, plan, key, value, comparator, year, baseline):
    from plans.models import Target

    target = Target.objects.get(plan__code=plan, key=key)
    assert (target.target_value, target.comparator, target.target_year) == (value, comparator, year)
    if baseline:
        assert (float(target.baseline_value), target.baseline_year) == baseline


def test_observations_belong_to_their_indicator_and_region(seeded):
    from plans.models import Observation

    share = Observation.objects.filter(indicator__key="sei-value-added-share", scope__code="140000", year=2020)
    assert [(float(o.value), o.source_plan.code) for o in share] == [(9.1, "sx-14th-sei")]


@pytest.mark.parametrize(
    ("plan_code", "key", "as_of", "status", "value"),
    [
        # The 2011 opinion's 15 % for 2020, answered by the 14th plan's 9.1 % for 2020.
        ("sx-2011-sei-opinions", "sei-value-added-share-2020", "2026-12-07", "missed", 9.1),
        ("sx-2011-sei-opinions", "sei-value-added-share-2020", "2023-12-31", "missed", 9.1),
        # The 13th plan's ≥1000 高新技术企业 for 2020, reached by the 14th plan's 3188 for 2020.
        ("sx-13th-sei", "hitech-enterprises", "2026-12-07", "achieved", 3188),
        ("sx-13th-sei", "hitech-enterprises", "2023-12-31", "achieved", 3188),
    ],
)
def test_a_target_is_judged_by_another_plans_observations(seeded, plan_code, key, as_of, status, value):
    import datetime

    from plans.models import Target, TargetProgress
    from plans.progress import progress_as_of

    target = Target.objects.filter(plan__code=plan_code, key=key)
    (progress,) = progress_as_of(target, as_of=datetime.date.fromisoformat(as_of)).values()
    observation = progress.observation
    assert (progress.status, float(observation.value), observation.year, observation.source_plan.code) == (
        status, value, 2020, "sx-14th-sei"
    )  # fmt: skip
    assert TargetProgress.objects.get(target=target.get()).status == status  # today's rollup agrees


@pytest.mark.parametrize(
    "key,revenue,cities,anchor",
    [
        ("ty-rail", 500, {"140100"}, "中车太原轨道交通装备公司"),
        ("dt-rail", 300, {"140200"}, "大同电力机车有限责任公司"),
        ("ty-coal-machinery", 350, {"140100"}, "太重煤机"),
        ("jc-coal-machinery", 100, {"140500"}, "晋煤集团金鼎煤机"),
    ],
)
def test_bases_with_revenue_targets(seeded, key, revenue, cities, anchor):
    from plans.models import Target
    from projects.models import IndustryBase

    base = IndustryBase.objects.get(plan__code="sx-13th-sei", key=key)
    assert (base.revenue_target, base.revenue_target_year) == (revenue, 2020)
    assert set(base.cities.values_list("code", flat=True)) == cities
    assert anchor in set(base.anchors.values_list("name", flat=True))
    derived = Target.objects.get(base=base, key=f"base-{key}-revenue")
    assert (derived.target_value, derived.unit, derived.scope.code) == (revenue, "亿元", cities.pop())


@pytest.mark.parametrize(
    "name,enterprise,city",
    [
        ("同煤集团年产60万吨烯烃项目", "同煤集团", "140200"),
        ("潞安集团180万吨/年煤基液体产品项目", "潞安集团", "140400"),
        ("太钢集团新增年产10吨MJ系列石墨纤维项目", "太钢集团", "140100"),
        ("华为山西鲲鹏生态创新中心", "华为", "140100"),
    ],
)
def test_projects_with_their_enterprises(seeded, name, enterprise, city):
    from projects.models import KeyProject

    project = KeyProject.objects.select_related("enterprise", "city").get(name=name)
    assert (project.enterprise.name, project.city.code) == (enterprise, city)


def test_enterprise_short_names_resolve(seeded):
    from projects.models import Enterprise

    assert Enterprise.objects.get(aliases__alias="太重").name == "太原重工"
    assert Enterprise.objects.get(aliases__alias="太钢").name == "太钢集团"


def test_city_roles_of_the_2011_opinions(seeded):
    from plans.models import CityRole

    roles = CityRole.objects.filter(plan__code="sx-2011-sei-opinions")
    assert roles.count() == 11
    assert "高端装备制造" in roles.get(city__code="140100").role


def test_city_boundaries_loaded(seeded):
    from regions.models import Region

    cities = Region.objects.filter(level="city")
    assert cities.count() == 11 and not cities.filter(boundary__isnull=True).exists()
    assert Region.objects.get(code="140000").boundary["type"] in ("Polygon", "MultiPolygon")
    assert Region.objects.filter(level="county").count() == 117
