from django.contrib import admin
from django.urls import include, path

from .health import healthz

admin.site.site_header = "山西省战略性新兴产业规划管理系统"
admin.site.site_title = "sxplan 管理"
admin.site.index_title = "数据管理"
# Lists and forms get the whole width: the breadcrumbs and the index lead to the other lists.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("sxplan_site.api_urls")),
    path("", include("transfers.urls")),
    path("", include("pages.urls")),
]

# JSON answers under /api/ for paths no view serves and for errors outside DRF.
handler404 = "common.api.exceptions.page_not_found"
handler500 = "common.api.exceptions.server_error"
