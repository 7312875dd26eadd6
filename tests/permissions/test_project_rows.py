"""The project list read as plain rows (projects.api.rows) answers exactly what the serializer answers.

Every reader (province, city staff who see other cities' linked names masked, viewers with and
without cities), every ordering and the cursor pages, with tricky values: empty links, a county,
an enterprise of no city, decimals, a year's investment progress with rates, warnings.
"""

from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers

from common.scope import HIDDEN_RECORD_LABEL
from projects.api import rows, views
from projects.api.serializers import KeyProjectSerializer
from projects.models import KeyProject, ProjectBuilder, ProjectMention
from projects.selectors import with_investment_progress
from tests import factories

from .conftest import api_client

pytestmark = pytest.mark.django_db

READERS = ["province", "taiyuan", "datong", "viewer", "ty_viewer"]
QUERIES = [
    {},
    {"page_size": 1},
    {"page_size": 1, "page": 2},
    {"ordering": "-total_investment"},
    {"ordering": "name", "stage": ["planned", "started"]},
    {"ordering": "-city"},
    {"city": "140100"},
    {"search": "项目"},
    {"has_enterprise": "false"},
    {"cursor": ""},
    {"cursor": "", "page_size": 1, "ordering": "started_on"},
]


@pytest.fixture
def tricky(w):
    """Projects whose values take every branch of the rows: empty links, a county, decimals, progress, warnings."""
    year = timezone.localdate().year
    province_ent = factories.make_enterprise("山西省属投资集团有限公司")  # no city: province-wide
    w.bare = factories.make_project("太原空白项目", w.ty, stage="planned")
    w.rich = factories.make_project(
        "太原小店区精细化工项目",
        w.ty,
        county=w.regions["140105"],
        enterprise=province_ent,
        industry=w.industry,
        stage="started",
        total_investment=Decimal("12345678.91"),
        capacity="年产0.5万吨",
        capacity_value=Decimal("0.5"),
        capacity_unit="万吨",
        signed_on=date(2023, 2, 1),
        started_on=date(2023, 6, 30),
        description='引号"与换行\n',
    )
    w.dt_rich = factories.make_project(
        "大同储能项目", w.dt, enterprise=w.ty_ent, total_investment=Decimal("0"), stage="signed"
    )
    factories.make_year_plan(w.rich, year=year, planned_investment="3.00")
    factories.make_report(w.rich, year=year, month=1, investment_completed=Decimal("1.25"))
    factories.make_year_plan(w.dt_rich, year=year, planned_investment="0.00")
    factories.make_report(w.dt_rich, year=year, month=2)  # no amount: the rates are unknown
    factories.make_warning(w.rich, level="red")
    ProjectMention.objects.create(project=w.rich, plan=w.other_plan, source_quote="再次提及")
    ProjectMention.objects.create(project=w.rich, plan=w.plan, source_file="b.pdf", source_quote="原文")
    ProjectBuilder.objects.create(project=w.rich, enterprise=w.dt_ent, role="合作建设", order=2)
    ProjectBuilder.objects.create(project=w.rich, enterprise=province_ent, role="参建", order=1)
    ProjectBuilder.objects.create(project=w.dt_rich, enterprise=w.ty_ent, role="合作建设")
    return w


def _plain(monkeypatch):
    monkeypatch.setattr(views, "compile_rows", lambda *args: None)


@pytest.mark.parametrize("reader", READERS)
def test_rows_equal_the_serializer_for_every_reader_and_query(tricky, monkeypatch, reader):
    client = api_client(getattr(tricky, reader))
    fast = [client.get("/api/v1/projects/", query) for query in QUERIES]
    _plain(monkeypatch)
    plain = [client.get("/api/v1/projects/", query) for query in QUERIES]
    for query, a, b in zip(QUERIES, fast, plain, strict=True):
        assert a.status_code == b.status_code == 200, (query, a.content)
        assert a.json() == b.json(), query
        assert a.content == b.content, query  # the same bytes: the same keys in the same order
    assert any(row["results"] for row in (response.json() for response in fast))


