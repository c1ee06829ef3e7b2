"""Case workflow: one function per transition of DOMAIN §3.

Every transition locks the case row (SELECT … FOR UPDATE), checks the action against
the action registry (cases.workflow: status, actor, conditions), changes the case and writes exactly one CaseEvent, all in
one transaction: of two people acting at once, one wins and the other gets
InvalidTransition (409) once the winner's commit is visible. `at` is the time of the
action; it defaults to now and is only set by imports of historical data.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access import codes
from access.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    NotPermitted,
    OutsideCity,
    SwappedCoordinates,
)
from access.roles import areas_containing, roles_of, user_ids_holding
from cases import workflow
from cases.attachments import MAX_PHOTOS, store_photos, validate_photo
from cases.filing import insert_case_with_report
from cases.models import (
    MAX_EXTENSION_DAYS,
    Case,
    CaseEvent,
    Category,
    CoHandler,
    DepartmentUnit,
    ExtensionRequest,
    Notification,
    Supervision,
)
from cases.permissions import filing_role, may_file
from cases.personal_data import normalize_id_number, normalize_phone
from cases.selectors import case_list_visible_to, proposed_unit, units_serving
from cases.worktime import add_working_days, add_working_hours, working_hours_between
from geo.selectors import ancestor_at_level, grid_cell_for_point
from grids.models import Area, GridCell

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The acting person; None is the system (Celery jobs, imports).
    AnyUser = User

logger = logging.getLogger(__name__)

S = Case.Status
A = CaseEvent.Action


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _lock(case_id: int) -> Case:
    try:
        return Case.objects.select_for_update(of=("self",)).select_related("category", "centre").get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound(_("No such case.")) from None


def _begin(case_id: int, action: str, actor: AnyUser | None, at: dt.datetime | None = None) -> tuple[Case, str]:
    """Locks the case and checks the move against the action registry (cases.workflow):
    status, actor and the case's conditions. Returns the case and the actor's role."""
    case = _lock(case_id)
    return case, workflow.check(case, action, actor, at=at)


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
    store_photos(case=case, event=event, photos=photos)
    if settings.NOTIFY_ON_COMMIT and not _muted.get():
        transaction.on_commit(partial(_queue_notifications, event.pk))
    return event


_muted: ContextVar[bool] = ContextVar("wangge_notifications_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """No notifications for actions inside the block: imports of historical cases."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _queue_notifications(event_id: int) -> None:
    """After commit: Celery tells whoever acts next. Notifications are a convenience; a
    broker outage must not turn a saved action into an error page, so it is only logged."""
    from cases.tasks import notify_next_actors_task

    try:
        # The argument's repr given, so Celery need not build it (bench/intake.py).
        notify_next_actors_task.apply_async((event_id,), argsrepr=f"({event_id},)", kwargsrepr="{}")
    except Exception:  # noqa: BLE001 - any broker failure; the action itself is committed
        logger.warning("could not queue notifications for case event %s", event_id, exc_info=True)


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
    event_unit: DepartmentUnit | None = None,
) -> Case:
    from_status = case.status
    case.status = workflow.target(action) or case.status
    case.save(update_fields=["status", "updated_at", *fields])
    _record(case, action=action, actor=actor, role=role, from_status=from_status, at=at, note=note, photos=photos,
            unit=event_unit)
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


def _number_prefix(cell_code: str, at: dt.datetime) -> str:
    """A case number is the district's code, the local date and a serial from
    cases_case_number_seq of at least 6 digits (cases.filing adds the serial)."""
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
    (cases.filing; with photos, one transaction), and a concurrent report with the same
    client_key writes nothing and returns the winner's case. The notification is queued
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
    # One statement writes both rows (cases.filing); with photos, their rows join it in one
    # transaction. Inside a caller's transaction, a savepoint keeps a failure to this call.
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


