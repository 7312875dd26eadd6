"""Reminders of monitoring rounds, sent through the inbox (notices.services.notice_send, idempotent by key).

- to a city's staff, ``MONITORING_REMIND_DAYS`` days (or fewer) before the due date of a round it has
  not reported yet: once per round and city;
- to a city's staff when the due date has passed and it has not reported: once per round and city;
- to provincial staff for each submission waiting for review: once per report (the key names its version,
  the same key ``submission_submit`` sends under, so a report is announced once whoever sends first).
"""

from __future__ import annotations

import datetime

from django.conf import settings

from notices.choices import NoticeKindChoices
from notices.services import city_staff, notice_send

from .choices import SubmissionStateChoices
from .models import Submission
from .selectors import EDITABLE_STATES, cn_date, rounds_due_for_reminders
from .services import review_notice_send


def round_reminders_send(*, today: datetime.date) -> int:
    """Send what is due today; return how many notices were created (0 when run again)."""
    sent = 0
    rounds = rounds_due_for_reminders(today)
    submissions = Submission.objects.filter(round__in=rounds).select_related("round", "city")
    for submission in submissions:
        rnd = submission.round
        if submission.state in EDITABLE_STATES:
            days_left = (rnd.due_on - today).days
            if 0 <= days_left <= settings.MONITORING_REMIND_DAYS:
                sent += _to_city(
                    submission,
                    kind=NoticeKindChoices.DUE_SOON,
                    title=f"“{rnd.name}”将于{cn_date(rnd.due_on)}截止报送",
                    body=f"{submission.city.name}尚未报送，请在截止日期前完成填报。",
                )
            elif days_left < 0:
                sent += _to_city(
                    submission,
                    kind=NoticeKindChoices.OVERDUE,
                    title=f"“{rnd.name}”已超过报送期限",
                    body=f"报送期限为{cn_date(rnd.due_on)}，{submission.city.name}尚未报送；"
                    f"任务将于{cn_date(rnd.closes_on)}关闭。",
                )
        elif submission.state == SubmissionStateChoices.SUBMITTED:
            sent += len(review_notice_send(submission=submission))
    return sent


def _to_city(submission: Submission, *, kind: str, title: str, body: str) -> int:
    created = notice_send(
        recipients=city_staff(city_id=submission.city_id),
        key=f"round:{submission.round_id}:city:{submission.city.code}:{kind}",
        data={"kind": kind, "title": title, "body": body, "link": f"/monitoring/submissions/{submission.pk}/"},
    )
    return len(created)
