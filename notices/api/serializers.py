from rest_framework import serializers

from ..models import Notice


class NoticeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    unread = serializers.SerializerMethodField(help_text="尚未阅读")

    class Meta:
        model = Notice
        fields = ["id", "kind", "kind_display", "title", "body", "link", "created", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, notice) -> bool:
        return notice.read_at is None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="未读消息数")


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="本次标记为已读的消息数")
