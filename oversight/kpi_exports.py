"""KPI tables as CSV or XLSX, as the dashboard shows them (same area, same period).

As cases.exports: the figures start from the visibility selector (oversight.kpis), text cells
a spreadsheet would run as formulas are escaped, and every file leaves an `export` entry
on the audit trail naming the table, the area, the period and the row count. Rates are
written as percentages with one decimal, hours with one decimal; an empty cell means there
was nothing to measure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from access.errors import InvalidInput
from audit import services as audit
from audit.models import AuditEntry
from cases.exports import FORMATS, formula_safe
from oversight import kpis

if TYPE_CHECKING:
    from django.http import HttpRequest

    from access.roles import AnyUser
    from grids.models import Area
    from oversight.kpis import KpiRow, Period

TABLES = ("areas", "units")


def _rate(value: float | None) -> float | str:
    return "" if value is None else round(value * 100, 1)


def _hours(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def columns(table: str) -> list[tuple[str, Callable[[KpiRow], Any]]]:
    """(header, value) of every column after the first two (code and name). Reports are
    filed in areas, before any unit holds them: the units table starts at the dispatch."""
    reports: list[tuple[str, Callable[[KpiRow], Any]]] = [
        (_("Reports filed"), lambda r: r.filed),
        (_("Valid-report rate (%)"), lambda r: _rate(r.valid_rate)),
        (_("Self-resolved rate (%)"), lambda r: _rate(r.self_resolved_rate)),
    ]
    return (reports if table == "areas" else []) + [
        (_("Dispatches"), lambda r: r.dispatches),
        (_("Mean dispatch time (h)"), lambda r: _hours(r.dispatch_hours)),
        (_("Sign-for on-time rate (%)"), lambda r: _rate(r.sign_on_time_rate)),
        (_("Cases due"), lambda r: r.due),
        (_("Closed cases"), lambda r: r.closed),
        (_("Closure rate (%)"), lambda r: _rate(r.closure_rate)),
        (_("Closed on time"), lambda r: r.closed_on_time),
        (_("On-time closure rate (%)"), lambda r: _rate(r.on_time_rate)),
        (_("Rework rate (%)"), lambda r: _rate(r.rework_rate)),
        (_("Return rate (%)"), lambda r: _rate(r.return_rate)),
        (_("Extension rate (%)"), lambda r: _rate(r.extension_rate)),
        (_("Overdue cases"), lambda r: r.overdue),
        (_("Overdue working hours"), lambda r: _hours(r.overdue_hours)),
        (_("Mean handling time (h)"), lambda r: _hours(r.handling_mean)),
        (_("90th percentile handling time (h)"), lambda r: _hours(r.handling_p90)),
        (_("Mean satisfaction"), lambda r: "" if r.satisfaction is None else round(r.satisfaction, 2)),
    ]


def _rows(table: str, rows: Sequence[KpiRow]) -> Iterator[list[Any]]:
    cols = columns(table)
    for row in rows:
        yield [formula_safe(row.code), formula_safe(row.label), *(value(row) for _h, value in cols)]


def export_kpis(*, user: AnyUser, area: Area, period: Period, table: str, fmt: str,
                request: HttpRequest | None = None) -> tuple[bytes, str]:
    """The file's bytes and content type; a bad table or format is a 400 naming it."""
    if table not in TABLES:
        raise InvalidInput(_("Choose the areas or the units table."), field="table")
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose csv or xlsx."), field="format")
    if table == "areas":
        rows = kpis.area_kpis(user=user, area=area, period=period)
        first = [_("Code"), _("Area")]
    else:
        rows = kpis.unit_kpis(user=user, area=area, period=period)
        first = [_("Department"), _("Unit")]
    header = first + [h for h, _v in columns(table)]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(_rows(table, rows))
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # a BOM: Excel reads the Chinese as UTF-8
        content_type = "text/csv; charset=utf-8"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("KPIs"))
        sheet.append(header)
        for line in _rows(table, rows):
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit.record(AuditEntry.Kind.EXPORT, actor=user, request=request, detail={
        "what": f"kpis:{table}", "format": fmt, "rows": len(rows), "area": area.code,
        "filters": {"date_from": str(period.date_from), "date_to": str(period.date_to)},
    })
    return body, content_type
