# The web pages: dashboard, city, plan and indicator pages, sign-in/out.
from django.contrib.auth import views as auth_views
from django.urls import path

from . import evaluations, inbox, monitoring, projects, tour, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cities/<str:code>/", views.CityView.as_view(), name="city"),
    path("maps/cities-<str:digest>.geojson", views.city_boundaries_view, name="city-boundaries"),
    path("plans/<int:pk>/", views.PlanView.as_view(), name="plan"),
    path("projects/<int:pk>/", projects.ProjectView.as_view(), name="project"),
    path("warnings/", projects.WarningBoardView.as_view(), name="warnings"),
    path("warnings/<int:pk>/acknowledge/", projects.WarningAcknowledgeView.as_view(), name="warning-acknowledge"),
    path("inbox/", inbox.InboxView.as_view(), name="inbox"),
    path("tour/dismiss/", tour.TourDismissView.as_view(), name="tour-dismiss"),
    path("evaluations/", evaluations.EvaluationListView.as_view(), name="evaluations"),
    path("evaluations/<int:pk>/", evaluations.EvaluationDetailView.as_view(), name="evaluation"),
    path("evaluations/<int:pk>/download/", evaluations.EvaluationFileView.as_view(), name="evaluation-file"),
    path("indicators/", views.IndicatorListView.as_view(), name="indicator-catalogue"),
    path("indicators/<int:pk>/", views.IndicatorView.as_view(), name="indicator-page"),
    path("monitoring/", monitoring.RoundListView.as_view(), name="monitoring"),
    path("monitoring/rounds/<int:pk>/", monitoring.RoundView.as_view(), name="monitoring-round"),
    path("monitoring/submissions/<int:pk>/", monitoring.SubmissionView.as_view(), name="monitoring-submission"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
