from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from common.scope import can_change, scope_queryset
from projects.models import KeyProject

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True


def run(*args):
    out = StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_city_account_with_token_works(client, world):
    lines = run("ty2", "--city", "140100", "--password", "s3cret-pass", "--token")
    user = get_user_model().objects.get(username="ty2")
    assert lines[-1] == Token.objects.get(user=user).key
    assert list(scope_queryset(KeyProject.objects.all(), user)) == [world["ty_proj"]]
    assert can_change(user, world["ty_proj"]) and not can_change(user, world["dt_proj"])
    assert client.login(username="ty2", password="s3cret-pass")
    assert client.get("/admin/projects/keyproject/").status_code == 200


def test_province_and_viewer_accounts(world):
    run("p", "--province")
    run("v", "--viewer")
    users = get_user_model().objects
    assert can_change(users.get(username="p"), world["dt_proj"])
    assert not can_change(users.get(username="v"), world["ty_proj"])
    assert scope_queryset(KeyProject.objects.all(), users.get(username="v")).count() == 2


def test_rerun_updates_role_and_cities(world):
    run("x", "--city", "140100")
    run("x", "--city", "140200", "--city", "140100")
    user = get_user_model().objects.get(username="x")
    assert set(user.staff_profile.cities.values_list("code", flat=True)) == {"140100", "140200"}
    run("x", "--province")
    assert get_user_model().objects.get(username="x").staff_profile.role == "province"


@pytest.mark.parametrize(
    "args,message",
    [
        (["y"], "请指定角色"),
        (["y", "--city", "999999"], "未知的城市代码"),
        (["y", "--city", "140000"], "未知的城市代码"),
        (["y", "--province", "--city", "140100"], "不能同时使用"),
    ],
)
def test_bad_arguments_create_nothing(regions, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not get_user_model().objects.filter(username="y").exists()


def test_rerun_with_the_same_arguments_changes_nothing(regions):
    run("z", "--city", "140100", "--password", "first-pass")
    user = get_user_model().objects.get(username="z")
    entries = user.staff_profile.history.count()

    lines = run("z", "--city", "140100")

    assert lines == ["已更新账号 z：市级工作人员（太原市）"]
    user.refresh_from_db()
    assert user.check_password("first-pass")
    assert user.staff_profile.history.count() == entries


def test_password_changes_only_when_given(regions):
    run("z", "--province", "--password", "first-pass")
    run("z", "--province")
    user = get_user_model().objects.get(username="z")
    assert user.check_password("first-pass")
    run("z", "--province", "--password", "second-pass")
    user.refresh_from_db()
    assert user.check_password("second-pass")


def test_rerun_does_not_reactivate_a_switched_off_account(regions):
    run("z", "--province")
    get_user_model().objects.filter(username="z").update(is_active=False)
    run("z", "--province")
    assert not get_user_model().objects.get(username="z").is_active


def test_if_missing_leaves_an_existing_account_alone(regions):
    run("z", "--city", "140100", "--password", "first-pass")

    lines = run("z", "--province", "--password", "other-pass", "--if-missing")

    assert lines == ["账号 z 已存在，未做修改。"]
    user = get_user_model().objects.get(username="z")
    assert user.check_password("first-pass")
    assert user.staff_profile.role == RoleChoices.CITY
    assert list(user.staff_profile.cities.values_list("code", flat=True)) == ["140100"]


def test_if_missing_creates_a_missing_account(regions):
    run("z", "--viewer", "--password", "first-pass", "--if-missing")
    user = get_user_model().objects.get(username="z")
    assert user.is_staff and user.is_active and user.check_password("first-pass")
    assert user.staff_profile.role == RoleChoices.VIEWER
