"""The inbox: notices sent once per recipient and key, mailed after commit, read only by their recipient."""

import pytest
from django.core import mail
from django.db import transaction
from rest_framework.test import APIClient

from common.choices import RoleChoices
from notices.models import Notice
from notices.services import city_staff, notice_mark_read, notice_send, province_staff
from tests import factories
from tests.shared import built_once

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    def build():
        regions = factories.make_regions()
        return {
            "province": factories.make_user("sheng", RoleChoices.PROVINCE, email="sheng@example.cn"),
            "taiyuan": factories.make_user("ty", RoleChoices.CITY, [regions["140100"]], email="ty@example.cn"),
            "taiyuan2": factories.make_user("ty2", RoleChoices.CITY, [regions["140100"]]),
            "datong": factories.make_user("dt", RoleChoices.CITY, [regions["140200"]], email="dt@example.cn"),
            "viewer": factories.make_user("viewer", RoleChoices.VIEWER),
            "taiyuan_city": regions["140100"],
        }

    yield from built_once(django_db_blocker=django_db_blocker, build=build)


DATA = {"kind": "overdue", "title": "2025 年度监测填报已逾期", "body": "请尽快报送。", "link": "/inbox/"}


def test_recipients_by_city_and_role(people):
    assert set(city_staff(city_id=people["taiyuan_city"].pk)) == {people["taiyuan"], people["taiyuan2"]}
    assert list(province_staff()) == [people["province"]]


def test_send_is_idempotent_and_mails_after_commit(people, django_capture_on_commit_callbacks):
    recipients = city_staff(city_id=people["taiyuan_city"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        first = notice_send(recipients=recipients, key="round:1:140100:overdue", data=DATA)
        again = notice_send(recipients=recipients, key="round:1:140100:overdue", data=DATA)
    assert len(first) == 2 and again == []
    assert Notice.objects.filter(key="round:1:140100:overdue").count() == 2
    # Only the recipient with an address gets a mail, once.
    assert [m.to for m in mail.outbox] == [["ty@example.cn"]]
    assert mail.outbox[0].subject == "【sxplan】2025 年度监测填报已逾期"
    assert Notice.objects.get(recipient=people["taiyuan"]).emailed_at is not None


def test_rolled_back_send_mails_nobody(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notice_send(recipients=[people["datong"]], key="k", data=DATA)
                raise RuntimeError
        except RuntimeError:
            pass
    assert mail.outbox == [] and not Notice.objects.exists()


def test_bad_kind_is_refused(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        notice_send(recipients=[people["datong"]], key="k", data={**DATA, "kind": "nonsense"})


def test_mark_read_touches_only_own_notices(people):
    notice_send(recipients=[people["taiyuan"], people["datong"]], key="k", data=DATA, email=False)
    others = list(Notice.objects.filter(recipient=people["datong"]))
    assert notice_mark_read(user=people["taiyuan"], notices=others) == 0
    assert notice_mark_read(user=people["taiyuan"]) == 1
    assert Notice.objects.get(recipient=people["datong"]).read_at is None


class TestApi:
    def client_for(self, user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    def test_each_user_reads_only_their_inbox(self, people):
        notice_send(recipients=[people["taiyuan"], people["datong"]], key="k", data=DATA, email=False)
        theirs = Notice.objects.get(recipient=people["datong"])
        client = self.client_for(people["taiyuan"])
        body = client.get("/api/v1/notices/").json()
        assert [row["title"] for row in body["results"]] == [DATA["title"]]
        assert body["results"][0]["unread"] is True
        assert client.get(f"/api/v1/notices/{theirs.pk}/").status_code == 404
        assert client.post(f"/api/v1/notices/{theirs.pk}/read/").status_code == 404
        assert client.get("/api/v1/notices/unread-count/").json() == {"unread": 1}
        assert client.post("/api/v1/notices/read-all/").json() == {"marked": 1}
        assert client.get("/api/v1/notices/unread-count/").json() == {"unread": 0}
        assert client.get("/api/v1/notices/?unread=true").json()["count"] == 0
        assert Notice.objects.get(pk=theirs.pk).read_at is None

    def test_filters_are_strict_and_anonymous_is_refused(self, people):
        client = self.client_for(people["viewer"])
        assert client.get("/api/v1/notices/?kind=nonsense").status_code == 400
        assert client.get("/api/v1/notices/?colour=red").status_code == 400
        assert APIClient().get("/api/v1/notices/").status_code == 401

    def test_list_is_one_page_of_queries(self, people, django_assert_max_num_queries):
        for n in range(20):
            notice_send(recipients=[people["viewer"]], key=f"k{n}", data=DATA, email=False)
        client = self.client_for(people["viewer"])
        with django_assert_max_num_queries(4):
            assert client.get("/api/v1/notices/").json()["count"] == 20


class TestPages:
    def test_header_badge_and_inbox_page(self, people, client, django_assert_max_num_queries):
        notice_send(recipients=[people["taiyuan"]], key="k", data=DATA, email=False)
        notice_send(recipients=[people["datong"]], key="k2", data={**DATA, "title": "大同的消息"}, email=False)
        client.force_login(people["taiyuan"])
        page = client.get("/inbox/").content.decode()
        assert DATA["title"] in page and "大同的消息" not in page
        assert 'aria-label="1 条未读"' in page
        notice = Notice.objects.get(recipient=people["taiyuan"])
        response = client.post("/inbox/", {"notice": notice.pk, "open": "1"})
        assert response.status_code == 302 and response["Location"] == "/inbox/"
        assert Notice.objects.get(pk=notice.pk).read_at is not None
        assert 'aria-label="1 条未读"' not in client.get("/inbox/").content.decode()

    def test_another_users_notice_cannot_be_marked(self, people, client):
        notice_send(recipients=[people["datong"]], key="k2", data=DATA, email=False)
        client.force_login(people["taiyuan"])
        client.post("/inbox/", {"notice": Notice.objects.get().pk})
        assert Notice.objects.get().read_at is None

    def test_stale_project_reminder_reaches_the_inbox(self, people):
        import datetime

        from projects.reminders import stale_project_reminders_send

        factories.make_project("太原轨道交通项目", people["taiyuan_city"])
        today = datetime.date.today() + datetime.timedelta(days=200)
        assert stale_project_reminders_send(today=today) == 1
        assert stale_project_reminders_send(today=today) == 0
        notices = Notice.objects.filter(kind="stale_projects")
        assert {n.recipient for n in notices} == {people["taiyuan"], people["taiyuan2"]}
        assert notices.first().link == "/cities/140100/"


def test_admin_shows_only_own_notices_read_only(people, client):
    notice_send(recipients=[people["taiyuan"], people["datong"]], key="k", data=DATA, email=False)
    mine = Notice.objects.get(recipient=people["taiyuan"])
    theirs = Notice.objects.get(recipient=people["datong"])
    client.force_login(people["taiyuan"])
    changelist = client.get("/admin/notices/notice/")
    assert changelist.status_code == 200 and list(changelist.context["cl"].queryset) == [mine]
    assert client.get(f"/admin/notices/notice/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/notices/notice/{theirs.pk}/change/").status_code == 302  # not found: back to the list
    assert client.get("/admin/notices/notice/add/").status_code == 403
    client.post("/admin/notices/notice/", {"action": "mark_read", "_selected_action": [mine.pk, theirs.pk]})
    assert Notice.objects.get(pk=mine.pk).read_at is not None
    assert Notice.objects.get(pk=theirs.pk).read_at is None
