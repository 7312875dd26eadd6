"""The "导入" button of an admin changelist whose records an import dataset writes."""

from django import template
from django.urls import reverse

from common.scope import can_add

from ..datasets import DATASETS

register = template.Library()


@register.simple_tag(takes_context=True)
def dataset_import_url(context, opts) -> str:
    """The import page with this list's dataset chosen; "" when none imports it or the user may not add."""
    user = context["request"].user
    for dataset in DATASETS.values():
        if dataset.model._meta.label == opts.label and can_add(user, dataset.model):
            return f"{reverse('admin:transfers_job_import')}?dataset={dataset.name}"
    return ""
