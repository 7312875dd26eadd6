"""Every page renders with the five documents' data, today and at mid-term (no 500 on real data).

On the seed data loaded once for tests/seeds (its conftest.py).
"""

import pytest

from common.choices import RoleChoices
from plans.models import Indicator, Plan
from regions.choices import RegionLevelChoices
from regions.models import Region
from tests import factories
from tests.shared import built_once


def build():
    changzhi = Region.objects.get(code="140400")
    return {
        "province": factories.make_user("sheng-pages", RoleChoices.PROVINCE),
        "changzhi": factories.make_user("changzhi-pages", RoleChoices.CITY, [changzhi]),
    }


@pytest.fixture(scope="module")
def users(seeded_module, django_db_blocker):
    yield from built_once(django_db_blocker=django_db_blocker, build=build)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "as_of"), [("province", ""), ("changzhi", "2023-12-31")])
def test_every_page_renders(client, users, db, role, as_of):
    client.force_login(users[role])
    params = {"as_of": as_of, "all": "1"} if as_of else {"all": "1"}
    urls = ["/", "/indicators/"]
    urls += [
        f"/cities/{code}/"
        for code in Region.objects.filter(level=RegionLevelChoices.CITY).values_list("code", flat=True)
    ]
    urls += [f"/plans/{pk}/" for pk in Plan.objects.values_list("pk", flat=True)]
    urls += [
        f"/indicators/{pk}/"
        for pk in Indicator.objects.filter(targets__isnull=False).distinct().values_list("pk", flat=True)
    ]
    for url in urls:
        assert client.get(url, params).status_code == 200, url


def test_changzhi_has_no_allocation_and_sees_the_provincial_targets(client, users, db):
    client.force_login(users["changzhi"])
    response = client.get("/cities/140400/", {"as_of": "2023-12-31"})
    assert "省级指标尚未分解到本市" in response.content.decode()
    assert response.context["reference_targets"]
