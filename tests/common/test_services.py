"""common.services: the staff-account services, and the admin pages that write through them."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from common.choices import RoleChoices
from common.models import StaffProfile
from common.services import staff_account_create, staff_account_update, staff_profile_set
from tests import factories

# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


@pytest.fixture
def superuser(regions):
    return factories.make_user("root", None, is_superuser=True)


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def profile_writes(monkeypatch) -> list:
    """The actors of every ``staff_profile_set`` call the admin makes (the admin's own save would leave none)."""
    import common.admin

    calls = []

    def spy(**kwargs):
        calls.append(kwargs["user"])
        return staff_profile_set(**kwargs)

    monkeypatch.setattr(common.admin, "staff_profile_set", spy)
    return calls


def test_a_new_staff_account_is_active_staff_and_signs_in_only_with_a_password(province_user):
    without = staff_account_create(user=province_user, username="no-pass")
    with_password = staff_account_create(user=province_user, username="with-pass", password="s3cret-pass")
    assert (without.is_active, without.is_staff, without.has_usable_password()) == (True, True, False)
    assert with_password.check_password("s3cret-pass")


def test_a_staff_account_name_is_validated(province_user):
    staff_account_create(user=province_user, username="taken")
    with pytest.raises(ValidationError) as error:
        staff_account_create(user=province_user, username="taken")
    assert "username" in error.value.message_dict
    with pytest.raises(ValidationError):
        staff_account_create(user=province_user, username="has space")


def test_updating_an_account_sets_staff_status_and_the_password_only_when_given(province_user):
    account = get_user_model().objects.create_user(username="plain", password="first-pass", is_active=False)
    staff_account_update(user=province_user, account=account, password=None)
    account.refresh_from_db()
    assert (account.is_staff, account.is_active, account.check_password("first-pass")) == (True, False, True)
    staff_account_update(user=province_user, account=account, password="second-pass")
    account.refresh_from_db()
    assert account.check_password("second-pass")


@pytest.mark.parametrize("actor", ["taiyuan_user", "viewer_user"])
def test_only_provincial_staff_manage_accounts(request, regions, actor):
    user = request.getfixturevalue(actor)
    account = get_user_model().objects.create_user(username="someone")
    with pytest.raises(PermissionDenied):
        staff_account_create(user=user, username="new")
    with pytest.raises(PermissionDenied):
        staff_account_update(user=user, account=account, password="x-pass-123")
    with pytest.raises(PermissionDenied):
        staff_profile_set(user=user, account=account, role=RoleChoices.PROVINCE, cities=[])
    assert not StaffProfile.objects.filter(user=account).exists()
    assert not get_user_model().objects.filter(username="new").exists()


def test_a_profile_is_set_with_its_history_naming_the_actor(province_user, regions):
    account = staff_account_create(user=None, username="clerk")
    profile = staff_profile_set(
        user=province_user, account=account, role=RoleChoices.CITY, cities=[regions["140100"]], reason="入职"
    )
    assert list(profile.cities.values_list("code", flat=True)) == ["140100"]
    entry = profile.history.get()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == ("+", province_user, "入职")

    staff_profile_set(user=province_user, account=account, role=RoleChoices.CITY, cities=[regions["140100"]])
    assert profile.history.count() == 1  # nothing changed, nothing written

    staff_profile_set(user=None, account=account, role=RoleChoices.CITY, cities=[regions["140200"]])
    assert list(profile.cities.values_list("code", flat=True)) == ["140200"]
    staff_profile_set(user=province_user, account=account, role=RoleChoices.VIEWER, cities=[])
    profile.refresh_from_db()
    assert profile.role == RoleChoices.VIEWER
    assert [(h.history_type, h.history_user) for h in profile.history.order_by("history_id")] == [
        ("+", province_user),
        ("~", province_user),
    ]


@pytest.mark.parametrize(
    ("role", "codes", "message"),
    [
        (RoleChoices.CITY, [], "市级工作人员须至少指定一个城市。"),
        (RoleChoices.CITY, ["140105"], "所属城市须为设区市。"),
        (RoleChoices.VIEWER, ["140000"], "所属城市须为设区市。"),
    ],
)
def test_a_profile_needs_cities_of_the_city_level(province_user, regions, role, codes, message):
    account = staff_account_create(user=None, username="clerk")
    with pytest.raises(ValidationError) as error:
        staff_profile_set(user=province_user, account=account, role=role, cities=[regions[c] for c in codes])
    assert error.value.message_dict == {"cities": [message]}
    assert not StaffProfile.objects.filter(user=account).exists()


# The admin pages write through the services ------------------------------------------------------


def test_the_staff_profile_admin_saves_through_the_service(province_user, regions, profile_writes):
    account = staff_account_create(user=None, username="clerk")
    client = admin_client(province_user)
    url = reverse("admin:common_staffprofile_add")
    response = client.post(url, {"user": account.pk, "role": RoleChoices.CITY})
    assert response.status_code == 200
    assert "市级工作人员须至少指定一个城市。" in response.content.decode()

    response = client.post(url, {"user": account.pk, "role": RoleChoices.CITY, "cities": [regions["140100"].pk]})
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=account)
    assert list(profile.cities.all()) == [regions["140100"]]

    change = reverse("admin:common_staffprofile_change", args=[profile.pk])
    response = client.post(change, {"role": RoleChoices.PROVINCE, "cities": []})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.role, profile.user, profile.cities.count()) == (RoleChoices.PROVINCE, account, 0)
    assert [h.history_user for h in profile.history.order_by("history_id")] == [province_user, province_user]
    assert profile_writes == [province_user, province_user]


def test_the_user_admin_inline_saves_the_profile_through_the_service(superuser, regions, profile_writes):
    account = staff_account_create(user=None, username="clerk")
    client = admin_client(superuser)
    url = reverse("admin:auth_user_change", args=[account.pk])
    data = {
        "username": "clerk",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "staff_profile-TOTAL_FORMS": "1",
        "staff_profile-INITIAL_FORMS": "0",
        "staff_profile-MIN_NUM_FORMS": "0",
        "staff_profile-MAX_NUM_FORMS": "1",
        "staff_profile-0-user": account.pk,
        "staff_profile-0-role": RoleChoices.CITY,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "市级工作人员须至少指定一个城市。" in response.content.decode()
    assert not StaffProfile.objects.filter(user=account).exists()

    response = client.post(url, data | {"staff_profile-0-cities": [regions["140200"].pk]})
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=account)
    assert (profile.role, list(profile.cities.all())) == (RoleChoices.CITY, [regions["140200"]])
    assert profile.history.get().history_user == superuser
    assert profile_writes == [superuser]
