"""Case lists as CSV or XLSX files, for the people who report upwards in spreadsheets.

Every export starts from case_list_visible_to (a person exports what they may see, nothing
more), carries reporters' contact details masked only, in their own columns and in the
description (the files leave the system: MLPS personal-information protection), escapes
cells a spreadsheet would run as formulas (CSV injection), and leaves an `export` entry on the audit trail with the filters and the
row count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from access.errors import InvalidInput
from audit import services as audit
from audit.models import AuditEntry
from cases.models import Case
from cases.personal_data import contact_of, mask_numbers_in_text
from cases.selectors import case_list_visible_to

if TYPE_CHECKING:
    from django.http import HttpRequest

    from access.roles import AnyUser

FORMATS = ("csv", "xlsx")
# A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFilters:
    status: str = ""
    reported_from: dt.date | None = None
    reported_to: dt.date | None = None

    def as_detail(self) -> dict[str, str]:
        return {k: str(v) for k, v in (("status", self.status), ("reported_from", self.reported_from),
                                       ("reported_to", self.reported_to)) if v}


def parse_filters(params: Any) -> ExportFilters:
    """From query parameters; a bad value is a 400 naming the parameter."""
    status = params.get("status", "")
    if status and status not in Case.Status.values:
        raise InvalidInput(_("Unknown status."), field="status")
    dates: dict[str, dt.date | None] = {}
    for name in ("reported_from", "reported_to"):
        raw = params.get(name, "")
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise InvalidInput(_("Give dates as YYYY-MM-DD."), field=name) from None
    return ExportFilters(status, dates["reported_from"], dates["reported_to"])


def export_queryset(*, user: AnyUser, filters: ExportFilters) -> QuerySet[Case]:
    qs = case_list_visible_to(user=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    tz = timezone.get_current_timezone()
    if filters.reported_from:
        qs = qs.filter(reported_at__gte=dt.datetime.combine(filters.reported_from, dt.time.min, tz))
    # Up to the last day there is (9999-12-31) bounds nothing, and has no day after it.
    if filters.reported_to and filters.reported_to < dt.date.max:
        qs = qs.filter(reported_at__lt=dt.datetime.combine(filters.reported_to + dt.timedelta(days=1), dt.time.min, tz))
    return qs.order_by("reported_at", "pk")


def _columns() -> list[str]:
    return [_("Number"), _("Status"), _("Category"), _("Grid cell"), _("Centre"), _("Handling unit"),
            _("Reported"), _("Sign for by"), _("Handle by"), _("Address"), _("Description"),
            _("Reporter's name"), _("Reporter's phone"), _("Reporter's ID number")]


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def formula_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def rows(cases: Iterable[Case]) -> Iterator[list[str]]:
    """One row per case, contact masked, every cell a string safe to open in a spreadsheet.
    Phone and ID numbers typed into the description are masked for every reader, those who
    may reveal the contact included: a file is no one-case, audited reveal."""
    for case in cases:
        contact = contact_of(case).masked()
        yield [formula_safe(str(v)) for v in (
            case.number, case.get_status_display(), case.category.name, case.cell_code, case.centre.name,
            case.unit.name if case.unit else "", _when(case.reported_at), _when(case.sign_deadline),
            _when(case.handle_deadline), case.address, mask_numbers_in_text(case.description),
            contact.name, contact.phone, contact.id_number,
        )]


def _check_size(count: int) -> None:
    if count > settings.EXPORT_MAX_ROWS:
        raise InvalidInput(
            _("%(count)d cases match; an export holds at most %(max)d. Narrow the dates or the status.")
            % {"count": count, "max": settings.EXPORT_MAX_ROWS},
            field="reported_from",
        )


def export_cases(*, user: AnyUser, filters: ExportFilters, fmt: str,
                 request: HttpRequest | None = None) -> tuple[bytes, str]:
    """The file's bytes and its content type; audited before the bytes leave."""
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose csv or xlsx."), field="format")
    qs = export_queryset(user=user, filters=filters)
    count = qs.count()
    _check_size(count)
    header = _columns()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows(qs.iterator(chunk_size=2000)))
        # A byte-order mark, so Excel opens UTF-8 Chinese text as such.
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Cases"))
        sheet.append(header)
        for row in rows(qs.iterator(chunk_size=2000)):
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit.record(AuditEntry.Kind.EXPORT, actor=user, request=request,
                 detail={"what": "cases", "format": fmt, "rows": count, "filters": filters.as_detail()})
    return body, content_type
