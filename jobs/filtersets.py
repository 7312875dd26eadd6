import django_filters

from common.filters import BaseFilterSet, ChoicesFilter

from .choices import DatasetChoices, JobKindChoices, JobStatusChoices
from .models import Job


class JobFilterSet(BaseFilterSet):
    search_fields = ("file_name", "message")

    kind = ChoicesFilter(choices=JobKindChoices.choices, label="类型")
    dataset = ChoicesFilter(choices=DatasetChoices.choices, label="数据类别")
    status = ChoicesFilter(choices=JobStatusChoices.choices, label="状态")
    ordering = django_filters.OrderingFilter(fields=("created", "finished"), label="排序")

    class Meta:
        model = Job
        fields = []
