"""``full_clean`` of many new records at once, with a number of queries that does not grow per record.

Django's ``Model.full_clean`` queries the database once per foreign key (``ForeignKey.validate``),
per unique field and UniqueConstraint, and per check constraint (``CheckConstraint.validate`` runs
``Q.check``, a SELECT in a savepoint). ``full_clean_many`` gives every instance the errors
``full_clean`` would give it, in the same order, with one query per foreign key, unique field and
UniqueConstraint for the whole batch; check constraints are evaluated in Python by
``validate_check``, which leaves to Django the conditions it does not understand. Where a batch
query finds a possible clash, Django's own check runs for that instance, so the messages are
Django's. A batch holds a few hundred instances (each query lists the batch's values).
"""

from __future__ import annotations

import datetime
import operator
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, models, router
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP

_ORDERINGS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_NUMBERS = (int, float, Decimal)
#: Other values Python compares as the database does (a datetime is a date: it comes first).
_KINDS = (str, datetime.datetime, datetime.date, datetime.time, datetime.timedelta)
_UNKNOWN = object()


class Unsupported(Exception):
    """The evaluator does not understand this part of a condition: Django checks it instead."""


def validate_check(
    constraint: models.CheckConstraint,
    model,
    instance,
    *,
    exclude=(),
    using=None,
    row: dict | None = None,
    known: dict | None = None,
) -> None:
    """``constraint.validate(model, instance, exclude=exclude)``, without a query where the evaluator can.

    ``row``: the instance's values as ``_row`` gives them for this model and ``exclude`` (shared by its constraints).
    ``known``: the outcomes found so far for a batch of one model, by constraint and the values its condition
    reads (most records of a batch share them: years, quarters, choices), so that each is evaluated once.
    """
    using = using or router.db_for_write(model, instance=instance)
    row = row if row is not None else _row(model, instance, set(exclude))
    key = _outcome_key(constraint, row) if known is not None else None
    try:
        if key is not None and key in known:
            holds = known[key]
        else:
            holds = condition_holds(constraint.condition, row)
            if key is not None:
                known[key] = holds
    except Unsupported:
        constraint.validate(model, instance, exclude=exclude, using=using)
        return
    # Like Q.check: an unknown (NULL) result passes where the database can coalesce it to true.
    if holds is False or (holds is None and not connections[using].features.supports_comparing_boolean_expr):
        raise ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)


#: The fields each check constraint's condition reads, sorted (None: it reads something else too), with the
#: constraint itself (an id may be reused once a constraint of a model built at run time is gone).
_READS: dict[int, tuple[models.CheckConstraint, tuple[str, ...] | None]] = {}


def _outcome_key(constraint: models.CheckConstraint, row: dict) -> tuple | None:
    """What a condition's outcome depends on: the constraint and the values (with their types) it reads."""
    seen, names = _READS.get(id(constraint), (None, None))
    if seen is not constraint:
        names = _condition_names(constraint.condition)
        names = None if names is None else tuple(sorted(names))
        _READS[id(constraint)] = (constraint, names)
    if names is None or not all(name in row for name in names):
        return None
    key = (id(constraint), *((type(value), value) for _, value in (row[name] for name in names)))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def condition_holds(condition: Q, row: dict[str, tuple[models.Field, Any]]) -> bool | None:
    """The SQL truth of a condition for one row of field values: True, False or None (unknown).

    Understands nested AND / OR / NOT of exact, isnull, in, gt, gte, lt and lte on the row's own
    fields, with constants or F() of other fields; raises ``Unsupported`` for anything else.
    """
    # Every child is evaluated (no short-circuit) so that any part Django would refuse is noticed.
    results = [_child_holds(child, row) for child in condition.children]
    if condition.connector == Q.AND:
        result = False if False in results else None if None in results else True
    elif condition.connector == Q.OR:
        result = True if True in results else None if None in results else False
    else:
        raise Unsupported(condition.connector)
    return (None if result is None else not result) if condition.negated else result


