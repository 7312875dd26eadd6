from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from common.api.serializers import ServiceModelSerializer

from ..choices import ProgressGradeChoices, ProgressStatusChoices, QualifierChoices
from ..models import (
    CityRole,
    Indicator,
    Industry,
    KeyArea,
    Measure,
    Observation,
    Plan,
    PlanSection,
    Program,
    Target,
    TargetProgressSnapshot,
    TargetStep,
)


class PlanSectionSerializer(ServiceModelSerializer):
    class Meta:
        model = PlanSection
        fields = "__all__"


class NestedPlanSectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanSection
        fields = ["id", "parent", "key", "number", "title", "order", "page"]


class PlanSerializer(ServiceModelSerializer):
    sections = NestedPlanSectionSerializer(many=True, read_only=True, label="章节（目录）")

    class Meta:
        model = Plan
        fields = "__all__"


class IndustrySerializer(ServiceModelSerializer):
    class Meta:
        model = Industry
        fields = "__all__"


class IndustryTreeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_national = serializers.BooleanField()
    children = serializers.ListField(child=serializers.DictField(), help_text="下级产业（结构同本节点）")


class KeyAreaSerializer(ServiceModelSerializer):
    class Meta:
        model = KeyArea
        fields = "__all__"


class RatioField(serializers.FloatField):
    """A computed share or ratio, to six decimal places (an exported spreadsheet keeps them all)."""

    def to_representation(self, value) -> float:
        return round(float(value), 6)


class IndicatorSerializer(ServiceModelSerializer):
    class Meta:
        model = Indicator
        fields = "__all__"


class TargetStepSerializer(ServiceModelSerializer):
    class Meta:
        model = TargetStep
        fields = "__all__"


class TargetSerializer(ServiceModelSerializer):
    """A target with its progress as of ``as_of`` (computed in plans.progress; read-only) and its allocations.

    Allocations (指标分解) are targets whose ``parent`` is this one (filter ``parent``); yearly steps are
    written at ``/api/v1/target-steps/``.
    """

    unit = serializers.CharField(source="indicator.unit", read_only=True, label="单位（取自指标）")
    as_of = serializers.DateField(source="progress_as_of", read_only=True, allow_null=True, label="评估日期")
    status = serializers.ChoiceField(
        source="progress_status", choices=ProgressStatusChoices.choices, read_only=True, label="进度状态"
    )
    status_display = serializers.SerializerMethodField(label="进度状态（名称）")
    grade = serializers.ChoiceField(choices=ProgressGradeChoices.choices, read_only=True, label="进展等级（Open SDG）")
    progress = RatioField(read_only=True, allow_null=True, label="完成进度（基期 0，目标 1）")
    expected_progress = RatioField(read_only=True, allow_null=True, label="序时进度（0–1）")
    sdg_ratio = RatioField(read_only=True, allow_null=True, label="进展比率（实际年均增速 ÷ 所需年均增速）")
    stale = serializers.BooleanField(read_only=True, label="最新监测值已陈旧")
    latest_value = serializers.DecimalField(
        max_digits=20, decimal_places=4, read_only=True, allow_null=True, label="最新监测值"
    )
    latest_year = serializers.IntegerField(read_only=True, allow_null=True, label="最新监测年份")
    latest_quarter = serializers.IntegerField(read_only=True, allow_null=True, label="最新监测季度（0 为全年）")
    latest_month = serializers.IntegerField(read_only=True, allow_null=True, label="最新监测月份（0 为全年或季度）")
    latest_qualifier = serializers.ChoiceField(
        choices=QualifierChoices.choices, read_only=True, allow_null=True, label="最新监测值限定词"
    )
    latest_source = serializers.CharField(read_only=True, allow_null=True, label="最新监测值来源")
    latest_source_plan = serializers.IntegerField(read_only=True, allow_null=True, label="最新监测值来源规划 ID")
    allocation_count = serializers.IntegerField(read_only=True, label="分解目标数")
    allocated_total = serializers.DecimalField(
        max_digits=20, decimal_places=4, read_only=True, allow_null=True, label="分解合计（可加总指标）"
    )
    allocation_gap = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        label="差额（目标值 − 分解合计；正数为未覆盖）",
    )

    class Meta:
        model = Target
        fields = "__all__"
        # Without its own wording a target is named as its indicator (plans.services.target_create).
        extra_kwargs = {"name": {"required": False}}

    def get_status_display(self, target) -> str:
        return ProgressStatusChoices(target.progress_status).label


