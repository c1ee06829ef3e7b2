"""Filing a report: the checks a new case must pass (who may file where, its text, contact
and photos, the grid cell it lies in) and the one statement that writes it
(cases.services.filing_sql). A retry with the same client key answers the first case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access import codes
from access.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotPermitted,
    OutsideCity,
    SwappedCoordinates,
)
from access.roles import roles_of
from cases.attachments import MAX_PHOTOS, store_photos, validate_photo
from cases.models import Case, CaseEvent, Category
from cases.permissions import filing_role, may_file
from cases.personal_data import normalize_id_number, normalize_phone
from cases.services.filing_sql import insert_case_with_report
from cases.services.notifications import _muted, _queue_notifications
from cases.services.transitions import _now, _require_text
from geo.selectors import ancestor_at_level, grid_cell_for_point
from grids.models import GridCell

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The acting person; None is the system (Celery jobs, imports).
    AnyUser = User

S = Case.Status
A = CaseEvent.Action


def _number_prefix(cell_code: str, at: dt.datetime) -> str:
    """A case number is the district's code, the local date and a serial from
    cases_case_number_seq of at least 6 digits (cases.services.filing_sql adds the serial)."""
    return f"{codes.district_code(cell_code)}{timezone.localtime(at):%Y%m%d}"


def _same_reporter(case: Case, actor: AnyUser | None) -> Case:
    if case.reporter_id != (actor.pk if actor is not None else None):
        raise Conflict(_("This client key was already used for another reporter's case."), field="client_key")
    return case


def case_report(
    *,
    actor: AnyUser | None,
    category: Category,
    location: Point,
    description: str,
    source: str | None = None,
    client_key: str | None = None,
    address: str = "",
    photos: Sequence[File] = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_id_number: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """Files a report: locates its grid cell, routes it to the cell's community centre and
    writes the `report` event. The same client_key returns the first case (a phone
    retrying on a bad network), never a second one. Raises OutsideCity (400) for a point in
    no grid cell, saying so when the coordinates look swapped. The reporter's contact
    details are optional, checked, and stored encrypted (cases.personal_data)."""
    case, _created = case_report_or_replay(
        actor=actor, category=category, location=location, description=description, source=source,
        client_key=client_key, address=address, photos=photos, reporter_name=reporter_name,
        reporter_phone=reporter_phone, reporter_id_number=reporter_id_number, at=at,
    )
    return case


def _checked_report(
    *,
    category: Category,
    location: Point,
    description: str,
    photos: Sequence[File],
    reporter_phone: str,
    reporter_id_number: str,
    actor: AnyUser | None,
) -> tuple[str, str, str, GridCell, str]:
    """The report's checks: the reporter may file (NotPermitted, 403) here (InvalidInput); its
    text, contact and photos cleaned; the grid cell it lies in and the role it is filed in.
    Raises InvalidInput (and its OutsideCity, SwappedCoordinates) or PayloadTooLarge."""
    roles = roles_of(actor) if actor is not None else None
    if roles is not None and not may_file(roles):
        raise NotPermitted(_("Your role does not file reports: grid workers, centres and citizens do."))
    description = _require_text(description, "description")
    reporter_phone = normalize_phone(reporter_phone)
    reporter_id_number = normalize_id_number(reporter_id_number)
    if category.parent_id is None or not category.active:
        raise InvalidInput(_("Choose a specific, active category."), field="category")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(max)d photos per report.") % {"max": MAX_PHOTOS}, field="photos")
    for photo in photos:
        validate_photo(photo)
    cell = grid_cell_for_point(location)
    if cell is None:
        swapped = grid_cell_for_point(Point(location.y, location.x, srid=4326))
        if swapped is not None:
            raise SwappedCoordinates(
                _("The point (%(x).6f, %(y).6f) is outside the city; longitude and latitude look swapped.")
                % {"x": location.x, "y": location.y},
                field="location",
            )
        raise OutsideCity(
            _("The point (%(x).6f, %(y).6f) is not inside any grid cell of the city.") % {"x": location.x, "y": location.y},
            field="location",
        )
    if roles is None:
        return description, reporter_phone, reporter_id_number, cell, "system"
    role = filing_role(roles, cell_id=cell.pk, cell_code=cell.code)
    if role is None and roles.is_grid_worker:
        raise InvalidInput(
            _("This place is in grid cell %(cell)s, which is not one of your cells. Choose a place inside "
              "your cells.") % {"cell": f"{cell.name} ({cell.code})"},
            field="location",
        )
    if role is None:
        raise InvalidInput(
            _("This place is in grid cell %(cell)s, outside your centre's jurisdiction.")
            % {"cell": f"{cell.name} ({cell.code})"},
            field="location",
        )
    return description, reporter_phone, reporter_id_number, cell, role


def case_report_or_replay(
    *,
    actor: AnyUser | None,
    category: Category,
    location: Point,
    description: str,
    source: str | None = None,
    client_key: str | None = None,
    address: str = "",
    photos: Sequence[File] = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_id_number: str = "",
    at: dt.datetime | None = None,
) -> tuple[Case, bool]:
    """case_report, also saying whether this call filed the case (True) or found the one
    filed before with the same client_key (False: the API answers 200 instead of 201).
    Who may file where is one rule (cases.permissions.filing_role): a grid worker in their
    own cells, a centre operator within their jurisdiction, administrators and citizens
    anywhere; supervisors and department staff are refused (403). A point where the
    reporter may not file is refused naming the cell it is in.

    Locks nothing: the case is new. The case and its event are written by one statement
    (cases.services.filing_sql; with photos, one transaction), and a concurrent report with
    the same client_key writes nothing and returns the winner's case. The notification is queued
    after the commit."""
    at = _now(at)
    try:
        description, reporter_phone, reporter_id_number, cell, role = _checked_report(
            category=category, location=location, description=description, photos=photos,
            reporter_phone=reporter_phone, reporter_id_number=reporter_id_number, actor=actor,
        )
    except DomainError:
        # A retry of a report already filed answers with that case (or 409, another
        # reporter's key) even where it would now be refused, as it did when the key was
        # looked up first; asking only here saves every new report that statement.
        existing = Case.objects.filter(client_key=client_key).first() if client_key else None
        if existing is None:
            raise
        return _same_reporter(existing, actor), False
    # The community's centre, or the one above it at the category's handling level.
    centre = ancestor_at_level(cell.community, category.handling_level)
    case = Case(
        category=category,
        status=S.REPORTED,
        source=source or (Case.Source.GRID_WORKER if role == "grid_worker" else Case.Source.CITIZEN),
        description=description,
        location=location,
        address=address,
        grid_cell=cell,
        cell_code=cell.code,
        centre=centre,
        reporter=actor,
        reporter_name=reporter_name.strip()[:50] or None,
        reporter_phone=reporter_phone or None,
        reporter_id_number=reporter_id_number or None,
        client_key=client_key or None,
        sign_for_hours=category.sign_for_hours,
        handle_days=category.handle_days,
        reported_at=at,
    )
    event = CaseEvent(actor=actor, role=role, action=A.REPORT, from_status="", to_status=case.status, note="",
                      created_at=at)
    # One statement writes both rows (cases.services.filing_sql); with photos, their rows join
    # it in one transaction. Inside a caller's transaction, a savepoint keeps a failure to this call.
    atomic = transaction.atomic() if photos or connection.in_atomic_block else nullcontext()
    with atomic:
        filed = insert_case_with_report(case, event, number_prefix=_number_prefix(cell.code, at))
        if filed:
            store_photos(case=case, event=event, photos=photos)
    if not filed:
        # The client key was taken: by this reporter's earlier try (a phone retrying on a bad
        # network, perhaps at this very moment), which wins; or by someone else's (409).
        existing = Case.objects.filter(client_key=client_key).first() if client_key else None
        if existing is None:
            raise Conflict(_("This report could not be filed; try again."))
        return _same_reporter(existing, actor), False
    if settings.NOTIFY_ON_COMMIT and not _muted.get():
        transaction.on_commit(partial(_queue_notifications, event.pk))
    return case, True
