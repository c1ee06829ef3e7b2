"""Map data for the web UI and other city systems (reads in geo/selectors.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from geo.selectors import cells_geojson

# Per-user data: private caches only, and short, so a new case shows within a minute.
CACHE_SECONDS = 60


# Gzip: the city layer is ~1.5 MB of GeoJSON and compresses ~5×. Safe from BREACH: the body
# reflects no request input and carries no secret.
@method_decorator(gzip_page, name="dispatch")
class CellsGeoJSONView(APIView):
    """GET /api/geo/cells/: the user's grid cells with open-case counts and risk levels."""

    @extend_schema(
        summary="Grid cells visible to the user, as GeoJSON",
        parameters=[OpenApiParameter("model", str, description="Risk model (default: the shipped default)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponse:
        model = request.query_params.get("model") or settings.RISK_DEFAULT_MODEL
        body = cells_geojson(user=request.user, risk_model=str(model))
        response = HttpResponse(body, content_type="application/geo+json")
        patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
        return response
