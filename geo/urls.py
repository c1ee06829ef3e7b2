from __future__ import annotations

from django.urls import URLPattern, path

from geo import views

urlpatterns: list[URLPattern] = [
    path("supervisor/map/", views.supervisor_map, name="supervisor-map"),
]
