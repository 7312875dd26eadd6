import os

from celery import Celery
from celery.schedules import crontab

# A server or worker started without DJANGO_SETTINGS_MODULE runs with the production settings,
# which refuse to start without SECRET_KEY; developers get the local settings from `make run`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxplan_site.settings.production")

app = Celery("sxplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute, jobs whose process died (no heartbeat within JOB_LEASE_SECONDS) or that no
    # worker picked up (JOB_PENDING_TIMEOUT_SECONDS) are marked failed, so none stays "running".
    "expire-stale-jobs": {
        "task": "jobs.expire_stale_jobs",
        "schedule": 60.0,
    },
    # Every Monday morning, each city hears of its projects without a report for 90 days.
    "remind-stale-projects": {
        "task": "projects.remind_stale_projects",
        "schedule": crontab(hour=8, minute=0, day_of_week=1),
    },
    # Every night, the key projects' warnings are opened, escalated and resolved (projects.services.warnings_evaluate).
    "evaluate-project-warnings": {
        "task": "projects.evaluate_warnings",
        "schedule": crontab(hour=1, minute=0),
    },
    # Every night, every target's progress rollup is recomputed (plans.tasks.refresh_target_progress).
    "refresh-target-progress": {
        "task": "plans.refresh_target_progress",
        "schedule": crontab(hour=1, minute=30),
    },
    # On 2 January, the year just ended is frozen as a snapshot of every target's progress.
    "snapshot-target-progress": {
        "task": "plans.snapshot_target_progress",
        "schedule": crontab(hour=2, minute=0, day_of_month=2, month_of_year=1),
    },
}