def _child_holds(child, row) -> bool | None:
    if isinstance(child, Q):
        return condition_holds(child, row)
    if not isinstance(child, tuple):
        raise Unsupported(child)  # an expression
    lookup, rhs = child
    name, _, kind = lookup.partition(LOOKUP_SEP)
    field, value = _value(row, name)
    if kind == "isnull":
        if not isinstance(rhs, bool):
            raise Unsupported(lookup)
        return (value is None) == rhs
    if kind == "in":
        if isinstance(rhs, str | bytes) or not rhs:
            raise Unsupported(lookup)
        options = [_constant(field, option) for option in rhs]
        if None in options:
            raise Unsupported(lookup)
        return None if value is None else any(_equal(value, option) for option in options)
    kind = kind or "exact"
    if kind != "exact" and kind not in _ORDERINGS:
        raise Unsupported(lookup)
    if isinstance(rhs, F):
        rhs = _value(row, rhs.name)[1]
    elif kind == "exact" and rhs is None:
        return value is None  # Django turns exact=None into isnull
    else:
        rhs = _constant(field, rhs)
    if value is None or rhs is None:
        return None
    if kind == "exact":
        return _equal(value, rhs)
    if not _ordered(value, rhs):
        raise Unsupported(lookup)
    return _ORDERINGS[kind](value, rhs)


def _row(model, instance, exclude: set[str]) -> dict[str, tuple[models.Field, Any]]:
    """The values a condition sees, as ``Model._get_field_expression_map`` gives them to ``Q.check``."""
    row = {}
    for field in model._meta.local_concrete_fields:
        if field.name not in exclude:
            row[field.name] = (field, _UNKNOWN if field.generated else getattr(instance, field.attname))
    if "pk" not in exclude:
        row["pk"] = (model._meta.pk, instance.pk)
    return row


def _value(row, name: str):
    """A field's value, prepared as for the database; Django joins, computes or skips other names."""
    if name not in row:
        raise Unsupported(name)
    field, value = row[name]
    if value is _UNKNOWN or hasattr(value, "resolve_expression"):
        raise Unsupported(name)
    return field, _prepared(field, value)


#: Constants of conditions as prepared for their field: the same few values are prepared for every record.
_CONSTANTS: dict[tuple, Any] = {}


def _constant(field, value):
    if hasattr(value, "resolve_expression") or isinstance(value, models.Model):
        raise Unsupported(value)
    key = (field, type(value), value)
    try:
        return _CONSTANTS[key]
    except TypeError:  # not hashable
        return _prepared(field, value)
    except KeyError:
        prepared = _CONSTANTS[key] = _prepared(field, value)
        return prepared


def _prepared(field, value):
    if value is None:
        return None
    try:
        return field.get_prep_value(value)
    except (TypeError, ValueError, ValidationError):
        raise Unsupported(value) from None


def _equal(a, b) -> bool:
    if not _comparable(a, b):
        raise Unsupported((a, b))
    return a == b


def _ordered(a, b) -> bool:
    """Values Python orders as the database does (text order depends on the collation)."""
    return _comparable(a, b) and not isinstance(a, str)


def _comparable(a, b) -> bool:
    if isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return not {type(a), type(b)} >= {float, Decimal}  # the database rounds one of them
    kind, other = (next((kind for kind in _KINDS if isinstance(value, kind)), None) for value in (a, b))
    if kind is None or kind is not other:
        return False
    return kind is not datetime.datetime or (a.tzinfo is None) == (b.tzinfo is None)


