from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from common.services import staff_account_create, staff_account_update, staff_profile_set
from regions.choices import RegionLevelChoices
from regions.models import Region


class Command(BaseCommand):
    help = (
        "创建或更新工作人员账号：--province 省级，--city CODE 市级（可多次），--viewer 只读。"
        "已有账号只改所给的角色和城市；密码只在给出 --password 时设置；--if-missing 时已有账号不做任何修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        role = parser.add_mutually_exclusive_group()
        role.add_argument("--province", action="store_true", help="省级工作人员：可查看和修改全部数据。")
        role.add_argument("--viewer", action="store_true", help="只读用户：可查看，不可修改。")
        parser.add_argument(
            "--city", action="append", default=[], metavar="CODE", help="所属城市的行政区划代码，可重复。"
        )
        parser.add_argument("--password", help="登录密码；不填则账号不能用密码登录。")
        parser.add_argument("--token", action="store_true", help="生成 API 令牌并在最后一行输出。")
        parser.add_argument("--if-missing", action="store_true", help="账号已存在时不做任何修改（make run 用）。")

    @transaction.atomic
    def handle(self, username, *, province, viewer, city, password, token, if_missing, **options):
        if province and city:
            raise CommandError("--province 与 --city 不能同时使用。")
        if not (province or viewer or city):
            raise CommandError("请指定角色：--province、--city CODE 或 --viewer。")
        cities = list(Region.objects.filter(code__in=city, level=RegionLevelChoices.CITY))
        unknown = sorted(set(city) - {c.code for c in cities})
        if unknown:
            raise CommandError(f"未知的城市代码：{', '.join(unknown)}（须为设区市的 6 位行政区划代码）。")
        role = RoleChoices.PROVINCE if province else RoleChoices.VIEWER if viewer else RoleChoices.CITY

        account = get_user_model().objects.filter(username=username).first()
        created = account is None
        if not created and if_missing:
            self.stdout.write(f"账号 {username} 已存在，未做修改。")
            return
        try:
            if created:
                account = staff_account_create(user=None, username=username, password=password)
            else:
                staff_account_update(user=None, account=account, password=password)
            staff_profile_set(user=None, account=account, role=role, cities=cities)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc

        where = "、".join(c.name for c in cities) or "全省"
        verb = "已创建" if created else "已更新"
        self.stdout.write(f"{verb}账号 {username}：{RoleChoices(role).label}（{where}）")
        if token:
            key = Token.objects.get_or_create(user=account)[0].key
            self.stdout.write(key)
