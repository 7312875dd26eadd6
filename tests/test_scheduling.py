"""The units scripts/test.sh hands to the xdist processes (tests/scheduling.py)."""

from django.db import connection

from tests.scheduling import SHARED_PACKAGES, shared_packages, unit_of


def test_the_seed_files_are_one_unit_and_other_files_one_each():
    assert (
        unit_of("tests/seeds/test_load_seeds.py::test_second_load_changes_nothing", SHARED_PACKAGES) == "tests/seeds/"
    )
    assert unit_of("tests/seeds/test_program_tree.py::test_x[a::b]", SHARED_PACKAGES) == "tests/seeds/"
    assert unit_of("tests/plans/test_api.py::TestTargets::test_list", SHARED_PACKAGES) == "tests/plans/test_api.py"
    assert (
        unit_of("tests/test_admin.py::test_search_finds_enterprise_by_alias", SHARED_PACKAGES) == "tests/test_admin.py"
    )


def test_on_sqlite_each_seed_file_is_a_unit_of_its_own():
    """SQLite restores a copy of the seeded database per file (tests/seeds/conftest.py): no shared unit."""
    seed_test = "tests/seeds/test_load_seeds.py::test_second_load_changes_nothing"
    if connection.vendor == "sqlite":
        assert shared_packages() == ()
        assert unit_of(seed_test, ()) == "tests/seeds/test_load_seeds.py"
        assert unit_of(seed_test) == "tests/seeds/test_load_seeds.py"
    else:
        assert shared_packages() == SHARED_PACKAGES
        assert unit_of(seed_test) == "tests/seeds/"
