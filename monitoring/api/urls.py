# A SimpleRouter: its registry joins the API's DefaultRouter (sxplan_site.api_urls), which has the root view.
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("round-templates", views.RoundTemplateViewSet)
router.register("rounds", views.RoundViewSet)
router.register("submissions", views.SubmissionViewSet)
router.register("submission-values", views.SubmissionValueViewSet)
router.register("submission-transitions", views.SubmissionTransitionViewSet)
router.register("lock-exceptions", views.LockExceptionViewSet)
