"""The supervisor's map: city → district → street → community → grid, coloured by a chosen
measure, with the open cases of the selection beside it. The page renders the trail, the
places below the selection and the case list itself (all work without JS); the map layer
arrives from api-map-layer."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from access.decorators import role_required
from grids.models import Area
from oversight.map_selectors import CELL, BadAreaCode, map_layer, map_selection, selection_cases
from risk.models import RiskScore

# Labels for the machine keys risk.forecast.top_factors writes; unknown keys show as they are.
FACTOR_LABELS = {
    "cases_7d": gettext_lazy("Cases, last 7 days"),
    "cases_30d": gettext_lazy("Cases, last 30 days"),
    "cases_90d": gettext_lazy("Cases, last 90 days"),
    "top_category": gettext_lazy("Main category"),
    "top_category_share": gettext_lazy("Main category share"),
    "per_1000_households": gettext_lazy("Score per 1,000 households"),
}
MEASURES = {
    "open": gettext_lazy("Open cases"),
    "overdue": gettext_lazy("Overdue cases"),
    "risk": gettext_lazy("Risk level"),
}
LEVEL_PLURALS = {
    Area.Level.CITY: gettext_lazy("Cities"),
    Area.Level.DISTRICT: gettext_lazy("Districts"),
    Area.Level.STREET: gettext_lazy("Streets and towns"),
    Area.Level.COMMUNITY: gettext_lazy("Communities and villages"),
    CELL: gettext_lazy("Grid cells"),
}
CASES_PER_PAGE = 20
# Who may open the map, its page and its layers alike.
MAP_ROLES = ("supervisor", "admin")


def map_query(*, area: str | None, measure: str, cells: bool, **extra: Any) -> str:
    """The page's query string for a selection, keeping the measure and the cells switch."""
    params: dict[str, Any] = {}
    if area:
        params["area"] = area
    if measure != "open":
        params["measure"] = measure
    if cells:
        params["cells"] = "1"
    params.update({k: v for k, v in extra.items() if v})
    return "?" + urlencode(params) if params else "?"


def _labels() -> dict[str, Any]:
    return {
        "measures": {key: str(label) for key, label in MEASURES.items()},
        "open_cases": _("Open cases"),
        "overdue_cases": _("Overdue cases"),
        "risk": _("Risk level"),
        "highest_risk": _("Highest risk level"),
        "no_risk": _("Not scored"),
        "score": _("Score"),
        "factors": _("Factors"),
        "code": _("Code"),
        "cells": _("Grid cells"),
        "cases_here": _("Open cases of this grid cell"),
        "loading": _("Loading the map…"),
        "failed": _("Could not load the map."),
        "none": _("Nothing to show here."),
        "levels": {value: str(label) for value, label in RiskScore.Level.choices},
        "factor_names": {key: str(label) for key, label in FACTOR_LABELS.items()},
    }


@login_required
@require_GET
@role_required(*MAP_ROLES)
def supervisor_map(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "open")
    if measure not in MEASURES:
        measure = "open"
    cells = request.GET.get("cells") == "1"
    try:
        selection = map_selection(user=request.user, code=request.GET.get("area") or None)
    except BadAreaCode:
        return render(request, "oversight/bad_area.html", {}, status=400)
    cells = cells and selection.child_level != CELL
    rows = json.loads(map_layer(user=request.user, selection=selection, risk_model=settings.RISK_DEFAULT_MODEL,
                                geometry=False))
    area_code = selection.place.code if selection.place else None
    for row in rows:
        row["href"] = map_query(area=row["code"], measure=measure, cells=cells)
        row["selected"] = row["code"] == area_code
        # An area's cells at its highest level: "Level I (red) × 3" says more than the level.
        row["at_highest"] = (row.get("risk_counts") or {}).get(row["risk_level"])
    cases = Paginator(selection_cases(user=request.user, selection=selection), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    layer_url = reverse("api-map-layer") + map_query(area=area_code, measure="open", cells=cells)
    return render(request, "oversight/supervisor_map.html", {
        "selection": selection,
        "title": selection.place.name if selection.place else _("My jurisdiction"),
        "trail": [(place, map_query(area=place.code, measure=measure, cells=cells)) for place in selection.trail],
        "root_href": map_query(area=None, measure=measure, cells=cells),
        "several_roots": selection.place is None or len(selection.roots) > 1,
        "rows": rows,
        "rows_are_cells": selection.child_level == CELL,
        "rows_title": LEVEL_PLURALS[selection.child_level],
        "measure": measure,
        "measures": list(MEASURES.items()),
        "cells": cells,
        "may_show_cells": selection.child_level != CELL,
        "page_obj": cases,
        "page_query": map_query(area=area_code, measure=measure, cells=cells),
        "layer_url": layer_url,
        "labels": _labels(),
        "risk_levels": RiskScore.Level.choices,
    })


