"""generate_data: deterministic for a seed, plausible, on SQLite (bulk_create) and PostgreSQL (COPY)."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from plans.models import Observation, Target, TargetProgress
from plans.progress import refresh_progress
from projects import rollups, search_text
from projects.models import KeyProject, ProjectReport, ProjectRollup
from seeds import synthetic

OBSERVATIONS_PER_TARGET = 2
FIELDS = (
    "name",
    "city__code",
    "industry__code",
    "enterprise__name",
    "stage",
    "total_investment",
    "signed_on",
    "started_on",
    "production_on",
    "updated",
)


def generated_projects():
    return list(KeyProject.objects.filter(source_file=synthetic.SOURCE).order_by("name").values_list(*FIELDS))


def generated_reports():
    return list(
        ProjectReport.objects.filter(project__source_file=synthetic.SOURCE)
        .order_by("project__name", "year", "month")
        .values_list("project__name", "year", "month", "stage", "investment_completed")
    )


def generate(**options):
    # A few observations per target: writing every year and quarter of every target takes seconds. These
    # tests are about projects, reports and observations; the dispatch data has its own tests.
    call_command(
        "generate_data", observations_per_target=OBSERVATIONS_PER_TARGET, stdout=StringIO(), verbosity=0, **options
    )


def test_same_seed_same_rows_other_seed_other_rows(seeded):
    generate(projects=60, reports_per_project=3, seed=7, no_dispatch=True)
    first, reports = generated_projects(), generated_reports()
    observations = Observation.objects.filter(source_file=synthetic.SOURCE).count()
    assert len(first) == 60 and len(reports) == 180 and observations > 0
    assert observations <= OBSERVATIONS_PER_TARGET * Target.objects.count()

    generate(projects=60, reports_per_project=3, seed=7, replace=True, no_dispatch=True)
    assert generated_projects() == first
    assert generated_reports() == reports

    generate(projects=60, reports_per_project=3, seed=8, replace=True, no_dispatch=True)
    assert generated_projects() != first


def test_refuses_to_add_twice_without_replace(seeded):
    generate(projects=5, reports_per_project=0, seed=1, no_dispatch=True)
    with pytest.raises(CommandError, match="--replace"):
        generate(projects=5, reports_per_project=0, seed=1, no_dispatch=True)


def test_distributions_are_plausible(seeded):
    generate(projects=2000, reports_per_project=2, seed=3, no_dispatch=True)
    projects = KeyProject.objects.filter(source_file=synthetic.SOURCE)
    cities = Counter(projects.values_list("city__code", flat=True))
    assert cities.most_common(1)[0][0] == "140100"  # 太原 leads
    assert len(cities) == 11
    stages = Counter(projects.values_list("stage", flat=True))
    assert stages.most_common(1)[0][0] == "started" and len(stages) == 6
    investments = sorted(
        float(v) for v in projects.exclude(total_investment=None).values_list("total_investment", flat=True)
    )
    median, p99 = investments[len(investments) // 2], investments[int(len(investments) * 0.99)]
    assert 1 < median < 6 and p99 > 10 * median  # a long tail of large projects over many small ones
    # Dates follow the stages and the model's constraints (signed ≤ started ≤ production).
    for project in projects.exclude(stage__in=["planned"]).iterator():
        assert project.signed_on is not None
        if project.started_on:
            assert project.signed_on <= project.started_on
        if project.production_on:
            assert project.started_on <= project.production_on
    assert not projects.filter(stage="planned", signed_on__isnull=False).exists()
    assert projects.exclude(county=None).filter(county__parent=None).count() == 0
    # A later report never goes back to an earlier stage (cancellation aside).
    order = {stage: i for i, stage in enumerate(synthetic.ADVANCING)}
    last = {}
    for project_id, stage in (
        ProjectReport.objects.filter(project__in=projects)
        .order_by("project", "year", "month")
        .values_list("project", "stage")
    ):
        if stage in order:
            assert order[stage] >= last.get(project_id, 0)
            last[project_id] = order[stage]


@pytest.mark.postgres
def test_copy_with_deferred_indexes_matches_plain_copy(seeded):
    synthetic.generate(projects=40, reports_per_project=2, seed=5, defer_indexes=False)
    plain = generated_projects()
    synthetic.delete_synthetic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('projects_keyproject', 'projects_projectreport')"
        )
        indexes = cursor.fetchone()[0]
    synthetic.generate(projects=40, reports_per_project=2, seed=5, defer_indexes=True)
    assert generated_projects() == plain
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('projects_keyproject', 'projects_projectreport')"
        )
        assert cursor.fetchone()[0] == indexes
    # Sequences continue after the generated keys.
    assert KeyProject.objects.create(name="新项目", city=KeyProject.objects.first().city).pk > max(
        KeyProject.objects.exclude(name="新项目").values_list("pk", flat=True)
    )


def test_derived_rows_are_those_the_write_services_keep(seeded):
    """COPY bypasses the services: the rollups, search text and target progress it repairs equal theirs."""
    generate(projects=120, reports_per_project=3, seed=9, no_dispatch=True)
    ids = list(KeyProject.objects.values_list("pk", flat=True))
    columns = ("key", "plan", "city", "stage", "industry", "count", "investment", "investment_unknown")

    def snapshot():
        return (
            list(ProjectRollup.objects.filter(count__gt=0).order_by("key").values_list(*columns)),
            list(KeyProject.objects.order_by("pk").values_list("pk", "search_text")),
            list(TargetProgress.objects.order_by("target").values_list("target", "observation", "progress")),
        )

    generated = snapshot()
    assert ProjectRollup.objects.filter(count__gt=0).exists()
    # What key_project_create adds for each project, from empty rollups; the search text it writes; the
    # progress observation_create refreshes.
    ProjectRollup.objects.all().delete()
    rollups.apply(after=rollups.states(ids))
    search_text.refresh(project_ids=ids)
    refresh_progress()
    assert snapshot() == generated
