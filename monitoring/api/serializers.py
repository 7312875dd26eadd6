from django.utils import timezone
from rest_framework import serializers

from common.api.serializers import JsonInputSerializer, ServiceModelSerializer
from plans.api.serializers import (
    PlanStatusCountsSerializer,
    RatioField,
    StatusCountsSerializer,
    TargetsByStatusSerializer,
    TargetSerializer,
)
from plans.choices import ProgressStatusChoices

from ..choices import RoundStatusChoices, TimelinessChoices
from ..models import LockException, Round, RoundTemplate, Submission, SubmissionTransition, SubmissionValue
from ..selectors import timeliness


class RoundTemplateSerializer(ServiceModelSerializer):
    class Meta:
        model = RoundTemplate
        fields = "__all__"


class RoundSerializer(ServiceModelSerializer):
    period_label = serializers.CharField(read_only=True, label="时期")
    status = serializers.SerializerMethodField(label="状态（按日期）")
    status_display = serializers.SerializerMethodField(label="状态（名称）")

    class Meta:
        model = Round
        fields = "__all__"
        read_only_fields = ["created_by"]

    def get_status(self, rnd) -> str:
        return rnd.status(timezone.localdate())

    def get_status_display(self, rnd) -> str:
        return RoundStatusChoices(rnd.status(timezone.localdate())).label


class RoundFromTemplateSerializer(JsonInputSerializer):
    template = serializers.PrimaryKeyRelatedField(queryset=RoundTemplate.objects.all(), label="模板 ID")
    year = serializers.IntegerField(min_value=2000, max_value=2100, label="年份")
    quarter = serializers.IntegerField(min_value=0, max_value=4, default=0, label="季度（0 为全年）")
    month = serializers.IntegerField(min_value=0, max_value=12, default=0, label="月份（0 为全年或季度）")


class SubmissionValueSerializer(ServiceModelSerializer):
    indicator_name = serializers.CharField(source="indicator.name", read_only=True, label="指标（名称）")
    unit = serializers.CharField(source="indicator.unit", read_only=True, label="单位")
    region_name = serializers.CharField(source="region.name", read_only=True, label="地区（名称）")

    class Meta:
        model = SubmissionValue
        fields = "__all__"


class SubmissionTransitionSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True, default=None, label="操作人")
    from_state_display = serializers.CharField(source="get_from_state_display", read_only=True)
    to_state_display = serializers.CharField(source="get_to_state_display", read_only=True)
    city = serializers.CharField(source="submission.city.code", read_only=True, label="城市（代码）")

    class Meta:
        model = SubmissionTransition
        fields = [
            "id",
            "submission",
            "city",
            "from_state",
            "from_state_display",
            "to_state",
            "to_state_display",
            "user",
            "at",
            "comment",
        ]


class SubmissionSerializer(ServiceModelSerializer):
    """A submission with its values and its log (read-only: its state moves through the actions)."""

    round_name = serializers.CharField(source="round.name", read_only=True, label="填报任务（名称）")
    city_name = serializers.CharField(source="city.name", read_only=True, label="城市（名称）")
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True, default=None, allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, default=None, allow_null=True)
    timeliness = serializers.SerializerMethodField(label="及时性")
    values = SubmissionValueSerializer(many=True, read_only=True, label="数值")
    transitions = SubmissionTransitionSerializer(many=True, read_only=True, label="流转记录")

    class Meta:
        model = Submission
        fields = "__all__"
        read_only_fields = [
            "round",
            "city",
            "state",
            "version",
            "first_submitted_at",
            "submitted_at",
            "reviewed_at",
        ]

    def get_timeliness(self, submission) -> str:
        return TimelinessChoices(timeliness(submission, timezone.localdate())).label


class TransitionSerializer(JsonInputSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", label="意见（退回时必填）")


class ReopenSerializer(JsonInputSerializer):
    reason = serializers.CharField(allow_blank=True, label="重新打开的理由（必填）")


class LockExceptionSerializer(ServiceModelSerializer):
    class Meta:
        model = LockException
        fields = "__all__"
        read_only_fields = ["granted_by"]


UNDER_REVIEW_HELP = "其中已有尚未审核的新数值的指标数（仅 include_unapproved=true 时给出；状态仍按已审核数据）"


class ReviewStatusCountsSerializer(StatusCountsSerializer):
    under_review = serializers.IntegerField(required=False, help_text=UNDER_REVIEW_HELP)


class ReviewPlanStatusCountsSerializer(PlanStatusCountsSerializer):
    under_review = serializers.IntegerField(required=False, help_text=UNDER_REVIEW_HELP)


class WithReviewCountsSerializer(serializers.Serializer):
    total = StatusCountsSerializer(help_text="全部：尚未审核的数值若审核通过时的各状态指标数")
    results = PlanStatusCountsSerializer(many=True, help_text="按规划：尚未审核的数值若审核通过时的各状态指标数")


REVIEW_ONLY = "（仅 include_unapproved=true 时给出；无尚未审核的数值时为空）"


class TargetReviewSerializer(TargetSerializer):
    """The target row of ``targets/?include_unapproved=true`` (only documents the schema; the view adds the fields)."""

    under_review = serializers.BooleanField(
        required=False, help_text="所在地区是否已有尚未审核的新数值（仅 include_unapproved=true 时给出）"
    )
    review_value = serializers.DecimalField(
        max_digits=20, decimal_places=4, required=False, allow_null=True, help_text="尚未审核的数值" + REVIEW_ONLY
    )
    review_period = serializers.CharField(required=False, allow_null=True, help_text="该数值的时期" + REVIEW_ONLY)
    review_round = serializers.CharField(required=False, allow_null=True, help_text="该数值所属填报任务" + REVIEW_ONLY)
    review_submission = serializers.IntegerField(
        required=False, allow_null=True, help_text="该数值所属填报 ID" + REVIEW_ONLY
    )
    review_progress = RatioField(
        required=False,
        allow_null=True,
        help_text="若该数值审核通过时的完成进度（基期 0，目标 1；与正式进度同一算法，仅供参考）" + REVIEW_ONLY,
    )
    review_status = serializers.ChoiceField(
        choices=ProgressStatusChoices.choices,
        required=False,
        allow_null=True,
        help_text="若该数值审核通过时的进度状态（仅供参考；正式状态见 status）" + REVIEW_ONLY,
    )
    review_status_display = serializers.CharField(
        required=False, allow_null=True, help_text="若该数值审核通过时的进度状态（名称）" + REVIEW_ONLY
    )


class TargetsByStatusReviewSerializer(TargetsByStatusSerializer):
    total = ReviewStatusCountsSerializer(help_text="全部（与指标列表同样筛选）")
    results = ReviewPlanStatusCountsSerializer(many=True, help_text="按规划")
    include_unapproved = serializers.BooleanField(help_text="是否附上尚未审核的数值（仅省级工作人员）")
    under_review_targets = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="已有尚未审核的新数值的指标 ID（与 targets/?include_unapproved=true 中 under_review 为 true 的相同）",
    )
    with_review = WithReviewCountsSerializer(
        required=False,
        help_text="含尚未审核数据的各状态指标数（仅 include_unapproved=true 时给出，仅供参考）："
        "已有尚未审核的新数值的指标按该数值审核通过时的状态计（与 targets/ 中 review_status 相同），"
        "其余指标按正式状态计；total、results 不变",
    )
