"""The supervisor's map: the page is a shell; the cells arrive from api-cells-geojson."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases.permissions import roles_of
from cases.views import page
from geo.models import RiskScore

# Labels for the machine keys geo.risk.top_factors writes; unknown keys show as they are.
FACTOR_LABELS = {
    "cases_7d": gettext_lazy("Cases, last 7 days"),
    "cases_30d": gettext_lazy("Cases, last 30 days"),
    "cases_90d": gettext_lazy("Cases, last 90 days"),
    "top_category": gettext_lazy("Main category"),
    "top_category_share": gettext_lazy("Main category share"),
    "per_1000_households": gettext_lazy("Score per 1,000 households"),
}


@login_required
@require_GET
def supervisor_map(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if not (roles.is_supervisor or roles.is_admin):
        raise PermissionDenied(_("Your role does not give access to this page."))
    labels = {
        "open_cases": _("Open cases"),
        "risk": _("Risk level"),
        "no_risk": _("Not scored"),
        "score": _("Score"),
        "factors": _("Factors"),
        "code": _("Code"),
        "loading": _("Loading grid cells…"),
        "failed": _("Could not load the grid cells."),
        "none": _("No grid cells to show."),
        "levels": {value: str(label) for value, label in RiskScore.Level.choices},
        "factor_names": {key: str(label) for key, label in FACTOR_LABELS.items()},
    }
    return page(request, "geo/supervisor_map.html", {"labels": labels})
