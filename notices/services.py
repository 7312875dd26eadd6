"""Sending notices (in-app, and by e-mail to recipients who have an address) and marking them read.

A notice is identified by its recipient and ``key`` (e.g. ``round:12:city:140100:due``): sending the same
key again — a retried Celery task, the next nightly run — creates nothing and mails nobody, so callers
can send on every run without keeping their own record of what went out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.choices import RoleChoices

from .models import Notice


class NoticeData(TypedDict, total=False):
    kind: str
    title: str
    body: str
    link: str


def city_staff(*, city_id: int) -> QuerySet:
    """The active city staff of one city: the people a city's notices go to."""
    return get_user_model().objects.filter(
        is_active=True, staff_profile__role=RoleChoices.CITY, staff_profile__cities=city_id
    )


def province_staff() -> QuerySet:
    """The active provincial staff: the people reviews and province-wide warnings go to."""
    return get_user_model().objects.filter(is_active=True, staff_profile__role=RoleChoices.PROVINCE)


def notice_send(*, recipients: Iterable, key: str, data: NoticeData, email: bool = True) -> list[Notice]:
    """Send one notice to each recipient that has not had ``key`` yet; return the notices created.

    New notices are mailed after the transaction commits (to recipients with an e-mail address), so a
    rolled-back caller sends nothing.
    """
    recipients = list(recipients)
    already = set(
        Notice.objects.filter(key=key, recipient__in=[user.pk for user in recipients]).values_list(
            "recipient_id", flat=True
        )
    )
    created = []
    for user in recipients:
        if user.pk in already:
            continue
        notice = Notice(recipient=user, key=key, **data)
        notice.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:  # sent by a concurrent run in the meantime
            continue
        created.append(notice)
    if email:
        mailed = [notice for notice in created if notice.recipient.email]
        if mailed:
            transaction.on_commit(lambda: _mail(mailed))
    return created


def _mail(notices: list[Notice]) -> None:
    for notice in notices:
        body = notice.body
        if notice.link:
            body = f"{body}\n\n查看：{notice.link}".strip()
        send_mail(f"【sxplan】{notice.title}", body, None, [notice.recipient.email])
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())


def notice_mark_read(*, user, notices: Iterable[Notice] | None = None) -> int:
    """Mark the user's notices read (all unread ones when ``notices`` is None); return how many changed."""
    queryset = Notice.objects.for_user(user).unread()
    if notices is not None:
        queryset = queryset.filter(pk__in=[notice.pk for notice in notices])
    return queryset.update(read_at=timezone.now())


def unread_count(*, user) -> int:
    return Notice.objects.for_user(user).unread().count()
