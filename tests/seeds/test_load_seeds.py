"""load_seeds: provenance, idempotency, atomicity, and what a planner would check in the data."""

import shutil
from io import StringIO

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from seeds.loader import DATA_DIR, SeedError, SeedLoader
from seeds.quotes import document_stems, quote_occurs

SEEDED_MODELS = [
    "regions.Region", "regions.LayoutScheme", "regions.Zone", "regions.ZoneMembership", "regions.Park",
    "plans.Plan", "plans.PlanSection", "plans.Industry", "plans.KeyArea", "plans.Target", "plans.Observation",
    "plans.Program", "plans.Measure", "plans.CityRole",
    "projects.Enterprise", "projects.EnterpriseAlias", "projects.IndustryBase", "projects.KeyProject",
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


@pytest.fixture
def seeded(db):
    return SeedLoader().load()


def test_first_load_fills_every_model(seeded):
    empty = [label for label, n in counts().items() if n == 0]
    assert not empty, f"no seed rows for {empty}"
    assert set(seeded.per_document) == set(document_stems())


def test_second_load_changes_nothing(seeded):
    before = counts()
    report = SeedLoader().load()
    assert report.total_changes == 0, {k: dict(v) for k, v in report.changes.items() if v["created"] or v["updated"]}
    assert counts() == before


def test_every_record_carries_provenance(seeded):
    for label in SEEDED_MODELS:
        model = apps.get_model(label)
        if not hasattr(model, "source_quote"):
            continue
        for obj in model.objects.all():
            assert obj.source_file.endswith(".txt") and quote_occurs(obj.source_file[:-4], obj.source_quote), (label, obj)


def test_check_mode_writes_nothing(db):
    out = StringIO()
    call_command("load_seeds", "--check", stdout=out)
    assert "校验通过" in out.getvalue()
    assert apps.get_model("plans.Plan").objects.count() == 0


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
def test_invalid_records_are_refused(db, broken_copy, file, change, message):
    edit_yaml(broken_copy / "002_503b1f66bc193934" / file, change)
    with pytest.raises(SeedError, match=message):
        SeedLoader(broken_copy).load()
    assert apps.get_model("plans.Plan").objects.count() == 0


def test_command_reports_error_without_traceback(db, broken_copy, monkeypatch):
    import seeds.loader

    edit_yaml(broken_copy / "002_503b1f66bc193934" / "bases.yaml", lambda c: c[0].update(cities=["999999"]))
    monkeypatch.setattr(seeds.loader, "DATA_DIR", broken_copy)
    monkeypatch.setattr(seeds.loader.SeedLoader.__init__, "__defaults__", (broken_copy,))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("load_seeds", stdout=StringIO())
