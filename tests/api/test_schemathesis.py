"""Schemathesis over every operation of the OpenAPI schema, as a provincial user, a city user and anonymous.

Each operation gets generated requests (valid ones and, for parameters and bodies, invalid
ones), checked by every check schemathesis has: no 5xx, every status code, content type, header
and body documented, valid data accepted and invalid data rejected, authentication not ignored. The run counts cases and
collects every failure before asserting, so one report lists them all. The number of examples
per operation and mode comes from SXPLAN_SCHEMATHESIS_EXAMPLES (default 5: the
three users take about 3 minutes with ``-n 2`` on two cores).
"""

import os
import re
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
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from common.choices import RoleChoices
from common.scope import user_city_ids, user_role

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("SXPLAN_SCHEMATHESIS_EXAMPLES", "5"))
load_all_checks()

#: The messages of a reference to a record that does not exist (or that this user may not see:
#: the same message, issue 12). An id is valid by the schema whatever it names; whether it names
#: a record depends on the data, which a generated request cannot know.
MISSING_RECORD = re.compile(r"的记录不存在。|不在可选范围内。")
#: Rights the schema, one for every role, cannot state: provenance is the province's to change
#: (issue 12, finding 10), so a city user's valid-looking quote is refused with this message.
ROLE_ONLY = re.compile(r"^只有省级工作人员可以修改来源信息。$")
#: Operations whose valid requests a generator cannot write at all: the right credentials (the
#: token endpoint answers 400 for wrong ones, as DRF does) and a readable spreadsheet (the schema
#: can say "a file", not "an XLSX with these columns"). An export's ``filters`` are documented
#: per dataset (transfers.api.schema), so they need no exception.
NEEDS_SECRETS_OR_FILES = {
    "POST /api/v1/auth/token/": {"non_field_errors"},
    "POST /api/v1/jobs/import/": {"file"},
}


def positive_data_acceptance_given_the_data(ctx, response, case):
    """Schemathesis' ``positive_data_acceptance``, where its premise holds.

    The premise: a request valid by the schema is accepted. It does not hold for a 400 whose every
    error is about data the schema cannot describe: ids of records that do not exist (each
    message is the missing-record message) and the operations of ``NEEDS_SECRETS_OR_FILES``
    (errors only on the named fields), and a city user's change of provenance (``ROLE_ONLY``); nor for a 412
    to a write whose generated ``If-Match`` names a version the record does not have (the schema documents
    the header, not the record's current ETag). Any other 400 or 412 to a valid request is still a failure.
    """
    if response.status_code == 400 and _only_data_dependent_errors(case.operation.label, response):
        return None
    if response.status_code == 412 and _names_a_version(case):
        return None  # an If-Match the generator made up cannot name the record's current version
    return positive_data_acceptance(ctx, response, case)


def _names_a_version(case) -> bool:
    return any(name.lower() == "if-match" for name in (case.headers or {}))


def _only_data_dependent_errors(label: str, response) -> bool:
    try:
        errors = response.json()
    except ValueError:
        return False
    if not isinstance(errors, dict) or not errors:
        return False
    if set(errors) <= NEEDS_SECRETS_OR_FILES.get(label, set()):
        return True
    return all(
        MISSING_RECORD.search(str(message)) or ROLE_ONLY.search(str(message))
        for messages in errors.values()
        for message in messages
    )


#: The field a clerk of one city may leave out of a new record: it is then their city
#: (common.api.serializers ``_default_city``). The schema, one for every role, marks it required.
CLERKS_DEFAULT = "city"


def negative_data_rejection_but_a_clerks_own_city(ctx, response, case):
    """Schemathesis' ``negative_data_rejection``, except the one leniency the schema cannot state per role:
    a clerk of one city who creates a record without its city (the case's only mutations left required
    properties out, and the city is what is missing) gets it in their city (201)."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    mutations = getattr(data, "mutations", None) or ()
    # The case's mutations, or without them its description (schemathesis' own words for the one it made).
    only_required_left_out = (
        all(tuple(mutation.keywords) == ("required",) for mutation in mutations)
        if mutations
        else str(getattr(data, "description", "") or "").lower().startswith("violates `required`")
    )
    if (
        response.status_code == 201
        and isinstance(case.body, dict)
        and CLERKS_DEFAULT not in case.body
        and only_required_left_out
        and _clerk_of_one_city(response)
    ):
        return None
    return negative_data_rejection(ctx, response, case)


def _clerk_of_one_city(response) -> bool:
    # The credentials are those the request was sent with (``case.call(headers=…)``), not the case's own.
    key = str(response.request.headers.get("Authorization", "")).removeprefix("Token ")
    token = Token.objects.select_related("user").filter(key=key).first() if key else None
    user = token.user if token else None
    return user is not None and user_role(user) == RoleChoices.CITY and len(user_city_ids(user)) == 1


CHECKS = [
    *(check for check in REGISTRY.get_all() if check not in (positive_data_acceptance, negative_data_rejection)),
    positive_data_acceptance_given_the_data,
    negative_data_rejection_but_a_clerks_own_city,
]


@pytest.fixture
def wsgi_app(db):
    """The site in-process; its requests share the test's transaction (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def fuzz(app, user) -> tuple[Counter, list[str]]:
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"} if user else {}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    cases: Counter = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            where = f"{operation.label} [{mode.value}]"
            if mode is GenerationMode.NEGATIVE and not takes_input(operation):
                continue  # nothing to send wrong: no path or query parameter, no body (notices/read-all/)
            try:
                _run(operation.as_strategy(generation_mode=mode), where, headers, cases, failures)
            except Exception as exc:  # the operation's data could not be generated at all
                failures.append(f"{where} generation: {str(exc)[:300]}")
    return cases, failures


def takes_input(operation) -> bool:
    """Whether an operation takes a path or query parameter or a body, so that a request can be invalid at all.

    The credentials (header, cookie) every operation takes do not count: the anonymous run covers them.
    """
    raw = operation.definition.raw
    return bool(raw.get("requestBody")) or any(p.location in ("path", "query") for p in operation.iter_parameters())


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
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # record every failure, then go on
            sent = f"{case.formatted_path} {case.query} {str(case.body)[:200]}"
            body = response.content[-300:].decode(errors="replace")
            failures.append(f"{where}: {_summary(exc)} [{sent} -> {response.status_code} {body}]")

    run()


def _summary(exc: BaseException) -> str:
    """The checks' own messages (a failed run raises a group of them), without the long request dump."""
    parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return " | ".join(" ".join(str(part).split())[:400] for part in parts)


@pytest.mark.parametrize("who", ["province_user", "taiyuan_user", None])
def test_every_operation_survives_generated_requests(request, world, wsgi_app, who):
    user = request.getfixturevalue(who) if who else None
    cases, failures = fuzz(wsgi_app, user)
    operations = len({where.rsplit(" [", 1)[0] for where in cases})
    total = sum(cases.values())
    name = user.username if user else "anonymous"
    print(f"\nschemathesis as {name}: {total} cases, {operations} operations, {len(failures)} failures")
    assert operations > 50
    assert not failures, "\n".join(sorted(set(failures))[:40])
