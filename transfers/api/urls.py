# A SimpleRouter: its registry joins the API's DefaultRouter (sxplan_site.api_urls), which has the root view.
from rest_framework.routers import SimpleRouter

from .views import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet)
