"""The product's urls plus the comparison routes under /bench/ (served only with bench.settings)."""

from django.urls import include, path

from . import peers

urlpatterns = [
    path("bench/limit/projects/", peers.project_list_limit),
    path("bench/limit/dashboard/<str:name>/", peers.dashboard_limit),
    path("bench/limit/geo/<str:name>/", peers.geo_limit),
    path("bench/limit/targets-with-history/", peers.targets_with_history_limit),
    path("bench/naive/projects/", peers.NaiveProjectViewSet.as_view({"get": "list"})),
    path("", include("sxplan_site.urls")),
]
