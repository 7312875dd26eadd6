from rest_framework import serializers

from common.api.serializers import ServiceModelSerializer

from ..models import LayoutScheme, Park, Region, RegionGroup, RegionGroupMembership, Zone, ZoneMembership


class RegionSerializer(ServiceModelSerializer):
    class Meta:
        model = Region
        exclude = ["boundary"]


class RegionGroupMembershipSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="region.code", read_only=True, label="行政区划代码")
    name = serializers.CharField(source="region.name", read_only=True, label="城市")

    class Meta:
        model = RegionGroupMembership
        fields = ["code", "name", "inferred", "note"]


class RegionGroupSerializer(ServiceModelSerializer):
    memberships = RegionGroupMembershipSerializer(many=True, read_only=True, label="成员城市")

    class Meta:
        model = RegionGroup
        exclude = ["cities"]


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
