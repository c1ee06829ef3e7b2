"""OpenAPI descriptions of the case API's query parameters, read by the list views'
extend_schema: the filters are parsed by hand in get_queryset (each with its own error), so
the schema has to be told about them (a schema-driven client or fuzzer finds no others)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from cases.models import Case

CASE_LIST_PARAMETERS = [
    OpenApiParameter(
        "status", {"type": "array", "items": {"type": "string", "enum": list(Case.Status.values)}},
        style="form", explode=False,
        description=_("States to list, comma-separated (e.g. reported,accepted)."),
    ),
    OpenApiParameter("category", OpenApiTypes.STR, description=_("Category code (e.g. 0301).")),
    OpenApiParameter("cell", OpenApiTypes.STR,
                     description=_("Area or grid cell code: cases whose cell code starts with it.")),
    OpenApiParameter("unit", OpenApiTypes.INT, description=_("Id of the department unit holding the case.")),
    OpenApiParameter("overdue", OpenApiTypes.BOOL,
                     description=_("true (or 1): only open cases past their handling deadline.")),
    OpenApiParameter("reported_after", OpenApiTypes.DATE, description=_("Reported on or after this day.")),
    OpenApiParameter("reported_before", OpenApiTypes.DATE, description=_("Reported on or before this day.")),
]

NOTIFICATION_LIST_PARAMETERS = [
    OpenApiParameter("unread", OpenApiTypes.BOOL, description=_("true (or 1): only notifications not yet read.")),
]
