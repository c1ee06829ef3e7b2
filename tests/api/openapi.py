"""The OpenAPI document as GET /api/schema/?format=json serves it (same generator, same renderer)."""

from __future__ import annotations

import json
from typing import Any

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


def served_schema(language: str = "en") -> dict[str, Any]:
    with translation.override(language):
        document = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(document))
