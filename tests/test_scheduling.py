"""The units scripts/test.sh hands to the xdist processes (tests/scheduling.py)."""

from tests.scheduling import unit_of


def test_the_seed_and_evaluation_files_are_one_unit_each_and_other_files_one_each():
    assert unit_of("tests/seeds/test_load_seeds.py::test_second_load_changes_nothing") == "tests/seeds/"
    assert unit_of("tests/seeds/test_program_tree.py::test_x[a::b]") == "tests/seeds/"
    assert unit_of("tests/evaluations/test_pages.py::test_list") == "tests/evaluations/"
    assert unit_of("tests/plans/test_api.py::TestTargets::test_list") == "tests/plans/test_api.py"
    assert unit_of("tests/test_admin.py::test_search_finds_enterprise_by_alias") == "tests/test_admin.py"
