from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from common.api.serializers import ServiceModelSerializer

from ..models import LayoutScheme, Park, Region, Zone, ZoneMembership


class RegionSerializer(ServiceModelSerializer):
    class Meta:
        model = Region
        exclude = ["boundary"]


class LayoutSchemeSerializer(ServiceModelSerializer):
    class Meta:
        model = LayoutScheme
        fields = "__all__"


class ZoneMembershipSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="region.code", read_only=True, label="行政区划代码")
    name = serializers.CharField(source="region.name", read_only=True, label="城市")

    class Meta:
        model = ZoneMembership
        fields = ["code", "name", "inferred", "note"]


class ZoneSerializer(ServiceModelSerializer):
    plan = serializers.IntegerField(source="scheme.plan_id", read_only=True, label="规划 ID")
    memberships = ZoneMembershipSerializer(many=True, read_only=True, label="成员城市")

    class Meta:
        model = Zone
        exclude = ["cities"]


class ParkSerializer(ServiceModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True, label="所在城市（名称）")

    class Meta:
        model = Park
        fields = "__all__"


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
