"""Case workflow: one function per transition of DOMAIN §3.

Every transition locks the case row (SELECT … FOR UPDATE), checks the action against
TRANSITIONS and the actor's role, changes the case and writes exactly one CaseEvent, all in
one transaction: of two people acting at once, one wins and the other gets
InvalidTransition (409) once the winner's commit is visible. `at` is the time of the
action; it defaults to now and is only set by imports of historical data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.gis.geos import Point
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.attachments import validate_photo
from cases.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
    OutsideCity,
    SwappedCoordinates,
)
from cases.models import Attachment, Case, CaseEvent, Category, DepartmentUnit
from cases.permissions import acting_role, reporter_role
from cases.worktime import add_working_days, add_working_hours
from geo.selectors import grid_cell_for_point

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The acting person; None is the system (Celery jobs, imports).
    AnyUser = User

S = Case.Status
A = CaseEvent.Action


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


# The one table of allowed moves. The server enforces it; the UI only reads it.
TRANSITIONS: dict[str, Transition] = {
    A.RESOLVE_ON_SPOT: Transition(frozenset({S.REPORTED}), S.CLOSED),
    A.ACCEPT: Transition(frozenset({S.REPORTED}), S.ACCEPTED),
    A.REJECT: Transition(frozenset({S.REPORTED}), S.REJECTED),
    A.DISPATCH: Transition(frozenset({S.ACCEPTED}), S.DISPATCHED),
    A.SIGN_FOR: Transition(frozenset({S.DISPATCHED}), S.IN_PROGRESS),
    A.RETURN: Transition(frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.ACCEPTED),
    A.REPORT_HANDLED: Transition(frozenset({S.IN_PROGRESS}), S.HANDLED),
    A.VERIFY_PASS: Transition(frozenset({S.HANDLED}), S.CLOSED),
    A.VERIFY_FAIL: Transition(frozenset({S.HANDLED}), S.IN_PROGRESS),
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, t in TRANSITIONS.items() if status in t.sources]


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _lock(case_id: int) -> Case:
    try:
        return Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(_("No such case.")) from None


def _begin(case_id: int, action: str, actor: AnyUser | None) -> tuple[Case, str]:
    """Locks the case, checks the move and the actor; returns the case and the actor's role."""
    case = _lock(case_id)
    transition = TRANSITIONS[action]
    if case.status not in transition.sources:
        raise InvalidTransition(
            _("Cannot %(action)s a case that is %(status)s.")
            % {"action": CaseEvent.Action(action).label, "status": Case.Status(case.status).label},
            status=case.status,
            allowed_actions=allowed_actions(case.status),
        )
    role = acting_role(actor, case, action)
    if role is None:
        raise NotPermitted(_("You may not %(action)s this case.") % {"action": CaseEvent.Action(action).label})
    return case, role


def _record(
    case: Case,
    *,
    action: str,
    actor: AnyUser | None,
    role: str,
    from_status: str,
    at: dt.datetime,
    note: str = "",
    photos: Sequence[File] = (),
    unit: DepartmentUnit | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        role=role,
        action=action,
        from_status=from_status,
        to_status=case.status,
        unit=unit or case.unit,
        note=note,
        created_at=at,
    )
    for photo in photos:
        Attachment.objects.create(case=case, event=event, file=photo)
    return event


def _move(
    case: Case,
    *,
    action: str,
    actor: AnyUser | None,
    role: str,
    at: dt.datetime,
    note: str = "",
    photos: Sequence[File] = (),
    fields: Sequence[str] = (),
) -> Case:
    from_status = case.status
    case.status = TRANSITIONS[action].target
    case.save(update_fields=["status", "updated_at", *fields])
    _record(case, action=action, actor=actor, role=role, from_status=from_status, at=at, note=note, photos=photos)
    return case


# Labels for the text fields a transition requires, as the person filling it in reads them.
_REQUIRED_LABELS = {
    "description": gettext_lazy("A description"),
    "reason": gettext_lazy("A reason"),
    "result": gettext_lazy("The result"),
    "note": gettext_lazy("A note saying what is wrong"),
}


def _require_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("%(what)s is required.") % {"what": _REQUIRED_LABELS[field]}, field=field)
    return value


def _next_number(cell_code: str, at: dt.datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('cases_case_number_seq')")
        (serial,) = cursor.fetchone()
    local = timezone.localtime(at)
    return f"{cell_code[:6]}{local:%Y%m%d}{serial:06d}"


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
    at: dt.datetime | None = None,
) -> Case:
    """Files a report: locates its grid cell, routes it to the cell's community centre and
    writes the `report` event. The same client_key returns the first case (a phone
    retrying on a bad network), never a second one. Raises OutsideCity (400) for a point in
    no grid cell, saying so when the coordinates look swapped."""
    at = _now(at)
    description = _require_text(description, "description")
    if client_key:
        existing = Case.objects.filter(client_key=client_key).first()
        if existing is not None:
            return _same_reporter(existing, actor)
    if category.parent_id is None or not category.active:
        raise InvalidInput(_("Choose a specific, active category."), field="category")
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
    try:
        # A savepoint, so a concurrent duplicate client_key rolls back only this insert.
        with transaction.atomic():
            case = Case.objects.create(
                number=_next_number(cell.code, at),
                category=category,
                status=S.REPORTED,
                source=source or (Case.Source.GRID_WORKER if reporter_role(actor) == "grid_worker" else Case.Source.CITIZEN),
                description=description,
                location=location,
                address=address,
                grid_cell=cell,
                cell_code=cell.code,
                centre=cell.community,
                reporter=actor,
                client_key=client_key or None,
                sign_for_hours=category.sign_for_hours,
                handle_days=category.handle_days,
                reported_at=at,
            )
            _record(case, action=A.REPORT, actor=actor, role=reporter_role(actor), from_status="", at=at, photos=photos)
    except IntegrityError:
        if client_key:
            existing = Case.objects.filter(client_key=client_key).first()
            if existing is not None:
                return _same_reporter(existing, actor)
        raise
    return case


