from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from common.choices import RoleChoices
from common.models import StaffProfile
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

        user = get_user_model().objects.filter(username=username).first()
        created = user is None
        if not created and if_missing:
            self.stdout.write(f"账号 {username} 已存在，未做修改。")
            return
        if created:
            user = get_user_model()(username=username, is_active=True)
            user.set_unusable_password()
        # The account gets staff status (the admin needs it); it is not re-activated: a re-run
        # must not undo an administrator switching an account off.
        changed = created or not user.is_staff or bool(password)
        user.is_staff = True
        if password:
            user.set_password(password)
        if changed:
            user.save()
        profile = StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
        if profile.pk is None or profile.role != role:
            profile.role = role
            profile.save()
        if set(profile.cities.values_list("pk", flat=True)) != {c.pk for c in cities}:
            profile.cities.set(cities)

        where = "、".join(c.name for c in cities) or "全省"
        verb = "已创建" if created else "已更新"
        self.stdout.write(f"{verb}账号 {username}：{RoleChoices(role).label}（{where}）")
        if token:
            key = Token.objects.get_or_create(user=user)[0].key
            self.stdout.write(key)
