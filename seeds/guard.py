"""Which seeded records staff changed after the seed loader last wrote them, read from their history.

django-simple-history records every write of a seeded model with ``history_change_reason`` and
``history_user``. The loader writes with a reason from ``LOADER_REASONS`` and no user; any other
entry — a different reason, or any user — is someone else's work. A record whose latest such
entry comes after the loader's latest write was changed (or created, or deleted) by staff, and
``load_seeds`` leaves it alone unless it runs with ``--force``.

The facts are read once per model, in one query, the first time the loader asks about that model.

Limits: many-to-many fields are not tracked by history here (no ``m2m_fields``). A change of a
many-to-many field through the admin or the API also saves the record itself, so it leaves an
entry and protects the record; a bare ``record.industries.set(...)`` in a shell leaves none.
Rows written without history (``generate_data``'s COPY) look like the loader's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

LOADER_REASON = "load_seeds"
FORCE_REASON = "load_seeds --force"
LOADER_REASONS = (LOADER_REASON, FORCE_REASON)


@dataclass(frozen=True)
class StaffEdit:
    """The latest change by someone other than the loader after the loader's latest write."""

    username: str
    when: datetime
    deleted: bool

    def describe(self) -> str:
        who = self.username or "（未记录用户）"
        verb = "删除过" if self.deleted else "修改过"
        return f"{who} 于 {timezone.localtime(self.when):%Y-%m-%d} {verb}"


class StaffEditGuard:
    """Answers "did staff change this record after the loader?" for the models the loader writes."""

    def __init__(self) -> None:
        self._by_pk: dict[type[models.Model], dict[int, StaffEdit]] = {}
        self._deleted: dict[type[models.Model], list[tuple[models.Model, StaffEdit]]] = {}

    def edit_of(self, obj: models.Model) -> StaffEdit | None:
        """The staff change of an existing record, if any."""
        self._read(type(obj))
        edit = self._by_pk[type(obj)].get(obj.pk)
        return edit if edit is not None and not edit.deleted else None

    def deletion_of(self, model: type[models.Model], lookup: dict) -> StaffEdit | None:
        """The staff deletion of the record that ``lookup`` (the loader's natural key) named, if any."""
        self._read(model)
        wanted = {model._meta.get_field(name).attname: _raw(value) for name, value in lookup.items()}
        for entry, edit in self._deleted[model]:
            if all(getattr(entry, attname) == value for attname, value in wanted.items()):
                return edit
        return None

    def _read(self, model: type[models.Model]) -> None:
        if model in self._by_pk:
            return
        history = model.history.model
        loader_write = Q(history_change_reason__in=LOADER_REASONS, history_user__isnull=True)
        last_loader_write = (
            history.objects.filter(loader_write, id=OuterRef("id")).order_by("-history_id").values("history_id")[:1]
        )
        entries = (
            history.objects.exclude(loader_write)
            .annotate(last_loader_write=Subquery(last_loader_write))
            .filter(Q(last_loader_write__isnull=True) | Q(history_id__gt=F("last_loader_write")))
            .select_related("history_user")
            .order_by("id", "history_id")
        )
        by_pk: dict[int, StaffEdit] = {}
        latest: dict[int, models.Model] = {}
        for entry in entries:
            user = entry.history_user
            by_pk[entry.id] = StaffEdit(
                username=user.get_username() if user else "",
                when=entry.history_date,
                deleted=entry.history_type == "-",
            )
            latest[entry.id] = entry
        self._by_pk[model] = by_pk
        self._deleted[model] = [(entry, by_pk[pk]) for pk, entry in latest.items() if by_pk[pk].deleted]


def _raw(value):
    return value.pk if isinstance(value, models.Model) else value
