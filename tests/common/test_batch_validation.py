"""common.constraints: the Python evaluator agrees with Django's own checks; full_clean_many with full_clean."""

import datetime
import itertools
import random
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from common.constraints import (
    Unsupported,
    condition_holds,
    full_clean_many,
    full_clean_one,
    known_rows,
    remember_row,
    validate_check,
)
from plans.models import Observation
from projects.models import Enterprise, KeyProject, ProjectReport
from regions.models import Region

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

#: Check constraints whose lookups the evaluator leaves to Django (a query each time).
READ_BY_DJANGO = {"regions_region_code_gbt2260"}
#: Instances tried per constraint (every combination of candidate values when there are fewer).
TRIALS = 120


def check_constraints():
    return [
        pytest.param(model, constraint, id=f"{model.__name__}.{constraint.name}")
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    ]


def references(condition: Q) -> dict[str, list]:
    """The fields a condition names (F() included), each with the constants it is compared with."""
    found = {}
    for child in condition.children:
        if isinstance(child, Q):
            for name, constants in references(child).items():
                found.setdefault(name, []).extend(constants)
            continue
        lookup, rhs = child
        constants = found.setdefault(lookup.split("__")[0], [])
        if isinstance(rhs, F):
            found.setdefault(rhs.name, [])
        elif isinstance(rhs, list | tuple):
            constants.extend(rhs)
        elif not isinstance(rhs, bool):
            constants.append(rhs)
    return found


def candidates(field, constants: list) -> list:
    """Values around the constants and the field's edges: NULL, equal, just below, just above, wrong."""
    values = [None]
    for constant in constants:
        values.append(constant)
        if isinstance(constant, int | Decimal) and not isinstance(constant, bool):
            values += [constant - 1, constant + 1]
        if isinstance(field, models.DecimalField):
            values += [Decimal(constant) - Decimal("0.01"), Decimal(constant) + Decimal("0.01")]
    if isinstance(field, models.CharField):
        values += ["", "bogus", *[str(choice) for choice, _ in field.choices or ()]]
    elif isinstance(field, models.DecimalField):
        values += [Decimal("-0.01"), Decimal("0"), Decimal("0.01"), Decimal("12.5")]
    elif isinstance(field, models.DateField):
        values += [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2), datetime.date(2023, 12, 31)]
    elif isinstance(field, models.IntegerField | models.ForeignKey):
        values += [0, 1, 2, -1, 2024]
    return list(dict.fromkeys(values))


def instances(model, condition: Q, seed: str):
    names = references(condition)
    fields = [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in names]
    pools = [candidates(field, constants) for field, constants in zip(fields, names.values(), strict=True)]
    combinations = list(itertools.product(*pools))
    if len(combinations) > TRIALS:
        combinations = random.Random(seed).sample(combinations, TRIALS)
    for values in combinations:
        instance = model()
        for field, value in zip(fields, values, strict=True):
            setattr(instance, field.attname, value)
        yield instance


def outcome(validate, constraint, model, instance):
    try:
        validate(constraint, model, instance)
    except ValidationError as exc:
        return exc.messages, exc.code
    return None


def django_validate(constraint, model, instance):
    constraint.validate(model, instance)


@pytest.mark.parametrize(("model", "constraint"), check_constraints())
def test_the_evaluator_agrees_with_django_on_every_check_constraint(model, constraint):
    """Many instances around each constraint's boundaries: a misread condition fails here."""
    queried = []
    for instance in instances(model, constraint.condition, seed=constraint.name):
        with CaptureQueriesContext(connection) as captured:
            ours = outcome(validate_check, constraint, model, instance)
        assert ours == outcome(django_validate, constraint, model, instance), vars(instance)
        queried.append(bool(captured.captured_queries))
    # Read in Python every time (no query), or, for lookups it does not know, left to Django every time.
    assert set(queried) == {constraint.name in READ_BY_DJANGO}


