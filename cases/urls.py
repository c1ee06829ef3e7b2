from __future__ import annotations

from django.urls import URLPattern, path

from cases import queue_views, views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("cases/report/", views.case_report, name="case-report"),
    path("cases/mine/", views.my_reports, name="my-reports"),
    path("cases/export/", views.case_export, name="case-export"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/photos/<int:attachment_id>/", views.case_photo, name="case-photo"),
    path("cases/<int:pk>/contact/", views.case_contact, name="case-contact"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case-action"),
    path("centre/queue/", queue_views.centre_queue, name="centre-queue"),
    path("unit/queue/", queue_views.unit_queue, name="unit-queue"),
    path("supervisor/counts/", views.supervisor_counts, name="supervisor-counts"),
]
