"""Issue 12, finding 11: a name already used by a record the user may not see is refused without naming that record.

Generated for every unique field of every city-scoped model with an API resource: the clash with a
hidden record answers exactly like the clash with a visible one (the same status and message, the
typed value aside), and names neither the hidden record nor its city.
"""

import pytest

from common.scope import is_city_scoped
from tests.test_writers import import_rows
from transfers.datasets import DATASETS

from .conftest import api_client
from .entries import ENTRIES
from .matrix import api_url, api_viewsets, response_text

pytestmark = pytest.mark.django_db


def _cases():
    cases = []
    for model in sorted(api_viewsets(), key=lambda m: m._meta.label):
        entry = ENTRIES[model]
        if not is_city_scoped(model) or entry.create is None or entry.other is None:
            continue
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                cases.append(pytest.param(entry, field.name, id=f"{entry.label}-unique-{field.name}"))
    return cases


@pytest.mark.parametrize("entry,field", _cases())
def test_a_clash_with_a_hidden_record_does_not_name_it(w, entry, field):
    client = api_client(w.taiyuan)
    answers = []
    for record in (getattr(w, entry.other), getattr(w, entry.own)):
        value = getattr(record, field)
        response = client.post(api_url(entry.model), {**entry.create(w), field: value}, format="json")
        answers.append((response.status_code, response_text(response).replace(value, "VALUE")))
    hidden_answer, visible_answer = answers
    assert hidden_answer == visible_answer
    assert hidden_answer[0] == 400 and f'"{field}"' in hidden_answer[1] and "已被使用" in hidden_answer[1]
    assert w.dt.name not in hidden_answer[1] and w.dt.short_name not in hidden_answer[1]


@pytest.mark.parametrize(
    "dataset,hidden,visible",
    [("enterprises", "dt_ent", "ty_ent"), ("projects", "dt_proj", "ty_proj")],
    ids=["transfers.enterprises-import-name", "transfers.projects-import-name"],
)
def test_an_import_clashing_with_a_hidden_record_does_not_name_it(w, dataset, hidden, visible):
    """A row naming a hidden record's name is refused as a clash of names, not "it belongs to another city"."""
    headers = DATASETS[dataset].headers
    messages = []
    for record in (getattr(w, hidden), getattr(w, visible)):
        row = {headers[0]: record.name, headers[1]: "太原市"}
        result = import_rows(w.taiyuan, dataset, [[row.get(h, "") for h in headers]])
        messages.append([str(error).replace(record.name, "NAME") for error in result.errors])
    assert messages[0], "the clash is refused"
    text = "".join(messages[0])
    assert w.dt.name not in text and "城市" not in text.replace("所在城市", "")
