"""Schemathesis over every operation of the OpenAPI schema, as a provincial and as a city user.

Each operation gets generated requests (valid ones and, for parameters and bodies, invalid
ones); no answer may be a 5xx or break the schema it documents. The run counts cases and
collects every failure before asserting, so one report lists them all. The number of examples
per operation and mode comes from SXPLAN_SCHEMATHESIS_EXAMPLES (default 8).
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("SXPLAN_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def wsgi_app(db):
    """The site in-process; its requests share the test's transaction (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fuzz(app, user) -> tuple[Counter, list[str]]:
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    cases: Counter = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            where = f"{operation.label} [{mode.value}]"
            try:
                _run(operation.as_strategy(generation_mode=mode), where, headers, cases, failures)
            except Exception as exc:  # the operation's data could not be generated at all
                failures.append(f"{where} generation: {str(exc)[:300]}")
    return cases, failures


def _run(strategy, where: str, headers: dict, cases: Counter, failures: list[str]) -> None:
    @given(case=strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        cases[where] += 1
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # record every failure, then go on
            body = response.content[-300:].decode(errors="replace") if response.status_code >= 500 else ""
            failures.append(f"{where}: {_summary(exc)} {body}")

    run()


def _summary(exc: BaseException) -> str:
    """The checks' own messages (a failed run raises a group of them), without the long request dump."""
    parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return " | ".join(" ".join(str(part).split())[:400] for part in parts)


@pytest.mark.fuzz
@pytest.mark.parametrize("who", ["province_user", "taiyuan_user"])
def test_every_operation_survives_generated_requests(request, world, wsgi_app, who):
    user = request.getfixturevalue(who)
    cases, failures = fuzz(wsgi_app, user)
    operations = len({where.rsplit(" [", 1)[0] for where in cases})
    total = sum(cases.values())
    print(f"\nschemathesis as {user.username}: {total} cases, {operations} operations, {len(failures)} failures")
    assert operations > 50
    assert not failures, "\n".join(sorted(set(failures))[:40])
