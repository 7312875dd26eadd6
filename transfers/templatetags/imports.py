"""Where an import starts: the "导入" button of an admin changelist and the links of the site's lists."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from common.scope import can_add

from ..datasets import DATASETS

register = template.Library()


def _import_url(user, dataset) -> str:
    if not can_add(user, dataset.model):
        return ""
    return f"{reverse('admin:transfers_job_import')}?dataset={dataset.name}"


@register.simple_tag(takes_context=True)
def dataset_import_url(context, opts) -> str:
    """The import page with this changelist's dataset chosen; "" when none imports it or the user may not add."""
    user = context["request"].user
    dataset = next((d for d in DATASETS.values() if d.model._meta.label == opts.label), None)
    return _import_url(user, dataset) if dataset is not None else ""


@register.simple_tag(takes_context=True)
def import_link(context, dataset_name: str, text: str = "批量导入"):
    """A link to the import of a dataset (its template, preview, apply), for users who may add such records."""
    url = _import_url(context["request"].user, DATASETS[dataset_name])
    return format_html('<a class="import-link" href="{}">{}</a>', url, text) if url else ""
