from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scope import can_add, can_change, can_view_model


class RolePermission(BasePermission):
    """DRF face of common.scope: read within scope, write where the role allows."""

    def has_permission(self, request, view):
        if not can_view_model(request.user):
            return False
        if request.method in SAFE_METHODS:
            return True
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return False
        if request.method == "POST":
            return can_add(request.user, model)
        return can_change(request.user, model=model)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return can_change(request.user, obj)
