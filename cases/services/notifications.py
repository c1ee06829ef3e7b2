"""Who is told what: the in-app notifications a timeline entry or a deadline job leaves,
their queueing after commit, and a person marking theirs read.

The services queue the notification task by its registered name, not by importing
cases.tasks: the tasks import the services, so the services do not import them back (the
`services-below-tasks` contract in pyproject.toml). CasesConfig.ready registers the tasks in
every process; looked up in the app's registry, the task still runs eagerly when
CELERY_TASK_ALWAYS_EAGER says so, which celery's send_task would not."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from celery import current_app
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import NotFound
from access.roles import user_ids_holding
from cases.models import Case, CaseEvent, DepartmentUnit, Notification
from grids.models import Area

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The acting person; None is the system (Celery jobs, imports).
    AnyUser = User

logger = logging.getLogger(__name__)

# cases.tasks.notify_next_actors_task (see the module docstring).
NOTIFY_TASK = "cases.tasks.notify_next_actors_task"

S = Case.Status
A = CaseEvent.Action


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
    try:
        # The argument's repr given, so Celery need not build it (bench/intake.py).
        current_app.tasks[NOTIFY_TASK].apply_async((event_id,), argsrepr=f"({event_id},)", kwargsrepr="{}")
    except Exception:  # noqa: BLE001 - any broker failure; the action itself is committed
        logger.warning("could not queue notifications for case event %s", event_id, exc_info=True)


def _unit_staff_ids(unit_id: int) -> list[int]:
    return user_ids_holding("cases.handle_cases", DepartmentUnit, [unit_id])


def _notify(user_ids: Sequence[int], *, case: Case, kind: str, key: str, at: dt.datetime) -> None:
    Notification.objects.bulk_create(
        [Notification(recipient_id=uid, case=case, kind=kind, key=key, created_at=at) for uid in set(user_ids)],
        ignore_conflicts=True,
    )


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


def notification_mark_read(*, notification_id: int, user: AnyUser, at: dt.datetime | None = None) -> Notification:
    """Marks one of the user's own notifications read; another person's answers 404."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=at or timezone.now())
        notification.refresh_from_db()
    return notification


def notifications_mark_all_read(*, user: AnyUser, at: dt.datetime | None = None) -> int:
    """Marks every unread notification of the user read; how many it marked."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=at or timezone.now())
