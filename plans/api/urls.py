from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("plans", views.PlanViewSet)
router.register("plan-sections", views.PlanSectionViewSet)
router.register("industries", views.IndustryViewSet)
router.register("key-areas", views.KeyAreaViewSet)
router.register("indicators", views.IndicatorViewSet)
router.register("targets", views.TargetViewSet)
router.register("target-steps", views.TargetStepViewSet)
router.register("target-snapshots", views.TargetProgressSnapshotViewSet)
router.register("observations", views.ObservationViewSet)
router.register("programs", views.ProgramViewSet)
router.register("measures", views.MeasureViewSet)
router.register("city-roles", views.CityRoleViewSet)
router.register("dashboard/targets-by-status", views.TargetsByStatusViewSet, basename="dashboard-targets-by-status")
