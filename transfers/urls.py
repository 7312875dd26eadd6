from django.urls import path

from . import views

urlpatterns = [
    path("monitoring/submissions/<int:pk>/sheet.xlsx", views.submission_sheet_view, name="monitoring-submission-sheet"),
    path("monitoring/submissions/<int:pk>/import/", views.submission_import_view, name="monitoring-submission-import"),
]
