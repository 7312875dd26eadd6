"""Admin building blocks that apply the city-scope rule of common.scope to every admin page."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .choices import RoleChoices
from .models import StaffProfile, defer_heavy_fields
from .scope import (
    can_add,
    can_change,
    can_use_region,
    can_view_model,
    is_city_scoped,
    scope_queryset,
    user_role,
)

PROVENANCE_FIELDS = ("source_file", "source_quote")
PROVENANCE_FIELDSET = ("来源", {"fields": PROVENANCE_FIELDS, "classes": ("collapse",)})


class ScopedPermissionsMixin:
    """Permissions and querysets from common.scope, shared by model admins and inlines."""

    def get_queryset(self, request):
        queryset = scope_queryset(super().get_queryset(request), request.user)
        joined = getattr(self, "list_select_related", None)  # inlines have none
        joined = joined if isinstance(joined, list | tuple) else None
        return defer_heavy_fields(queryset, joined)

    def has_module_permission(self, request):
        return can_view_model(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_model(request.user)

    def has_add_permission(self, request, *args):
        return can_add(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        return can_change(request.user, obj, model=self.model)

    def has_delete_permission(self, request, obj=None):
        return can_change(request.user, obj, model=self.model)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A related model may limit what a user may put in a city-scoped record (regions:
        # ``assignable_by``), and limits what a user may see (``for_user``).
        related = db_field.related_model
        if hasattr(related.objects, "assignable_by") and is_city_scoped(self.model):
            kwargs["queryset"] = related.objects.assignable_by(request.user)
        elif hasattr(related.objects, "for_user"):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related.objects, "for_user"):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class VersionedModelForm(forms.ModelForm):
    """Refuses to overwrite a record that someone else saved after this form was opened."""

    edit_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and getattr(self.instance, "updated", None):
            self.fields["edit_version"].initial = self.instance.updated.isoformat()

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("edit_version")
        if self.instance.pk and opened:
            # Lock the row (PostgreSQL) so no other save slips in between this check and ours.
            current = (
                type(self.instance)
                ._default_manager.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("updated", flat=True)
                .first()
            )
            if current is not None and current.isoformat() != opened:
                raise ValidationError(
                    "保存失败：打开此页面后，该记录已被他人修改（%(when)s）。请刷新页面，核对最新内容后再保存。",
                    params={"when": timezone.localtime(current).strftime("%Y-%m-%d %H:%M:%S")},
                    code="edit_conflict",
                )
        return cleaned


class ScopedModelAdmin(ScopedPermissionsMixin, SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False
    form = VersionedModelForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and hasattr(obj, "updated") and self.has_change_permission(request, obj):
            fieldsets.append((None, {"fields": ["edit_version"], "classes": ["hidden"]}))
        return fieldsets

    def refuse_out_of_scope(self, request, object_id):
        """Another city's record answers 403 (it exists, not for you), a missing one 404."""
        if object_id is None:
            return
        pk = unquote(object_id)
        if self.get_object(request, pk) is None:
            if self.model._default_manager.filter(pk=pk).exists():
                raise PermissionDenied("该记录不属于您所在的城市。")
            raise Http404("记录不存在。")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting is a change: the record must be in scope now, and the form checks the old values.
        self.refuse_out_of_scope(request, object_id)
        if request.method == "POST" and not self.has_change_permission(
            request, self.get_object(request, unquote(object_id))
        ):
            raise PermissionDenied("您没有恢复此记录的权限。")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        fields += [name for name in PROVENANCE_FIELDS if hasattr(self.model, name) and name not in fields]
        if user_role(request.user) != RoleChoices.PROVINCE:
            fields += [f for f in getattr(self.model, "city_scope_fields_province_only", ()) if f not in fields]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not is_city_scoped(self.model):
            return form
        user = request.user
        region_fields = [
            f.name
            for f in self.model._meta.get_fields()
            if f.many_to_one and hasattr(f.related_model.objects, "assignable_by")
        ]

        class ScopedForm(form):
            def clean(self):
                cleaned = super().clean()
                for name in region_fields:
                    region = cleaned.get(name)
                    if region is not None and not can_use_region(user, region):
                        self.add_error(name, "只能选择本人所属城市（及其所辖县区）。")
                return cleaned

        return ScopedForm


class ScopedTabularInline(ScopedPermissionsMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


class ScopedStackedInline(ScopedPermissionsMixin, admin.StackedInline):
    extra = 0
    show_change_link = True


class StaffProfileForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["role", "cities"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == RoleChoices.CITY and not cleaned.get("cities"):
            self.add_error("cities", "市级工作人员须至少指定一个城市。")
        return cleaned


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
    can_delete = False
    filter_horizontal = ["cities"]
    verbose_name_plural = "角色与城市"


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    form = StaffProfileForm
    list_display = ["user", "role", "city_list"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["cities"]
    autocomplete_fields = ["user"]
    fields = ["user", "role", "cities"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("cities")

    @admin.display(description="城市")
    def city_list(self, obj):
        return "、".join(city.name for city in obj.cities.all())

    def _is_province(self, request):
        return user_role(request.user) == RoleChoices.PROVINCE

    def has_module_permission(self, request):
        return self._is_province(request)

    def has_view_permission(self, request, obj=None):
        return self._is_province(request)

    def has_add_permission(self, request):
        return self._is_province(request)

    def has_change_permission(self, request, obj=None):
        return self._is_province(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_province(request)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_select_related = ["staff_profile"]
    list_display = ["username", "first_name", "is_active", "is_staff", "role"]

    @admin.display(description="角色")
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else ("超级用户" if obj.is_superuser else "—")