def full_clean_many(instances: list[models.Model]) -> list[ValidationError | None]:
    """For each new instance of one model, the error ``instance.full_clean()`` would raise, or None."""
    if not instances:
        return []
    verified = _verified_relations(type(instances[0]), instances)
    errors = [_clean(instance, relations) for instance, relations in zip(instances, verified, strict=True)]
    # As full_clean: unique and constraint checks skip the fields that failed before them.
    excludes = [_failed(found) for found in errors]
    unique_checks = [
        instance._get_unique_checks(exclude=exclude) for instance, exclude in zip(instances, excludes, strict=True)
    ]
    taken = _taken(instances, excludes, unique_checks)
    known = {}  # check constraints' outcomes by the values they read (validate_check)
    for instance, found, exclude, (checks, date_checks) in zip(instances, errors, excludes, unique_checks, strict=True):
        if date_checks or any(_key(model_class, fields, instance) in taken for model_class, fields in checks):
            try:
                instance.validate_unique(exclude=exclude)
            except ValidationError as exc:
                exc.update_error_dict(found)
        if constraint_errors := _constraint_errors(instance, _failed(found), taken, known=known):
            ValidationError(constraint_errors).update_error_dict(found)
    return [ValidationError(found) if found else None for found in errors]


def _clean(instance, relations: set[str]) -> dict:
    """``clean_fields()`` and ``clean()``; foreign keys the batch query found need no query each."""
    found = {}
    for check in (lambda: instance.clean_fields(exclude=relations), instance.clean):
        try:
            check()
        except ValidationError as exc:
            exc.update_error_dict(found)
    return found


def _failed(found: dict) -> set[str]:
    return {name for name in found if name != NON_FIELD_ERRORS}


def _verified_relations(model, instances) -> list[set[str]]:
    """Per instance, the foreign keys whose related objects exist and satisfy ``limit_choices_to``."""
    verified = [set() for _ in instances]
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.remote_field.parent_link:
            continue
        # Only values set from an object: a raw value may not even have the right type to query by.
        values = {getattr(i, field.attname) for i in instances if field.is_cached(i)} - {None}
        if not values:
            continue
        target = field.remote_field.field_name
        queryset = field.remote_field.model._base_manager.filter(**{f"{target}__in": values})
        found = set(queryset.complex_filter(field.get_limit_choices_to()).values_list(target, flat=True))
        for names, instance in zip(verified, instances, strict=True):
            if field.is_cached(instance) and getattr(instance, field.attname) in found:
                names.add(field.name)
    return verified


def _key(model_class, fields: tuple[str, ...], instance) -> tuple | None:
    """What a unique check looks up for an instance (None: no lookup, a NULL cannot clash)."""
    values = tuple(getattr(instance, model_class._meta.get_field(name).attname) for name in fields)
    return None if any(value is None for value in values) else (model_class, fields, values)


def _batched(constraint) -> bool:
    return (
        isinstance(constraint, models.UniqueConstraint)
        and constraint.fields
        and not constraint.condition
        and not constraint.expressions
        and constraint.nulls_distinct is not False
    )


def _taken(instances, excludes, unique_checks) -> set[tuple]:
    """The unique values of these instances already stored: one query per unique field or constraint."""
    wanted = defaultdict(set)
    for instance, exclude, (checks, _) in zip(instances, excludes, unique_checks, strict=True):
        for model_class, fields in checks:
            if key := _key(model_class, fields, instance):
                wanted[(*key[:2], None)].add(key[2])
        for model_class, constraints in instance.get_constraints():
            for constraint in constraints:
                if exclude & set(getattr(constraint, "fields", ())):
                    continue
                if _batched(constraint) or (_conditional(constraint) and _applies(constraint, model_class, instance)):
                    if key := _key(model_class, tuple(constraint.fields), instance):
                        wanted[(model_class, tuple(constraint.fields), constraint.condition)].add(key[2])
    taken = set()
    for (model_class, fields, condition), values in wanted.items():
        # Each column among the batch's values: a superset of the exact matches, narrowed below.
        queryset = model_class._default_manager.filter(
            **{f"{name}__in": {value[index] for value in values} for index, name in enumerate(fields)}
        )
        queryset = queryset if condition is None else queryset.filter(condition)
        tag = fields if condition is None else condition
        taken.update((model_class, tag, row) for row in queryset.values_list(*fields) if row in values)
    return taken


