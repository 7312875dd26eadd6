"""The periodic reminder to each city of its key projects that have filed no progress report lately."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from jobs.choices import JobKindChoices, JobStatusChoices
from jobs.models import Job
from notices.choices import NoticeKindChoices
from notices.services import city_staff, notice_send
from regions.choices import RegionLevelChoices
from regions.models import Region

from .choices import ProjectStageChoices
from .models import KeyProject, ProjectReport

#: Stages in which a project no longer reports progress.
CLOSED_STAGES = (ProjectStageChoices.AT_CAPACITY, ProjectStageChoices.CANCELLED)


def stale_projects(*, city: Region, today: datetime.date):
    """Open projects of a city, older than the threshold, without a report for a month since the cutoff."""
    cutoff = today - datetime.timedelta(days=settings.STALE_PROJECT_DAYS)
    recent = ProjectReport.objects.filter(project=OuterRef("pk")).filter(
        Q(year__gt=cutoff.year) | Q(year=cutoff.year, month__gte=cutoff.month)
    )
    return (
        KeyProject.objects.filter(city=city, created__date__lte=cutoff)
        .exclude(stage__in=CLOSED_STAGES)
        .filter(~Exists(recent))
        .order_by("name")
    )


def stale_project_reminders_send(*, today: datetime.date) -> int:
    """One reminder per city and day, returning how many were new.

    Each is a Job record and a notice to the city's staff (in the inbox, and by mail to those with an address).
    """
    sent = 0
    for city in Region.objects.filter(level=RegionLevelChoices.CITY):
        names = list(stale_projects(city=city, today=today).values_list("name", flat=True))
        if names and _remind(city=city, names=names, today=today):
            sent += 1
    return sent


@transaction.atomic
def _remind(*, city: Region, names: list[str], today: datetime.date) -> bool:
    message = f"{city.name}有 {len(names)} 个重点项目超过 {settings.STALE_PROJECT_DAYS} 天未报送进展。"
    job, created = Job.objects.get_or_create(
        key=f"reminder:{city.code}:{today.isoformat()}",
        defaults={
            "kind": JobKindChoices.REMINDER,
            "status": JobStatusChoices.SUCCEEDED,
            "city": city,
            "params": {"city": city.code, "date": today.isoformat(), "projects": names},
            "total_rows": len(names),
            "processed_rows": len(names),
            "message": message,
        },
    )
    if created:
        notice_send(
            recipients=city_staff(city_id=city.pk),
            key=job.key,
            data={
                "kind": NoticeKindChoices.STALE_PROJECTS,
                "title": message,
                "body": "\n".join(f"· {name}" for name in names),
                "link": f"/cities/{city.code}/",
            },
        )
    return created
