import pytest

from seeds.loader import LoadReport, SeedLoader
from tests.shared import built_once


@pytest.fixture(scope="package")
def seeded_package(django_db_setup, django_db_blocker):
    """One seed load for every test in tests/seeds (a load takes seconds), rolled back after the last."""
    yield from built_once(django_db_blocker=django_db_blocker, build=SeedLoader().load)


@pytest.fixture
def seeded(seeded_package, db) -> LoadReport:
    """The seeded database; this test's own writes roll back after it."""
    return seeded_package
