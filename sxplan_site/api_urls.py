"""The REST API (/api/v1/), its OpenAPI schema (/api/schema/) and interactive docs (/api/docs/)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from common.api.schema_view import CachedSchemaView
from common.api.tokens import ObtainRotatingAuthToken
from evaluations.api.urls import router as evaluations_router
from monitoring.api.urls import router as monitoring_router
from monitoring.api.views import TargetReviewViewSet, TargetsByStatusReviewViewSet
from notices.api.urls import router as notices_router
from plans.api.urls import router as plans_router
from projects.api.urls import router as projects_router
from regions.api.urls import router as regions_router
from transfers.api.urls import router as transfers_router

router = DefaultRouter()
for app_router in (
    regions_router,
    plans_router,
    projects_router,
    monitoring_router,
    evaluations_router,
    transfers_router,
    notices_router,
):
    router.registry.extend(app_router.registry)
# /api/v1/targets/ and the dashboard's targets-by-status with include_unapproved=true mark the values under
# review (monitoring sits above plans).
REVIEW_VIEWSETS = {"targets": TargetReviewViewSet, "dashboard/targets-by-status": TargetsByStatusReviewViewSet}
router.registry[:] = [
    (prefix, REVIEW_VIEWSETS.get(prefix, viewset), basename) for prefix, viewset, basename in router.registry
]

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/auth/token/", ObtainRotatingAuthToken.as_view(), name="api-token"),
    path("api/schema/", CachedSchemaView.as_view(), name="api-schema"),
    # Both docs pages load their scripts from files (the split view serves its start-up script
    # at ?script), as the Content-Security-Policy asks.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api_docs/redoc.html"),
        name="api-redoc",
    ),
]
