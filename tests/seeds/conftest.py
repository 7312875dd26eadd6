"""The seeded database for the tests of tests/seeds: the seed load (seconds) runs once per test process.

On SQLite (``make test``) the first module that needs the seeds runs the real loader, and the
seeded in-memory database is copied aside (SQLite's backup API, as tests/migrated_db.py copies
the migrated database); every module of tests/seeds starts from a copy of it and gets the
database back as it found it afterwards, so that no module sees another's writes and each can
run in any process. tests/scheduling.py still hands the package to one process, so that a run
loads the seeds once. On PostgreSQL the package loads the seeds once in a transaction that is
rolled back after its last test (tests/shared.py).
"""

import sqlite3

import pytest
from django.db import connection

from seeds.loader import LoadReport, SeedLoader
from tests.shared import build_committed, built_once, copy_of_database, restore_database, snapshots_available


class SeededSnapshot:
    """This process's seeded database and the report of the load that made it (SQLite only)."""

    copy: sqlite3.Connection | None = None
    report: LoadReport | None = None

    @classmethod
    def take(cls) -> LoadReport:
        if cls.copy is None:
            assert not connection.in_atomic_block, "the seeds are loaded outside any test's transaction"
            before = copy_of_database()
            try:
                report = build_committed(SeedLoader().load)
                cls.copy, cls.report = copy_of_database(), report
            finally:
                restore_database(before)
                before.close()
        return cls.report


@pytest.fixture(scope="package")
def seeded_package(django_db_setup, django_db_blocker):
    """One seed load for the tests of tests/seeds in this process.

    PostgreSQL: loaded here, rolled back after the package's last test. SQLite: loaded and copied
    aside here (the database itself is left as it was); each module restores the copy (``seeded_module``).
    """
    if snapshots_available():
        with django_db_blocker.unblock():
            yield SeededSnapshot.take()
        return
    yield from built_once(django_db_blocker=django_db_blocker, build=SeedLoader().load)


@pytest.fixture(scope="module")
def seeded_module(seeded_package, django_db_blocker) -> LoadReport:
    """The seeded database for this module's tests (SQLite: a restored copy, put back afterwards)."""
    if not snapshots_available():
        yield seeded_package
        return
    with django_db_blocker.unblock():
        before = copy_of_database()
        restore_database(SeededSnapshot.copy)
    try:
        yield seeded_package
    finally:
        with django_db_blocker.unblock():
            restore_database(before)
            before.close()


@pytest.fixture
def seeded(seeded_module, db) -> LoadReport:
    """The seeded database; this test's own writes roll back after it."""
    return seeded_module
