import django_filters
from django.utils import timezone

from common.filters import BaseFilterSet, ChoicesFilter, HasFilter, RelatedFilter, StrictBooleanFilter
from plans.filtersets import TargetFilterSet
from regions.filters import CityFilter, RegionCodeFilter

from .choices import RoundStatusChoices, SubmissionStateChoices
from .models import LockException, Round, RoundTemplate, Submission, SubmissionTransition, SubmissionValue
from .selectors import round_status_q


class RoundTemplateFilterSet(BaseFilterSet):
    search_fields = ("name",)
    ordering = django_filters.OrderingFilter(fields=("name",), label="排序")

    class Meta:
        model = RoundTemplate
        fields = ["kind", "period_type", "plan"]


class RoundFilterSet(BaseFilterSet):
    search_fields = ("name",)

    city = CityFilter(field_name="cities")
    indicator = RelatedFilter(field_name="indicators", label="指标 ID")
    status = ChoicesFilter(choices=RoundStatusChoices.choices, method="filter_status", label="状态（按日期）")
    ordering = django_filters.OrderingFilter(fields=("year", "opens_on", "due_on", "closes_on", "name"), label="排序")

    class Meta:
        model = Round
        fields = ["template", "year", "quarter", "month", "includes_projects"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        today = timezone.localdate()
        condition = round_status_q(today, value[0])
        for status in value[1:]:
            condition |= round_status_q(today, status)
        return queryset.filter(condition)


class SubmissionFilterSet(BaseFilterSet):
    search_fields = ("round__name", "city__name")

    city = CityFilter(field_name="city")
    state = ChoicesFilter(choices=SubmissionStateChoices.choices, label="状态")
    ordering = django_filters.OrderingFilter(
        fields=("submitted_at", "reviewed_at", ("city__code", "city"), ("round__due_on", "due_on")), label="排序"
    )

    class Meta:
        model = Submission
        fields = ["round"]


class SubmissionValueFilterSet(BaseFilterSet):
    search_fields = ("indicator__name", "comment")

    region = RegionCodeFilter(field_name="region")
    city = CityFilter(field_name="submission__city")
    round = RelatedFilter(field_name="submission__round", label="填报任务 ID")
    state = ChoicesFilter(choices=SubmissionStateChoices.choices, field_name="submission__state", label="报送状态")
    needs_comment = StrictBooleanFilter(label="须填写说明")
    filled = HasFilter(field_name="value", label="已填写")
    ordering = django_filters.OrderingFilter(
        fields=(("indicator__name", "indicator"), ("region__code", "region"), "updated"), label="排序"
    )

    class Meta:
        model = SubmissionValue
        fields = ["submission", "indicator"]


class SubmissionTransitionFilterSet(BaseFilterSet):
    search_fields = ("comment",)

    city = CityFilter(field_name="submission__city")
    to_state = ChoicesFilter(choices=SubmissionStateChoices.choices, label="新状态")
    ordering = django_filters.OrderingFilter(fields=("at",), label="排序")

    class Meta:
        model = SubmissionTransition
        fields = ["submission"]


class LockExceptionFilterSet(BaseFilterSet):
    search_fields = ("reason",)

    city = CityFilter(field_name="city")
    ordering = django_filters.OrderingFilter(fields=("until",), label="排序")

    class Meta:
        model = LockException
        fields = ["round"]


class TargetReviewFilterSet(TargetFilterSet):
    """The targets' filters, and ``include_unapproved`` (read by monitoring.api.views.TargetReviewViewSet)."""

    include_unapproved = StrictBooleanFilter(method="keep_all", label="附上尚未审核的数值（仅省级工作人员）")

    def keep_all(self, queryset, name, value):
        return queryset
