from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from common.api.serializers import JsonInputSerializer, LinkedNameField, ServiceModelSerializer, SlugLookupField
from regions.models import Region

from ..models import (
    BaseCity,
    Batch,
    BatchProject,
    Enterprise,
    IndustryBase,
    KeyProject,
    Milestone,
    ProjectBuilder,
    ProjectMention,
    ProjectReport,
    ProjectWarning,
    ProjectYearPlan,
)
from ..selectors import PROGRESS_SOURCES, project_progress


class EnterpriseSerializer(ServiceModelSerializer):
    aliases = serializers.SlugRelatedField(slug_field="alias", many=True, read_only=True, label="简称")
    city_name = serializers.CharField(
        source="city.name", read_only=True, default=None, allow_null=True, label="所在城市（名称）"
    )

    class Meta:
        model = Enterprise
        fields = "__all__"


class BaseCitySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="region.code", read_only=True, label="行政区划代码")
    name = serializers.CharField(source="region.name", read_only=True, label="城市/县")

    class Meta:
        model = BaseCity
        fields = ["code", "name", "inferred", "note"]


class IndustryBaseSerializer(ServiceModelSerializer):
    industry_name = serializers.CharField(
        source="industry.name", read_only=True, default=None, allow_null=True, label="产业（名称）"
    )
    # Written as a list of codes (new links are quoted, not inferred); read with their flags in city_links.
    cities = SlugLookupField(
        slug_field="code", many=True, required=False, queryset=Region.objects.all(), label="城市/县（代码）"
    )
    city_links = BaseCitySerializer(many=True, read_only=True, label="城市/县（含推断标记）")

    class Meta:
        model = IndustryBase
        fields = "__all__"


class ProjectMentionSerializer(ServiceModelSerializer):
    plan_code = serializers.CharField(source="plan.code", read_only=True, label="规划编号")

    class Meta:
        model = ProjectMention
        fields = "__all__"


class ProjectBuilderSerializer(ServiceModelSerializer):
    enterprise_name = LinkedNameField(source="enterprise.name", label="建设单位（名称）")

    class Meta:
        model = ProjectBuilder
        fields = "__all__"


class MentionRefSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="plan.code", read_only=True, label="规划编号")

    class Meta:
        model = ProjectMention
        fields = ["id", "plan", "code", "source_file", "source_quote"]


class BuilderRefSerializer(serializers.ModelSerializer):
    name = LinkedNameField(source="enterprise.name", label="建设单位（名称）")

    class Meta:
        model = ProjectBuilder
        fields = ["id", "enterprise", "name", "role", "order"]


class InvestmentProgressSerializer(serializers.Serializer):
    year_planned = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="本年度计划投资（亿元）；null 为未填报"
    )
    year_completed = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="本年度已完成投资（亿元，已知金额之和）"
    )
    year_unknown_reports = serializers.IntegerField(help_text="本年度未填金额的月报数")
    year_rate = serializers.FloatField(allow_null=True, help_text="年度投资完成率（%）；任一金额未知时为 null")
    total_completed = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="累计完成投资（亿元，已知金额之和）"
    )
    total_unknown_reports = serializers.IntegerField(help_text="未填金额的月报数")
    total_rate = serializers.FloatField(allow_null=True, help_text="总投资完成率（%）；任一金额未知时为 null")


INVESTMENT_PROGRESS = InvestmentProgressSerializer()
#: Its fields, read from the dict project_progress gives as Serializer.to_representation reads a mapping
#: (every key is there, so no default applies): DRF's walk per record was a quarter of a long page's time.
INVESTMENT_PROGRESS_FIELDS = [
    (name, field.source, field.to_representation) for name, field in INVESTMENT_PROGRESS.fields.items()
]


class KeyProjectSerializer(ServiceModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True, label="所在城市（名称）")
    industry_name = serializers.CharField(
        source="industry.name", read_only=True, default=None, allow_null=True, label="产业（名称）"
    )
    enterprise_name = LinkedNameField(source="enterprise.name", label="建设单位（名称）")
    mentions = MentionRefSerializer(many=True, read_only=True, label="其他提及规划（/project-mentions/ 维护）")
    builders = BuilderRefSerializer(many=True, read_only=True, label="合作建设单位（/project-builders/ 维护）")
    investment_progress = serializers.SerializerMethodField(label="投资进度（本年度与累计；未知为 null）")
    open_warnings = serializers.IntegerField(read_only=True, label="未解除预警数")
    red_warnings = serializers.IntegerField(read_only=True, label="未解除红色预警数")

    #: What each method field reads of a project (projects.api.rows reads these values for it).
    row_method_sources = {
        "investment_progress": PROGRESS_SOURCES,
    }

    class Meta:
        model = KeyProject
        exclude = ["mentioned_in", "co_builders", "search_text"]

    def get_investment_progress(self, project) -> InvestmentProgressSerializer:
        # One serializer for every record: building one per record (and its fields) dominated long exports.
        progress = project_progress(project)
        return {
            name: None if (value := progress[source]) is None else represent(value)
            for name, source, represent in INVESTMENT_PROGRESS_FIELDS
        }


