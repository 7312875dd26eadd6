"""The projects' figures under concurrent writers, on PostgreSQL (a module of its own, as the rollups' test)."""

import threading
from decimal import Decimal

import pytest

from projects.models import KeyProject, ProjectFigures, ProjectYearFigures
from projects.services import project_report_create
from regions.models import Region
from tests.concurrency import run_at_once
from tests.projects.test_figures import raw_figures, stored_figures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_writers_of_one_projects_reports_add_up():
    """Twelve threads file reports of one project at once: each recount sees what the others committed."""
    province = Region.objects.get_or_create(code="140000", defaults={"name": "山西省", "level": "province"})[0]
    city = Region.objects.create(code="149900", name="并发市", level="city", parent=province)
    project = KeyProject.objects.create(name="并发报送项目", city=city, stage="started")
    writers = 12
    barrier = threading.Barrier(writers)

    def write(index: int) -> None:
        barrier.wait()
        amount = None if index % 3 == 0 else Decimal(index)
        data = {"project": project, "year": 2025, "month": index + 1, "stage": "started"}
        project_report_create(user=None, data={**data, "investment_completed": amount})

    assert run_at_once(write, writers, timeout=120) == []
    known = sum(Decimal(i) for i in range(writers) if i % 3)
    figures = ProjectFigures.objects.get(project=project)
    assert (figures.completed_total, figures.reports_unknown) == (known, 4)
    year = ProjectYearFigures.objects.get(project=project, year=2025)
    assert (year.completed, year.reports_unknown) == (known, 4)
    assert stored_figures() == raw_figures()
