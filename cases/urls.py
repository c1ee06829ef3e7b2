from __future__ import annotations

from django.urls import URLPattern, path

from cases import notification_views, queue_views, views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("cases/report/", views.case_report, name="case-report"),
    path("cases/mine/", views.my_reports, name="my-reports"),
    path("cases/export/", views.case_export, name="case-export"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/photos/<int:attachment_id>/", views.case_photo, name="case-photo"),
    path("cases/<int:pk>/contact/", views.case_contact, name="case-contact"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case-action"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read-all/", notification_views.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/open/", notification_views.notification_open, name="notification-open"),
    path("centre/queue/", queue_views.centre_queue, name="centre-queue"),
    path("unit/queue/", queue_views.unit_queue, name="unit-queue"),
]
