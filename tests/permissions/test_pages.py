"""The site's pages never name a record the reader may not see (a 太原 project's 阳泉 builder, 大同's parks …)."""

import pytest
from django.urls import reverse

from common.scope import HIDDEN_RECORD_LABEL

from .conftest import admin_client

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard", lambda w: reverse("dashboard")),
    ("city-taiyuan", lambda w: reverse("city", args=[w.ty.code])),
    ("city-datong", lambda w: reverse("city", args=[w.dt.code])),
    ("city-yangquan", lambda w: reverse("city", args=[w.yq.code])),
    ("plan", lambda w: reverse("plan", args=[w.plan.pk])),
]


@pytest.mark.parametrize(
    "url,role",
    [pytest.param(url, role, id=f"pages-{name}-{role}") for name, url in PAGES for role in ("taiyuan", "ty_viewer")],
)
def test_pages_never_name_a_hidden_record(w, hidden_names_of, url, role):
    user = getattr(w, role)
    response = admin_client(user).get(url(w), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert not {name for name in hidden_names_of[user.pk] if name in text}


def test_the_city_page_shows_a_hidden_builder_as_the_placeholder(w):
    html = admin_client(w.taiyuan).get(reverse("city", args=[w.ty.code])).content.decode()
    row = html.split(f'data-project="{w.ty_proj.pk}"', 1)[1].split("</tr>", 1)[0]
    assert HIDDEN_RECORD_LABEL in row and w.ty_park.short_name in row
    province_html = admin_client(w.province).get(reverse("city", args=[w.ty.code])).content.decode()
    assert w.yq_ent.name in province_html
