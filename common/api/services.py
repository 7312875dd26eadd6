"""The one write path for every record: scope check, full_clean, save, many-to-many, atomically.

Each app's ``services.py`` exposes ``<entity>_create`` / ``_update`` / ``_delete`` (keyword-only)
built on ``record_create`` / ``record_update`` / ``record_delete``; the API serializers find
them by that naming convention (``service_for``), and the admin and the seed loader can call
them as they are. Failures raise Django's ``ValidationError`` (field → messages) or
``PermissionDenied``; callers turn them into form errors, 400 or 403. ``records_create`` creates
many new records with the same checks in one batch (imports).
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from common.choices import RoleChoices
from common.constraints import full_clean_many
from common.scope import can_add, can_change, can_use_region, user_role

_REGION = ("regions", "region")


def entity_name(model) -> str:
    """``KeyProject`` → ``key_project``: the prefix of the model's service functions."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def service_for(model, action: str):
    """The app service ``<entity>_<action>`` of a model (``projects.services.key_project_create``)."""
    module = import_module(f"{model._meta.app_label}.services")
    return getattr(module, f"{entity_name(model)}_{action}")


def record_create(*, model: type[models.Model], user, data: dict[str, Any]) -> models.Model:
    """Create a record from field values (many-to-many as lists) if this user may."""
    _check_can_add(user, model)
    return _save(instance=model(), user=user, data=data)


def records_create(
    *, model: type[models.Model], user, rows: list[dict[str, Any]]
) -> list[models.Model | ValidationError | PermissionDenied]:
    """Create many records as ``record_create`` would one by one, in a number of queries that does not grow per row.

    Each row's outcome is its new record or the error ``record_create`` would raise for it; the
    same checks run (``full_clean_many`` gives ``full_clean``'s errors). The valid rows are
    inserted together, with their history by ``user``, in a savepoint: an IntegrityError (what the
    checks cannot see, such as a concurrent write) rolls back the whole batch and propagates.
    For models without many-to-many fields and without signal receivers (``bulk_create`` sends no
    signals); a batch of a few hundred rows.
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
            bulk_create_with_history(valid, model, default_user=user)
    return outcomes


def record_update(*, instance: models.Model, user, data: dict[str, Any]) -> models.Model:
    """Change some fields of a record (those in ``data``) if this user may, before and after."""
    if not can_change(user, instance):
        raise PermissionDenied("您无权修改此记录。")
    return _save(instance=instance, user=user, data=data)


@transaction.atomic
def record_delete(*, instance: models.Model, user) -> None:
    if not can_change(user, instance):
        raise PermissionDenied("您无权删除此记录。")
    instance.delete()


@transaction.atomic
def _save(*, instance: models.Model, user, data: dict[str, Any]) -> models.Model:
    many = _assign(instance, user, data)
    instance.full_clean()
    if error := _out_of_scope(instance, user):
        raise error
    instance.save()
    for name, values in many.items():
        getattr(instance, name).set(values)
    return instance


def _check_can_add(user, model) -> None:
    if not can_add(user, model):
        raise PermissionDenied("您无权新增此类记录。")


def _new_record(model, user, data: dict[str, Any]) -> models.Model:
    """An unsaved record of ``data``, past the checks ``record_create`` makes before ``full_clean``."""
    _check_can_add(user, model)
    instance = model()
    if _assign(instance, user, data):
        raise TypeError(f"records_create cannot set the many-to-many fields of {model.__name__}.")
    return instance


def _assign(instance, user, data: dict[str, Any]) -> dict[str, Any]:
    """Set the fields of ``data`` on the instance, checking the regions; return the many-to-many values."""
    model = type(instance)
    fields, many = {}, {}
    for name, value in data.items():
        (many if model._meta.get_field(name).many_to_many else fields)[name] = value
    _check_province_only(instance, user, many)
    for name, value in fields.items():
        setattr(instance, name, value)
    _check_regions(instance, user, fields)
    return many


def _out_of_scope(instance, user) -> PermissionDenied | None:
    # After the change the record must still lie in the user's cities: a city user can neither
    # move a record to another city nor make it province-wide.
    if user_role(user) != RoleChoices.PROVINCE and not can_change(user, instance):
        return PermissionDenied("只能在本人负责的城市范围内保存记录。")
    return None


def _check_province_only(instance, user, many: dict) -> None:
    if user_role(user) == RoleChoices.PROVINCE:
        return
    for name in getattr(type(instance), "city_scope_fields_province_only", ()):
        if name not in many:
            continue
        current = set() if instance.pk is None else set(getattr(instance, name).values_list("pk", flat=True))
        if {getattr(obj, "pk", obj) for obj in many[name]} != current:
            raise PermissionDenied(f"只有省级工作人员可以修改“{type(instance)._meta.get_field(name).verbose_name}”。")


def _check_regions(instance, user, fields: dict) -> None:
    errors = {}
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        is_region = field.is_relation and field.related_model._meta.label_lower == ".".join(_REGION)
        if is_region and value is not None and not can_use_region(user, value):
            errors[name] = "只能选择本人负责的城市及其所辖县（市、区）。"
    if getattr(instance, "county_id", None) and getattr(instance, "city_id", None):
        if instance.county.parent_id != instance.city_id:
            errors["county"] = f"{instance.county.name}不属于{instance.city.name}。"
    if errors:
        raise ValidationError(errors)


def crud_services(model: type[models.Model]):
    """The standard ``<entity>_create``, ``<entity>_update`` and ``<entity>_delete`` of a model.

    ``zone_create, zone_update, zone_delete = crud_services(Zone)``; an app writes its own
    function instead where the model needs more (such as recording who reported a value).
    """
    name = entity_name(model)

    def create(*, user, data: dict[str, Any]) -> models.Model:
        return record_create(model=model, user=user, data=data)

    def update(*, instance: models.Model, user, data: dict[str, Any]) -> models.Model:
        return record_update(instance=instance, user=user, data=data)

    def delete(*, instance: models.Model, user) -> None:
        record_delete(instance=instance, user=user)

    for action, function in (("create", create), ("update", update), ("delete", delete)):
        function.__name__ = function.__qualname__ = f"{name}_{action}"
        function.__doc__ = f"{action.capitalize()} a {model._meta.verbose_name} (scope check, full_clean, atomic)."
    return create, update, delete
