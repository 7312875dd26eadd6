from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from common.api.serializers import LinkedNameField, ServiceModelSerializer, SlugLookupField
from regions.models import Region

from ..models import BaseCity, Enterprise, IndustryBase, KeyProject, ProjectBuilder, ProjectMention, ProjectReport


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


class KeyProjectSerializer(ServiceModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True, label="所在城市（名称）")
    industry_name = serializers.CharField(
        source="industry.name", read_only=True, default=None, allow_null=True, label="产业（名称）"
    )
    enterprise_name = LinkedNameField(source="enterprise.name", label="建设单位（名称）")
    mentions = MentionRefSerializer(many=True, read_only=True, label="其他提及规划（/project-mentions/ 维护）")
    builders = BuilderRefSerializer(many=True, read_only=True, label="合作建设单位（/project-builders/ 维护）")

    class Meta:
        model = KeyProject
        exclude = ["mentioned_in", "co_builders"]


class ProjectReportSerializer(ServiceModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True, label="项目（名称）")
    city = serializers.CharField(source="project.city.code", read_only=True, label="所在城市（代码）")

    class Meta:
        model = ProjectReport
        fields = "__all__"
        read_only_fields = ["reported_by"]


class ProjectGroupSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="分组键：阶段代码、城市代码、分区 ID 或产业 ID；null 表示未归入"
    )
    label = serializers.CharField(help_text="分组名称")
    count = serializers.IntegerField(help_text="项目数")
    investment = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="总投资合计（亿元）")


class ProjectTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="项目数")
    investment = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="总投资合计（亿元）")


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
