# A SimpleRouter: its registry joins the API's DefaultRouter (sxplan_site.api_urls), which has the root view.
from rest_framework.routers import SimpleRouter

from .views import NoticeViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet)