def test_evaluator_reads_sql_truth():
    field = KeyProject._meta.get_field("total_investment")
    row = {"total_investment": (field, None), "stage": (KeyProject._meta.get_field("stage"), "planned")}
    assert condition_holds(Q(total_investment__gte=0), row) is None
    assert condition_holds(~Q(total_investment__gte=0), row) is None
    assert condition_holds(Q(total_investment__gte=0) | Q(stage="planned"), row) is True
    assert condition_holds(Q(total_investment__gte=0) & ~Q(stage="planned"), row) is False
    assert condition_holds(Q(total_investment=None), row) is True
    with pytest.raises(Unsupported):
        condition_holds(Q(stage__gt="a"), row)  # text order is the collation's
    with pytest.raises(Unsupported):
        condition_holds(Q(stage__startswith="p"), row)
    with pytest.raises(Unsupported):
        condition_holds(Q(city__level="city"), row)


def project_cases(world, regions):
    """Unsaved projects, each built afresh per call (full_clean changes the instance it cleans)."""
    ty = regions["140100"]
    gone = Enterprise.objects.create(name="已注销企业", city=ty)
    Enterprise.objects.filter(pk=gone.pk).delete()  # the object still holds its pk
    base = {"city": ty, "stage": "planned"}
    return [
        {**base, "name": "正常项目", "enterprise": world["ty_ent"], "county": regions["140105"], "plan": world["plan"]},
        {**base, "name": "", "city": None},
        {**base, "name": "太原轨道交通项目"},
        {**base, "name": "签约晚", "signed_on": datetime.date(2024, 5, 1), "started_on": datetime.date(2024, 1, 1)},
        {**base, "name": "县是城市", "county": regions["140200"]},
        {**base, "name": "城市是县", "city": regions["140105"]},
        {**base, "name": "企业已注销", "enterprise": gone},
        {**base, "name": "长" * 300, "total_investment": Decimal("-1")},
        {**base, "name": "阶段无效", "stage": "dreaming"},
        {
            **base,
            "name": "大同机车项目",
            "started_on": datetime.date(2024, 5, 1),
            "production_on": datetime.date(2024, 1, 1),
        },
        {**base, "name": "投资位数", "total_investment": Decimal("1.234"), "capacity_value": Decimal("-3")},
    ]


def errors_of(error: ValidationError | None):
    """The messages in their order (an import lists them so)."""
    return None if error is None else list(error.message_dict.items())


def full_clean_errors(instance):
    try:
        instance.full_clean()
    except ValidationError as exc:
        return errors_of(exc)
    return None


def both_ways(model, cases: list[dict]) -> tuple[list, list]:
    """The errors of each case by full_clean and by full_clean_many, each on instances of its own."""
    expected = [full_clean_errors(model(**values)) for values in cases]
    return expected, [errors_of(error) for error in full_clean_many([model(**values) for values in cases])]


def test_full_clean_many_gives_full_cleans_errors(world, regions):
    expected, batched = both_ways(KeyProject, project_cases(world, regions))
    assert batched == expected
    assert expected[0] is None and all(expected[1:])


def test_full_clean_many_evaluates_repeated_values_once_and_alike(world, regions):
    # A check constraint's outcome is reused for the records that share the values it reads (years,
    # stages, investments of equal value): every record still gets its own errors, in either order.
    cases = project_cases(world, regions)
    count = len(cases)
    cases += [{**case, "total_investment": Decimal("-1.00")} for case in cases[:3]] + cases[::-1]
    expected, batched = both_ways(KeyProject, cases)
    assert batched == expected
    assert expected[0] is None and expected[-1] is None and all(expected[1 : count + 3])
    assert expected[count] != expected[0] and expected[count + 1] != expected[1]  # the negative investment


def test_full_clean_many_checks_unique_constraints_like_full_clean(world):
    project, report = world["ty_proj"], world["ty_report"]
    expected, batched = both_ways(
        ProjectReport,
        [
            {"project": project, "year": 2024, "month": 11, "stage": "started"},
            {"project": project, "year": report.year, "month": report.month, "stage": "started"},
            {"project": project, "year": 2024, "month": 13, "stage": "started", "investment_completed": Decimal("-1")},
            {"project": project, "year": 1990, "month": 2, "stage": "nowhere"},
        ],
    )
    assert batched == expected
    assert expected[0] is None
    assert expected[1] == [("__all__", ["该项目本期进展报告已存在。"])]