_UNDECIDED = object()


def _outcome(constraint, row) -> bool | None | object:
    """The truth of a constraint's condition for a row (True, False, None), or ``_UNDECIDED`` where
    the evaluator does not understand it (Django then checks the constraint itself)."""
    try:
        return condition_holds(constraint.condition, row)
    except Unsupported:
        return _UNDECIDED


def _conditional_key(constraint, model_class, instance) -> tuple | None:
    key = _key(model_class, tuple(constraint.fields), instance)
    return None if key is None else (model_class, constraint.condition, key[2])


def _conditional(constraint) -> bool:
    """A unique constraint over fields that holds only where its condition does (a partial unique index)."""
    return (
        isinstance(constraint, models.UniqueConstraint)
        and constraint.fields
        and constraint.condition is not None
        and not constraint.expressions
        and constraint.nulls_distinct is not False
    )


def _applies(constraint, model_class, instance) -> bool:
    """Whether the instance meets a conditional constraint's condition, decided in Python; False when unsure
    (Django then checks the constraint itself, see ``_constraint_errors``)."""
    try:
        return condition_holds(constraint.condition, _row(model_class, instance, set())) is True
    except Unsupported:
        return False


def _validate_conditional(constraint, model_class, instance, *, exclude, using) -> None:
    """``constraint.validate`` for an instance that meets the constraint's condition (decided in Python): one
    EXISTS query, where Django would first evaluate the condition with ``Q.check`` (a savepoint and a SELECT)."""
    lookups = {}
    for name in constraint.fields:
        field = model_class._meta.get_field(name)
        if name in exclude:
            return
        if field.generated:
            constraint.validate(model_class, instance, exclude=exclude, using=using)
            return
        value = getattr(instance, field.attname)
        if value is None or (value == "" and connections[using].features.interprets_empty_strings_as_nulls):
            return  # NULL never clashes
        lookups[name] = value
    queryset = model_class._default_manager.using(using).filter(**lookups).filter(constraint.condition)
    if not instance._state.adding and instance._is_pk_set(model_class._meta):
        queryset = queryset.exclude(pk=instance._get_pk_val(model_class._meta))
    if queryset.exists():
        raise ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)


#: Inside ``known_rows()``: the rows found or written so far, as (concrete model, field, value).
_known_rows: ContextVar[set[tuple] | None] = ContextVar("known_rows", default=None)


@contextmanager
def known_rows() -> Iterator[None]:
    """Inside the block, a related record found once (or written by ``remember_row``) is not looked
    up again for the next record that points at it.

    For one transaction that writes many records pointing at few others (``load_seeds``: 2,000
    records, 6,500 foreign-key lookups of a few hundred rows). The database's foreign keys still
    refuse a row that another transaction deleted meanwhile.
    """
    token = _known_rows.set(set())
    try:
        yield
    finally:
        _known_rows.reset(token)


def remember_row(instance: models.Model) -> None:
    """A row just written, inside ``known_rows()``: records that point at it need not look it up."""
    if (known := _known_rows.get()) is not None and instance.pk is not None:
        known.add((instance._meta.concrete_model, instance._meta.pk.name, instance.pk))


def _lookups_known(instance: models.Model) -> Iterator[tuple[str, tuple]]:
    """(field name, row key) of the foreign keys whose row ``known_rows()`` may answer for."""
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.remote_field.parent_link or field.get_limit_choices_to():
            continue
        value = getattr(instance, field.attname)
        if value is not None:
            yield field.name, (field.remote_field.model._meta.concrete_model, field.remote_field.field_name, value)


