"""Map data for the web UI and other city systems (reads in oversight/cells_layer.py and oversight/map_selectors.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from access.decorators import require_role
from oversight.cells_layer import cells_geojson
from oversight.map_selectors import BadAreaCode, map_layer, map_selection
from oversight.map_views import MAP_ROLES

# Per-user data: private caches only, and short, so a new case shows within a minute.
CACHE_SECONDS = 60

# What both layers send (RFC 7946), for the schema: features keyed by cell id or area code.
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "geometry": {"type": "object", "nullable": True},
                "properties": {"type": "object"},
            },
        }},
    },
}


# Gzip: the city layer is ~1.5 MB of GeoJSON and compresses ~5×. Safe from BREACH: the body
# reflects no request input and carries no secret.
@method_decorator(gzip_page, name="dispatch")
class CellsGeoJSONView(APIView):
    """GET /api/geo/cells/: the user's grid cells with open-case counts and risk levels."""

    @extend_schema(
        summary="Grid cells visible to the user, as GeoJSON",
        parameters=[OpenApiParameter("model", str, description="Risk model (default: the shipped default)")],
        responses={(200, "application/geo+json"): FEATURE_COLLECTION},
    )
    def get(self, request: Request) -> HttpResponse:
        model = request.query_params.get("model") or settings.RISK_DEFAULT_MODEL
        body = cells_geojson(user=request.user, risk_model=str(model))
        response = HttpResponse(body, content_type="application/geo+json")
        patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
        return response


@method_decorator(gzip_page, name="dispatch")
class MapLayerView(APIView):
    """GET /api/geo/map/?area=<code>: what the supervisor's map draws for a selection.

    The areas one level below `area` (default: the person's jurisdiction) with open and
    overdue case counts and risk levels aggregated by code prefix, or a community's grid
    cells; `cells=1` asks for every grid cell in the selection instead. Geometry is
    simplified for the zoom that shows the selection."""

    @extend_schema(
        summary="The supervisor map's places for a selection, as GeoJSON",
        parameters=[
            OpenApiParameter("area", str, description="District (6 digits), street (9), community (12) or cell (15)"),
            OpenApiParameter("cells", str, description="1: every grid cell in the selection instead of areas"),
            OpenApiParameter("model", str, description="Risk model (default: the shipped default)"),
        ],
        # 400 and 404 as every operation's (governance/api_schema.py).
        responses={(200, "application/geo+json"): FEATURE_COLLECTION},
    )
    def get(self, request: Request) -> HttpResponse:
        require_role(request.user, *MAP_ROLES)
        try:
            selection = map_selection(user=request.user, code=request.query_params.get("area") or None)
        except BadAreaCode:
            return JsonResponse({"detail": "area must be a code of 6, 9, 12 or 15 digits"}, status=400)
        model = request.query_params.get("model") or settings.RISK_DEFAULT_MODEL
        body = map_layer(user=request.user, selection=selection, risk_model=str(model),
                         cells=request.query_params.get("cells") == "1")
        response = HttpResponse(body, content_type="application/geo+json")
        patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
        return response
