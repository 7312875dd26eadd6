"""The machinery under every app's services: scope checks, ``full_clean``, save, many-to-many, history.

Each app's ``services.py`` writes out one function per write (``key_project_create``,
``observation_update`` …) on top of ``record_create`` / ``record_update`` / ``record_delete`` /
``records_create``; the admin, the API, imports, the seed loader and tasks import those functions
by name. Every scope and validation rule of a write lives here, once:

- ``user`` is the acting user, checked against common.scope (may add, may change before and
  after, may use the regions named, may reference the records linked); ``None`` is a trusted
  system writer (the seed loader, Celery tasks, management commands) and skips the scope
  checks, not the validation.
- A linked record the user may not see is refused with the message of a missing one when it is
  newly linked, and kept when it was linked already: a many-to-many value is the submitted
  records plus the hidden ones linked before (a 太原 clerk never drops 大同's anchors).
- Provenance (``source_file``, ``source_quote``) is the province's; on a record shared by several
  cities, city staff change only the model's ``city_shared_fields``.
- ``full_clean`` validates every field and constraint (the models' Chinese messages).
- History (simple_history) records ``user`` and ``reason``.

Failures raise Django's ``ValidationError`` (field → messages) or ``PermissionDenied``; callers
turn them into form errors, 400 / 403 or row errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .choices import RoleChoices
from .constraints import full_clean_many, full_clean_one, remember_row
from .models import StaffProfile
from .scope import (
    PROVENANCE_FIELDS,
    can_add,
    can_change,
    can_delete,
    can_use_region,
    is_city_scoped,
    is_shared,
    referenceable_queryset,
    user_role,
)

_REGION = "regions.region"


@dataclass(frozen=True)
class ModelServices:
    """The services a model admin, an inline or a viewset writes its model with, declared by name.

    ``services = ModelServices(create=key_project_create, update=key_project_update, delete=key_project_delete)``

    ``delete_many`` (optional) deletes a batch at once (``instances=``), for a model whose deletes
    refresh derived rows; without it the admin's bulk delete calls ``delete`` record by record.
    """

    create: Callable[..., models.Model]
    update: Callable[..., models.Model]
    delete: Callable[..., None]
    delete_many: Callable[..., None] | None = None


def record_create(*, model: type[models.Model], user, data: Mapping[str, Any], reason: str = "") -> models.Model:
    """Create a record from field values (many-to-many as lists) if this user may."""
    _check_can_add(user, model)
    with transaction.atomic():
        return _save(instance=model(), user=user, data=data, reason=reason)


def records_create(
    *, model: type[models.Model], user, rows: list[Mapping[str, Any]], reason: str = ""
) -> list[models.Model | ValidationError | PermissionDenied]:
    """Create many records as ``record_create`` would one by one, in a number of queries that does not grow per row.

    Each row's outcome is its new record or the error ``record_create`` would raise for it; the
    same checks run (``full_clean_many`` gives ``full_clean``'s errors). The valid rows are
    inserted together, with their history by ``user``, in a savepoint: an IntegrityError (what the
    checks cannot see, such as a concurrent write) rolls back the whole batch and propagates.
    For models without many-to-many fields (``bulk_create`` cannot set them); a batch of a few
    hundred rows. Derived rows (progress) are the calling service's to refresh, once per batch.
    """
    outcomes = []
    for data in rows:
        try:
            outcomes.append(_new_record(model, user, data))
        except (ValidationError, PermissionDenied) as exc:
            outcomes.append(exc)
    checked = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, models.Model)]
    errors = full_clean_many([outcomes[index] for index in checked])
    for index, error in zip(checked, errors, strict=True):
        outcomes[index] = error or _out_of_scope(outcomes[index], user) or outcomes[index]
    valid = [outcome for outcome in outcomes if isinstance(outcome, models.Model)]
    if valid:
        with transaction.atomic():
            _create_with_history(model, valid, user=user, reason=reason)
    return outcomes


def _create_with_history(model: type[models.Model], instances: list[models.Model], *, user, reason: str) -> None:
    """``bulk_create_with_history``, with the history rows copied from the new rows by one INSERT … SELECT:
    simple_history builds and prepares a historical instance per record, most of a large batch's time."""
    history = model.history.model
    using = router.db_for_write(model)
    connection = connections[using]
    columns = [field.column for field in history.tracked_fields]
    kept = {field.column for field in history._meta.concrete_fields}
    if not connection.features.can_return_rows_from_bulk_insert or not set(columns) <= kept:
        bulk_create_with_history(instances, model, default_user=user, default_change_reason=reason or None)
        return
    model._default_manager.using(using).bulk_create(instances)
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    q = connection.ops.quote_name
    own = ", ".join(q(column) for column in columns)
    extra = ", ".join(
        q(history._meta.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    )
    pks = [instance.pk for instance in instances]
    user_id = getattr(user, "pk", None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(history._meta.db_table)} ({own}, {extra}) "
            f"SELECT {own}, %s, %s, '+', %s FROM {q(model._meta.db_table)} "
            f"WHERE {q(model._meta.pk.column)} IN ({', '.join(['%s'] * len(pks))}) ORDER BY {q(model._meta.pk.column)}",
            [timezone.now(), reason or None, user_id, *pks],
        )


def record_update(
    *, instance: models.Model, user, data: Mapping[str, Any], reason: str = "", savepoint: bool = True
) -> models.Model:
    """Change some fields of a record (those in ``data``) if this user may, before and after.

    ``savepoint=False``: within a caller's transaction that any error ends, no savepoint of its own."""
    if user is not None and not can_change(user, instance):
        raise PermissionDenied("您无权修改此记录。")
    # The fields left out of ``data`` hold what was read from the database: full_clean_one need not
    # look their values up again.
    stored = frozenset(
        field.name for field in instance._meta.concrete_fields if field.name not in data and field.attname not in data
    )
    with transaction.atomic(savepoint=savepoint):
        return _save(instance=instance, user=user, data=data, reason=reason, stored=stored)


@transaction.atomic
def record_delete(*, instance: models.Model, user, reason: str = "") -> None:
    if user is not None and not can_delete(user, instance):
        raise PermissionDenied("您无权删除此记录。")
    _mark_history(instance, user, reason)
    instance.delete()


def _save(
    *, instance: models.Model, user, data: Mapping[str, Any], reason: str, stored: frozenset[str] = frozenset()
) -> models.Model:
    many = _assign(instance, user, data)
    full_clean_one(instance, stored=stored)
    if error := _out_of_scope(instance, user):
        raise error
    _mark_history(instance, user, reason)
    instance.save()
    for name, values in many.items():
        getattr(instance, name).set(values)
    remember_row(instance)
    return instance


def _mark_history(instance: models.Model, user, reason: str) -> None:
    # simple_history reads these instead of the request (there is none in tasks and imports).
    instance._history_user = user
    instance._change_reason = reason or None


def _check_can_add(user, model) -> None:
    if user is not None and not can_add(user, model):
        raise PermissionDenied("您无权新增此类记录。")


def _new_record(model, user, data: Mapping[str, Any]) -> models.Model:
    """An unsaved record of ``data``, past the checks ``record_create`` makes before ``full_clean``."""
    _check_can_add(user, model)
    instance = model()
    if _assign(instance, user, data):
        raise TypeError(f"records_create cannot set the many-to-many fields of {model.__name__}.")
    return instance


def _assign(instance, user, data: Mapping[str, Any]) -> dict[str, Any]:
    """Set the fields of ``data`` on the instance, checking the regions; return the many-to-many values."""
    model = type(instance)
    fields, many = {}, {}
    for name, value in data.items():
        (many if model._meta.get_field(name).many_to_many else fields)[name] = value
    _check_province_only(instance, user, many)
    if user is not None and user_role(user) != RoleChoices.PROVINCE:
        _check_city_writable(instance, fields, many)
        _check_references(instance, user, fields, many)
        many = {name: _with_hidden_links(instance, user, name, values) for name, values in many.items()}
    for name, value in fields.items():
        setattr(instance, name, value)
    _check_regions(instance, user, fields)
    return many


def _out_of_scope(instance, user) -> PermissionDenied | None:
    # After the change the record must still lie in the user's cities: a city user can neither
    # move a record to another city nor make it province-wide.
    if user is not None and user_role(user) != RoleChoices.PROVINCE and not can_change(user, instance):
        return PermissionDenied("只能在本人负责的城市范围内保存记录。")
    return None


def _check_province_only(instance, user, many: dict) -> None:
    if user is None or user_role(user) == RoleChoices.PROVINCE:
        return
    for name in getattr(type(instance), "city_scope_fields_province_only", ()):
        if name not in many:
            continue
        current = set() if instance.pk is None else set(getattr(instance, name).values_list("pk", flat=True))
        if {getattr(obj, "pk", obj) for obj in many[name]} != current:
            raise PermissionDenied(f"只有省级工作人员可以修改“{type(instance)._meta.get_field(name).verbose_name}”。")


def _changes(instance, name: str, value) -> bool:
    """Whether writing ``value`` to field ``name`` changes the stored record (new records: any non-empty value)."""
    field = instance._meta.get_field(name)
    if field.many_to_many:
        current = set() if instance.pk is None else set(getattr(instance, name).values_list("pk", flat=True))
        return {getattr(obj, "pk", obj) for obj in value} != current
    if instance.pk is None:
        return value not in (None, "", field.get_default())
    current = field.value_from_object(instance)
    return (value.pk if field.is_relation and value is not None else value) != current


def _check_city_writable(instance, fields: dict, many: dict) -> None:
    """Provenance is the province's; so is all of a shared record but its ``city_shared_fields``."""
    errors = {}
    for name, value in {**fields, **many}.items():
        if name in PROVENANCE_FIELDS and _changes(instance, name, value):
            errors[name] = "只有省级工作人员可以修改来源信息。"
    if instance.pk is not None and is_shared(instance):
        shared = getattr(type(instance), "city_shared_fields", ())
        for name, value in {**fields, **many}.items():
            if name not in shared and name not in errors and _changes(instance, name, value):
                verbose = instance._meta.get_field(name).verbose_name
                errors[name] = f"该记录由多个城市共享，只有省级工作人员可以修改“{verbose}”。"
    if errors:
        raise ValidationError(errors)


def _linked_pks(instance, name: str) -> set:
    if instance.pk is None:
        return set()
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return set(getattr(instance, name).values_list("pk", flat=True))
    current = field.value_from_object(instance)
    return set() if current is None else {current}


def _check_references(instance, user, fields: dict, many: dict) -> None:
    """Every record newly linked must be one the user may see; a hidden one is answered like a missing one."""
    missing = forms.ModelChoiceField.default_error_messages["invalid_choice"]
    errors = {}
    for name, value in {**fields, **many}.items():
        field = instance._meta.get_field(name)
        if not field.is_relation or not is_city_scoped(field.related_model) or value is None:
            continue
        pks = {getattr(obj, "pk", obj) for obj in (value if field.many_to_many else [value])}
        new = pks - _linked_pks(instance, name)
        if not new:
            continue
        seen = set(
            referenceable_queryset(field.related_model._default_manager.filter(pk__in=new), user).values_list(
                "pk", flat=True
            )
        )
        if new - seen:
            errors[name] = missing
    if errors:
        raise ValidationError(errors)


def _with_hidden_links(instance, user, name: str, values) -> list:
    """The submitted records plus those linked before that the user may not see (kept, never dropped)."""
    field = instance._meta.get_field(name)
    linked = _linked_pks(instance, name)
    if not is_city_scoped(field.related_model) or not linked:
        return list(values)
    related = field.related_model._default_manager
    visible = set(referenceable_queryset(related.filter(pk__in=linked), user).values_list("pk", flat=True))
    hidden = linked - visible - {getattr(obj, "pk", obj) for obj in values}
    return [*values, *related.filter(pk__in=hidden)]


def _check_regions(instance, user, fields: dict) -> None:
    errors = {}
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        is_region = field.is_relation and field.related_model._meta.label_lower == _REGION
        if is_region and user is not None and value is not None and not can_use_region(user, value):
            errors[name] = "只能选择本人负责的城市及其所辖县（市、区）。"
    if getattr(instance, "county_id", None) and getattr(instance, "city_id", None):
        if instance.county.parent_id != instance.city_id:
            errors["county"] = f"{instance.county.name}不属于{instance.city.name}。"
    if errors:
        raise ValidationError(errors)


# Staff accounts ------------------------------------------------------------------------------------
# Accounts and their roles are managed by provincial staff (the admin) and by the create_staff
# command (``user=None``). A role change is recorded in the profile's history with the actor.


def _check_manages_staff(user) -> None:
    if user is not None and user_role(user) != RoleChoices.PROVINCE:
        raise PermissionDenied("只有省级工作人员可以管理工作人员账号。")


def staff_account_create(
    *, user, username: str, password: str | None = None, first_name: str = "", last_name: str = "", email: str = ""
) -> AbstractBaseUser:
    """A new, active staff account; without a password it cannot sign in with one (only by token)."""
    _check_manages_staff(user)
    account = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email, is_active=True, is_staff=True
    )
    if password:
        account.set_password(password)
    else:
        account.set_unusable_password()
    account.full_clean()
    account.save()
    return account


