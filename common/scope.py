"""The city-scope rule of sxplan, in one place.

Every consumer (admin, API, exports, aggregates, maps, pages) restricts querysets with
``scope_queryset`` and asks ``can_add`` / ``can_change`` before writing. Models opt in by
declaring ``city_scope``, the lookup path from the model to the Region(s) that scope it:

    class KeyProject(models.Model):
        city_scope = "city"              # a foreign key to Region
    class IndustryBase(models.Model):
        city_scope = "cities"            # a many-to-many to Region
    class ProjectReport(models.Model):
        city_scope = "project__city"

Models without ``city_scope`` are province-wide: every signed-in role reads them, only
provincial staff change them. A city-scoped record whose region is empty or is the province
itself is province-wide too (an enterprise with no known city, a province-level observation).
``city_scope_fields_province_only`` lists fields that only provincial staff may change.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from .choices import RoleChoices

PROVINCE_CODE = "140000"


def user_role(user) -> str | None:
    """The role of a user: superusers are provincial staff; no profile means no access."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return RoleChoices.PROVINCE
    cached = getattr(user, "_sxplan_role", None)
    if cached is None:
        profile = _profile(user)
        cached = profile.role if profile else ""
        user._sxplan_role = cached
    return cached or None


def _profile(user):
    from .models import StaffProfile

    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def user_city_ids(user) -> frozenset[int]:
    """Primary keys of the cities of a city user or a city-limited viewer (cached on the user)."""
    cached = getattr(user, "_sxplan_city_ids", None)
    if cached is None:
        if user_role(user) in (RoleChoices.CITY, RoleChoices.VIEWER):
            cached = frozenset(user.staff_profile.cities.values_list("pk", flat=True))
        else:
            cached = frozenset()
        user._sxplan_city_ids = cached
    return cached


def is_city_scoped(model) -> bool:
    return getattr(model, "city_scope", None) is not None


def _is_many(model) -> bool:
    path = model.city_scope.split("__")
    field = model._meta.get_field(path[0])
    if field.many_to_many or field.one_to_many:
        return True
    for name in path[1:]:
        field = field.related_model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
    return False


def visible_q(model, city_ids, *, prefix: str = "") -> Q:
    """The condition under which a record of a city-scoped model is visible to these cities.

    ``prefix`` applies the condition to records reached through a relation of another model
    (``"latest__observation__"`` on Target); it is only possible for single-valued scopes.
    """
    path = prefix + model.city_scope
    if _is_many(model):
        if prefix:
            raise ValueError(f"{model.__name__} is scoped through a many-valued path: no prefixed condition")
        through_match = model.objects.filter(pk=OuterRef("pk"), **{f"{path}__in": list(city_ids)})
        any_region = model.objects.filter(pk=OuterRef("pk"), **{f"{path}__isnull": False})
        return Q(Exists(through_match)) | ~Q(Exists(any_region))
    return Q(**{f"{path}__in": list(city_ids)}) | Q(**{f"{path}__isnull": True}) | Q(**{f"{path}__code": PROVINCE_CODE})


def visibility_q(user, model, *, prefix: str = "") -> Q | None:
    """The condition on ``model``'s records (through ``prefix``) that this user may see; None: all of them."""
    role = user_role(user)
    if role is None:
        return Q(pk__in=[])
    if role == RoleChoices.PROVINCE or not is_city_scoped(model):
        return None
    city_ids = user_city_ids(user)
    if role == RoleChoices.VIEWER and not city_ids:
        return None  # a viewer without cities reads like the province
    return visible_q(model, city_ids, prefix=prefix)


def scope_queryset(queryset: models.QuerySet, user) -> models.QuerySet:
    """Restrict a queryset to the records this user may see."""
    if user_role(user) is None:
        return queryset.none()
    condition = visibility_q(user, queryset.model)
    return queryset if condition is None else queryset.filter(condition)


def can_view_model(user) -> bool:
    return user_role(user) is not None


def can_add(user, model) -> bool:
    role = user_role(user)
    if role == RoleChoices.PROVINCE:
        return True
    if role != RoleChoices.CITY or not is_city_scoped(model):
        return False
    # A city user cannot create records whose cities only the province may set.
    return model.city_scope not in getattr(model, "city_scope_fields_province_only", ())


def can_change(user, obj=None, model=None) -> bool:
    """May this user change (or delete) this record; without a record, records of this model."""
    model = model or type(obj)
    role = user_role(user)
    if role == RoleChoices.PROVINCE:
        return True
    if role != RoleChoices.CITY or not is_city_scoped(model):
        return False
    if obj is None:
        return True
    ids = object_city_ids(obj)
    return bool(ids) and ids <= _editable_ids(user, obj)


def _editable_ids(user, obj) -> frozenset[int]:
    ids = user_city_ids(user)
    # Bases span several cities: staff of any of them maintain the record (not its cities).
    if _is_many(type(obj)) and ids & object_city_ids(obj):
        return object_city_ids(obj)
    return ids


def object_city_ids(obj) -> frozenset[int]:
    """The city Regions a saved or unsaved record is scoped to (empty: province-wide)."""
    model = type(obj)
    path = model.city_scope.split("__")
    if _is_many(model):
        if obj.pk is None:
            return frozenset()
        rows = model.objects.filter(pk=obj.pk, **{f"{model.city_scope}__isnull": False})
        return frozenset(rows.values_list(f"{model.city_scope}__pk", flat=True))
    target = obj
    for name in path:
        target = getattr(target, name, None)
        if target is None:
            return frozenset()
    if target.code == PROVINCE_CODE:
        return frozenset()
    return frozenset([target.pk])


def can_use_region(user, region) -> bool:
    """May this user put a record in this region (city staff: their own cities and counties)."""
    role = user_role(user)
    if role == RoleChoices.PROVINCE:
        return True
    if role != RoleChoices.CITY or region is None:
        return False
    city_pk = region.pk if region.parent_id is None or region.level == "city" else region.parent_id
    return city_pk in user_city_ids(user)
