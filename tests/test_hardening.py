"""Requests that used to hurt the server: history exports, deeply nested JSON (issue 12, findings 8, 12, 14)."""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from common.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests import factories

pytestmark = pytest.mark.django_db
# The regions, users and world of tests/conftest.py, built once for this module.
WORLD_BUILT_ONCE = True

ROOT = Path(__file__).resolve().parent.parent


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# Finding 8: history exports and nested JSON


def test_history_exports_as_csv_and_xlsx(world, province_user):
    client = api_client(province_user)
    url = f"/api/v1/projects/{world['ty_proj'].pk}/history/"
    as_csv = client.get(url, {"format": "csv"})
    assert as_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["操作"] for row in rows] == ["新增"]  # the choice's label; its _display column is left out
    as_xlsx = client.get(url, {"format": "xlsx"})
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    assert {"时间", "操作", "操作人", "修改原因", "修改内容"} <= set(next(sheet.iter_rows(values_only=True)))


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(world, province_user, depth):
    client = api_client(province_user)
    body = '{"name": ' + nested(depth) + "}"
    response = client.patch(f"/api/v1/projects/{world['ty_proj'].pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）。"


def test_json_nested_within_the_limit_reaches_validation(world, province_user):
    client = api_client(province_user)
    body = json.dumps({"name": json.loads(nested(MAX_JSON_DEPTH - 1))})
    response = client.patch(f"/api/v1/projects/{world['ty_proj'].pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_depth_counts_containers_only():
    assert not json_depth_exceeds({"a": [1, {"b": "c"}]}, limit=3)
    assert json_depth_exceeds({"a": [1, {"b": []}]}, limit=3)
    assert not json_depth_exceeds("scalar", limit=0)


# Finding 12: sign-in lockout on every path, expiring and rotating tokens, 401, throttles

SIGN_IN_PATHS = ["/accounts/login/", "/admin/login/", "/api/v1/auth/token/"]


def sign_in(client, path: str, password: str, address: str = "10.0.0.1"):
    return client.post(path, {"username": "province", "password": password}, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 200 if "token" in response.wsgi_request.path else response.status_code == 302


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_repeated_wrong_passwords_lock_the_user_out_on_that_address(client, settings, province_user, path):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not signed_in(sign_in(client, path, "wrong"))
    locked = sign_in(client, path, "pw-province")
    assert locked.status_code == 429
    assert "登录失败次数过多，该账户已在此网络地址暂时锁定，请 15 分钟后再试。" in locked.content.decode()
    # The same user from another address is not locked out (nor is the office behind this address).
    assert signed_in(sign_in(client, path, "pw-province", address="10.0.0.2"))


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_the_lockout_ends_after_the_cool_off(client, settings, province_user, path):

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, path, "wrong")
    assert sign_in(client, path, "pw-province").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert signed_in(sign_in(client, path, "pw-province"))


def test_superusers_see_the_sign_in_records(client, regions):
    client.force_login(factories.make_user("root", None, is_superuser=True))
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200


def obtain_token(client: APIClient, password: str = "pw-province"):
    return client.post("/api/v1/auth/token/", {"username": "province", "password": password}, format="json")


def test_obtaining_a_token_again_rotates_it(province_user, settings):

    client = APIClient()
    first = obtain_token(client).json()
    second = obtain_token(client).json()
    assert first["token"] != second["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert client.get("/api/v1/projects/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {second['token']}")
    assert client.get("/api/v1/projects/").status_code == 200
    expires = datetime.fromisoformat(second["expires"])
    assert abs(expires - (timezone.now() + settings.API_TOKEN_TTL)).total_seconds() < 60


def test_an_expired_token_is_refused_with_401(province_user, settings):
    token = Token.objects.create(user=province_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/projects/").status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - settings.API_TOKEN_TTL)
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "令牌已过期，请重新获取令牌。"


@pytest.mark.parametrize("authorization", [None, "Token 0123456789abcdef0123456789abcdef01234567", "Token"])
def test_a_missing_or_bad_token_answers_401_with_www_authenticate(regions, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.fixture
def low_throttle_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"})
    cache.clear()
    yield
    cache.clear()


def test_the_api_throttles_each_user(world, province_user, taiyuan_user, low_throttle_rates):
    client = api_client(province_user)
    assert [client.get("/api/v1/regions/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert api_client(taiyuan_user).get("/api/v1/regions/").status_code == 200


def test_the_api_throttles_each_anonymous_client(province_user, low_throttle_rates):
    client = APIClient()
    statuses = [obtain_token(client, "wrong").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    other = APIClient(REMOTE_ADDR="10.9.9.9")
    assert obtain_token(other).status_code == 200


# Finding 14: body size from Content-Length, production settings by default, CSP header


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body of an oversized request was read")

    readline = read


@pytest.mark.parametrize(
    ("path", "json_answer"), [("/api/v1/jobs/import/", True), ("/admin/transfers/job/import/", False)]
)
def test_an_oversized_upload_is_refused_from_its_content_length(client, province_user, settings, path, json_answer):
    client.force_login(province_user)
    response = client.generic(
        "POST",
        path,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    message = "上传内容过大：单个文件不能超过 10 MB，请拆分后分批上传。"
    assert (response.json()["detail"] if json_answer else response.content.decode()) == message


def test_an_upload_at_the_limit_goes_through(world, province_user, settings):
    settings.TRANSFER_MAX_UPLOAD_BYTES = 1024
    client = api_client(province_user)
    response = client.post(
        "/api/v1/jobs/import/",
        {"dataset": "projects", "file": SimpleUploadedFile("p.csv", b"x" * 1500), "dry_run": True},
        format="multipart",
    )
    # Over the file limit but within the request's slack: the serializer's message, not a 413.
    assert response.status_code == 400
    assert "文件过大" in response.json()["file"][0]


def run_python(code: str, **environment: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**inherited, **environment}, capture_output=True, text=True
    )


def test_wsgi_and_asgi_default_to_production_and_refuse_to_start_without_a_secret_key():
    for module in ("sxplan_site.wsgi", "sxplan_site.asgi"):
        refused = run_python(f"import {module}", ALLOWED_HOSTS="sxplan.example.cn")
        assert refused.returncode != 0
        assert "Production settings need SECRET_KEY in the environment" in refused.stderr
    started = run_python(
        "import sxplan_site.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)",
        SECRET_KEY="a-long-random-production-secret-key-for-the-check-0123456789abcdef",
        ALLOWED_HOSTS="sxplan.example.cn",
    )
    assert started.stdout.split() == ["sxplan_site.settings.production", "False"], started.stderr


def test_the_development_key_is_refused_in_production():
    refused = run_python(
        "import sxplan_site.wsgi", SECRET_KEY="insecure-dev-key-change-me-but-long-enough-to-pass", ALLOWED_HOSTS="x"
    )
    assert "Production settings need SECRET_KEY" in refused.stderr


def test_pages_and_the_api_carry_the_content_security_policy(client, world, province_user):
    client.force_login(province_user)
    for path in ("/accounts/login/", "/", "/api/v1/projects/", "/admin/"):
        # Directives in any order (django-csp does not fix one); scripts from this site only.
        directives = {part.strip() for part in client.get(path)["Content-Security-Policy"].split(";")}
        assert {"default-src 'self'", "script-src 'self'"} <= directives, path
