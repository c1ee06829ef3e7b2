"""Case workflow: one function per transition of DOMAIN §3.

Every transition locks the case row (SELECT … FOR UPDATE), checks the action against
the action registry (cases.workflow: status, actor, conditions), changes the case and writes exactly one CaseEvent, all in
one transaction: of two people acting at once, one wins and the other gets
InvalidTransition (409) once the winner's commit is visible. `at` is the time of the
action; it defaults to now and is only set by imports of historical data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.errors import Conflict, InvalidInput, NotFound, NotPermitted
from access.roles import roles_of
from cases import workflow
from cases.attachments import store_photos, validate_photo
from cases.models import (
    MAX_EXTENSION_DAYS,
    Case,
    CaseEvent,
    CoHandler,
    DepartmentUnit,
    ExtensionRequest,
    Supervision,
)
from cases.selectors import case_list_visible_to, proposed_unit, units_serving
from cases.services.notifications import _muted, _queue_notifications
from cases.worktime import add_working_days, add_working_hours, working_hours_between

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The acting person; None is the system (Celery jobs, imports).
    AnyUser = User

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
