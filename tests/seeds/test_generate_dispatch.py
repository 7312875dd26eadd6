"""generate_data's dispatch data: milestones, year plans, batches and warnings at plausible rates, deterministic."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from notices.models import Notice
from projects.models import Batch, BatchProject, KeyProject, Milestone, ProjectWarning, ProjectYearPlan
from projects.services import warnings_evaluate
from seeds import synthetic

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Milestone.objects.order_by("project__name", "code").values_list("project__name", "code", "planned_on")),
        list(ProjectWarning.objects.order_by("project__name", "rule").values_list("project__name", "rule", "level")),
    )


def test_dispatch_data_is_plausible_and_deterministic(seeded):
    out = StringIO()
    call_command(
        "generate_data",
        projects=400,
        reports_per_project=6,
        seed=11,
        observations_per_target=1,
        stdout=out,
        verbosity=0,
    )
    assert "未解除预警" in out.getvalue()
    projects = KeyProject.objects.filter(source_file=synthetic.SOURCE)
    milestones = Milestone.objects.filter(project__in=projects)
    assert milestones.count() > 4 * projects.exclude(stage="cancelled").count()
    # The model's rules hold for bulk-written rows too.
    assert not milestones.filter(status="met", actual_on=None).exists()
    assert not milestones.exclude(status__in=["met", "partially_met"]).exclude(actual_on=None).exists()
    assert milestones.exclude(planned_on=models_f("baseline_on")).exists()  # some were re-planned
    assert ProjectYearPlan.objects.filter(project__in=projects).exists()
    assert BatchProject.objects.filter(project__in=projects).exists()
    # Every rule fires, for a minority of the projects, and no warning is sent to an inbox.
    warnings = ProjectWarning.objects.filter(project__in=projects, resolved_on=None)
    rules = set(warnings.values_list("rule", flat=True))
    assert rules == {"milestone_overdue", "stage_late", "investment_behind", "no_report"}
    assert 0 < warnings.values("project").distinct().count() < projects.count() * 0.6
    assert not Notice.objects.exists()
    # The nightly run on the same day changes nothing.
    result = warnings_evaluate(today=synthetic.TODAY, projects=projects)
    assert (result.opened, result.escalated, result.resolved) == (0, 0, 0)

    first = snapshot()
    call_command(
        "generate_data",
        projects=400,
        reports_per_project=6,
        seed=11,
        observations_per_target=1,
        replace=True,
        stdout=StringIO(),
        verbosity=0,
    )
    assert snapshot() == first
    assert Batch.objects.filter(name__endswith="（合成）").count() == len(synthetic.BATCH_EVENTS)


def models_f(name):
    return F(name)
