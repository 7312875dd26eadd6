# The web pages: dashboard, city and plan pages, sign-in/out.
from django.contrib.auth import views as auth_views
from django.urls import path

from . import evaluations, inbox, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("cities/<str:code>/", views.CityView.as_view(), name="city"),
    path("plans/<int:pk>/", views.PlanView.as_view(), name="plan"),
    path("inbox/", inbox.InboxView.as_view(), name="inbox"),
    path("evaluations/", evaluations.EvaluationListView.as_view(), name="evaluations"),
    path("evaluations/<int:pk>/", evaluations.EvaluationDetailView.as_view(), name="evaluation"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