@transaction.atomic
def case_resolve_on_spot(
    *, case_id: int, actor: AnyUser | None, note: str, photos: Sequence[File], at: dt.datetime | None = None
) -> Case:
    """The reporting grid worker closes a small case on the spot (自办自结): only for
    categories marked self-resolvable, and only with a photo of the result."""
    at = _now(at)
    case, role = _begin(case_id, A.RESOLVE_ON_SPOT, actor)  # the category must be self-resolvable
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
def case_reject(
    *,
    case_id: int,
    actor: AnyUser | None,
    reason: str,
    kind: str = Case.RejectKind.INVALID,
    duplicate_of: int | str | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """The centre rejects a report as invalid, a duplicate of case N (merging it into N in
    one step), or not in scope; a reason is required. `duplicate_of` is the original's id,
    or its case number as a string (what operators type)."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    if kind not in Case.RejectKind.values:
        raise InvalidInput(_("Unknown rejection kind."), field="kind")
    case, role = _begin(case_id, A.REJECT, actor)
    original: Case | None = None
    if kind == Case.RejectKind.DUPLICATE:
        # Only a case the operator may see: merging into another centre's case would tell
        # them that a number exists, and link a case they cannot follow.
        if not duplicate_of:
            raise InvalidInput(_("Name the case this one duplicates."), field="duplicate_of")
        original = _duplicate_target(actor, duplicate_of, exclude=case.pk)
        if original is None:
            # One answer for a case that does not exist and one outside the operator's
            # scope: no existence leak.
            raise InvalidInput(_("No case with this number."), field="duplicate_of")
    case.closed_at = at
    case.reject_kind = kind
    case.duplicate_of = original
    return _move(case, action=A.REJECT, actor=actor, role=role, at=at, note=reason,
                 fields=["closed_at", "reject_kind", "duplicate_of"])


def _duplicate_target(actor: AnyUser | None, ref: int | str, *, exclude: int) -> Case | None:
    """The case `ref` names among those the actor sees: a case number (digits, as typed) or,
    failing that, an id (what the merge buttons and the API send)."""
    candidates = (Case.objects.all() if actor is None else case_list_visible_to(user=actor)).exclude(pk=exclude)
    text = str(ref).strip()
    if not text.isdigit():
        return None
    found = candidates.filter(number=text).first()
    if found is None and len(text) <= 12:  # case numbers are longer: an id
        found = candidates.filter(pk=int(text)).first()
    return found


def _require_serving(case: Case, units: Sequence[DepartmentUnit], field: str) -> None:
    """A unit handles cases of its own district or, city-wide, of every district: a centre
    cannot send a case (and with it the reporter's contact) to another district's unit."""
    serving = set(units_serving(case.cell_code).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
    strangers = [u for u in units if u.pk not in serving]
    if strangers:
        raise InvalidInput(
            _("%(unit)s does not serve the district of this case; choose a unit of its district or a city-wide one.")
            % {"unit": strangers[0].name},
            field=field,
        )


@transaction.atomic
def case_dispatch(
    *,
    case_id: int,
    actor: AnyUser | None,
    unit: DepartmentUnit | None = None,
    co_handlers: Sequence[DepartmentUnit] = (),
    note: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """The centre sends an accepted case to a lead department unit (by default the
    category's department in the case's district), optionally with co-handling units that
    each report their part. Every unit must serve the case's district or be city-wide. The
    sign-for and handling deadlines start now, in working time, from the limits the case was
    filed under."""
    at = _now(at)
    case, role = _begin(case_id, A.DISPATCH, actor)
    if unit is None:
        unit = proposed_unit(case=case)
        if unit is None:
            raise InvalidInput(_("Choose a department unit: the category has no default."), field="unit")
    _require_serving(case, [unit], "unit")
    _require_serving(case, list(co_handlers), "co_handlers")
    co_units = {u.pk: u for u in co_handlers if u.pk != unit.pk}
    case.unit = unit
    case.sign_deadline = add_working_hours(at, case.sign_for_hours)
    case.handle_deadline = add_working_days(at, case.handle_days)
    # A re-dispatch (after a return) names its co-handlers afresh.
    CoHandler.objects.filter(case=case).delete()
    CoHandler.objects.bulk_create([CoHandler(case=case, unit=u) for u in co_units.values()])
    if co_units:
        names = "、".join(u.name for u in co_units.values())
        note = (note.strip() + "\n" if note.strip() else "") + _("Co-handlers: %(units)s") % {"units": names}
    return _move(case, action=A.DISPATCH, actor=actor, role=role, at=at, note=note.strip(),
                 fields=["unit", "sign_deadline", "handle_deadline"])


@transaction.atomic
def case_reassign(
    *, case_id: int, actor: AnyUser | None, unit: DepartmentUnit, reason: str, at: dt.datetime | None = None
) -> Case:
    """The centre takes a case from its unit and sends it to another (改派), one that serves
    the case's district or is city-wide: it must be signed for again, with fresh deadlines;
    co-handlers are dropped."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    case, role = _begin(case_id, A.REASSIGN, actor)
    if unit.pk == case.unit_id:
        raise InvalidInput(_("Choose a different unit."), field="unit")
    _require_serving(case, [unit], "unit")
    CoHandler.objects.filter(case=case).delete()
    case.unit = unit
    case.sign_deadline = add_working_hours(at, case.sign_for_hours)
    case.handle_deadline = add_working_days(at, case.handle_days)
    return _move(case, action=A.REASSIGN, actor=actor, role=role, at=at, note=reason,
                 fields=["unit", "sign_deadline", "handle_deadline"])


@transaction.atomic
def case_report_part(*, case_id: int, actor: AnyUser | None, result: str, at: dt.datetime | None = None) -> Case:
    """A co-handling unit reports what it did; the lead unit reports the case as handled."""
    at = _now(at)
    result = _require_text(result, "result")
    case, role = _begin(case_id, A.REPORT_PART, actor)
    units = roles_of(actor).unit_ids if actor is not None else frozenset()
    # The registry has checked that a part of the actor's units is still open.
    part = case.co_handlers.select_for_update().filter(unit_id__in=units, reported_at__isnull=True).order_by(
        "pk").first()
    if part is None:
        raise NotPermitted(_("Your unit is not a co-handler of this case."))
    part.reported_at = at
    part.save(update_fields=["reported_at"])
    return _move(case, action=A.REPORT_PART, actor=actor, role=role, at=at, note=result, event_unit=part.unit)


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
    returning_unit = case.unit
    CoHandler.objects.filter(case=case).delete()
    case.unit = None
    case.sign_deadline = None
    case.handle_deadline = None
    # The event names the unit that returned it, not the (now empty) current unit.
    return _move(case, action=A.RETURN, actor=actor, role=role, at=at, note=reason,
                 fields=["unit", "sign_deadline", "handle_deadline"], event_unit=returning_unit)


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
    *,
    case_id: int,
    actor: AnyUser | None,
    passed: bool,
    note: str = "",
    photos: Sequence[File] = (),
    at: dt.datetime | None = None,
) -> Case:
    """The centre (or the grid worker on site) checks the result: pass closes the case,
    fail sends it back to the unit for rework with a note saying why. Photos taken on site
    go on the verify event, as on every other action."""
    at = _now(at)
    action = A.VERIFY_PASS if passed else A.VERIFY_FAIL
    if not passed:
        note = _require_text(note, "note")
    for photo in photos:
        validate_photo(photo)
    case, role = _begin(case_id, action, actor)
    if passed:
        case.closed_at = at
        return _move(case, action=action, actor=actor, role=role, at=at, note=note.strip(), fields=["closed_at"],
                     photos=photos)
    case.rework_count += 1
    return _move(case, action=action, actor=actor, role=role, at=at, note=note, fields=["rework_count"],
                 photos=photos)


@transaction.atomic
def case_escalate(*, case_id: int, actor: AnyUser | None, note: str = "", at: dt.datetime | None = None) -> Case:
    """The centre hands a case it cannot settle to the next centre up (community → street →
    district → city); it leaves this centre's queue and appears in that one's."""
    at = _now(at)
    case, role = _begin(case_id, A.ESCALATE, actor)  # the registry requires a centre above
    upper = case.centre.parent
    assert upper is not None
    case.centre = upper
    return _move(case, action=A.ESCALATE, actor=actor, role=role, at=at, note=note.strip(), fields=["centre"])




@transaction.atomic
def case_request_extension(
    *, case_id: int, actor: AnyUser | None, days: int, reason: str, at: dt.datetime | None = None
) -> ExtensionRequest:
    """The handling unit asks for more working days; the deadline stands until the centre
    approves. One request may be pending at a time."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            _("An extension is 1 to %(max)d working days.") % {"max": MAX_EXTENSION_DAYS}, field="days"
        )
    case, role = _begin(case_id, A.REQUEST_EXTENSION, actor)  # none may be pending
    assert case.unit is not None  # dispatched and in-progress cases always have one
    request = ExtensionRequest.objects.create(case=case, unit=case.unit, days=days, reason=reason, requested_at=at)
    _move(case, action=A.REQUEST_EXTENSION, actor=actor, role=role, at=at,
          note=_("%(days)d working days: %(reason)s") % {"days": days, "reason": reason})
    return request


@transaction.atomic
def case_decide_extension(
    *,
    case_id: int,
    actor: AnyUser | None,
    approve: bool,
    note: str = "",
    pause_clock: bool = False,
    at: dt.datetime | None = None,
) -> Case:
    """The centre approves (the handling deadline moves by the requested working days) or
    denies (a note says why) the pending extension request. With `pause_clock` an approval
    also gives back the working time the request waited for the decision."""
    at = _now(at)
    action = A.APPROVE_EXTENSION if approve else A.DENY_EXTENSION
    if not approve:
        note = _require_text(note, "note")
    case, role = _begin(case_id, action, actor)  # a request is pending
    request = case.extensions.select_for_update().filter(status=ExtensionRequest.Status.PENDING).first()
    if request is None:
        raise Conflict(_("No extension request is waiting for a decision."))
    request.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.DENIED
    request.decided_at = at
    request.save(update_fields=["status", "decided_at"])
    fields: list[str] = []
    if approve and case.handle_deadline is not None:
        # A minute before the deadline is still its working day, so N more days count from it.
        deadline = add_working_days(case.handle_deadline - dt.timedelta(minutes=1), request.days)
        if pause_clock:
            waited = working_hours_between(request.requested_at, at)
            if waited > 0:
                deadline = add_working_hours(deadline, waited)
                note = (note.strip() + " " + _("(clock paused for %(hours).1f working hours)") % {"hours": waited}).strip()
        case.handle_deadline = deadline
        fields.append("handle_deadline")
    return _move(case, action=action, actor=actor, role=role, at=at, note=note.strip(), fields=fields)


@transaction.atomic
def case_evaluate(
    *, case_id: int, actor: AnyUser | None, satisfaction: int, comment: str = "", at: dt.datetime | None = None
) -> Case:
    """The reporter or the centre rates a closed case 1–5 (综合评价); once."""
    at = _now(at)
    if not 1 <= satisfaction <= 5:
        raise InvalidInput(_("Satisfaction is a whole number from 1 to 5."), field="satisfaction")
    case, role = _begin(case_id, A.EVALUATE, actor)  # not evaluated before
    case.satisfaction = satisfaction
    return _move(case, action=A.EVALUATE, actor=actor, role=role, at=at,
                 note=f"{satisfaction}/5 {comment.strip()}".strip(), fields=["satisfaction"])


@transaction.atomic
def case_reopen(*, case_id: int, actor: AnyUser | None, reason: str, at: dt.datetime | None = None) -> Case:
    """The centre reopens a case closed within settings.REOPEN_DAYS (the problem came
    back): it returns to the centre's queue to be dispatched again."""
    at = _now(at)
    reason = _require_text(reason, "reason")
    case, role = _begin(case_id, A.REOPEN, actor, at)  # closed within REOPEN_DAYS of `at`
    case.closed_at = None
    case.unit = None
    case.sign_deadline = None
    case.handle_deadline = None
    case.self_resolved = False
    return _move(case, action=A.REOPEN, actor=actor, role=role, at=at, note=reason,
                 fields=["closed_at", "unit", "sign_deadline", "handle_deadline", "self_resolved"])


# --------------------------------------------------------------------------------------------
# Deadline jobs (Celery beat, cases/tasks.py). Both may run any number of times for the same
# moment: a supervision is unique per case, kind and deadline, a notification per recipient,
# case, kind and key.

_OVERDUE_LABELS: dict[str, Any] = {
    Supervision.Kind.SIGN_FOR_OVERDUE: gettext_lazy("Not signed for by the deadline: escalated to the supervisor."),
    Supervision.Kind.HANDLING_OVERDUE: gettext_lazy("Not handled by the deadline: escalated to the supervisor."),
}


def _unit_staff_ids(unit_id: int) -> list[int]:
    return user_ids_holding("cases.handle_cases", DepartmentUnit, [unit_id])


def _supervisor_ids(cell_code: str) -> list[int]:
    """Supervisors of any area containing the cell."""
    return user_ids_holding("grids.supervise_area", Area, areas_containing(cell_code))


def _notify(user_ids: Sequence[int], *, case: Case, kind: str, key: str, at: dt.datetime) -> None:
    Notification.objects.bulk_create(
        [Notification(recipient_id=uid, case=case, kind=kind, key=key, created_at=at) for uid in set(user_ids)],
        ignore_conflicts=True,
    )


def cases_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """督办: every case past its sign-for or handling deadline gets one supervision row, one
    timeline entry (actor: the system) and a notification to its unit's staff and to the
    supervisors of its area. Returns how many escalations were new."""
    now = _now(now)
    due: list[tuple[int, str, dt.datetime]] = []
    for case_id, deadline in Case.objects.filter(status=S.DISPATCHED, sign_deadline__lt=now).values_list(
        "pk", "sign_deadline"
    ):
        assert deadline is not None
        due.append((case_id, str(Supervision.Kind.SIGN_FOR_OVERDUE), deadline))
    for case_id, deadline in Case.objects.filter(
        status__in=[S.DISPATCHED, S.IN_PROGRESS], handle_deadline__lt=now
    ).values_list("pk", "handle_deadline"):
        assert deadline is not None
        due.append((case_id, str(Supervision.Kind.HANDLING_OVERDUE), deadline))
    done = set(
        Supervision.objects.filter(case_id__in={d[0] for d in due}).values_list("case_id", "kind", "deadline")
    )
    return sum(_supervise(case_id, kind, deadline, now) for case_id, kind, deadline in due
               if (case_id, kind, deadline) not in done)


@transaction.atomic
def _supervise(case_id: int, kind: str, deadline: dt.datetime, now: dt.datetime) -> int:
    """One escalation, under the case's row lock; re-checks the state the job saw, since a
    unit may have signed for or finished the case in between."""
    case = _lock(case_id)
    still_due = (
        case.status == S.DISPATCHED and case.sign_deadline == deadline
        if kind == Supervision.Kind.SIGN_FOR_OVERDUE
        else case.status in (S.DISPATCHED, S.IN_PROGRESS) and case.handle_deadline == deadline
    )
    if not still_due or case.unit_id is None:
        return 0
    _, created = Supervision.objects.get_or_create(
        case=case, kind=kind, deadline=deadline, defaults={"unit_id": case.unit_id, "created_at": now}
    )
    if not created:
        return 0
    _move(case, action=A.SUPERVISE, actor=None, role="system", at=now, note=str(_OVERDUE_LABELS[kind]))
    _notify(_unit_staff_ids(case.unit_id) + _supervisor_ids(case.cell_code), case=case,
            kind=Notification.Kind.OVERDUE, key=f"{kind}:{deadline.isoformat()}", at=now)
    return 1


@transaction.atomic
def case_urge(*, case_id: int, actor: AnyUser | None, note: str, at: dt.datetime | None = None) -> Case:
    """A supervisor presses the handling unit (督办) on a case in their area: one
    supervision row per handling deadline (pressing twice for the same deadline is a 409,
    so a double click does not count twice in the unit's record), a timeline entry, and a
    notification to the unit's staff after commit. Locks the case."""
    at = _now(at)
    note = _require_text(note, "note")
    case, role = _begin(case_id, A.URGE, actor)  # not urged for this deadline yet
    assert case.unit_id is not None and case.handle_deadline is not None  # dispatched or in progress
    _row, created = Supervision.objects.get_or_create(
        case=case, kind=Supervision.Kind.URGED, deadline=case.handle_deadline,
        defaults={"unit_id": case.unit_id, "created_at": at},
    )
    if not created:
        raise Conflict(_("This case has already been urged for its current deadline."))
    return _move(case, action=A.URGE, actor=actor, role=role, at=at, note=note)


def notify_next_actors(*, event_id: int) -> int:
    """In-app notifications for whoever must act after this timeline entry: the centre for
    a new or returned report and for work to verify, the unit for a dispatched or reworked
    case, the reporter when the case is closed. Idempotent per event (key = event id)."""
    event = CaseEvent.objects.select_related("case", "case__centre").filter(pk=event_id).first()
    if event is None:
        return 0
    case = event.case
    kind = Notification.Kind.ACTION_NEEDED
    recipients: list[int] = []
    if event.action == A.SUPERVISE:
        return 0  # the deadline job has told unit and supervisors already
    if event.to_status in (S.REPORTED, S.ACCEPTED, S.HANDLED):
        recipients = user_ids_holding("grids.operate_centre", Area, [case.centre_id])
    elif event.to_status in (S.DISPATCHED, S.IN_PROGRESS) and event.action in (
        A.DISPATCH, A.VERIFY_FAIL, A.REASSIGN, A.URGE
    ):
        recipients = _unit_staff_ids(case.unit_id) if case.unit_id else []
    elif event.to_status in (S.CLOSED, S.REJECTED) and event.action != A.EVALUATE:
        kind = Notification.Kind.CASE_CLOSED
        recipients = [case.reporter_id] if case.reporter_id else []
    recipients = [uid for uid in recipients if uid != event.actor_id]  # nobody is told of their own act
    before = Notification.objects.filter(key=f"event:{event.pk}").count()
    _notify(recipients, case=case, kind=kind, key=f"event:{event.pk}", at=event.created_at)
    return Notification.objects.filter(key=f"event:{event.pk}").count() - before


def cases_warn_near_deadline(*, now: dt.datetime | None = None, within_hours: float | None = None) -> int:
    """Tells the handling unit's staff about each case whose handling deadline falls within
    the next `within_hours` (settings.DEADLINE_WARNING_HOURS). Returns the new messages."""
    now = _now(now)
    window = dt.timedelta(hours=within_hours if within_hours is not None else settings.DEADLINE_WARNING_HOURS)
    before = Notification.objects.filter(kind=Notification.Kind.NEAR_DEADLINE).count()
    near = Case.objects.filter(
        status__in=[S.DISPATCHED, S.IN_PROGRESS], handle_deadline__gt=now, handle_deadline__lte=now + window
    ).exclude(unit__isnull=True)
    for case in near:
        assert case.unit_id is not None and case.handle_deadline is not None
        _notify(_unit_staff_ids(case.unit_id), case=case, kind=Notification.Kind.NEAR_DEADLINE,
                key=case.handle_deadline.isoformat(), at=now)
    return Notification.objects.filter(kind=Notification.Kind.NEAR_DEADLINE).count() - before


def notification_mark_read(*, notification_id: int, user: AnyUser, at: dt.datetime | None = None) -> Notification:
    """Marks one of the user's own notifications read; another person's answers 404."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=_now(at))
        notification.refresh_from_db()
    return notification


def notifications_mark_all_read(*, user: AnyUser, at: dt.datetime | None = None) -> int:
    """Marks every unread notification of the user read; how many it marked."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=_now(at))
