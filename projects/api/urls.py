from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("enterprises", views.EnterpriseViewSet)
router.register("bases", views.IndustryBaseViewSet)
router.register("projects", views.KeyProjectViewSet)
router.register("project-reports", views.ProjectReportViewSet)
router.register("project-mentions", views.ProjectMentionViewSet)
router.register("project-builders", views.ProjectBuilderViewSet)
router.register("project-year-plans", views.ProjectYearPlanViewSet)
router.register("milestones", views.MilestoneViewSet)
router.register("warnings", views.ProjectWarningViewSet)
router.register("batches", views.BatchViewSet)
router.register("batch-projects", views.BatchProjectViewSet)
router.register("geo/cities", views.CityGeoViewSet, basename="geo-city")
router.register("geo/zones", views.ZoneGeoViewSet, basename="geo-zone")
for name, viewset in [
    ("projects-by-stage", views.ProjectsByStageViewSet),
    ("projects-by-city", views.ProjectsByCityViewSet),
    ("projects-by-zone", views.ProjectsByZoneViewSet),
    ("projects-by-industry", views.ProjectsByIndustryViewSet),
    ("bases-by-zone-industry", views.BasesByZoneIndustryViewSet),
]:
    router.register(f"dashboard/{name}", viewset, basename=f"dashboard-{name}")
