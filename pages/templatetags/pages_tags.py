"""Links between the pages that keep the page's evaluation date (``as_of``)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

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
