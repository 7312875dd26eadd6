"""`manage.py load_round_templates` (run by `make run`): creates the standing templates once, never against staff."""

import io
from pathlib import Path

from django.core.management import call_command

from common.choices import RoleChoices
from monitoring.models import RoundTemplate
from monitoring.services import round_template_delete, round_template_update
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
ANNUAL, MONTHLY = "年度监测：十四五战新规划全部指标", "月度调度：全部在建重点项目"


def load() -> str:
    out = io.StringIO()
    call_command("load_round_templates", stdout=out)
    return out.getvalue()


def test_make_run_loads_the_templates_after_the_seeds():
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert script.index("manage.py load_seeds --if-empty") < script.index("manage.py load_round_templates")
    assert script.index("manage.py load_round_templates") < script.index("runserver")


def test_templates_are_created_once_and_staff_changes_are_kept(db):
    province = factories.make_user("sheng", RoleChoices.PROVINCE)
    assert "已创建" in load()
    assert sorted(RoundTemplate.objects.values_list("name", flat=True)) == sorted([ANNUAL, MONTHLY])
    assert load().count("已存在，保持不变") == 2

    annual, monthly = RoundTemplate.objects.get(name=ANNUAL), RoundTemplate.objects.get(name=MONTHLY)
    round_template_update(instance=annual, user=province, data={"due_days": 45, "name": "年度监测（省统计局口径）"})
    round_template_delete(instance=monthly, user=province)
    out = load()
    assert f"已由工作人员改名为「年度监测（省统计局口径）」，保持不变：{ANNUAL}" in out
    assert f"已由工作人员删除，不再创建：{MONTHLY}" in out
    assert list(RoundTemplate.objects.values_list("name", "due_days")) == [("年度监测（省统计局口径）", 45)]
