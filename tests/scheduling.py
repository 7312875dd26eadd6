"""How scripts/test.sh spreads the test files over the pytest-xdist processes (``--dist loadfile``).

Each file goes whole to one process, as with xdist's own ``loadfile``, so that its shared test
data is built once; the files of tests/seeds/ go together, so that the seed data they share
(tests/seeds/conftest.py) is loaded by one process only, and so do those of tests/evaluations/ (their
world generates the reports once per process). The heaviest unit is handed out first
(longest-processing-time-first), so that no process is left with a long file at the end while
the other waits: a unit's weight is the time its tests took in earlier runs, per test, kept in
pytest's cache (``.pytest_cache``, key ``sxplan/unit-seconds``); without a cache (a first run), a
rough figure per test for the slowest units below, and the median for the others.
"""

from collections import defaultdict

import pytest

CACHE_KEY = "sxplan/unit-seconds"
# Units whose tests share data built once per process (the seeds; the evaluation world with its generated
# reports, tests/evaluations/conftest.py), run whole by one process so that a run builds it once.
SHARED_PACKAGES = ("tests/seeds/", "tests/evaluations/")
# Seconds per test measured on a busy 2-core machine: only their ratios matter.
FIRST_RUN_TEST_SECONDS = {
    "tests/seeds/": 9.5,
    "tests/evaluations/": 0.9,
    "tests/pages/test_csp_browser.py": 18.5,
    "tests/pages/test_browser.py": 15.0,
    "tests/test_settings.py": 13.0,
    "tests/scope/test_findings.py": 5.0,
    "tests/transfers/test_batch_import.py": 4.5,
    "tests/test_admin.py": 4.0,
    "tests/api/test_schema.py": 2.2,
    "tests/plans/test_api.py": 0.2,
    "tests/projects/test_api.py": 0.3,
    "tests/regions/test_api.py": 0.2,
}
MEDIAN_TEST_SECONDS = 0.6


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return next((package for package in SHARED_PACKAGES if path.startswith(package)), path)


def make_scheduler_class():
    from xdist.scheduler import LoadScopeScheduling

    class HeaviestFirstScheduling(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            saved = config.cache.get(CACHE_KEY, {}) if getattr(config, "cache", None) else {}
            self.per_test = {
                **FIRST_RUN_TEST_SECONDS,
                **{unit: seconds / tests for unit, (seconds, tests) in saved.items() if tests},
            }

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def weight(self, unit: str) -> float:
            return len(self.workqueue[unit]) * self.per_test.get(unit, MEDIAN_TEST_SECONDS)

        def _assign_work_unit(self, node) -> None:
            self.workqueue.move_to_end(max(self.workqueue, key=self.weight), last=False)
            super()._assign_work_unit(node)

    return HeaviestFirstScheduling


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadfile":
        return make_scheduler_class()(config, log)
    return None


class UnitTimes:
    """Adds up each unit's test durations in this run and saves them for the next one."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.tests: dict[str, set[str]] = defaultdict(set)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        unit = unit_of(report.nodeid)
        self.seconds[unit] += report.duration
        self.tests[unit].add(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.seconds:
            return
        saved = session.config.cache.get(CACHE_KEY, {})
        saved.update({unit: [round(seconds, 3), len(self.tests[unit])] for unit, seconds in self.seconds.items()})
        session.config.cache.set(CACHE_KEY, saved)


def pytest_configure(config: pytest.Config) -> None:
    # Recorded by the process that sees every report (the xdist controller, or the only process).
    if not hasattr(config, "workerinput") and getattr(config, "cache", None) is not None:
        config.pluginmanager.register(UnitTimes(), "sxplan-unit-times")
