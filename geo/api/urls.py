from __future__ import annotations

from django.urls import URLPattern, path

from geo.api.views import CellsGeoJSONView

urlpatterns: list[URLPattern] = [
    path("cells/", CellsGeoJSONView.as_view(), name="api-cells-geojson"),
]