@transaction.atomic
def case_resolve_on_spot(
    *, case_id: int, actor: AnyUser | None, note: str, photos: Sequence[File], at: dt.datetime | None = None
) -> Case:
    """The reporting grid worker closes a small case on the spot (自办自结): only for
    categories marked self-resolvable, and only with a photo of the result."""
    at = _now(at)
    case, role = _begin(case_id, A.RESOLVE_ON_SPOT, actor)
    if not case.category.self_resolvable:
        raise InvalidInput(_("This category cannot be resolved on the spot."), field="category")
    if not photos:
        raise InvalidInput(_("A photo of the result is required."), field="photos")
    for photo in photos:
        validate_photo(photo)
    case.self_resolved = True
    case.closed_at = at
    return _move(case, action=A.RESOLVE_ON_SPOT, actor=actor, role=role, at=at, note=note.strip(), photos=photos,
                 fields=["self_resolved", "closed_at"])


@transaction.atomic
def case_accept(*, case_id: int, actor: AnyUser | None, note: str = "", at: dt.datetime | None = None) -> Case:
    """The centre accepts a report as valid. Locks the case; writes `accept`."""
    at = _now(at)
    case, role = _begin(case_id, A.ACCEPT, actor)
    return _move(case, action=A.ACCEPT, actor=actor, role=role, at=at, note=note.strip())


@transaction.atomic
def case_reject(*, case_id: int, actor: AnyUser | None, reason: str, at: dt.datetime | None = None) -> Case:
    """The centre rejects a report (invalid, duplicate, not in scope); a reason is required."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    case, role = _begin(case_id, A.REJECT, actor)
    case.closed_at = at
    return _move(case, action=A.REJECT, actor=actor, role=role, at=at, note=reason, fields=["closed_at"])


@transaction.atomic
def case_dispatch(
    *, case_id: int, actor: AnyUser | None, unit: DepartmentUnit, note: str = "", at: dt.datetime | None = None
) -> Case:
    """The centre sends an accepted case to a department unit. The sign-for and handling
    deadlines start now, in working time, from the limits the case was filed under."""
    at = _now(at)
    case, role = _begin(case_id, A.DISPATCH, actor)
    case.unit = unit
    case.sign_deadline = add_working_hours(at, case.sign_for_hours)
    case.handle_deadline = add_working_days(at, case.handle_days)
    return _move(case, action=A.DISPATCH, actor=actor, role=role, at=at, note=note.strip(),
                 fields=["unit", "sign_deadline", "handle_deadline"])


@transaction.atomic
def case_sign_for(*, case_id: int, actor: AnyUser | None, at: dt.datetime | None = None) -> Case:
    """The unit takes the case on."""
    at = _now(at)
    case, role = _begin(case_id, A.SIGN_FOR, actor)
    return _move(case, action=A.SIGN_FOR, actor=actor, role=role, at=at)


@transaction.atomic
def case_return(*, case_id: int, actor: AnyUser | None, reason: str, at: dt.datetime | None = None) -> Case:
    """The unit returns a case that is not theirs (退回): back to the centre's queue, with
    the reason on the timeline; the unit and its deadlines are cleared."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    case, role = _begin(case_id, A.RETURN, actor)
    from_status = case.status
    returning_unit = case.unit
    case.status = TRANSITIONS[A.RETURN].target
    case.unit = None
    case.sign_deadline = None
    case.handle_deadline = None
    case.save(update_fields=["status", "unit", "sign_deadline", "handle_deadline", "updated_at"])
    # The event names the unit that returned it, not the (now empty) current unit.
    _record(case, action=A.RETURN, actor=actor, role=role, from_status=from_status, at=at, note=reason,
            unit=returning_unit)
    return case


@transaction.atomic
def case_report_handled(
    *, case_id: int, actor: AnyUser | None, result: str, photos: Sequence[File] = (), at: dt.datetime | None = None
) -> Case:
    """The unit reports the work done, with the result and photos; the centre verifies next."""
    at = _now(at)
    result = _require_text(result, "result")
    for photo in photos:
        validate_photo(photo)
    case, role = _begin(case_id, A.REPORT_HANDLED, actor)
    return _move(case, action=A.REPORT_HANDLED, actor=actor, role=role, at=at, note=result, photos=photos)


@transaction.atomic
def case_verify(
    *, case_id: int, actor: AnyUser | None, passed: bool, note: str = "", at: dt.datetime | None = None
) -> Case:
    """The centre (or the grid worker on site) checks the result: pass closes the case,
    fail sends it back to the unit for rework with a note saying why."""
    at = _now(at)
    action = A.VERIFY_PASS if passed else A.VERIFY_FAIL
    if not passed:
        note = _require_text(note, "note")
    case, role = _begin(case_id, action, actor)
    if passed:
        case.closed_at = at
        return _move(case, action=action, actor=actor, role=role, at=at, note=note.strip(), fields=["closed_at"])
    return _move(case, action=action, actor=actor, role=role, at=at, note=note)