class ProjectReportSerializer(ServiceModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")
    city = serializers.CharField(source="project.city.code", read_only=True, label="所在城市（代码）")

    class Meta:
        model = ProjectReport
        fields = "__all__"
        read_only_fields = ["reported_by"]


class ProjectYearPlanSerializer(ServiceModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")

    class Meta:
        model = ProjectYearPlan
        fields = "__all__"


class MilestoneSerializer(ServiceModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")
    city = serializers.CharField(source="project.city.code", read_only=True, label="所在城市（代码）")
    label = serializers.CharField(read_only=True, label="里程碑（显示名）")
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=255, label="修改原因（调整计划日期时必填）"
    )

    class Meta:
        model = Milestone
        fields = "__all__"
        read_only_fields = ["baseline_on"]


class BatchSerializer(ServiceModelSerializer):
    counts = serializers.SerializerMethodField(label="各类别项目数（本人可见范围内）")

    class Meta:
        model = Batch
        exclude = ["projects"]

    def get_counts(self, batch) -> dict[str, int]:
        counts = {kind: 0 for kind in ("sign", "start", "production")}
        for entry in batch.visible_entries:
            counts[entry.kind] += 1
        return counts


class BatchProjectSerializer(ServiceModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")
    city = serializers.CharField(source="project.city.code", read_only=True, label="所在城市（代码）")

    class Meta:
        model = BatchProject
        fields = "__all__"


class ProjectWarningSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")
    city = serializers.CharField(source="project.city.code", read_only=True, label="所在城市（代码）")
    city_name = serializers.CharField(source="project.city.name", read_only=True, label="所在城市（名称）")
    rule_display = serializers.CharField(source="get_rule_display", read_only=True, label="预警规则（名称）")
    level_display = serializers.CharField(source="get_level_display", read_only=True, label="预警等级（名称）")
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, label="确认人"
    )

    class Meta:
        model = ProjectWarning
        fields = "__all__"
        read_only_fields = [f.name for f in ProjectWarning._meta.concrete_fields]


class WarningAcknowledgeSerializer(JsonInputSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, label="确认意见")


class WarningResolveSerializer(JsonInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, label="解除原因")


class ProjectGroupSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="分组键：阶段代码、城市代码、分区 ID 或产业 ID；null 表示未归入"
    )
    label = serializers.CharField(help_text="分组名称")
    count = serializers.IntegerField(help_text="项目数")
    investment = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="已知总投资合计（亿元）；均未填报时为 null"
    )
    investment_unknown = serializers.IntegerField(help_text="总投资未知（未填报）的项目数，不计入合计")


class ProjectTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="项目数")
    investment = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="已知总投资合计（亿元）；均未填报时为 null"
    )
    investment_unknown = serializers.IntegerField(help_text="总投资未知（未填报）的项目数，不计入合计")


@extend_schema_serializer(many=False)
class ProjectBreakdownSerializer(serializers.Serializer):
    total = ProjectTotalSerializer(help_text="合计（等于同样筛选的项目列表）")
    results = ProjectGroupSerializer(many=True)


class BaseCountSerializer(serializers.Serializer):
    zone = serializers.IntegerField(allow_null=True, help_text="布局分区 ID")
    zone_name = serializers.CharField()
    industry = serializers.IntegerField(allow_null=True, help_text="产业 ID")
    industry_name = serializers.CharField()
    count = serializers.IntegerField(help_text="基地数")


@extend_schema_serializer(many=False)
class BaseCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="基地总数（等于同样筛选的基地列表）")
    results = BaseCountSerializer(many=True)


# GeoJSON (RFC 7946). These serializers document and format the FeatureCollections.


class ZoneRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    inferred = serializers.BooleanField(help_text="成员关系由通道走向推断，原文未直接列出。")


class CityPropertiesSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="行政区划代码")
    name = serializers.CharField()
    center = serializers.ListField(child=serializers.FloatField(), allow_null=True, help_text="[经度, 纬度]")
    zones = ZoneRefSerializer(many=True, help_text="所属布局分区")
    project_count = serializers.IntegerField(help_text="重点项目数（本人可见范围内）")
    project_investment = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="重点项目总投资（亿元）")
    park_count = serializers.IntegerField(help_text="开发区/园区数")
    enterprise_count = serializers.IntegerField(help_text="企业数")
    base_count = serializers.IntegerField(help_text="产业基地数")


class ZonePropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    scheme = serializers.IntegerField(help_text="空间布局 ID")
    plan = serializers.IntegerField(help_text="规划 ID")
    corridor = serializers.CharField()
    cities = serializers.ListField(child=serializers.CharField(), help_text="成员城市代码")
    industries = serializers.ListField(child=serializers.IntegerField(), help_text="重点产业 ID")
    project_count = serializers.IntegerField(help_text="成员城市的重点项目数")
    project_investment = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="成员城市的重点项目总投资（亿元）"
    )


class GeometryField(serializers.JSONField):
    """A GeoJSON geometry (Polygon or MultiPolygon), or null where no boundary is loaded."""


def feature_collection_serializer(name: str, properties: type[serializers.Serializer]):
    feature = type(
        f"{name}FeatureSerializer",
        (serializers.Serializer,),
        {
            "type": serializers.CharField(default="Feature"),
            "id": serializers.CharField(),
            "geometry": GeometryField(allow_null=True),
            "properties": properties(),
        },
    )
    collection = type(
        f"{name}FeatureCollectionSerializer",
        (serializers.Serializer,),
        {"type": serializers.CharField(default="FeatureCollection"), "features": feature(many=True)},
    )
    return extend_schema_serializer(many=False)(collection)


CityFeatureCollectionSerializer = feature_collection_serializer("City", CityPropertiesSerializer)
ZoneFeatureCollectionSerializer = feature_collection_serializer("Zone", ZonePropertiesSerializer)
