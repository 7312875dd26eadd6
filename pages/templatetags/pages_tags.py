"""Links between the pages that keep the page's evaluation date (``as_of``)."""

import re
from urllib.parse import urlencode

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse

from common.choices import RoleChoices
from common.scope import user_role

register = template.Library()


def page_link(url: str, as_of: str = "", **params) -> str:
    """``url`` with the query ``params`` (empty ones left out, True as 1) and ``as_of`` when one is chosen."""
    query = {name: 1 if value is True else value for name, value in params.items() if value not in (None, "", False)}
    if as_of:
        query["as_of"] = as_of
    return url + ("?" + urlencode(query) if query else "")


@register.simple_tag(takes_context=True)
def page_url(context, name: str, *args, **params) -> str:
    """``{% page_url 'city' code all=1 %}``: the page's URL, keeping the date the page is evaluated at."""
    nav = context.get("nav") or {}
    return page_link(reverse(name, args=args), nav.get("as_of", ""), **params)


@register.simple_tag
def role_label(user) -> str:
    """The user's role as the header shows it, on pages without the navigation (403, 404)."""
    role = user_role(user)
    return RoleChoices(role).label if role else "未分配角色"


@register.filter
def plan_status(plan, date) -> str:
    """``{{ plan|plan_status:as_of.date }}``: the plan's status on the page's date (Plan.status_on)."""
    return plan.status_on(date).label


HALF_WIDTH_NUMBERING = re.compile(r"\(([一二三四五六七八九十百零〇\d]+)\)")


@register.filter
def numbering(text: str) -> str:
    """Section numbers in one style: the documents mix "(一)" and "（一）"; the pages show full-width."""
    return HALF_WIDTH_NUMBERING.sub(r"（\1）", text or "")


def _number(value, row) -> str:
    # Every number of one target row with the same decimals (target_rows sets ``digits``): "9.1" beside "12.0".
    return floatformat(value, f"{row.get('digits', 0)}g")


@register.simple_tag
def figure(value, row) -> str:
    """A value of a target row with the row's decimals and its unit after it ("9.1%"), or "—"."""
    if value is None:
        return "—"
    return _number(value, row) + (row["target"].unit or "")


@register.simple_tag
def goal(row) -> str:
    """A target row's goal: comparator, value (or range) and unit ("≥12.0%", "15–20亿元")."""
    target = row["target"]
    text = row["comparator"] + _number(target.target_value, row)
    if target.target_value_max is not None:
        text += "–" + _number(target.target_value_max, row)
    return text + (target.unit or "")