def staff_account_update(*, user, account: AbstractBaseUser, password: str | None = None) -> AbstractBaseUser:
    """Give an account staff status and, if given, a new password; saved only when something changes.

    It is not re-activated: an administrator may have switched the account off on purpose.
    """
    _check_manages_staff(user)
    if account.is_staff and not password:
        return account
    account.is_staff = True
    if password:
        account.set_password(password)
    account.save()
    return account


def staff_profile_validate(*, role: str, cities: Iterable[models.Model]) -> None:
    """City staff need at least one city; every city must be a prefecture-level city."""
    cities = list(cities)
    if role == RoleChoices.CITY and not cities:
        raise ValidationError({"cities": "市级工作人员须至少指定一个城市。"})
    allowed = StaffProfile._meta.get_field("cities").get_limit_choices_to()  # regions of the city level
    if any(getattr(city, name) != value for city in cities for name, value in allowed.items()):
        raise ValidationError({"cities": "所属城市须为设区市。"})


def staff_tour_pending(*, user) -> bool:
    """Whether the pages still show this user the first-run tour (no query: the profile is the one
    ``user_role`` loaded)."""
    if not user.is_authenticated:
        return False
    try:
        return user.staff_profile.tour_dismissed_at is None
    except StaffProfile.DoesNotExist:
        return user.is_superuser


def staff_tour_dismiss(*, user) -> None:
    """Remember that the user closed the first-run tour. A superuser without a profile gets one (provincial,
    the role superusers have anyway) to remember it. Not a change of the role: no history row."""
    now = timezone.now()
    if StaffProfile.objects.filter(user=user).update(tour_dismissed_at=now):
        return
    if user.is_superuser:
        StaffProfile.objects.create(user=user, role=RoleChoices.PROVINCE, tour_dismissed_at=now)


@transaction.atomic
def staff_profile_set(
    *, user, account: AbstractBaseUser, role: str, cities: Iterable[models.Model], reason: str = ""
) -> StaffProfile:
    """Give an account its role and cities (creating its profile); a write only where something changes."""
    _check_manages_staff(user)
    cities = list(cities)
    staff_profile_validate(role=role, cities=cities)
    profile = StaffProfile.objects.filter(user=account).first() or StaffProfile(user=account)
    if profile.pk is None or profile.role != role:
        profile.role = role
        profile.full_clean(exclude=["user"] if profile.pk is None else None)
        _mark_history(profile, user, reason)
        profile.save()
    if set(profile.cities.values_list("pk", flat=True)) != {city.pk for city in cities}:
        profile.cities.set(cities)
    return profile
