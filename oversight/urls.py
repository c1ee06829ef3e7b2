from __future__ import annotations

from django.urls import URLPattern, path

from oversight import dashboard_views, map_views

urlpatterns: list[URLPattern] = [
    path("supervisor/map/", map_views.supervisor_map, name="supervisor-map"),
    path("supervisor/counts/", dashboard_views.supervisor_counts, name="supervisor-counts"),
    path("supervisor/dashboard/", dashboard_views.supervisor_dashboard, name="supervisor-dashboard"),
    path("supervisor/dashboard/export/", dashboard_views.supervisor_dashboard_export,
         name="supervisor-dashboard-export"),
    path("supervisor/overdue/", dashboard_views.supervisor_overdue, name="supervisor-overdue"),
    path("supervisor/overdue/<int:pk>/urge/", dashboard_views.supervisor_overdue_urge,
         name="supervisor-overdue-urge"),
]
