from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet)
router.register("region-groups", views.RegionGroupViewSet)
router.register("layout-schemes", views.LayoutSchemeViewSet)
router.register("zones", views.ZoneViewSet)
router.register("parks", views.ParkViewSet)
