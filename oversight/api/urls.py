from __future__ import annotations

from django.urls import URLPattern, path

from oversight.api.views import CellsGeoJSONView, MapLayerView

urlpatterns: list[URLPattern] = [
    path("cells/", CellsGeoJSONView.as_view(), name="api-cells-geojson"),
    path("map/", MapLayerView.as_view(), name="api-map-layer"),
]
