# The web pages: dashboard, city and plan pages, sign-in/out.
from django.contrib.auth import views as auth_views
from django.urls import path

from . import inbox, monitoring, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cities/<str:code>/", views.CityView.as_view(), name="city"),
    path("plans/<int:pk>/", views.PlanView.as_view(), name="plan"),
    path("inbox/", inbox.InboxView.as_view(), name="inbox"),
    path("monitoring/", monitoring.RoundListView.as_view(), name="monitoring"),
    path("monitoring/rounds/<int:pk>/", monitoring.RoundView.as_view(), name="monitoring-round"),
    path("monitoring/submissions/<int:pk>/", monitoring.SubmissionView.as_view(), name="monitoring-submission"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
