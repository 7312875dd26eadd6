"""The admin site: Django's, with the list of every model built only for a page that shows it.

Django's ``each_context`` builds that list (a permission check and two URL lookups per model) for
every admin page, for the navigation sidebar; the site has the sidebar off
(``enable_nav_sidebar``), so a list page built it for nothing. It is built when read: the index,
which shows it, builds its own.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject


class SxplanAdminSite(admin.AdminSite):
    def each_context(self, request):
        request.sxplan_app_list_when_read = True
        try:
            return super().each_context(request)
        finally:
            del request.sxplan_app_list_when_read

    def get_app_list(self, request, app_label=None):
        if getattr(request, "sxplan_app_list_when_read", False):
            return SimpleLazyObject(lambda: admin.AdminSite.get_app_list(self, request, app_label))
        return super().get_app_list(request, app_label)


class SxplanAdminConfig(AdminConfig):
    default_site = "sxplan_site.admin_site.SxplanAdminSite"