def test_full_clean_many_queries_once_per_relation_and_unique_check(world, regions):
    projects = [
        KeyProject(
            name=f"批量{i}",
            city=regions["140100"],
            county=regions["140105"],
            enterprise=world["ty_ent"],
            industry=world["industry"],
            plan=world["plan"],
            park=world["ty_park"],
            total_investment=Decimal(i),
            signed_on=datetime.date(2024, 1, 1),
            started_on=datetime.date(2024, 2, 1),
        )
        for i in range(200)
    ]
    with CaptureQueriesContext(connection) as captured:
        assert full_clean_many(projects) == [None] * len(projects)
    assert len(captured) == 6 + 1  # city, county, enterprise, industry, plan, park; the unique name


def test_full_clean_many_checks_conditional_unique_constraints_in_one_query_each(world, regions):
    stored = world["ty_obs"]
    same = {"indicator": stored.indicator, "scope": stored.scope, "year": stored.year, "value": Decimal(1)}
    cases = [
        same,  # the stored value again: the constraint without a source plan refuses it
        {**same, "source_plan": world["plan"]},  # under the other condition: nothing stored there
        {**same, "year": 2011},
        {**same, "year": 1900, "quarter": 9},  # check constraints fail, the unique one is still checked
    ]
    expected, batched = both_ways(Observation, cases)
    assert batched == expected
    assert expected[0] and not expected[1] and not expected[2] and expected[3]
    fresh = [Observation(**{**same, "year": 1960 + i}) for i in range(50)]
    with CaptureQueriesContext(connection) as captured:
        assert full_clean_many(fresh) == [None] * 50
    # Two relations, and one query per unique constraint, whatever the number of values.
    assert len(captured) <= 6, [q["sql"] for q in captured]


def test_full_clean_one_gives_full_cleans_errors_without_a_query_per_check(world, regions):
    for values in project_cases(world, regions):
        expected = full_clean_errors(KeyProject(**values))
        try:
            full_clean_one(KeyProject(**values))
            found = None
        except ValidationError as exc:
            found = errors_of(exc)
        assert found == expected, values
    project = world["ty_proj"]
    with CaptureQueriesContext(connection) as captured:
        full_clean_one(project)
    assert not [q for q in captured if '"_check"' in q["sql"]]


def _parent_lookups(queries) -> int:
    return sum('FROM "regions_region"' in q["sql"] and "SELECT 1" in q["sql"] for q in queries)


def test_known_rows_looks_a_related_row_up_once():
    province = Region.objects.create(code="149000", name="测试省", level="province")
    parent = Region.objects.create(code="149900", name="测试市", level="city", parent=province)
    counties = [Region(code=f"14990{i}", name=f"测试县{i}", level="county", parent_id=parent.pk) for i in range(1, 5)]
    with CaptureQueriesContext(connection) as outside:
        for county in counties[:2]:
            full_clean_one(county)
    assert _parent_lookups(outside.captured_queries) == 4  # the parent and the code's uniqueness, twice
    with known_rows(), CaptureQueriesContext(connection) as inside:
        for county in counties:
            full_clean_one(county)
    assert _parent_lookups(inside.captured_queries) == 1 + 4  # the parent once; each code still checked
    # A row written inside the block is known to the records written after it.
    with known_rows():
        town = Region.objects.create(code="149800", name="测试新市", level="city", parent=province)
        remember_row(town)
        with CaptureQueriesContext(connection) as written:
            full_clean_one(Region(code="149910", name="街道", level="county", parent_id=town.pk))
        assert _parent_lookups(written.captured_queries) == 1  # only the code's uniqueness


def test_known_rows_still_refuses_a_missing_row():
    province = Region.objects.create(code="149000", name="测试省", level="province")
    with known_rows():
        remember_row(province)
        for _ in range(2):
            with pytest.raises(ValidationError) as refused:
                full_clean_one(Region(code="149911", name="无上级", level="county", parent_id=987654))
            assert "parent" in refused.value.message_dict
