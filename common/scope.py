"""The city-scope rule of sxplan, in one place.

Three questions, one module: what a user may *read* (``scope_queryset``), what they may
*change* (``can_add`` / ``can_change`` / ``can_delete``) and what they may *reference* in a
relation they write (``referenceable_queryset``: what they may read, so that an id the user
may not see is answered exactly like an id that does not exist). Every consumer (admin, API,
imports, exports, aggregates, maps, pages) asks these functions. Models opt in by declaring
``city_scope``, the lookup path from the model to the Region(s) that scope it:

    class KeyProject(models.Model):
        city_scope = "city"              # a foreign key to Region
    class IndustryBase(models.Model):
        city_scope = "cities"            # a many-to-many to Region
    class ProjectReport(models.Model):
        city_scope = "project__city"

Models without ``city_scope`` are province-wide: every signed-in role reads them, only
provincial staff change them. A city-scoped record whose region is empty or is the province
itself is province-wide too (an enterprise with no known city, a province-level observation).
A county counts as its city. ``city_scope_fields_province_only`` lists fields that only
provincial staff may change; a model with such a scope field is also created and deleted by the
province only. ``city_shared_fields`` lists what city staff may change on a record shared by
several cities (a base of 太原 and 大同): the links to records of their own (parks, anchors);
everything else of a shared record is the province's. ``PROVENANCE_FIELDS`` are the province's
on every model.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from .choices import RoleChoices

PROVINCE_CODE = "140000"
PROVENANCE_FIELDS = ("source_file", "source_quote")
# What the admin shows in place of a linked record that the editor may not see (it is kept on save).
HIDDEN_RECORD_LABEL = "（其他城市的记录，无权查看）"


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
        ids = list(city_ids)
        through_match = model.objects.filter(
            Q(**{f"{path}__in": ids}) | Q(**{f"{path}__parent__in": ids}), pk=OuterRef("pk")
        )
        any_region = model.objects.filter(pk=OuterRef("pk"), **{f"{path}__isnull": False})
        return Q(Exists(through_match)) | ~Q(Exists(any_region))
    condition = Q(**{f"{path}__in": list(city_ids)}) | Q(**{f"{path}__isnull": True})
    condition |= Q(**{f"{path}__code": PROVINCE_CODE})
    if _may_hold_county(model):
        condition |= Q(**{f"{path}__parent__in": list(city_ids), f"{path}__level": "county"})
    return condition


def _scope_field(model):
    field = model._meta.get_field(model.city_scope.split("__")[0])
    for name in model.city_scope.split("__")[1:]:
        field = field.related_model._meta.get_field(name)
    return field


def _may_hold_county(model) -> bool:
    """Whether the region a record is scoped by may be a county (an observation of 小店区), not a city only."""
    limit = getattr(_scope_field(model), "_limit_choices_to", None) or {}
    return limit.get("level") != "city"


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


def referenceable_queryset(queryset: models.QuerySet, user, *, keep=()) -> models.QuerySet:
    """The records of ``queryset`` this user may link a record to: those they may see.

    ``keep`` are primary keys of records already linked to the record being edited: a link the
    editor cannot see is kept as it is, never dropped (nor shown by name).
    """
    condition = visibility_q(user, queryset.model) if user_role(user) is not None else Q(pk__in=[])
    if condition is None:
        return queryset
    return queryset.filter(condition | Q(pk__in=list(keep))) if keep else queryset.filter(condition)


def can_reference(user, obj) -> bool:
    """May this user link a record to ``obj`` (a record of any model)?"""
    if not is_city_scoped(type(obj)) or user_role(user) == RoleChoices.PROVINCE:
        return user_role(user) is not None
    return referenceable_queryset(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def is_visible(user, obj) -> bool:
    """May this user see ``obj``, a record already loaded (a linked record whose name a page would show)?

    Decided in memory for records scoped through foreign keys (load the path, e.g.
    ``select_related("enterprise__city")``, to spare a query per row); a record of a many-valued
    scope (a base) is looked up.
    """
    role = user_role(user)
    if role is None:
        return False
    if role == RoleChoices.PROVINCE or not is_city_scoped(type(obj)):
        return True
    city_ids = user_city_ids(user)
    if role == RoleChoices.VIEWER and not city_ids:
        return True
    if _is_many(type(obj)):
        return can_reference(user, obj)
    ids = object_city_ids(obj)
    return not ids or bool(ids & city_ids)


def shown_name(user, obj, attribute: str | None = "name") -> str | None:
    """A linked record's name (``attribute``; None: ``str(obj)``) as this user may read it.

    HIDDEN_RECORD_LABEL for a record they may not see.
    """
    if obj is None:
        return None
    if not is_visible(user, obj):
        return HIDDEN_RECORD_LABEL
    return str(obj) if attribute is None else getattr(obj, attribute)


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


def can_delete(user, obj=None, model=None) -> bool:
    """May this user delete this record: who may change it, unless only the province creates such records."""
    model = model or type(obj)
    if user_role(user) == RoleChoices.PROVINCE:
        return True
    if is_city_scoped(model) and model.city_scope in getattr(model, "city_scope_fields_province_only", ()):
        return False
    return can_change(user, obj, model=model)


def is_shared(obj) -> bool:
    """A record of several cities (a base of 太原 and 大同)."""
    return is_city_scoped(type(obj)) and _is_many(type(obj)) and len(object_city_ids(obj)) > 1


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
        regions = rows.values_list(
            f"{model.city_scope}__pk", f"{model.city_scope}__parent_id", f"{model.city_scope}__level"
        )
        return frozenset(parent if level == "county" else pk for pk, parent, level in regions)
    target = obj
    for name in path:
        target = getattr(target, name, None)
        if target is None:
            return frozenset()
    if target.code == PROVINCE_CODE:
        return frozenset()
    # A county counts as its city.
    return frozenset([target.parent_id if target.level == "county" else target.pk])


def can_use_region(user, region) -> bool:
    """May this user put a record in this region (city staff: their own cities and counties)."""
    role = user_role(user)
    if role == RoleChoices.PROVINCE:
        return True
    if role != RoleChoices.CITY or region is None:
        return False
    city_pk = region.pk if region.parent_id is None or region.level == "city" else region.parent_id
    return city_pk in user_city_ids(user)
