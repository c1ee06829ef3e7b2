"""Deadline jobs (Celery beat, cases/tasks.py): overdue escalation (督办) and near-deadline
warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy

from access.roles import areas_containing, user_ids_holding
from cases.models import Case, CaseEvent, Notification, Supervision
from cases.services.notifications import _notify, _unit_staff_ids
from cases.services.transitions import _lock, _move, _now
from grids.models import Area

S = Case.Status
A = CaseEvent.Action


# Deadline jobs (Celery beat, cases/tasks.py). Both may run any number of times for the same
# moment: a supervision is unique per case, kind and deadline, a notification per recipient,
# case, kind and key.

_OVERDUE_LABELS: dict[str, Any] = {
    Supervision.Kind.SIGN_FOR_OVERDUE: gettext_lazy("Not signed for by the deadline: escalated to the supervisor."),
    Supervision.Kind.HANDLING_OVERDUE: gettext_lazy("Not handled by the deadline: escalated to the supervisor."),
}


def _supervisor_ids(cell_code: str) -> list[int]:
    """Supervisors of any area containing the cell."""
    return user_ids_holding("grids.supervise_area", Area, areas_containing(cell_code))


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
