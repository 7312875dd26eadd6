"""Test data built once for many tests (Django's ``setUpTestData``, in pytest).

A module- or package-scoped fixture builds its rows inside a transaction that stays open while
its tests run and is rolled back after the last one. Each test still takes the function-scoped
``db`` fixture, whose transaction nests inside as a savepoint, so a test's own writes are rolled
back after it. Tests get a deep copy of the in-memory objects (``fresh_copy``), so a test that
changes an instance does not change it for the next test; a namespace is copied one attribute at
a time, when a test first reads it (most tests read a few of a world's hundred records). Tests
that need ``transactional_db`` (a live server, a real worker) cannot share such data and build
their own.
"""

from collections.abc import Callable, Iterator
from copy import deepcopy
from types import SimpleNamespace
from typing import Any, TypeVar

from django.db import transaction

from projects.services import project_rollup_rebuild

World = TypeVar("World")


def built_once(*, django_db_blocker, build: Callable[[], World]) -> Iterator[World]:
    """Yield ``build()``'s result from an open transaction; roll everything back afterwards.

    Use it as a fixture's body: ``yield from built_once(django_db_blocker=..., build=...)``.
    """
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