class TargetObservationSerializer(serializers.ModelSerializer):
    scope = serializers.SlugRelatedField(slug_field="code", read_only=True, label="范围（区划代码）")

    class Meta:
        model = Observation
        fields = ["id", "year", "quarter", "month", "value", "qualifier", "status", "scope", "source", "source_plan"]
        read_only_fields = fields


@extend_schema_field(TargetObservationSerializer(many=True))
class ObservationHistoryField(serializers.Field):
    """The rows of ``selectors.attach_observation_history``, already in their JSON form."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return value


class TargetWithObservationsSerializer(TargetSerializer):
    """A target with its progress and every observation of it the user may see (for progress charts)."""

    observations = ObservationHistoryField(source="observation_history", label="监测值（按年份、季度、范围排列）")


class ObservationSerializer(ServiceModelSerializer):
    class Meta:
        model = Observation
        fields = "__all__"
        read_only_fields = ["reported_by"]


class ProgramSerializer(ServiceModelSerializer):
    class Meta:
        model = Program
        fields = "__all__"


class MeasureSerializer(ServiceModelSerializer):
    class Meta:
        model = Measure
        fields = "__all__"


class CityRoleSerializer(ServiceModelSerializer):
    class Meta:
        model = CityRole
        fields = "__all__"


class StatusCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="指标总数")
    achieved = serializers.IntegerField(help_text="已完成")
    missed = serializers.IntegerField(help_text="未完成")
    overdue_no_data = serializers.IntegerField(help_text="逾期无数据")
    ahead = serializers.IntegerField(help_text="提前完成")
    faster = serializers.IntegerField(help_text="快于预期")
    on_track = serializers.IntegerField(help_text="符合序时进度")
    behind = serializers.IntegerField(help_text="滞后")
    far_behind = serializers.IntegerField(help_text="严重滞后")
    no_data = serializers.IntegerField(help_text="暂无数据")


class PlanStatusCountsSerializer(StatusCountsSerializer):
    plan = serializers.IntegerField(help_text="规划 ID")
    plan_title = serializers.CharField(help_text="规划标题")


@extend_schema_serializer(many=False)
class TargetsByStatusSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="评估日期")
    total = StatusCountsSerializer(help_text="全部（与指标列表同样筛选）")
    results = PlanStatusCountsSerializer(many=True, help_text="按规划")


class TargetProgressSnapshotSerializer(serializers.ModelSerializer):
    """A target's progress as it stood at the end of a year (taken on 2 January; read-only)."""

    plan = serializers.IntegerField(source="target.plan_id", read_only=True, label="规划 ID")
    target_key = serializers.CharField(source="target.key", read_only=True, label="指标编号")
    target_name = serializers.CharField(source="target.name", read_only=True, label="目标表述")
    scope = serializers.CharField(source="target.scope.code", read_only=True, label="范围（行政区划代码）")
    unit = serializers.CharField(source="target.indicator.unit", read_only=True, label="单位")
    status_display = serializers.CharField(source="get_status_display", read_only=True, label="进度状态（名称）")
    progress = RatioField(read_only=True, allow_null=True, label="完成进度（基期 0，目标 1）")
    expected_progress = RatioField(read_only=True, allow_null=True, label="应达进度（0–1）")

    class Meta:
        model = TargetProgressSnapshot
        fields = [
            "id", "target", "target_key", "target_name", "plan", "scope", "unit", "year", "latest_value",
            "latest_year", "latest_quarter", "progress", "expected_progress", "status", "status_display",
            "created", "updated",
        ]  # fmt: skip
        read_only_fields = fields
