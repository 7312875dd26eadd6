import django_filters

from common.filters import BaseFilterSet, ChoicesFilter, StrictBooleanFilter

from .choices import NoticeKindChoices
from .models import Notice


class NoticeFilterSet(BaseFilterSet):
    search_fields = ("title", "body")

    kind = ChoicesFilter(choices=NoticeKindChoices.choices, label="类型")
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label="仅未读")
    ordering = django_filters.OrderingFilter(fields=("created",), label="排序")

    class Meta:
        model = Notice
        fields = []