def test_the_rows_mask_other_cities_names_and_show_the_rest(tricky):
    body = api_client(tricky.taiyuan).get("/api/v1/projects/", {"page_size": 100}).json()
    rich = next(row for row in body["results"] if row["id"] == tricky.rich.pk)
    assert rich["enterprise_name"] == "山西省属投资集团有限公司"
    assert [(b["name"], b["order"]) for b in rich["builders"]] == [
        ("山西省属投资集团有限公司", 1),
        (HIDDEN_RECORD_LABEL, 2),
    ]
    ty_proj = next(row for row in body["results"] if row["id"] == tricky.ty_proj.pk)
    assert ty_proj["enterprise_name"] == HIDDEN_RECORD_LABEL and ty_proj["enterprise"] == tricky.yq_ent.pk
    assert rich["county"] == "140105" and rich["city"] == "140100" and rich["stage_display"] == "开工"
    assert rich["investment_progress"]["year_completed"] == "1.25" and rich["red_warnings"] == 1
    bare = next(row for row in body["results"] if row["id"] == tricky.bare.pk)
    assert bare["enterprise_name"] is None and bare["industry_name"] is None and bare["builders"] == []


def test_the_list_reads_no_model_instance_of_a_project(tricky, monkeypatch):
    built = []
    original = KeyProject.from_db

    def spy(cls, *args, **kwargs):
        built.append(1)
        return original.__func__(cls, *args, **kwargs)

    monkeypatch.setattr(KeyProject, "from_db", classmethod(spy))
    response = api_client(tricky.taiyuan).get("/api/v1/projects/", {"ordering": "-total_investment"})
    assert response.status_code == 200 and response.json()["results"]
    assert built == []


def test_a_field_the_rows_cannot_read_leaves_the_list_to_the_serializer(tricky):
    class WithMethod(KeyProjectSerializer):
        extra = KeyProjectSerializer._declared_fields["investment_progress"].__class__()

        def get_extra(self, project):
            return project.name

    queryset = with_investment_progress(KeyProject.objects.all(), year=2026)
    assert rows.compile_rows(WithMethod, queryset) is None
    assert rows.compile_rows(KeyProjectSerializer, queryset) is not None


def test_investment_progress_equals_its_serializer(tricky):
    """The method field reads its fields directly; the answer is the InvestmentProgressSerializer's."""
    from projects.api.serializers import INVESTMENT_PROGRESS
    from projects.selectors import project_progress

    year = timezone.localdate().year
    projects = with_investment_progress(KeyProject.objects.all(), year=year)
    assert projects.count() >= 4
    for project in projects:
        expected = INVESTMENT_PROGRESS.to_representation(project_progress(project))
        got = KeyProjectSerializer().get_investment_progress(project)
        assert got == expected and list(got) == list(expected)
    assert any(p.completed_year is not None for p in projects)


@pytest.mark.parametrize(
    "field",
    [
        serializers.DecimalField(max_digits=20, decimal_places=2),
        serializers.DecimalField(max_digits=5, decimal_places=3),
        serializers.DateTimeField(),
        serializers.CharField(),
        serializers.IntegerField(),
    ],
)
def test_the_short_ways_give_what_the_fields_give(field):
    """Each value kind the rows represent without calling the field gives the field's own answer."""
    values = {
        serializers.DecimalField: [
            Decimal("1.005"),
            Decimal("-0.5"),
            Decimal("12345678.915"),
            Decimal("1E+3"),
            3,
            1.25,
        ],
        serializers.DateTimeField: [
            datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
            datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=dt_timezone(timedelta(hours=-5))),
            datetime(2024, 5, 1, 12, 30),  # naive: DRF makes it aware
            "2024-05-01",
        ],
        serializers.CharField: ["文本", 12, Decimal("1.5")],
        serializers.IntegerField: [0, 7, True, Decimal("3")],
    }[type(field)]
    represent, state = rows._representer(field), {rows._TZ: timezone.get_current_timezone()}
    for value in values:
        try:
            expected = field.to_representation(value)
        except Exception as exc:  # noqa: BLE001 (the short way must fail alike)
            with pytest.raises(type(exc)):
                represent(value, state)
            continue
        assert represent(value, state) == expected and type(represent(value, state)) is type(expected), value
