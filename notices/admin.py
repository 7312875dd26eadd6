from django.contrib import admin

from common.admin import ChineseAdminMixin
from common.scope import can_view_model

from .models import Notice
from .services import notice_mark_read


@admin.register(Notice)
class NoticeAdmin(ChineseAdminMixin, admin.ModelAdmin):
    """Each user's own inbox, read-only: notices are written by the system, never by hand."""

    list_display = ["title", "kind", "created", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body"]
    readonly_fields = ["kind", "title", "body", "link", "created", "read_at", "emailed_at"]
    exclude = ["recipient", "key"]
    actions = ["mark_read"]

    def get_queryset(self, request):
        return Notice.objects.for_user(request.user)

    def has_module_permission(self, request):
        return can_view_model(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_model(request.user) and (obj is None or obj.recipient_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="标记为已读")
    def mark_read(self, request, queryset):
        marked = notice_mark_read(user=request.user, notices=list(queryset))
        self.message_user(request, f"已将 {marked} 条消息标记为已读。")
