"""Dashboard answers cached until the next committed write to what they read.

Every write to a table the dashboards read adds a DashboardChange row in the writer's transaction
(triggers, migration 0008), so ``generation()`` (their number and the latest id, one query) changes
with every commit that could change an answer. A reader takes the generation first and computes
after: its answer is of that generation or newer, never older, so an answer cached under a
generation is never staler than it. After a write commits, every reader takes the new generation
and misses the old answers. Answers are cached per scope: what a user sees depends on the role
and the cities only (common.scope.visibility_q).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, connections, router

from common.choices import RoleChoices
from common.scope import user_city_ids, user_role

from .models import DashboardChange

T = TypeVar("T")

#: An answer outlives its generation by at most this (an unused generation's entries just expire).
TIMEOUT = 3600


def generation() -> str:
    """The count of committed writes to the dashboards' tables and the latest one's id (one query).

    Read where the answer's own reads go (the replica, when the request may read it: common.routers),
    so that the answer is never of an older state than its generation.
    """
    database = connections[router.db_for_read(DashboardChange)]
    table = database.ops.quote_name(DashboardChange._meta.db_table)
    # On PostgreSQL the database's oid too: a database dropped and made again under its name (the bench's
    # --projects) counts its writes from the start, and must not meet the answers of the old one.
    incarnation = "(SELECT oid FROM pg_database WHERE datname = current_database())"
    if database.vendor != "postgresql":
        incarnation = "0"
    with database.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(weight), 0), coalesce(max(id), 0), {incarnation} FROM {table}")
        total, latest, oid = cursor.fetchone()
    return f"{oid}.{total}.{latest}"


def scope_key(user) -> str:
    """What decides which records ``user`` sees: the whole province, or the role and its cities."""
    role = user_role(user)
    city_ids = user_city_ids(user)
    if role == RoleChoices.PROVINCE or (role == RoleChoices.VIEWER and not city_ids):
        return "province"
    return f"{role}:{','.join(str(pk) for pk in sorted(city_ids))}"


def cached(name: str, *, user, parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for this user's scope and ``parts`` (the request's parameters), cached
    until the next committed write to the dashboards' tables."""
    # The database's name too: one cache (Redis) may serve processes of several databases.
    raw = repr((connection.settings_dict["NAME"], name, generation(), scope_key(user), parts))
    key = "dashboard:" + hashlib.sha256(raw.encode()).hexdigest()
    answer = cache.get(key)
    if answer is None:
        answer = compute()
        cache.set(key, answer, TIMEOUT)
    return answer
