"""The world of the permission matrix, built once per module, and the count of generated tests per model."""

from collections import Counter

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.shared import built_once, fresh_copy

from .matrix import hidden_names
from .world import build_world


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build_world, shared_by_modules=True)


@pytest.fixture
def w(matrix_world, db):
    return fresh_copy(matrix_world)


@pytest.fixture(scope="module")
def hidden_names_of(matrix_world, django_db_blocker) -> dict[int, set[str]]:
    """By user id, the names of the world's records 太原 staff and 太原's viewer may not see.

    Found once per module: every test starts from the world (its own writes roll back).
    """
    with django_db_blocker.unblock():
        return {user.pk: hidden_names(user) for user in (matrix_world.taiyuan, matrix_world.ty_viewer)}


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def admin_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print how many permission tests were generated for each model (ids start with the model's label)."""
    counts = Counter()
    for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed"):
        if "tests/permissions/" in report.nodeid and "[" in report.nodeid and report.when == "call":
            counts[report.nodeid.split("[", 1)[1].split("-", 1)[0]] += 1
    if counts:
        terminalreporter.section("permission matrix: generated tests per model")
        for label, count in sorted(counts.items()):
            terminalreporter.write_line(f"{label:32} {count:4}")
        terminalreporter.write_line(f"{'total':32} {sum(counts.values()):4}")
