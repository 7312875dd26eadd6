"""``search=`` on projects: one maintained column (name, capacity, county, builders and their short names)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import search_text
from projects.models import KeyProject
from projects.services import (
    enterprise_aliases_set,
    enterprise_update,
    key_project_builders_set,
    key_project_update,
)


def names(client, term: str) -> set[str]:
    body = client.get("/api/v1/projects/", {"search": term, "page_size": 100}).json()
    return {row["name"] for row in body["results"]}


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("特种钢", {"太钢特种钢扩能项目"}),  # the name
        ("太钢", {"太钢特种钢扩能项目"}),  # the lead builder's short name (two characters)
        ("太原钢铁", {"太钢特种钢扩能项目"}),  # the lead builder's name
        ("小店", {"太钢特种钢扩能项目"}),  # the county
        ("20万吨", {"太钢特种钢扩能项目"}),  # the capacity
        ("太重", {"太重轨道交通装备项目"}),
        ("  新材料产业园  ", {"大同新材料产业园项目"}),
        ("没有这个", set()),
    ],
)
def test_search_finds_projects_by_each_of_their_texts(data, api, term, found):
    assert names(api(data.admin), term) == found


def test_search_is_one_condition_on_one_column(data, api):
    with CaptureQueriesContext(connection) as queries:
        api(data.admin).get("/api/v1/projects/", {"search": "太钢"})
    sqls = [q["sql"] for q in queries.captured_queries if "projects_keyproject" in q["sql"]]
    assert sqls and all("projects_enterprisealias" not in sql for sql in sqls)
    assert all(sql.count('"search_text" LIKE') <= 2 for sql in sqls)  # the page's keys and the page itself


def test_the_search_text_follows_every_write_it_reads(data, api):
    client = api(data.admin)
    enterprise_update(instance=data.tisco, user=None, data={"name": "山西太钢不锈钢股份有限公司"})
    assert names(client, "不锈钢") == {"太钢特种钢扩能项目"} and names(client, "太原钢铁") == set()
    enterprise_aliases_set(enterprise=data.tisco, user=None, aliases=["太钢不锈"])
    assert names(client, "太钢不锈") == {"太钢特种钢扩能项目"}
    assert names(client, "太钢") == {"太钢特种钢扩能项目"}  # still in the enterprise's name
    key_project_builders_set(project=data.p_ty3, user=None, enterprises=[data.tzco])
    assert names(client, "太重") == {"太重轨道交通装备项目", "太原谋划项目"}
    key_project_update(instance=data.p_ty3, user=None, data={"name": "太原数字经济项目"})
    assert names(client, "数字经济") == {"太原数字经济项目"}
    assert KeyProject.objects.get(pk=data.p_ty3.pk).search_text.startswith("太原数字经济项目\n")


def test_city_staff_never_find_a_project_through_a_hidden_enterprise(data, api):
    # 太原 staff search field by field: a 大同 enterprise's name finds nothing of theirs.
    assert names(api(data.ty_staff), "大同新材料") == set()
    assert names(api(data.ty_staff), "太钢") == {"太钢特种钢扩能项目"}


@pytest.mark.postgres
def test_two_character_terms_are_found_through_the_bigram_index(data, api, monkeypatch):
    """Two characters have no trigram: the bigram index serves them, and finds exactly what LIKE finds."""
    # The test's few projects share most bigrams: count none as common, whatever the statistics say.
    monkeypatch.setattr(search_text, "COMMON_SHARE", 1.01)
    search_text._common.clear()
    with CaptureQueriesContext(connection) as queries:
        assert names(api(data.admin), "太钢") == {"太钢特种钢扩能项目"}
    assert any("projects_bigrams(" in q["sql"] for q in queries.captured_queries)
    projects = KeyProject.objects.all()
    for term in ("太钢", "钢特", "0万", "项目", "TA", "万吨", "没有", "%_"):
        like = set(projects.filter(search_text__contains=term.lower()).values_list("pk", flat=True))
        assert set(search_text.matching(projects, term).values_list("pk", flat=True)) == like, term
    sql, params = search_text.matching(projects, "太钢").order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # The test's table is small: leave the planner only bitmap scans, so that it shows the index it can use.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "projects_project_search_bigram" in plan


@pytest.mark.postgres
def test_a_bigram_most_projects_hold_is_searched_by_like_alone(data):
    """项目 is in every project's name: its bigram would not narrow the rows, and a scan computing every
    row's bigrams would take seconds at scale, so the statistics of the index send it to the LIKE alone."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_keyproject")
    search_text._common.clear()
    projects = KeyProject.objects.all()
    common, rare = search_text.matching(projects, "项目"), search_text.matching(projects, "没有")  # in no text
    assert "projects_bigrams" not in str(common.query) and "projects_bigrams" in str(rare.query)
    assert set(common) == set(projects.filter(search_text__contains="项目")) and len(common) > 1
    search_text._common.clear()  # the next test reads its own statistics
