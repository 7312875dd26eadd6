from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from common.models import StaffProfile
from regions.choices import RegionLevelChoices
from regions.models import Region


class Command(BaseCommand):
    help = "创建或更新工作人员账号：--province 省级，--city CODE 市级（可多次），--viewer 只读。"

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

    @transaction.atomic
    def handle(self, username, *, province, viewer, city, password, token, **options):
        if province and city:
            raise CommandError("--province 与 --city 不能同时使用。")
        if not (province or viewer or city):
            raise CommandError("请指定角色：--province、--city CODE 或 --viewer。")
        cities = list(Region.objects.filter(code__in=city, level=RegionLevelChoices.CITY))
        unknown = sorted(set(city) - {c.code for c in cities})
        if unknown:
            raise CommandError(f"未知的城市代码：{', '.join(unknown)}（须为设区市的 6 位行政区划代码）。")
        role = RoleChoices.PROVINCE if province else RoleChoices.VIEWER if viewer else RoleChoices.CITY

        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_active = True
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        profile, _ = StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
        profile.cities.set(cities)

        where = "、".join(c.name for c in cities) or "全省"
        verb = "已创建" if created else "已更新"
        self.stdout.write(f"{verb}账号 {username}：{RoleChoices(role).label}（{where}）")
        if token:
            key = Token.objects.get_or_create(user=user)[0].key
            self.stdout.write(key)
