import django_filters

from common.filters import BaseFilterSet, ChoicesFilter, StrictBooleanFilter, range_filters

from .choices import EvaluationKindChoices, EvaluationStatusChoices
from .models import Evaluation


class EvaluationFilterSet(BaseFilterSet):
    search_fields = ("title", "plan__title", "plan__short_title")

    kind = ChoicesFilter(choices=EvaluationKindChoices.choices, label="评估类型")
    status = ChoicesFilter(choices=EvaluationStatusChoices.choices, label="状态")
    is_public = StrictBooleanFilter(field_name="is_public", label="公开")
    as_of_min, as_of_max = range_filters("as_of", "评估截止日期", django_filters.DateFilter)
    ordering = django_filters.OrderingFilter(fields=("as_of", "created", "generated_at", "title"), label="排序")

    class Meta:
        model = Evaluation
        fields = ["plan"]