def full_clean_one(instance: models.Model, *, stored: frozenset[str] = frozenset()) -> None:
    """``instance.full_clean()``, with the same errors, but check constraints evaluated in Python where
    ``validate_check`` can: Django runs each as a SELECT in a savepoint, three round trips apiece.

    ``stored``: fields that hold the values read from the database (a change writes only the others).
    Their related records are not looked up again, and a unique check or unique constraint over them
    alone is skipped: the database holds those values under its own foreign keys and unique indexes.
    """
    relations = {name for name in stored if instance._meta.get_field(name).is_relation}
    known = _known_rows.get()
    if known is not None:
        # Read before cleaning: a raw value cleaned to its type may then name a row not looked up yet.
        relations |= {name for name, row in _lookups_known(instance) if row in known}
    errors = _clean(instance, relations)
    failed = _failed(errors)
    if known is not None:
        known.update(row for name, row in _lookups_known(instance) if name not in failed)
    checks, date_checks = instance._get_unique_checks(exclude=failed)
    unique = instance._perform_unique_checks([check for check in checks if not set(check[1]) <= stored])
    for name, messages in instance._perform_date_checks(date_checks).items():
        unique.setdefault(name, []).extend(messages)
    if unique:
        errors = ValidationError(unique).update_error_dict(errors)
    if constraint_errors := _constraint_errors(instance, _failed(errors), taken=None, stored=stored):
        errors = ValidationError(constraint_errors).update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _condition_names(condition: Q) -> set[str] | None:
    """The fields a condition reads (None: it reads something else too, an expression)."""
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            inner = _condition_names(child)
            if inner is None:
                return None
            names |= inner
        elif isinstance(child, tuple):
            names.add(child[0].split(LOOKUP_SEP)[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
            elif hasattr(child[1], "resolve_expression"):
                return None
        else:
            return None
    return names


def _over_stored(constraint, stored: frozenset[str]) -> bool:
    """A unique constraint over fields (and a condition) that all hold their stored values."""
    if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields or constraint.expressions:
        return False
    names = set(constraint.fields)
    if constraint.condition is not None:
        condition = _condition_names(constraint.condition)
        if condition is None:
            return False
        names |= condition
    return names <= stored


def _constraint_errors(
    instance, exclude: set[str], taken: set[tuple] | None, stored: frozenset[str] = frozenset(), known=None
) -> dict:
    """The errors ``instance.validate_constraints(exclude)`` would raise, merged the way it merges them.

    ``taken``: the unique values a batch query found stored (only those are checked one by one); None
    checks every unique constraint with Django. ``stored``: see ``full_clean_one``.
    """
    using = router.db_for_write(type(instance), instance=instance)
    errors = {}
    for model_class, constraints in instance.get_constraints():
        # The values the conditions read, once per instance (with and without the fields that failed).
        whole = _row(model_class, instance, set())
        row = _row(model_class, instance, set(exclude)) if exclude else whole
        for constraint in constraints:
            if _over_stored(constraint, stored):
                continue
            try:
                if isinstance(constraint, models.CheckConstraint):
                    validate_check(
                        constraint, model_class, instance, exclude=exclude, using=using, row=row, known=known
                    )
                elif (
                    _conditional(constraint)
                    and (holds := _outcome(constraint, row if taken is None else whole)) is not _UNDECIDED
                ):
                    # Outside the condition no clash is possible. Inside it: one record, one EXISTS query; a
                    # batch, Django's check only where the batch query found its values stored under it.
                    if holds is not True:
                        pass
                    elif taken is None:
                        _validate_conditional(constraint, model_class, instance, exclude=exclude, using=using)
                    elif _conditional_key(constraint, model_class, instance) in taken:
                        constraint.validate(model_class, instance, exclude=exclude, using=using)
                elif (
                    taken is None
                    or not _batched(constraint)
                    or _key(model_class, tuple(constraint.fields), instance) in taken
                ):
                    constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(exc)
                else:
                    errors = exc.update_error_dict(errors)
    return errors
