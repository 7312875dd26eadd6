"""Test data built once for many tests (Django's ``setUpTestData``, in pytest).

A module- or package-scoped fixture builds its rows inside a transaction that stays open while
its tests run and is rolled back after the last one. Each test still takes the function-scoped
``db`` fixture, whose transaction nests inside as a savepoint, so a test's own writes are rolled
back after it. Tests get a deep copy of the in-memory objects (``fresh_copy``), so a test that
changes an instance does not change it for the next test; a namespace is copied one attribute at
a time, when a test first reads it (most tests read a few of a world's hundred records). Tests
that need ``transactional_db`` (a live server, a real worker) cannot share such data and build
their own.

A world many modules build alike (``shared_by_modules=True``) is built once per test process on
SQLite: the first module builds and commits it, and the database is copied aside with SQLite's
backup API (milliseconds, as tests/migrated_db.py copies the migrated database); every later
module restores that copy and gets its own deep copy of the world's objects; after its last test
each module puts the database back as it found it. PostgreSQL builds it per module, as above.
"""

import sqlite3
from collections.abc import Callable, Iterator
from copy import deepcopy
from types import SimpleNamespace
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from projects.services import project_rollup_rebuild

World = TypeVar("World")


def built_once(*, django_db_blocker, build: Callable[[], World], shared_by_modules: bool = False) -> Iterator[World]:
    """Yield ``build()``'s result from an open transaction; roll everything back afterwards.

    Use it as a fixture's body: ``yield from built_once(django_db_blocker=..., build=...)``.
    ``shared_by_modules``: ``build`` makes the same world whichever module asks (it reads nothing
    of the module), so that on SQLite it runs once per test process (see above).
    """
    if shared_by_modules and snapshots_available():
        with django_db_blocker.unblock():
            outside_transactions = not connection.in_atomic_block
        if outside_transactions:
            yield from _built_once_per_process(django_db_blocker=django_db_blocker, build=build)
            return
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            world = build()
            # Worlds write projects and mentions directly: count them as the services would have.
            project_rollup_rebuild()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- One build per test process (SQLite) ------------------------------------------------------------

#: By build function: the committed database after the build, and the world it returned.
_PROCESS_WORLDS: dict[str, tuple[sqlite3.Connection, Any]] = {}


def snapshots_available() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def copy_of_database() -> sqlite3.Connection:
    """The test database as it is now (committed rows), in an in-memory database of its own."""
    connection.ensure_connection()
    copy = sqlite3.connect(":memory:")
    connection.connection.backup(copy)
    return copy


def restore_database(copy: sqlite3.Connection) -> None:
    """Make the test database what ``copy`` holds (every table, its rows and sequences)."""
    assert not connection.in_atomic_block, "a copy is restored outside any transaction"
    connection.ensure_connection()
    copy.backup(connection.connection)
    # Content types are cached by id; a test flushed by ``transactional_db`` since the copy was
    # made re-created them under other ids, so the cache may not match the restored rows.
    ContentType.objects.clear_cache()


def build_committed(build: Callable[[], World]) -> World:
    """``build()`` in a transaction that is committed, as ``built_once`` builds in one it rolls back.

    What the build left to run after a commit (``on_commit``) is dropped: a rolled-back build
    never runs it either.
    """
    with transaction.atomic():
        world = build()
        # Worlds write projects and mentions directly: count them as the services would have.
        project_rollup_rebuild()
        connection.run_on_commit = []
    return world


def _built_once_per_process(*, django_db_blocker, build: Callable[[], World]) -> Iterator[World]:
    key = f"{build.__module__}.{build.__qualname__}"
    with django_db_blocker.unblock():
        before = copy_of_database()
        try:
            if key not in _PROCESS_WORLDS:
                world = build_committed(build)
                _PROCESS_WORLDS[key] = (copy_of_database(), world)
            else:
                restore_database(_PROCESS_WORLDS[key][0])
        except BaseException:
            restore_database(before)
            before.close()
            raise
    try:
        # This module's own objects: what a module does to them is not seen by the next one.
        yield deepcopy(_PROCESS_WORLDS[key][1])
    finally:
        with django_db_blocker.unblock():
            restore_database(before)
            before.close()


def fresh_copy(world: World) -> World:
    """A copy for one test: its objects are equal to the shared ones but not the same instances."""
    if type(world) is SimpleNamespace:
        return LazyCopy(world)
    return deepcopy(world)


class LazyCopy(SimpleNamespace):
    """A deep copy of a namespace made attribute by attribute, on first read.

    The copies share one ``deepcopy`` memo, so they are what one ``deepcopy`` of the whole
    namespace gives: a record read through two attributes (``w.ty`` and ``w.ty_proj.city``) is
    one instance, and a test's change to it shows through both.
    """

    def __init__(self, original: SimpleNamespace):
        object.__setattr__(self, "_original", original)
        object.__setattr__(self, "_memo", {})

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not copied yet (nor set by the test).
        original = object.__getattribute__(self, "_original")
        if name.startswith("__") or not hasattr(original, name):
            raise AttributeError(name)
        value = deepcopy(getattr(original, name), object.__getattribute__(self, "_memo"))
        object.__setattr__(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"LazyCopy({object.__getattribute__(self, '_original')!r})"
