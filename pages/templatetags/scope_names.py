"""``{{ project.enterprise|name_for:request.user }}``: a linked record's name, or the placeholder for a hidden one."""

from django import template

from common.scope import shown_name

register = template.Library()


@register.filter
def name_for(record, user):
    """The record's name; HIDDEN_RECORD_LABEL if ``user`` may not see it (a link kept from another city)."""
    return shown_name(user, record)


@register.filter
def short_name_for(record, user):
    """The record's short name (else its name); HIDDEN_RECORD_LABEL if ``user`` may not see it."""
    name = shown_name(user, record, "short_name")
    return name or shown_name(user, record)
